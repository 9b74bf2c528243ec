//! The inbox's server time at 100,000 conversations and 1,000,000 messages, on SQLite and on
//! PostgreSQL: `cargo bench --bench inbox` (both), `cargo bench --bench inbox -- sqlite` or
//! `-- postgres` (one).
//!
//! For each backend: starts the real app on a random loopback port, signs an owner up over HTTP,
//! seeds that workspace with multi-row INSERTs of bound values in transactions, gathers statistics,
//! restarts the app on the seeded database (fresh connections that read those statistics, as after a
//! deploy), then times each case as the signed-in browser sends it: 10 warm-up requests, then 200
//! sequential ones. Prints p50 / p99 / max against the 50 ms p99 target. Exits non-zero only when a
//! request fails (a missed target is a result, not an error). `VIESTI_BENCH_KEEP=1` keeps the seeded
//! database (and says where it is) for `EXPLAIN`.
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use sea_orm::{
    ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr, Statement,
    TransactionTrait, Value,
};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use uuid::Uuid;
use viesti::domain::sms_text::segments;
use viesti::domain::{AccountSid, AuthToken, E164, FriendlyName};
use viesti::server::config::Config;
use viesti::server::repo::conversations::preview;
use viesti::server::repo::{Placeholders, sms};
use viesti::server::startup::Application;
use viesti::server::state::AppState;

/// Conversations of ≈10 messages each (exactly `MESSAGES` in all), plus one long thread.
const CONVERSATIONS: usize = 100_000;
const MESSAGES: usize = 1_000_000;
const LONG_THREAD: usize = 1_000;
/// Rows per INSERT, and conversations (with their messages) per transaction.
const CONVERSATION_BATCH: usize = 500;
const MESSAGE_BATCH: usize = 1_000;
const CHUNK: usize = 2_000;
/// Activity spreads over this many days back from now.
const DAYS: i64 = 90;

const WARM_UP: usize = 10;
const SAMPLES: usize = 200;
const TARGET: Duration = Duration::from_millis(50);
/// The deep keyset case times this page of the unfiltered list (50 rows a page).
const DEEP_PAGE: usize = 20;
const PAGE_ROWS: usize = 50;
const THREAD_PAGE: usize = 100;
/// A word in about 0.1 % of messages, for the search case.
const SEARCH_WORD: &str = "voucher";
const SEARCH_SHARE: f64 = 0.001;
/// One of the words every message is made of: in about 5 % of messages and a third of conversations.
const COMMON_WORD: &str = "delivery";

