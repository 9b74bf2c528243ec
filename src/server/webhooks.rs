//! Twilio's webhooks: inbound messages and delivery status callbacks. Every request is routed by
//! `AccountSid` + our number, and its `X-Twilio-Signature` is checked with that connection's Auth Token
//! before anything is stored.
pub mod inbound;

use crate::domain::E164;
use crate::server::metrics;
use crate::server::repo::conversations::{self, InboundOutcome, Stored};
use crate::server::repo::sms::SmsConnection;
use crate::server::state::AppState;
use crate::server::telemetry::signals::{self, Scope, Signal};
use crate::server::twilio::signature;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use inbound::param;
use std::sync::Arc;

pub const SMS_PATH: &str = crate::routes::SMS_WEBHOOK_PATH;
pub const STATUS_PATH: &str = crate::routes::STATUS_CALLBACK_PATH;

/// The Sentry `channel` tag of everything here.
const CHANNEL: &str = "channels/sms";

/// Empty TwiML: "received, no automatic reply" (the reply goes out later through the REST API).
const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#;

fn refuse(status: StatusCode, reason: &'static str) -> Response {
    (status, reason).into_response()
}

/// The URL Twilio requested, rebuilt from `PUBLIC_BASE_URL` so it is right behind a proxy.
fn public_request_url(state: &AppState, uri: &Uri) -> String {
    let mut url = state.config.public_url(uri.path());
    if let Some(query) = uri.query() {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Finds the connection for `AccountSid` + `number` and checks the request's signature against it.
/// With `Lookup::Copy` the copy in memory is tried first (the inbound path, whose batch re-reads the
/// connection in its own transaction); `Lookup::Database` always reads the row (status callbacks,
/// which nothing re-checks later).
async fn authenticate(
    kind: &'static str,
    lookup: Lookup,
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    params: &[(String, String)],
    number_param: &str,
) -> Result<Arc<SmsConnection>, Response> {
    let (Some(account_sid), Some(number)) =
        (param(params, "AccountSid"), param(params, number_param))
    else {
        metrics::webhook(kind, "malformed");
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "AccountSid and the number are required",
        ));
    };
    let Ok(number) = E164::parse(number) else {
        metrics::webhook(kind, "unknown_number");
        signals::raise(
            Signal::UnknownNumber,
            CHANNEL,
            Scope::default(),
            &format_args!("{kind} webhook whose number is not E.164"),
        );
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "no SMS connection for that number",
        ));
    };
    let signature_header = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok());
    let url = public_request_url(state, uri);
    // The copy in memory may predate a new token, or a Disconnect on another instance: a request it
    // would refuse is checked once more against the row as the database has it now.
    // Whom the request claims to be for, once a connection with its number and account is found.
    let mut found: Option<Scope> = None;
    for from_database in [false, true] {
        if !from_database && lookup == Lookup::Database {
            continue;
        }
        if from_database {
            state.connections.forget(&number);
        }
        let connection = match state
            .connections
            .find(&state.db, &state.keyring, &number)
            .await
        {
            Ok(Some(found)) if found.credentials.account_sid.as_str() == account_sid => found,
            Ok(_) => continue,
            Err(error) => {
                tracing::error!(tags.channel = "channels/sms", %error, "webhook: could not load the connection");
                metrics::webhook(kind, "error");
                return Err(refuse(StatusCode::SERVICE_UNAVAILABLE, "try again"));
            }
        };
        found = Some(Scope::chatbot(
            connection.workspace_id,
            connection.chatbot_id,
        ));
        let valid = signature_header.is_some_and(|sig| {
            signature::is_valid(
                connection.credentials.auth_token.expose(),
                &url,
                params,
                sig,
            )
        });
        if valid {
            return Ok(connection);
        }
    }
    let Some(scope) = found else {
        metrics::webhook(kind, "unknown_number");
        signals::raise(
            Signal::UnknownNumber,
            CHANNEL,
            Scope::default(),
            &format_args!("{kind} webhook for a number no chatbot has connected"),
        );
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "no SMS connection for that account and number",
        ));
    };
    metrics::webhook(kind, "bad_signature");
    signals::raise(
        Signal::BadSignature,
        CHANNEL,
        scope,
        &format_args!(
            "{kind} webhook on {}, signature {}",
            uri.path(),
            if signature_header.is_some() {
                "invalid"
            } else {
                "missing"
            }
        ),
    );
    Err(refuse(StatusCode::FORBIDDEN, "invalid signature"))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lookup {
    Copy,
    Database,
}

