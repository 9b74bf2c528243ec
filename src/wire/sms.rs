//! The SMS settings page's data, as the page, its server functions (`server_fns::sms`, which
//! re-exports it) and the settings service (`server::sms::settings`) all see it.
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where Twilio must send incoming messages (shown with a copy button).
pub const WEBHOOK_PATH: &str = crate::routes::SMS_WEBHOOK_PATH;

/// The SMS page's data. Holds no secret: the token is masked, the full token never leaves the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsSettings {
    pub chatbot_id: Uuid,
    pub chatbot_name: String,
    /// False below the Starter plan: the page shows an upgrade notice instead of the form.
    pub plan_allows: bool,
    pub webhook_url: String,
    /// Why Twilio cannot use the webhook URL as configured, and what to set instead.
    pub webhook_warning: Option<String>,
    pub connection: Option<SmsConnectionView>,
    /// SMS segments the workspace may send per UTC day, and those it sent today.
    pub daily_segment_budget: u32,
    pub segments_today: u64,
    /// In local mode, the built-in Twilio emulator's demo account, to connect without a Twilio account.
    pub demo: Option<DemoCredentials>,
}

/// The emulator's demo account. Not a secret: it opens nothing but the local emulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoCredentials {
    pub account_sid: String,
    pub auth_token: String,
    pub phone_number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsConnectionView {
    pub phone_number: String,
    pub friendly_name: Option<String>,
    pub account_sid: String,
    /// `••••` and the last four characters.
    pub auth_token_masked: String,
    /// RFC 3339, UTC.
    pub connected_at: String,
    /// A Twilio trial account: replies reach only its verified numbers.
    pub trial: bool,
}

/// Whether the number's "A message comes in" webhook points at us, as Twilio says right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebhookCheck {
    PointsHere,
    NotSet,
    PointsElsewhere {
        url: String,
    },
    /// A TwiML app handles the number's messages, so its SmsUrl is ignored.
    UsesApplication,
    Unknown,
}
