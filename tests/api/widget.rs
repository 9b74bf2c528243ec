//! The website widget, from outside: its script, its JSON API under `/api/widget/`, allowed origins,
//! limits, and that its conversations go through the same agent (same knowledge, same prompt) as
//! SMS and land in the inbox with a Web badge, where a person can take over and answer live.
use crate::helpers::{Backend, json};
use crate::knowledge::with_articles;
use crate::on_both_databases;
use crate::sms_pipeline::{Sms, connected, eventually};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use viesti::server::repo::conversations::PERSON_COMING;

const SHOP: &str = "https://shop.example";

/// A visitor of the chatbot's widget: what a browser on `origin` (or curl, without one) sends.
struct Visitor {
    api: String,
    origin: Option<String>,
    token: Option<String>,
    http: reqwest::Client,
}

impl Visitor {
    async fn of(sms: &Sms, origin: Option<&str>) -> Self {
        let chatbot = chatbot_id(sms).await;
        Self {
            api: sms.app.url(&format!("/api/widget/{chatbot}")),
            origin: origin.map(str::to_owned),
            token: None,
            http: reqwest::Client::new(),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.api));
        if let Some(origin) = &self.origin {
            request = request.header("Origin", origin);
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request
    }

    async fn say(&mut self, text: &str) -> reqwest::Response {
        self.request(reqwest::Method::POST, "/messages")
            .json(&json!({ "text": text }))
            .send()
            .await
            .expect("request")
    }

