//! Logging: `tracing` to stdout, with every line of a request inside a span carrying its request id;
//! errors also go to Sentry when `SENTRY_DSN` is set.
use axum::http::Request;
use sentry::integrations::tracing::{BreadcrumbLayer, ErrorLayer};
use tracing::Span;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub mod scrub;
pub mod signals;

/// Installs the global subscriber; a second call (as in tests) leaves the first one in place.
pub fn init(with_sentry: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_sessions=warn"));
    // Error events become Sentry issues; the info events before them ride along as breadcrumbs.
    // Fields named `tags.x` become Sentry tags (e.g. `tags.channel = "channels/sms"`).
    let sentry = with_sentry.then(|| {
        ErrorLayer::new()
            .with_filter(LevelFilter::ERROR)
            .and_then(BreadcrumbLayer::new().with_filter(LevelFilter::INFO))
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_target(false)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
                // Phone numbers are personal data: log lines show +35•••67.
                .with_writer(|| scrub::MaskedWriter::new(std::io::stdout())),
        )
        .with(sentry)
        .try_init();
}

/// Starts the Sentry client for `dsn`; events are sent until the returned guard is dropped.
pub fn init_sentry(dsn: &str) -> sentry::ClientInitGuard {
    let mut options = sentry::ClientOptions::new();
    options.release = sentry::release_name!();
    // Nothing leaves unscrubbed: no token, message body or full phone number (see `scrub`).
    options.before_send = Some(std::sync::Arc::new(scrub::event));
    sentry::init((dsn, options))
}

/// The span each request runs in; `SetRequestIdLayer` has put `x-request-id` on the request before.
pub fn request_span<B>(request: &Request<B>) -> Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    // The path only: query strings can carry tokens and never belong in logs.
    tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        path = %loggable_path(request.uri().path()),
    )
}

/// A request path as it may be logged: an invite link's path and a sign-up confirmation link's
/// path carry secret tokens, so they are cut.
pub fn loggable_path(path: &str) -> &str {
    if path.starts_with("/invite/") {
        "/invite/[redacted]"
    } else if path.starts_with("/signup/confirm/") {
        "/signup/confirm/[redacted]"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn an_invite_links_token_never_reaches_a_log_line() {
        let token = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ";
        assert_eq!(
            loggable_path(&format!("/invite/{token}")),
            "/invite/[redacted]"
        );
        assert_eq!(
            loggable_path(&format!("/signup/confirm/{token}")),
            "/signup/confirm/[redacted]"
        );
        assert_eq!(loggable_path("/signup"), "/signup");
        assert_eq!(loggable_path("/chatbots/1"), "/chatbots/1");
        assert_eq!(loggable_path("/api/invite_get"), "/api/invite_get");
    }
}
