//! Faults and several instances on one PostgreSQL: instances that migrate at the same moment, a
//! database that goes away for a while, and an instance killed in the middle of inbound load while
//! another keeps going. Each asserts that nothing acknowledged is lost or answered twice.
use crate::helpers::{Backend, fresh_database};
use crate::sms_pipeline::{connected, eventually};
use reqwest::StatusCode;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_started_together_migrate_one_at_a_time() {
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_database(Backend::Postgres, dir.path()).await;
    let mut starting = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let url = url.clone();
        starting.spawn(async move { viesti::server::startup::connect_url(&url).await.map(|_| ()) });
    }
    while let Some(started) = starting.join_next().await {
        started.expect("joined").expect("every instance starts");
    }
    let db = viesti::server::startup::connect_url(&url)
        .await
        .expect("connect");
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT COUNT(*), COUNT(DISTINCT version) FROM seaql_migrations".to_owned(),
        ))
        .await
        .expect("query")
        .expect("a row");
    let (all, distinct): (i64, i64) = (
        row.try_get_by_index(0).expect("count"),
        row.try_get_by_index(1).expect("distinct"),
    );
    assert_eq!(all, distinct, "each migration applied once");
    assert!(all >= 15, "{all} migrations");
}

/// A TCP proxy in front of PostgreSQL that can drop every connection and refuse new ones, as a
/// database failover or a network cut does.
struct Cuttable {
    port: u16,
    down: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Cuttable {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let down = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (down_flag, handles) = (Arc::clone(&down), Arc::clone(&open));
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if down_flag.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect("127.0.0.1:5432").await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                handles.lock().expect("lock").push(task.abort_handle());
            }
        });
        Self { port, down, open }
    }

    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for task in self.open.lock().expect("lock").drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_away_webhooks_answer_503_and_then_nothing_is_lost() {
    let proxy = Cuttable::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let direct = fresh_database(Backend::Postgres, dir.path()).await;
    let (_, name) = direct.rsplit_once('/').expect("a database name");
    let via_proxy = format!("postgres://postgres@127.0.0.1:{}/{name}", proxy.port);
    let sms = connected(Backend::Postgres, &[("DATABASE_URL", via_proxy.as_str())]).await;
    assert_eq!(sms.text("Before the cut").await, StatusCode::OK);
    replies_within(&sms, 1, "the first reply").await;

    proxy.cut();
    let sid = format!("SM{:032x}", 0xc0ffee_u32);
    let (params, signature) = sms.signed_form(&sid, "During the cut");
    let during = sms.post_webhook(&params, Some(&signature)).await;
    assert_eq!(
        during.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "Twilio is told to try again"
    );
    let health = reqwest::get(sms.app.url("/healthz"))
        .await
        .expect("request");
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);

    proxy.restore();
    // Twilio retries the same request; the app has recovered by itself.
    let mut retried = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        retried = sms.post_webhook(&params, Some(&signature)).await.status();
        if retried == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        retried,
        StatusCode::OK,
        "accepted once the database is back"
    );
    replies_within(&sms, 2, "the retried text answered").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let bodies: Vec<String> = sms.replies().into_iter().map(|m| m.body).collect();
    assert_eq!(bodies, ["Echo: Before the cut", "Echo: During the cut"]);
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'")
            .await,
        2
    );
}