const BUSINESS_NUMBER: &str = "+358401234567";
const OWNER_EMAIL: &str = "owner@bench.example.com";
const PASSWORD: &str = "correct horse battery";
const ENCRYPTION_KEY: &str = "dmllc3RpLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmNkZWY=";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn arg(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite (WAL)",
            Self::Postgres => "PostgreSQL",
        }
    }
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; a bare word picks a backend.
    let words: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let backends: Vec<Backend> = [Backend::Sqlite, Backend::Postgres]
        .into_iter()
        .filter(|b| words.is_empty() || words.iter().any(|w| w == b.arg()))
        .collect();
    if backends.is_empty() {
        eprintln!("usage: cargo bench --bench inbox [-- sqlite | postgres]");
        std::process::exit(2);
    }
    let mut failed = false;
    for backend in backends {
        let scratch = Scratch::new(backend).await;
        println!("\n== {} ==", backend.title());
        // A panic (a failed request) ends this task, not the cleanup below.
        let outcome = tokio::spawn(bench(
            backend,
            scratch.url.clone(),
            scratch.dir.path().to_owned(),
        ))
        .await;
        scratch.remove().await;
        match outcome {
            Ok(report) => report.print(),
            Err(error) => {
                eprintln!("{}: the bench failed: {error}", backend.title());
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}

/// The database of one run: a SQLite file in a temp dir, or a PostgreSQL database of its own.
struct Scratch {
    url: String,
    dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Scratch {
    async fn new(backend: Backend) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("viesti-bench-inbox-")
            .tempdir()
            .expect("temp dir");
        match backend {
            Backend::Sqlite => Self {
                url: format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("bench.db").display()
                ),
                dir,
                postgres: None,
            },
            Backend::Postgres => {
                let admin_url = std::env::var("VIESTI_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
                let name = format!("viesti_bench_{}", std::process::id());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("PostgreSQL must run on 127.0.0.1:5432 (see README)");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create the bench database");
                let (base, _) = admin_url.rsplit_once('/').expect("url has a database");
                Self {
                    url: format!("{base}/{name}"),
                    dir,
                    postgres: Some((admin_url, name)),
                }
            }
        }
    }

    async fn remove(self) {
        if std::env::var("VIESTI_BENCH_KEEP").is_ok_and(|v| v == "1") {
            println!(
                "kept: {} (data dir {})",
                self.url,
                self.dir.keep().display()
            );
            return;
        }
        if let Some((admin_url, name)) = &self.postgres {
            let admin = Database::connect(admin_url).await.expect("admin database");
            // FORCE: the app's pool and its LISTEN connection may still be open.
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .expect("drop the bench database");
        }
        // Dropping `dir` removes it.
    }
}

/// An instance of the app serving on loopback.
struct Running {
    base: String,
    state: AppState,
    stop: tokio::sync::oneshot::Sender<()>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn start(url: &str, data_dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let vars: HashMap<&str, String> = HashMap::from([
            ("VIESTI_ENCRYPTION_KEY", ENCRYPTION_KEY.to_owned()),
            ("DATABASE_URL", url.to_owned()),
            ("VIESTI_DATA_DIR", data_dir.display().to_string()),
            ("PUBLIC_BASE_URL", base.clone()),
            ("DEFAULT_PLAN", "pro".to_owned()),
            // Web only: no reply worker competes with the requests being timed.
            ("VIESTI_WORKERS", "0".to_owned()),
        ]);
        let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("config");
        let mut options = leptos::config::get_configuration(Some(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/Leptos.toml"
        )))
        .expect("Leptos.toml")
        .leptos_options;
        options.site_addr = ([127, 0, 0, 1], port).into();
        let app = Application::build(config, options).await.expect("app");
        let state = app.state().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        Self {
            base,
            state,
            stop,
            served,
        }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.served.await.expect("server task").expect("server");
    }

    fn url(&self, endpoint: &str) -> String {
        format!("{}/api/{endpoint}", self.base)
    }
}

/// A urlencoded POST to a server function, as a form sends it; panics unless it answers 200.
async fn call(client: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> serde_json::Value {
    let response = client.post(url).form(form).send().await.expect("request");
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(status, StatusCode::OK, "{url}: {body}");
    serde_json::from_str(&body).expect("json")
}

/// Everything a run learned, for the table.
struct Report {
    backend: Backend,
    conversations: usize,
    messages: usize,
    seeding: Duration,
    rows: Vec<(String, Stats)>,
}

#[derive(Debug, Clone, Copy)]
struct Stats {
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl Report {
    fn print(&self) {
        println!(
            "\n{} — {} conversations, {} messages, seeded in {:.1} s; {SAMPLES} sequential requests \
             per case after {WARM_UP} warm-up, loopback",
            self.backend.title(),
            thousands(self.conversations),
            thousands(self.messages),
            self.seeding.as_secs_f64()
        );
        println!(
            "{:<44} {:>8} {:>8} {:>8}   target p99 ≤ {} ms",
            "case",
            "p50 ms",
            "p99 ms",
            "max ms",
            TARGET.as_millis()
        );
        for (case, stats) in &self.rows {
            println!(
                "{case:<44} {:>8.2} {:>8.2} {:>8.2}   {}",
                ms(stats.p50),
                ms(stats.p99),
                ms(stats.max),
                if stats.p99 <= TARGET { "met" } else { "MISSED" }
            );
        }
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What a response must hold to count as a right answer.
#[derive(Clone)]
enum Expect {
    /// An `inbox_list` page with at least this many rows, each passing the check.
    Rows {
        at_least: usize,
        each: fn(&serde_json::Value) -> bool,
    },
    /// An `inbox_conversation` view with exactly this many messages.
    Messages(usize),
}

fn any_row(_: &serde_json::Value) -> bool {
    true
}

fn check(case: &str, expect: &Expect, body: &[u8]) {
    let json: serde_json::Value = serde_json::from_slice(body).expect("json");
    match expect {
        Expect::Rows { at_least, each } => {
            let rows = json["rows"].as_array().expect("rows");
            assert!(
                rows.len() >= *at_least,
                "{case}: {} rows, expected at least {at_least}",
                rows.len()
            );
            assert!(rows.iter().all(each), "{case}: a row does not match");
        }
        Expect::Messages(n) => {
            let messages = json["messages"].as_array().expect("messages");
            assert_eq!(messages.len(), *n, "{case}: messages");
        }
    }
}

/// Times one request shape: `WARM_UP` untimed, then `SAMPLES` timed, one after another. The time
/// runs from sending until the whole body has arrived.
async fn time_case(
    client: &reqwest::Client,
    url: &str,
    case: &str,
    form: &[(&str, &str)],
    expect: &Expect,
) -> Stats {
    let mut samples = Vec::with_capacity(SAMPLES);
    for i in 0..WARM_UP + SAMPLES {
        let started = Instant::now();
        let response = client.post(url).form(form).send().await.expect("request");
        let status = response.status();
        let body = response.bytes().await.expect("body");
        let elapsed = started.elapsed();
        assert_eq!(
            status,
            StatusCode::OK,
            "{case}: {}",
            String::from_utf8_lossy(&body)
        );
        check(case, expect, &body);
        if i >= WARM_UP {
            samples.push(elapsed);
        }
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        max: samples[samples.len() - 1],
    }
}

fn list_form<'a>(set: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    ["status", "channel", "chatbot", "assignee", "q", "cursor"]
        .into_iter()
        .map(|field| {
            let value = set
                .iter()
                .find(|(k, _)| *k == field)
                .map_or("", |(_, v)| *v);
            (field, value)
        })
        .collect()
}

async fn bench(backend: Backend, url: String, data_dir: PathBuf) -> Report {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    // A signed-in owner, two chatbots and the SMS number, through the app as a person would.
    let first = Running::start(&url, &data_dir).await;
    call(
        &client,
        &first.url("sign_up"),
        &[
            ("workspace_name", "Bench Oy"),
            ("email", OWNER_EMAIL),
            ("password", PASSWORD),
        ],
    )
    .await;
    let db = first.state.db.clone();
    let owner = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "SELECT id, workspace_id FROM users WHERE email = {}",
                Placeholders::new(db.get_database_backend()).at(1)
            ),
            [OWNER_EMAIL.into()],
        ))
        .await
        .expect("query")
        .expect("the owner");
    let ids = Ids {
        owner: owner.try_get_by_index(0).expect("user id"),
        workspace: owner.try_get_by_index(1).expect("workspace id"),
        chatbots: [
            create_chatbot(&client, &first, "Support").await,
            create_chatbot(&client, &first, "Sales").await,
        ],
    };
    sms::insert(
        &db,
        &first.state.keyring,
        sms::NewSmsConnection {
            workspace_id: ids.workspace,
            chatbot_id: ids.chatbots[0],
            phone_number: &E164::parse(BUSINESS_NUMBER).expect("number"),
            phone_number_sid: "PN0123456789abcdef0123456789abcdef",
            friendly_name: &FriendlyName::parse("Support line").expect("name"),
            credentials: &sms::Credentials {
                account_sid: AccountSid::parse("AC0123456789abcdef0123456789abcdef").expect("sid"),
                auth_token: AuthToken::parse("0123456789abcdef0123456789abcdef").expect("token"),
            },
            trial: false,
        },
    )
    .await
    .expect("SMS connection");

    let seeded = seed(&db, &ids).await.expect("seeding");
    drop(db);
    first.stop().await;

    // The app as it runs after a deploy on this database: fresh connections, statistics read.
    let app = Running::start(&url, &data_dir).await;
    let list_url = app.url("inbox_list");
    let mut rows = Vec::new();
    let full_page = Expect::Rows {
        at_least: PAGE_ROWS,
        each: any_row,
    };

    let case = "(a) first page";
    let stats = time_case(&client, &list_url, case, &list_form(&[]), &full_page).await;
    rows.push((case.to_owned(), stats));

    let case = "(b) status = needs_human";
    let expect = Expect::Rows {
        at_least: PAGE_ROWS,
        each: |row| row["status"] == "NeedsHuman",
    };
    let form = list_form(&[("status", "needs_human")]);
    rows.push((
        case.to_owned(),
        time_case(&client, &list_url, case, &form, &expect).await,
    ));

    let case = format!("(c) search \"{SEARCH_WORD}\"");
    let form = list_form(&[("q", SEARCH_WORD)]);
    rows.push((
        case.clone(),
        time_case(&client, &list_url, &case, &form, &full_page).await,
    ));

    let case = format!("(c) search \"{COMMON_WORD}\" (a common word)");
    let form = list_form(&[("q", COMMON_WORD)]);
    rows.push((
        case.clone(),
        time_case(&client, &list_url, &case, &form, &full_page).await,
    ));

    // Follow the list's own cursors down to the deep page, then time that page.
    let mut cursor = String::new();
    for _ in 1..DEEP_PAGE {
        let page = call(&client, &list_url, &list_form(&[("cursor", &cursor)])).await;
        cursor = page["next_cursor"]
            .as_str()
            .expect("a next page")
            .to_owned();
    }
    let case = format!(
        "(d) page {DEEP_PAGE} (rows {}–{}, keyset)",
        thousands((DEEP_PAGE - 1) * PAGE_ROWS + 1),
        thousands(DEEP_PAGE * PAGE_ROWS)
    );
    let form = list_form(&[("cursor", &cursor)]);
    rows.push((
        case.clone(),
        time_case(&client, &list_url, &case, &form, &full_page).await,
    ));

    let case = format!("(e) thread of {} messages", thousands(LONG_THREAD));
    let long = seeded.long_thread.to_string();
    rows.push((
        case.clone(),
        time_case(
            &client,
            &app.url("inbox_conversation"),
            &case,
            &[("id", &long), ("before", "")],
            &Expect::Messages(THREAD_PAGE),
        )
        .await,
    ));

    let case = format!("(f) search phone digits \"{}\"", seeded.phone_digits);
    let form = list_form(&[("q", &seeded.phone_digits)]);
    let expect = Expect::Rows {
        at_least: 1,
        each: any_row,
    };
    rows.push((
        case.clone(),
        time_case(&client, &list_url, &case, &form, &expect).await,
    ));

    let case = "(g) assignee = me";
    let expect = Expect::Rows {
        at_least: PAGE_ROWS,
        each: |row| row["assignee"] == OWNER_EMAIL,
    };
    let form = list_form(&[("assignee", "me")]);
    rows.push((
        case.to_owned(),
        time_case(&client, &list_url, case, &form, &expect).await,
    ));

    app.stop().await;
    Report {
        backend,
        conversations: seeded.conversations,
        messages: seeded.messages,
        seeding: seeded.took,
        rows,
    }
}

async fn create_chatbot(client: &reqwest::Client, app: &Running, name: &str) -> Uuid {
    let id = call(
        client,
        &app.url("chatbots_create"),
        &[("name", name), ("system_prompt", "Be brief and kind.")],
    )
    .await;
    serde_json::from_value(id).expect("chatbot id")
}

struct Ids {
    owner: Uuid,
    workspace: Uuid,
    chatbots: [Uuid; 2],
}

/// What seeding made, for the cases and the report.
struct Seeded {
    conversations: usize,
    messages: usize,
    long_thread: Uuid,
    phone_digits: String,
    took: Duration,
}

struct ConversationRow {
    id: Uuid,
    chatbot_id: Uuid,
    channel: &'static str,
    customer_address: String,
    business_number: Option<&'static str>,
    status: &'static str,
    created_at: DateTime<Utc>,
    last_message_at: DateTime<Utc>,
    assignee_id: Option<Uuid>,
    customer_name: Option<&'static str>,
    last_message_preview: String,
    last_inbound_at: Option<DateTime<Utc>>,
    seen_at: Option<DateTime<Utc>>,
}

const CONVERSATION_COLUMNS: &[&str] = &[
    "id",
    "workspace_id",
    "chatbot_id",
    "channel",
    "customer_address",
    "business_number",
    "status",
    "created_at",
    "last_message_at",
    "assignee_id",
    "customer_name",
    "last_message_preview",
    "last_inbound_at",
    "seen_at",
];

impl ConversationRow {
    fn values(self, workspace: Uuid, out: &mut Vec<Value>) {
        out.extend([
            self.id.into(),
            workspace.into(),
            self.chatbot_id.into(),
            self.channel.into(),
            self.customer_address.into(),
            self.business_number.into(),
            self.status.into(),
            self.created_at.into(),
            self.last_message_at.into(),
            self.assignee_id.into(),
            self.customer_name.into(),
            self.last_message_preview.into(),
            self.last_inbound_at.into(),
            self.seen_at.into(),
        ]);
    }
}

struct MessageRow {
    id: Uuid,
    conversation_id: Uuid,
    direction: &'static str,
    author: &'static str,
    author_user_id: Option<Uuid>,
    body: String,
    twilio_sid: Option<String>,
    status: &'static str,
    in_reply_to: Option<Uuid>,
    created_at: DateTime<Utc>,
}

const MESSAGE_COLUMNS: &[&str] = &[
    "id",
    "workspace_id",
    "conversation_id",
    "direction",
    "author",
    "body",
    "twilio_sid",
    "status",
    "error_code",
    "segments",
    "encoding",
    "attachments_dropped",
    "in_reply_to",
    "created_at",
    "updated_at",
    "author_user_id",
];

impl MessageRow {
    fn values(self, workspace: Uuid, out: &mut Vec<Value>) {
        let cost = segments(&self.body);
        out.extend([
            self.id.into(),
            workspace.into(),
            self.conversation_id.into(),
            self.direction.into(),
            self.author.into(),
            self.body.into(),
            self.twilio_sid.into(),
            self.status.into(),
            Option::<i32>::None.into(),
            i32::try_from(cost.count).unwrap_or(i32::MAX).into(),
            cost.encoding.as_str().into(),
            0i32.into(),
            self.in_reply_to.into(),
            self.created_at.into(),
            self.created_at.into(),
            self.author_user_id.into(),
        ]);
    }
}

/// One multi-row INSERT of bound values (`values` holds whole rows, column by column).
async fn insert(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[&str],
    values: Vec<Value>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    // Plain `?` on SQLite: for each numbered `?N` sqlx asks SQLite its name, a walk of every
    // parameter's name, which made a 16,000-value INSERT quadratic (88 % of seeding time).
    let placeholder = |n: usize| match backend {
        DatabaseBackend::Sqlite => "?".to_owned(),
        _ => Placeholders::new(backend).at(n),
    };
    let width = columns.len();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    for row in 0..values.len() / width {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&placeholder(row * width + column + 1));
        }
        sql.push(')');
    }
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .map(|_| ())
}

