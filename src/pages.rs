//! One routed page per module.
pub mod channels;
pub mod chatbot;
pub mod chatbots;
pub mod conversation;
pub mod dashboard;
pub mod inbox;
pub mod invite;
pub mod knowledge;
pub mod knowledge_base;
pub mod not_found;
pub mod sign_in;
pub mod sign_up;
pub mod simulator;
pub mod sms;
pub mod team;
pub mod widget;

use crate::error::AppError;
use leptos::prelude::*;
use leptos::server::ServerAction;
use leptos::server_fn::ServerFn;

/// The error of an action's last run, if it failed.
pub(crate) fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + Clone + 'static,
{
    Signal::derive(move || action.value().get().and_then(Result::err))
}

/// The server's message for one field from an action's last run.
pub(crate) fn field_error(
    error: Signal<Option<AppError>>,
    field: &'static str,
) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.for_field(field)))
}

/// A form's submit button: "Saving…" with a spinner while its action runs, and "Saved." beside it,
/// announced, once the action succeeded.
#[component]
pub(crate) fn SaveButton(
    #[prop(into)] pending: Signal<bool>,
    #[prop(into)] saved: Signal<bool>,
    label: &'static str,
) -> impl IntoView {
    view! {
        <div class="flex items-center gap-3">
            <button type="submit" class=BUTTON_PRIMARY disabled=pending>
                <Show when=move || pending.get()><crate::components::Spinner/></Show>
                {move || if pending.get() { "Saving…" } else { label }}
            </button>
            <p role="status" aria-live="polite" class="text-sm text-green-800">
                {move || saved.get().then_some("Saved.")}
            </p>
        </div>
    }
}

pub(crate) const BUTTON_PRIMARY: &str = "inline-flex items-center justify-center gap-2 rounded-md bg-indigo-700 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-60";
pub(crate) const BUTTON_SECONDARY: &str = "inline-flex items-center justify-center gap-2 rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-semibold text-slate-800 shadow-sm hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-60";
pub(crate) const BUTTON_DANGER: &str = "inline-flex items-center justify-center gap-2 rounded-md bg-red-700 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-red-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-red-600 focus-visible:ring-offset-2 disabled:cursor-not-allowed disabled:opacity-60";
pub(crate) const LINK: &str = "font-medium text-indigo-700 underline-offset-2 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 rounded";
