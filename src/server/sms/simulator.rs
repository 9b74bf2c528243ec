//! The phone simulator's services: only in local mode, only for owners and admins, only for their own
//! connected chatbot.
use crate::domain::E164;
use crate::error::AppError;
use crate::server::auth::require_manager;
use crate::server::emulator::{Direction, Emulator};
use crate::server::repo::{chatbots, sms};
use crate::server::state::{AppState, app_state};
use crate::wire::simulator::{SimulatedMessage, SimulatorThread};
use uuid::Uuid;

struct Simulation {
    emulator: Emulator,
    chatbot_name: String,
    business_number: E164,
}

async fn simulation(state: &AppState, chatbot_id: Uuid) -> Result<Simulation, AppError> {
    let member = require_manager(state).await?;
    // Outside local mode the simulator does not exist.
    let emulator = state.emulator.clone().ok_or(AppError::NotFound)?;
    let chatbot = chatbots::find(&state.db, member.workspace_id, chatbot_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let connection =
        sms::find_for_chatbot(&state.db, &state.keyring, member.workspace_id, chatbot_id)
            .await?
            .ok_or_else(|| AppError::Conflict("Connect SMS for this chatbot first.".into()))?;
    Ok(Simulation {
        emulator,
        chatbot_name: chatbot.name,
        business_number: connection.phone_number,
    })
}

fn customer_number(input: &str) -> Result<E164, AppError> {
    E164::parse(input).map_err(|e| AppError::invalid("customer", e.0))
}

pub async fn thread(chatbot_id: Uuid, customer: &str) -> Result<SimulatorThread, AppError> {
    let state = app_state()?;
    let simulation = simulation(&state, chatbot_id).await?;
    let customer = customer_number(customer)?;
    let messages = simulation
        .emulator
        .messages()
        .into_iter()
        .filter(|m| {
            (m.from == customer && m.to == simulation.business_number)
                || (m.from == simulation.business_number && m.to == customer)
        })
        .map(|m| SimulatedMessage {
            from_customer: m.direction == Direction::Inbound,
            body: m.body,
            status: m.status.as_str().to_owned(),
            error_code: m.error_code,
        })
        .collect();
    Ok(SimulatorThread {
        chatbot_name: simulation.chatbot_name,
        business_number: simulation.business_number.to_string(),
        messages,
    })
}

pub async fn send(chatbot_id: Uuid, customer: &str, body: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let simulation = simulation(&state, chatbot_id).await?;
    let customer = customer_number(customer)?;
    if body.trim().is_empty() {
        return Err(AppError::invalid("body", "Write a message to send."));
    }
    if body.chars().count() > crate::domain::sms_text::MAX_BODY_CHARS {
        return Err(AppError::invalid(
            "body",
            "An SMS can have at most 1,600 characters.",
        ));
    }
    match simulation
        .emulator
        .send_inbound(&customer, &simulation.business_number, body, &[])
        .await
    {
        Ok(status) if status.is_success() => Ok(()),
        Ok(status) => Err(AppError::Conflict(format!(
            "Viesti's webhook answered HTTP {}. Is the number's webhook configured (\u{201c}Configure Twilio for me\u{201d})?",
            status.as_u16()
        ))),
        Err(error) => Err(AppError::Conflict(format!(
            "The emulator could not deliver the text: {error}."
        ))),
    }
}