/// Writes conversations and their messages in one transaction, in batches.
async fn write_chunk(
    db: &DatabaseConnection,
    workspace: Uuid,
    conversations: Vec<ConversationRow>,
    messages: Vec<MessageRow>,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let mut conversations = conversations.into_iter().peekable();
    while conversations.peek().is_some() {
        let mut values = Vec::with_capacity(CONVERSATION_BATCH * CONVERSATION_COLUMNS.len());
        for row in conversations.by_ref().take(CONVERSATION_BATCH) {
            row.values(workspace, &mut values);
        }
        insert(&txn, "conversations", CONVERSATION_COLUMNS, values).await?;
    }
    let mut messages = messages.into_iter().peekable();
    while messages.peek().is_some() {
        let mut values = Vec::with_capacity(MESSAGE_BATCH * MESSAGE_COLUMNS.len());
        for row in messages.by_ref().take(MESSAGE_BATCH) {
            row.values(workspace, &mut values);
        }
        insert(&txn, "messages", MESSAGE_COLUMNS, values).await?;
    }
    txn.commit().await
}

/// How message text is indexed for search, kept aside while seeding and put back exactly as the
/// migration made it (its definition is read from the database, not restated here).
enum SearchIndex {
    /// The FTS5 insert trigger's `CREATE TRIGGER` statement.
    SqliteTrigger(String),
    /// The trigram GIN index's `CREATE INDEX` statement.
    PostgresIndex(String),
}

