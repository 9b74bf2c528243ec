//! The website chat widget's public edge: the script a website embeds (`GET /widget.js`) and the small
//! JSON API it talks to under `/api/widget/`. Visitors have no account: the server hands each a secret
//! token on their first message, and that token (as `Authorization: Bearer …`) is the only key to
//! their conversation. Browsers may call the API only from the origins the chatbot lists (and from
//! this dashboard, for the preview); requests without `Origin` (curl, servers) carry no browser
//! credentials and are subject to the same limits. Messages go through the same conversations,
//! durable reply jobs and agent as SMS, so the inbox shows them with a **Web** badge.
use crate::domain::inbox::ConversationStatus;
use crate::domain::widget::{AllowedOrigins, VisitorText, VisitorToken};
use crate::server::client_addr::ClientIp;
use crate::server::entities::{chatbot, conversation, message};
use crate::server::live::LiveEvent;
use crate::server::repo::conversations::{self, InboundOutcome};
use crate::server::state::AppState;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{DbErr, EntityTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

/// The script a website embeds.
pub const SCRIPT_PATH: &str = "/widget.js";
/// The script itself: plain JavaScript with no dependencies (a test keeps it under 20 KB gzip).
pub const SCRIPT: &str = include_str!("widget/widget.js");
/// The longest a poll may wait for news.
pub const MAX_WAIT: Duration = Duration::from_secs(25);

/// The widget's routes; mounted outside the dashboard's sessions and CSRF check, which protect
/// cookie-authenticated requests (the widget sends none).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(SCRIPT_PATH, get(script))
        .route("/api/widget/{chatbot}", get(about).options(preflight))
        .route(
            "/api/widget/{chatbot}/messages",
            get(poll).post(send).options(preflight),
        )
}

/// The `<script>` tag a website pastes to embed `chatbot_id`'s widget.
pub fn snippet(public_base_url: &str, chatbot_id: Uuid) -> String {
    format!(
        "<script src=\"{}{SCRIPT_PATH}\" data-chatbot=\"{chatbot_id}\" async></script>",
        public_base_url.trim_end_matches('/')
    )
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// An answer with the CORS headers the caller's origin may have.
struct Reply {
    status: StatusCode,
    body: serde_json::Value,
    origin: Option<HeaderValue>,
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        cors(response.headers_mut(), self.origin);
        response
    }
}

fn cors(headers: &mut HeaderMap, origin: Option<HeaderValue>) {
    headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
}

fn refuse(status: StatusCode, message: &str, origin: Option<HeaderValue>) -> Response {
    Reply {
        status,
        body: json!({ "error": message }),
        origin,
    }
    .into_response()
}

fn internal(error: &DbErr, origin: Option<HeaderValue>) -> Response {
    tracing::error!(tags.channel = "channels/web", %error, "widget request failed");
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side. Please try again in a moment.",
        origin,
    )
}

/// The chatbot a request is for and the origin to allow in the answer, or the refusal.
async fn admit(
    state: &AppState,
    chatbot: &str,
    headers: &HeaderMap,
) -> Result<(chatbot::Model, Option<HeaderValue>), Response> {
    let origin = headers.get(header::ORIGIN).cloned();
    let not_found = || {
        refuse(
            StatusCode::NOT_FOUND,
            "No chatbot has this id: copy the widget's snippet again from the chatbot's Channels page.",
            None,
        )
    };
    let Ok(id) = Uuid::try_parse(chatbot) else {
        return Err(not_found());
    };
    let found = match chatbot::Entity::find_by_id(id).one(&state.db).await {
        Ok(Some(found)) => found,
        Ok(None) => return Err(not_found()),
        Err(error) => return Err(internal(&error, None)),
    };
    let Some(origin) = origin else {
        return Ok((found, None));
    };
    let own = state.config.public_base_url.origin().ascii_serialization();
    let text = origin.to_str().unwrap_or_default();
    if text == own || AllowedOrigins::from_stored(&found.widget_origins).contains(text) {
        Ok((found, Some(origin)))
    } else {
        tracing::warn!(chatbot_id = %found.id, origin = text, "widget refused an origin it doesn't list");
        Err(refuse(
            StatusCode::FORBIDDEN,
            "This website isn't allowed to use this chatbot: add its address to the chatbot's website widget settings.",
            None,
        ))
    }
}

/// The visitor named by `Authorization: Bearer …`, `None` without one.
fn visitor(headers: &HeaderMap) -> Result<Option<VisitorToken>, String> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or_default();
    let token = value
        .strip_prefix("Bearer ")
        .ok_or_else(|| "Send the visitor token as “Authorization: Bearer <token>”.".to_owned())?;
    VisitorToken::parse(token).map(Some).map_err(|e| e.0)
}

