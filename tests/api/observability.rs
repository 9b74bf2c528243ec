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

/// The first event the loopback Sentry received that contains `text`, within `wait`.
async fn sentry_event(received: &Mutex<Vec<String>>, text: &str, wait: Duration) -> String {
    let deadline = Instant::now() + wait;
    loop {
        if let Some(client) = sentry::Hub::current().client() {
            client.flush(Some(Duration::from_millis(200)));
        }
        let bodies = received.lock().expect("lock").clone();
        if let Some(event) = bodies.into_iter().find(|b| b.contains(text)) {
            return event;
        }
        assert!(
            Instant::now() < deadline,
            "no event with {text:?} reached the loopback Sentry"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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

    let event = sentry_event(&received, "reply job gave up", Duration::from_secs(10)).await;
    assert!(event.contains(r#""channel":"channels/sms""#), "{event}");
    assert!(
        !event.contains(sms.demo.auth_token.expose()),
        "no secret in the event"
    );
    assert!(
        !event.contains(crate::sms_pipeline::customer().as_str()),
        "no full phone number in the event"
    );
    drop(guard);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_in_a_website_conversation_is_tagged_with_the_web_channel() {
    let (dsn, received) = sentry_double().await;
    let guard = viesti::server::telemetry::init_sentry(&dsn);
    viesti::server::telemetry::init(true);

    // A widget visitor's reply job gives up when the model fails every try.
    let sms = crate::sms_pipeline::connected(Backend::Sqlite, &[]).await;
    *sms.model.failures.lock().expect("lock") = u32::MAX;
    let chatbot = crate::widget::chatbot_id(&sms).await;
    let sent = reqwest::Client::new()
        .post(sms.app.url(&format!("/api/widget/{chatbot}/messages")))
        .json(&serde_json::json!({ "text": "is my order on its way" }))
        .send()
        .await
        .expect("request");
    assert_eq!(sent.status(), StatusCode::ACCEPTED);

    let event = sentry_event(&received, "reply job gave up", Duration::from_secs(40)).await;
    assert!(event.contains(r#""channel":"channels/web""#), "{event}");
    drop(guard);
}
