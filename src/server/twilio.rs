//! Everything Twilio: request signatures, the REST client, and the loopback emulator.
pub mod client;
pub mod emulator;
pub mod signature;
