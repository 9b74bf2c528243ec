//! The REST client for a customer's own Twilio account: base URL from `TWILIO_API_BASE`, HTTP Basic
//! auth with the account's SID and token, short timeouts, and Twilio's JSON error body parsed into a
//! typed error with its code.
use crate::domain::{AccountSid, AuthToken, E164};
use serde::Deserialize;
use std::time::Duration;
use url::Url;

/// A customer's Twilio credentials. Its `Debug` shows no secret (AuthToken redacts itself).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account_sid: AccountSid,
    pub auth_token: AuthToken,
}

#[derive(Debug, thiserror::Error)]
pub enum TwilioError {
    /// Twilio answered with an error status; `code` is Twilio's own error code when it sent one.
    #[error("Twilio answered HTTP {status} (error code {code:?}): {message}")]
    Api {
        status: u16,
        code: Option<u32>,
        message: String,
    },
    #[error("Twilio did not answer in time")]
    Timeout,
    #[error("could not connect to Twilio: {0}")]
    Connect(String),
    #[error("unexpected answer from Twilio: {0}")]
    Unexpected(String),
}

impl TwilioError {
    /// Worth trying again later: Twilio or the network is having a moment.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api { status, .. } => *status == 429 || *status >= 500,
            Self::Timeout | Self::Connect(_) => true,
            Self::Unexpected(_) => false,
        }
    }

    pub fn code(&self) -> Option<u32> {
        match self {
            Self::Api { code, .. } => *code,
            _ => None,
        }
    }

    fn from_transport(error: reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else if error.is_connect() || error.is_request() {
            // The URL is ours (no credentials in it), so the error text is safe to keep.
            Self::Connect(error.without_url().to_string())
        } else {
            Self::Unexpected(error.without_url().to_string())
        }
    }
}

/// `GET /Accounts/{Sid}.json` (the fields Viesti reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub sid: String,
    pub friendly_name: Option<String>,
    /// `active`, `suspended` or `closed`.
    pub status: Option<String>,
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
}

#[derive(Deserialize)]
struct IncomingNumberPage {
    incoming_phone_numbers: Vec<IncomingNumber>,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: Option<u32>,
    message: Option<String>,
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
        let bytes = response
            .bytes()
            .await
            .map_err(TwilioError::from_transport)?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| TwilioError::Unexpected(e.to_string()));
        }
        let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
        Err(TwilioError::Api {
            status: status.as_u16(),
            code: body.as_ref().and_then(|b| b.code),
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

    /// Messages sent from `from` to `to` on or after the day of `since` (ListMessage), newest first,
    /// to find out whether a send whose answer was lost went through.
    #[tracing::instrument(skip_all, fields(to = %to))]
    pub async fn messages_sent_since(
        &self,
        credentials: &Credentials,
        from: &E164,
        to: &E164,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<TwilioMessage>, TwilioError> {
        let url = self.account_url(&credentials.account_sid, "/Messages.json");
        let day = since.format("%Y-%m-%d").to_string();
        let request = self.http.get(url).query(&[
            ("From", from.as_str()),
            ("To", to.as_str()),
            ("DateSent>", day.as_str()),
            ("PageSize", "100"),
        ]);
        let page: MessagePage = self.send(request, credentials).await?;
        Ok(page.messages)
    }
}
