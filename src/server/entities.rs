//! sea-orm entities, one per table. They never cross the wire: server functions map them to DTOs.
pub mod chatbot;
pub mod session;
pub mod twilio_connection;
pub mod user;
pub mod workspace;
