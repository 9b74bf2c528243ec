//! The frame of every chatbot page: the chatbot id in the address, and the breadcrumbs and tabs above
//! the page (the chatbot's settings, its integrations and the widget page share it).
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

/// The chatbot id in the address, if it is one.
pub fn chatbot_id_param() -> Memo<Option<Uuid>> {
    let params = use_params_map();
    Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| Uuid::parse_str(&id).ok())))
}

/// Breadcrumbs and the Settings / Integrations tabs above every chatbot page.
#[component]
pub fn ChatbotHeader(id: Uuid, name: String, current: &'static str) -> impl IntoView {
    let tab = "border-b-2 px-1 pb-2 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600";
    let tab_class = move |which: &str| {
        if which == current {
            format!("{tab} border-indigo-700 text-indigo-800")
        } else {
            format!("{tab} border-transparent text-slate-600 hover:text-slate-900")
        }
    };
    let aria = move |which: &str| (which == current).then_some("page");
    view! {
        <nav aria-label="Breadcrumb" class="text-sm text-slate-600">
            <ol class="flex flex-wrap gap-1">
                <li><a class="hover:underline" href="/chatbots">"Chatbots"</a><span aria-hidden="true">" /"</span></li>
                <li class="font-medium text-slate-800">{name.clone()}</li>
            </ol>
        </nav>
        <h1 class="mt-1 text-2xl font-bold">{name}</h1>
        <nav aria-label="Chatbot sections" class="mt-4 border-b border-slate-200">
            <ul class="flex gap-6">
                <li>
                    <a href=format!("/chatbots/{id}") class=tab_class("settings") aria-current=aria("settings")>
                        "Settings"
                    </a>
                </li>
                <li>
                    <a
                        href=format!("/chatbots/{id}/integrations/channels")
                        class=tab_class("integrations")
                        aria-current=aria("integrations")
                    >
                        "Integrations"
                    </a>
                </li>
            </ul>
        </nav>
    }
}