async fn one_text(db: &DatabaseConnection, sql: &str) -> Result<String, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(sql.to_owned()))?;
    row.try_get_by_index(0)
}

impl SearchIndex {
    async fn set_aside(db: &DatabaseConnection) -> Result<Self, DbErr> {
        Ok(match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                let definition = one_text(
                    db,
                    "SELECT pg_get_indexdef('idx_messages_body_trgm'::regclass)",
                )
                .await?;
                db.execute_unprepared("DROP INDEX idx_messages_body_trgm")
                    .await?;
                Self::PostgresIndex(definition)
            }
            _ => {
                let definition = one_text(
                    db,
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'messages_fts_insert'",
                )
                .await?;
                db.execute_unprepared("DROP TRIGGER messages_fts_insert")
                    .await?;
                Self::SqliteTrigger(definition)
            }
        })
    }

    /// Restores the index and fills it with every message (none existed before seeding, so this
    /// holds exactly what the trigger or the index would have).
    async fn restore(self, db: &DatabaseConnection) -> Result<(), DbErr> {
        match self {
            Self::PostgresIndex(definition) => {
                let txn = db.begin().await?;
                txn.execute_unprepared("SET LOCAL maintenance_work_mem = '256MB'")
                    .await?;
                txn.execute_unprepared(&definition).await?;
                txn.commit().await
            }
            Self::SqliteTrigger(definition) => {
                db.execute_unprepared(&definition).await?;
                db.execute_unprepared("INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')")
                    .await
                    .map(|_| ())
            }
        }
    }
}

