//! Builds the axum application (pages, server functions, health) and runs it until shutdown.
use crate::app::{App, shell};
use crate::server::config::Config;
use crate::server::crypto::Keyring;
use crate::server::csrf::{self, TrustedOrigins};
use crate::server::emulator::Emulator;
use crate::server::limits::AuthRateLimits;
use crate::server::repo::checkpoint::Checkpointer;
use crate::server::repo::writes::Writes;
use crate::server::sessions::DbSessionStore;
use crate::server::sms::intake::Store;
use crate::server::state::AppState;
use crate::server::twilio::client::TwilioClient;
use crate::server::{inbox_stream, telemetry, webhooks, worker};
use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};
use secrecy::ExposeSecret;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};

/// The name of the session cookie; it holds only a random id.
pub const SESSION_COOKIE: &str = "viesti_session";
/// Its name when the public address is https: `__Host-` binds it to this host, `Secure` and path
/// `/`, so neither a subdomain nor a plain-http page can set or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-viesti_session";

/// The largest webhook body we read: Twilio's forms are a few KiB (a 1,600-character text with
/// every parameter is under 8 KiB).
pub const WEBHOOK_BODY_LIMIT: usize = 64 * 1024;

/// Connects to the configured database and applies pending migrations.
pub async fn connect_database(config: &Config) -> anyhow::Result<DatabaseConnection> {
    if config.is_sqlite() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "could not create the data dir {}",
                config.data_dir.display()
            )
        })?;
    }
    connect_url(config.database_url.expose_secret()).await
}

/// Connects to a database by URL (`sqlite:` or `postgres:`) and applies pending migrations.
pub async fn connect_url(url: &str) -> anyhow::Result<DatabaseConnection> {
    let sqlite = url.starts_with("sqlite:");
    let db = open(url, if sqlite { 8 } else { 16 }).await?;
    if sqlite {
        // SQLite serialises the migrations' writes itself.
        Migrator::up(&db, None)
            .await
            .context("could not apply database migrations")?;
    } else {
        migrate_under_lock(url, &db).await?;
    }
    Ok(db)
}

/// The advisory lock instances hold while they migrate (any constant; "viesti" in ASCII).
const MIGRATION_LOCK: i64 = 0x7669_6573_7469;

/// On PostgreSQL, instances started together take turns: each migrates while it holds a
/// session-level advisory lock on a connection of its own, so the second finds the work done
/// instead of racing the first to create the same tables.
async fn migrate_under_lock(url: &str, db: &DatabaseConnection) -> anyhow::Result<()> {
    use sea_orm::{ConnectionTrait, Statement};
    let lock = open(url, 1).await?;
    let statement = |sql: &str| {
        Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            sql,
            [MIGRATION_LOCK.into()],
        )
    };
    lock.execute_raw(statement("SELECT pg_advisory_lock($1)"))
        .await
        .context("could not take the migration lock")?;
    let migrated = Migrator::up(db, None)
        .await
        .context("could not apply database migrations");
    // Closing the connection would release the lock too; unlocking says so at once.
    let _ = lock
        .execute_raw(statement("SELECT pg_advisory_unlock($1)"))
        .await;
    let _ = lock.close().await;
    migrated
}

/// The file of an SQLite database (`None` for PostgreSQL and an in-memory database).
fn sqlite_file(url: &str, db: &DatabaseConnection) -> Option<std::path::PathBuf> {
    // An in-memory database exists once per connection: a second one would be empty.
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    (url.starts_with("sqlite:") && !in_memory).then(|| {
        db.get_sqlite_connection_pool()
            .connect_options()
            .get_filename()
            .to_owned()
    })
}

/// Where the intake stores inbound texts: connections of its own, so that no web request waits on
/// the intake's thread (see `Intake::start`). On an SQLite file, one connection with a larger page
/// cache: as the only connection that writes texts, its cache stays warm (a pooled connection finds
/// its cache stale after every other connection's write, and reads the pages again). On
/// PostgreSQL, one per committer.
async fn intake_store(
    url: &str,
    db: &DatabaseConnection,
    file: Option<std::path::PathBuf>,
) -> anyhow::Result<Store> {
    if let Some(path) = file {
        Ok(Store::SqliteFile {
            path,
            cache_kib: INTAKE_CACHE_KIB,
        })
    } else if url.starts_with("postgres") {
        Ok(Store::Pool(open(url, 4).await?))
    } else {
        Ok(Store::Pool(db.clone()))
    }
}

