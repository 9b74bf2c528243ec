//! Inbound-webhook throughput and latency on loopback, with signature checking and SQLite on:
//! `cargo bench --bench webhook`. Prints requests per second, p50 and p99, and the same for
//! `/healthz` run in the same process as the reference (so the ratio is comparable across machines).
use std::collections::HashMap;
use std::time::{Duration, Instant};
use viesti::domain::{
    AccountSid, AuthToken, ChatbotName, E164, Email, FriendlyName, Plan, SystemPrompt,
    WorkspaceName,
};
use viesti::server::config::Config;
use viesti::server::repo::{accounts, chatbots, sms};
use viesti::server::startup::Application;
use viesti::server::twilio::signature;

const REQUESTS: usize = 2_000;
const CONCURRENCY: usize = 16;
const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const SID: &str = "AC0123456789abcdef0123456789abcdef";
const NUMBER: &str = "+358401234567";

struct Run {
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

async fn run(client: &reqwest::Client, requests: Vec<reqwest::RequestBuilder>) -> Run {
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(requests.len());
    let mut pending = requests.into_iter();
    loop {
        let batch: Vec<_> = pending.by_ref().take(CONCURRENCY).collect();
        if batch.is_empty() {
            break;
        }
        let timed = batch.into_iter().map(|request| async move {
            let sent = Instant::now();
            let response = request.send().await.expect("request");
            assert!(
                response.status().is_success(),
                "status {}",
                response.status()
            );
            sent.elapsed()
        });
        latencies.extend(futures_join_all(timed).await);
    }
    let _ = client;
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Run {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// Runs futures concurrently (a tiny join_all, to avoid a dependency for a bench).
async fn futures_join_all<F: std::future::Future<Output = Duration> + Send + 'static>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<Duration> {
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await.expect("task"));
    }
    out
}

fn report(name: &str, run: &Run) {
    println!(
        "{name:<10} {:>8.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms",
        run.per_second,
        run.p50.as_secs_f64() * 1e3,
        run.p99.as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("viesti-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let vars: HashMap<&str, String> = HashMap::from([
        (
            "VIESTI_ENCRYPTION_KEY",
            "dmllc3RpLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmNkZWY=".to_owned(),
        ),
        (
            "DATABASE_URL",
            format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
        ),
        ("PUBLIC_BASE_URL", base.clone()),
        // No model endpoint: reply jobs fail fast, so the bench measures the webhook, not a model.
        ("VIESTI_WORKERS", "1".to_owned()),
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

    // A workspace with one chatbot connected to NUMBER.
    let member = accounts::create_workspace_with_owner(
        &state.db,
        &WorkspaceName::parse("Bench").expect("name"),
        &Email::parse("bench@example.com").expect("email"),
        "$argon2id$bench".to_owned(),
        Plan::Pro,
    )
    .await
    .expect("workspace");
    let chatbot = chatbots::create(
        &state.db,
        member.workspace_id,
        &ChatbotName::parse("Bench").expect("name"),
        &SystemPrompt::parse("Be brief.").expect("prompt"),
    )
    .await
    .expect("chatbot");
    let number = E164::parse(NUMBER).expect("number");
    sms::insert(
        &state.db,
        &state.keyring,
        sms::NewSmsConnection {
            workspace_id: member.workspace_id,
            chatbot_id: chatbot.id,
            phone_number: &number,
            phone_number_sid: "PN0123456789abcdef0123456789abcdef",
            friendly_name: &FriendlyName::parse("").expect("name"),
            credentials: &sms::Credentials {
                account_sid: AccountSid::parse(SID).expect("sid"),
                auth_token: AuthToken::parse(TOKEN).expect("token"),
            },
        },
    )
    .await
    .expect("connection");
    tokio::spawn(app.run_until(std::future::pending()));

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");
    let healthz = || {
        (0..REQUESTS)
            .map(|_| client.get(format!("{base}/healthz")))
            .collect::<Vec<_>>()
    };
    let url = format!("{base}/api/webhooks/twilio/sms");
    let webhooks = |offset: usize| {
        (0..REQUESTS)
            .map(|i| {
                let sid = format!("SM{:032x}", offset + i);
                // Customers spread over many numbers, as in real traffic.
                let from = format!("+35850{:07}", (offset + i) % 500);
                let params: Vec<(String, String)> = [
                    ("MessageSid", sid.as_str()),
                    ("AccountSid", SID),
                    ("From", from.as_str()),
                    ("To", NUMBER),
                    ("Body", "Hei! Onko teillä auki huomenna?"),
                    ("NumMedia", "0"),
                ]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
                let signature = signature::sign(TOKEN, &url, &params);
                client
                    .post(&url)
                    .header("X-Twilio-Signature", signature)
                    .form(&params)
            })
            .collect::<Vec<_>>()
    };

    // Warm up both paths, then measure.
    run(&client, healthz().into_iter().take(200).collect()).await;
    run(
        &client,
        webhooks(10_000_000).into_iter().take(200).collect(),
    )
    .await;
    let reference = run(&client, healthz()).await;
    let webhook = run(&client, webhooks(0)).await;

    println!(
        "{REQUESTS} requests, {CONCURRENCY} concurrent, loopback, SQLite (WAL), signature checked"
    );
    report("/healthz", &reference);
    report("webhook", &webhook);
    println!(
        "webhook / healthz: throughput {:.2}x, p50 {:.2}x, p99 {:.2}x",
        webhook.per_second / reference.per_second,
        webhook.p50.as_secs_f64() / reference.p50.as_secs_f64(),
        webhook.p99.as_secs_f64() / reference.p99.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
