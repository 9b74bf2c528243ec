//! Everything that only runs on the server: configuration, database, sessions, HTTP plumbing.
pub mod agent;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod csrf;
pub mod entities;
pub mod metrics;
pub mod operator;
pub mod repo;
pub mod sessions;
pub mod sms;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod twilio;
pub mod webhooks;
pub mod worker;
