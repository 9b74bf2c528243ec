//! The inbox: every conversation of the workspace beside the one that is open. Filters live in the
//! address (`?status=needs_human&q=refund`), so a filtered view can be bookmarked and shared.
use crate::components::live::{LiveBadge, use_live};
use crate::components::time::LocalTime;
use crate::components::{EmptyState, ErrorPanel, Loading, Spinner};
use crate::domain::inbox::{Channel, ConversationStatus};
use crate::error::AppError;
use crate::pages::{BUTTON_SECONDARY, LINK};
use crate::server_fns::inbox::{FilterChoices, InboxPage, InboxRow, inbox_list, inbox_options};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::components::Outlet;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use uuid::Uuid;

/// The list's query parameters, in the order the server function takes them.
const FILTERS: [&str; 5] = ["status", "channel", "chatbot", "assignee", "q"];

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Filters {
    status: String,
    channel: String,
    chatbot: String,
    assignee: String,
    q: String,
}

impl Filters {
    fn query(&self) -> String {
        let pairs = [
            ("status", &self.status),
            ("channel", &self.channel),
            ("chatbot", &self.chatbot),
            ("assignee", &self.assignee),
            ("q", &self.q),
        ];
        let mut query = String::new();
        for (key, value) in pairs {
            if value.is_empty() {
                continue;
            }
            query.push(if query.is_empty() { '?' } else { '&' });
            query.push_str(key);
            query.push('=');
            query.push_str(&encode(value));
        }
        query
    }

    fn is_filtered(&self) -> bool {
        *self != Self::default()
    }
}

/// Percent-encodes a query value (the browser build has no URL crate of its own).
fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn use_filters() -> Memo<Filters> {
    let query = use_query_map();
    Memo::new(move |_| {
        query.with(|q| {
            let get = |key: &str| q.get(key).unwrap_or_default();
            Filters {
                status: get(FILTERS[0]),
                channel: get(FILTERS[1]),
                chatbot: get(FILTERS[2]),
                assignee: get(FILTERS[3]),
                q: get(FILTERS[4]),
            }
        })
    })
}

/// The two panes: the list, and the open conversation (or a hint to open one). On a phone only one
/// shows at a time.
#[component]
pub fn InboxLayout() -> impl IntoView {
    let location = use_location();
    let open = Memo::new(move |_| location.pathname.get().trim_end_matches('/') != "/inbox");
    view! {
        <Title text="Inbox"/>
        <div class="grid gap-4 md:grid-cols-[minmax(18rem,24rem)_1fr]">
            <section
                aria-labelledby="inbox-heading"
                class=move || if open.get() { "hidden md:block" } else { "block" }
            >
                <ConversationList/>
            </section>
            <section
                aria-label="Conversation"
                class=move || if open.get() { "block min-w-0" } else { "hidden md:block min-w-0" }
            >
                <Outlet/>
            </section>
        </div>
    }
}

/// What the right pane shows before a conversation is opened.
#[component]
pub fn NoConversationOpen() -> impl IntoView {
    view! {
        <div class="hidden rounded-lg border border-dashed border-slate-300 bg-white p-10 text-center text-slate-600 md:block">
            <p class="font-medium text-slate-800">"Pick a conversation"</p>
            <p class="mt-1 text-sm">
                "Choose one on the left (Tab or the arrow keys, then Enter) to read it, take it over and reply."
            </p>
        </div>
    }
}

