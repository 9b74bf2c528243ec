//! `#[server]` functions: parse the input into domain types, check who is asking, call the repo, map
//! the result to a wire type that holds only what the page shows. Each has a fixed endpoint under
//! `/api/` so tests and logs can name it.
pub mod auth;
pub mod chatbots;
pub mod inbox;
pub mod knowledge;
pub mod simulator;
pub mod sms;
pub mod team;
