//! sea-orm entities, one per table. They never cross the wire: server functions map them to DTOs.
pub mod chatbot;
pub mod chatbot_knowledge_base;
pub mod conversation;
pub mod document;
pub mod document_source;
pub mod invite;
pub mod job;
pub mod knowledge_base;
pub mod message;
pub mod passage;
pub mod session;
pub mod sign_up_request;
pub mod sms_contact;
pub mod twilio_connection;
pub mod user;
pub mod workspace;
