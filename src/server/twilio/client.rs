//! The REST client for a customer's own Twilio account: base URL from `TWILIO_API_BASE`, HTTP Basic
//! auth with the account's SID and token, short timeouts, and Twilio's JSON error body parsed into a
//! typed error with its code.
use crate::domain::{AccountSid, AuthToken, E164, TwilioDocsLink};
use serde::Deserialize;
use std::time::Duration;
use url::Url;

/// A customer's Twilio credentials. Its `Debug` shows no secret (AuthToken redacts itself).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account_sid: AccountSid,
    pub auth_token: AuthToken,
}

/// The most of a Twilio answer we read: a page of 50 messages is well under 1 MiB.
const ANSWER_LIMIT: usize = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum TwilioError {
    /// Twilio answered with an error status; `code` is Twilio's own error code when it sent one.
    #[error("Twilio answered HTTP {status} (error code {code:?}): {message}")]
    Api {
        status: u16,
        code: Option<u32>,
        message: String,
        /// Twilio's page about the error (`more_info`), when it gave one on its own site.
        more_info: Option<TwilioDocsLink>,
        /// How long Twilio asked us to wait (`Retry-After`, on a 429 or 503).
        retry_after: Option<Duration>,
    },
    /// No answer in time. The request may have reached Twilio and been acted on.
    #[error("Twilio did not answer in time")]
    Timeout,
    /// No connection was made: the request never reached Twilio.
    #[error("could not connect to Twilio: {0}")]
    Connect(String),
    /// The request was sent but its answer was lost (connection closed or reset) or could not be
    /// read (a success status with a body that is not Twilio's JSON): Twilio may have acted on it.
    #[error("Twilio's answer was lost: {0}")]
    Lost(String),
    #[error("unexpected answer from Twilio: {0}")]
    Unexpected(String),
}

impl TwilioError {
    /// Worth trying again later: Twilio or the network is having a moment. For a send, every
    /// transient error but [`TwilioError::Connect`] leaves the outcome unknown, so a retry must
    /// first look for the message at Twilio.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api { status, .. } => *status == 429 || *status >= 500,
            Self::Timeout | Self::Connect(_) | Self::Lost(_) => true,
            Self::Unexpected(_) => false,
        }
    }

    pub fn code(&self) -> Option<u32> {
        match self {
            Self::Api { code, .. } => *code,
            _ => None,
        }
    }

    /// Twilio's `more_info` page for an error it answered.
    pub fn more_info(&self) -> Option<&TwilioDocsLink> {
        match self {
            Self::Api { more_info, .. } => more_info.as_ref(),
            _ => None,
        }
    }

    /// The wait Twilio asked for before the next try.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    fn from_transport(error: reqwest::Error) -> Self {
        // The URL is ours (no credentials in it), so the error text is safe to keep.
        let (timeout, connect) = (error.is_timeout(), error.is_connect());
        let text = error.without_url().to_string();
        if timeout {
            Self::Timeout
        } else if connect {
            Self::Connect(text)
        } else {
            // Written, then the connection closed or reset before a whole answer came back.
            Self::Lost(text)
        }
    }
}

/// The longest `Retry-After` honoured: a larger one (or a far date) waits this long.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// A `Retry-After` header's wait: delay-seconds or an HTTP date (RFC 9110 §10.2.3), capped at
/// [`MAX_RETRY_AFTER`]; `None` when absent or unreadable.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// `GET /Accounts/{Sid}.json` (the fields Viesti reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub sid: String,
    pub friendly_name: Option<String>,
    /// `active`, `suspended` or `closed`.
    pub status: Option<String>,
    /// `Trial` or `Full`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