async fn preflight(
    State(state): State<AppState>,
    Path(chatbot): Path<String>,
    headers: HeaderMap,
) -> Response {
    match admit(&state, &chatbot, &headers).await {
        Ok((_, origin)) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            let headers = response.headers_mut();
            cors(headers, origin);
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("Authorization, Content-Type"),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            response
        }
        Err(refused) => refused,
    }
}

/// `GET /api/widget/{chatbot}`: what the widget shows before the first message.
async fn about(
    State(state): State<AppState>,
    Path(chatbot): Path<String>,
    headers: HeaderMap,
) -> Response {
    match admit(&state, &chatbot, &headers).await {
        Ok((chatbot, origin)) => Reply {
            status: StatusCode::OK,
            body: json!({
                "name": chatbot.name,
                "greeting": format!("Hi! Ask {} anything, or ask for a person.", chatbot.name),
            }),
            origin,
        }
        .into_response(),
        Err(refused) => refused,
    }
}

#[derive(Deserialize)]
struct SendBody {
    text: String,
}

/// A message as the visitor sees it.
#[derive(Serialize)]
struct VisitorMessage {
    id: Uuid,
    /// `you`, `bot`, `person` (a teammate) or `notice` (an automatic notice).
    from: &'static str,
    text: String,
    at: String,
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl From<&message::Model> for VisitorMessage {
    fn from(row: &message::Model) -> Self {
        Self {
            id: row.id,
            from: match (row.direction.as_str(), row.author.as_str()) {
                ("inbound", _) => "you",
                (_, "bot") => "bot",
                (_, "human") => "person",
                _ => "notice",
            },
            text: row.body.clone(),
            at: stamp(row.created_at),
        }
    }
}

/// `POST /api/widget/{chatbot}/messages` with `{"text": "…"}`: stores the visitor's message and
/// queues the agent's answer (or, when they ask for a person, the notice that one will reply).
/// Answers `202` with the visitor's token (new on a first message) and the stored message.
async fn send(
    State(state): State<AppState>,
    Path(chatbot): Path<String>,
    axum::Extension(client): axum::Extension<ClientIp>,
    headers: HeaderMap,
    body: Result<axum::Json<SendBody>, JsonRejection>,
) -> Response {
    let (chatbot, origin) = match admit(&state, &chatbot, &headers).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let known = match visitor(&headers) {
        Ok(known) => known,
        Err(why) => return refuse(StatusCode::UNAUTHORIZED, &why, origin),
    };
    let text = match body {
        Ok(axum::Json(body)) => match VisitorText::parse(&body.text) {
            Ok(text) => text,
            Err(why) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, &why.0, origin),
        },
        Err(rejection) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                &format!(
                    "Send JSON like {{\"text\": \"Hello\"}} with Content-Type: application/json ({}).",
                    rejection.body_text()
                ),
                origin,
            );
        }
    };
    let first = known.is_none();
    let visitor = known.unwrap_or_else(VisitorToken::generate);
    let address = visitor.address();
    if !state.widget_limits.check(client.key(), &address, first) {
        let mut response = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "That's a lot of messages at once. Please wait a minute and try again.",
            origin,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        return response;
    }
    let outcome =
        match conversations::record_visitor_message(&state.db, &chatbot, &address, text.as_str())
            .await
        {
            Ok(outcome) => outcome,
            Err(error) => return internal(&error, origin),
        };
    let (workspace_id, conversation_id, message_id) = match outcome {
        InboundOutcome::Queued {
            workspace_id,
            conversation_id,
            message_id,
        }
        | InboundOutcome::Escalated {
            workspace_id,
            conversation_id,
            message_id,
        } => {
            state.live.jobs_queued();
            (workspace_id, conversation_id, message_id)
        }
        InboundOutcome::StoredWithoutReply {
            workspace_id,
            conversation_id,
            message_id,
        } => (workspace_id, conversation_id, message_id),
        InboundOutcome::Duplicate => {
            return refuse(
                StatusCode::CONFLICT,
                "This message was already received.",
                origin,
            );
        }
    };
    state.live.publish(workspace_id, Some(conversation_id));
    tracing::info!(chatbot_id = %chatbot.id, %conversation_id, "widget message received");
    let stored = match message::Entity::find_by_id(message_id).one(&state.db).await {
        Ok(Some(stored)) => stored,
        Ok(None) => return internal(&DbErr::RecordNotFound("message".into()), origin),
        Err(error) => return internal(&error, origin),
    };
    Reply {
        status: StatusCode::ACCEPTED,
        body: json!({
            "visitor": visitor.expose(),
            "message": VisitorMessage::from(&stored),
        }),
        origin,
    }
    .into_response()
}

