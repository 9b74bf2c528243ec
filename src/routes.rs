//! The addresses Twilio calls, in one place: the webhook routes are mounted at them, the settings
//! page shows the first, and every send names the second as its status callback.

/// Where Twilio sends a number's incoming messages ("A message comes in", HTTP POST).
pub const SMS_WEBHOOK_PATH: &str = "/api/webhooks/twilio/sms";
/// Where Twilio reports each sent message's delivery status.
pub const STATUS_CALLBACK_PATH: &str = "/api/webhooks/twilio/status";
