//! The AI agent: one function that turns a conversation into the chatbot's next reply, used by every
//! channel (the SMS worker today, the website widget with it). It sends the chatbot's system prompt
//! and the conversation so far to an OpenAI-compatible chat-completions API (`MODEL_API_BASE`).
use crate::server::entities::{chatbot, conversation, message};
use crate::server::state::AppState;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// How many earlier messages the model sees.
const HISTORY: u64 = 20;
const MODEL_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("no model endpoint is configured (MODEL_API_BASE)")]
    NotConfigured,
    #[error("the model endpoint failed: {0}")]
    Model(String),
    #[error("the model answered with no text")]
    Empty,
    #[error("the conversation or chatbot no longer exists")]
    Gone,
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

#[derive(Serialize)]
struct ChatMessage<'a> {
    role: &'a str,
    content: &'a str,
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<ChatMessage<'a>>,
}

#[derive(Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    content: Option<String>,
}

/// The chatbot's reply to the customer message `answering` of a conversation. The model sees the
/// conversation up to and including that message, not texts that arrived after it (those get their
/// own replies, in order).
#[tracing::instrument(skip(state))]
pub async fn reply(
    state: &AppState,
    conversation_id: Uuid,
    answering: Uuid,
) -> Result<String, AgentError> {
    let asked = message::Entity::find_by_id(answering)
        .filter(message::Column::ConversationId.eq(conversation_id))
        .one(&state.db)
        .await?
        .ok_or(AgentError::Gone)?;
    let conversation = conversation::Entity::find_by_id(conversation_id)
        .one(&state.db)
        .await?
        .ok_or(AgentError::Gone)?;
    let chatbot = chatbot::Entity::find_by_id(conversation.chatbot_id)
        .filter(chatbot::Column::WorkspaceId.eq(conversation.workspace_id))
        .one(&state.db)
        .await?
        .ok_or(AgentError::Gone)?;
    let mut history = message::Entity::find()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(message::Column::CreatedAt.lte(asked.created_at))
        // Only what the customer and the bot actually exchanged: no notes about the conversation,
        // no reply that was never sent.
        .filter(message::Column::Direction.ne("event"))
        .filter(message::Column::Status.ne("canceled"))
        .order_by_desc(message::Column::CreatedAt)
        .limit(HISTORY)
        .all(&state.db)
        .await?;
    history.reverse();

    let Some(base) = state.config.model_api_base.as_ref() else {
        // Local mode without a model: a labelled demo answer, so the whole path can be tried offline.
        if state.emulator.is_some() {
            return Ok(demo_reply(&chatbot.name, &asked.body));
        }
        return Err(AgentError::NotConfigured);
    };
    let mut messages = vec![ChatMessage {
        role: "system",
        content: &chatbot.system_prompt,
    }];
    messages.extend(
        history
            .iter()
            .filter(|m| !m.body.is_empty())
            .map(|m| ChatMessage {
                role: if m.direction == "inbound" {
                    "user"
                } else {
                    "assistant"
                },
                content: &m.body,
            }),
    );
    let url = format!("{}/chat/completions", base.as_str().trim_end_matches('/'));
    let mut request = state
        .http
        .post(url)
        .timeout(MODEL_TIMEOUT)
        .json(&ChatRequest {
            model: &state.config.model_name,
            messages,
        });
    if let Some(key) = &state.config.model_api_key {
        request = request.bearer_auth(key.expose_secret());
    }
    let response = request
        .send()
        .await
        .map_err(|e| AgentError::Model(e.without_url().to_string()))?;
    if !response.status().is_success() {
        return Err(AgentError::Model(format!(
            "HTTP {}",
            response.status().as_u16()
        )));
    }
    let body: ChatResponse = response
        .json()
        .await
        .map_err(|e| AgentError::Model(e.without_url().to_string()))?;
    body.choices
        .into_iter()
        .next()
        .and_then(|c| c.message.content)
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
        .ok_or(AgentError::Empty)
}

/// The demo answer of local mode (the built-in Twilio emulator, no `MODEL_API_BASE`).
pub fn demo_reply(chatbot_name: &str, asked: &str) -> String {
    format!(
        "[Demo reply from {chatbot_name}] I got your message: \u{201c}{asked}\u{201d}. Set MODEL_API_BASE to let a real model answer."
    )
}
