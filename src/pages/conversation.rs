//! One conversation: the thread with who wrote what and where each text stands, the buttons that move
//! it between the bot and a person, and the composer a teammate answers from.
use crate::components::live::use_live;
use crate::components::time::LocalTime;
use crate::components::{ErrorPanel, FormError, Loading, Spinner};
use crate::domain::delivery::DeliveryState;
use crate::domain::inbox::{Channel, ConversationStatus, StaffAction, StaffReply};
use crate::domain::sms_text::{Encoding, segments, ucs2_characters};
use crate::error::AppError;
use crate::pages::inbox::{ChannelBadge, status_class};
use crate::pages::{BUTTON_PRIMARY, BUTTON_SECONDARY, LINK, action_error, field_error};
use crate::server_fns::inbox::{
    Composer, ConversationView, InboxAct, InboxRename, InboxReply, InboxRetry, MessageKind,
    ThreadMessage, inbox_conversation,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

#[component]
pub fn ConversationPage() -> impl IntoView {
    let params = use_params_map();
    let id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| Uuid::parse_str(&id).ok())));
    let live = use_live().of(Signal::derive(move || id.get()));
    let act = ServerAction::<InboxAct>::new();
    let reply = ServerAction::<InboxReply>::new();
    let retry = ServerAction::<InboxRetry>::new();
    let rename = ServerAction::<InboxRename>::new();
    // What a teammate is typing outlives the refetches that live updates cause; a sent reply or
    // another conversation starts it over.
    let draft = RwSignal::new(String::new());
    Effect::new(move |_| {
        id.track();
        draft.set(String::new());
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = reply.value().get() {
            draft.set(String::new());
        }
    });
    let view = Resource::new_blocking(
        move || {
            (
                id.get(),
                live.get(),
                act.version().get(),
                reply.version().get(),
                retry.version().get(),
                rename.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => inbox_conversation(id, String::new()).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <Loading label="Loading the conversation…"/> }>
            {move || Suspend::new(async move {
                match view.await {
                    Ok(conversation) => view! {
                        <Conversation conversation act reply retry rename draft/>
                    }.into_any(),
                    Err(error) => view! {
                        <Title text="Not found"/>
                        <ErrorPanel error/>
                        <a class=format!("{LINK} mt-3 inline-block text-sm") href="/inbox">"Back to the inbox"</a>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Conversation(
    conversation: ConversationView,
    act: ServerAction<InboxAct>,
    reply: ServerAction<InboxReply>,
    retry: ServerAction<InboxRetry>,
    rename: ServerAction<InboxRename>,
    draft: RwSignal<String>,
) -> impl IntoView {
    let ConversationView {
        id,
        customer,
        customer_number,
        customer_name,
        chatbot_name,
        channel,
        channel_detail,
        status,
        assignee,
        assigned_to_me,
        opted_out_since,
        composer,
        messages,
        earlier_cursor,
    } = conversation;
    let act_error = action_error(act);
    let retry_error = action_error(retry);
    let assignee_text = match (&assignee, assigned_to_me) {
        (_, true) => "Assigned to you".to_owned(),
        (Some(email), false) => format!("Assigned to {email}"),
        (None, false) => "Unassigned".to_owned(),
    };
    let actions: Vec<(StaffAction, &'static str, bool)> = match status {
        ConversationStatus::Bot => vec![
            (StaffAction::TakeOver, "Take over", true),
            (StaffAction::Resolve, "Resolve", false),
        ],
        ConversationStatus::NeedsHuman => vec![
            (StaffAction::TakeOver, "Take over", true),
            (StaffAction::HandBack, "Hand back to the bot", false),
            (StaffAction::Resolve, "Resolve", false),
        ],
        ConversationStatus::Human => {
            let mut actions = Vec::new();
            if !assigned_to_me {
                actions.push((StaffAction::TakeOver, "Take over", true));
            }
            actions.push((StaffAction::HandBack, "Hand back to the bot", false));
            actions.push((StaffAction::Resolve, "Resolve", !assigned_to_me));
            actions
        }
        ConversationStatus::Resolved => vec![(StaffAction::Reopen, "Reopen", true)],
    };
    let pending = act.pending();
    view! {
        <Title text=customer.clone()/>
        <article class="flex flex-col rounded-lg bg-white shadow-sm ring-1 ring-slate-200" aria-labelledby="conversation-heading">
            <header class="border-b border-slate-200 p-4">
                <a class=format!("{LINK} text-sm md:hidden") href="/inbox">"← All conversations"</a>
                <div class="flex flex-wrap items-start justify-between gap-3">
                    <div class="min-w-0">
                        <h2 id="conversation-heading" class="truncate text-xl font-bold" data-testid="conversation-customer">{customer}</h2>
                        <p class="text-sm text-slate-600">
                            {customer_name.is_some().then(|| format!("{customer_number} · "))}
                            {format!("with {chatbot_name}")}
                        </p>
                        <div class="mt-2 flex flex-wrap items-center gap-2 text-xs">
                            <ChannelBadge channel detail=channel_detail/>
                            <span class=format!("rounded-full px-2 py-0.5 font-medium ring-1 ring-inset {}", status_class(status)) data-testid="conversation-status">
                                {status.label()}
                            </span>
                            <span class="text-slate-600" data-testid="conversation-assignee">{assignee_text}</span>
                        </div>
                    </div>
                    <div class="flex flex-wrap gap-2">
                        {actions.into_iter().map(|(action, label, primary)| view! {
                            <ActionForm action=act>
                                <input type="hidden" name="id" value=id.to_string()/>
                                <input type="hidden" name="action" value=action.as_str()/>
                                <button type="submit" class=if primary { BUTTON_PRIMARY } else { BUTTON_SECONDARY } disabled=move || pending.get()>
                                    {label}
                                </button>
                            </ActionForm>
                        }).collect_view()}
                    </div>
                </div>
                <FormError error=act_error/>
                <NameForm id current=customer_name rename/>
                {opted_out_since.map(|since| view! {
                    <p class="mt-3 rounded-md bg-amber-50 p-3 text-sm text-amber-900 ring-1 ring-amber-200" data-testid="opted-out">
                        <strong>"Opted out. "</strong>
                        "The customer texted STOP on " <LocalTime stamp=since/> ". Texts can't be sent to them until they text START."
                    </p>
                })}
            </header>
            <Thread id messages earlier_cursor retry/>
            <FormError error=retry_error/>
            <ComposerForm id composer status channel reply body=draft/>
        </article>
    }
}

#[component]
fn NameForm(id: Uuid, current: Option<String>, rename: ServerAction<InboxRename>) -> impl IntoView {
    let error = field_error(action_error(rename), "name");
    view! {
        <details class="mt-3 text-sm">
            <summary class="cursor-pointer text-slate-700 hover:text-slate-900">
                {if current.is_some() { "Change the customer's name" } else { "Give the customer a name" }}
            </summary>
            <ActionForm action=rename attr:class="mt-2 flex flex-wrap items-end gap-2">
                <input type="hidden" name="id" value=id.to_string()/>
                <div>
                    <label for="customer-name" class="block text-xs font-medium text-slate-700">"Name (blank shows the number)"</label>
                    <input
                        id="customer-name"
                        name="name"
                        maxlength="80"
                        value=current.unwrap_or_default()
                        aria-describedby="customer-name-message"
                        class="mt-1 block rounded-md border border-slate-300 px-2 py-1.5 focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-600"
                    />
                </div>
                <button type="submit" class=BUTTON_SECONDARY>"Save name"</button>
                <p id="customer-name-message" class="w-full text-sm text-red-700" aria-live="polite">{move || error.get()}</p>
            </ActionForm>
        </details>
    }
}

#[component]
fn Thread(
    id: Uuid,
    messages: Vec<ThreadMessage>,
    earlier_cursor: Option<String>,
    retry: ServerAction<InboxRetry>,
) -> impl IntoView {
    let earlier = RwSignal::new(Vec::<ThreadMessage>::new());
    let cursor = RwSignal::new(earlier_cursor);
    let loading = RwSignal::new(false);
    let load_earlier = move |_| {
        let Some(before) = cursor.get_untracked() else {
            return;
        };
        loading.set(true);
        leptos::task::spawn_local(async move {
            if let Ok(page) = inbox_conversation(id, before).await {
                earlier.update(|shown| {
                    let mut older = page.messages;
                    older.append(shown);
                    *shown = older;
                });
                cursor.set(page.earlier_cursor);
            }
            loading.set(false);
        });
    };
    let list = NodeRef::<leptos::html::Ol>::new();
    // Open at the newest message.
    Effect::new(move |_| {
        if let Some(list) = list.get() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    let empty = messages.is_empty();
    view! {
        <div class="px-4 pt-3">
            {move || cursor.get().is_some().then(|| view! {
                <button type="button" class=format!("{BUTTON_SECONDARY} w-full") on:click=load_earlier disabled=move || loading.get()>
                    <Show when=move || loading.get()><Spinner/></Show>
                    "Earlier messages"
                </button>
            })}
        </div>
        <ol
            node_ref=list
            class="max-h-[60vh] min-h-40 space-y-3 overflow-y-auto p-4"
            aria-label="Messages"
            data-testid="thread"
        >
            <For each=move || earlier.get() key=|m| m.id let(message)>
                <Message message retry/>
            </For>
            {messages.into_iter().map(|message| view! { <Message message retry/> }).collect_view()}
        </ol>
        {empty.then(|| view! { <p class="px-4 pb-4 text-center text-sm text-slate-600">"No messages yet."</p> })}
    }
}

#[component]
fn Message(message: ThreadMessage, retry: ServerAction<InboxRetry>) -> impl IntoView {
    let ThreadMessage {
        id,
        kind,
        author,
        body,
        at,
        delivery,
        attachments_dropped,
    } = message;
    if kind == MessageKind::Event {
        return view! {
            <li class="text-center text-xs text-slate-600" data-testid="thread-event">
                <span class="inline-block max-w-prose rounded-md bg-slate-100 px-3 py-1">{body}" · "<LocalTime stamp=at/></span>
            </li>
        }
        .into_any();
    }
    let outbound = kind != MessageKind::Customer;
    let bubble = match kind {
        MessageKind::Customer => "mr-10 bg-slate-100 text-slate-900",
        MessageKind::Teammate => "ml-10 bg-indigo-700 text-white",
        _ => "ml-10 bg-white text-slate-900 ring-1 ring-slate-300",
    };
    let not_sent = delivery
        .as_ref()
        .is_some_and(|d| d.state == DeliveryState::NotSent);
    view! {
        <li class=if outbound { "flex flex-col items-end" } else { "flex flex-col items-start" } data-testid="thread-message">
            <p class="mb-1 text-xs text-slate-600">
                <span class="font-medium text-slate-800">{author}</span>" · "<LocalTime stamp=at/>
            </p>
            <div class=format!("max-w-prose rounded-lg px-3 py-2 text-sm {bubble}")>
                <p class=if not_sent { "whitespace-pre-wrap line-through opacity-80" } else { "whitespace-pre-wrap" }>{body}</p>
            </div>
            {(attachments_dropped > 0).then(|| view! {
                <p class="mt-1 text-xs text-amber-800" data-testid="attachment-dropped">
                    {if attachments_dropped == 1 {
                        "1 attachment not delivered to the bot (MMS isn't supported).".to_owned()
                    } else {
                        format!("{attachments_dropped} attachments not delivered to the bot (MMS isn't supported).")
                    }}
                </p>
            })}
            {delivery.map(|d| {
                let state_class = match d.state {
                    DeliveryState::Delivered => "text-emerald-800",
                    DeliveryState::Undelivered | DeliveryState::Failed => "text-red-700",
                    _ => "text-slate-600",
                };
                // Web chat messages have no segments (0): only their state is shown.
                let cost = match d.segments {
                    0 => String::new(),
                    1 => format!(" · 1 segment · {}", d.encoding),
                    n => format!(" · {n} segments · {}", d.encoding),
                };
                view! {
                    <p class="mt-1 text-xs text-slate-600" data-testid="delivery">
                        <span class=format!("font-semibold {state_class}") data-testid="delivery-state">{d.state.label()}</span>
                        {cost}
                    </p>
                    {d.reason.map(|reason| view! {
                        <p class="mt-0.5 max-w-prose text-right text-xs text-red-800" data-testid="delivery-reason">
                            {reason}
                            {d.error_code.map(|code| format!(" (Twilio error {code})"))}
                            {d.error_link.map(|link| view! {
                                " "
                                <a href=link.as_str().to_owned() target="_blank" rel="noopener noreferrer"
                                    class="underline underline-offset-2 hover:text-red-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 rounded"
                                    data-testid="delivery-more-info">
                                    "What Twilio says about it"
                                </a>
                            })}
                        </p>
                    })}
                    {d.can_retry.then(|| view! {
                        <ActionForm action=retry attr:class="mt-1">
                            <input type="hidden" name="message_id" value=id.to_string()/>
                            <button type="submit" class="text-xs font-semibold text-indigo-700 underline-offset-2 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 rounded">
                                "Send again"
                            </button>
                        </ActionForm>
                    })}
                }
            })}
        </li>
    }
    .into_any()
}

#[component]
fn ComposerForm(
    id: Uuid,
    composer: Composer,
    status: ConversationStatus,
    channel: Channel,
    reply: ServerAction<InboxReply>,
    body: RwSignal<String>,
) -> impl IntoView {
    let error = action_error(reply);
    let body_error = field_error(error, "body");
    let pending = reply.pending();
    let closed = match &composer {
        Composer::Open => None,
        Composer::Closed(reason) => Some(reason.clone()),
    };
    let disabled = closed.is_some();
    let chars = move || body.with(|b| b.trim().chars().count());
    let cost = move || body.with(|b| segments(b.trim()));
    let culprits = move || body.with(|b| ucs2_characters(b.trim()));
    let too_long = move || chars() > StaffReply::MAX_CHARS;
    let hint = match status {
        ConversationStatus::Bot | ConversationStatus::NeedsHuman | ConversationStatus::Resolved => {
            "Sending takes the conversation over from the bot and assigns it to you."
        }
        ConversationStatus::Human if channel == Channel::Web => {
            "Shows up in the visitor's chat window at once."
        }
        ConversationStatus::Human => "Goes out by SMS from the business's number.",
    };
    let sms = channel == Channel::Sms;
    view! {
        <ActionForm action=reply attr:class="border-t border-slate-200 p-4" attr:novalidate=true>
            <input type="hidden" name="id" value=id.to_string()/>
            <label for="reply-body" class="block text-sm font-medium text-slate-800">{if sms { "Reply by SMS" } else { "Reply in the website chat" }}</label>
            {closed.clone().map(|reason| view! {
                <p class="mt-1 text-sm text-amber-900" id="reply-closed" data-testid="composer-closed">{reason}</p>
            })}
            <textarea
                id="reply-body"
                name="body"
                rows="3"
                disabled=disabled
                aria-describedby="reply-count reply-encoding reply-body-message reply-closed"
                aria-invalid=move || too_long().to_string()
                class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-600 disabled:bg-slate-100 aria-[invalid=true]:border-red-600"
                prop:value=move || body.get()
                on:input=move |ev| body.set(event_target_value(&ev))
            ></textarea>
            <div class="mt-1 flex flex-wrap justify-between gap-2 text-xs">
                <p id="reply-count" class=move || if too_long() { "font-semibold text-red-700" } else { "text-slate-600" } data-testid="reply-count" aria-live="polite">
                    {move || {
                        let cost = cost();
                        let segments = if cost.count == 1 { "1 segment".to_owned() } else { format!("{} segments", cost.count) };
                        if sms {
                            format!("{} / {} characters · {segments} · {}", chars(), StaffReply::MAX_CHARS, cost.encoding.as_str())
                        } else {
                            format!("{} / {} characters", chars(), StaffReply::MAX_CHARS)
                        }
                    }}
                </p>
                <p class="text-slate-600">{hint}</p>
            </div>
            <p id="reply-encoding" class="mt-1 text-xs text-amber-900" data-testid="reply-encoding">
                {move || (sms && cost().encoding == Encoding::Ucs2).then(|| {
                    let list: String = culprits().into_iter().map(|c| format!("{c} ")).collect();
                    format!("UCS-2 because of: {}— each segment holds 70 characters instead of 160.", list)
                })}
            </p>
            <p id="reply-body-message" class="mt-1 text-sm text-red-700" aria-live="polite">
                {move || if too_long() {
                    Some(format!("A text can have at most 1,600 characters; this one has {}.", chars()))
                } else {
                    body_error.get()
                }}
            </p>
            <FormError error/>
            <button
                type="submit"
                class=format!("{BUTTON_PRIMARY} mt-2")
                disabled=move || disabled || pending.get() || too_long()
            >
                <Show when=move || pending.get()><Spinner/></Show>
                {move || if pending.get() { "Sending…" } else { "Send reply" }}
            </button>
        </ActionForm>
    }
}