#[derive(Deserialize)]
struct PollQuery {
    /// The `cursor` of the previous answer: only what changed after it.
    since: Option<String>,
    /// Seconds to wait for news when there is none yet (0 to 25).
    wait: Option<String>,
}

/// `GET /api/widget/{chatbot}/messages?since=<cursor>&wait=<seconds>`: the visitor's messages and
/// the answers that reached them, changed after `since`; with `wait`, held open until there is
/// something (an answer, a person's reply) or the time is up. Answers the `cursor` for the next call
/// and whether a person has the conversation.
async fn poll(
    State(state): State<AppState>,
    Path(chatbot): Path<String>,
    headers: HeaderMap,
    Query(query): Query<PollQuery>,
) -> Response {
    let (chatbot, origin) = match admit(&state, &chatbot, &headers).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let visitor = match visitor(&headers) {
        Ok(visitor) => visitor,
        Err(why) => return refuse(StatusCode::UNAUTHORIZED, &why, origin),
    };
    let since = match query.since.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => match DateTime::parse_from_rfc3339(text) {
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(_) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "`since` must be the cursor of an earlier answer.",
                    origin,
                );
            }
        },
    };
    let wait = match query.wait.as_deref().filter(|s| !s.is_empty()) {
        None => Duration::ZERO,
        Some(text) => match text.parse::<u64>() {
            Ok(seconds) if seconds <= MAX_WAIT.as_secs() => Duration::from_secs(seconds),
            _ => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "`wait` must be a whole number of seconds from 0 to 25.",
                    origin,
                );
            }
        },
    };
    let empty = |origin| {
        Reply {
            status: StatusCode::OK,
            body: json!({ "messages": [], "cursor": since.map(stamp), "with_person": false }),
            origin,
        }
        .into_response()
    };
    let Some(visitor) = visitor else {
        return empty(origin);
    };
    let found =
        match conversations::find_visitor_conversation(&state.db, chatbot.id, &visitor.address())
            .await
        {
            Ok(found) => found,
            Err(error) => return internal(&error, origin),
        };
    let Some(conversation) = found else {
        return empty(origin);
    };
    // Subscribed before the first look, so nothing that happens in between is missed.
    let mut events = state.live.subscribe();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let rows = match conversations::visitor_messages(&state.db, conversation.id, since).await {
            Ok(rows) => rows,
            Err(error) => return internal(&error, origin),
        };
        if !rows.is_empty() || tokio::time::Instant::now() >= deadline {
            return news(&state, &conversation, since, &rows, origin).await;
        }
        if !wait_for_change(&state, &mut events, conversation.id, deadline).await {
            return news(&state, &conversation, since, &rows, origin).await;
        }
    }
}

/// Waits until `conversation_id` may have changed (`true`) or the deadline or shutdown (`false`).
async fn wait_for_change(
    state: &AppState,
    events: &mut tokio::sync::broadcast::Receiver<LiveEvent>,
    conversation_id: Uuid,
    deadline: tokio::time::Instant,
) -> bool {
    loop {
        let received = tokio::select! {
            received = events.recv() => received,
            () = tokio::time::sleep_until(deadline) => return false,
            () = state.live.closed() => return false,
        };
        match received {
            Ok(LiveEvent::Changed {
                conversation_id: Some(changed),
                ..
            }) if changed != conversation_id => {}
            Ok(_) | Err(RecvError::Lagged(_)) => return true,
            Err(RecvError::Closed) => return false,
        }
    }
}

async fn news(
    state: &AppState,
    conversation: &conversation::Model,
    since: Option<DateTime<Utc>>,
    rows: &[message::Model],
    origin: Option<HeaderValue>,
) -> Response {
    // The status as it is now (a take-over may have happened while the poll waited).
    let status = match conversation::Entity::find_by_id(conversation.id)
        .one(&state.db)
        .await
    {
        Ok(now) => now.map_or(conversation.status.clone(), |c| c.status),
        Err(error) => return internal(&error, origin),
    };
    let with_person = status
        .parse::<ConversationStatus>()
        .is_ok_and(ConversationStatus::silences_bot);
    let cursor = rows.iter().map(|row| row.updated_at).max().or(since);
    let messages: Vec<VisitorMessage> = rows.iter().map(VisitorMessage::from).collect();
    Reply {
        status: StatusCode::OK,
        body: json!({
            "messages": messages,
            "cursor": cursor.map(stamp),
            "with_person": with_person,
        }),
        origin,
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_names_the_script_and_the_chatbot() {
        let id = Uuid::from_u128(7);
        assert_eq!(
            snippet("https://app.example/", id),
            format!(
                "<script src=\"https://app.example/widget.js\" data-chatbot=\"{id}\" async></script>"
            )
        );
    }
}
