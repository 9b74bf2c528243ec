use leptos::prelude::*;
use leptos_meta::Title;

/// Any address the router does not know. Answers HTTP 404 when rendered on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <main class="mx-auto flex min-h-full max-w-md flex-col justify-center px-6 py-16 text-center">
            <p class="text-sm font-semibold text-indigo-700">"404"</p>
            <h1 class="mt-2 text-2xl font-bold">"This page doesn't exist"</h1>
            <p class="mt-2 text-slate-600">"Check the address, or start again from your chatbots."</p>
            <a class="mt-6 inline-block font-medium text-indigo-700 underline" href="/chatbots">
                "Go to your chatbots"
            </a>
        </main>
    }
}
