//! Every benchmark of the product in one table (run by `scripts/bench`, which installs wrk and the
//! Flask reference first): webhook throughput and latency at saturation and at a fixed rate on SQLite
//! and PostgreSQL, beside the same server's `/healthz` and a Flask receiver written from Twilio's docs,
//! measured in the same run with wrk; inbound → reply latency at 1 and 100 conversations; the
//! server's resident memory; the browser bundle. The table is printed and written to
//! `docs/bench/<date>.md`.
//!
//! The servers are real `viesti serve` processes (this package's binary); the model and Twilio are
//! loopback doubles in this process that answer at once.
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use viesti::domain::{
    AccountSid, AuthToken, ChatbotName, E164, Email, FriendlyName, Plan, SystemPrompt,
    WorkspaceName,
};
use viesti::server::config::EncryptionKey;
use viesti::server::crypto::Keyring;
use viesti::server::repo::{accounts, chatbots, sms};
use viesti::server::twilio::signature;

const KEY: &str = "dmllc3RpLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmNkZWY=";
const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const NUMBER: &str = "+358401234567";
const BODY: &str = "Hei! Onko teillä auki huomenna?";
/// Distinct signed requests per saturation run: more than any run sends, so none is a retry.
const REQUESTS: usize = 400_000;
const DURATION: &str = "10s";
const CONNECTIONS: &str = "32";
const FIXED_RATE: u32 = 1_000;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// One line of wrk's report (see bench/wrk/*.lua).
#[derive(Debug, Clone, Default)]
struct Wrk {
    rps: f64,
    p50_us: f64,
    p99_us: f64,
    p999_us: f64,
    errors: u64,
    non2xx: u64,
}

