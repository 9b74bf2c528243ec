//! Create, list, rename and delete chatbots, and the state of each chatbot's channels. Owners and
//! admins only: agents work the inbox and get 403 here.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatbotSummary {
    pub id: Uuid,
    pub name: String,
}

/// The chatbots of the viewer's workspace. Only owners and admins see chatbots at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatbotList {
    pub items: Vec<ChatbotSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatbotDetail {
    pub id: Uuid,
    pub name: String,
    pub system_prompt: String,
}

/// Where a channel of a chatbot stands, as the Channels list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelState {
    NotConnected,
    Connected,
    /// The workspace's plan does not include integrations.
    NeedsUpgrade,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelSummary {
    pub name: String,
    pub description: String,
    pub state: ChannelState,
    /// The channel's settings page, once it has one.
    pub href: Option<String>,
}

/// The website widget's settings: the snippet to paste and the origins allowed to embed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WidgetSettings {
    pub chatbot_id: Uuid,
    /// The `<script>` tag, with this server's public address.
    pub snippet: String,
    /// One origin per line, as saved.
    pub origins: String,
}

#[server(prefix = "/api", endpoint = "chatbots_list")]
pub async fn list_chatbots() -> Result<ChatbotList, AppError> {
    use crate::server::repo::chatbots;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let items = chatbots::list(&state.db, member.workspace_id)
                .await?
                .into_iter()
                .map(|c| ChatbotSummary {
                    id: c.id,
                    name: c.name,
                })
                .collect();
            Ok(ChatbotList { items })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "chatbots_get")]
pub async fn get_chatbot(id: Uuid) -> Result<ChatbotDetail, AppError> {
    use crate::server::repo::chatbots;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let chatbot = chatbots::find(&state.db, member.workspace_id, id)
                .await?
                .ok_or(AppError::NotFound)?;
            Ok(ChatbotDetail {
                id: chatbot.id,
                name: chatbot.name,
                system_prompt: chatbot.system_prompt,
            })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "chatbots_create")]
pub async fn create_chatbot(name: String, system_prompt: String) -> Result<Uuid, AppError> {
    use crate::domain::{ChatbotName, SystemPrompt};
    use crate::server::repo::chatbots;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let name = ChatbotName::parse(&name).map_err(|e| AppError::invalid("name", e.0))?;
            let prompt = SystemPrompt::parse(&system_prompt)
                .map_err(|e| AppError::invalid("system_prompt", e.0))?;
            let chatbot = chatbots::create(&state.db, member.workspace_id, &name, &prompt).await?;
            tracing::info!(chatbot_id = %chatbot.id, "chatbot created");
            leptos_axum::redirect(&format!("/chatbots/{}", chatbot.id));
            Ok(chatbot.id)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "chatbots_update")]
pub async fn update_chatbot(id: Uuid, name: String, system_prompt: String) -> Result<(), AppError> {
    use crate::domain::{ChatbotName, SystemPrompt};
    use crate::server::repo::chatbots;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let name = ChatbotName::parse(&name).map_err(|e| AppError::invalid("name", e.0))?;
            let prompt = SystemPrompt::parse(&system_prompt)
                .map_err(|e| AppError::invalid("system_prompt", e.0))?;
            if chatbots::update(&state.db, member.workspace_id, id, &name, &prompt).await? {
                Ok(())
            } else {
                Err(AppError::NotFound)
            }
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "chatbots_delete")]
pub async fn delete_chatbot(id: Uuid) -> Result<(), AppError> {
    use crate::server::repo::chatbots;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            if !chatbots::delete(&state.db, member.workspace_id, id).await? {
                return Err(AppError::NotFound);
            }
            tracing::info!(chatbot_id = %id, "chatbot deleted");
            leptos_axum::redirect("/chatbots");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "chatbots_channels")]
pub async fn list_channels(chatbot_id: Uuid) -> Result<Vec<ChannelSummary>, AppError> {
    use crate::server::repo::chatbots;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let chatbot = chatbots::find(&state.db, member.workspace_id, chatbot_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let widget_live = !chatbot.widget_origins.trim().is_empty();
            let unconnected = if member.plan.allows_integrations() {
                ChannelState::NotConnected
            } else {
                ChannelState::NeedsUpgrade
            };
            let sms_connected =
                crate::server::repo::sms::is_connected(&state.db, member.workspace_id, chatbot_id)
                    .await?;
            Ok(vec![
                ChannelSummary {
                    name: "SMS (Twilio)".into(),
                    description:
                        "Answer your customers' text messages from your own Twilio number.".into(),
                    state: if sms_connected {
                        ChannelState::Connected
                    } else {
                        unconnected
                    },
                    href: Some(format!("/chatbots/{chatbot_id}/integrations/channels/sms")),
                },
                ChannelSummary {
                    name: "Website widget".into(),
                    description: "A chat bubble on your website, answered by the same bot.".into(),
                    // Every plan: live once a website is allowed to embed it.
                    state: if widget_live {
                        ChannelState::Connected
                    } else {
                        ChannelState::NotConnected
                    },
                    href: Some(format!("/chatbots/{chatbot_id}/integrations/channels/web")),
                },
            ])
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "chatbots_widget")]
pub async fn get_widget_settings(chatbot_id: Uuid) -> Result<WidgetSettings, AppError> {
    use crate::domain::widget::AllowedOrigins;
    use crate::server::repo::chatbots;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let chatbot = chatbots::find(&state.db, member.workspace_id, chatbot_id)
                .await?
                .ok_or(AppError::NotFound)?;
            Ok(WidgetSettings {
                chatbot_id,
                snippet: crate::server::widget::snippet(
                    state.config.public_base_url.as_str(),
                    chatbot_id,
                ),
                origins: AllowedOrigins::from_stored(&chatbot.widget_origins).to_stored(),
            })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "chatbots_widget_origins")]
pub async fn set_widget_origins(chatbot_id: Uuid, origins: String) -> Result<(), AppError> {
    use crate::domain::widget::AllowedOrigins;
    use crate::server::repo::chatbots;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let origins =
                AllowedOrigins::parse(&origins).map_err(|e| AppError::invalid("origins", e.0))?;
            if !chatbots::set_widget_origins(&state.db, member.workspace_id, chatbot_id, &origins)
                .await?
            {
                return Err(AppError::NotFound);
            }
            tracing::info!(%chatbot_id, count = origins.iter().count(), "widget origins saved");
            Ok(())
        }
        .await,
    )
}
