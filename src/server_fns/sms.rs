//! The SMS (Twilio) settings of a chatbot: read, connect, edit, disconnect, configure the webhook.
//! Owners and admins only; agents get 403.
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::wire::sms::*;

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
