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
    // One server function per resource: each call finds the request's context as the resource
    // starts. (A second call made after the first had answered could run in a render the server
    // had already discarded, fail without its context, and be the copy the browser hydrates with.)
    let bot = Resource::new_blocking(
        move || id.get(),
        |id| async move { get_chatbot(id.ok_or(AppError::NotFound)?).await },
    );
    let channels = Resource::new_blocking(
        move || id.get(),
        |id| async move { list_channels(id.ok_or(AppError::NotFound)?).await },
    );
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                let page = match (bot.await, channels.await) {
                    (Ok(bot), Ok(channels)) => Ok((bot, channels)),
                    (Err(error), _) | (_, Err(error)) => Err(error),
                };
                match page {
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