async fn seed(db: &DatabaseConnection, ids: &Ids) -> Result<Seeded, DbErr> {
    let started = Instant::now();
    let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
    let messages_before = count(db, "SELECT COUNT(*) FROM messages").await?;
    assert_eq!(messages_before, 0, "seeding starts from an empty inbox");
    let index = SearchIndex::set_aside(db).await?;

    let mut make = Maker::new(ids);
    let mut conversations = 0;
    let mut messages = 0;
    let mut phone_digits = None;
    println!(
        "seeding {} conversations and {} messages (+ one thread of {})…",
        thousands(CONVERSATIONS),
        thousands(MESSAGES),
        thousands(LONG_THREAD)
    );
    let mut i = 0;
    while i < CONVERSATIONS {
        let mut chunk_conversations = Vec::with_capacity(CHUNK);
        let mut chunk_messages = Vec::with_capacity(CHUNK * 10);
        for j in i..(i + CHUNK).min(CONVERSATIONS) {
            // Pairs of conversations share 20 messages, split unevenly: ≈10 each, exactly MESSAGES.
            let spread = if j.is_multiple_of(2) {
                make.rng.random_range(0..=6)
            } else {
                make.last_spread
            };
            make.last_spread = spread;
            let n = if j.is_multiple_of(2) {
                10 + spread
            } else {
                10 - spread
            };
            let (conversation, thread) = make.conversation(j, n, None);
            if phone_digits.is_none() && j >= CONVERSATIONS / 3 && conversation.channel == "sms" {
                // Five digits from the middle of the subscriber part of the number.
                phone_digits = Some(conversation.customer_address[7..12].to_owned());
            }
            messages += thread.len();
            chunk_conversations.push(conversation);
            chunk_messages.extend(thread);
        }
        conversations += chunk_conversations.len();
        i += chunk_conversations.len();
        write_chunk(db, ids.workspace, chunk_conversations, chunk_messages).await?;
        if i.is_multiple_of(20_000) {
            println!(
                "  {:>7} conversations, {:>9} messages  ({:.1} s)",
                thousands(conversations),
                thousands(messages),
                started.elapsed().as_secs_f64()
            );
        }
    }
    let (long, thread) = make.conversation(CONVERSATIONS, LONG_THREAD, Some("human"));
    let long_thread = long.id;
    conversations += 1;
    messages += thread.len();
    write_chunk(db, ids.workspace, vec![long], thread).await?;
    let rows_took = started.elapsed();

    let indexing = Instant::now();
    index.restore(db).await?;
    let index_took = indexing.elapsed();
    let analyzing = Instant::now();
    if postgres {
        // This server runs without autovacuum; a production one would have vacuumed (and so marked
        // pages all-visible) and analyzed after a million inserts.
        db.execute_unprepared("VACUUM (ANALYZE)").await?;
    } else {
        db.execute_unprepared("ANALYZE").await?;
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    let analyze_took = analyzing.elapsed();
    let took = started.elapsed();

    let stored = count(db, "SELECT COUNT(*) FROM messages").await?;
    assert_eq!(stored as usize, messages, "every message stored");
    let phone_digits = phone_digits.expect("an SMS conversation");
    let phone_matches = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "SELECT COUNT(*) FROM conversations WHERE customer_address LIKE {}",
                Placeholders::new(db.get_database_backend()).at(1)
            ),
            [format!("%{phone_digits}%").into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("phone matches".to_owned()))?
        .try_get_by_index::<i64>(0)?;
    println!(
        "seeded in {:.1} s: rows {:.1} s, search index {:.1} s, {} {:.1} s",
        took.as_secs_f64(),
        rows_took.as_secs_f64(),
        index_took.as_secs_f64(),
        if postgres {
            "VACUUM ANALYZE"
        } else {
            "ANALYZE"
        },
        analyze_took.as_secs_f64()
    );
    println!(
        "\"{SEARCH_WORD}\" is in {} messages of {} conversations; \"{phone_digits}\" is in {} \
         customer addresses",
        thousands(make.search_messages),
        thousands(make.search_conversations.len()),
        thousands(phone_matches as usize)
    );
    Ok(Seeded {
        conversations,
        messages,
        long_thread,
        phone_digits,
        took,
    })
}

