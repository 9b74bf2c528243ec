//! What operators see: Prometheus metrics and Sentry events from the SMS path.
use crate::helpers::{Backend, spawn_app, spawn_app_with};
use crate::on_both_databases;
use axum::body::Bytes;
use reqwest::StatusCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use viesti::server::emulator::DeliveryOutcome;

const METRICS_TOKEN: &str = "scrape-0123456789abcdef";

async fn metrics_count_webhooks_by_outcome_and_report_the_queue(backend: Backend) {
    let app = spawn_app_with(backend, &[("VIESTI_METRICS_TOKEN", METRICS_TOKEN)]).await;
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
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.expect("text");
    // Whole lines: `} 1` as a prefix would also take 10 to 19.
    let line = |wanted: &str| text.lines().any(|l| l.trim_end() == wanted);
    assert!(
        line(r#"viesti_webhooks_total{kind="sms",outcome="unknown_number"} 1"#),
        "{text}"
    );
    assert!(
        line(r#"viesti_reply_queue_depth{state="queued"} 0"#),
        "{text}"
    );
}

on_both_databases!(metrics_count_webhooks_by_outcome_and_report_the_queue);

async fn metrics_need_the_token_and_do_not_exist_without_one(backend: Backend) {
    let app = spawn_app_with(backend, &[("VIESTI_METRICS_TOKEN", METRICS_TOKEN)]).await;
    for token in [None, Some("scrape-0123456789abcdeX"), Some("")] {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        let body = response.text().await.expect("text");
        assert!(!body.contains("viesti_"), "{body}");
    }
    let off = spawn_app(backend).await;
    let response = off
        .client
        .get(off.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

on_both_databases!(metrics_need_the_token_and_do_not_exist_without_one);

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

/// The Sentry tags of an envelope's event (its JSON line that has them).
fn tags(envelope: &str) -> serde_json::Value {
    envelope
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find_map(|item| item.get("tags").cloned())
        .unwrap_or_else(|| panic!("no tags in {envelope}"))
}

/// How many events for `signal` the loopback Sentry holds, once the client has sent what it has.
fn signals_received(received: &Mutex<Vec<String>>, signal: &str) -> usize {
    if let Some(client) = sentry::Hub::current().client() {
        client.flush(Some(Duration::from_secs(1)));
    }
    let needle = format!(r#""signal":"{signal}""#);
    received
        .lock()
        .expect("lock")
        .iter()
        .filter(|b| b.contains(&needle))
        .count()
}

/// Each signal of the SMS path becomes one Sentry event tagged with the channel, its kind, and the
/// workspace and chatbot; the ones anyone can cause are throttled; no token, body or number rides along.
async fn every_sms_signal_reaches_sentry_scoped_and_scrubbed(backend: Backend) {
    let (dsn, received) = sentry_double().await;
    let guard = viesti::server::telemetry::init_sentry(&dsn);
    viesti::server::telemetry::init(true);
    let sms = crate::sms_pipeline::connected(backend, &[]).await;
    const WRONG_TOKEN: &str = "ffffffffffffffffffffffffffffffff";
    const BODY: &str = "my secret order number is 4417";

    // A failed probe: an update with a token Twilio refuses.
    let refused = sms
        .app
        .call(
            "sms_update",
            &[
                ("chatbot_id", sms.chatbot.as_str()),
                ("auth_token", WRONG_TOKEN),
                ("friendly_name", ""),
            ],
        )
        .await;
    assert_ne!(refused.status(), StatusCode::OK);
    let probe = tags(
        &sentry_event(
            &received,
            r#""signal":"probe_failed""#,
            Duration::from_secs(10),
        )
        .await,
    );
    assert_eq!(probe["channel"], "channels/sms", "{probe}");
    assert_eq!(probe["chatbot_id"], sms.chatbot.as_str(), "{probe}");
    let workspace = probe["workspace_id"]
        .as_str()
        .expect("a workspace id")
        .to_owned();
    uuid::Uuid::parse_str(&workspace).expect("the workspace id is a UUID");
    let scoped = |event: &str| {
        let tags = tags(event);
        assert_eq!(tags["channel"], "channels/sms", "{tags}");
        assert_eq!(tags["workspace_id"], workspace.as_str(), "{tags}");
        assert_eq!(tags["chatbot_id"], sms.chatbot.as_str(), "{tags}");
    };

    // Bad signatures, three times within a minute: one event.
    let (params, _) = sms.signed_form("SM0123456789abcdef0123456789abcdef", BODY);
    for _ in 0..3 {
        let response = sms
            .post_webhook(&params, Some("bm90IGEgc2lnbmF0dXJl"))
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    scoped(
        &sentry_event(
            &received,
            r#""signal":"bad_signature""#,
            Duration::from_secs(10),
        )
        .await,
    );
    assert_eq!(signals_received(&received, "bad_signature"), 1, "throttled");

    // A webhook for a number nobody connected.
    let unknown: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| {
            let v = if k == "To" {
                "+358409876543"
            } else {
                v.as_str()
            };
            (k.clone(), v.to_owned())
        })
        .collect();
    assert_eq!(
        sms.post_webhook(&unknown, Some("bm90IGEgc2lnbmF0dXJl"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let unknown = tags(
        &sentry_event(
            &received,
            r#""signal":"unknown_number""#,
            Duration::from_secs(10),
        )
        .await,
    );
    assert_eq!(unknown["channel"], "channels/sms", "{unknown}");

    // A reply the carrier did not deliver.
    sms.emulator.set_delivery_outcome(
        &crate::sms_pipeline::customer(),
        DeliveryOutcome::Undelivered(30003),
    );
    assert_eq!(sms.text(BODY).await, StatusCode::OK);
    scoped(
        &sentry_event(
            &received,
            r#""signal":"delivery_failed""#,
            Duration::from_secs(10),
        )
        .await,
    );

    // The model fails all three tries of one call (the job retries later and answers).
    sms.emulator
        .set_delivery_outcome(&crate::sms_pipeline::customer(), DeliveryOutcome::Delivered);
    *sms.model.failures.lock().expect("lock") = 3;
    assert_eq!(sms.text(BODY).await, StatusCode::OK);
    scoped(
        &sentry_event(
            &received,
            r#""signal":"model_failed""#,
            Duration::from_secs(10),
        )
        .await,
    );

    // A reply Twilio refuses for good: the job gives up.
    sms.emulator.opt_out(&crate::sms_pipeline::customer());
    assert_eq!(sms.text(BODY).await, StatusCode::OK);
    let gave_up = sentry_event(
        &received,
        r#""signal":"job_gave_up""#,
        Duration::from_secs(10),
    )
    .await;
    scoped(&gave_up);
    assert!(gave_up.contains("reply job gave up"), "{gave_up}");

    let everything = received.lock().expect("lock").join("\n");
    for secret in [
        sms.demo.auth_token.expose(),
        WRONG_TOKEN,
        BODY,
        crate::sms_pipeline::customer().as_str(),
        sms.demo.sms_number.as_str(),
        "+358409876543",
    ] {
        assert!(!everything.contains(secret), "{secret:?} reached Sentry");
    }
    drop(guard);
}

on_both_databases!(every_sms_signal_reaches_sentry_scoped_and_scrubbed);
