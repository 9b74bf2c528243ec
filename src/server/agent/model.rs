//! An OpenAI-compatible chat-completions endpoint (`MODEL_API_BASE`, `MODEL_API_KEY`, `MODEL_NAME`):
//! one call with a timeout, retried with exponential backoff when the failure may pass (a network
//! error, a timeout, 429 or 5xx).
use backon::{ExponentialBuilder, Retryable};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use url::Url;

// Three tries must end within the reply job's 60-second lease.
const TIMEOUT: Duration = Duration::from_secs(15);
const TRIES: usize = 3;
/// The most of a model answer we read: a reply is at most a few KiB of JSON.
const ANSWER_LIMIT: usize = 1024 * 1024;

/// Why the model gave no answer, in words fit for the inbox thread (never the key or the address).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    #[error("the model endpoint did not answer in time")]
    Timeout,
    #[error("the model endpoint could not be reached")]
    Unreachable,
    #[error("the model endpoint refused the request (HTTP {0})")]
    Refused(u16),
    #[error("the model endpoint failed (HTTP {0})")]
    Failed(u16),
    #[error("the model endpoint's answer could not be read")]
    Unreadable,
    #[error("the model answered with no text")]
    Empty,
}

impl ModelError {
    fn may_pass(&self) -> bool {
        match self {
            Self::Timeout | Self::Unreachable | Self::Failed(_) => true,
            Self::Refused(status) => *status == 429,
            Self::Unreadable | Self::Empty => false,
        }
    }
}

/// One chat message: `system`, `user` or `assistant`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChatMessage {
    pub role: &'static str,
    pub content: String,
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    temperature: f32,
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

/// A configured endpoint.
pub struct Model<'a> {
    pub http: &'a reqwest::Client,
    pub base: &'a Url,
    pub key: Option<&'a SecretString>,
    pub name: &'a str,
}

impl Model<'_> {
    /// The model's answer to the conversation, trimmed.
    pub async fn complete(&self, messages: &[ChatMessage]) -> Result<String, ModelError> {
        let call = || self.call_once(messages);
        call.retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(300))
                .with_max_times(TRIES - 1)
                .with_jitter(),
        )
        .when(ModelError::may_pass)
        .notify(|error, after| {
            tracing::warn!(%error, retry_in_ms = after.as_millis() as u64, "model call will be retried")
        })
        .await
    }

    async fn call_once(&self, messages: &[ChatMessage]) -> Result<String, ModelError> {
        let url = format!(
            "{}/chat/completions",
            self.base.as_str().trim_end_matches('/')
        );
        let mut request = self.http.post(url).timeout(TIMEOUT).json(&ChatRequest {
            model: self.name,
            messages,
            temperature: 0.2,
        });
        if let Some(key) = self.key {
            request = request.bearer_auth(key.expose_secret());
        }
        let response = request.send().await.map_err(|error| {
            if error.is_timeout() {
                ModelError::Timeout
            } else {
                ModelError::Unreachable
            }
        })?;
        let status = response.status().as_u16();
        if response.status().is_server_error() {
            return Err(ModelError::Failed(status));
        }
        if !response.status().is_success() {
            return Err(ModelError::Refused(status));
        }
        let bytes = crate::server::http_limit::read_at_most(response, ANSWER_LIMIT)
            .await
            .map_err(|error| match error {
                crate::server::http_limit::ReadError::Transport(error) if error.is_timeout() => {
                    ModelError::Timeout
                }
                _ => ModelError::Unreadable,
            })?;
        let body: ChatResponse =
            serde_json::from_slice(&bytes).map_err(|_| ModelError::Unreadable)?;
        body.choices
            .into_iter()
            .next()
            .and_then(|choice| choice.message.content)
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
            .ok_or(ModelError::Empty)
    }
}