async fn count(db: &DatabaseConnection, sql: &str) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(sql.to_owned()))?;
    row.try_get_by_index(0)
}

/// Makes realistic rows: a fixed seed, so every run (and both backends) gets the same shape.
struct Maker {
    rng: StdRng,
    now: DateTime<Utc>,
    owner: Uuid,
    chatbots: [Uuid; 2],
    last_spread: usize,
    search_messages: usize,
    search_conversations: HashSet<usize>,
}

const WORDS: &[&str] = &[
    "order",
    "delivery",
    "package",
    "parcel",
    "tracking",
    "number",
    "address",
    "refund",
    "return",
    "exchange",
    "size",
    "colour",
    "price",
    "discount",
    "invoice",
    "receipt",
    "payment",
    "card",
    "bank",
    "transfer",
    "shipping",
    "store",
    "opening",
    "hours",
    "tomorrow",
    "today",
    "yesterday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "morning",
    "evening",
    "week",
    "appointment",
    "booking",
    "cancel",
    "change",
    "time",
    "table",
    "people",
    "reservation",
    "menu",
    "allergy",
    "gluten",
    "lactose",
    "vegan",
    "pickup",
    "courier",
    "postal",
    "code",
    "helsinki",
    "espoo",
    "tampere",
    "turku",
    "oulu",
    "jacket",
    "shoes",
    "shirt",
    "dress",
    "phone",
    "charger",
    "battery",
    "screen",
    "broken",
    "missing",
    "wrong",
    "late",
    "arrived",
    "still",
    "waiting",
    "please",
    "thanks",
    "thank",
    "you",
    "great",
    "help",
    "question",
    "quick",
    "need",
    "want",
    "can",
    "could",
    "would",
    "is",
    "it",
    "my",
    "the",
    "a",
    "an",
    "for",
    "to",
    "on",
    "in",
    "at",
    "with",
    "about",
    "when",
    "where",
    "how",
    "what",
    "why",
    "will",
    "does",
    "did",
    "not",
    "yet",
    "again",
    "also",
    "just",
    "really",
    "maybe",
    "soon",
    "later",
    "now",
    "ok",
    "sure",
    "kiitos",
    "hei",
    "moi",
    "tilaus",
    "paketti",
    "toimitus",
    "huomenna",
    "tänään",
    "auki",
    "palautus",
    "koko",
    "hinta",
    "lasku",
    "nouto",
    "aika",
    "varaus",
    "peruutus",
    "kiitti",
    "membership",
    "points",
    "gift",
    "warranty",
    "repair",
    "service",
    "account",
    "password",
    "email",
    "login",
    "app",
    "website",
    "chat",
    "agent",
    "person",
    "manager",
    "complaint",
    "feedback",
    "review",
    "stock",
    "available",
    "colours",
    "model",
    "version",
    "update",
];