#[component]
fn ConversationList() -> impl IntoView {
    let filters = use_filters();
    let live = use_live().any();
    let options = Resource::new(|| (), |_| inbox_options());
    let first = Resource::new(
        move || (filters.get(), live.get()),
        |(f, _)| {
            inbox_list(
                f.status,
                f.channel,
                f.chatbot,
                f.assignee,
                f.q,
                String::new(),
            )
        },
    );
    // Older pages, loaded on request; a new filter starts over.
    let older = RwSignal::new(Vec::<InboxRow>::new());
    let older_cursor = RwSignal::new(None::<Option<String>>);
    let loading_older = RwSignal::new(false);
    Effect::new(move |_| {
        filters.track();
        older.set(Vec::new());
        older_cursor.set(None);
    });
    let load_older = move |cursor: String| {
        let f = filters.get_untracked();
        loading_older.set(true);
        leptos::task::spawn_local(async move {
            if let Ok(page) =
                inbox_list(f.status, f.channel, f.chatbot, f.assignee, f.q, cursor).await
            {
                older.update(|rows| rows.extend(page.rows));
                older_cursor.set(Some(page.next_cursor));
            }
            loading_older.set(false);
        });
    };
    view! {
        <div class="flex items-center justify-between gap-2">
            <h1 id="inbox-heading" class="text-2xl font-bold">"Inbox"</h1>
            <LiveBadge/>
        </div>
        <FilterBar filters options/>
        <Transition fallback=|| view! { <Loading label="Loading conversations…"/> }>
            {move || Suspend::new(async move {
                match first.await {
                    Ok(page) => view! {
                        <Rows page filters older older_cursor loading_older load_older/>
                    }.into_any(),
                    // A search or filter the server refused: say why beside the filters.
                    Err(AppError::Invalid { message, .. }) => view! {
                        <p class="mt-4 rounded-md bg-amber-50 p-3 text-sm text-amber-900" role="alert" data-testid="filter-error">
                            {message}
                        </p>
                    }.into_any(),
                    Err(error) => view! { <div class="mt-4"><ErrorPanel error/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Rows(
    page: InboxPage,
    filters: Memo<Filters>,
    older: RwSignal<Vec<InboxRow>>,
    older_cursor: RwSignal<Option<Option<String>>>,
    loading_older: RwSignal<bool>,
    load_older: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let InboxPage { rows, next_cursor } = page;
    if rows.is_empty() {
        return if filters.get_untracked().is_filtered() {
            view! {
                <div class="mt-4">
                    <EmptyState title="No conversations match">
                        <a class=LINK href="/inbox">"Clear the filters"</a>
                    </EmptyState>
                </div>
            }
            .into_any()
        } else {
            view! {
                <div class="mt-4">
                    <EmptyState title="No conversations yet">
                        "When a customer texts a connected number, the conversation shows up here at once."
                    </EmptyState>
                </div>
            }
            .into_any()
        };
    }
    let location = use_location();
    let current = Memo::new(move |_| {
        location
            .pathname
            .get()
            .strip_prefix("/inbox/")
            .and_then(|id| Uuid::parse_str(id).ok())
    });
    // A conversation that moved up since an older page was loaded shows once, at its new place.
    let on_first: std::collections::HashSet<Uuid> = rows.iter().map(|row| row.id).collect();
    let older_rows = move || {
        older
            .get()
            .into_iter()
            .filter(|row| !on_first.contains(&row.id))
            .collect::<Vec<_>>()
    };
    let cursor = Signal::derive(move || match older_cursor.get() {
        Some(next) => next,
        None => next_cursor.clone(),
    });
    view! {
        <ul
            class="mt-4 divide-y divide-slate-200 overflow-hidden rounded-lg bg-white shadow-sm ring-1 ring-slate-200"
            aria-label="Conversations"
            data-testid="conversation-list"
            on:keydown=move_focus
        >
            {rows.into_iter().map(|row| view! { <Row row filters current/> }).collect_view()}
            <For each=older_rows key=|row| row.id let(row)>
                <Row row filters current/>
            </For>
        </ul>
        {move || cursor.get().map(|next| view! {
            <button
                type="button"
                class=format!("{BUTTON_SECONDARY} mt-3 w-full")
                disabled=move || loading_older.get()
                on:click=move |_| load_older(next.clone())
            >
                <Show when=move || loading_older.get()><Spinner/></Show>
                "Older conversations"
            </button>
        })}
    }
    .into_any()
}

/// Arrow keys (and j / k) move between the rows' links.
fn move_focus(event: leptos::ev::KeyboardEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let forward = match event.key().as_str() {
            "ArrowDown" | "j" => true,
            "ArrowUp" | "k" => false,
            _ => return,
        };
        let Some(row) = document()
            .active_element()
            .and_then(|active| active.closest("li").ok().flatten())
        else {
            return;
        };
        let next = if forward {
            row.next_element_sibling()
        } else {
            row.previous_element_sibling()
        };
        if let Some(link) = next
            .and_then(|li| li.query_selector("a").ok().flatten())
            .and_then(|a| a.dyn_into::<web_sys::HtmlElement>().ok())
        {
            event.prevent_default();
            let _ = link.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = event;
}

pub(crate) fn status_class(status: ConversationStatus) -> &'static str {
    match status {
        ConversationStatus::Bot => "bg-slate-100 text-slate-700 ring-slate-300",
        ConversationStatus::NeedsHuman => "bg-amber-100 text-amber-900 ring-amber-300",
        ConversationStatus::Human => "bg-indigo-100 text-indigo-900 ring-indigo-300",
        ConversationStatus::Resolved => "bg-emerald-100 text-emerald-900 ring-emerald-300",
    }
}

/// The channel badge: "SMS" (and the number's friendly name) or "Web".
#[component]
pub(crate) fn ChannelBadge(channel: Channel, detail: Option<String>) -> impl IntoView {
    let color = match channel {
        Channel::Sms => "bg-sky-100 text-sky-900 ring-sky-300",
        Channel::Web => "bg-violet-100 text-violet-900 ring-violet-300",
    };
    view! {
        <span class="inline-flex min-w-0 items-center gap-1 text-xs text-slate-600" data-testid="channel-badge">
            <span class=format!("rounded px-1.5 py-0.5 text-[11px] font-semibold ring-1 ring-inset {color}")>
                {channel.label()}
            </span>
            {detail.map(|d| view! { <span class="truncate">{d}</span> })}
        </span>
    }
}

#[component]
fn Row(row: InboxRow, filters: Memo<Filters>, current: Memo<Option<Uuid>>) -> impl IntoView {
    let id = row.id;
    let href = move || format!("/inbox/{id}{}", filters.get().query());
    let unread = row.unread;
    view! {
        <li>
            <a
                href=href
                aria-current=move || (current.get() == Some(id)).then_some("page")
                data-testid="conversation-row"
                class="block px-4 py-3 hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-indigo-600 aria-[current=page]:bg-indigo-50"
            >
                <div class="flex items-baseline justify-between gap-2">
                    <span class=if unread { "truncate font-bold text-slate-900" } else { "truncate font-medium text-slate-800" }>
                        <Show when=move || unread>
                            <span class="mr-1.5 inline-block h-2 w-2 rounded-full bg-indigo-700 align-middle" aria-hidden="true"></span>
                            <span class="sr-only">"Unread: "</span>
                        </Show>
                        {row.customer.clone()}
                    </span>
                    <span class="shrink-0 text-xs text-slate-600"><LocalTime stamp=row.last_at.clone()/></span>
                </div>
                <div class="mt-1 flex items-center gap-2">
                    <ChannelBadge channel=row.channel detail=row.channel_detail.clone()/>
                    <span class="truncate text-xs text-slate-600">{format!("· {}", row.chatbot_name)}</span>
                </div>
                <p class="mt-1 truncate text-sm text-slate-700">{row.preview.clone()}</p>
                <div class="mt-1.5 flex flex-wrap items-center gap-2 text-xs">
                    <span class=format!("rounded-full px-2 py-0.5 font-medium ring-1 ring-inset {}", status_class(row.status)) data-testid="row-status">
                        {row.status.label()}
                    </span>
                    <span class="text-slate-600">
                        {row.assignee.clone().map_or_else(|| "Unassigned".to_owned(), |a| format!("Assigned to {a}"))}
                    </span>
                </div>
            </a>
        </li>
    }
}

#[component]
fn FilterBar(
    filters: Memo<Filters>,
    options: Resource<Result<FilterChoices, AppError>>,
) -> impl IntoView {
    let navigate = use_navigate();
    let go = Callback::new(move |f: Filters| {
        navigate(&format!("/inbox{}", f.query()), NavigateOptions::default())
    });
    let set = {
        move |key: &'static str, value: String| {
            let mut f = filters.get_untracked();
            match key {
                "status" => f.status = value,
                "channel" => f.channel = value,
                "chatbot" => f.chatbot = value,
                "assignee" => f.assignee = value,
                _ => f.q = value,
            }
            go.run(f);
        }
    };
    let search = RwSignal::new(filters.get_untracked().q);
    Effect::new(move |_| search.set(filters.get().q));
    let select = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-600";
    let label = "block text-xs font-medium text-slate-700";
    let status_options = std::iter::once(("".to_owned(), "Any status".to_owned()))
        .chain(ConversationStatus::ALL.map(|s| (s.as_str().to_owned(), s.label().to_owned())))
        .collect::<Vec<_>>();
    let channel_options = std::iter::once(("".to_owned(), "Any channel".to_owned()))
        .chain(Channel::ALL.map(|c| (c.as_str().to_owned(), c.label().to_owned())))
        .collect::<Vec<_>>();
    let (on_status, on_channel, on_chatbot, on_assignee) = (set, set, set, set);
    view! {
        <form
            method="get"
            action="/inbox"
            role="search"
            class="mt-3 space-y-2"
            on:submit=move |ev| {
                ev.prevent_default();
                let mut f = filters.get_untracked();
                f.q = search.get_untracked();
                go.run(f);
            }
        >
            <div class="flex gap-2">
                <label for="inbox-search" class="sr-only">"Search by phone number, name or message"</label>
                <input
                    id="inbox-search"
                    name="q"
                    type="search"
                    placeholder="Search number, name or message"
                    class="block w-full rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-600"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
                <button type="submit" class="rounded-md bg-indigo-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 focus-visible:ring-offset-2">
                    "Search"
                </button>
            </div>
            <div class="grid grid-cols-2 gap-2">
                <div>
                    <label for="filter-status" class=label>"Status"</label>
                    <select id="filter-status" name="status" class=select on:change=move |ev| on_status("status", event_target_value(&ev))>
                        {status_options.into_iter().map(|(value, text)| {
                            let selected = value.clone();
                            view! { <option value=value selected=move || filters.get().status == selected>{text}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div>
                    <label for="filter-channel" class=label>"Channel"</label>
                    <select id="filter-channel" name="channel" class=select on:change=move |ev| on_channel("channel", event_target_value(&ev))>
                        {channel_options.into_iter().map(|(value, text)| {
                            let selected = value.clone();
                            view! { <option value=value selected=move || filters.get().channel == selected>{text}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let options = options.await.unwrap_or(FilterChoices { chatbots: Vec::new(), teammates: Vec::new() });
                        view! {
                            <div>
                                <label for="filter-chatbot" class=label>"Chatbot"</label>
                                <select id="filter-chatbot" name="chatbot" class=select on:change=move |ev| on_chatbot("chatbot", event_target_value(&ev))>
                                    <option value="" selected=move || filters.get().chatbot.is_empty()>"Any chatbot"</option>
                                    {options.chatbots.into_iter().map(|(id, name)| {
                                        let value = id.to_string();
                                        let selected = value.clone();
                                        view! { <option value=value selected=move || filters.get().chatbot == selected>{name}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                            <div>
                                <label for="filter-assignee" class=label>"Assignee"</label>
                                <select id="filter-assignee" name="assignee" class=select on:change=move |ev| on_assignee("assignee", event_target_value(&ev))>
                                    <option value="" selected=move || filters.get().assignee.is_empty()>"Anyone"</option>
                                    <option value="me" selected=move || filters.get().assignee == "me">"Me"</option>
                                    <option value="none" selected=move || filters.get().assignee == "none">"Unassigned"</option>
                                    {options.teammates.into_iter().map(|(id, email)| {
                                        let value = id.to_string();
                                        let selected = value.clone();
                                        view! { <option value=value selected=move || filters.get().assignee == selected>{email}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                        }
                    })}
                </Suspense>
            </div>
            <noscript>
                <button type="submit" class=BUTTON_SECONDARY>"Apply filters"</button>
            </noscript>
        </form>
    }
}
