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
    sign_up::{SignUpConfirmPage, SignUpPage},
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
use leptos_router::{Lazy, LazyRoute, SsrMode, lazy_route, path};

/// The document around every page; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The page's Content-Security-Policy names the nonce Leptos put on this response's inline scripts.
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) && let Ok(policy) =
        axum::http::HeaderValue::from_str(&crate::server::headers::page_policy(&nonce))
    {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, policy);
    }
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
    view! {
        <Stylesheet id="leptos" href="/pkg/viesti.css"/>
        <Title formatter=|title: String| if title.is_empty() { "Viesti".to_owned() } else { format!("{title} · Viesti") }/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/signup") view={Lazy::<SignUpRoute>::new()}/>
                <Route path=path!("/signup/confirm/:token") view={Lazy::<SignUpConfirmRoute>::new()}/>
                <Route path=path!("/login") view={Lazy::<SignInRoute>::new()}/>
                <Route path=path!("/invite/:token") view={Lazy::<InviteRoute>::new()} ssr=SsrMode::Async/>
                // Async: the whole page is rendered before the status line goes out, so a missing or
                // foreign chatbot answers a real 404 and a signed-out visitor a real 302. Chatbots and
                // their integrations are for owners and admins; agents get a 403 page.
                <ParentRoute path=path!("/chatbots") view=ManagerLayout ssr=SsrMode::Async>
                    <Route path=path!("") view={Lazy::<ChatbotListRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!(":id") view={Lazy::<ChatbotSettingsRoute>::new()} ssr=SsrMode::Async/>
                    <Route
                        path=path!(":id/integrations")
                        view=|| view! { <Redirect path="channels"/> }
                    />
                    <Route path=path!(":id/integrations/channels") view={Lazy::<ChannelsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!(":id/integrations/channels/sms") view={Lazy::<SmsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!(":id/integrations/channels/sms/simulator") view={Lazy::<SimulatorRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!(":id/integrations/channels/web") view={Lazy::<WidgetRoute>::new()} ssr=SsrMode::Async/>
                </ParentRoute>
                // Knowledge bases: owners and admins, like the chatbots that answer from them.
                <ParentRoute path=path!("/knowledge") view=ManagerLayout ssr=SsrMode::Async>
                    <Route path=path!("") view={Lazy::<KnowledgeListRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!(":id") view={Lazy::<KnowledgeBaseRoute>::new()} ssr=SsrMode::Async/>
                </ParentRoute>
                <ParentRoute path=path!("/inbox") view=DashboardLayout ssr=SsrMode::Async>
                    <ParentRoute path=path!("") view=InboxLayout ssr=SsrMode::Async>
                        <Route path=path!("") view={Lazy::<NoConversationOpenRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!(":id") view={Lazy::<ConversationRoute>::new()} ssr=SsrMode::Async/>
                    </ParentRoute>
                </ParentRoute>
                <ParentRoute path=path!("/team") view=DashboardLayout ssr=SsrMode::Async>
                    <Route path=path!("") view={Lazy::<TeamRoute>::new()} ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Declares a route whose page the browser loads as its own wasm chunks the first time the route
/// matches, so a first load downloads the frame, the router and that one page rather than every
/// page. The server renders it like any other route and preloads its chunks
/// (`<link rel="preload">`, from the manifest `cargo leptos build --split` writes). Every wasm build
/// must therefore be split (scripts/serve and scripts/test pass `--split`).
macro_rules! lazy_page {
    ($($route:ident => $page:ident,)*) => {$(
        #[doc = concat!("The route that loads [`", stringify!($page), "`] on demand.")]
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    )*};
}

lazy_page! {
    HomeRoute => Home,
    SignUpRoute => SignUpPage,
    SignUpConfirmRoute => SignUpConfirmPage,
    SignInRoute => SignInPage,
    InviteRoute => InvitePage,
    ChatbotListRoute => ChatbotListPage,
    ChatbotSettingsRoute => ChatbotSettings,
    ChannelsRoute => ChannelsPage,
    SmsRoute => SmsPage,
    SimulatorRoute => SimulatorPage,
    WidgetRoute => WidgetPage,
    KnowledgeListRoute => KnowledgeListPage,
    KnowledgeBaseRoute => KnowledgeBasePage,
    NoConversationOpenRoute => NoConversationOpen,
    ConversationRoute => ConversationPage,
    TeamRoute => TeamPage,
}
