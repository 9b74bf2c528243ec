//! The HTML document (`shell`) and the router (`App`).
use crate::pages::{
    channels::ChannelsPage,
    chatbot::ChatbotSettings,
    chatbots::ChatbotListPage,
    conversation::ConversationPage,
    dashboard::DashboardLayout,
    inbox::{InboxLayout, NoConversationOpen},
    not_found::NotFound,
    sign_in::SignInPage,
    sign_up::SignUpPage,
    simulator::SimulatorPage,
    sms::SmsPage,
};
use crate::pages::{
    dashboard::{Home, ManagerLayout},
    invite::InvitePage,
    knowledge::KnowledgeListPage,
    knowledge_base::KnowledgeBasePage,
    team::TeamPage,
    widget::WidgetPage,
};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The document around every page; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en" class="h-full bg-slate-50">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="h-full text-slate-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: the mark tells tests (and curious people) that hydration is done.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/viesti.css"/>
        <Title formatter=|title: String| if title.is_empty() { "Viesti".to_owned() } else { format!("{title} · Viesti") }/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Home ssr=SsrMode::Async/>
                <Route path=path!("/signup") view=SignUpPage/>
                <Route path=path!("/login") view=SignInPage/>
                <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async/>
                // Async: the whole page is rendered before the status line goes out, so a missing or
                // foreign chatbot answers a real 404 and a signed-out visitor a real 302. Chatbots and
                // their integrations are for owners and admins; agents get a 403 page.
                <ParentRoute path=path!("/chatbots") view=ManagerLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=ChatbotListPage ssr=SsrMode::Async/>
                    <Route path=path!(":id") view=ChatbotSettings ssr=SsrMode::Async/>
                    <Route
                        path=path!(":id/integrations")
                        view=|| view! { <Redirect path="channels"/> }
                    />
                    <Route path=path!(":id/integrations/channels") view=ChannelsPage ssr=SsrMode::Async/>
                    <Route path=path!(":id/integrations/channels/sms") view=SmsPage ssr=SsrMode::Async/>
                    <Route path=path!(":id/integrations/channels/sms/simulator") view=SimulatorPage/>
                    <Route path=path!(":id/integrations/channels/web") view=WidgetPage ssr=SsrMode::Async/>
                </ParentRoute>
                // Knowledge bases: owners and admins, like the chatbots that answer from them.
                <ParentRoute path=path!("/knowledge") view=ManagerLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=KnowledgeListPage ssr=SsrMode::Async/>
                    <Route path=path!(":id") view=KnowledgeBasePage ssr=SsrMode::Async/>
                </ParentRoute>
                <ParentRoute path=path!("/inbox") view=DashboardLayout ssr=SsrMode::Async>
                    <ParentRoute path=path!("") view=InboxLayout ssr=SsrMode::Async>
                        <Route path=path!("") view=NoConversationOpen ssr=SsrMode::Async/>
                        <Route path=path!(":id") view=ConversationPage ssr=SsrMode::Async/>
                    </ParentRoute>
                </ParentRoute>
                <ParentRoute path=path!("/team") view=DashboardLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=TeamPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
