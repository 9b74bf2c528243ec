//! Chatbots → a chatbot → Integrations → Channels → Website widget: the snippet to paste, the
//! websites allowed to embed it, and the widget itself to try.
use crate::components::chatbot_header::{ChatbotHeader, chatbot_id_param};
use crate::components::fields::rules;
use crate::components::{CopyField, ErrorPanel, FormError, Loading, TextAreaField, error_title};
use crate::error::AppError;
use crate::pages::{LINK, SaveButton, action_error, field_error};
use crate::server_fns::chatbots::{SetWidgetOrigins, get_chatbot, get_widget_settings};
use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

#[component]
pub fn WidgetPage() -> impl IntoView {
    let id = chatbot_id_param();
    let save = ServerAction::<SetWidgetOrigins>::new();
    // One server function per resource (see the channels page for why).
    let bot = Resource::new_blocking(
        move || id.get(),
        |id| async move { get_chatbot(id.ok_or(AppError::NotFound)?).await },
    );
    let settings = Resource::new_blocking(
        move || (id.get(), save.version().get()),
        |(id, _)| async move { get_widget_settings(id.ok_or(AppError::NotFound)?).await },
    );
    let error = action_error(save);
    let pending = save.pending();
    let saved = Signal::derive(move || matches!(save.value().get(), Some(Ok(()))));
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                let page = match (bot.await, settings.await) {
                    (Ok(bot), Ok(settings)) => Ok((bot, settings)),
                    (Err(error), _) | (_, Err(error)) => Err(error),
                };
                match page {
                    Ok((bot, settings)) => view! {
                        <Title text=format!("Website widget · {}", bot.name)/>
                        <ChatbotHeader id=bot.id name=bot.name.clone() current="integrations"/>
                        <div class="mt-6 max-w-3xl space-y-8">
                            <section aria-labelledby="snippet-heading" class="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
                                <h2 id="snippet-heading" class="text-lg font-semibold">"Website widget"</h2>
                                <p id="snippet-help" class="mt-1 text-sm text-slate-600">
                                    "Paste this tag into your website's pages, before "<code>"</body>"</code>
                                    ". A chat button appears in the corner; visitors get the same answers as your SMS customers, from the same knowledge and prompt, and their conversations land in the "
                                    <a class=LINK href="/inbox?channel=web">"inbox"</a>" with a Web badge."
                                </p>
                                <div class="mt-4">
                                    <CopyField id="widget-snippet" value=settings.snippet.clone() announce="Widget snippet copied" described_by="snippet-help"/>
                                </div>
                            </section>
                            <section aria-labelledby="origins-heading" class="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
                                <h2 id="origins-heading" class="text-lg font-semibold">"Websites allowed to embed it"</h2>
                                <p class="mt-1 text-sm text-slate-600">
                                    "One address per line, like https://shop.example. Browsers on any other website are refused, so nobody else can put your chatbot (and your model costs) on their pages. This dashboard can always use it, for the preview."
                                </p>
                                <ActionForm action=save attr:class="mt-4 space-y-4" attr:novalidate=true>
                                    <input type="hidden" name="chatbot_id" value=settings.chatbot_id.to_string()/>
                                    <TextAreaField
                                        label="Allowed websites"
                                        name="origins"
                                        initial=settings.origins.clone()
                                        max_chars=2_000
                                        rule=rules::widget_origins
                                        server_error=field_error(error, "origins")
                                        rows=4
                                    />
                                    <FormError error/>
                                    <SaveButton pending saved label="Save websites"/>
                                </ActionForm>
                            </section>
                            <TryYourChatbot id=bot.id/>
                        </div>
                    }.into_any(),
                    Err(error) => view! { <Title text=error_title(&error)/><ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The real website widget, shown inline: the same script, API and agent a website's visitors get.
#[component]
pub fn TryYourChatbot(id: Uuid) -> impl IntoView {
    let target = format!("viesti-preview-{}", id.simple());
    view! {
        <section aria-labelledby="try-heading" class="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
            <h2 id="try-heading" class="text-lg font-semibold">"Try your chatbot"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "This is the website widget itself, answering from this chatbot's knowledge and prompt. What you write here lands in the inbox like any visitor's conversation."
            </p>
            <div id=target.clone() class="mt-4 h-[28rem]"></div>
            <script src="/widget.js" data-chatbot=id.to_string() data-target=format!("#{target}") defer=true></script>
        </section>
    }
}