/// Prepared statements kept per connection. A batch's multi-row statements have one shape per
/// batch size, so sqlx's default of 100 was re-preparing them over and over.
const STATEMENT_CACHE: usize = 1_024;

/// The intake's SQLite page cache, in KiB.
const INTAKE_CACHE_KIB: u32 = 32 * 1024;

async fn open(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    let plain = plain_on_loopback(url, std::env::var_os("PGSSLMODE").is_some());
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        // sqlx's statement log prints bound values, which would put emails and hashes in the logs.
        .sqlx_logging(false)
        // WAL lets readers proceed during a write; with it, synchronous=NORMAL is crash-safe (a power
        // loss may drop the last commits, never corrupt) and avoids an fsync per commit.
        .map_sqlx_sqlite_opts(|sqlite| {
            use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                // Statement journals and sorts in memory, not in files under /var/tmp.
                .pragma("temp_store", "memory")
                .statement_cache_capacity(STATEMENT_CACHE)
        })
        .map_sqlx_postgres_opts(move |postgres| {
            let postgres = postgres.statement_cache_capacity(STATEMENT_CACHE);
            if plain {
                postgres.ssl_mode(sea_orm::sqlx::postgres::PgSslMode::Disable)
            } else {
                postgres
            }
        });
    Database::connect(options)
        .await
        .context("could not connect to the database (DATABASE_URL)")
}

/// Whether a PostgreSQL URL names a server on this machine and says nothing of TLS (neither
/// `sslmode` in the URL nor `PGSSLMODE` set): then Viesti connects without TLS rather than
/// sqlx's default `prefer`, which encrypts whenever the server offers it. TLS over loopback protects
/// nothing (the bytes never leave the machine) and cost a fifth of the reply path's time under load
/// (`scripts/bench`, 100 conversations at once). A local TLS proxy (Cloud SQL's, say) listens in
/// plain text itself; anything that wants TLS on loopback can still ask with `sslmode=require`.
fn plain_on_loopback(url: &str, sslmode_in_environment: bool) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    let says_tls = sslmode_in_environment
        || parsed
            .query_pairs()
            .any(|(key, _)| key == "sslmode" || key == "ssl-mode");
    url.starts_with("postgres") && crate::server::config::is_loopback(&parsed) && !says_tls
}

