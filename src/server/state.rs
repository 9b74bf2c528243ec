//! What every handler and server function reaches through axum state or Leptos context.
use crate::error::AppError;
use crate::server::config::Config;
use crate::server::crypto::Keyring;
use crate::server::emulator::Emulator;
use crate::server::limits::AuthRateLimits;
use crate::server::live::Live;
use crate::server::twilio::client::TwilioClient;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    pub rate_limits: Arc<AuthRateLimits>,
    /// Limits on the website widget's messages, per visitor and per address.
    pub widget_limits: Arc<crate::server::limits::WidgetLimits>,
    pub keyring: Arc<Keyring>,
    pub twilio: TwilioClient,
    /// The built-in Twilio emulator, in local mode (`VIESTI_TWILIO_EMULATOR`).
    pub emulator: Option<Emulator>,
    /// Wakes this instance's reply workers when a job was queued (`Live::jobs_queued` also wakes
    /// other instances' workers, through NOTIFY on PostgreSQL).
    pub jobs_ready: Arc<tokio::sync::Notify>,
    /// Wakes this instance's document worker when a document was added.
    pub documents_ready: Arc<tokio::sync::Notify>,
    /// For outbound calls other than Twilio's (the model endpoint).
    pub http: reqwest::Client,
    /// Live updates for open inboxes, across instances on PostgreSQL.
    pub live: Live,
    /// Each Twilio number's connection, in memory for the webhooks.
    pub connections: Arc<crate::server::sms::directory::Directory>,
    /// Stores inbound texts many to a transaction.
    pub intake: crate::server::sms::intake::Intake,
    /// The reply path's writes, group-committed on an SQLite file.
    pub writes: crate::server::repo::writes::Writes,
    /// On an SQLite file, the thread that copies its WAL into the database (it stops with the last
    /// clone).
    pub checkpoints: Option<Arc<crate::server::repo::checkpoint::Checkpointer>>,
    /// Mail to people (sign-up confirmations): SMTP, or the local mailbox on this computer.
    pub mailer: crate::server::mail::Mailer,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl FromRef<AppState> for crate::server::mail::Mailer {
    fn from_ref(state: &AppState) -> Self {
        state.mailer.clone()
    }
}

/// The app state inside a server function (provided as context by the router).
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}

/// Sets the HTTP status a server function's error deserves (404, 403, 422…) instead of a blanket 500,
/// so API clients and logs see what happened. Server functions end with `respond(result)`.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(error) = &result
        && let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
    {
        options.set_status(error.status());
    }
    result
}
