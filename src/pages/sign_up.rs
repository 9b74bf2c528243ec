use crate::components::fields::rules;
use crate::components::{FormError, PasswordField, Spinner, TextField};
use crate::pages::{BUTTON_PRIMARY, LINK, action_error, field_error};
use crate::server_fns::auth::SignUp;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action);
    let pending = action.pending();
    view! {
        <Title text="Create your account"/>
        <AuthFrame heading="Create your Viesti account">
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
