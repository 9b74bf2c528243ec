use crate::components::fields::rules;
use crate::components::{FormError, PasswordField, Spinner, TextField};
use crate::pages::{BUTTON_PRIMARY, LINK, action_error, field_error};
use crate::server_fns::auth::{ConfirmSignUp, SignUp, SignUpSent};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// /signup: the form, then "check your inbox" (the account is made when the mailed link is opened).
#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action);
    let pending = action.pending();
    let sent = Memo::new(move |_| action.value().get().and_then(Result::ok));
    view! {
        <Title text="Create your account"/>
        <AuthFrame heading="Create your Viesti account">
            <Show when=move || sent.with(Option::is_some)>
                {move || sent.get().map(|sent| view! {
                    <CheckInbox sent to_do="create your workspace" on_again=move || action.value().set(None)/>
                })}
            </Show>
            <Show when=move || sent.with(Option::is_none)>
            <ActionForm action=action attr:class="space-y-4" attr:novalidate=true>
                <TextField
                    label="Business or team name"
                    name="workspace_name"
                    autocomplete="organization"
                    rule=rules::workspace_name
                    server_error=field_error(error, "workspace_name")
                    autofocus=true
                />
                <TextField
                    label="Work email"
                    name="email"
                    input_type="email"
                    autocomplete="email"
                    rule=rules::email
                    server_error=field_error(error, "email")
                />
                <PasswordField
                    label="Password"
                    name="password"
                    autocomplete="new-password"
                    rule=rules::new_password
                    server_error=field_error(error, "password")
                    hint="At least 10 characters. A few words together make a strong password."
                />
                <FormError error/>
                <button type="submit" class=format!("{BUTTON_PRIMARY} w-full") disabled=pending>
                    <Show when=move || pending.get()><Spinner/></Show>
                    {move || if pending.get() { "Creating your account…" } else { "Create account" }}
                </button>
            </ActionForm>
            </Show>
            <p class="mt-6 text-center text-sm text-slate-600">
                "Already have an account? "
                <a class=LINK href="/login">"Sign in"</a>
            </p>
        </AuthFrame>
    }
}

/// What a sign-up (or join) form says once sent: where the link went, and (with no mail server)
/// where to read it. `to_do` is what opening the link does ("create your workspace").
#[component]
pub fn CheckInbox(
    sent: SignUpSent,
    to_do: &'static str,
    on_again: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let SignUpSent {
        email,
        local_mailbox,
    } = sent;
    view! {
        <div class="space-y-3 text-sm text-slate-700" role="status" data-testid="sign-up-sent">
            <p class="text-base font-semibold text-slate-900">"Check your inbox"</p>
            <p>
                "We sent a link to " <strong class="break-all">{email}</strong>
                ". Open it to confirm your address and " {to_do} ". It works once, for 24 hours."
            </p>
            {local_mailbox.then(|| view! {
                <p class="rounded-md bg-amber-50 p-3 text-amber-900" data-testid="local-mailbox">
                    "This server has no mail server set (SMTP_URL), so the mail is in its "
                    <a class=LINK href="/mailbox" target="_blank" rel="external">"local mailbox"</a>
                    ", which only a browser on this computer can open."
                </p>
            })}
            <p>
                "No mail after a few minutes? Check your spam folder, or "
                <button type="button" class=LINK on:click=move |_| on_again()>"enter the address again"</button>
                "."
            </p>
        </div>
    }
}

/// /signup/confirm/:token: the link from the sign-up (or join) mail. Opening it changes nothing
/// (mail scanners open links too); the button makes the account and signs it in.
#[component]
pub fn SignUpConfirmPage() -> impl IntoView {
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
    let token = use_params_map().with_untracked(|p| p.get("token").unwrap_or_default());
    let action = ServerAction::<ConfirmSignUp>::new();
    let error = action_error(action);
    let pending = action.pending();
    view! {
        <Title text="Confirm your address"/>
        <AuthFrame heading="Confirm your address">
            <p class="text-sm text-slate-700">
                "This link confirms your address. Continue to create your account; you'll be signed in."
            </p>
            <ActionForm action=action attr:class="mt-6 space-y-4">
                <input type="hidden" name="token" value=token/>
                <Show when=move || error.with(Option::is_some)>
                    <div class="rounded-md bg-red-50 p-3 text-sm text-red-800" role="alert" data-testid="form-error">
                        <p>{move || error.get().map(|e| e.to_string())}</p>
                    </div>
                </Show>
                <button
                    type="submit"
                    class=format!("{BUTTON_PRIMARY} w-full")
                    disabled=pending
                    aria-busy=move || pending.get().to_string()
                    autofocus=true
                >
                    <Show when=move || pending.get()><Spinner/></Show>
                    {move || if pending.get() { "Creating your account…" } else { "Create my account" }}
                </button>
            </ActionForm>
            <p class="mt-6 text-center text-sm text-slate-600">
                "Already have an account? "
                <a class=LINK href="/login">"Sign in"</a>
            </p>
        </AuthFrame>
    }
}

/// The centred card that the sign-up, sign-in and invite pages share.
#[component]
pub fn AuthFrame(#[prop(into)] heading: String, children: Children) -> impl IntoView {
    view! {
        <main class="flex min-h-full flex-col justify-center px-4 py-12 sm:px-6">
            <div class="mx-auto w-full max-w-md">
                <p class="text-center text-2xl font-bold tracking-tight text-indigo-800">"Viesti"</p>
                <h1 class="mt-4 text-center text-xl font-semibold">{heading}</h1>
                <div class="mt-8 rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200 sm:p-8">
                    {children()}
                </div>
            </div>
        </main>
    }
}
