//! The phone simulator (local mode): be a customer texting the connected number, and watch the
//! chatbot's replies and their delivery states arrive.
use crate::components::chatbot_header::chatbot_id_param;
use crate::components::{ErrorPanel, FormError, Spinner};
use crate::error::AppError;
use crate::pages::{BUTTON_PRIMARY, LINK, action_error, field_error};
use crate::server_fns::simulator::{
    SendSimulatedText, SimulatorThread, UNREACHABLE_CUSTOMER, get_simulator_thread,
};
use leptos::prelude::*;
use leptos_meta::Title;

const DEFAULT_CUSTOMER: &str = "+358501234567";

#[component]
pub fn SimulatorPage() -> impl IntoView {
    let id = chatbot_id_param();
    let customer = RwSignal::new(DEFAULT_CUSTOMER.to_owned());
    let send = ServerAction::<SendSimulatedText>::new();
    let error = action_error(send);
    let pending = send.pending();
    // Replies and delivery states arrive by themselves: look again every second while the page is open.
    let tick = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || tick.update(|t| *t = t.wrapping_add(1)),
            std::time::Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let thread = Resource::new(
        move || (id.get(), customer.get(), tick.get(), send.version().get()),
        |(id, customer, ..)| async move {
            match id {
                Some(id) => get_simulator_thread(id, customer).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let channels = move || {
        id.get()
            .map(|id| format!("/chatbots/{id}/integrations/channels/sms"))
            .unwrap_or_default()
    };
    view! {
        <Title text="Phone simulator"/>
        <nav aria-label="Breadcrumb" class="text-sm text-slate-600">
            <a class=LINK href=channels>"SMS (Twilio)"</a>
            <span aria-hidden="true">" / "</span>
            <span class="font-medium text-slate-800">"Phone simulator"</span>
        </nav>
        <h1 class="mt-1 text-2xl font-bold">"Phone simulator"</h1>
        <p class="mt-1 max-w-2xl text-slate-600">
            "Text your connected number as a customer would. The message goes through the built-in Twilio emulator to your chatbot, exactly as a real text would. Watch it arrive in the "
            <a class=LINK href="/inbox">"inbox"</a>
            "."
        </p>
        <p class="mt-1 max-w-2xl text-sm text-slate-600">
            "To see a reply that can't be delivered, text from " <span class="font-mono">{UNREACHABLE_CUSTOMER}</span> ": that phone is always switched off."
        </p>
        <div class="mt-6 grid max-w-4xl gap-6 md:grid-cols-[1fr_1.2fr]">
            <section aria-labelledby="compose" class="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
                <h2 id="compose" class="font-semibold">"Send a text"</h2>
                <ActionForm action=send attr:class="mt-4 space-y-4" attr:novalidate=true>
                    <input type="hidden" name="chatbot_id" value=move || id.get().map(|id| id.to_string()).unwrap_or_default()/>
                    <div>
                        <label for="sim-customer" class="block text-sm font-medium text-slate-800">"Customer's phone number"</label>
                        <input
                            id="sim-customer"
                            name="customer"
                            type="tel"
                            class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2"
                            prop:value=move || customer.get()
                            on:change=move |ev| customer.set(event_target_value(&ev))
                        />
                        <p class="mt-1 min-h-5 text-sm text-red-700" aria-live="polite">{move || field_error(error, "customer").get()}</p>
                    </div>
                    <div>
                        <label for="sim-body" class="block text-sm font-medium text-slate-800">"Message"</label>
                        <textarea id="sim-body" name="body" rows="3" class="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2"></textarea>
                        <p class="mt-1 min-h-5 text-sm text-red-700" aria-live="polite">{move || field_error(error, "body").get()}</p>
                    </div>
                    <FormError error/>
                    <button type="submit" class=BUTTON_PRIMARY disabled=pending>
                        <Show when=move || pending.get()><Spinner/></Show>
                        {move || if pending.get() { "Sending…" } else { "Send text" }}
                    </button>
                </ActionForm>
            </section>
            <section aria-labelledby="thread-heading" class="rounded-lg bg-slate-100 p-4 ring-1 ring-slate-200">
                <h2 id="thread-heading" class="font-semibold">"Conversation"</h2>
                <Transition fallback=|| view! { <p class="mt-4 text-sm text-slate-600">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match thread.await {
                            Ok(thread) => view! { <Thread thread/> }.into_any(),
                            Err(error) => view! { <div class="mt-4"><ErrorPanel error/></div> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </div>
    }
}

#[component]
fn Thread(thread: SimulatorThread) -> impl IntoView {
    let SimulatorThread {
        chatbot_name,
        business_number,
        messages,
    } = thread;
    view! {
        <p class="mt-1 text-xs text-slate-600">{format!("{chatbot_name} · {business_number}")}</p>
        {if messages.is_empty() {
            view! { <p class="mt-6 text-center text-sm text-slate-600">"No texts yet. Send one to start."</p> }.into_any()
        } else {
            view! {
                <ol class="mt-4 space-y-3" aria-live="polite" data-testid="sim-thread">
                    {messages.into_iter().map(|m| {
                        let side = if m.from_customer { "ml-8 bg-indigo-700 text-white" } else { "mr-8 bg-white text-slate-900 ring-1 ring-slate-200" };
                        let state = match (m.from_customer, m.error_code) {
                            (true, _) => "You".to_owned(),
                            (false, Some(code)) => format!("{} · {}", m.status, crate::domain::delivery::failure_reason(i64::from(code))),
                            (false, None) => m.status.clone(),
                        };
                        view! {
                            <li class=format!("rounded-lg px-3 py-2 text-sm {side}")>
                                <p class="whitespace-pre-wrap">{m.body}</p>
                                <p class="mt-1 text-xs opacity-80" data-testid="sim-status">{state}</p>
                            </li>
                        }
                    }).collect_view()}
                </ol>
            }.into_any()
        }}
    }
}