/// A built application, bound to its port but not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Connects, migrates, binds `leptos_options.site_addr` (port 0 picks a free one) and builds the router.
    pub async fn build(config: Config, leptos_options: LeptosOptions) -> anyhow::Result<Self> {
        let addr = leptos_options.site_addr;
        // The port first: a busy one is reported before migrations run, and a port chosen just
        // before (the tests pick a free one) has less time to be taken by someone else.
        let listener = TcpListener::bind(addr).await.with_context(|| {
            format!("could not listen on {addr} (site-addr in Leptos.toml or LEPTOS_SITE_ADDR)")
        })?;
        let db = connect_database(&config).await?;
        let (twilio_api_base, emulator) = match config.twilio_emulator {
            Some(addr) => {
                let emulator = Emulator::new();
                let demo = emulator.seed_demo();
                let bound = emulator.start(addr).await.with_context(|| {
                    format!(
                        "could not start the Twilio emulator on {addr} (VIESTI_TWILIO_EMULATOR)"
                    )
                })?;
                tracing::info!(
                    "Twilio emulator on http://{bound}: demo number {} (see the SMS settings page for its credentials)",
                    demo.sms_number
                );
                (url::Url::parse(&format!("http://{bound}"))?, Some(emulator))
            }
            None => (config.twilio_api_base.clone(), None),
        };
        let jobs_ready = Arc::new(tokio::sync::Notify::new());
        let url = config.database_url.expose_secret();
        let file = sqlite_file(url, &db);
        let checkpoints = file.clone().map(|path| Arc::new(Checkpointer::start(path)));
        let writes = match file.clone() {
            Some(path) => Writes::on_sqlite_file(path),
            None => Writes::through(db.clone()),
        };
        let intake = crate::server::sms::intake::Intake::start(intake_store(url, &db, file).await?);
        let state = AppState {
            live: crate::server::live::Live::start(&db, Arc::clone(&jobs_ready)),
            connections: Arc::default(),
            intake,
            writes,
            checkpoints,
            mailer: crate::server::mail::Mailer::new(&config.mail)?,
            db,
            emulator,
            jobs_ready,
            documents_ready: Arc::new(tokio::sync::Notify::new()),
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .build()
                .context("could not build the HTTP client")?,
            keyring: Arc::new(Keyring::new(
                &config.encryption_key,
                &config.old_encryption_keys,
            )),
            twilio: TwilioClient::with_timeout(&twilio_api_base, config.twilio_timeout)?,
            config: Arc::new(config),
            leptos_options,
            rate_limits: Arc::new(AuthRateLimits::default()),
            widget_limits: Arc::new(crate::server::limits::WidgetLimits::new()),
        };
        crate::server::metrics::handle();
        if state.config.model_api_base.is_none() {
            tracing::warn!(
                "no model endpoint is configured (MODEL_API_BASE): the bot answers with the built-in offline responder, from its knowledge bases' passages, and hands everything else to a person"
            );
        }
        if state.mailer.local().is_some() {
            tracing::info!(
                "no mail server is configured (SMTP_URL): sign-up confirmation mail is kept in the local mailbox, {}",
                state.config.public_url("/mailbox")
            );
        }
        spawn_housekeeping(&state);
        let router = router(state.clone());
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves (and runs the reply workers) until `shutdown` resolves; then stops accepting, lets
    /// in-flight requests finish and puts each reply worker's job in hand back in the queue.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_workers, workers_stop) = tokio::sync::watch::channel(false);
        let mut workers =
            worker::spawn(&self.state, self.state.config.workers, workers_stop.clone());
        if self.state.config.workers > 0 {
            workers.push(crate::server::knowledge::ingest::spawn(
                self.state.db.clone(),
                self.state.documents_ready.clone(),
                workers_stop,
            ));
        }
        let live = self.state.live.clone();
        let limits = crate::server::serve::Limits {
            max_connections: self.state.config.max_connections,
            header_timeout: self.state.config.header_timeout,
            shutdown_grace: self.state.config.request_timeout,
        };
        let served = crate::server::serve::serve(self.listener, self.router, limits, async move {
            shutdown.await;
            let _ = stop_workers.send(true);
            // Open live streams never end by themselves; end them so the server can stop.
            live.close();
        })
        .await;
        for worker in workers {
            let _ = worker.await;
        }
        served
    }
}

fn spawn_housekeeping(state: &AppState) {
    let store = DbSessionStore::new(state.db.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(error) = store.delete_expired().await {
                tracing::error!(%error, "expired-session cleanup failed");
            }
        }
    });
    let limits = Arc::clone(&state.rate_limits);
    let widget_limits = Arc::clone(&state.widget_limits);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limits.forget_idle();
            widget_limits.forget_idle();
        }
    });
}

/// Every route of the app, with sessions, CSRF protection and request tracing around them.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(if state.config.cookies_secure() {
            SECURE_SESSION_COOKIE
        } else {
            SESSION_COOKIE
        })
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.cookies_secure())
        .with_expiry(Expiry::OnInactivity(time::Duration::days(14)));
    let trusted =
        TrustedOrigins::new([state.config.public_base_url.origin().ascii_serialization()]);
    let request_id = HeaderName::from_static("x-request-id");

    let request_timeout = state.config.request_timeout;
    let proxies = Arc::new(state.config.trusted_proxies.clone());
    let hsts = state.config.cookies_secure();
    let webhook_body = || axum::extract::DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT);
    let leptos_options = state.leptos_options.clone();
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(crate::server::metrics::render))
        .route("/mailbox", get(crate::server::mail::mailbox_page))
        .route(
            webhooks::SMS_PATH,
            post(webhooks::twilio_sms).layer(webhook_body()),
        )
        .route(
            webhooks::STATUS_PATH,
            post(webhooks::twilio_status).layer(webhook_body()),
        )
        .route(inbox_stream::PATH, get(inbox_stream::events))
        .route(
            "/api/{*fn_name}",
            get(server_fn_handler).post(server_fn_handler),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback({
            let site = tower_http::services::ServeDir::new(leptos_options.site_root.as_ref())
                .precompressed_gzip()
                .precompressed_br()
                .append_index_html_on_directories(false);
            // Rendered whole before the status line, as leptos_axum's own error handler does.
            let not_found = leptos_axum::render_app_async_with_context(context.clone(), {
                let options = leptos_options.clone();
                move || shell(options.clone())
            });
            move |request: axum::extract::Request| {
                site_file_or_not_found(site.clone(), not_found.clone(), request)
            }
        })
        // A request (its body included) that takes longer is answered 408; a slow client cannot
        // hold a handler. Live streams answer at once and stream after, so this does not cut them.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        // Uploads (up to 25 MB) get ten times as long: a document over a slow line.
        .route(
            crate::server::uploads::PATH,
            post(crate::server::uploads::upload).layer((
                crate::server::uploads::body_limit(),
                TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, request_timeout * 10),
            )),
        )
        .layer(axum::middleware::map_response(client_errors_are_400))
        .layer(axum::middleware::from_fn_with_state(
            trusted,
            csrf::reject_cross_origin,
        ))
        .layer(sessions)
        // The widget's public API: no cookies, so neither sessions nor the CSRF check; each
        // request is checked against the chatbot's allowed origins instead. Its polls wait up to
        // `MAX_WAIT` for news, so their deadline is that much longer.
        .merge(
            crate::server::widget::router().layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                request_timeout + crate::server::widget::MAX_WAIT,
            )),
        )
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span))
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(axum::middleware::from_fn_with_state(
                    hsts,
                    crate::server::headers::secure_headers,
                ))
                .layer(axum::middleware::from_fn_with_state(
                    proxies,
                    crate::server::client_addr::find_client,
                )),
        )
        .with_state(state)
}

