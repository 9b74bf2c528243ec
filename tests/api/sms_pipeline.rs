//! Inbound SMS to delivered reply, end to end: the Twilio emulator texts the app's webhook, the worker
//! asks a loopback model double for the reply and sends it through the emulator, and the emulator's
//! signed status callbacks come back.
use crate::helpers::{Backend, TestApp, spawn_app_with_twilio, unique_email};
use crate::on_both_databases;
use axum::Json;
use axum::extract::State;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use viesti::domain::E164;
use viesti::server::emulator::{CreateFault, DeliveryOutcome, DemoAccount, Direction, Emulator};
use viesti::server::twilio::signature;

const CUSTOMER: &str = "+358501234567";

/// An OpenAI-compatible chat-completions double: answers "Echo: <last user message>", can fail the
/// next requests with 500, and keeps every request it got.
#[derive(Clone, Default)]
pub struct Model {
    pub requests: Arc<Mutex<Vec<Value>>>,
    pub failures: Arc<Mutex<u32>>,
    /// How long each answer takes.
    pub delay: Arc<Mutex<Duration>>,
}

impl Model {
    async fn start(&self) -> String {
        async fn complete(
            State(model): State<Model>,
            Json(request): Json<Value>,
        ) -> (StatusCode, Json<Value>) {
            model.requests.lock().expect("lock").push(request.clone());
            let delay = *model.delay.lock().expect("lock");
            tokio::time::sleep(delay).await;
            {
                let mut failures = model.failures.lock().expect("lock");
                if *failures > 0 {
                    *failures -= 1;
                    return (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        Json(json!({"error": {"message": "overloaded"}})),
                    );
                }
            }
            let last = request["messages"]
                .as_array()
                .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
                .and_then(|m| m["content"].as_str())
                .unwrap_or_default()
                .to_owned();
            (
                StatusCode::OK,
                Json(
                    json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": format!("Echo: {last}")}}]}),
                ),
            )
        }
        let app = axum::Router::new()
            .route("/v1/chat/completions", axum::routing::post(complete))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/v1")
    }
}

pub struct Sms {
    pub app: TestApp,
    /// The id of the connected chatbot.
    pub chatbot: String,
    pub emulator: Emulator,
    pub demo: DemoAccount,
    pub model: Model,
    pub model_url: String,
}

/// An app with a chatbot connected to the emulator's demo number, the number's webhook pointed at the
/// app, and fast retries.
pub async fn connected(backend: Backend, extra: &[(&str, &str)]) -> Sms {
    let model = Model::default();
    let model_url = model.start().await;
    let mut vars = vec![
        ("MODEL_API_BASE", model_url.as_str()),
        ("VIESTI_RETRY_BASE_MS", "50"),
    ];
    vars.extend_from_slice(extra);
    let (app, emulator, demo) = spawn_app_with_twilio(backend, &vars).await;
    emulator.set_callback_delay(Duration::from_millis(10));
    let signed_up = app.sign_up(&unique_email()).await;
    // Said here rather than as a 401 on the next call: once seen under load (2026-12-02), cause unknown.
    let status = signed_up.status();
    assert_eq!(
        status,
        StatusCode::OK,
        "sign up: {}",
        signed_up.text().await.unwrap_or_default()
    );
    let chatbot = app.create_chatbot(&app.client, "Support").await.to_string();
    let connected = app
        .call(
            "sms_connect",
            &[
                ("chatbot_id", chatbot.as_str()),
                ("account_sid", demo.account_sid.as_str()),
                ("auth_token", demo.auth_token.expose()),
                ("phone_number", demo.sms_number.as_str()),
                ("friendly_name", ""),
            ],
        )
        .await;
    assert_eq!(connected.status(), StatusCode::OK);
    let configured = app
        .call("sms_configure_webhook", &[("chatbot_id", &chatbot)])
        .await;
    assert_eq!(configured.status(), StatusCode::OK);
    Sms {
        app,
        chatbot,
        emulator,
        demo,
        model,
        model_url,
    }
}

pub fn customer() -> E164 {
    E164::parse(CUSTOMER).expect("number")
}

impl Sms {
    pub async fn text(&self, body: &str) -> StatusCode {
        self.emulator
            .send_inbound(&customer(), &self.demo.sms_number, body, &[])
            .await
            .expect("delivered to the app")
    }

    pub fn replies(&self) -> Vec<viesti::server::emulator::EmulatedMessage> {
        self.emulator
            .messages()
            .into_iter()
            .filter(|m| m.direction == Direction::OutboundApi && m.to == customer())
            .collect()
    }

    /// Every text the app sent through the emulator's Messages API, to any customer.
    pub fn all_replies(&self) -> Vec<viesti::server::emulator::EmulatedMessage> {
        self.emulator
            .messages()
            .into_iter()
            .filter(|m| m.direction == Direction::OutboundApi)
            .collect()
    }

    /// The emulator's API base, as another instance needs it.
    pub fn twilio_base(&self) -> String {
        self.app
            .twilio_api_base
            .clone()
            .expect("emulator")
            .to_string()
    }

    /// Another instance of the app in this process, on this database, sending through this emulator
    /// and asking this model double, with `extra` environment values; returns its address.
    pub async fn another_instance(&self, extra: &[(&str, &str)]) -> String {
        let twilio = self.twilio_base();
        let mut vars = vec![
            ("TWILIO_API_BASE", twilio.as_str()),
            ("MODEL_API_BASE", self.model_url.as_str()),
        ];
        vars.extend_from_slice(extra);
        crate::helpers::spawn_on_database_with(
            &self.app.database_url,
            self.app.data_dir.path(),
            &vars,
        )
        .await
    }

