//! Asking before a destructive action.
use crate::pages::BUTTON_SECONDARY;
use leptos::html;
use leptos::prelude::*;

/// A button that asks before it acts: pressing it shows the question (the children, which hold the
/// form and a Cancel button that clears `confirming`). Keyboard focus moves into the question when
/// it opens and back to the button when it is cancelled.
#[component]
pub fn Confirmable(
    confirming: RwSignal<bool>,
    /// The button's text ("Remove").
    verb: &'static str,
    /// What it acts on, for screen readers, since every row has the same button.
    subject: String,
    children: ChildrenFn,
) -> impl IntoView {
    let button = NodeRef::<html::Button>::new();
    let panel = NodeRef::<html::Div>::new();
    let opened = StoredValue::new(false);
    Effect::new(move |_| {
        if let Some(panel) = panel.get() {
            opened.set_value(true);
            let _ = panel.focus();
        }
    });
    Effect::new(move |_| {
        if let Some(button) = button.get()
            && opened.get_value()
        {
            let _ = button.focus();
        }
    });
    let subject = StoredValue::new(subject);
    view! {
        <Show
            when=move || confirming.get()
            fallback=move || view! {
                <button
                    type="button"
                    node_ref=button
                    class=BUTTON_SECONDARY
                    on:click=move |_| confirming.set(true)
                >
                    // One flex item, so the button's gap does not split "Remove…".
                    <span>{verb} <span class="sr-only">" " {subject.get_value()}</span> "…"</span>
                </button>
            }
        >
            <div node_ref=panel tabindex="-1" class="focus:outline-none">
                {children()}
            </div>
        </Show>
    }
}
