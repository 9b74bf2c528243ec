//! The requests Twilio makes to the app: status callbacks through an outbound message's life, and the
//! inbound message webhook. Both are signed with `X-Twilio-Signature` exactly as Twilio signs them.
use super::json::API_VERSION;
use super::{DeliveryOutcome, EmulatedMessage, Emulator, MessageStatus, records};
use crate::domain::{AuthToken, MessageSid};
use crate::server::twilio::signature::sign;
use chrono::Utc;

pub(super) enum SendError {
    BadUrl,
    Request(reqwest::Error),
}

/// Sends `params` to `url` as Twilio would: a form POST signed over URL + params, or for `GET` the
/// params in the query string and the signature over that full URL alone (API.md §9).
pub(super) async fn send_signed(
    http: &reqwest::Client,
    auth_token: &str,
    url: &str,
    method: &str,
    params: &[(String, String)],
) -> Result<reqwest::StatusCode, SendError> {
    let mut parsed = url::Url::parse(url).map_err(|_| SendError::BadUrl)?;
    let request = if method.eq_ignore_ascii_case("GET") {
        parsed.query_pairs_mut().extend_pairs(params);
        http.get(parsed.as_str())
            .header("X-Twilio-Signature", sign(auth_token, parsed.as_str(), &[]))
    } else {
        // Signed over the URL exactly as configured, which is what the app reconstructs.
        http.post(url)
            .header("X-Twilio-Signature", sign(auth_token, url, params))
            .form(params)
    };
    let response = request.send().await.map_err(SendError::Request)?;
    Ok(response.status())
}

fn pair(name: &str, value: impl Into<String>) -> (String, String) {
    (name.to_owned(), value.into())
}

/// The inbound message webhook's parameters (API.md §7).
pub(super) fn inbound_params(
    message: &EmulatedMessage,
    media: &[(String, String)],
) -> Vec<(String, String)> {
    let sid = message.sid.as_str();
    let mut params = vec![
        pair("MessageSid", sid),
        pair("SmsSid", sid),
        pair("SmsMessageSid", sid),
        pair("AccountSid", message.account_sid.as_str()),
        pair("From", message.from.as_str()),
        pair("To", message.to.as_str()),
        pair("Body", message.body.as_str()),
        pair("NumMedia", media.len().to_string()),
        pair("NumSegments", message.num_segments.to_string()),
        pair("SmsStatus", "received"),
        pair("ApiVersion", API_VERSION),
    ];
    // Twilio's geo lookup is often empty; sending the names empty keeps them in the signed payload.
    for name in [
        "FromCity",
        "FromState",
        "FromZip",
        "FromCountry",
        "ToCity",
        "ToState",
        "ToZip",
        "ToCountry",
    ] {
        params.push(pair(name, ""));
    }
    if let Some(service) = &message.messaging_service_sid {
        params.push(pair("MessagingServiceSid", service.as_str()));
    }
    for (n, (url, content_type)) in media.iter().enumerate() {
        params.push(pair(&format!("MediaUrl{n}"), url.as_str()));
        params.push(pair(&format!("MediaContentType{n}"), content_type.as_str()));
    }
    params
}

/// The status callback's parameters for the message's current status (API.md §8).
fn status_params(message: &EmulatedMessage) -> Vec<(String, String)> {
    let sid = message.sid.as_str();
    let status = message.status.as_str();
    let mut params = vec![
        pair("MessageSid", sid),
        pair("MessageStatus", status),
        pair("SmsSid", sid),
        pair("SmsStatus", status),
        pair("AccountSid", message.account_sid.as_str()),
        pair("From", message.from.as_str()),
        pair("To", message.to.as_str()),
        pair("ApiVersion", API_VERSION),
    ];
    if let Some(service) = &message.messaging_service_sid {
        params.push(pair("MessagingServiceSid", service.as_str()));
    }
    if let Some(code) = message.error_code {
        params.push(pair("ErrorCode", code.to_string()));
    }
    // Carriers report delivery receipts for these two; the app must accept the extra parameter.
    if matches!(
        message.status,
        MessageStatus::Delivered | MessageStatus::Undelivered
    ) {
        params.push(pair(
            "RawDlrDoneDate",
            Utc::now().format("%y%m%d%H%M").to_string(),
        ));
    }
    params
}

/// Moves an accepted message through its life in the background: `sent` then `delivered`, or the
/// failure configured for its recipient, calling back its StatusCallback after each change.
pub(super) fn spawn_lifecycle(emulator: Emulator, sid: MessageSid, outcome: DeliveryOutcome) {
    tokio::spawn(async move {
        use MessageStatus::{Delivered, Failed, Sent, Undelivered};
        let steps = match outcome {
            DeliveryOutcome::Delivered => vec![(Sent, None), (Delivered, None)],
            // `failed` means it never left Twilio, so there is no `sent` before it.
            DeliveryOutcome::Failed(code) => vec![(Failed, Some(code))],
            DeliveryOutcome::Undelivered(code) => vec![(Sent, None), (Undelivered, Some(code))],
        };
        for (status, error_code) in steps {
            let delay = emulator.lock().callback_delay;
            tokio::time::sleep(delay).await;
            let Some((message, token)) = emulator.advance(&sid, status, error_code) else {
                return;
            };
            let Some(url) = &message.status_callback else {
                continue;
            };
            // One callback at a time, in order; Twilio does not promise that, but tests need a
            // deterministic sequence and the app must cope with either.
            let params = status_params(&message);
            match send_signed(&emulator.inner.http, token.expose(), url, "POST", &params).await {
                Ok(code) if code.is_success() => {}
                Ok(code) => tracing::warn!(%sid, %code, "status callback answered with an error"),
                Err(SendError::BadUrl) => tracing::warn!(%sid, "status callback URL is invalid"),
                Err(SendError::Request(error)) => {
                    tracing::warn!(%sid, %error, "status callback failed")
                }
            }
        }
    });
}

impl Emulator {
    /// Records a status change; returns the message and its account's token for signing the callback.
    fn advance(
        &self,
        sid: &MessageSid,
        status: MessageStatus,
        error_code: Option<u16>,
    ) -> Option<(EmulatedMessage, AuthToken)> {
        let mut state = self.lock();
        let now = records::now();
        let message = state.messages.iter_mut().find(|m| &m.sid == sid)?;
        message.status = status;
        message.error_code = error_code;
        message.date_updated = now;
        if status == MessageStatus::Sent {
            message.date_sent = Some(now);
        }
        let message = message.clone();
        let token = state
            .accounts
            .iter()
            .find(|a| a.sid == message.account_sid)?
            .token
            .clone();
        Some((message, token))
    }
}
