//! Chatbots → a chatbot → Integrations → Channels → SMS (Twilio): connect the business's own Twilio
//! account and number, see the webhook URL to paste into Twilio, edit, disconnect.
use crate::components::CopyField;
use crate::components::chatbot_header::{ChatbotHeader, chatbot_id_param};
use crate::components::fields::{focus_field_at_fault, rules};
use crate::components::{
    ErrorPanel, FormError, Loading, PasswordField, Spinner, TextField, error_title,
};
use crate::error::AppError;
use crate::pages::knowledge::reply_length_label;
use crate::pages::{
    BUTTON_DANGER, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK, SaveButton, action_error, field_error,
};
use crate::server_fns::knowledge::{ChatbotKnowledge, get_chatbot_knowledge};
use crate::server_fns::sms::{
    ConfigureSmsWebhook, ConnectSms, DemoCredentials, DisconnectSms, SetSmsDailyBudget,
    SmsConnectionView, SmsSettings, UpdateSms, WebhookCheck, check_sms_webhook, get_sms_settings,
};
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

#[component]
pub fn SmsPage() -> impl IntoView {
    let id = chatbot_id_param();
    let connect = ServerAction::<ConnectSms>::new();
    let update = ServerAction::<UpdateSms>::new();
    let disconnect = ServerAction::<DisconnectSms>::new();
    let budget = ServerAction::<SetSmsDailyBudget>::new();
    // Read again only after a change was saved: a refused submit keeps the form as it was typed.
    let saved = |version: RwSignal<usize>, ok: bool| ok.then(|| version.get());
    let settings = Resource::new_blocking(
        move || {
            (
                id.get(),
                saved(connect.version(), succeeded(connect)),
                saved(update.version(), succeeded(update)),
                saved(disconnect.version(), succeeded(disconnect)),
                saved(budget.version(), succeeded(budget)),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_sms_settings(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let disconnected = Signal::derive(move || matches!(disconnect.value().get(), Some(Ok(()))));
    // Made here, outside the Suspense, so hydration finds the server's answer (see chatbot.rs).
    let knowledge = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_chatbot_knowledge(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(settings) => view! {
                        <SmsSettingsView settings connect update disconnect budget disconnected knowledge/>
                    }.into_any(),
                    Err(error) => view! { <Title text=error_title(&error)/><ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Whether an action's last run succeeded.
fn succeeded<S>(action: ServerAction<S>) -> bool
where
    S: leptos::server_fn::ServerFn<Output = (), Error = AppError> + Send + Sync + Clone + 'static,
{
    action.value().with(|last| matches!(last, Some(Ok(()))))
}

#[component]
fn SmsSettingsView(
    settings: SmsSettings,
    connect: ServerAction<ConnectSms>,
    update: ServerAction<UpdateSms>,
    disconnect: ServerAction<DisconnectSms>,
    budget: ServerAction<SetSmsDailyBudget>,
    disconnected: Signal<bool>,
    knowledge: Resource<Result<ChatbotKnowledge, AppError>>,
) -> impl IntoView {
    let SmsSettings {
        chatbot_id,
        chatbot_name,
        plan_allows,
        daily_segment_budget,
        segments_today,
        webhook_url,
        webhook_warning,
        connection,
        demo,
    } = settings;
    let body = match (connection, plan_allows) {
        (Some(connection), _) => view! {
            {(!plan_allows).then(|| view! {
                <div class="mt-4 rounded-md border border-amber-200 bg-amber-50 p-4 text-sm text-amber-900" role="status" data-testid="plan-stopped">
                    <p class="font-semibold">"The chatbot no longer answers texts"</p>
                    <p class="mt-1">"SMS is part of the Starter plan and above, and this workspace is below it now. Texts still arrive and wait in the inbox, where a person can answer them; upgrade to have the chatbot answer again."</p>
                </div>
            })}
            <Connected chatbot_id connection webhook_url webhook_warning update disconnect local_mode=demo.is_some() knowledge/>
            <Show when=move || plan_allows>
                <DailyBudgetPanel chatbot_id budget daily_segment_budget segments_today/>
            </Show>
        }
        .into_any(),
        (None, false) => view! { <UpgradeNotice/> }.into_any(),
        (None, true) => view! { <ConnectForm chatbot_id connect demo/> }.into_any(),
    };
    view! {
        <Title text=format!("SMS (Twilio) · {chatbot_name}")/>
        <ChatbotHeader id=chatbot_id name=chatbot_name current="integrations"/>
        <nav aria-label="Integration" class="mt-4 text-sm text-slate-600">
            <a class=LINK href=format!("/chatbots/{chatbot_id}/integrations/channels")>"Channels"</a>
            <span aria-hidden="true">" / "</span>
            <span class="font-medium text-slate-800">"SMS (Twilio)"</span>
        </nav>
        <section aria-labelledby="sms-heading" class="mt-4 max-w-3xl">
            <h2 id="sms-heading" class="text-lg font-semibold">"SMS (Twilio)"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Your customers text your own Twilio number; this chatbot answers from it, with the same instructions as on your website."
            </p>
            <Show when=move || disconnected.get()>
                <div class="mt-4 rounded-md bg-amber-50 p-4 text-sm text-amber-900" role="status">
                    <p class="font-semibold">"Twilio disconnected. Your credentials are deleted."</p>
                    <p class="mt-1">
                        "Also remove the webhook URL in Twilio Console (Phone Numbers → Manage → Active numbers → your number → Messaging Configuration → “A message comes in”), or Twilio will keep sending messages here."
                    </p>
                </div>
            </Show>
            {body}
            <BillingAndPrivacy/>
        </section>
    }
}

/// The workspace's daily SMS segment budget: what today used of it, and a form to change it.
#[component]
fn DailyBudgetPanel(
    chatbot_id: Uuid,
    budget: ServerAction<SetSmsDailyBudget>,
    daily_segment_budget: u32,
    segments_today: u64,
) -> impl IntoView {
    let error = action_error(budget);
    let pending = budget.pending();
    let saved = Signal::derive(move || matches!(budget.value().get(), Some(Ok(()))));
    focus_field_at_fault(budget);
    let spent = segments_today >= u64::from(daily_segment_budget);
    view! {
        <div class="mt-6 rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h3 class="font-semibold">"Daily SMS budget"</h3>
            <p class="mt-1 text-sm text-slate-600">
                "The most SMS segments the chatbots of this workspace send in a day (UTC). Once it is spent, the bot stops answering texts until midnight UTC; texts still arrive in the inbox."
            </p>
            <p class=if spent { "mt-3 text-sm font-semibold text-red-800" } else { "mt-3 text-sm text-slate-800" } data-testid="segments-today">
                {format!("Today: {segments_today} of {daily_segment_budget} segments")}
                {spent.then_some(" — spent: the bot is not answering texts today.")}
            </p>
            <ActionForm action=budget attr:class="mt-4 flex flex-wrap items-end gap-3" attr:novalidate=true>
                <input type="hidden" name="chatbot_id" value=chatbot_id.to_string()/>
                <div class="w-48">
                    <TextField
                        label="Segments per day"
                        name="budget"
                        input_type="text"
                        autocomplete="off"
                        initial=daily_segment_budget.to_string()
                        server_error=field_error(error, "budget")
                    />
                </div>
                <div class="mb-6">
                    <SaveButton pending saved label="Save budget"/>
                </div>
            </ActionForm>
        </div>
    }
}

/// What connecting SMS means for money and for the customers' data, in the product's words.
#[component]
fn BillingAndPrivacy() -> impl IntoView {
    view! {
        <section aria-labelledby="sms-terms-heading" class="mt-6 rounded-lg bg-white p-6 text-sm text-slate-700 shadow-sm ring-1 ring-slate-200" data-testid="sms-terms">
            <h3 id="sms-terms-heading" class="font-semibold text-slate-900">"Costs, privacy and what SMS can carry"</h3>
            <ul class="mt-2 list-disc space-y-1 pl-5">
                <li>
                    "Twilio bills your own Twilio account for every text, per segment: up to 160 characters, or 70 when a text has emoji or other characters outside the basic SMS alphabet; longer texts travel as several segments of 153 (or 67). Viesti doesn't charge for texts and doesn't pass Twilio's charges on."
                </li>
                <li>
                    "While SMS is connected, Twilio processes the content of your customers' texts and the chatbot's replies as a sub-processor, to carry them between phones and Viesti. Disconnecting ends that."
                </li>
                <li>
                    "Pictures and other attachments (MMS) don't reach the chatbot: it reads only the text, the inbox shows that an attachment wasn't delivered, and replies are text only."
                </li>
                <li>
                    "Disconnect deletes the stored Account SID and Auth Token at once. Conversations stay in the inbox; Twilio keeps its own message logs under your account."
                </li>
            </ul>
        </section>
    }
}

#[component]
fn UpgradeNotice() -> impl IntoView {
    view! {
        <div class="mt-4 rounded-md border border-amber-200 bg-amber-50 p-4 text-sm text-amber-900" role="status">
            <p class="font-semibold">"SMS is part of the Starter plan"</p>
            <p class="mt-1">"Upgrade your workspace to Starter or Pro to answer your customers' text messages."</p>
        </div>
    }
}

#[component]
fn ConnectForm(
    chatbot_id: Uuid,
    connect: ServerAction<ConnectSms>,
    demo: Option<DemoCredentials>,
) -> impl IntoView {
    let error = action_error(connect);
    let pending = connect.pending();
    focus_field_at_fault(connect);
    view! {
        {demo.map(|demo| view! {
            <aside class="mt-4 rounded-md border border-indigo-200 bg-indigo-50 p-4 text-sm text-indigo-950" aria-labelledby="demo-heading">
                <h3 id="demo-heading" class="font-semibold">"No Twilio account? Use the built-in demo"</h3>
                <p class="mt-1">"This local server runs a Twilio emulator. Connect with its demo account:"</p>
                <dl class="mt-2 grid gap-x-4 gap-y-1 font-mono sm:grid-cols-[auto_1fr]">
                    <dt class="font-sans text-indigo-900">"Account SID"</dt><dd data-testid="demo-sid" class="break-all">{demo.account_sid}</dd>
                    <dt class="font-sans text-indigo-900">"Auth Token"</dt><dd data-testid="demo-token" class="break-all">{demo.auth_token}</dd>
                    <dt class="font-sans text-indigo-900">"Number"</dt><dd data-testid="demo-number">{demo.phone_number}</dd>
                </dl>
            </aside>
        })}
        <div class="mt-4 rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h3 class="font-semibold">"Connect your Twilio account"</h3>
            <p class="mt-1 text-sm text-slate-600">
                "Find the Account SID and Auth Token in Twilio Console under Account info. We check them with Twilio before anything is saved, and store them encrypted."
            </p>
            <ActionForm action=connect attr:class="mt-4 space-y-4" attr:novalidate=true>
                <input type="hidden" name="chatbot_id" value=chatbot_id.to_string()/>
                <TextField
                    label="Account SID"
                    name="account_sid"
                    autocomplete="off"
                    rule=rules::account_sid
                    server_error=field_error(error, "account_sid")
                    hint="AC followed by 32 characters"
                />
                <PasswordField
                    label="Auth Token"
                    name="auth_token"
                    autocomplete="off"
                    what="token"
                    rule=rules::auth_token
                    server_error=field_error(error, "auth_token")
                    conceal_on=connect.version()
                />
                <TextField
                    label="Twilio phone number"
                    name="phone_number"
                    input_type="tel"
                    autocomplete="off"
                    rule=rules::phone_number
                    server_error=field_error(error, "phone_number")
                    hint="International format, like +358401234567"
                />
                <TextField
                    label="Friendly name (optional)"
                    name="friendly_name"
                    autocomplete="off"
                    rule=rules::friendly_name
                    server_error=field_error(error, "friendly_name")
                    hint="For example: Product support"
                />
                <FormError error/>
                <button type="submit" class=BUTTON_PRIMARY disabled=pending aria-busy=move || pending.get().to_string()>
                    <Show when=move || pending.get()><Spinner/></Show>
                    {move || if pending.get() { "Checking with Twilio…" } else { "Connect Twilio" }}
                </button>
            </ActionForm>
        </div>
    }
}

#[component]
fn Connected(
    chatbot_id: Uuid,
    connection: SmsConnectionView,
    webhook_url: String,
    webhook_warning: Option<String>,
    update: ServerAction<UpdateSms>,
    disconnect: ServerAction<DisconnectSms>,
    local_mode: bool,
    knowledge: Resource<Result<ChatbotKnowledge, AppError>>,
) -> impl IntoView {
    let configure = ServerAction::<ConfigureSmsWebhook>::new();
    let check = Resource::new(
        move || configure.version().get(),
        move |_| check_sms_webhook(chatbot_id),
    );
    let SmsConnectionView {
        phone_number,
        friendly_name,
        account_sid,
        auth_token_masked,
        connected_at,
        trial,
    } = connection;
    // US and Canadian numbers share +1; both need the carriers' registration for business texts.
    let north_american = phone_number.starts_with("+1");
    let row = "grid gap-1 py-3 sm:grid-cols-3";
    view! {
        <div class="mt-4 rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <div class="flex flex-wrap items-center gap-3">
                <h3 class="font-semibold">{friendly_name.clone().unwrap_or_else(|| "Connected number".to_owned())}</h3>
                <span class="rounded-full bg-green-100 px-2.5 py-0.5 text-xs font-medium text-green-900">"Connected"</span>
            </div>
            <dl class="mt-2 divide-y divide-slate-100 text-sm">
                <div class=row>
                    <dt class="text-slate-600">"Twilio number"</dt>
                    <dd class="font-mono sm:col-span-2" data-testid="sms-number">{phone_number.clone()}</dd>
                </div>
                <div class=row>
                    <dt class="text-slate-600">"Account SID"</dt>
                    <dd class="break-all font-mono sm:col-span-2">{account_sid}</dd>
                </div>
                <div class=row>
                    <dt class="text-slate-600">"Auth Token"</dt>
                    <dd class="font-mono sm:col-span-2" data-testid="sms-token">{auth_token_masked}</dd>
                </div>
                <div class=row>
                    <dt class="text-slate-600">"Connected since"</dt>
                    <dd class="sm:col-span-2"><time datetime=connected_at.clone()>{connected_at.replace('T', " ").replace('Z', " UTC")}</time></dd>
                </div>
            </dl>
            {trial.then(|| view! {
                <div class="mt-3 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" role="note" data-testid="trial-notice">
                    <p class="font-semibold">"This is a Twilio trial account"</p>
                    <p class="mt-1">
                        "Until you upgrade it in Twilio Console, replies reach only the phone numbers verified on the account (Verified Caller IDs), and Twilio adds a trial notice to each. Texts to other numbers fail with Twilio error 21608. "
                        <a class=LINK href="https://www.twilio.com/docs/messaging/guides/how-to-use-your-free-trial-account" target="_blank" rel="noopener noreferrer">"Twilio's trial limits"</a>
                    </p>
                </div>
            })}
            {north_american.then(|| view! {
                <div class="mt-3 rounded-md border border-amber-200 bg-amber-50 p-3 text-sm text-amber-900" role="note" data-testid="a2p-notice">
                    <p class="font-semibold">"US and Canadian numbers need registration"</p>
                    <p class="mt-1">
                        "Carriers block business texts from a US 10-digit number that isn't registered for A2P 10DLC (Twilio error 30034); a toll-free number needs toll-free verification instead. Register the number in Twilio Console before customers text it. "
                        <a class=LINK href="https://help.twilio.com/articles/1260800720410-What-is-A2P-10DLC-" target="_blank" rel="noopener noreferrer">"What A2P 10DLC is"</a>
                    </p>
                </div>
            })}
        </div>

        <WebhookPanel chatbot_id webhook_url webhook_warning phone_number check configure/>
        <HowTextsAreAnswered chatbot_id knowledge/>

        <Show when=move || local_mode>
            <p class="mt-6 rounded-md bg-indigo-50 p-4 text-sm text-indigo-950">
                "Try it without a phone: "
                <a class=LINK href=format!("/chatbots/{chatbot_id}/integrations/channels/sms/simulator")>"open the phone simulator"</a>
                " and text your number through the built-in Twilio emulator."
            </p>
        </Show>

        <EditForm chatbot_id friendly_name update/>
        <DisconnectPanel chatbot_id disconnect/>
    }
}

#[component]
fn WebhookPanel(
    chatbot_id: Uuid,
    webhook_url: String,
    webhook_warning: Option<String>,
    phone_number: String,
    check: Resource<Result<WebhookCheck, AppError>>,
    configure: ServerAction<ConfigureSmsWebhook>,
) -> impl IntoView {
    let configure_error = action_error(configure);
    let configuring = configure.pending();
    view! {
        <div class="mt-6 rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h3 class="font-semibold">"Send incoming messages to Viesti"</h3>
            <p class="mt-1 text-sm text-slate-600">
                "Twilio must send the messages your number receives to this address, with HTTP POST."
            </p>
            <label for="webhook-url" class="mt-4 block text-sm font-medium text-slate-800">"Webhook URL (HTTP POST)"</label>
            <CopyField id="webhook-url" value=webhook_url.clone() announce="Webhook URL copied" background="bg-slate-50"/>
            {webhook_warning.map(|warning| view! {
                <p class="mt-2 rounded-md bg-amber-50 p-3 text-sm text-amber-900" role="note" data-testid="webhook-warning">
                    <span class="font-semibold">"Twilio can't use this URL. "</span>
                    {warning}
                </p>
            })}
            <ol class="mt-4 list-decimal space-y-1 pl-5 text-sm text-slate-700">
                <li>"In Twilio Console, open Phone Numbers → Manage → Active numbers."</li>
                <li>{format!("Click {phone_number}, then go to Messaging Configuration.")}</li>
                <li>"Under “A message comes in”, choose Webhook, paste the URL above and pick HTTP POST."</li>
                <li>"Save. Text your number to try it."</li>
            </ol>
            <div class="mt-4" aria-live="polite">
                <Suspense fallback=|| view! { <p class="text-sm text-slate-600">"Checking your number's webhook with Twilio…"</p> }>
                    {move || Suspend::new(async move {
                        match check.await {
                            Ok(WebhookCheck::PointsHere) => view! {
                                <p class="text-sm text-green-800" data-testid="webhook-check">"✓ Twilio sends this number's messages here."</p>
                            }.into_any(),
                            Ok(WebhookCheck::NotSet) => view! {
                                <p class="rounded-md bg-amber-50 p-3 text-sm text-amber-900" data-testid="webhook-check">
                                    "This number has no webhook for incoming messages yet, so texts won't reach your chatbot."
                                </p>
                            }.into_any(),
                            Ok(WebhookCheck::PointsElsewhere { url }) => view! {
                                <p class="rounded-md bg-amber-50 p-3 text-sm text-amber-900" data-testid="webhook-check">
                                    "Warning: this number currently sends incoming messages to "
                                    <span class="break-all font-mono">{url}</span>
                                    ", not to Viesti."
                                </p>
                            }.into_any(),
                            Ok(WebhookCheck::UsesApplication) => view! {
                                <p class="rounded-md bg-amber-50 p-3 text-sm text-amber-900" data-testid="webhook-check">
                                    "Warning: a TwiML app handles this number's messages, so Twilio ignores the webhook URL. Remove the app from the number in Twilio Console."
                                </p>
                            }.into_any(),
                            Ok(WebhookCheck::Unknown) | Err(_) => view! {
                                <p class="text-sm text-slate-600" data-testid="webhook-check">"Couldn't check the number's webhook with Twilio just now."</p>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
            <ActionForm action=configure attr:class="mt-4">
                <input type="hidden" name="chatbot_id" value=chatbot_id.to_string()/>
                <button type="submit" class=BUTTON_SECONDARY disabled=configuring>
                    <Show when=move || configuring.get()><Spinner/></Show>
                    {move || if configuring.get() { "Configuring Twilio…" } else { "Configure Twilio for me" }}
                </button>
            </ActionForm>
            <FormError error=configure_error/>
        </div>
    }
}

/// What answers a text: the same agent as the website chat, with this chatbot's prompt and
/// knowledge bases, in plain text within the chatbot's segment budget.
#[component]
fn HowTextsAreAnswered(
    chatbot_id: Uuid,
    knowledge: Resource<Result<ChatbotKnowledge, AppError>>,
) -> impl IntoView {
    view! {
        <div class="mt-6 rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200" data-testid="sms-agent">
            <h3 class="font-semibold">"How texts are answered"</h3>
            <Suspense fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match knowledge.await {
                        Ok(knowledge) => view! { <AgentSummary chatbot_id knowledge/> }.into_any(),
                        Err(error) => view! { <div class="mt-2"><FormError error=Some(error)/></div> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn AgentSummary(chatbot_id: Uuid, knowledge: ChatbotKnowledge) -> impl IntoView {
    let ChatbotKnowledge {
        bases,
        reply_segments,
        uses_model,
    } = knowledge;
    let linked: Vec<(Uuid, String)> = bases
        .into_iter()
        .filter(|(_, _, on)| *on)
        .map(|(id, name, _)| (id, name))
        .collect();
    let settings = format!("/chatbots/{chatbot_id}");
    let prompt_link = view! { <a class=LINK href=settings.clone()>"system prompt"</a> };
    let bases_view = if linked.is_empty() {
        view! {
            <p class="mt-2 rounded-md bg-amber-50 p-3 text-amber-900" data-testid="sms-no-knowledge">
                "This chatbot has no knowledge base yet — without one, every question goes to a person. "
                <a class=LINK href=format!("{settings}#knowledge")>"Choose or create a knowledge base"</a>
                "."
            </p>
        }
        .into_any()
    } else {
        let count = linked.len();
        view! {
            <p class="mt-2">
                {if count == 1 { "It answers from this knowledge base: " } else { "It answers from these knowledge bases: " }}
                {linked.into_iter().enumerate().map(|(i, (id, name))| view! {
                    {(i > 0).then_some(if i + 1 == count { " and " } else { ", " })}
                    <a class=LINK href=format!("/knowledge/{id}")>{name}</a>
                }).collect_view()}
                ". When they hold no answer, the conversation goes to a person in the inbox."
            </p>
        }
        .into_any()
    };
    view! {
        <div class="mt-1 text-sm text-slate-700">
            <p>
                "Texts to this number are answered by the same agent as your website chat. "
                {if uses_model {
                    view! { "It follows this chatbot's " {prompt_link} "." }.into_any()
                } else {
                    view! {
                        "No language model is configured on this server, so a reply quotes the best-matching passage of a knowledge base; the chatbot's "
                        {prompt_link}
                        " is used once a model is configured."
                    }.into_any()
                }}
            </p>
            {bases_view}
            <p class="mt-2">
                {format!(
                    "Replies are plain text (no Markdown), within {}.",
                    reply_length_label(reply_segments)
                )}
                " "
                <a class=LINK href=format!("{settings}#knowledge")>"Change the reply length"</a>
            </p>
        </div>
    }
}

#[component]
fn EditForm(
    chatbot_id: Uuid,
    friendly_name: Option<String>,
    update: ServerAction<UpdateSms>,
) -> impl IntoView {
    let error = action_error(update);
    let pending = update.pending();
    let saved = Signal::derive(move || matches!(update.value().get(), Some(Ok(()))));
    focus_field_at_fault(update);
    view! {
        <div class="mt-6 rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h3 class="font-semibold">"Edit the connection"</h3>
            <p class="mt-1 text-sm text-slate-600">"Rotated your Auth Token in Twilio? Paste the new one here. We check it with Twilio before saving."</p>
            <ActionForm action=update attr:class="mt-4 space-y-4" attr:novalidate=true>
                <input type="hidden" name="chatbot_id" value=chatbot_id.to_string()/>
                <PasswordField
                    label="New Auth Token (leave blank to keep the current one)"
                    name="auth_token"
                    autocomplete="off"
                    what="token"
                    rule=rules::optional_auth_token
                    server_error=field_error(error, "auth_token")
                    conceal_on=update.version()
                />
                <TextField
                    label="Friendly name (optional)"
                    name="friendly_name"
                    initial=friendly_name.unwrap_or_default()
                    autocomplete="off"
                    rule=rules::friendly_name
                    server_error=field_error(error, "friendly_name")
                />
                <FormError error/>
                <div class="flex items-center gap-3">
                    <button type="submit" class=BUTTON_PRIMARY disabled=pending>
                        <Show when=move || pending.get()><Spinner/></Show>
                        {move || if pending.get() { "Checking with Twilio…" } else { "Save changes" }}
                    </button>
                    <p role="status" aria-live="polite" class="text-sm text-green-800">{move || saved.get().then_some("Saved.")}</p>
                </div>
            </ActionForm>
        </div>
    }
}

#[component]
fn DisconnectPanel(chatbot_id: Uuid, disconnect: ServerAction<DisconnectSms>) -> impl IntoView {
    let error = action_error(disconnect);
    let pending = disconnect.pending();
    let confirming = RwSignal::new(false);
    view! {
        <div class="mt-6 rounded-lg border border-red-200 bg-white p-6">
            <h3 class="font-semibold text-red-900">"Disconnect Twilio"</h3>
            <p class="mt-1 text-sm text-slate-700">"The chatbot stops answering texts, and your Account SID and Auth Token are deleted at once."</p>
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button type="button" class=format!("{BUTTON_SECONDARY} mt-4") on:click=move |_| confirming.set(true)>
                        "Disconnect Twilio…"
                    </button>
                }
            >
                <ActionForm action=disconnect attr:class="mt-4 flex flex-wrap items-center gap-3">
                    <input type="hidden" name="chatbot_id" value=chatbot_id.to_string()/>
                    <p class="w-full text-sm font-medium text-red-900" role="alert">"Disconnect and delete the stored credentials?"</p>
                    <button type="submit" class=BUTTON_DANGER disabled=pending>
                        <Show when=move || pending.get()><Spinner/></Show>
                        {move || if pending.get() { "Disconnecting…" } else { "Yes, disconnect" }}
                    </button>
                    <button type="button" class=BUTTON_SECONDARY on:click=move |_| confirming.set(false)>"Cancel"</button>
                </ActionForm>
            </Show>
            <FormError error/>
        </div>
    }
}
