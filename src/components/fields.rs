//! Labelled inputs that check their value as the person types (with the same domain rules the server
//! applies) and show the server's verdict for the field after a submit.
use leptos::prelude::*;

/// A rule from `crate::domain`, phrased as "the message to show, if any".
pub type Rule = fn(&str) -> Option<String>;

/// Puts the cursor in the field named `name` (the fields here give their input the id `field-{name}`),
/// so a person can fix what a submit was refused for without hunting for it.
pub fn focus_field(name: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(input) = document()
            .get_element_by_id(&format!("field-{name}"))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = input.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = name;
}

/// Focuses the field an action's last error points at, each time the action fails.
pub fn focus_field_at_fault<S>(action: ServerAction<S>)
where
    S: leptos::server_fn::ServerFn<Error = crate::error::AppError> + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + Clone + 'static,
{
    Effect::new(move |_| {
        let field = action.value().with(|last| match last {
            Some(Err(error)) => error.field().map(str::to_owned),
            _ => None,
        });
        if let Some(field) = field {
            focus_field(&field);
        }
    });
}

const INPUT: &str = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm placeholder:text-slate-400 focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-600 aria-[invalid=true]:border-red-600";

/// The field's message: the browser's own check once the field was left, else the server's.
fn field_message(
    rule: Option<Rule>,
    value: RwSignal<String>,
    touched: RwSignal<bool>,
    server_error: Signal<Option<String>>,
) -> Signal<Option<String>> {
    Signal::derive(move || {
        let local = if touched.get() {
            rule.and_then(|check| check(&value.get()))
        } else {
            None
        };
        local.or_else(|| server_error.get())
    })
}

#[component]
fn Message(id: String, message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p id=id class="mt-1 min-h-5 text-sm text-red-700" aria-live="polite">
            {move || message.get()}
        </p>
    }
}

#[component]
pub fn TextField(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] initial: String,
    #[prop(optional)] rule: Option<Rule>,
    #[prop(optional, into)] server_error: Signal<Option<String>>,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] disabled: bool,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let value = RwSignal::new(initial);
    let touched = RwSignal::new(false);
    let message = field_message(rule, value, touched, server_error);
    let id = format!("field-{name}");
    let message_id = format!("{id}-message");
    let hint_id = format!("{id}-hint");
    let described = if hint.is_empty() {
        message_id.clone()
    } else {
        format!("{hint_id} {message_id}")
    };
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-slate-800">{label}</label>
            <input
                id=id
                name=name
                type=input_type
                autocomplete=autocomplete
                class=INPUT
                prop:value=move || value.get()
                aria-invalid=move || message.get().is_some().to_string()
                aria-describedby=described
                disabled=disabled
                autofocus=autofocus
                on:input=move |ev| value.set(event_target_value(&ev))
                on:blur=move |_| touched.set(true)
            />
            <Show when=move || !hint.is_empty()>
                <p id=hint_id.clone() class="mt-1 text-xs text-slate-600">{hint}</p>
            </Show>
            <Message id=message_id message/>
        </div>
    }
}

/// A password input with a Show/Hide toggle (the toggle needs the page to be interactive).
#[component]
pub fn PasswordField(
    label: &'static str,
    name: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] rule: Option<Rule>,
    #[prop(optional, into)] server_error: Signal<Option<String>>,
    #[prop(optional)] hint: &'static str,
    /// What the Show/Hide button reveals, for screen readers ("password", "token").
    #[prop(default = "password")]
    what: &'static str,
    /// Hides a shown value again each time this changes (a submit's answer came back): the
    /// typed value stays, on screen only while the person is looking at it.
    #[prop(optional, into)]
    conceal_on: Option<Signal<usize>>,
) -> impl IntoView {
    let value = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let shown = RwSignal::new(false);
    if let Some(conceal_on) = conceal_on {
        Effect::watch(
            move || conceal_on.get(),
            move |_, _, _| shown.set(false),
            false,
        );
    }
    let message = field_message(rule, value, touched, server_error);
    let id = format!("field-{name}");
    let message_id = format!("{id}-message");
    let hint_id = format!("{id}-hint");
    let described = if hint.is_empty() {
        message_id.clone()
    } else {
        format!("{hint_id} {message_id}")
    };
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-slate-800">{label}</label>
            <div class="relative">
                <input
                    id=id.clone()
                    name=name
                    type=move || if shown.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    class=format!("{INPUT} pr-20")
                    prop:value=move || value.get()
                    aria-invalid=move || message.get().is_some().to_string()
                    aria-describedby=described
                    on:input=move |ev| value.set(event_target_value(&ev))
                    on:blur=move |_| touched.set(true)
                />
                <button
                    type="button"
                    class="absolute inset-y-0 right-0 mt-1 rounded-r-md px-3 text-sm font-medium text-indigo-700 hover:text-indigo-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600"
                    aria-controls=id
                    aria-pressed=move || shown.get().to_string()
                    on:click=move |_| shown.update(|s| *s = !*s)
                >
                    {move || if shown.get() { "Hide" } else { "Show" }}
                    <span class="sr-only">" " {what}</span>
                </button>
            </div>
            <Show when=move || !hint.is_empty()>
                <p id=hint_id.clone() class="mt-1 text-xs text-slate-600">{hint}</p>
            </Show>
            <Message id=message_id message/>
        </div>
    }
}

