//! One chatbot: its settings (name, system prompt), deleting it, and the tabs to its integrations.
use crate::components::chatbot_header::{ChatbotHeader, chatbot_id_param};
use crate::components::fields::rules;
use crate::components::{
    ErrorPanel, FormError, Loading, Spinner, TextAreaField, TextField, error_title,
};
use crate::domain::SystemPrompt;
use crate::domain::knowledge::SegmentBudget;
use crate::error::AppError;
use crate::pages::knowledge::{SELECT, reply_length_label};
use crate::pages::{BUTTON_DANGER, BUTTON_SECONDARY, LINK, SaveButton, action_error, field_error};
use crate::server_fns::chatbots::{ChatbotDetail, DeleteChatbot, UpdateChatbot, get_chatbot};
use crate::server_fns::knowledge::{ChatbotKnowledge, SetChatbotKnowledge, get_chatbot_knowledge};
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

#[component]
pub fn ChatbotSettings() -> impl IntoView {
    let id = chatbot_id_param();
    let update = ServerAction::<UpdateChatbot>::new();
    let detail = Resource::new_blocking(
        move || (id.get(), update.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_chatbot(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    // Here, with the page's other resource and outside any Suspense, so the browser finds the
    // server's answer when it hydrates (a resource made inside a Suspense is fetched again, and the
    // page's hydration breaks).
    let knowledge = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_chatbot_knowledge(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(bot) => view! { <Settings bot update knowledge/> }.into_any(),
                    Err(error) => view! { <Title text=error_title(&error)/><ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Settings(
    bot: ChatbotDetail,
    update: ServerAction<UpdateChatbot>,
    knowledge: Resource<Result<ChatbotKnowledge, AppError>>,
) -> impl IntoView {
    let error = action_error(update);
    let pending = update.pending();
    let saved = Signal::derive(move || matches!(update.value().get(), Some(Ok(()))));
    let ChatbotDetail {
        id,
        name,
        system_prompt,
    } = bot;
    let delete_name = name.clone();
    view! {
        <Title text=name.clone()/>
        <ChatbotHeader id name=name.clone() current="settings"/>
        <section aria-labelledby="settings-heading" class="mt-6 max-w-2xl rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h2 id="settings-heading" class="text-lg font-semibold">"Settings"</h2>
            <ActionForm action=update attr:class="mt-4 space-y-4" attr:novalidate=true>
                <input type="hidden" name="id" value=id.to_string()/>
                <TextField
                    label="Name"
                    name="name"
                    initial=name
                    rule=rules::chatbot_name
                    server_error=field_error(error, "name")
                />
                <TextAreaField
                    label="System prompt"
                    name="system_prompt"
                    initial=system_prompt
                    max_chars=SystemPrompt::MAX_CHARS
                    rule=rules::system_prompt
                    server_error=field_error(error, "system_prompt")
                    rows=10
                />
                <FormError error/>
                <SaveButton pending saved label="Save changes"/>
            </ActionForm>
        </section>
        <KnowledgeSettings id knowledge/>
        <div class="mt-8 max-w-2xl">
            <crate::pages::widget::TryYourChatbot id/>
        </div>
        <DeleteChatbotPanel id name=delete_name/>
    }
}

/// Which knowledge bases the chatbot answers from, and how long its SMS replies may be. The form
/// itself is outside the Suspense, so it is interactive as soon as the page is (the fields inside
/// hydrate a moment later; the submit reads them from the page either way).
#[component]
fn KnowledgeSettings(
    id: Uuid,
    knowledge: Resource<Result<ChatbotKnowledge, AppError>>,
) -> impl IntoView {
    let save = ServerAction::<SetChatbotKnowledge>::new();
    let error = action_error(save);
    let pending = save.pending();
    let saved = Signal::derive(move || matches!(save.value().get(), Some(Ok(()))));
    view! {
        <section id="knowledge" aria-labelledby="knowledge-heading" class="mt-8 max-w-2xl rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h2 id="knowledge-heading" class="text-lg font-semibold">"Knowledge"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "The chatbot answers from the knowledge bases you choose here. When they hold no answer, or there are none, the conversation goes to a person in the inbox."
            </p>
            <ActionForm action=save attr:class="mt-4 space-y-6" attr:novalidate=true>
                <input type="hidden" name="chatbot_id" value=id.to_string()/>
                <Suspense fallback=|| view! { <Loading label="Loading knowledge settings…"/> }>
                    {move || Suspend::new(async move {
                        match knowledge.await {
                            Ok(knowledge) => view! { <KnowledgeFields knowledge error/> }.into_any(),
                            Err(error) => view! { <FormError error=Some(error)/> }.into_any(),
                        }
                    })}
                </Suspense>
                <FormError error/>
                <SaveButton pending saved label="Save knowledge settings"/>
            </ActionForm>
        </section>
    }
}

#[component]
fn KnowledgeFields(knowledge: ChatbotKnowledge, error: Signal<Option<AppError>>) -> impl IntoView {
    let segments_error = field_error(error, "reply_segments");
    let ChatbotKnowledge {
        bases,
        reply_segments,
        ..
    } = knowledge;
    let choices = if bases.is_empty() {
        view! {
            <p class="mt-2 text-sm text-slate-700">
                "Your workspace has no knowledge base yet. "
                <a class=LINK href="/knowledge">"Create a knowledge base"</a>
                " and add your help articles, then choose it here."
            </p>
        }
        .into_any()
    } else {
        view! {
            <div class="mt-2 space-y-2">
                {bases.into_iter().map(|(base_id, name, on)| {
                    let input_id = format!("knowledge-{base_id}");
                    view! {
                        <div class="flex flex-wrap items-center gap-x-3 gap-y-1">
                            <input
                                id=input_id.clone()
                                type="checkbox"
                                name="base_ids[]"
                                value=base_id.to_string()
                                checked=on
                                class="h-4 w-4 rounded border-slate-300 text-indigo-700 focus:ring-2 focus:ring-indigo-600"
                            />
                            <label for=input_id class="text-sm font-medium text-slate-800">{name.clone()}</label>
                            <a class=format!("{LINK} text-sm") href=format!("/knowledge/{base_id}")>
                                "Open" <span class="sr-only">" " {name}</span>
                            </a>
                        </div>
                    }
                }).collect_view()}
                <p class="pt-1 text-sm">
                    <a class=LINK href="/knowledge">"All knowledge bases"</a>
                </p>
            </div>
        }
        .into_any()
    };
    view! {
        <fieldset>
            <legend class="text-sm font-medium text-slate-800">"Knowledge bases"</legend>
            {choices}
        </fieldset>
        <div>
            <label for="field-reply_segments" class="block text-sm font-medium text-slate-800">"SMS reply length"</label>
            <select
                id="field-reply_segments"
                name="reply_segments"
                class=SELECT
                aria-describedby="field-reply_segments-hint field-reply_segments-message"
                aria-invalid=move || segments_error.get().is_some().to_string()
            >
                {(1..=SegmentBudget::MAX).map(|n| view! {
                    <option value=n.to_string() selected=n == reply_segments>{reply_length_label(n)}</option>
                }).collect_view()}
            </select>
            <p id="field-reply_segments-hint" class="mt-1 text-xs text-slate-600">
                "The longest text the chatbot sends in one reply. Twilio bills each segment; a longer answer is cut short at the end of a sentence or word."
            </p>
            <p id="field-reply_segments-message" class="mt-1 min-h-5 text-sm text-red-700" aria-live="polite">
                {move || segments_error.get()}
            </p>
        </div>
    }
}

#[component]
fn DeleteChatbotPanel(id: Uuid, name: String) -> impl IntoView {
    let delete = ServerAction::<DeleteChatbot>::new();
    let error = action_error(delete);
    let pending = delete.pending();
    let confirming = RwSignal::new(false);
    let question = StoredValue::new(format!("Delete “{name}” for good?"));
    view! {
        <section aria-labelledby="danger-heading" class="mt-8 max-w-2xl rounded-lg border border-red-200 bg-white p-6">
            <h2 id="danger-heading" class="text-lg font-semibold text-red-900">"Delete this chatbot"</h2>
            <p class="mt-1 text-sm text-slate-700">"Its settings and channel connections are removed. This can't be undone."</p>
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button type="button" class=format!("{BUTTON_SECONDARY} mt-4") on:click=move |_| confirming.set(true)>
                        "Delete chatbot…"
                    </button>
                }
            >
                <ActionForm action=delete attr:class="mt-4 flex flex-wrap items-center gap-3">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <p class="w-full text-sm font-medium text-red-900" role="alert">
                        {question.get_value()}
                    </p>
                    <button type="submit" class=BUTTON_DANGER disabled=pending>
                        <Show when=move || pending.get()><Spinner/></Show>
                        {move || if pending.get() { "Deleting…" } else { "Yes, delete it" }}
                    </button>
                    <button type="button" class=BUTTON_SECONDARY on:click=move |_| confirming.set(false)>
                        "Cancel"
                    </button>
                </ActionForm>
            </Show>
            <FormError error/>
        </section>
    }
}
