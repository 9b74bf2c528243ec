//! /invite/:token (public): what the link offers, and joining with an email and a password.
use crate::components::fields::rules;
use crate::components::{FormError, Loading, PasswordField, Spinner, TextField};
use crate::error::AppError;
use crate::pages::sign_up::{AuthFrame, CheckInbox};
use crate::pages::team::role_description;
use crate::pages::{BUTTON_PRIMARY, LINK, action_error, field_error};
use crate::server_fns::team::{AcceptInvite, InviteView, get_invite};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn InvitePage() -> impl IntoView {
    // The token is in this page's address: keep it out of the Referer of anything the page loads,
    // and out of every cache.
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        use axum::http::{HeaderValue, header};
        response.insert_header(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let params = use_params_map();
    let token = Memo::new(move |_| params.with(|p| p.get("token").unwrap_or_default()));
    // Blocking, so a link that doesn't work answers its real status (404 or 410).
    let invite = Resource::new_blocking(move || token.get(), get_invite);
    view! {
        <Transition fallback=|| view! { <Loading label="Checking your invite…"/> }>
            {move || Suspend::new(async move {
                match invite.await {
                    Ok(invite) => view! { <JoinForm invite token=token.get_untracked()/> }.into_any(),
                    Err(error) => view! { <Unusable error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn JoinForm(invite: InviteView, token: String) -> impl IntoView {
    let action = ServerAction::<AcceptInvite>::new();
    let error = action_error(action);
    let pending = action.pending();
    let sent = Memo::new(move |_| action.value().get().and_then(Result::ok));
    // The form comes back after "enter the address again", so its token is kept where each
    // rendering can read it.
    let token = StoredValue::new(token);
    let InviteView {
        workspace_name,
        role,
        expires,
    } = invite;
    view! {
        <Title text=format!("Join {workspace_name}")/>
        <AuthFrame heading=format!("Join {workspace_name} on Viesti as {}", role.label())>
            <p class="text-sm text-slate-700">{role_description(role)}</p>
            <p class="mt-1 text-sm text-slate-600">
                "This invite works once and expires on "
                <time datetime=expires.datetime>{expires.text}</time>
                "."
            </p>
            <Show when=move || sent.with(Option::is_some)>
                <div class="mt-6">
                    {move || sent.get().map(|sent| view! {
                        <CheckInbox sent to_do="join the team" on_again=move || action.value().set(None)/>
                    })}
                </div>
            </Show>
            <Show when=move || sent.with(Option::is_none)>
            <ActionForm action=action attr:class="mt-6 space-y-4" attr:novalidate=true>
                <input type="hidden" name="token" value=token.get_value()/>
                <TextField
                    label="Work email"
                    name="email"
                    input_type="email"
                    autocomplete="email"
                    rule=rules::email
                    server_error=field_error(error, "email")
                    autofocus=true
                />
                <PasswordField
                    label="Choose a password"
                    name="password"
                    autocomplete="new-password"
                    rule=rules::new_password
                    server_error=field_error(error, "password")
                    hint="At least 10 characters. A few words together make a strong password."
                />
                <FormError error/>
                <button
                    type="submit"
                    class=format!("{BUTTON_PRIMARY} w-full")
                    disabled=pending
                    aria-busy=move || pending.get().to_string()
                >
                    <Show when=move || pending.get()><Spinner/></Show>
                    {move || if pending.get() { "Joining…" } else { "Join the team" }}
                </button>
            </ActionForm>
            </Show>
            <p class="mt-6 text-center text-sm text-slate-600">
                "Already a member? "
                <a class=LINK href="/login">"Sign in"</a>
            </p>
        </AuthFrame>
    }
}

/// A link that doesn't work: why, in plain words, and where to go instead.
#[component]
fn Unusable(error: AppError) -> impl IntoView {
    let heading = match error {
        AppError::Invite(_) => "This invite link doesn't work",
        _ => "Something went wrong",
    };
    view! {
        <Title text=heading/>
        <AuthFrame heading>
            <div class="rounded-md bg-red-50 p-4 text-sm text-red-800" role="alert" data-testid="invite-problem">
                <p>{error.to_string()}</p>
            </div>
            <p class="mt-6 text-center text-sm text-slate-600">
                "Already a member? "
                <a class=LINK href="/login">"Sign in"</a>
            </p>
        </AuthFrame>
    }
}