impl Account {
    /// A trial account sends only to its verified numbers (Twilio error 21608 otherwise).
    pub fn is_trial(&self) -> bool {
        self.kind
            .as_deref()
            .is_some_and(|kind| kind.eq_ignore_ascii_case("trial"))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Capabilities {
    #[serde(default)]
    pub sms: bool,
}

/// An item of `IncomingPhoneNumbers.json` (the fields Viesti reads).
#[derive(Debug, Clone, Deserialize)]
pub struct IncomingNumber {
    pub sid: String,
    pub phone_number: String,
    #[serde(default)]
    pub capabilities: Capabilities,
    pub sms_url: Option<String>,
    pub sms_method: Option<String>,
    pub sms_application_sid: Option<String>,
}

/// A message as Twilio's Messages resource returns it (the fields Viesti reads).
#[derive(Debug, Clone, Deserialize)]
pub struct TwilioMessage {
    pub sid: String,
    pub status: String,
    pub from: Option<String>,
    pub to: String,
    pub body: Option<String>,
    /// A string in Twilio's JSON, e.g. `"1"`.
    pub num_segments: Option<String>,
    pub error_code: Option<i64>,
    /// RFC 2822.
    pub date_created: Option<String>,
}

#[derive(Deserialize)]
struct MessagePage {
    messages: Vec<TwilioMessage>,
    next_page_uri: Option<String>,
}

#[derive(Deserialize)]
struct IncomingNumberPage {
    incoming_phone_numbers: Vec<IncomingNumber>,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: Option<u32>,
    message: Option<String>,
    more_info: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TwilioClient {
    http: reqwest::Client,
    api: String,
}

impl TwilioClient {
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
    pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

    pub fn new(base: &Url) -> Result<Self, TwilioError> {
        Self::with_timeout(base, Self::REQUEST_TIMEOUT)
    }

    /// A client whose every call gives up after `timeout` (connecting takes at most 3 s of it).
    pub fn with_timeout(base: &Url, timeout: Duration) -> Result<Self, TwilioError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Self::CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .user_agent(concat!("viesti/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TwilioError::Unexpected(e.to_string()))?;
        Ok(Self {
            http,
            api: format!("{}/2010-04-01", base.as_str().trim_end_matches('/')),
        })
    }

    fn account_url(&self, sid: &AccountSid, rest: &str) -> String {
        format!("{}/Accounts/{}{rest}", self.api, sid.as_str())
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        credentials: &Credentials,
    ) -> Result<T, TwilioError> {
        let response = request
            .basic_auth(
                credentials.account_sid.as_str(),
                Some(credentials.auth_token.expose()),
            )
            .send()
            .await
            .map_err(TwilioError::from_transport)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
        let bytes = match crate::server::http_limit::read_at_most(response, ANSWER_LIMIT).await {
            Ok(bytes) => bytes,
            Err(crate::server::http_limit::ReadError::Transport(error)) => {
                return Err(TwilioError::from_transport(error));
            }
            Err(too_large @ crate::server::http_limit::ReadError::TooLarge(_)) => {
                // Twilio acted on the request (or refused it); what it said is too much to read.
                return Err(TwilioError::Lost(format!(
                    "HTTP {}: {too_large}",
                    status.as_u16()
                )));
            }
        };
        if status.is_success() {
            // Twilio acted on the request; only its answer is missing.
            return serde_json::from_slice(&bytes).map_err(|e| {
                TwilioError::Lost(format!(
                    "HTTP {} with an unreadable body ({e})",
                    status.as_u16()
                ))
            });
        }
        let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
        Err(TwilioError::Api {
            status: status.as_u16(),
            code: body.as_ref().and_then(|b| b.code),
            more_info: body
                .as_ref()
                .and_then(|b| b.more_info.as_deref())
                .and_then(|link| TwilioDocsLink::parse(link).ok()),
            retry_after,
            message: body
                .and_then(|b| b.message)
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned()),
        })
    }

    /// Checks the credentials and returns the account (FetchAccount).
    #[tracing::instrument(skip_all)]
    pub async fn fetch_account(&self, credentials: &Credentials) -> Result<Account, TwilioError> {
        let url = self.account_url(&credentials.account_sid, ".json");
        self.send(self.http.get(url), credentials).await
    }

    /// The account's incoming number equal to `number`, if it has one.
    #[tracing::instrument(skip_all, fields(number = %number))]
    pub async fn find_incoming_number(
        &self,
        credentials: &Credentials,
        number: &E164,
    ) -> Result<Option<IncomingNumber>, TwilioError> {
        let url = self.account_url(&credentials.account_sid, "/IncomingPhoneNumbers.json");
        let request = self
            .http
            .get(url)
            .query(&[("PhoneNumber", number.as_str()), ("PageSize", "50")]);
        let page: IncomingNumberPage = self.send(request, credentials).await?;
        // The filter is a partial match, so compare exactly.
        Ok(page
            .incoming_phone_numbers
            .into_iter()
            .find(|n| n.phone_number == number.as_str()))
    }

    /// Points the number's "A message comes in" webhook at `sms_url` (HTTP POST).
    #[tracing::instrument(skip_all)]
    pub async fn set_sms_url(
        &self,
        credentials: &Credentials,
        number_sid: &str,
        sms_url: &str,
    ) -> Result<IncomingNumber, TwilioError> {
        if !crate::domain::is_sid(number_sid, "PN") {
            return Err(TwilioError::Unexpected("not a phone number SID".into()));
        }
        let url = self.account_url(
            &credentials.account_sid,
            &format!("/IncomingPhoneNumbers/{number_sid}.json"),
        );
        let request = self
            .http
            .post(url)
            .form(&[("SmsUrl", sms_url), ("SmsMethod", "POST")]);
        self.send(request, credentials).await
    }

    /// Sends an SMS from the account's `from` number (CreateMessage). A 201 means accepted, not delivered.
    #[tracing::instrument(skip_all, fields(to = %to))]
    pub async fn create_message(
        &self,
        credentials: &Credentials,
        from: &E164,
        to: &E164,
        body: &str,
        status_callback: &str,
    ) -> Result<TwilioMessage, TwilioError> {
        let url = self.account_url(&credentials.account_sid, "/Messages.json");
        let request = self.http.post(url).form(&[
            ("From", from.as_str()),
            ("To", to.as_str()),
            ("Body", body),
            ("StatusCallback", status_callback),
        ]);
        self.send(request, credentials).await
    }

    /// Messages from `from` to `to` that Twilio created at or after `since` (ListMessage), to find
    /// out whether a send whose answer was lost went through. A message exists at Twilio from the
    /// moment it is accepted, but its `date_sent` stays empty while it is queued, so the search
    /// cannot rest on `DateSent`: it reads the pair's newest messages unfiltered (Twilio lists the
    /// most recent first) and keeps those created since; only when more pages follow does it also
    /// ask for the ones sent since that day, in case a long history pushed a sent one further down.
    #[tracing::instrument(skip_all, fields(to = %to))]
    pub async fn messages_created_since(
        &self,
        credentials: &Credentials,
        from: &E164,
        to: &E164,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<TwilioMessage>, TwilioError> {
        let url = self.account_url(&credentials.account_sid, "/Messages.json");
        let pair = [("From", from.as_str()), ("To", to.as_str())];
        let newest: MessagePage = self
            .send(
                self.http
                    .get(&url)
                    .query(&pair)
                    .query(&[("PageSize", "100")]),
                credentials,
            )
            .await?;
        let mut found = newest.messages;
        if newest.next_page_uri.is_some() {
            let day = since.format("%Y-%m-%d").to_string();
            let sent: MessagePage = self
                .send(
                    self.http
                        .get(&url)
                        .query(&pair)
                        .query(&[("DateSent>", day.as_str()), ("PageSize", "100")]),
                    credentials,
                )
                .await?;
            for message in sent.messages {
                if !found.iter().any(|m| m.sid == message.sid) {
                    found.push(message);
                }
            }
        }
        found.retain(|m| {
            m.date_created
                .as_deref()
                .and_then(|d| chrono::DateTime::parse_from_rfc2822(d).ok())
                .is_none_or(|created| created.with_timezone(&chrono::Utc) >= since)
        });
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates_and_is_capped() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z")
            .expect("date")
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 02 Dec 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 02 Dec 2026 09:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        assert_eq!(parse_retry_after("86400", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }
}