/// Waits up to 30 s for `n` replies to the customer; on a timeout, shows the app's last log lines.
async fn replies_within(sms: &crate::sms_pipeline::Sms, n: usize, what: &str) {
    for _ in 0..300 {
        if sms.replies().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logs = crate::helpers::captured_logs();
    let mut tail: Vec<&str> = logs.lines().rev().take(60).collect();
    tail.reverse();
    panic!(
        "timed out waiting for: {what}; the last log lines:\n{}",
        tail.join("\n")
    );
}

/// Two `viesti serve` processes with reply workers on one PostgreSQL take inbound load in turns;
/// one is killed (SIGKILL) mid-run. Every text either instance acknowledged is answered exactly once,
/// and each customer's replies come in the order their texts were stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_one_killed_mid_run_answer_every_acknowledged_text_once_in_order() {
    let sms = Arc::new(connected(Backend::Postgres, &[("VIESTI_WORKERS", "0")]).await);
    let twilio = sms.twilio_base();
    let env = [
        ("TWILIO_API_BASE", twilio.as_str()),
        ("MODEL_API_BASE", sms.model_url.as_str()),
        ("VIESTI_REPLY_BUDGET", "1000"),
        ("VIESTI_RETRY_BASE_MS", "50"),
    ];
    let (mut doomed, doomed_base) = sms.serve_process(&env);
    let (mut survivor, survivor_base) = sms.serve_process(&env);
    let client = reqwest::Client::new();
    for base in [&doomed_base, &survivor_base] {
        crate::sms_pipeline::Sms::until_serving(base).await;
    }

    const CUSTOMERS: usize = 12;
    const PER_CUSTOMER: usize = 25;
    let send = {
        let sms = Arc::clone(&sms);
        let client = client.clone();
        move |base: String, customer: usize, n: usize| {
            let sms = Arc::clone(&sms);
            let client = client.clone();
            async move {
                sms.text_instance(
                    &client,
                    &base,
                    &format!("SM{customer:016x}{n:016x}"),
                    &format!("+3585077700{customer:02}"),
                    &format!("Customer {customer} text {n}"),
                )
                .await
            }
        }
    };
    // Each customer texts one after another, alternating between the instances; a text whose
    // instance is gone is sent again to the other, as Twilio retries.
    let acknowledged = Arc::new(Mutex::new(0usize));
    let doomed_alive = Arc::new(AtomicBool::new(true));
    let mut customers = tokio::task::JoinSet::new();
    for customer in 0..CUSTOMERS {
        let send = send.clone();
        let (doomed_base, survivor_base) = (doomed_base.clone(), survivor_base.clone());
        let acknowledged = Arc::clone(&acknowledged);
        let doomed_alive = Arc::clone(&doomed_alive);
        customers.spawn(async move {
            for n in 0..PER_CUSTOMER {
                let first = if (customer + n) % 2 == 0 && doomed_alive.load(Ordering::SeqCst) {
                    doomed_base.clone()
                } else {
                    survivor_base.clone()
                };
                let mut delivered = send(first, customer, n).await;
                let mut tries = 0;
                while !delivered {
                    tries += 1;
                    assert!(tries < 50, "customer {customer} text {n} never accepted");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    delivered = send(survivor_base.clone(), customer, n).await;
                }
                *acknowledged.lock().expect("lock") += 1;
            }
        });
    }
    eventually("load flowing", || async {
        *acknowledged.lock().expect("lock") >= CUSTOMERS * PER_CUSTOMER / 3
    })
    .await;
    doomed.kill().expect("SIGKILL");
    doomed_alive.store(false, Ordering::SeqCst);
    let _ = doomed.wait();
    while let Some(done) = customers.join_next().await {
        done.expect("customer");
    }
    let total = CUSTOMERS * PER_CUSTOMER;
    let started = std::time::Instant::now();
    while sms.all_replies().len() < total {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{} of {total} answered",
            sms.all_replies().len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = survivor.kill();
    let _ = survivor.wait();

    let replies = sms.all_replies();
    assert_eq!(replies.len(), total, "every text answered exactly once");
    let mut per_customer: HashMap<String, Vec<String>> = HashMap::new();
    for reply in replies {
        per_customer
            .entry(reply.to.to_string())
            .or_default()
            .push(reply.body);
    }
    for customer in 0..CUSTOMERS {
        let expected: Vec<String> = (0..PER_CUSTOMER)
            .map(|n| format!("Echo: Customer {customer} text {n}"))
            .collect();
        assert_eq!(
            per_customer.remove(&format!("+3585077700{customer:02}")),
            Some(expected),
            "customer {customer}'s replies, once each and in order"
        );
    }
}