const OPENERS: &[&str] = &[
    "Hi",
    "Hello",
    "Hei",
    "Moi",
    "Hey",
    "Good morning",
    "Good evening",
    "Terve",
    "Thanks",
];

const BOT_OPENERS: &[&str] = &[
    "Thanks for your message!",
    "Happy to help.",
    "Got it.",
    "Kiitos viestistä!",
    "Sure thing.",
    "Thanks for waiting.",
    "Good question.",
];

const NAMES: &[&str] = &[
    "Aino Virtanen",
    "Mikko Korhonen",
    "Laura Nieminen",
    "Juha Mäkinen",
    "Emma Hämäläinen",
    "Antti Laine",
    "Sofia Heikkinen",
    "Ville Koskinen",
    "Helmi Järvinen",
    "Eero Lehtonen",
];

impl Maker {
    fn new(ids: &Ids) -> Self {
        Self {
            rng: StdRng::seed_from_u64(20_261_125),
            now: Utc::now().trunc_subsecs(6),
            owner: ids.owner,
            chatbots: ids.chatbots,
            last_spread: 0,
            search_messages: 0,
            search_conversations: HashSet::new(),
        }
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        *from.choose(&mut self.rng).expect("a non-empty list")
    }

    /// A short SMS: an opener, a run of words, sometimes an order number; now and then the search
    /// word, or a second segment's worth.
    fn body(&mut self, conversation: usize, inbound: bool) -> String {
        let mut words: Vec<String> = Vec::new();
        let length = if self.rng.random_bool(0.05) {
            self.rng.random_range(25..40)
        } else {
            self.rng.random_range(3..14)
        };
        for _ in 0..length {
            words.push(self.pick(WORDS).to_owned());
        }
        if self.rng.random_bool(0.03) {
            let at = self.rng.random_range(0..=words.len());
            words.insert(at, self.rng.random_range(10_000..100_000).to_string());
        }
        if self.rng.random_bool(SEARCH_SHARE) {
            let at = self.rng.random_range(0..=words.len());
            words.insert(at, SEARCH_WORD.to_owned());
            self.search_messages += 1;
            self.search_conversations.insert(conversation);
        }
        let text = words.join(" ");
        let end = self.pick(&[".", "?", "!", "", "?"]);
        if inbound {
            if self.rng.random_bool(0.6) {
                format!("{}, {text}{end}", self.pick(OPENERS))
            } else {
                let mut chars = text.chars();
                let first = chars.next().map(|c| c.to_uppercase().to_string());
                format!("{}{}{end}", first.unwrap_or_default(), chars.as_str())
            }
        } else {
            format!("{} {text}.", self.pick(BOT_OPENERS))
        }
    }

