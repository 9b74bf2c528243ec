//! Loading, empty and error states.
use crate::error::AppError;
use leptos::prelude::*;

/// A small spinning ring, hidden from screen readers (the button text says what is happening).
#[component]
pub fn Spinner() -> impl IntoView {
    view! {
        <span
            aria-hidden="true"
            class="inline-block h-4 w-4 animate-spin rounded-full border-2 border-current border-r-transparent align-[-2px]"
        ></span>
    }
}

/// What a region shows while its data loads.
#[component]
pub fn Loading(#[prop(default = "Loading…")] label: &'static str) -> impl IntoView {
    view! {
        <p class="flex items-center gap-2 py-6 text-slate-600" role="status" aria-live="polite">
            <Spinner/>
            {label}
        </p>
    }
}

/// What a list shows when it has nothing in it yet, and what to do about it.
#[component]
pub fn EmptyState(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="rounded-lg border border-dashed border-slate-300 bg-white p-8 text-center">
            <p class="font-medium text-slate-800">{title}</p>
            <div class="mt-1 text-sm text-slate-600">{children()}</div>
        </div>
    }
}

/// The heading (and page title) for a failed load.
pub fn error_title(error: &AppError) -> &'static str {
    match error {
        AppError::NotFound => "Not found",
        AppError::Unauthenticated => "Signed out",
        AppError::Forbidden => "Not allowed",
        _ => "Something went wrong",
    }
}

/// A failed load: the error in words, and a way on. Whoever is refused a page (an agent on the
/// chatbots, an admin on the team) can still work the inbox.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    // Rendered on the server, the page answers with the error's status (a 404 for another
    // workspace's id, as the server functions do), not 200 around an error message.
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(error.status());
    }
    let (href, way_on) = match error {
        AppError::Forbidden => ("/inbox", "Go to the inbox"),
        _ => ("/chatbots", "Back to your chatbots"),
    };
    view! {
        <div class="rounded-lg border border-red-200 bg-red-50 p-6" role="alert">
            <h2 class="font-semibold text-red-900">{error_title(&error)}</h2>
            <p class="mt-1 text-sm text-red-800">{error.to_string()}</p>
            <a class="mt-3 inline-block text-sm font-medium text-red-900 underline" href=href>
                {way_on}
            </a>
        </div>
    }
}

/// A form-level error (one that belongs to no single field), announced to screen readers. A failed
/// Twilio check shows its headline and, below it, what to do.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <Show when=move || error.get().is_some_and(|e| !matches!(e, AppError::Invalid { .. }))>
            <div class="rounded-md bg-red-50 p-3 text-sm text-red-800" role="alert" data-testid="form-error">
                <p class="font-semibold">{move || error.get().map(|e| e.to_string())}</p>
                {move || match error.get() {
                    Some(AppError::Probe(failure)) => Some(view! { <p class="mt-1">{failure.detail()}</p> }),
                    _ => None,
                }}
            </div>
        </Show>
    }
}