fn form(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// `POST /api/webhooks/twilio/sms`: a customer texted a connected number.
pub async fn twilio_sms(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = form(&body);
    let connection =
        match authenticate("sms", Lookup::Copy, &state, &uri, &headers, &params, "To").await {
            Ok(connection) => connection,
            Err(response) => return response,
        };
    let inbound = match inbound::parse(&params) {
        Ok(inbound) => inbound,
        Err(reason) => {
            tracing::warn!(tags.channel = "channels/sms", %reason, "webhook: malformed inbound message");
            metrics::webhook("sms", "malformed");
            return (StatusCode::BAD_REQUEST, reason).into_response();
        }
    };
    let mut stored = state
        .intake
        .record(Arc::clone(&connection), inbound.clone())
        .await;
    if matches!(stored, Ok(Stored::StaleConnection)) {
        // The connection changed (a new token) or went away since this instance read it: read it
        // again, and check the signature against what is there now.
        state.connections.forget(&inbound.to);
        let connection =
            match authenticate("sms", Lookup::Copy, &state, &uri, &headers, &params, "To").await {
                Ok(connection) => connection,
                Err(response) => return response,
            };
        stored = state.intake.record(connection, inbound.clone()).await;
    }
    let outcome = match stored {
        Ok(Stored::Done(outcome)) => outcome,
        Ok(Stored::StaleConnection) => {
            metrics::webhook("sms", "error");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "try again");
        }
        Err(error) => {
            tracing::error!(tags.channel = "channels/sms", %error, "webhook: could not store the inbound message");
            metrics::webhook("sms", "error");
            // Non-2xx makes Twilio try its fallback URL; nothing was stored, so a retry is safe.
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "try again");
        }
    };
    match &outcome {
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
            tracing::info!(%message_id, media_dropped = inbound.media_count, "inbound SMS stored; reply queued");
            metrics::webhook("sms", "accepted");
            state.live.jobs_queued();
            state.live.publish(*workspace_id, Some(*conversation_id));
        }
        InboundOutcome::StoredWithoutReply {
            workspace_id,
            conversation_id,
            message_id,
        } => {
            tracing::info!(%message_id, "inbound SMS stored; no reply due");
            metrics::webhook("sms", "accepted");
            state.live.publish(*workspace_id, Some(*conversation_id));
        }
        InboundOutcome::Duplicate => {
            tracing::info!("inbound SMS already stored (Twilio retry)");
            metrics::webhook("sms", "duplicate");
        }
    }
    ([(header::CONTENT_TYPE, "text/xml")], EMPTY_TWIML).into_response()
}

/// `POST /api/webhooks/twilio/status`: Twilio reports where an outbound message stands.
pub async fn twilio_status(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = form(&body);
    // For an outbound message, `From` is our number.
    let connection = match authenticate(
        "status",
        Lookup::Database,
        &state,
        &uri,
        &headers,
        &params,
        "From",
    )
    .await
    {
        Ok(connection) => connection,
        Err(response) => return response,
    };
    let (Some(sid), Some(status)) = (
        param(&params, "MessageSid"),
        param(&params, "MessageStatus").or_else(|| param(&params, "SmsStatus")),
    ) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "MessageSid and MessageStatus are required",
        );
    };
    let error_code = param(&params, "ErrorCode").and_then(|c| c.trim().parse::<i32>().ok());
    // The callback can overtake our own write of the SID after Twilio's 201; give it a moment.
    for attempt in 0..10 {
        let applied = conversations::apply_status(
            &state.db,
            &state.writes,
            connection.workspace_id,
            &connection.phone_number,
            sid,
            status,
            error_code,
        )
        .await;
        match applied {
            Ok(Some(message)) => {
                state
                    .live
                    .publish(message.workspace_id, Some(message.conversation_id));
                // Twilio refused the send because the customer opted out: recorded for the customer
                // the callback names, once `To` is a phone number.
                if error_code == Some(21610) {
                    match param(&params, "To").map(E164::parse) {
                        Some(Ok(customer)) => {
                            if let Err(error) = conversations::mark_opted_out(
                                &state.db,
                                message.workspace_id,
                                connection.phone_number.as_str(),
                                customer.as_str(),
                            )
                            .await
                            {
                                tracing::error!(tags.channel = "channels/sms", %error, "could not record an opt-out");
                            }
                        }
                        _ => tracing::warn!(
                            tags.channel = "channels/sms",
                            "an opt-out status callback without an E.164 To; not recorded"
                        ),
                    }
                }
                if matches!(status, "undelivered" | "failed") {
                    let code = error_code.unwrap_or_default();
                    signals::raise(
                        Signal::DeliveryFailed,
                        CHANNEL,
                        Scope::chatbot(message.workspace_id, connection.chatbot_id),
                        &format_args!(
                            "message {} {status}, Twilio error {code}: {}",
                            message.id,
                            crate::domain::delivery::failure_reason(i64::from(code))
                        ),
                    );
                }
                metrics::webhook("status", "accepted");
                return StatusCode::NO_CONTENT.into_response();
            }
            Ok(None) if attempt < 9 => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await
            }
            Ok(None) => {
                tracing::warn!(
                    tags.channel = "channels/sms",
                    "status callback for an unknown message"
                );
                return refuse(StatusCode::NOT_FOUND, "unknown message");
            }
            Err(error) => {
                tracing::error!(tags.channel = "channels/sms", %error, "could not store a delivery status");
                return refuse(StatusCode::SERVICE_UNAVAILABLE, "try again");
            }
        }
    }
    refuse(StatusCode::NOT_FOUND, "unknown message")
}