    /// The `index`th conversation with `n` messages, alternating customer and bot (a person writes
    /// the last replies when one holds it). `status` is random unless given.
    fn conversation(
        &mut self,
        index: usize,
        n: usize,
        status: Option<&'static str>,
    ) -> (ConversationRow, Vec<MessageRow>) {
        let id = Uuid::new_v4();
        let sms = index == CONVERSATIONS || self.rng.random_bool(0.8);
        let status = status.unwrap_or_else(|| match self.rng.random_range(0..10) {
            0..7 => "bot",
            7 => "needs_human",
            8 => "human",
            _ => "resolved",
        });
        let (channel, customer_address, business_number, chatbot_id) = if sms {
            // A bijection of the index onto 7 digits (7,919 is prime to 10^7): distinct numbers.
            let subscriber = (index as u64 * 7_919 + 1_234_567) % 10_000_000;
            (
                "sms",
                format!("+35850{subscriber:07}"),
                Some(BUSINESS_NUMBER),
                self.chatbots[0],
            )
        } else {
            // The website widget knows a visitor by an id of its own, not a number.
            let chatbots = self.chatbots;
            let chatbot = self.pick(&chatbots);
            (
                "web",
                format!("visitor-{}", Uuid::new_v4().simple()),
                None,
                chatbot,
            )
        };
        let last_message_at = if index == CONVERSATIONS {
            self.now - TimeDelta::minutes(30)
        } else {
            self.now - TimeDelta::microseconds(self.rng.random_range(0..DAYS * 86_400_000_000))
        };
        let mut times = vec![last_message_at; n];
        for k in (0..n.saturating_sub(1)).rev() {
            times[k] = times[k + 1] - TimeDelta::seconds(self.rng.random_range(20..1_200));
        }
        let human = status == "human";
        let mut thread: Vec<MessageRow> = Vec::with_capacity(n);
        let mut last_inbound: Option<(Uuid, DateTime<Utc>)> = None;
        for (k, created_at) in times.into_iter().enumerate() {
            let inbound = k.is_multiple_of(2);
            // In a conversation a person holds, the last two replies are theirs.
            let by_person = human && !inbound && k + 4 >= n;
            let message_id = Uuid::new_v4();
            let row = MessageRow {
                id: message_id,
                conversation_id: id,
                direction: if inbound { "inbound" } else { "outbound" },
                author: match (inbound, by_person) {
                    (true, _) => "customer",
                    (false, true) => "human",
                    (false, false) => "bot",
                },
                author_user_id: by_person.then_some(self.owner),
                body: self.body(index, inbound),
                twilio_sid: sms.then(|| format!("SM{}", Uuid::new_v4().simple())),
                status: if inbound { "received" } else { "delivered" },
                in_reply_to: if inbound || by_person {
                    None
                } else {
                    last_inbound.map(|(id, _)| id)
                },
                created_at,
            };
            if inbound {
                last_inbound = Some((message_id, created_at));
            }
            thread.push(row);
        }
        let first_at = thread.first().map_or(last_message_at, |m| m.created_at);
        let preview_text = thread.last().map_or(String::new(), |m| preview(&m.body, 0));
        let conversation = ConversationRow {
            id,
            chatbot_id,
            channel,
            customer_address,
            business_number,
            status,
            created_at: first_at,
            last_message_at,
            assignee_id: human.then_some(self.owner),
            customer_name: if self.rng.random_bool(0.05) {
                Some(self.pick(NAMES))
            } else {
                None
            },
            last_message_preview: preview_text,
            last_inbound_at: last_inbound.map(|(_, at)| at),
            seen_at: if self.rng.random_bool(0.6) {
                Some(last_message_at)
            } else {
                None
            },
        };
        (conversation, thread)
    }
}
