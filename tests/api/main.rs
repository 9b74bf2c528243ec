//! Black-box tests: each starts the real app on a random port (SQLite and PostgreSQL) and drives it
//! over HTTP, as a browser or Twilio would.
mod helpers;

mod auth;
mod chatbots;
mod cost_control;
mod csrf;
mod faults;
mod group_commit;
mod health;
mod inbox;
mod knowledge;
mod knowledge_pages;
mod leptos_toml;
mod mail_double;
mod observability;
mod operator;
mod pages;
mod process;
mod send_outcomes;
mod server_limits;
mod simulator;
mod sms_pipeline;
mod sms_probe;
mod sms_settings;
mod team;
mod tenancy;
mod twilio_emulator;
mod webhook_inputs;
mod widget;
