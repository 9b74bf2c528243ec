//! The phone simulator of local mode: text a connected number from a pretend customer phone through
//! the built-in Twilio emulator, and watch the replies and their delivery states arrive.
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

pub use crate::wire::simulator::*;

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