    /// Sends and keeps the token the server hands out.
    async fn send(&mut self, text: &str) -> Value {
        let response = self.say(text).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "send {text:?}");
        let body = json(response).await;
        self.token = Some(body["visitor"].as_str().expect("a token").to_owned());
        body
    }

    async fn poll(&self, since: Option<&str>, wait: u64) -> Value {
        let mut path = format!("/messages?wait={wait}");
        if let Some(since) = since {
            path.push_str(&format!("&since={}", urlencode(since)));
        }
        let response = self
            .request(reqwest::Method::GET, &path)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK);
        json(response).await
    }

    /// Everything the visitor has been shown so far, once `count` messages are there.
    async fn conversation(&self, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let messages = self.poll(None, 0).await["messages"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if messages.len() >= count {
                return messages;
            }
            assert!(Instant::now() < deadline, "only {messages:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub async fn chatbot_id(sms: &Sms) -> String {
    use sea_orm::EntityTrait;
    viesti::server::entities::chatbot::Entity::find()
        .one(&sms.app.db)
        .await
        .expect("query")
        .expect("a chatbot")
        .id
        .to_string()
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

async fn allow(sms: &Sms, origins: &str) {
    let chatbot = chatbot_id(sms).await;
    let response = sms
        .app
        .call(
            "chatbots_widget_origins",
            &[("chatbot_id", chatbot.as_str()), ("origins", origins)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// The system message and the answer of the model request whose last user turn is `question`.
fn model_turn(sms: &Sms, question: &str) -> Value {
    let requests = sms.model.requests.lock().expect("lock").clone();
    requests
        .into_iter()
        .find(|r| {
            r["messages"]
                .as_array()
                .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
                .is_some_and(|m| m["content"] == question)
        })
        .unwrap_or_else(|| panic!("no model request for {question:?}"))
}

async fn both_channels_give_the_same_answer_from_the_same_knowledge_and_prompt(backend: Backend) {
    let sms = connected(backend, &[]).await;
    with_articles(&sms.app, &["returns-and-refunds.md"]).await;
    let question = "how long do i have to return smth";

    assert_eq!(sms.text(question).await, StatusCode::OK);
    eventually("the SMS answer", || async { !sms.replies().is_empty() }).await;
    let by_sms = sms.replies()[0].body.clone();
    let sms_request = model_turn(&sms, question);
    sms.model.requests.lock().expect("lock").clear();

    let mut visitor = Visitor::of(&sms, None).await;
    visitor.send(question).await;
    let shown = visitor.conversation(2).await;
    let on_the_web = shown[1]["text"].as_str().expect("text").to_owned();
    let web_request = model_turn(&sms, question);

    assert_eq!(shown[0]["from"], "you");
    assert_eq!(shown[1]["from"], "bot");
    assert_eq!(on_the_web, by_sms, "the same answer on both channels");
    // The same prompt, rules, retrieved passages and turns went to the model from both channels.
    assert_eq!(web_request["messages"], sms_request["messages"]);
    assert!(
        sms_request["messages"][0]["content"]
            .as_str()
            .expect("system")
            .starts_with("Be helpful."),
        "the chatbot's own prompt first"
    );
    let sent = sms_request["messages"].to_string();
    assert!(
        sent.contains("<knowledge>") && sent.contains("refund"),
        "the passages reach the model: {sent}"
    );
}

async fn a_website_must_be_listed_to_use_the_widget(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let mut stranger = Visitor::of(&sms, Some("https://elsewhere.example")).await;
    let refused = stranger.say("hello").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert!(
        json(refused).await["error"]
            .as_str()
            .expect("a reason")
            .contains("isn't allowed")
    );

    let mut shop = Visitor::of(&sms, Some(SHOP)).await;
    assert_eq!(shop.say("hello").await.status(), StatusCode::FORBIDDEN);
    allow(&sms, "https://shop.example/\nhttps://other.example").await;

    let preflight = shop
        .request(reqwest::Method::OPTIONS, "/messages")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .expect("request");
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(preflight.headers()["access-control-allow-origin"], SHOP);
    let allowed_headers = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .to_ascii_lowercase();
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("content-type"));

    let accepted = shop.say("hello").await;
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    assert_eq!(accepted.headers()["access-control-allow-origin"], SHOP);
    // Still refused after the list changed; the dashboard's own origin always works (the preview).
    assert_eq!(stranger.say("hello").await.status(), StatusCode::FORBIDDEN);
    let mut preview = Visitor::of(&sms, Some(sms.app.address.trim_end_matches('/'))).await;
    assert_eq!(preview.say("hello").await.status(), StatusCode::ACCEPTED);

    // A bad list is refused in words, naming the line.
    let chatbot = chatbot_id(&sms).await;
    let bad = sms
        .app
        .call(
            "chatbots_widget_origins",
            &[
                ("chatbot_id", chatbot.as_str()),
                ("origins", "https://*.example"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text()
            .await
            .expect("body")
            .contains("https://*.example")
    );
    // Another workspace cannot change it.
    let other = sms.app.other_tenant().await;
    let foreign = sms
        .app
        .call_as(
            &other,
            "chatbots_widget_origins",
            &[
                ("chatbot_id", chatbot.as_str()),
                ("origins", "https://evil.example"),
            ],
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
}

async fn asking_for_a_person_escalates_and_the_persons_answer_arrives_live(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let mut visitor = Visitor::of(&sms, None).await;
    visitor.send("can i talk to a human").await;
    let shown = visitor.conversation(2).await;
    assert_eq!(shown[1]["from"], "notice");
    assert_eq!(shown[1]["text"], PERSON_COMING);
    assert!(
        sms.model.requests.lock().expect("lock").is_empty(),
        "no bot answer"
    );

    // The inbox lists it with the Web badge, needing a person.
    let listed = json(
        sms.app
            .call(
                "inbox_list",
                &[
                    ("status", "needs_human"),
                    ("channel", "web"),
                    ("chatbot", ""),
                    ("assignee", ""),
                    ("q", ""),
                    ("cursor", ""),
                ],
            )
            .await,
    )
    .await;
    let rows = listed["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{listed}");
    assert_eq!(rows[0]["channel"], "Web");
    assert!(
        rows[0]["customer"]
            .as_str()
            .expect("name")
            .starts_with("Web visitor ")
    );
    let id = rows[0]["id"].as_str().expect("id").to_owned();

    // The visitor waits; a teammate answers; the wait ends with the answer.
    let cursor = visitor.poll(None, 0).await["cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let waiting = {
        let api = visitor.api.clone();
        let token = visitor.token.clone().expect("token");
        tokio::spawn(async move {
            let started = Instant::now();
            let body: Value = reqwest::Client::new()
                .get(format!(
                    "{api}/messages?wait=20&since={}",
                    urlencode(&cursor)
                ))
                .bearer_auth(token)
                .send()
                .await
                .expect("request")
                .json()
                .await
                .expect("json");
            (body, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let replied = sms
        .app
        .call(
            "inbox_reply",
            &[
                ("id", id.as_str()),
                ("body", "Hi, Anna here. How can I help?"),
            ],
        )
        .await;
    assert_eq!(replied.status(), StatusCode::OK);
    let (body, waited) = waiting.await.expect("poll");
    assert!(
        waited < Duration::from_secs(15),
        "answered live, not at the timeout"
    );
    assert_eq!(body["messages"][0]["from"], "person");
    assert_eq!(
        body["messages"][0]["text"],
        "Hi, Anna here. How can I help?"
    );
    assert_eq!(body["with_person"], true);
    // In the inbox the web thread's composer is open and its messages carry no SMS segments.
    let view = json(
        sms.app
            .call("inbox_conversation", &[("id", id.as_str()), ("before", "")])
            .await,
    )
    .await;
    assert_eq!(view["composer"], "Open");
    let sent = view["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["body"] == "Hi, Anna here. How can I help?")
        .expect("the reply in the thread");
    assert_eq!(sent["delivery"]["state"], "Delivered");
    assert_eq!(sent["delivery"]["segments"], 0);

    // The bot stays quiet while the person has it; resolving and writing again brings it back.
    visitor.send("thanks!").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sms.model.requests.lock().expect("lock").is_empty());
    let resolved = sms
        .app
        .call("inbox_act", &[("id", id.as_str()), ("action", "resolve")])
        .await;
    assert_eq!(resolved.status(), StatusCode::OK);
    visitor.send("one more question").await;
    let shown = visitor.conversation(6).await;
    assert_eq!(shown[5]["from"], "bot");
    assert_eq!(
        sms.app.text("SELECT status FROM conversations").await,
        "bot"
    );
}

async fn a_visitor_sees_only_their_own_conversation(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let mut first = Visitor::of(&sms, None).await;
    first.send("my order number is 1234").await;
    first.conversation(2).await;
    let mut second = Visitor::of(&sms, None).await;
    let news = second.poll(None, 0).await;
    assert_eq!(news["messages"], json!([]), "no token, nothing");
    second.send("hello").await;
    let shown = second.conversation(2).await;
    assert!(
        shown
            .iter()
            .all(|m| !m["text"].as_str().unwrap_or_default().contains("1234"))
    );
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM conversations WHERE channel = 'web'")
            .await,
        2
    );
    // The token itself is never stored.
    let token = second.token.clone().expect("token");
    let stored = sms
        .app
        .text("SELECT customer_address FROM conversations ORDER BY created_at DESC LIMIT 1")
        .await;
    assert!(stored.starts_with("web:"));
    assert!(!stored.contains(&token));
}

async fn bad_requests_are_refused_in_words(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let mut visitor = Visitor::of(&sms, None).await;
    for (text, status) in [
        ("   ", StatusCode::UNPROCESSABLE_ENTITY),
        (&"a".repeat(2_001)[..], StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let response = visitor.say(text).await;
        assert_eq!(response.status(), status);
        assert!(json(response).await["error"].is_string());
    }
    let not_json = visitor
        .request(reqwest::Method::POST, "/messages")
        .body("text=hi")
        .send()
        .await
        .expect("request");
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    assert!(
        json(not_json).await["error"]
            .as_str()
            .expect("words")
            .contains("JSON")
    );

    visitor.token = Some("not-a-token".into());
    let forged = visitor.say("hi").await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    visitor.token = None;

    let too_long = visitor
        .request(reqwest::Method::GET, "/messages?wait=99")
        .send()
        .await
        .expect("request");
    assert_eq!(too_long.status(), StatusCode::BAD_REQUEST);
    let unknown = reqwest::Client::new()
        .post(
            sms.app
                .url(&format!("/api/widget/{}/messages", uuid::Uuid::new_v4())),
        )
        .json(&json!({"text": "hi"}))
        .send()
        .await
        .expect("request");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        sms.app.count("SELECT COUNT(*) FROM messages").await,
        0,
        "nothing stored"
    );
}

async fn a_visitor_sending_too_fast_is_slowed_down(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let mut visitor = Visitor::of(&sms, None).await;
    visitor.send("message 1").await;
    let mut limited = None;
    for i in 2..=12 {
        let response = visitor.say(&format!("message {i}")).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some((i, response));
            break;
        }
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let (at, response) = limited.expect("limited within 12 messages");
    assert_eq!(at, 11, "ten messages a minute");
    assert_eq!(response.headers()["retry-after"], "60");
    assert!(
        json(response).await["error"]
            .as_str()
            .expect("words")
            .contains("wait a minute")
    );
}

async fn the_script_is_small_javascript_with_the_snippet_on_the_settings_page(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let response = reqwest::get(sms.app.url("/widget.js"))
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/javascript")
    );
    let script = response.bytes().await.expect("body");
    let mut gzip = std::process::Command::new("gzip")
        .arg("-9c")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip");
    {
        use std::io::Write;
        gzip.stdin
            .take()
            .expect("stdin")
            .write_all(&script)
            .expect("write");
    }
    let compressed = gzip.wait_with_output().expect("gzip").stdout.len();
    assert!(
        compressed > 1_000 && compressed <= 20 * 1024,
        "{compressed} bytes gzip"
    );

    let chatbot = chatbot_id(&sms).await;
    let settings = json(
        sms.app
            .call("chatbots_widget", &[("chatbot_id", chatbot.as_str())])
            .await,
    )
    .await;
    assert_eq!(
        settings["snippet"],
        format!(
            "<script src=\"{}/widget.js\" data-chatbot=\"{chatbot}\" async></script>",
            sms.app.address.trim_end_matches('/')
        )
    );
    let page = sms
        .app
        .get_page(
            &sms.app.client,
            &format!("/chatbots/{chatbot}/integrations/channels/web"),
        )
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("Websites allowed to embed it"));
    assert!(html.contains("Try your chatbot"));
    assert!(html.contains(&format!("data-chatbot=\"{chatbot}\"")));
}

async fn a_visitor_is_not_left_waiting_when_the_model_keeps_failing(backend: Backend) {
    let sms = connected(backend, &[]).await;
    *sms.model.failures.lock().expect("lock") = u32::MAX;
    let mut visitor = Visitor::of(&sms, None).await;
    visitor.send("is my order on its way").await;
    // Every try of the job fails (3 model calls each, 6 tries): then a person is asked for.
    let deadline = Instant::now() + Duration::from_secs(40);
    let shown = loop {
        let shown = visitor.poll(None, 5).await["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if shown.len() >= 2 {
            break shown;
        }
        assert!(Instant::now() < deadline, "still waiting: {shown:?}");
    };
    assert_eq!(shown[1]["from"], "notice");
    assert_eq!(shown[1]["text"], PERSON_COMING);
    assert_eq!(
        sms.app.text("SELECT status FROM conversations").await,
        "needs_human"
    );
    let note = sms
        .app
        .text("SELECT body FROM messages WHERE direction = 'event'")
        .await;
    assert!(
        note.starts_with("The bot couldn't answer:")
            && note.ends_with("It stepped aside for a person."),
        "{note}"
    );
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE kind = 'sms_reply' AND state = 'failed'")
            .await,
        1
    );
}

on_both_databases!(
    a_visitor_is_not_left_waiting_when_the_model_keeps_failing,
    both_channels_give_the_same_answer_from_the_same_knowledge_and_prompt,
    a_website_must_be_listed_to_use_the_widget,
    asking_for_a_person_escalates_and_the_persons_answer_arrives_live,
    a_visitor_sees_only_their_own_conversation,
    bad_requests_are_refused_in_words,
    a_visitor_sending_too_fast_is_slowed_down,
    the_script_is_small_javascript_with_the_snippet_on_the_settings_page,
);
