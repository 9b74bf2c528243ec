//! An inbound text as the rest of the product sees it, once the webhook's form is parsed
//! (`server::webhooks::inbound::parse`).
use crate::domain::{AccountSid, E164, MessageSid};

/// A text (or MMS) a customer sent to a connected number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSms {
    pub message_sid: MessageSid,
    pub account_sid: AccountSid,
    pub from: E164,
    pub to: E164,
    pub body: String,
    /// Attachments Twilio received; MMS is not supported, so they are dropped (and the drop recorded).
    pub media_count: u32,
}
