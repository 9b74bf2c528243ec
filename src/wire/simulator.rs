//! The phone simulator's data, as the page, its server functions (`server_fns::simulator`, which
//! re-exports it) and the simulator service (`server::sms::simulator`) all see it.
use serde::{Deserialize, Serialize};

/// In local mode, a customer phone that is always switched off: replies to it end undelivered.
pub const UNREACHABLE_CUSTOMER: &str = "+358409990303";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatedMessage {
    /// True for what the customer sent.
    pub from_customer: bool,
    pub body: String,
    pub status: String,
    pub error_code: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatorThread {
    pub chatbot_name: String,
    pub business_number: String,
    pub messages: Vec<SimulatedMessage>,
}