    /// Another instance of the app as a separate `viesti serve` process on this database, with
    /// `extra` environment values; returns it and its address.
    pub fn serve_process(&self, extra: &[(&str, &str)]) -> (std::process::Child, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let process = std::process::Command::new(env!("CARGO_BIN_EXE_viesti"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.app.database_url)
            .env("VIESTI_ENCRYPTION_KEY", crate::helpers::TEST_ENCRYPTION_KEY)
            .env("VIESTI_DATA_DIR", self.app.data_dir.path())
            .env("PUBLIC_BASE_URL", &base)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .envs(extra.iter().copied())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("a viesti serve process");
        (process, base)
    }

    /// Another workspace whose chatbot is connected, as anyone would connect it, to a Twilio account
    /// and number of its own at the emulator; returns that workspace's signed-in client and chatbot id.
    pub async fn another_workspace_connected(
        &self,
        sid: &str,
        token: &str,
        number: &str,
    ) -> (reqwest::Client, String) {
        let other = self.app.other_tenant().await;
        let chatbot = self.app.create_chatbot(&other, "Theirs").await.to_string();
        let account = viesti::domain::AccountSid::parse(sid).expect("sid");
        self.emulator.add_account(
            account.clone(),
            viesti::domain::AuthToken::parse(token).expect("token"),
            "Other",
            viesti::server::emulator::AccountStatus::Active,
        );
        self.emulator
            .add_number(&account, &E164::parse(number).expect("number"), true);
        let form = [
            ("chatbot_id", chatbot.as_str()),
            ("account_sid", sid),
            ("auth_token", token),
            ("phone_number", number),
            ("friendly_name", ""),
        ];
        let connected = self.app.call_as(&other, "sms_connect", &form).await;
        assert_eq!(connected.status(), StatusCode::OK);
        (other, chatbot)
    }

    /// Waits until the instance at `base` (a `serve_process`) answers its health check.
    pub async fn until_serving(base: &str) {
        let client = reqwest::Client::new();
        eventually("the server process up", || async {
            client
                .get(format!("{base}/healthz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        })
        .await;
    }

    /// Posts a text from `from` to the demo number at the instance at `base`, signed as Twilio signs
    /// it; whether the instance acknowledged it (200).
    pub async fn text_instance(
        &self,
        client: &reqwest::Client,
        base: &str,
        sid: &str,
        from: &str,
        body: &str,
    ) -> bool {
        let url = format!("{base}/api/webhooks/twilio/sms");
        let params: Vec<(String, String)> = [
            ("MessageSid", sid),
            ("AccountSid", self.demo.account_sid.as_str()),
            ("From", from),
            ("To", self.demo.sms_number.as_str()),
            ("Body", body),
            ("NumMedia", "0"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let signature = signature::sign(self.demo.auth_token.expose(), &url, &params);
        client
            .post(&url)
            .header("X-Twilio-Signature", signature)
            .form(&params)
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
    }

    /// `X-Twilio-Signature` for a request to `url`, as Twilio signs it with the demo account's token.
    fn sign(&self, url: &str, params: &[(String, String)]) -> String {
        signature::sign(self.demo.auth_token.expose(), url, params)
    }

    /// The webhook form of an inbound text, signed as Twilio signs it.
    pub fn signed_form(&self, sid: &str, body: &str) -> (Vec<(String, String)>, String) {
        let params: Vec<(String, String)> = [
            ("MessageSid", sid),
            ("SmsSid", sid),
            ("AccountSid", self.demo.account_sid.as_str()),
            ("From", CUSTOMER),
            ("To", self.demo.sms_number.as_str()),
            ("Body", body),
            ("NumMedia", "0"),
            ("SmsStatus", "received"),
            ("ApiVersion", "2010-04-01"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let url = self.app.url("/api/webhooks/twilio/sms");
        let signature = self.sign(&url, &params);
        (params, signature)
    }

    pub async fn post_webhook(
        &self,
        params: &[(String, String)],
        signature: Option<&str>,
    ) -> reqwest::Response {
        let mut request = reqwest::Client::new()
            .post(self.app.url("/api/webhooks/twilio/sms"))
            .form(params);
        if let Some(signature) = signature {
            request = request.header("X-Twilio-Signature", signature);
        }
        request.send().await.expect("request")
    }

    /// Posts a delivery status callback with these fields, signed with `token` as Twilio signs it
    /// (unsigned with `None`).
    pub async fn post_status(
        &self,
        token: Option<&str>,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let params: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let url = self.app.url("/api/webhooks/twilio/status");
        let mut request = reqwest::Client::new().post(&url).form(&params);
        if let Some(token) = token {
            request = request.header("X-Twilio-Signature", signature::sign(token, &url, &params));
        }
        request.send().await.expect("status callback")
    }

    /// Waits for the one reply to be delivered and returns its Twilio SID.
    async fn delivered_reply_sid(&self) -> String {
        eventually("the reply delivered", || async {
            self.app
                .count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND status = 'delivered'")
                .await
                == 1
        })
        .await;
        self.app
            .text("SELECT twilio_sid FROM messages WHERE direction = 'outbound'")
            .await
    }
}

/// Polls until `check` holds (the worker and callbacks are asynchronous), for at most 10 seconds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_text_is_answered_from_the_business_number_and_marked_delivered(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let response = sms
        .emulator
        .send_inbound(
            &customer(),
            &sms.demo.sms_number,
            "Onko teillä auki huomenna?",
            &[],
        )
        .await
        .expect("sent");
    assert_eq!(response, StatusCode::OK);

    eventually("a reply at Twilio", || async { !sms.replies().is_empty() }).await;
    let replies = sms.replies();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].from, sms.demo.sms_number);
    assert_eq!(replies[0].body, "Echo: Onko teillä auki huomenna?");
    assert!(
        replies[0]
            .status_callback
            .as_deref()
            .is_some_and(|u| u.ends_with("/api/webhooks/twilio/status"))
    );

    eventually("the reply marked delivered", || async {
        sms.app.count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND status = 'delivered'").await == 1
    })
    .await;
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'")
            .await,
        1
    );
    assert_eq!(
        sms.app.count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND segments = 1 AND encoding = 'GSM-7'").await,
        1
    );
    let request = sms.model.requests.lock().expect("lock")[0].clone();
    assert_eq!(request["messages"][0]["role"], "system");
    let system = request["messages"][0]["content"].as_str().expect("text");
    assert!(
        system.starts_with("Be helpful.\n\n") && system.contains("[[ESCALATE]]"),
        "the chatbot's prompt, then the rules: {system}"
    );
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'done'")
            .await,
        1
    );
}

async fn the_webhook_answers_empty_twiml_at_once(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let (params, signature) = sms.signed_form("SM00000000000000000000000000000001", "Hei");
    let response = sms.post_webhook(&params, Some(&signature)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/xml");
    assert_eq!(
        response.text().await.expect("body"),
        r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#
    );
}

async fn twilios_retry_of_the_same_message_gets_one_reply(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let (params, signature) = sms.signed_form("SM00000000000000000000000000000002", "Hello?");
    for _ in 0..3 {
        let response = sms.post_webhook(&params, Some(&signature)).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    eventually("a reply", || async { !sms.replies().is_empty() }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sms.replies().len(), 1);
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'")
            .await,
        1
    );
    assert_eq!(sms.app.count("SELECT COUNT(*) FROM jobs").await, 1);
}

/// Twilio's copies of one message reaching two instances at the same moment: each instance stores
/// it in its own transaction, so one of them meets the other's row (the unique MessageSid) and
/// answers the copy as a duplicate. Every copy gets a 200; the message is stored and answered once.
async fn copies_of_one_message_at_two_instances_at_once_are_stored_once(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let other = sms.another_instance(&[]).await;
    let path = "/api/webhooks/twilio/sms";
    for round in 0..5 {
        let sid = format!("SM0000000000000000000000000000010{round}");
        let (params, here) = sms.signed_form(&sid, &format!("Copy {round}"));
        let there = signature::sign(
            sms.demo.auth_token.expose(),
            &format!("{other}{path}"),
            &params,
        );
        let post = |base: String, signature: String| {
            let params = params.clone();
            async move {
                reqwest::Client::new()
                    .post(format!("{base}{path}"))
                    .header("X-Twilio-Signature", signature)
                    .form(&params)
                    .send()
                    .await
                    .expect("request")
                    .status()
            }
        };
        let (a, b, c, d) = tokio::join!(
            post(sms.app.url(""), here.clone()),
            post(other.clone(), there.clone()),
            post(sms.app.url(""), here),
            post(other.clone(), there),
        );
        assert_eq!([a, b, c, d], [StatusCode::OK; 4], "round {round}");
    }
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'")
            .await,
        5
    );
    assert_eq!(sms.app.count("SELECT COUNT(*) FROM jobs").await, 5);
    eventually("five replies", || async { sms.replies().len() >= 5 }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sms.replies().len(), 5, "one reply per message");
}

async fn a_missing_or_wrong_signature_is_403_and_stores_nothing(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let (params, signature) = sms.signed_form("SM00000000000000000000000000000003", "Hei");
    assert_eq!(
        sms.post_webhook(&params, None).await.status(),
        StatusCode::FORBIDDEN
    );
    let forged = signature::sign(
        "ffffffffffffffffffffffffffffffff",
        &sms.app.url("/api/webhooks/twilio/sms"),
        &params,
    );
    assert_eq!(
        sms.post_webhook(&params, Some(&forged)).await.status(),
        StatusCode::FORBIDDEN
    );
    let mut tampered = params.clone();
    tampered[5].1 = "Something else".into();
    assert_eq!(
        sms.post_webhook(&tampered, Some(&signature)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(sms.app.count("SELECT COUNT(*) FROM messages").await, 0);
    assert_eq!(sms.app.count("SELECT COUNT(*) FROM conversations").await, 0);
    assert!(
        crate::helpers::captured_logs()
            .contains("webhook refused: missing or invalid X-Twilio-Signature")
    );
}

async fn an_unknown_number_or_account_is_404_and_a_malformed_form_400(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let (mut params, _) = sms.signed_form("SM00000000000000000000000000000004", "Hei");
    params[2].1 = "AC99999999999999999999999999999999".into();
    let url = sms.app.url("/api/webhooks/twilio/sms");
    let signature = sms.sign(&url, &params);
    assert_eq!(
        sms.post_webhook(&params, Some(&signature)).await.status(),
        StatusCode::NOT_FOUND
    );

    let (mut params, _) = sms.signed_form("SM00000000000000000000000000000005", "Hei");
    params[4].1 = "+358409999999".into();
    let signature = sms.sign(&url, &params);
    assert_eq!(
        sms.post_webhook(&params, Some(&signature)).await.status(),
        StatusCode::NOT_FOUND
    );

    let (mut params, _) = sms.signed_form("not-a-sid", "Hei");
    params.retain(|(k, _)| k != "SmsSid");
    let signature = sms.sign(&url, &params);
    let malformed = sms.post_webhook(&params, Some(&signature)).await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        malformed.text().await.expect("body"),
        "MessageSid is malformed"
    );
    assert_eq!(sms.app.count("SELECT COUNT(*) FROM messages").await, 0);
}

async fn a_number_in_a_messaging_service_is_still_answered(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.emulator.set_messaging_service(
        &sms.demo.sms_number,
        Some("MG0123456789abcdef0123456789abcdef".into()),
    );
    assert_eq!(sms.text("Via a service").await, StatusCode::OK);
    eventually("a reply", || async { !sms.replies().is_empty() }).await;
}

async fn twilio_failing_once_still_gives_exactly_one_reply(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.emulator.push_create_fault(CreateFault::ServerError {
        status: 500,
        code: 20500,
    });
    assert_eq!(sms.text("Retry me").await, StatusCode::OK);
    eventually("the job done", || async {
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'done' AND attempts = 2")
            .await
            == 1
    })
    .await;
    assert_eq!(sms.replies().len(), 1);
}

async fn a_send_that_timed_out_after_twilio_accepted_it_is_not_repeated(backend: Backend) {
    let sms = connected(backend, &[("VIESTI_TWILIO_TIMEOUT_MS", "500")]).await;
    sms.emulator
        .push_create_fault(CreateFault::AcceptThenHang(Duration::from_millis(1500)));
    assert_eq!(sms.text("Slow Twilio").await, StatusCode::OK);
    eventually("the job done", || async {
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'done'")
            .await
            == 1
    })
    .await;
    assert_eq!(sms.replies().len(), 1, "reconciled, not resent");
    assert_eq!(
        sms.app.count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND twilio_sid IS NOT NULL").await,
        1
    );
}

async fn a_failed_delivery_keeps_its_error_code(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.emulator
        .set_delivery_outcome(&customer(), DeliveryOutcome::Failed(30003));
    assert_eq!(sms.text("Anyone there?").await, StatusCode::OK);
    eventually("the failure stored", || async {
        sms.app.count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND status = 'failed' AND error_code = 30003").await == 1
    })
    .await;
}

async fn stop_opts_the_customer_out_and_no_reply_is_sent(backend: Backend) {
    let sms = connected(backend, &[]).await;
    assert_eq!(sms.text("STOP").await, StatusCode::OK);
    assert_eq!(sms.text("Are you still there?").await, StatusCode::OK);
    // A reply job is written in the webhook's own transaction, before its 200: none was. (The
    // emulator would refuse a send to an opted-out customer, so no reply alone proves little.)
    assert_eq!(
        sms.app.count("SELECT COUNT(*) FROM jobs").await,
        0,
        "no reply job queued"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sms.replies().is_empty());
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM sms_contacts WHERE opted_out AND last_keyword = 'STOP'")
            .await,
        1
    );
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'")
            .await,
        2,
        "both stored"
    );

    assert_eq!(sms.text("START").await, StatusCode::OK);
    assert_eq!(sms.text("Back again").await, StatusCode::OK);
    eventually("a reply after START", || async { sms.replies().len() == 1 }).await;
}

/// REVOKE and OPTOUT opt the customer out as Twilio's default handling does, in any case, and YES
/// opts them back in. While opted out, no reply job is even queued (it would be written in the
/// webhook's own transaction, before the 200).
async fn revoke_and_optout_opt_out_and_yes_opts_back_in(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let jobs = || sms.app.count("SELECT COUNT(*) FROM jobs");
    let opted_out_by = |word: &'static str| {
        sms.app.count(if word == "REVOKE" {
            "SELECT COUNT(*) FROM sms_contacts WHERE opted_out AND last_keyword = 'REVOKE'"
        } else {
            "SELECT COUNT(*) FROM sms_contacts WHERE opted_out AND last_keyword = 'OPTOUT'"
        })
    };
    assert_eq!(sms.text(" Revoke ").await, StatusCode::OK);
    assert_eq!(opted_out_by("REVOKE").await, 1);
    assert_eq!(sms.text("Are you still there?").await, StatusCode::OK);
    assert_eq!(
        jobs().await,
        0,
        "no reply is queued for an opted-out customer"
    );

    assert_eq!(sms.text("yes").await, StatusCode::OK);
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM sms_contacts WHERE NOT opted_out AND last_keyword = 'YES'")
            .await,
        1
    );
    assert_eq!(sms.text("Back again").await, StatusCode::OK);
    eventually("a reply after YES", || async { sms.replies().len() == 1 }).await;
    assert_eq!(sms.replies()[0].body, "Echo: Back again");

    assert_eq!(sms.text("OptOut").await, StatusCode::OK);
    assert_eq!(opted_out_by("OPTOUT").await, 1);
    let queued = jobs().await;
    assert_eq!(sms.text("One more question").await, StatusCode::OK);
    assert_eq!(jobs().await, queued, "none queued after OPTOUT either");
}

async fn a_picture_is_dropped_visibly_and_answered_with_a_note(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let media = [(
        "https://api.twilio.com/media/ME1".to_owned(),
        "image/jpeg".to_owned(),
    )];
    let status = sms
        .emulator
        .send_inbound(&customer(), &sms.demo.sms_number, "", &media)
        .await
        .expect("sent");
    assert_eq!(status, StatusCode::OK);
    eventually("a reply", || async { !sms.replies().is_empty() }).await;
    assert_eq!(
        sms.replies()[0].body,
        viesti::server::worker::PICTURES_NOT_SUPPORTED
    );
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE attachments_dropped = 1")
            .await,
        1
    );
    assert!(
        sms.model.requests.lock().expect("lock").is_empty(),
        "no text, no model call"
    );

