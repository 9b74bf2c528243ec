//! Local mode: the built-in Twilio emulator, its demo account, the demo model and the phone simulator.
use crate::helpers::{Backend, json, spawn_app, spawn_app_with, unique_email};
use crate::on_both_databases;
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use viesti::server::emulator::{DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, DEMO_SMS_NUMBER};

async fn a_newcomer_connects_the_demo_number_and_texts_it_from_the_simulator(backend: Backend) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let emulator_addr = format!("127.0.0.1:{port}");
    let app = spawn_app_with(
        backend,
        &[("VIESTI_TWILIO_EMULATOR", emulator_addr.as_str())],
    )
    .await;
    app.sign_up(&unique_email()).await;
    let chatbot = app.create_chatbot(&app.client, "Support").await.to_string();

    let settings = json(app.call("sms_settings", &[("chatbot_id", &chatbot)]).await).await;
    assert_eq!(
        settings["demo"]["account_sid"], DEMO_ACCOUNT_SID,
        "the demo account is offered"
    );
    for (endpoint, form) in [
        (
            "sms_connect",
            vec![
                ("chatbot_id", chatbot.as_str()),
                ("account_sid", DEMO_ACCOUNT_SID),
                ("auth_token", DEMO_AUTH_TOKEN),
                ("phone_number", DEMO_SMS_NUMBER),
                ("friendly_name", ""),
            ],
        ),
        (
            "sms_configure_webhook",
            vec![("chatbot_id", chatbot.as_str())],
        ),
        (
            "simulator_send",
            vec![
                ("chatbot_id", chatbot.as_str()),
                ("customer", "+358501234567"),
                ("body", "Hei!"),
            ],
        ),
    ] {
        let response = app.call(endpoint, &form).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "{endpoint}: {:?}",
            response.text().await
        );
    }

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let thread = json(
            app.call(
                "simulator_thread",
                &[("chatbot_id", &chatbot), ("customer", "+358501234567")],
            )
            .await,
        )
        .await;
        let messages = thread["messages"].as_array().cloned().unwrap_or_default();
        if messages.len() == 2 && messages[1]["status"] == "delivered" {
            assert_eq!(messages[0]["body"], "Hei!");
            assert_eq!(messages[0]["from_customer"], true);
            // No model and no knowledge base: the offline responder still greets.
            assert_eq!(
                messages[1]["body"],
                viesti::server::agent::offline::GREETING
            );
            break;
        }
        if Instant::now() >= deadline {
            let job = app
                .text("SELECT state || ': ' || COALESCE(last_error, '') FROM jobs")
                .await;
            panic!("no delivered reply: {thread}; job {job}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn outside_local_mode_there_is_no_simulator(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_up(&unique_email()).await;
    let chatbot = app.create_chatbot(&app.client, "Support").await.to_string();
    let response = app
        .call(
            "simulator_thread",
            &[("chatbot_id", &chatbot), ("customer", "+358501234567")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let settings = json(app.call("sms_settings", &[("chatbot_id", &chatbot)]).await).await;
    assert_eq!(
        settings["demo"],
        serde_json::Value::Null,
        "no demo account outside local mode"
    );
}

on_both_databases!(
    a_newcomer_connects_the_demo_number_and_texts_it_from_the_simulator,
    outside_local_mode_there_is_no_simulator,
);
