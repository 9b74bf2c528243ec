//! The server under slow and greedy clients, with real sockets on loopback: a header deadline, a
//! request deadline, a connection cap, a small webhook body limit, a bounded graceful stop; and the
//! security headers on what it answers.
use crate::helpers::{
    Backend, PASSWORD, browser, spawn_app, spawn_app_with, spawn_stoppable_app_with, unique_email,
};
use reqwest::StatusCode;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longer than any deadline these tests set; reaching it means the server held on.
const PATIENCE: Duration = Duration::from_secs(10);

fn host_port(address: &str) -> &str {
    address.trim_start_matches("http://")
}

/// Reads until the server closes the connection (or `PATIENCE` runs out: then `None`).
async fn read_until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let app = spawn_app_with(Backend::Sqlite, &[("VIESTI_HEADER_TIMEOUT_MS", "300")]).await;
    let mut slow = TcpStream::connect(host_port(&app.address))
        .await
        .expect("connect");
    slow.write_all(b"POST /api/webhooks/twilio/sms HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    // It keeps trickling a header byte now and then, as slowloris does.
    let trickle = async {
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if slow.write_all(b"X").await.is_err() {
                break;
            }
        }
    };
    trickle.await;
    let answer = read_until_closed(&mut slow).await;
    assert!(
        answer.is_some(),
        "the server still held a connection whose headers never ended"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_arrives_too_slowly_is_answered_408() {
    let app = spawn_app_with(Backend::Sqlite, &[("VIESTI_REQUEST_TIMEOUT_MS", "500")]).await;
    let mut slow = TcpStream::connect(host_port(&app.address))
        .await
        .expect("connect");
    slow.write_all(
        b"POST /api/webhooks/twilio/sms HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nBody=",
    )
    .await
    .expect("write");
    let answer = read_until_closed(&mut slow)
        .await
        .expect("answered in time");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let app = spawn_app_with(Backend::Sqlite, &[("VIESTI_MAX_CONNECTIONS", "2")]).await;
    let idle_a = TcpStream::connect(host_port(&app.address))
        .await
        .expect("connect");
    let _idle_b = TcpStream::connect(host_port(&app.address))
        .await
        .expect("connect");
    // Both slots are held by clients that send nothing; a third client waits.
    let third = reqwest::Client::new();
    let waiting = tokio::spawn({
        let url = app.url("/healthz");
        async move { third.get(url).send().await.map(|r| r.status()) }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "a third connection was served beside two held ones"
    );
    drop(idle_a);
    let status = tokio::time::timeout(PATIENCE, waiting)
        .await
        .expect("served once a slot freed")
        .expect("joined")
        .expect("request");
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_does_not_hold_up_a_graceful_stop() {
    let (app, stop, stopped) =
        spawn_stoppable_app_with(Backend::Sqlite, &[("VIESTI_REQUEST_TIMEOUT_MS", "500")]).await;
    let mut stalled = TcpStream::connect(host_port(&app.address))
        .await
        .expect("connect");
    stalled
        .write_all(
            b"POST /api/webhooks/twilio/sms HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
        )
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).expect("stop");
    tokio::time::timeout(PATIENCE, stopped)
        .await
        .expect("stopped despite the stalled client")
        .expect("joined")
        .expect("served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_bodies_over_64_kib_are_refused_unread() {
    let app = spawn_app(Backend::Sqlite).await;
    let client = reqwest::Client::new();
    let big = "x".repeat(65 * 1024);
    for path in ["/api/webhooks/twilio/sms", "/api/webhooks/twilio/status"] {
        let response = client
            .post(app.url(path))
            .header("x-twilio-signature", "AAAA")
            .form(&[("Body", big.as_str())])
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        // A body just under the limit is read (and then refused for its signature).
        let response = client
            .post(app.url(path))
            .header("x-twilio-signature", "AAAA")
            .form(&[("Body", &big[..60 * 1024])])
            .send()
            .await
            .expect("request");
        assert_ne!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert!(
            response.status().is_client_error(),
            "{path}: {}",
            response.status()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_a_nonce_policy_and_every_response_the_security_headers() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = browser()
        .get(app.url("/login"))
        .send()
        .await
        .expect("request");
    assert_eq!(page.status(), StatusCode::OK);
    let headers = page.headers().clone();
    let policy = headers["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let body = page.text().await.expect("html");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(nonce.len() >= 16, "{policy}");
    assert!(
        body.contains(&format!("nonce=\"{nonce}\"")),
        "the page's scripts carry the policy's nonce"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(
        !policy.contains("script-src 'self' 'unsafe-inline'"),
        "{policy}"
    );
    // Every inline script of the page carries it.
    for script in body.split("<script").skip(1) {
        let tag = script.split('>').next().unwrap_or_default();
        if !tag.contains("src=") {
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")),
                "an inline script without the nonce: <script{tag}>"
            );
        }
    }
    let again = browser()
        .get(app.url("/login"))
        .send()
        .await
        .expect("request");
    assert_ne!(
        again.headers()["content-security-policy"],
        policy.as_str(),
        "a fresh nonce per response"
    );
    let api = browser()
        .post(app.url("/api/me"))
        .send()
        .await
        .expect("request");
    for response_headers in [&headers, api.headers()] {
        assert_eq!(response_headers["x-content-type-options"], "nosniff");
        assert_eq!(response_headers["x-frame-options"], "DENY");
        assert_eq!(
            response_headers["referrer-policy"],
            "strict-origin-when-cross-origin"
        );
        assert!(
            response_headers.get("strict-transport-security").is_none(),
            "plain http locally"
        );
    }
    assert_eq!(
        api.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_responses_ask_for_hsts_and_cookies_are_host_bound() {
    let app = spawn_app_with(
        Backend::Sqlite,
        &[
            ("PUBLIC_BASE_URL", "https://viesti.example.com"),
            ("VIESTI_ALLOW_HTTP", "false"),
        ],
    )
    .await;
    let email = unique_email();
    let response = app.sign_up_as(&browser(), &email).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .expect("ascii")
            .starts_with("max-age=31536000"),
    );
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.starts_with("__Host-viesti_session="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    let sign_in = browser()
        .post(app.url("/api/sign_in"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .expect("request");
    assert_eq!(sign_in.status(), StatusCode::OK);
    let device = sign_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("viesti_device="))
        .expect("a device cookie")
        .to_owned();
    assert!(device.starts_with("__Host-viesti_device="), "{device}");
    assert!(
        device.contains("Secure") && device.contains("HttpOnly"),
        "{device}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_function_given_arguments_it_cannot_read_answers_400() {
    let app = spawn_app(Backend::Sqlite).await;
    app.sign_up(&unique_email()).await;
    let missing = app
        .call("chatbots_create", &[("name", "Only a name")])
        .await;
    let status = missing.status();
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        missing.text().await
    );
    let body = app
        .client
        .post(app.url("/api/sign_in"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("%%%")
        .send()
        .await
        .expect("request");
    assert_eq!(body.status(), StatusCode::BAD_REQUEST);
    // A failure of the function itself keeps its own status.
    let foreign = app
        .call(
            "chatbots_delete",
            &[("id", "00000000-0000-4000-8000-000000000000")],
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
}

/// Files of the site requested while pages render (as a browser fetches the bundle's chunks while
/// the next page loads) are served beside them, and no page loses its headers to a file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_served_while_pages_render_leave_every_page_its_policy() {
    let public = concat!(env!("CARGO_MANIFEST_DIR"), "/public");
    let app = spawn_app_with(Backend::Sqlite, &[("LEPTOS_SITE_ROOT", public)]).await;
    app.sign_up(&unique_email()).await;
    app.create_chatbot(&app.client, "Support").await;
    let favicon = browser()
        .get(app.url("/favicon.svg"))
        .send()
        .await
        .expect("request");
    assert_eq!(favicon.status(), StatusCode::OK);
    assert!(
        favicon.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("image/svg")
    );
    let missing = browser()
        .get(app.url("/no-such-file.js"))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND, "the 404 page");
    assert!(missing.text().await.expect("html").contains("<html"));
    let posted = browser()
        .post(app.url("/favicon.svg"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        posted.status(),
        StatusCode::NOT_FOUND,
        "files are for GET and HEAD"
    );
    let mut rounds = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let page = app.client.get(app.url("/chatbots"));
        let files: Vec<_> = (0..4)
            .map(|_| browser().get(app.url("/favicon.svg")))
            .collect();
        rounds.spawn(async move {
            let files = futures::future::join_all(files.into_iter().map(|f| f.send()));
            let (page, _) = tokio::join!(page.send(), files);
            let page = page.expect("page");
            page.headers()
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        });
    }
    while let Some(policy) = rounds.join_next().await {
        let policy = policy.expect("joined");
        assert!(
            policy.contains("'nonce-"),
            "a page lost its policy: {policy:?}"
        );
    }
}