fn wrk(url: &str, script: &str, args: &[String], connections: &str) -> Wrk {
    let mut command = Command::new("wrk");
    command
        .args(["-t2", "-c", connections, "-d", DURATION, "-s"])
        .arg(repo_root().join("bench/wrk").join(script))
        .arg(url);
    if !args.is_empty() {
        command.arg("--").args(args);
    }
    let output = command
        .output()
        .expect("wrk runs (scripts/bench installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .unwrap_or_else(|| panic!("wrk printed no RESULT line:\n{stdout}"));
    let fields: HashMap<&str, &str> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let number = |name: &str| -> f64 {
        fields
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_default()
    };
    Wrk {
        rps: number("rps"),
        p50_us: number("p50_us"),
        p99_us: number("p99_us"),
        p999_us: number("p999_us"),
        errors: number("errors") as u64,
        non2xx: number("non2xx") as u64,
    }
}

/// The form of an inbound text from `from` to [`NUMBER`], as Twilio posts it.
fn inbound(sid: &str, from: &str) -> Vec<(String, String)> {
    [
        ("MessageSid", sid),
        ("AccountSid", ACCOUNT),
        ("From", from),
        ("To", NUMBER),
        ("Body", BODY),
        ("NumMedia", "0"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// Writes `count` distinct signed inbound-SMS requests for `url`, one `signature\tbody` per line.
fn signed_requests(url: &str, count: usize, path: &Path, salt: u64) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("requests file"));
    for i in 0..count {
        let sid = format!("SM{:016x}{:016x}", salt, i);
        let from = format!("+35850{:07}", i % 5_000);
        let params = inbound(&sid, &from);
        let signature = signature::sign(TOKEN, url, &params);
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        writeln!(out, "{signature}\t{body}").expect("write");
    }
    out.flush().expect("flush");
}

/// A `viesti serve` process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(database_url: &str, data_dir: &Path, extra: &[(&str, String)]) -> Self {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(data_dir.join(format!("server-{port}.log"))).expect("log");
        let mut command = Command::new(env!("CARGO_BIN_EXE_viesti"));
        command
            .arg("serve")
            .current_dir(repo_root())
            .env("VIESTI_ENCRYPTION_KEY", KEY)
            .env("DATABASE_URL", database_url)
            .env("VIESTI_DATA_DIR", data_dir)
            .env("PUBLIC_BASE_URL", &base)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            // One conversation answers 200 texts in a row here; the reply budget would pause it.
            .env("VIESTI_REPLY_BUDGET", "100000")
            // SMS needs Starter; new workspaces start on Free unless told otherwise.
            .env("DEFAULT_PLAN", "starter")
            .env_remove("SENTRY_DSN")
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        for (name, value) in extra {
            command.env(name, value);
        }
        let child = command.spawn().expect("viesti serve starts");
        let server = Self { child, base };
        let started = Instant::now();
        while !server.healthy() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not start; see {}",
                data_dir.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn healthy(&self) -> bool {
        std::net::TcpStream::connect(self.base.trim_start_matches("http://")).is_ok()
            && Command::new("curl")
                .args(["-sf", "-o", "/dev/null", &format!("{}/healthz", self.base)])
                .status()
                .is_ok_and(|s| s.success())
    }

    /// Resident memory now and at its peak, in MiB.
    fn rss_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .unwrap_or_default()
                / 1024.0
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// A fresh database with a workspace whose chatbot is connected to [`NUMBER`]; returns its URL.
async fn seeded_database(postgres: bool, dir: &Path, name: &str) -> String {
    let url = if postgres {
        let admin = std::env::var("VIESTI_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let db = format!("viesti_bench_{name}_{}", std::process::id());
        let admin_db = sea_orm::Database::connect(&admin)
            .await
            .expect("PostgreSQL");
        use sea_orm::ConnectionTrait;
        admin_db
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {db}"))
            .await
            .expect("drop");
        admin_db
            .execute_unprepared(&format!("CREATE DATABASE {db}"))
            .await
            .expect("create");
        let (base, _) = admin.rsplit_once('/').expect("a database URL");
        format!("{base}/{db}")
    } else {
        format!("sqlite://{}/{name}.db?mode=rwc", dir.display())
    };
    let migrated = Command::new(env!("CARGO_BIN_EXE_viesti"))
        .arg("migrate")
        .current_dir(repo_root())
        .env("VIESTI_ENCRYPTION_KEY", KEY)
        .env("DATABASE_URL", &url)
        .env("VIESTI_DATA_DIR", dir)
        .env("PUBLIC_BASE_URL", "http://127.0.0.1:1")
        .status()
        .expect("viesti migrate");
    assert!(migrated.success(), "migrations");
    let db = sea_orm::Database::connect(&url).await.expect("database");
    let member = accounts::create_workspace_with_owner(
        &db,
        &WorkspaceName::parse("Bench").expect("name"),
        &Email::parse("bench@example.com").expect("email"),
        "$argon2id$bench".to_owned(),
        Plan::Pro,
    )
    .await
    .expect("workspace");
    let chatbot = chatbots::create(
        &db,
        member.workspace_id,
        &ChatbotName::parse("Bench").expect("name"),
        &SystemPrompt::parse("Be brief.").expect("prompt"),
    )
    .await
    .expect("chatbot");
    let keyring = Keyring::new(&EncryptionKey::from_base64(KEY).expect("key"), &[]);
    sms::insert(
        &db,
        &keyring,
        sms::NewSmsConnection {
            workspace_id: member.workspace_id,
            chatbot_id: chatbot.id,
            phone_number: &E164::parse(NUMBER).expect("number"),
            phone_number_sid: "PN0123456789abcdef0123456789abcdef",
            friendly_name: &FriendlyName::parse("").expect("name"),
            credentials: &sms::Credentials {
                account_sid: AccountSid::parse(ACCOUNT).expect("sid"),
                auth_token: AuthToken::parse(TOKEN).expect("token"),
            },
            trial: false,
        },
    )
    .await
    .expect("connection");
    db.close().await.ok();
    url
}

/// Webhook ingestion on one database: `/healthz` and the webhook at saturation, the webhook at a
/// fixed rate, and the server's memory idle and after the load.
struct Ingestion {
    healthz: Wrk,
    webhook: Wrk,
    fixed: Wrk,
    rss_idle: f64,
    rss_peak: f64,
}

async fn ingestion(postgres: bool, dir: &Path) -> Ingestion {
    let name = if postgres { "pg" } else { "sqlite" };
    let url = seeded_database(postgres, dir, name).await;
    // A web-only instance (VIESTI_WORKERS=0), as the reference only stores: the replies are
    // measured apart, below.
    let server = Server::start(&url, dir, &[("VIESTI_WORKERS", "0".into())]);
    let (rss_idle, _) = server.rss_mib();
    let webhook_url = format!("{}/api/webhooks/twilio/sms", server.base);
    let requests = dir.join(format!("{name}-requests.tsv"));
    signed_requests(&webhook_url, REQUESTS, &requests, 1);
    let paced = dir.join(format!("{name}-paced.tsv"));
    signed_requests(&webhook_url, 20_000, &paced, 2);
    // Warm up: connections, caches, prepared statements.
    wrk(
        &format!("{}/healthz", server.base),
        "plain.lua",
        &[],
        CONNECTIONS,
    );
    let healthz = wrk(
        &format!("{}/healthz", server.base),
        "plain.lua",
        &[],
        CONNECTIONS,
    );
    let webhook = wrk(
        &webhook_url,
        "signed.lua",
        &[requests.display().to_string()],
        CONNECTIONS,
    );
    let fixed = wrk(
        &webhook_url,
        "signed.lua",
        &[
            paced.display().to_string(),
            format!("rate={FIXED_RATE}"),
            "connections=10".into(),
        ],
        "10",
    );
    let (_, rss_peak) = server.rss_mib();
    server.stop();
    Ingestion {
        healthz,
        webhook,
        fixed,
        rss_idle,
        rss_peak,
    }
}

/// The Flask receiver from Twilio's docs, under gunicorn with 2 workers, at saturation and at the
/// fixed rate.
fn reference(dir: &Path) -> Option<(Wrk, Wrk)> {
    let venv = std::env::var("VIESTI_BENCH_VENV").ok()?;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/sms");
    let mut gunicorn = Command::new(Path::new(&venv).join("bin/gunicorn"))
        .args([
            "-w",
            "2",
            "--no-control-socket",
            "-b",
            &format!("127.0.0.1:{port}"),
            "app:app",
        ])
        .current_dir(repo_root().join("bench/flask_reference"))
        .env("TWILIO_AUTH_TOKEN", TOKEN)
        .env("REFERENCE_DB", dir.join("reference.db"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = gunicorn.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let requests = dir.join("reference-requests.tsv");
    signed_requests(&url, REQUESTS / 4, &requests, 3);
    let paced = dir.join("reference-paced.tsv");
    signed_requests(&url, 20_000, &paced, 4);
    let saturated = wrk(
        &url,
        "signed.lua",
        &[requests.display().to_string()],
        CONNECTIONS,
    );
    let fixed = wrk(
        &url,
        "signed.lua",
        &[
            paced.display().to_string(),
            format!("rate={FIXED_RATE}"),
            "connections=10".into(),
        ],
        "10",
    );
    let _ = Command::new("kill")
        .args(["-TERM", &gunicorn.id().to_string()])
        .status();
    let _ = gunicorn.wait();
    Some((saturated, fixed))
}

/// The loopback doubles: a model that answers at once, and Twilio's Messages API, which tells each
/// waiting customer when their reply arrived.
#[derive(Clone, Default)]
struct Doubles {
    waiting: Arc<Mutex<HashMap<String, oneshot::Sender<Instant>>>>,
}

async fn start_doubles(doubles: Doubles) -> String {
    async fn complete(Json(_): Json<Value>) -> Json<Value> {
        Json(
            json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": "We open at nine."}}]}),
        )
    }
    async fn send(
        State(doubles): State<Doubles>,
        axum::extract::Form(form): axum::extract::Form<HashMap<String, String>>,
    ) -> (StatusCode, Json<Value>) {
        let arrived = Instant::now();
        let to = form.get("To").cloned().unwrap_or_default();
        if let Some(waiter) = doubles.waiting.lock().expect("lock").remove(&to) {
            let _ = waiter.send(arrived);
        }
        let sid = format!("SM{}", uuid::Uuid::new_v4().simple());
        (
            StatusCode::CREATED,
            Json(json!({
                "sid": sid, "status": "queued", "to": to,
                "from": form.get("From"), "body": form.get("Body"),
                "num_segments": "1", "error_code": null, "error_message": null,
            })),
        )
    }
    let app = axum::Router::new()
        .route("/v1/chat/completions", axum::routing::post(complete))
        .route(
            "/2010-04-01/Accounts/{account}/Messages.json",
            axum::routing::post(send),
        )
        .with_state(doubles);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

/// Inbound → reply accepted by Twilio, from the webhook's send to the Messages API request, for
/// `conversations` customers texting at once, each `rounds` texts in turn. Returns p50 and p99.
async fn round_trips(
    base: &str,
    doubles: &Doubles,
    conversations: usize,
    rounds: usize,
    salt: u64,
) -> (Duration, Duration) {
    let client = reqwest::Client::new();
    let url = format!("{base}/api/webhooks/twilio/sms");
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..conversations {
        let client = client.clone();
        let url = url.clone();
        let doubles = doubles.clone();
        tasks.spawn(async move {
            let from = format!("+35851{salt:02}{c:05}");
            let mut latencies = Vec::with_capacity(rounds);
            for r in 0..rounds {
                let sid = format!("SM{salt:08x}{c:012x}{r:012x}");
                let params = inbound(&sid, &from);
                let (tell, arrived) = oneshot::channel();
                doubles
                    .waiting
                    .lock()
                    .expect("lock")
                    .insert(from.clone(), tell);
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .header("X-Twilio-Signature", signature::sign(TOKEN, &url, &params))
                    .form(&params)
                    .send()
                    .await
                    .expect("webhook");
                assert!(response.status().is_success(), "{}", response.status());
                let arrived = tokio::time::timeout(Duration::from_secs(30), arrived)
                    .await
                    .expect("a reply within 30 s")
                    .expect("reply");
                latencies.push(arrived - sent);
            }
            latencies
        });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(done.expect("customer"));
    }
    all.sort();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    (at(0.50), at(0.99))
}

async fn replies(postgres: bool, dir: &Path) -> [(Duration, Duration); 2] {
    let name = if postgres {
        "pg_replies"
    } else {
        "sqlite_replies"
    };
    let url = seeded_database(postgres, dir, name).await;
    let doubles = Doubles::default();
    let doubles_base = start_doubles(doubles.clone()).await;
    let server = Server::start(
        &url,
        dir,
        &[
            ("MODEL_API_BASE", format!("{doubles_base}/v1")),
            ("TWILIO_API_BASE", doubles_base.clone()),
        ],
    );
    // Warm up.
    round_trips(&server.base, &doubles, 10, 2, 90).await;
    let one = round_trips(&server.base, &doubles, 1, 200, 1).await;
    let hundred = round_trips(&server.base, &doubles, 100, 5, 2).await;
    server.stop();
    [one, hundred]
}

/// The hydrate bundle as `scripts/bundle-size` reports it (the main wasm, each lazy route's chunks,
/// the first load of the heaviest page against the budget).
fn bundle() -> String {
    if !repo_root().join("target/site/pkg").is_dir() {
        return "no release build in target/site: run through scripts/bench, which builds it\n"
            .into();
    }
    Command::new(repo_root().join("scripts/bundle-size"))
        .current_dir(repo_root())
        .output()
        .map(|o| {
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
        .unwrap_or_else(|error| format!("scripts/bundle-size did not run: {error}\n"))
}

fn ms(us: f64) -> String {
    format!("{:.2}", us / 1000.0)
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "–".into()
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile_dir();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("benchmarking in {} ({cores} cores)…", dir.display());

    let only = Only::from_env();
    drop_bench_databases().await;
    let reference = if only.wants("flask") {
        let reference = reference(&dir);
        if reference.is_none() {
            println!("(no Flask reference: run through scripts/bench, which installs it)");
        }
        reference
    } else {
        None
    };
    let sqlite = only.run("sqlite", ingestion(false, &dir)).await;
    let postgres = only.run("postgres", ingestion(true, &dir)).await;
    let sqlite_replies = only.run("sqlite-replies", replies(false, &dir)).await;
    let postgres_replies = only.run("postgres-replies", replies(true, &dir)).await;
    let bundle = only.wants("bundle").then(bundle);

    let mut table = String::new();
    let date = chrono::Utc::now().format("%Y-%m-%d");
    let _ = writeln!(table, "# Benchmark {date}\n");
    let _ = writeln!(
        table,
        "{cores} cores; wrk -t2 -c{CONNECTIONS} -d{DURATION} over distinct signed requests; the fixed rate is {FIXED_RATE} req/s over 10 connections. \
         Viesti runs as a web-only instance (VIESTI_WORKERS=0) for ingestion, since the reference only stores. Latencies in ms.\n"
    );
    let _ = writeln!(
        table,
        "| webhook ingestion | req/s | p50 | p99 | p99.9 | at {FIXED_RATE}/s p50 | p99 | p99.9 | × Flask | × /healthz | errors |"
    );
    let _ = writeln!(
        table,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let flask_rps = reference.as_ref().map_or(0.0, |(s, _)| s.rps);
    if let Some((saturated, fixed)) = &reference {
        let _ = writeln!(
            table,
            "| Flask + twilio RequestValidator, gunicorn -w 2, SQLite | {:.0} | {} | {} | {} | {} | {} | {} | 1.00× | – | {} |",
            saturated.rps,
            ms(saturated.p50_us),
            ms(saturated.p99_us),
            ms(saturated.p999_us),
            ms(fixed.p50_us),
            ms(fixed.p99_us),
            ms(fixed.p999_us),
            saturated.errors + saturated.non2xx + fixed.errors + fixed.non2xx,
        );
    }
    let ingestions = [("SQLite", &sqlite), ("PostgreSQL", &postgres)];
    for (name, run) in ingestions
        .iter()
        .filter_map(|(name, run)| Some((name, run.as_ref()?)))
    {
        let _ = writeln!(
            table,
            "| Viesti /healthz, {name} | {:.0} | {} | {} | {} | | | | | 1.00× | {} |",
            run.healthz.rps,
            ms(run.healthz.p50_us),
            ms(run.healthz.p99_us),
            ms(run.healthz.p999_us),
            run.healthz.errors + run.healthz.non2xx,
        );
        let _ = writeln!(
            table,
            "| **Viesti webhook, {name}** | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            run.webhook.rps,
            ms(run.webhook.p50_us),
            ms(run.webhook.p99_us),
            ms(run.webhook.p999_us),
            ms(run.fixed.p50_us),
            ms(run.fixed.p99_us),
            ms(run.fixed.p999_us),
            ratio(run.webhook.rps, flask_rps),
            ratio(run.webhook.rps, run.healthz.rps),
            run.webhook.errors + run.webhook.non2xx + run.fixed.errors + run.fixed.non2xx,
        );
    }
    if sqlite_replies.is_some() || postgres_replies.is_some() {
        let _ = writeln!(
            table,
            "\n| inbound → reply accepted by Twilio (model double answers at once) | p50 | p99 |"
        );
        let _ = writeln!(table, "|---|---:|---:|");
    }
    for (name, runs) in [
        ("SQLite", &sqlite_replies),
        ("PostgreSQL", &postgres_replies),
    ]
    .iter()
    .filter_map(|(name, runs)| Some((name, runs.as_ref()?)))
    {
        for ((p50, p99), what) in runs
            .iter()
            .zip(["1 conversation", "100 conversations at once"])
        {
            let _ = writeln!(
                table,
                "| {name}, {what} | {:.1} | {:.1} |",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            );
        }
    }
    if ingestions.iter().any(|(_, run)| run.is_some()) {
        let _ = writeln!(
            table,
            "\n| server memory (RSS, MiB) | idle | peak under the webhook load |"
        );
        let _ = writeln!(table, "|---|---:|---:|");
    }
    for (name, run) in ingestions
        .iter()
        .filter_map(|(name, run)| Some((name, run.as_ref()?)))
    {
        let _ = writeln!(
            table,
            "| {name} | {:.0} | {:.0} |",
            run.rss_idle, run.rss_peak
        );
    }
    if let Some(bundle) = bundle {
        let _ = writeln!(
            table,
            "\nBrowser bundle (`cargo leptos build --release --split`, `scripts/bundle-size`):\n\n```\n{bundle}```"
        );
    }
    println!("\n{table}");
    if only.is_partial() {
        println!("a partial run (VIESTI_BENCH_ONLY): docs/bench is left as it was");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let out = repo_root().join("docs/bench");
    std::fs::create_dir_all(&out).expect("docs/bench");
    let file = out.join(format!("{date}.md"));
    std::fs::write(&file, &table).expect("write the table");
    println!("written to {}", file.display());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The parts of the benchmark to run: all of them, or those `VIESTI_BENCH_ONLY` names (a comma list
/// of `flask`, `sqlite`, `postgres`, `sqlite-replies`, `postgres-replies`, `bundle`), to measure one
/// change quickly. A partial run prints its rows and leaves `docs/bench` alone.
struct Only(Option<Vec<String>>);

impl Only {
    const PARTS: [&str; 6] = [
        "flask",
        "sqlite",
        "postgres",
        "sqlite-replies",
        "postgres-replies",
        "bundle",
    ];

    fn from_env() -> Self {
        let Ok(list) = std::env::var("VIESTI_BENCH_ONLY") else {
            return Self(None);
        };
        let parts: Vec<String> = list
            .split(',')
            .map(|part| part.trim().to_owned())
            .filter(|part| !part.is_empty())
            .collect();
        for part in &parts {
            assert!(
                Self::PARTS.contains(&part.as_str()),
                "VIESTI_BENCH_ONLY: unknown part {part:?}; the parts are {}",
                Self::PARTS.join(", ")
            );
        }
        Self(Some(parts))
    }

    fn wants(&self, part: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|parts| parts.iter().any(|p| p == part))
    }

    /// Runs `part` when this run wants it (a future does nothing until it is awaited).
    async fn run<T>(&self, name: &str, part: impl std::future::Future<Output = T>) -> Option<T> {
        if self.wants(name) {
            Some(part.await)
        } else {
            None
        }
    }

    fn is_partial(&self) -> bool {
        self.0.is_some()
    }
}

/// Drops the PostgreSQL databases earlier runs left (`viesti_bench_*`), so runs do not pile up.
async fn drop_bench_databases() {
    use sea_orm::ConnectionTrait;
    let admin = std::env::var("VIESTI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let Ok(db) = sea_orm::Database::connect(&admin).await else {
        return;
    };
    let names = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'viesti\\_bench\\_%'",
        ))
        .await
        .unwrap_or_default();
    for row in names {
        if let Ok(name) = row.try_get::<String>("", "datname") {
            let _ = db
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
                .await;
        }
    }
    db.close().await.ok();
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("viesti-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