/// Everything no route matched: a file of the site (the hydrate bundle under `/pkg`, `public/`), or
/// the 404 page. Not leptos_axum's `file_and_error_handler`: it serves a file inside a child of
/// whatever reactive owner its thread has current, so a file requested while a page renders could
/// take that page's response headers (its Content-Security-Policy) as its own.
async fn site_file_or_not_found(
    site: tower_http::services::ServeDir,
    not_found: impl FnOnce(
        axum::extract::Request,
    )
        -> std::pin::Pin<Box<dyn Future<Output = axum::response::Response> + Send>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use tower::ServiceExt;
    let (parts, body) = request.into_parts();
    let file_request = axum::http::Request::from_parts(parts.clone(), axum::body::Body::empty());
    // A file found (or unchanged since the browser's copy); anything else gets the 404 page, as
    // does any method but GET and HEAD.
    if let Ok(file) = site.oneshot(file_request).await
        && (file.status().is_success() || file.status() == StatusCode::NOT_MODIFIED)
    {
        return file.map(axum::body::Body::new);
    }
    not_found(axum::http::Request::from_parts(parts, body)).await
}

async fn server_fn_handler(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> impl IntoResponse {
    leptos_axum::handle_server_fns_with_context(move || provide_context(state.clone()), request)
        .await
}

/// Arguments a server function cannot read (a missing field, a malformed body) fail before the
/// function runs, and the server-function machinery answers those 500: they are the client's
/// mistake, so they become 400. Every other status is the function's own (`state::respond`).
async fn client_errors_are_400(response: axum::response::Response) -> axum::response::Response {
    let server_fn_error = response
        .headers()
        .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER);
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR || !server_fn_error {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // `AppError::Request`, as the JSON encoding writes it.
    let from_the_request = serde_json::from_slice::<serde_json::Value>(&bytes)
        .is_ok_and(|error| error.get("Request").is_some());
    if from_the_request {
        parts.status = StatusCode::BAD_REQUEST;
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Liveness and readiness in one: 200 when the database answers, 503 when it does not.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM, whichever comes first.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "could not listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "could not listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received: finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::plain_on_loopback;

    #[test]
    fn postgres_on_this_machine_is_reached_without_tls_unless_tls_is_asked_for() {
        for url in [
            "postgres://app@127.0.0.1:5432/viesti",
            "postgresql://app:pw@localhost/viesti",
            "postgres://app@127.0.0.53/viesti?application_name=x",
            "postgres://app@[::1]:5432/viesti",
        ] {
            assert!(plain_on_loopback(url, false), "{url}");
            assert!(!plain_on_loopback(url, true), "{url} with PGSSLMODE set");
        }
        for url in [
            "postgres://app@127.0.0.1:5432/viesti?sslmode=require",
            "postgres://app@localhost/viesti?ssl-mode=verify-full",
            "postgres://app@db.example.com/viesti",
            "postgres://app@10.0.0.5/viesti",
            "postgres://app@[2001:db8::1]/viesti",
            "sqlite://data/viesti.db?mode=rwc",
            "not a url",
        ] {
            assert!(!plain_on_loopback(url, false), "{url}");
        }
    }
}
