//! The phone simulator of local mode: text a connected number from a pretend customer phone through
//! the built-in Twilio emulator, and watch the replies and their delivery states arrive.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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

#[server(prefix = "/api", endpoint = "simulator_thread")]
pub async fn get_simulator_thread(
    chatbot_id: Uuid,
    customer: String,
) -> Result<SimulatorThread, AppError> {
    use crate::server::state;
    state::respond(crate::server::sms::simulator::thread(chatbot_id, &customer).await)
}

#[server(prefix = "/api", endpoint = "simulator_send")]
pub async fn send_simulated_text(
    chatbot_id: Uuid,
    customer: String,
    body: String,
) -> Result<(), AppError> {
    use crate::server::state;
    state::respond(crate::server::sms::simulator::send(chatbot_id, &customer, &body).await)
}
