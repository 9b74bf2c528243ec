//! Chatbots: the list, and a form to add one.
use crate::components::fields::rules;
use crate::components::{
    EmptyState, ErrorPanel, FormError, Loading, Spinner, TextAreaField, TextField,
};
use crate::domain::SystemPrompt;
use crate::pages::{BUTTON_PRIMARY, action_error, field_error};
use crate::server_fns::chatbots::{CreateChatbot, list_chatbots};
use leptos::prelude::*;
use leptos_meta::Title;

const STARTER_PROMPT: &str = "You are the friendly support assistant of our business. Answer briefly and politely. If you don't know the answer, say so and offer to pass the conversation to a person.";

#[component]
pub fn ChatbotListPage() -> impl IntoView {
    let create = ServerAction::<CreateChatbot>::new();
    let list = Resource::new(move || create.version().get(), |_| list_chatbots());
    view! {
        <Title text="Chatbots"/>
        <h1 class="text-2xl font-bold">"Chatbots"</h1>
        <p class="mt-1 text-slate-600">"Each chatbot has its own instructions and its own channels."</p>
        <Transition fallback=|| view! { <Loading label="Loading your chatbots…"/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => view! {
                        <section aria-labelledby="your-chatbots" class="mt-6">
                            <h2 id="your-chatbots" class="sr-only">"Your chatbots"</h2>
                            {if list.items.is_empty() {
                                view! {
                                    <EmptyState title="No chatbots yet">
                                        "Create your first one below: give it a name and tell it how to answer."
                                    </EmptyState>
                                }.into_any()
                            } else {
                                view! {
                                    <ul class="divide-y divide-slate-200 overflow-hidden rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
                                        {list.items.into_iter().map(|bot| view! {
                                            <li>
                                                <a
                                                    href=format!("/chatbots/{}", bot.id)
                                                    class="flex items-center justify-between px-4 py-4 hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-indigo-600"
                                                >
                                                    <span class="font-medium">{bot.name}</span>
                                                    <span aria-hidden="true" class="text-slate-400">"→"</span>
                                                </a>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            <NewChatbotForm create/>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <div class="mt-6"><ErrorPanel error/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NewChatbotForm(create: ServerAction<CreateChatbot>) -> impl IntoView {
    let error = action_error(create);
    let pending = create.pending();
    view! {
        <section aria-labelledby="new-chatbot" class="mt-8 max-w-2xl rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h2 id="new-chatbot" class="text-lg font-semibold">"New chatbot"</h2>
            <ActionForm action=create attr:class="mt-4 space-y-4" attr:novalidate=true>
                <TextField
                    label="Name"
                    name="name"
                    rule=rules::chatbot_name
                    server_error=field_error(error, "name")
                    hint="For example: Product support"
                />
                <TextAreaField
                    label="System prompt"
                    name="system_prompt"
                    initial=STARTER_PROMPT
                    max_chars=SystemPrompt::MAX_CHARS
                    rule=rules::system_prompt
                    server_error=field_error(error, "system_prompt")
                />
                <FormError error/>
                <button type="submit" class=BUTTON_PRIMARY disabled=pending>
                    <Show when=move || pending.get()><Spinner/></Show>
                    {move || if pending.get() { "Creating…" } else { "Create chatbot" }}
                </button>
            </ActionForm>
        </section>
    }
}
