use crate::components::fields::rules;
use crate::components::{FormError, PasswordField, Spinner, TextField};
use crate::pages::sign_up::AuthFrame;
use crate::pages::{BUTTON_PRIMARY, LINK, action_error, field_error};
use crate::server_fns::auth::SignIn;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = action_error(action);
    let pending = action.pending();
    view! {
        <Title text="Sign in"/>
        <AuthFrame heading="Sign in to Viesti">
            <ActionForm action=action attr:class="space-y-4" attr:novalidate=true>
                <TextField
                    label="Email"
                    name="email"
                    input_type="email"
                    autocomplete="username"
                    rule=rules::email
                    server_error=field_error(error, "email")
                    autofocus=true
                />
                <PasswordField
                    label="Password"
                    name="password"
                    autocomplete="current-password"
                    rule=rules::required_password
                    server_error=field_error(error, "password")
                />
                <FormError error/>
                <button type="submit" class=format!("{BUTTON_PRIMARY} w-full") disabled=pending>
                    <Show when=move || pending.get()><Spinner/></Show>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="mt-6 text-center text-sm text-slate-600">
                "New to Viesti? "
                <a class=LINK href="/signup">"Create an account"</a>
            </p>
        </AuthFrame>
    }
}
