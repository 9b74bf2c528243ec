//! sea-orm entities, one per table. They never cross the wire: server functions map them to DTOs.
pub mod chatbot;
pub mod conversation;
pub mod invite;
pub mod job;
pub mod message;
pub mod session;
pub mod sms_contact;
pub mod twilio_connection;
pub mod user;
pub mod workspace;
