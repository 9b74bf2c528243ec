//! Knowledge bases: the workspace's list (which chatbots answer from each), and a form to add one.
use crate::components::fields::rules;
use crate::components::{EmptyState, ErrorPanel, FormError, Loading, Spinner, TextField};
use crate::domain::knowledge::Language;
use crate::pages::{BUTTON_PRIMARY, action_error, field_error};
use crate::server_fns::knowledge::{CreateBase, KnowledgeBaseSummary, list_bases};
use leptos::prelude::*;
use leptos_meta::Title;

pub(crate) const SELECT: &str = "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 shadow-sm focus:border-indigo-600 focus:outline-none focus:ring-2 focus:ring-indigo-600 aria-[invalid=true]:border-red-600";

#[component]
pub fn KnowledgeListPage() -> impl IntoView {
    let create = ServerAction::<CreateBase>::new();
    let list = Resource::new_blocking(move || create.version().get(), |_| list_bases());
    view! {
        <Title text="Knowledge"/>
        <h1 class="text-2xl font-bold">"Knowledge"</h1>
        <p class="mt-1 max-w-2xl text-slate-600">
            "Knowledge bases hold your help articles, FAQs and policies. A chatbot that uses one answers customers from it, and passes the conversation to a person when it finds no answer."
        </p>
        <Transition fallback=|| view! { <Loading label="Loading your knowledge bases…"/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(bases) => view! {
                        <section aria-labelledby="your-bases" class="mt-6 max-w-4xl">
                            <h2 id="your-bases" class="sr-only">"Your knowledge bases"</h2>
                            {if bases.is_empty() {
                                view! {
                                    <EmptyState title="No knowledge bases yet">
                                        <p>
                                            "A knowledge base is a collection of documents (Markdown, text, HTML or PDF files, or pasted text) that your chatbots search before they answer. Without one, every question goes to a person."
                                        </p>
                                        <p class="mt-2">"Create one below, add your documents, then choose it on a chatbot's settings page."</p>
                                    </EmptyState>
                                }.into_any()
                            } else {
                                view! {
                                    <ul class="divide-y divide-slate-200 overflow-hidden rounded-lg bg-white shadow-sm ring-1 ring-slate-200" data-testid="knowledge-bases">
                                        {bases.into_iter().map(|base| view! { <BaseItem base/> }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                        </section>
                        <NewBaseForm create/>
                    }.into_any(),
                    Err(error) => view! { <div class="mt-6"><ErrorPanel error/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BaseItem(base: KnowledgeBaseSummary) -> impl IntoView {
    let KnowledgeBaseSummary {
        id,
        name,
        language,
        chatbots,
    } = base;
    let used_by = if chatbots.is_empty() {
        "No chatbot uses it yet".to_owned()
    } else {
        format!("Used by {}", chatbots.join(", "))
    };
    view! {
        <li>
            <a
                href=format!("/knowledge/{id}")
                class="flex items-center justify-between gap-4 px-4 py-4 hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-indigo-600"
            >
                <span class="min-w-0">
                    <span class="block font-medium">{name}</span>
                    <span class="block text-sm text-slate-600">{language.label()} " · " {used_by}</span>
                </span>
                <span aria-hidden="true" class="text-slate-400">"→"</span>
            </a>
        </li>
    }
}

#[component]
fn NewBaseForm(create: ServerAction<CreateBase>) -> impl IntoView {
    let error = action_error(create);
    let language_error = field_error(error, "language");
    let pending = create.pending();
    view! {
        <section aria-labelledby="new-base" class="mt-8 max-w-2xl rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h2 id="new-base" class="text-lg font-semibold">"New knowledge base"</h2>
            <ActionForm action=create attr:class="mt-4 space-y-4" attr:novalidate=true>
                <TextField
                    label="Name"
                    name="name"
                    rule=rules::knowledge_base_name
                    server_error=field_error(error, "name")
                    hint="For example: Help centre"
                />
                <LanguageSelect error=language_error/>
                <FormError error/>
                <button type="submit" class=BUTTON_PRIMARY disabled=pending aria-busy=move || pending.get().to_string()>
                    <Show when=move || pending.get()><Spinner/></Show>
                    {move || if pending.get() { "Creating…" } else { "Create knowledge base" }}
                </button>
            </ActionForm>
        </section>
    }
}

/// The documents' language: it decides how words are matched (stemming, stop words).
#[component]
fn LanguageSelect(error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div>
            <label for="field-language" class="block text-sm font-medium text-slate-800">"Language of the documents"</label>
            <select
                id="field-language"
                name="language"
                class=SELECT
                aria-describedby="field-language-hint field-language-message"
                aria-invalid=move || error.get().is_some().to_string()
            >
                {Language::ALL.into_iter().map(|language| view! {
                    <option value=language.as_str() selected=language == Language::English>{language.label()}</option>
                }).collect_view()}
            </select>
            <p id="field-language-hint" class="mt-1 text-xs text-slate-600">
                "Questions are matched to the documents in this language: “refunds” finds “refund”."
            </p>
            <p id="field-language-message" class="mt-1 min-h-5 text-sm text-red-700" aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}

/// The most GSM-7 characters a reply of `segments` SMS segments holds (160 for one, 153 a segment
/// when split).
pub(crate) fn max_reply_chars(segments: u8) -> usize {
    match segments {
        0 | 1 => 160,
        n => 153 * usize::from(n),
    }
}

/// "1 segment (up to 160 characters)", "3 segments (up to 459 characters)".
pub(crate) fn reply_length_label(segments: u8) -> String {
    let chars = max_reply_chars(segments);
    let chars = if chars >= 1000 {
        format!("{},{:03}", chars / 1000, chars % 1000)
    } else {
        chars.to_string()
    };
    if segments == 1 {
        format!("1 segment (up to {chars} characters)")
    } else {
        format!("{segments} segments (up to {chars} characters)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_lengths_are_labelled_with_their_characters() {
        assert_eq!(reply_length_label(1), "1 segment (up to 160 characters)");
        assert_eq!(reply_length_label(3), "3 segments (up to 459 characters)");
        assert_eq!(
            reply_length_label(10),
            "10 segments (up to 1,530 characters)"
        );
    }
}
