//! `spawn_app()`: a fresh database (a SQLite file, or a PostgreSQL database of its own) and the real
//! application on 127.0.0.1 with a random port.
use leptos::config::get_configuration;
use reqwest::{Response, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;
use viesti::server::config::Config;
use viesti::server::startup::Application;

pub use crate::mail_double::MailDouble;

/// A fixed test key (32 bytes, base64). Tests that look for leaks grep for it.
pub const TEST_ENCRYPTION_KEY: &str = "dmllc3RpLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmNkZWY=";
pub const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs one async test body once per database backend, as `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )+};
}

pub struct TestApp {
    pub address: String,
    /// A browser-like client: keeps cookies, does not follow redirects (tests look at them).
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub database_url: String,
    pub data_dir: tempfile::TempDir,
    /// The TWILIO_API_BASE the app was started with, when a test set one.
    pub twilio_api_base: Option<url::Url>,
    /// The mail server the app sends to (`SMTP_URL`), unless the test chose another.
    pub mail: MailDouble,
}

/// The PostgreSQL server the tests create their databases in (trust auth on this machine and in CI).
pub fn postgres_admin_url() -> String {
    std::env::var("VIESTI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A database of its own for one test.
pub async fn fresh_database(backend: Backend, data_dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", data_dir.join("test.db").display()),
        Backend::Postgres => {
            let admin_url = postgres_admin_url();
            let admin = Database::connect(&admin_url)
                .await
                .expect("PostgreSQL must run on 127.0.0.1:5432 (see README)");
            let name = format!("viesti_t_{}", Uuid::new_v4().simple());
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            let (base, _) = admin_url.rsplit_once('/').expect("url has a database");
            format!("{base}/{name}")
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts the app with extra environment values (e.g. `PUBLIC_BASE_URL`).
pub async fn spawn_app_with(backend: Backend, extra: &[(&str, &str)]) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database(backend, data_dir.path()).await;
    let (address, db, mail) = start(&database_url, data_dir.path(), extra).await;
    let twilio_api_base = extra
        .iter()
        .find(|(k, _)| *k == "TWILIO_API_BASE")
        .map(|(_, v)| v.parse().expect("a URL"));
    TestApp {
        address,
        client: browser(),
        db,
        database_url,
        data_dir,
        twilio_api_base,
        mail,
    }
}

/// Another instance of the app on an existing database; returns its address.
pub async fn spawn_on_database(database_url: &str, data_dir: &std::path::Path) -> String {
    start(database_url, data_dir, &[]).await.0
}

/// Like [`spawn_on_database`], with other environment values (e.g. another encryption key).
pub async fn spawn_on_database_with(
    database_url: &str,
    data_dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> String {
    start(database_url, data_dir, extra).await.0
}

/// An app (on its own database) that stops gracefully when `stop` is sent; `stopped` resolves when
/// it has.
pub async fn spawn_stoppable_app(
    backend: Backend,
) -> (
    TestApp,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    spawn_stoppable_app_with(backend, &[]).await
}

/// Like [`spawn_stoppable_app`], with extra environment values.
pub async fn spawn_stoppable_app_with(
    backend: Backend,
    extra: &[(&str, &str)],
) -> (
    TestApp,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database(backend, data_dir.path()).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (app, address, mail) = build(&database_url, data_dir.path(), extra).await;
    let db = app.state().db.clone();
    let running = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let app = TestApp {
        address,
        client: browser(),
        db,
        database_url,
        data_dir,
        twilio_api_base: None,
        mail,
    };
    (app, stop, running)
}

async fn start(
    database_url: &str,
    data_dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> (String, DatabaseConnection, MailDouble) {
    let (app, address, mail) = build(database_url, data_dir, extra).await;
    let db = app.state().db.clone();
    tokio::spawn(app.run_until(std::future::pending()));
    (address, db, mail)
}

/// Builds the app; unless the test set `SMTP_URL` itself (empty for the local mailbox), its mail
/// goes to a [`MailDouble`] of its own.
async fn build(
    database_url: &str,
    data_dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> (Application, String, MailDouble) {
    let double = if extra.iter().any(|(k, _)| *k == "SMTP_URL") {
        None
    } else {
        Some(MailDouble::start().await)
    };
    let mail = double
        .as_ref()
        .map(|(mail, _)| mail.clone())
        .unwrap_or_default();
    let mut all = extra.to_vec();
    if let Some((_, url)) = &double {
        all.push(("SMTP_URL", url.as_str()));
        all.push(("MAIL_FROM", "Viesti <no-reply@viesti.test>"));
    }
    let extra = all.as_slice();
    // The port is chosen before start so PUBLIC_BASE_URL can be the app's real address, as Twilio's
    // signatures cover the URL it calls. Between choosing it and the app binding it, another process
    // may take it (an outgoing connection's local port, say): then another is chosen.
    for _ in 0..4 {
        match try_build(database_url, data_dir, extra).await {
            Ok((app, address)) => return (app, address, mail),
            Err(error) if format!("{error:#}").contains("Address already in use") => {}
            Err(error) => panic!("app builds: {error:?}"),
        }
    }
    panic!("app builds: no free port after 4 tries")
}

async fn try_build(
    database_url: &str,
    data_dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> anyhow::Result<(Application, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut vars: HashMap<String, String> = HashMap::from([
        ("VIESTI_ENCRYPTION_KEY".into(), TEST_ENCRYPTION_KEY.into()),
        ("DATABASE_URL".into(), database_url.to_owned()),
        ("VIESTI_DATA_DIR".into(), data_dir.display().to_string()),
        ("PUBLIC_BASE_URL".into(), format!("http://127.0.0.1:{port}")),
        // SMS needs Starter; the tests that want another plan say so.
        ("DEFAULT_PLAN".into(), "starter".into()),
    ]);
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    let config = Config::from_lookup(|name| vars.get(name).cloned()).expect("test config");
    let mut leptos_options =
        get_configuration(Some(concat!(env!("CARGO_MANIFEST_DIR"), "/Leptos.toml")))
            .expect("Leptos.toml")
            .leptos_options;
    leptos_options.site_addr = ([127, 0, 0, 1], port).into();
    // The site's files, as `LEPTOS_SITE_ROOT` sets them for a real server.
    if let Some(root) = vars.get("LEPTOS_SITE_ROOT") {
        leptos_options.site_root = root.clone().into();
    }
    let app = Application::build(config, leptos_options).await?;
    let address = format!("http://{}", app.local_addr().expect("bound"));
    Ok((app, address))
}

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A unique, valid email for a test user.
pub fn unique_email() -> String {
    format!("user-{}@example.com", Uuid::new_v4().simple())
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Calls a server function the way a form does (urlencoded POST) with this app's client.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        self.call_as(&self.client, endpoint, form).await
    }

    pub async fn call_as(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Response {
        client
            .post(self.url(&format!("/api/{endpoint}")))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Signs up a new workspace with this app's client (which then holds its session).
    pub async fn sign_up(&self, email: &str) -> Response {
        self.sign_up_as(&self.client, email).await
    }

    /// Signs up as a person does: the form, then the link from the mail. Returns the answer to
    /// opening the link (or the form's answer, when the form was refused).
    pub async fn sign_up_as(&self, client: &reqwest::Client, email: &str) -> Response {
        let seen = self.mail.mail_to(email).len();
        let sent = self.request_sign_up(client, email).await;
        if sent.status() != StatusCode::OK {
            return sent;
        }
        let mail = self.mail.next_to(email, seen).await;
        let token = mail
            .confirmation_token()
            .unwrap_or_else(|| panic!("a confirmation link in {:?}", mail.text()));
        self.call_as(client, "sign_up_confirm", &[("token", &token)])
            .await
    }

    /// The sign-up form alone: mails a link (or a "you have an account" mail).
    pub async fn request_sign_up(&self, client: &reqwest::Client, email: &str) -> Response {
        self.call_as(
            client,
            "sign_up",
            &[
                ("workspace_name", "Acme Oy"),
                ("email", email),
                ("password", PASSWORD),
            ],
        )
        .await
    }

    /// A second, separately signed-in workspace owner.
    pub async fn other_tenant(&self) -> reqwest::Client {
        let client = browser();
        let response = self.sign_up_as(&client, &unique_email()).await;
        assert_eq!(response.status(), StatusCode::OK);
        client
    }

    pub async fn create_chatbot(&self, client: &reqwest::Client, name: &str) -> Uuid {
        let response = self
            .call_as(
                client,
                "chatbots_create",
                &[("name", name), ("system_prompt", "Be helpful.")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "create chatbot");
        response.json().await.expect("id")
    }

    pub async fn get_page(&self, client: &reqwest::Client, path: &str) -> Response {
        client
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .expect("request")
    }
}

/// The JSON body of a response.
pub async fn json(response: Response) -> Value {
    response.json().await.expect("json body")
}

impl TestApp {
    /// A single text value from SQL.
    pub async fn text(&self, sql: &str) -> String {
        let statement =
            sea_orm::Statement::from_string(self.db.get_database_backend(), sql.to_owned());
        let row = self
            .db
            .query_one_raw(statement)
            .await
            .expect("query")
            .expect("a row");
        row.try_get_by_index::<String>(0).expect("a string")
    }

    /// A single number from SQL (e.g. `SELECT COUNT(*) AS n FROM users`), for tests that read the
    /// database to prove what was or was not stored.
    pub async fn count(&self, sql: &str) -> i64 {
        let statement =
            sea_orm::Statement::from_string(self.db.get_database_backend(), sql.to_owned());
        let row = self
            .db
            .query_one_raw(statement)
            .await
            .expect("query")
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("a number")
    }
}

/// Everything the app logs during this test process, for tests that prove a secret never reaches the
/// logs. nextest runs each test in its own process, so the buffer holds that test's logs.
pub fn captured_logs() -> String {
    use std::sync::{Mutex, OnceLock};
    static BUFFER: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    let buffer = *BUFFER.get_or_init(|| {
        let buffer: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        struct Capture(&'static Mutex<Vec<u8>>);
        impl std::io::Write for Capture {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                self.0.lock().expect("log buffer").extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            // As `telemetry::init` writes them: phone numbers masked.
            .with_writer(move || {
                viesti::server::telemetry::scrub::MaskedWriter::new(Capture(buffer))
            })
            .try_init();
        buffer
    });
    String::from_utf8_lossy(&buffer.lock().expect("log buffer")).into_owned()
}

/// An app whose TWILIO_API_BASE is a fresh Twilio emulator seeded with the demo account.
pub async fn spawn_app_with_twilio(
    backend: Backend,
    extra: &[(&str, &str)],
) -> (
    TestApp,
    viesti::server::emulator::Emulator,
    viesti::server::emulator::DemoAccount,
) {
    captured_logs();
    let emulator = viesti::server::emulator::Emulator::new();
    let demo = emulator.seed_demo();
    let addr = emulator
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("emulator");
    let base = format!("http://{addr}");
    let mut vars = vec![("TWILIO_API_BASE", base.as_str())];
    vars.extend_from_slice(extra);
    let app = spawn_app_with(backend, &vars).await;
    (app, emulator, demo)
}

impl TestApp {
    /// Runs a statement directly on the app's database (to stage a state, such as a crashed worker's).
    pub async fn db_execute(&self, sql: &str) {
        self.db.execute_unprepared(sql).await.expect("statement");
    }
}