    // With text, only the text reaches the agent.
    let status = sms
        .emulator
        .send_inbound(&customer(), &sms.demo.sms_number, "See photo", &media)
        .await
        .expect("sent");
    assert_eq!(status, StatusCode::OK);
    eventually("a second reply", || async { sms.replies().len() == 2 }).await;
    assert_eq!(sms.replies()[1].body, "Echo: See photo");
}

async fn twilio_refusing_an_opted_out_number_marks_the_contact(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.emulator.opt_out(&customer());
    assert_eq!(sms.text("Hello").await, StatusCode::OK);
    eventually("the contact opted out", || async {
        sms.app
            .count("SELECT COUNT(*) FROM sms_contacts WHERE opted_out")
            .await
            == 1
    })
    .await;
    assert_eq!(
        sms.app
            .count(
                "SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND error_code = 21610"
            )
            .await,
        1
    );
    // The job is marked failed just after the contact: wait for it too.
    eventually("the job given up", || async {
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'failed'")
            .await
            == 1
    })
    .await;
}

async fn no_reply_while_a_person_handles_the_conversation(backend: Backend) {
    let sms = connected(backend, &[]).await;
    assert_eq!(sms.text("First").await, StatusCode::OK);
    eventually("the first reply", || async { sms.replies().len() == 1 }).await;
    sms.app
        .db_execute("UPDATE conversations SET status = 'human'")
        .await;
    assert_eq!(sms.text("Second").await, StatusCode::OK);
    // A reply job would have been written with the text, before the webhook's 200.
    assert_eq!(
        sms.app.count("SELECT COUNT(*) FROM jobs").await,
        1,
        "only the first text's job"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sms.replies().len(), 1);
}

