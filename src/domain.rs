//! Types shared by the browser and the server that cannot hold a bad value. No I/O here.
mod account;
mod chatbot;
pub mod delivery;
pub mod inbound;
pub mod inbox;
mod invite;
pub mod knowledge;
pub mod sms_keywords;
pub mod sms_text;
mod twilio;
pub mod widget;

pub use account::{Email, NewPassword, Plan, Role, SignUpToken, WorkspaceName};
pub use chatbot::{ChatbotName, SystemPrompt};
pub use invite::{InviteProblem, InviteToken};
pub use twilio::{AccountSid, AuthToken, E164, FriendlyName, MessageSid, TwilioDocsLink, is_sid};

/// Why a value was refused, in words for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Rejected(pub String);

fn rejected(message: impl Into<String>) -> Rejected {
    Rejected(message.into())
}
