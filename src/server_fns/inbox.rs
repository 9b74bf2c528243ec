//! The inbox: the workspace's conversations, one conversation's thread, and what staff do with them
//! (take over, hand back, resolve, reopen, reply, retry a failed text, name the customer). Every
//! member may use it, agents included; every id outside the caller's workspace is "not found".
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::wire::inbox::*;

/// A page of conversations. Filters are the list's query parameters (blank for "any"): `status`,
/// `channel`, `chatbot` (id), `assignee` (`me`, `none` or a teammate's id), `q` (a search), and
/// `cursor` to continue after the last page.
#[server(prefix = "/api", endpoint = "inbox_list")]
pub async fn inbox_list(
    status: String,
    channel: String,
    chatbot: String,
    assignee: String,
    q: String,
    cursor: String,
) -> Result<InboxPage, AppError> {
    use crate::server::{inbox, state};
    state::respond(inbox::list(&status, &channel, &chatbot, &assignee, &q, &cursor).await)
}

#[server(prefix = "/api", endpoint = "inbox_options")]
pub async fn inbox_options() -> Result<FilterChoices, AppError> {
    use crate::server::{inbox, state};
    state::respond(inbox::options().await)
}

/// The counts the navigation shows on every page.
#[server(prefix = "/api", endpoint = "inbox_counts")]
pub async fn inbox_counts() -> Result<WaitingCounts, AppError> {
    use crate::server::{inbox, state};
    state::respond(inbox::counts().await)
}

/// A conversation and its newest messages (or those before `before`); opening it marks it seen.
#[server(prefix = "/api", endpoint = "inbox_conversation")]
pub async fn inbox_conversation(id: Uuid, before: String) -> Result<ConversationView, AppError> {
    use crate::server::{inbox, state};
    state::respond(inbox::conversation(id, &before).await)
}

/// `take_over`, `hand_back`, `resolve` or `reopen`.
#[server(prefix = "/api", endpoint = "inbox_act")]
pub async fn inbox_act(id: Uuid, action: String) -> Result<(), AppError> {
    use crate::server::{inbox, state};
    state::respond(inbox::act(id, &action).await)
}

/// A teammate's text to the customer; it takes the conversation over from the bot.
#[server(prefix = "/api", endpoint = "inbox_reply")]
pub async fn inbox_reply(id: Uuid, body: String) -> Result<(), AppError> {
    use crate::server::{inbox, state};
    state::respond(inbox::reply(id, &body).await)
}

/// Sends a failed or undelivered text again.
#[server(prefix = "/api", endpoint = "inbox_retry")]
pub async fn inbox_retry(message_id: Uuid) -> Result<(), AppError> {
    use crate::server::{inbox, state};
    state::respond(inbox::retry(message_id).await)
}

/// Names the customer (blank clears the name).
#[server(prefix = "/api", endpoint = "inbox_rename")]
pub async fn inbox_rename(id: Uuid, name: String) -> Result<(), AppError> {
    use crate::server::{inbox, state};
    state::respond(inbox::rename(id, &name).await)
}