async fn a_model_failure_is_retried_with_backoff(backend: Backend) {
    let sms = connected(backend, &[]).await;
    // Each job attempt calls the model up to 3 times with backoff; 5 failures use up the first
    // attempt and two calls of the second.
    *sms.model.failures.lock().expect("lock") = 5;
    assert_eq!(sms.text("Are you there?").await, StatusCode::OK);
    eventually("a reply after retries", || async {
        sms.replies().len() == 1
    })
    .await;
    // The job is marked done just after the send returns.
    eventually("the job done on its second attempt", || async {
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE attempts = 2 AND state = 'done'")
            .await
            == 1
    })
    .await;
    assert_eq!(sms.model.requests.lock().expect("lock").len(), 6);
    assert_eq!(sms.replies()[0].body, "Echo: Are you there?");
}

async fn a_job_left_by_a_dead_worker_is_taken_over_after_its_lease_and_sent_once(backend: Backend) {
    let sms = connected(backend, &[]).await;
    // A worker of a crashed instance had claimed the job, recorded the reply, marked it as being sent
    // and sent it to Twilio, then died before it could note the SID.
    assert_eq!(sms.text("Crash test").await, StatusCode::OK);
    eventually("the reply sent", || async { sms.replies().len() == 1 }).await;
    eventually("the job done", || async {
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'done'")
            .await
            == 1
    })
    .await;
    sms.app
        .db_execute("UPDATE messages SET twilio_sid = NULL, status = 'sending' WHERE direction = 'outbound'")
        .await;
    sms.app
        .db_execute("UPDATE jobs SET state = 'running', lease_until = created_at")
        .await;
    eventually("the job taken over", || async {
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'done'")
            .await
            == 1
    })
    .await;
    assert_eq!(
        sms.replies().len(),
        1,
        "reconciled with Twilio, not sent again"
    );
    assert_eq!(
        sms.app.count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND twilio_sid IS NOT NULL").await,
        1
    );
}

