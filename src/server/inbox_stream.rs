//! `GET /api/inbox/events`: a server-sent event stream that tells a signed-in teammate's browser which
//! of their workspace's conversations changed. Events carry ids only; the page refetches through the
//! server functions, which check access as always.
use crate::server::auth::member_of_session;
use crate::server::live::LiveEvent;
use crate::server::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tower_sessions::Session;
use uuid::Uuid;

pub const PATH: &str = "/api/inbox/events";

/// How soon a browser reconnects after the stream broke (a restart, a network blip).
const RETRY: Duration = Duration::from_secs(2);

pub async fn events(State(state): State<AppState>, session: Session) -> Response {
    let member = match member_of_session(&state, &session).await {
        Ok(Some(member)) => member,
        Ok(None) => return (StatusCode::UNAUTHORIZED, "sign in first").into_response(),
        Err(error) => return (error.status(), error.to_string()).into_response(),
    };
    Sse::new(stream_for(&state, member.workspace_id))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// The events one workspace may see: a `ready` first (the page refetches, covering anything missed
/// while it was disconnected), then `changed` with a conversation id (or `all`), until the server
/// stops.
fn stream_for(
    state: &AppState,
    workspace_id: Uuid,
) -> impl Stream<Item = Result<Event, Infallible>> + use<> {
    let receiver = state.live.subscribe();
    let live = state.live.clone();
    // Browsers drop events without data, so every event carries some.
    let ready = Event::default().event("ready").data("all").retry(RETRY);
    let changes = stream::unfold((receiver, live), move |(mut receiver, live)| async move {
        loop {
            let received = tokio::select! {
                received = receiver.recv() => received,
                () = live.closed() => return None,
            };
            let event = match received {
                Ok(LiveEvent::Changed {
                    workspace_id: changed,
                    conversation_id,
                }) if changed == workspace_id => Event::default()
                    .event("changed")
                    .data(conversation_id.map_or_else(|| "all".to_owned(), |id| id.to_string())),
                Ok(LiveEvent::Changed { .. }) => continue,
                // Missed events: say so, and the page refetches everything.
                Ok(LiveEvent::Resync) | Err(RecvError::Lagged(_)) => {
                    Event::default().event("ready").data("all")
                }
                Err(RecvError::Closed) => return None,
            };
            return Some((Ok(event), (receiver, live)));
        }
    });
    futures::StreamExt::chain(stream::once(async move { Ok(ready) }), changes)
}
