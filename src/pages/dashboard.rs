//! The signed-in frame: left navigation, who is signed in, and the page in the middle.
use crate::components::live::{LiveUpdates, connect_live_updates, provide_live_updates};
use crate::components::{ErrorPanel, Loading};
use crate::domain::Role;
use crate::error::AppError;
use crate::server_fns::auth::{SignOut, Viewer, current_viewer};
use crate::server_fns::inbox::inbox_counts;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Outlet, Redirect};

/// `/`: the member's home (the inbox for agents, the chatbots for owners and admins), or sign-in.
#[component]
pub fn Home() -> impl IntoView {
    let viewer = Resource::new_blocking(|| (), |_| current_viewer());
    view! {
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(viewer)) => view! { <Redirect path=viewer.role.home()/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(error) => view! { <main class="p-6"><ErrorPanel error/></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The frame around pages every member may open.
#[component]
pub fn DashboardLayout() -> impl IntoView {
    view! { <Layout allowed=|_| true/> }
}

/// The frame around chatbot and integration pages: owners and admins only; agents get a 403 page.
/// (The server functions behind the pages refuse agents too; this gives the page its status.)
#[component]
pub fn ManagerLayout() -> impl IntoView {
    view! { <Layout allowed=Role::can_manage/> }
}

#[component]
fn Layout(allowed: fn(Role) -> bool) -> impl IntoView {
    // Blocking, so a signed-out visitor gets a real 302 to /login before any HTML is sent.
    let viewer = Resource::new_blocking(|| (), |_| current_viewer());
    // Here, outside the Suspense, so the nested routes' pages see it.
    let live = provide_live_updates();
    view! {
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(viewer)) => {
                        let allowed = allowed(viewer.role);
                        view! { <Frame viewer allowed live/> }.into_any()
                    }
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(error) => view! { <main class="p-6"><ErrorPanel error/></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What a member sees in place of a page their role may not open, with HTTP 403 (which the error
/// panel sets).
#[component]
fn NotAllowed() -> impl IntoView {
    view! {
        <Title text="Not allowed"/>
        <ErrorPanel error=AppError::Forbidden/>
    }
}

#[component]
fn Frame(viewer: Viewer, allowed: bool, live: LiveUpdates) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    connect_live_updates(live);
    let live = live.any();
    let counts = Resource::new(move || live.get(), |_| inbox_counts());
    let nav_link = "block rounded-md px-3 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 aria-[current=page]:bg-indigo-50 aria-[current=page]:text-indigo-800";
    view! {
        <a
            href="#main"
            class="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-10 focus:rounded focus:bg-white focus:px-3 focus:py-2 focus:shadow"
        >
            "Skip to content"
        </a>
        <div class="min-h-full md:flex">
            <aside class="border-b border-slate-200 bg-white md:min-h-screen md:w-60 md:shrink-0 md:border-b-0 md:border-r">
                <div class="flex items-center justify-between gap-4 px-4 py-3 md:block md:py-5">
                    <a href=viewer.role.home() class="text-lg font-bold tracking-tight text-indigo-800">"Viesti"</a>
                    <p class="text-xs text-slate-600 md:mt-1" data-testid="workspace">
                        {viewer.workspace_name.clone()}
                        " · "
                        {viewer.plan.label()}
                    </p>
                </div>
                <nav aria-label="Main" class="px-2 pb-2 md:pb-4">
                    <ul class="flex gap-1 md:block md:space-y-1">
                        <li>
                            <A href="/inbox" attr:class=format!("{nav_link} flex items-center justify-between gap-2")>
                                "Inbox"
                                <Transition fallback=|| ()>
                                    {move || Suspend::new(async move {
                                        let waiting = counts.await.map(|c| c.needs_person).unwrap_or(0);
                                        (waiting > 0).then(|| view! {
                                            <span class="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900 ring-1 ring-inset ring-amber-300" data-testid="needs-person-count">
                                                {waiting}
                                                <span class="sr-only">{if waiting == 1 { " conversation needs a person" } else { " conversations need a person" }}</span>
                                            </span>
                                        })
                                    })}
                                </Transition>
                            </A>
                        </li>
                        {viewer.role.can_manage().then(|| view! {
                            <li><A href="/chatbots" attr:class=nav_link>"Chatbots"</A></li>
                            <li><A href="/knowledge" attr:class=nav_link>"Knowledge"</A></li>
                        }.into_any())}
                        {viewer.role.can_manage_team().then(|| view! {
                            <li><A href="/team" attr:class=nav_link>"Team"</A></li>
                        }.into_any())}
                    </ul>
                </nav>
                <div class="hidden border-t border-slate-200 px-4 py-4 text-sm md:block">
                    <p class="truncate font-medium" title=viewer.email.clone()>{viewer.email.clone()}</p>
                    <p class="text-slate-600">{viewer.role.label()}</p>
                </div>
                <ActionForm action=sign_out attr:class="px-4 pb-4">
                    <button
                        type="submit"
                        class="text-sm font-medium text-slate-700 underline-offset-2 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 rounded"
                    >
                        "Sign out"
                    </button>
                </ActionForm>
            </aside>
            <main id="main" tabindex="-1" class="min-w-0 flex-1 px-4 py-6 sm:px-8 sm:py-8">
                {if allowed { view! { <Outlet/> }.into_any() } else { view! { <NotAllowed/> }.into_any() }}
            </main>
        </div>
    }
}