async fn the_signature_covers_the_query_string_and_the_default_port_form(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let (params, _) = sms.signed_form("SM00000000000000000000000000000010", "With a query");
    let url = format!(
        "{}?source=twilio&v=2",
        sms.app.url("/api/webhooks/twilio/sms")
    );
    let signature = sms.sign(&url, &params);
    let post = |signature: String| {
        reqwest::Client::new()
            .post(&url)
            .header("X-Twilio-Signature", signature)
            .form(&params)
            .send()
    };
    assert_eq!(
        post(signature).await.expect("request").status(),
        StatusCode::OK
    );
    let without_query = signature::sign(
        sms.demo.auth_token.expose(),
        &sms.app.url("/api/webhooks/twilio/sms"),
        &params,
    );
    assert_eq!(
        post(without_query).await.expect("request").status(),
        StatusCode::FORBIDDEN
    );
}

async fn behind_a_proxy_the_public_url_is_what_is_verified(backend: Backend) {
    let sms = connected(backend, &[("PUBLIC_BASE_URL", "https://sms.example.com")]).await;
    let (params, _) = sms.signed_form("SM00000000000000000000000000000011", "Via the proxy");
    let public = "https://sms.example.com/api/webhooks/twilio/sms";
    for (url, expected) in [
        (public.to_owned(), StatusCode::OK),
        // Twilio's libraries accept the signature of the URL with the default port spelled out.
        (
            "https://sms.example.com:443/api/webhooks/twilio/sms".to_owned(),
            StatusCode::OK,
        ),
        // The internal address the proxy forwards to is not what Twilio signed.
        (
            sms.app.url("/api/webhooks/twilio/sms"),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let signature = sms.sign(&url, &params);
        let response = sms.post_webhook(&params, Some(&signature)).await;
        assert_eq!(response.status(), expected, "signed for {url}");
    }
}

async fn a_long_reply_is_cut_to_the_segment_budget_at_a_word(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let long = "sana ".repeat(320); // 1,600 characters; the echo adds six more
    assert_eq!(sms.text(long.trim_end()).await, StatusCode::OK);
    eventually("a reply", || async { !sms.replies().is_empty() }).await;
    let reply = sms.replies()[0].body.clone();
    assert!(reply.ends_with("sana..."), "cut at a word: {reply}");
    // The default budget: 3 segments.
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND segments = 3")
            .await,
        1
    );

    // The largest budget, 10 segments, stays under Twilio's 1,600 characters.
    sms.app
        .db_execute("UPDATE chatbots SET reply_segments = 10")
        .await;
    assert_eq!(sms.text(long.trim_end()).await, StatusCode::OK);
    eventually("a second reply", || async { sms.replies().len() == 2 }).await;
    let reply = sms.replies()[1].body.clone();
    assert!(reply.chars().count() <= 1600 && reply.ends_with("sana..."));
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND segments = 10")
            .await,
        1
    );
}

