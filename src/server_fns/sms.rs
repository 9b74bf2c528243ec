//! The SMS (Twilio) settings of a chatbot: read, connect, edit, disconnect, configure the webhook.
//! Owners and admins only; agents get 403.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where Twilio must send incoming messages (shown with a copy button).
pub const WEBHOOK_PATH: &str = "/api/webhooks/twilio/sms";

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

#[server(prefix = "/api", endpoint = "sms_settings")]
pub async fn get_sms_settings(chatbot_id: Uuid) -> Result<SmsSettings, AppError> {
    use crate::server::state;
    state::respond(crate::server::sms::settings::load(chatbot_id).await)
}

#[server(prefix = "/api", endpoint = "sms_webhook_check")]
pub async fn check_sms_webhook(chatbot_id: Uuid) -> Result<WebhookCheck, AppError> {
    use crate::server::state;
    state::respond(crate::server::sms::settings::check_webhook(chatbot_id).await)
}

#[server(prefix = "/api", endpoint = "sms_connect")]
pub async fn connect_sms(
    chatbot_id: Uuid,
    account_sid: String,
    auth_token: String,
    phone_number: String,
    friendly_name: String,
) -> Result<(), AppError> {
    use crate::server::state;
    state::respond(
        crate::server::sms::settings::connect(
            chatbot_id,
            &account_sid,
            &auth_token,
            &phone_number,
            &friendly_name,
        )
        .await,
    )
}

/// Rotates the token (blank keeps the current one) and renames; both re-check with Twilio.
#[server(prefix = "/api", endpoint = "sms_update")]
pub async fn update_sms(
    chatbot_id: Uuid,
    auth_token: String,
    friendly_name: String,
) -> Result<(), AppError> {
    use crate::server::state;
    state::respond(
        crate::server::sms::settings::update(chatbot_id, &auth_token, &friendly_name).await,
    )
}

/// Sets the workspace's daily SMS segment budget (owners and admins, Starter and above).
#[server(prefix = "/api", endpoint = "sms_daily_budget")]
pub async fn set_sms_daily_budget(chatbot_id: Uuid, budget: String) -> Result<(), AppError> {
    use crate::server::state;
    state::respond(crate::server::sms::settings::set_daily_budget(chatbot_id, &budget).await)
}

#[server(prefix = "/api", endpoint = "sms_disconnect")]
pub async fn disconnect_sms(chatbot_id: Uuid) -> Result<(), AppError> {
    use crate::server::state;
    state::respond(crate::server::sms::settings::disconnect(chatbot_id).await)
}

/// Sets the number's SmsUrl to our webhook (HTTP POST) through Twilio's API.
#[server(prefix = "/api", endpoint = "sms_configure_webhook")]
pub async fn configure_sms_webhook(chatbot_id: Uuid) -> Result<(), AppError> {
    use crate::server::state;
    state::respond(crate::server::sms::settings::configure_webhook(chatbot_id).await)
}
