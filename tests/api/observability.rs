//! What operators see: Prometheus metrics and Sentry events from the SMS path.
use crate::helpers::{Backend, spawn_app};
use crate::on_both_databases;
use axum::body::Bytes;
use reqwest::StatusCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

async fn metrics_count_webhooks_by_outcome_and_report_the_queue(backend: Backend) {
    let app = spawn_app(backend).await;
    // An unsigned webhook for a number nobody connected: counted as unknown_number.
    let response = reqwest::Client::new()
        .post(app.url("/api/webhooks/twilio/sms"))
        .form(&[
            ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
            ("To", "+358401234567"),
        ])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("request");
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.expect("text");
    assert!(
        text.contains(r#"viesti_webhooks_total{kind="sms",outcome="unknown_number"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"viesti_reply_queue_depth{state="queued"} 0"#),
        "{text}"
    );
}

on_both_databases!(metrics_count_webhooks_by_outcome_and_report_the_queue);

/// A loopback Sentry: keeps the bodies of the envelopes posted to it.
async fn sentry_double() -> (String, Arc<Mutex<Vec<String>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::clone(&received);
    let app = axum::Router::new().fallback(move |body: Bytes| {
        let store = Arc::clone(&store);
        async move {
            store
                .lock()
                .expect("lock")
                .push(String::from_utf8_lossy(&body).into_owned());
            "{}"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://public@{addr}/42"), received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_on_the_sms_path_reaches_sentry_tagged_with_the_channel() {
    let (dsn, received) = sentry_double().await;
    let guard = viesti::server::telemetry::init_sentry(&dsn);
    viesti::server::telemetry::init(true);

    // A reply Twilio refuses for good (the customer opted out at the carrier) makes the job give up.
    let sms = crate::sms_pipeline::connected(Backend::Sqlite, &[]).await;
    sms.emulator.opt_out(&crate::sms_pipeline::customer());
    assert_eq!(sms.text("Hello").await, StatusCode::OK);

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(client) = sentry::Hub::current().client() {
            client.flush(Some(Duration::from_millis(200)));
        }
        let bodies = received.lock().expect("lock").clone();
        if let Some(event) = bodies.iter().find(|b| b.contains("reply job gave up")) {
            assert!(event.contains(r#""channel":"channels/sms""#), "{event}");
            assert!(
                !event.contains(sms.demo.auth_token.expose()),
                "no secret in the event"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no event reached the loopback Sentry: {bodies:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(guard);
}
