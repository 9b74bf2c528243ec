//! The product's Twilio code: request signatures and the REST client. Its double, the loopback
//! emulator, is a room of its own (`server::emulator`).
pub mod client;
pub mod signature;
