//! The SMS channel's services, testable without HTTP: connecting a Twilio account and number.
pub mod connect;
pub mod demo;
pub mod directory;
pub mod intake;
pub mod reachability;
pub mod settings;
pub mod simulator;
