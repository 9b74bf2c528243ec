//! Prometheus metrics at `/metrics`: webhooks by outcome, jobs by outcome, Twilio send latency, and
//! the reply queue's depth (read from the database when scraped, so every instance reports the same).
use crate::server::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sea_orm::{ConnectionTrait, Statement};
use secrecy::ExposeSecret;
use std::sync::OnceLock;

pub const WEBHOOKS: &str = "viesti_webhooks_total";
pub const JOBS: &str = "viesti_reply_jobs_total";
pub const SEND_SECONDS: &str = "viesti_twilio_send_seconds";
pub const QUEUE_DEPTH: &str = "viesti_reply_queue_depth";

/// The process-wide recorder (metrics has one global recorder; several apps in one test process share it).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                metrics_exporter_prometheus::Matcher::Full(SEND_SECONDS.to_owned()),
                &[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
            )
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Fails only if another recorder is installed already; then this handle just renders nothing.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Counts a webhook request by kind (`sms`, `status`) and outcome (`accepted`, `duplicate`, `bad_signature`, …).
pub fn webhook(kind: &'static str, outcome: &'static str) {
    metrics::counter!(WEBHOOKS, "kind" => kind, "outcome" => outcome).increment(1);
}

/// Counts a finished job attempt by outcome (`done`, `retry`, `failed`).
pub fn job(outcome: &'static str) {
    metrics::counter!(JOBS, "outcome" => outcome).increment(1);
}

pub fn send_latency(seconds: f64) {
    metrics::histogram!(SEND_SECONDS).record(seconds);
}

/// Whether `headers` carry `Authorization: Bearer <token>`. Compared as SHA-256 digests, so the
/// time taken says nothing about how much of a guess was right.
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    use sha2::{Digest, Sha256};
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    else {
        return false;
    };
    Sha256::digest(given.trim().as_bytes()) == Sha256::digest(token.as_bytes())
}

/// `GET /metrics`: for a scraper holding `VIESTI_METRICS_TOKEN`; without the token configured it
/// does not exist (404), and a wrong or missing token gets 401 before any query runs.
pub async fn render(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !bearer_matches(&headers, token.expose_secret()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "metrics need Authorization: Bearer <VIESTI_METRICS_TOKEN>",
        )
            .into_response();
    }
    let statement = Statement::from_string(
        state.db.get_database_backend(),
        "SELECT state, COUNT(*) FROM jobs WHERE state IN ('queued', 'running') GROUP BY state"
            .to_owned(),
    );
    match state.db.query_all_raw(statement).await {
        Ok(rows) => {
            for queue_state in ["queued", "running"] {
                let depth = rows
                    .iter()
                    .find(|row| {
                        row.try_get_by_index::<String>(0)
                            .is_ok_and(|s| s == queue_state)
                    })
                    .and_then(|row| row.try_get_by_index::<i64>(1).ok())
                    .unwrap_or(0);
                #[allow(clippy::cast_precision_loss)]
                metrics::gauge!(QUEUE_DEPTH, "state" => queue_state).set(depth as f64);
            }
        }
        Err(error) => tracing::error!(%error, "metrics: could not read the queue depth"),
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
        .into_response()
}