async fn a_late_status_callback_never_moves_a_message_backwards(backend: Backend) {
    let sms = connected(backend, &[]).await;
    assert_eq!(sms.text("Status order").await, StatusCode::OK);
    let sid = sms.delivered_reply_sid().await;
    let fields = [
        ("MessageSid", sid.as_str()),
        ("MessageStatus", "sent"),
        ("AccountSid", sms.demo.account_sid.as_str()),
        ("From", sms.demo.sms_number.as_str()),
        ("To", CUSTOMER),
        ("ApiVersion", "2010-04-01"),
    ];
    let late = sms
        .post_status(Some(sms.demo.auth_token.expose()), &fields)
        .await;
    assert!(late.status().is_success());
    assert_eq!(sms.app.count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND status = 'delivered'").await, 1);
    let unsigned = sms.post_status(None, &fields).await;
    assert_eq!(unsigned.status(), StatusCode::FORBIDDEN);
    // Signed, but not with the account's token: refused, and the message is as it was.
    let failed = [
        ("MessageSid", sid.as_str()),
        ("MessageStatus", "undelivered"),
        ("ErrorCode", "30003"),
        ("AccountSid", sms.demo.account_sid.as_str()),
        ("From", sms.demo.sms_number.as_str()),
        ("To", CUSTOMER),
        ("ApiVersion", "2010-04-01"),
    ];
    let forged = sms
        .post_status(Some("ffffffffffffffffffffffffffffffff"), &failed)
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(sms.app.count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND status = 'delivered' AND error_code IS NULL").await, 1);
}

/// A status callback counts only for a message of the connection that signed it: another
/// workspace, signing with its own account's token a callback that names this workspace's message,
/// changes nothing (and learns nothing: the message is unknown to it).
async fn a_status_callback_signed_by_another_workspace_changes_nothing(backend: Backend) {
    let sms = connected(backend, &[]).await;
    assert_eq!(sms.text("Hello").await, StatusCode::OK);
    let sid = sms.delivered_reply_sid().await;
    let delivered = || {
        sms.app.count(
            "SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND status = 'delivered' \
             AND error_code IS NULL",
        )
    };

    // Another workspace, with a Twilio account and number of its own, connected as anyone would.
    let (their_sid, their_token, their_number) = (
        "AC66666666666666666666666666666666",
        "66666666666666666666666666666666",
        "+358407654321",
    );
    sms.another_workspace_connected(their_sid, their_token, their_number)
        .await;

    let forged = sms
        .post_status(
            Some(their_token),
            &[
                ("MessageSid", sid.as_str()),
                ("MessageStatus", "undelivered"),
                ("ErrorCode", "21610"),
                ("AccountSid", their_sid),
                ("From", their_number),
                ("To", CUSTOMER),
                ("ApiVersion", "2010-04-01"),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    assert_eq!(delivered().await, 1, "the message is as it was");
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM sms_contacts WHERE opted_out")
            .await,
        0,
        "nobody was opted out"
    );
}

/// An opt-out a status callback reports (Twilio's 21610) is recorded only for a `To` that is a
/// phone number: a malformed one records nothing.
async fn an_opt_out_callback_with_a_malformed_to_records_nothing(backend: Backend) {
    let sms = connected(backend, &[]).await;
    assert_eq!(sms.text("Hello").await, StatusCode::OK);
    let sid = sms.delivered_reply_sid().await;
    let response = sms
        .post_status(
            Some(sms.demo.auth_token.expose()),
            &[
                ("MessageSid", sid.as_str()),
                ("MessageStatus", "undelivered"),
                ("ErrorCode", "21610"),
                ("AccountSid", sms.demo.account_sid.as_str()),
                ("From", sms.demo.sms_number.as_str()),
                ("To", "12345 or anyone"),
                ("ApiVersion", "2010-04-01"),
            ],
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM sms_contacts WHERE opted_out")
            .await,
        0
    );
}

async fn two_instances_on_one_database_answer_every_text_exactly_once(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let _second = sms
        .another_instance(&[("VIESTI_RETRY_BASE_MS", "50")])
        .await;
    let customers: Vec<E164> = (0..6)
        .map(|i| E164::parse(&format!("+3585012300{i:02}")).expect("number"))
        .collect();
    for round in 0..3 {
        for customer in &customers {
            let status = sms
                .emulator
                .send_inbound(
                    customer,
                    &sms.demo.sms_number,
                    &format!("Question {round}"),
                    &[],
                )
                .await
                .expect("sent");
            assert_eq!(status, StatusCode::OK);
        }
    }
    let outbound = || sms.all_replies();
    eventually("18 replies", || async { outbound().len() >= 18 }).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(outbound().len(), 18, "one reply per text, none twice");
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'done'")
            .await,
        18
    );
    // Per customer, the replies answer the questions in order.
    for customer in &customers {
        let bodies: Vec<String> = outbound()
            .into_iter()
            .filter(|m| &m.to == customer)
            .map(|m| m.body)
            .collect();
        assert_eq!(
            bodies,
            vec!["Echo: Question 0", "Echo: Question 1", "Echo: Question 2"],
            "{customer}"
        );
    }
}

/// A text in the hands of a worker in a separate `viesti serve` process (this instance takes
/// webhooks only), held there by a model that takes 30 s: the instance and the worker process.
async fn a_text_held_by_a_slow_worker_process(backend: Backend) -> (Sms, std::process::Child) {
    let sms = connected(backend, &[("VIESTI_WORKERS", "0")]).await;
    *sms.model.delay.lock().expect("lock") = Duration::from_secs(30);
    let base = sms.twilio_base();
    let (worker, _) = sms.serve_process(&[
        ("TWILIO_API_BASE", base.as_str()),
        ("MODEL_API_BASE", sms.model_url.as_str()),
        ("VIESTI_WORKERS", "1"),
    ]);

    assert_eq!(sms.text("Are you open?").await, StatusCode::OK);
    eventually("the worker process asking the model", || async {
        !sms.model.requests.lock().expect("lock").is_empty()
    })
    .await;
    (sms, worker)
}

/// Starts a healthy instance (with workers and a model that answers at once) on the same database;
/// returns its address.
async fn a_healthy_instance(sms: &Sms) -> String {
    *sms.model.delay.lock().expect("lock") = Duration::ZERO;
    sms.another_instance(&[]).await
}

async fn a_worker_process_killed_mid_job_is_taken_over_and_the_reply_goes_out_once(
    backend: Backend,
) {
    let (sms, mut worker) = a_text_held_by_a_slow_worker_process(backend).await;
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'running'")
            .await,
        1
    );
    // While the model takes its time, the worker keeps renewing the job's lease (every 5 s).
    let lease = || sms.app.text("SELECT CAST(lease_until AS TEXT) FROM jobs");
    let first = lease().await;
    eventually("the lease renewed", || async { lease().await != first }).await;
    worker.kill().expect("SIGKILL");
    let _ = worker.wait();
    let killed = std::time::Instant::now();

    // Its lease runs out (15 s at most, not fast-forwarded), and a healthy instance takes it over.
    let _healthy = a_healthy_instance(&sms).await;
    while sms.replies().is_empty() {
        // 15 s of lease at most, plus slack for a busy machine: far below the old 60 s lease.
        assert!(
            killed.elapsed() < Duration::from_secs(25),
            "a dead worker's job is taken over once its 15 s lease runs out"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eventually("the job done", || async {
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'done' AND attempts = 2")
            .await
            == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sms.replies().len(), 1);
    assert_eq!(sms.replies()[0].body, "Echo: Are you open?");
}

async fn a_worker_stopped_by_sigterm_puts_its_job_back_at_once(backend: Backend) {
    let (sms, mut worker) = a_text_held_by_a_slow_worker_process(backend).await;
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    // It stops at once, though the model would take 30 s more, and leaves the job queued.
    let signalled = std::time::Instant::now();
    let status = loop {
        if let Some(status) = worker.try_wait().expect("wait") {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM (the model would take 30 s)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND lease_until IS NULL AND attempts = 0")
            .await,
        1
    );
    assert!(sms.replies().is_empty());

    // Another instance answers it straight away, with no lease to wait for.
    let _healthy = a_healthy_instance(&sms).await;
    eventually("the reply", || async { !sms.replies().is_empty() }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sms.replies().len(), 1);
    assert_eq!(sms.replies()[0].body, "Echo: Are you open?");
}

/// The worker's claim walks the unfinished jobs in the order it takes them and checks each one's
/// conversation through an index, so it stops at its limit however many jobs are queued or done
/// (it used to read and sort every ready job: 53 ms a claim with 25,000 queued on PostgreSQL).
async fn the_claim_walks_the_unfinished_jobs_in_order_and_stops_at_its_limit(backend: Backend) {
    use sea_orm::{ConnectionTrait, Statement};
    let sms = connected(backend, &[("VIESTI_WORKERS", "0")]).await;
    assert_eq!(sms.text("Are you open?").await, StatusCode::OK);
    // 5,000 jobs done and 500 queued beside it, and fresh statistics, so that PostgreSQL plans for
    // a table of this size rather than an empty one.
    let seed = match backend {
        Backend::Postgres => {
            "INSERT INTO jobs (id, kind, conversation_id, message_id, state, attempts, run_at, created_at, updated_at, fair_key) \
             SELECT gen_random_uuid(), 'reply', c.conversation_id, gen_random_uuid(), \
                    CASE WHEN g <= 5000 THEN 'done' ELSE 'queued' END, 0, \
                    c.created_at, c.created_at + g * interval '1 us', c.created_at, c.fair_key + g \
             FROM generate_series(1, 5500) g, (SELECT conversation_id, created_at, fair_key FROM jobs) c; \
             ANALYZE jobs"
        }
        Backend::Sqlite => {
            "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 5500) \
             INSERT INTO jobs (id, kind, conversation_id, message_id, state, attempts, run_at, created_at, updated_at, fair_key) \
             SELECT randomblob(16), 'reply', c.conversation_id, randomblob(16), \
                    CASE WHEN x <= 5000 THEN 'done' ELSE 'queued' END, 0, c.created_at, c.created_at, c.created_at, c.fair_key + x \
             FROM g, (SELECT conversation_id, created_at, fair_key FROM jobs) c; \
             ANALYZE"
        }
    };
    let db = &sms.app.db;
    db.execute_unprepared(seed).await.expect("seed");
    let claim =
        viesti::server::worker::claim_statement(db.get_database_backend(), 8, chrono::Utc::now());
    let (explain, detail) = match backend {
        Backend::Postgres => ("EXPLAIN ", 0),
        Backend::Sqlite => ("EXPLAIN QUERY PLAN ", 3),
    };
    let plan: Vec<String> = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!("{explain}{}", claim.sql),
            claim.values.map(|v| v.0).unwrap_or_default(),
        ))
        .await
        .expect("explain")
        .iter()
        .map(|row| row.try_get_by_index::<String>(detail).expect("plan line"))
        .collect();
    let plan = plan.join("\n");
    assert!(plan.contains("idx_jobs_turns"), "walked in order:\n{plan}");
    assert!(
        plan.contains("idx_jobs_pending_conversation"),
        "each one's conversation checked through its index:\n{plan}"
    );
    assert!(
        !plan.contains("Sort") && !plan.contains("TEMP B-TREE"),
        "nothing sorted:\n{plan}"
    );
}

/// A reply worker uses its instance's copy of the connection (Auth Token decrypted) only while the
/// row still has that revision: after the token was changed on another instance, the worker that
/// sent with the old one reads the connection again and sends with the new one (the emulator now
/// refuses the old one, so a stale copy would leave the second text unanswered).
async fn a_worker_holding_an_old_token_sends_with_the_new_one(backend: Backend) {
    let sms = connected(backend, &[("VIESTI_WORKERS", "0")]).await;
    let _worker = sms.another_instance(&[]).await;
    assert_eq!(sms.text("First").await, StatusCode::OK);
    // Delivered: no status callback of it is left to come, signed with the new token, and make
    // the worker's instance read the connection again by itself.
    eventually("the first reply delivered", || async {
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND status = 'delivered'")
            .await
            == 1
    })
    .await;

    let new_token = "abcdefabcdefabcdefabcdefabcd1234";
    sms.emulator.add_account(
        sms.demo.account_sid.clone(),
        viesti::domain::AuthToken::parse(new_token).expect("token"),
        "Viesti demo",
        viesti::server::emulator::AccountStatus::Active,
    );
    // Changed as another instance changes it: in the database, with no word to this process's apps.
    let keyring = viesti::server::crypto::Keyring::new(
        &viesti::server::config::EncryptionKey::from_base64(crate::helpers::TEST_ENCRYPTION_KEY)
            .expect("key"),
        &[],
    );
    let connection =
        viesti::server::repo::sms::find_by_number(&sms.app.db, &keyring, &sms.demo.sms_number)
            .await
            .expect("read")
            .expect("connected");
    viesti::server::repo::sms::update(
        &sms.app.db,
        &keyring,
        &connection,
        &viesti::domain::AuthToken::parse(new_token).expect("token"),
        &viesti::domain::FriendlyName::parse("").expect("name"),
        connection.trial,
    )
    .await
    .expect("updated");

    assert_eq!(sms.text("Second").await, StatusCode::OK);
    eventually("the second reply, sent with the new token", || async {
        sms.replies().len() == 2
    })
    .await;
    assert_eq!(sms.replies()[1].body, "Echo: Second");
}

/// A reply still due when the customer texts STOP is never tried: the worker reads the opt-out
/// together with the conversation (here the job waits for a worker until after the STOP).
async fn a_reply_due_before_stop_is_not_written(backend: Backend) {
    let sms = connected(backend, &[("VIESTI_WORKERS", "0")]).await;
    assert_eq!(sms.text("Hello").await, StatusCode::OK);
    assert_eq!(sms.text("STOP").await, StatusCode::OK);
    let _worker = sms.another_instance(&[]).await;
    eventually("the reply job done", || async {
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'done'")
            .await
            == 1
    })
    .await;
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'")
            .await,
        0,
        "no reply was written, so none was tried"
    );
    assert!(sms.replies().is_empty());
}

/// A reply still due when SMS is disconnected (here on another instance: the row is gone) is given
/// up with the reason, never sent.
async fn a_reply_due_when_sms_is_disconnected_is_not_sent(backend: Backend) {
    let sms = connected(backend, &[("VIESTI_WORKERS", "0")]).await;
    assert_eq!(sms.text("Hello").await, StatusCode::OK);
    sms.app.db_execute("DELETE FROM twilio_connections").await;
    let _worker = sms.another_instance(&[]).await;
    eventually("the reply job given up", || async {
        sms.app
            .count(
                "SELECT COUNT(*) FROM jobs WHERE state = 'failed' \
                 AND last_error LIKE 'SMS was disconnected%'",
            )
            .await
            >= 1
    })
    .await;
    assert!(sms.all_replies().is_empty());
}

on_both_databases!(
    a_worker_holding_an_old_token_sends_with_the_new_one,
    a_reply_due_before_stop_is_not_written,
    a_reply_due_when_sms_is_disconnected_is_not_sent,
    the_claim_walks_the_unfinished_jobs_in_order_and_stops_at_its_limit,
    a_worker_stopped_by_sigterm_puts_its_job_back_at_once,
    a_worker_process_killed_mid_job_is_taken_over_and_the_reply_goes_out_once,
    a_long_reply_is_cut_to_the_segment_budget_at_a_word,
    a_late_status_callback_never_moves_a_message_backwards,
    two_instances_on_one_database_answer_every_text_exactly_once,
    a_status_callback_signed_by_another_workspace_changes_nothing,
    an_opt_out_callback_with_a_malformed_to_records_nothing,
    the_signature_covers_the_query_string_and_the_default_port_form,
    behind_a_proxy_the_public_url_is_what_is_verified,
    a_text_is_answered_from_the_business_number_and_marked_delivered,
    the_webhook_answers_empty_twiml_at_once,
    twilios_retry_of_the_same_message_gets_one_reply,
    copies_of_one_message_at_two_instances_at_once_are_stored_once,
    a_missing_or_wrong_signature_is_403_and_stores_nothing,
    an_unknown_number_or_account_is_404_and_a_malformed_form_400,
    a_number_in_a_messaging_service_is_still_answered,
    twilio_failing_once_still_gives_exactly_one_reply,
    a_send_that_timed_out_after_twilio_accepted_it_is_not_repeated,
    a_failed_delivery_keeps_its_error_code,
    stop_opts_the_customer_out_and_no_reply_is_sent,
    revoke_and_optout_opt_out_and_yes_opts_back_in,
    a_picture_is_dropped_visibly_and_answered_with_a_note,
    twilio_refusing_an_opted_out_number_marks_the_contact,
    no_reply_while_a_person_handles_the_conversation,
    a_model_failure_is_retried_with_backoff,
    a_job_left_by_a_dead_worker_is_taken_over_after_its_lease_and_sent_once,
);

/// PostgreSQL, several instances: a text taken by a web-only instance wakes the idle worker of
/// another instance through NOTIFY. That worker polls only every 10 minutes, so without the wake the
/// reply could not come within `eventually`'s 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_taken_by_one_instance_wakes_the_idle_worker_of_another() {
    let sms = connected(Backend::Postgres, &[("VIESTI_WORKERS", "0")]).await;
    let _worker = sms
        .another_instance(&[("VIESTI_WORKERS", "1"), ("VIESTI_WORKER_POLL_MS", "600000")])
        .await;
    // Both instances listen, and the worker has had a second to look for jobs once and find none:
    // from then on only a wake can bring it the job queued below.
    eventually("both instances listening", || async {
        sms.app
            .count(
                "SELECT COUNT(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND query LIKE 'LISTEN%'",
            )
            .await
            >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    assert_eq!(sms.text("Are you open?").await, StatusCode::OK);
    eventually("the reply, sent by the woken worker", || async {
        !sms.replies().is_empty()
    })
    .await;
    assert_eq!(sms.replies()[0].body, "Echo: Are you open?");
}