/// A multi-line input with a live character count against its limit.
#[component]
pub fn TextAreaField(
    label: &'static str,
    name: &'static str,
    #[prop(optional, into)] initial: String,
    max_chars: usize,
    #[prop(optional)] rule: Option<Rule>,
    #[prop(optional, into)] server_error: Signal<Option<String>>,
    #[prop(default = 6)] rows: u32,
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    let value = RwSignal::new(initial);
    let touched = RwSignal::new(false);
    let message = field_message(rule, value, touched, server_error);
    let id = format!("field-{name}");
    let message_id = format!("{id}-message");
    let count_id = format!("{id}-count");
    let count = move || value.with(|v| v.chars().count());
    view! {
        <div>
            <label for=id.clone() class="block text-sm font-medium text-slate-800">{label}</label>
            <textarea
                id=id
                name=name
                rows=rows
                class=INPUT
                prop:value=move || value.get()
                aria-invalid=move || message.get().is_some().to_string()
                aria-describedby=format!("{count_id} {message_id}")
                disabled=disabled
                on:input=move |ev| value.set(event_target_value(&ev))
                on:blur=move |_| touched.set(true)
            >
                {value.get_untracked()}
            </textarea>
            <p
                id=count_id
                class=move || {
                    if count() > max_chars { "mt-1 text-right text-xs text-red-700" } else { "mt-1 text-right text-xs text-slate-600" }
                }
                data-testid=format!("{name}-count")
            >
                {move || format!("{} / {max_chars}", count())}
            </p>
            <Message id=message_id message/>
        </div>
    }
}

/// A read-only value to paste elsewhere (a webhook URL, an invite link): selected on focus, with a
/// Copy button that announces the copy to screen readers. The label is the caller's, `for` = `id`.
#[component]
pub fn CopyField(
    id: &'static str,
    value: String,
    /// What a screen reader hears after a copy, e.g. "Webhook URL copied".
    announce: &'static str,
    /// The input's background class (it sits on panels of different colours).
    #[prop(default = "bg-white")]
    background: &'static str,
    #[prop(optional)] described_by: Option<&'static str>,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let for_copy = value.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&for_copy);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &for_copy;
        copied.set(true);
    };
    view! {
        <div class="mt-1 flex flex-col gap-2 sm:flex-row">
            <input
                id=id
                readonly=true
                value=value
                aria-describedby=described_by
                class=format!("block w-full rounded-md border border-slate-300 {background} px-3 py-2 font-mono text-sm")
                on:focus=move |ev| {
                    #[cfg(feature = "hydrate")]
                    {
                        use wasm_bindgen::JsCast;
                        if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                            input.select();
                        }
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = ev;
                }
            />
            <button type="button" class=crate::pages::BUTTON_SECONDARY on:click=copy>
                {move || if copied.get() { "Copied" } else { "Copy" }}
            </button>
        </div>
        <p class="sr-only" role="status" aria-live="polite">{move || copied.get().then_some(announce)}</p>
    }
}

/// The domain rules as field rules, so the browser says exactly what the server would.
pub mod rules {
    use crate::domain::{ChatbotName, Email, NewPassword, SystemPrompt, WorkspaceName};

    pub fn email(value: &str) -> Option<String> {
        Email::parse(value).err().map(|e| e.0)
    }
    pub fn new_password(value: &str) -> Option<String> {
        NewPassword::parse(value).err().map(|e| e.0)
    }
    pub fn workspace_name(value: &str) -> Option<String> {
        WorkspaceName::parse(value).err().map(|e| e.0)
    }
    pub fn chatbot_name(value: &str) -> Option<String> {
        ChatbotName::parse(value).err().map(|e| e.0)
    }
    pub fn system_prompt(value: &str) -> Option<String> {
        SystemPrompt::parse(value).err().map(|e| e.0)
    }
    pub fn account_sid(value: &str) -> Option<String> {
        crate::domain::AccountSid::parse(value).err().map(|e| e.0)
    }
    pub fn auth_token(value: &str) -> Option<String> {
        crate::domain::AuthToken::parse(value).err().map(|e| e.0)
    }
    /// A blank token keeps the stored one when editing.
    pub fn optional_auth_token(value: &str) -> Option<String> {
        if value.trim().is_empty() {
            None
        } else {
            auth_token(value)
        }
    }
    pub fn phone_number(value: &str) -> Option<String> {
        crate::domain::E164::parse(value).err().map(|e| e.0)
    }
    pub fn friendly_name(value: &str) -> Option<String> {
        crate::domain::FriendlyName::parse(value).err().map(|e| e.0)
    }
    pub fn widget_origins(value: &str) -> Option<String> {
        crate::domain::widget::AllowedOrigins::parse(value)
            .err()
            .map(|e| e.0)
    }
    pub fn knowledge_base_name(value: &str) -> Option<String> {
        crate::domain::knowledge::KnowledgeBaseName::parse(value)
            .err()
            .map(|e| e.0)
    }
    pub fn document_title(value: &str) -> Option<String> {
        crate::domain::knowledge::DocumentTitle::parse(value)
            .err()
            .map(|e| e.0)
    }
    pub fn pasted_text(value: &str) -> Option<String> {
        crate::domain::knowledge::PastedText::parse(value)
            .err()
            .map(|e| e.0)
    }
    pub fn required_password(value: &str) -> Option<String> {
        value.is_empty().then(|| "Enter your password.".to_owned())
    }
}
