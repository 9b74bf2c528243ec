//! Chatbots → a chatbot → Integrations → Channels: every channel and where it stands.
use crate::components::chatbot_header::{ChatbotHeader, chatbot_id_param};
use crate::components::{ErrorPanel, Loading, error_title};
use crate::error::AppError;
use crate::server_fns::chatbots::{ChannelState, get_chatbot, list_channels};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ChannelsPage() -> impl IntoView {
    let id = chatbot_id_param();
    let page = Resource::new_blocking(
        move || id.get(),
        |id| async move {
            let id = id.ok_or(AppError::NotFound)?;
            let bot = get_chatbot(id).await?;
            let channels = list_channels(id).await?;
            Ok::<_, AppError>((bot, channels))
        },
    );
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok((bot, channels)) => view! {
                        <Title text=format!("Channels · {}", bot.name)/>
                        <ChatbotHeader id=bot.id name=bot.name.clone() current="integrations"/>
                        <section aria-labelledby="channels-heading" class="mt-6 max-w-3xl">
                            <h2 id="channels-heading" class="text-lg font-semibold">"Channels"</h2>
                            <p class="mt-1 text-sm text-slate-600">
                                "Where customers can reach this chatbot. Every channel answers with the same instructions."
                            </p>
                            <ul class="mt-4 divide-y divide-slate-200 overflow-hidden rounded-lg bg-white shadow-sm ring-1 ring-slate-200">
                                {channels.into_iter().map(|channel| view! {
                                    <li class="flex flex-col gap-2 px-4 py-4 sm:flex-row sm:items-center sm:justify-between">
                                        <div>
                                            <h3 class="font-medium">
                                                {match channel.href {
                                                    Some(href) => view! {
                                                        <a class="text-indigo-700 underline-offset-2 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 rounded" href=href>{channel.name}</a>
                                                    }.into_any(),
                                                    None => view! { <span>{channel.name}</span> }.into_any(),
                                                }}
                                            </h3>
                                            <p class="text-sm text-slate-600">{channel.description}</p>
                                        </div>
                                        <StateBadge state=channel.state/>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <Title text=error_title(&error)/><ErrorPanel error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn StateBadge(state: ChannelState) -> impl IntoView {
    let (label, class) = match state {
        ChannelState::Connected => ("Connected", "bg-green-100 text-green-900"),
        ChannelState::NotConnected => ("Not connected", "bg-slate-100 text-slate-800"),
        ChannelState::NeedsUpgrade => ("Needs the Starter plan", "bg-amber-100 text-amber-900"),
    };
    view! {
        <span class=format!("inline-flex w-fit rounded-full px-2.5 py-0.5 text-xs font-medium {class}")>{label}</span>
    }
}
