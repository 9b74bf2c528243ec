use crate::helpers::{
    Backend, PASSWORD, browser, captured_logs, json, spawn_app, spawn_app_with, unique_email,
};
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::json;

async fn sign_up_creates_an_owner_on_the_default_plan_and_signs_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    let response = app.sign_up(&email.to_uppercase()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["location"], "/chatbots");

    let me = json(app.call("me", &[]).await).await;
    assert_eq!(
        me,
        json!({"email": email, "role": "Owner", "workspace_name": "Acme Oy", "plan": "Starter"})
    );
}

async fn new_workspaces_start_on_the_configured_default_plan(backend: Backend) {
    let app = spawn_app_with(backend, &[("DEFAULT_PLAN", "free")]).await;
    app.sign_up(&unique_email()).await;
    assert_eq!(json(app.call("me", &[]).await).await["plan"], "Free");
}

async fn sign_up_refuses_bad_input_field_by_field_and_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        ("", "a@example.com", PASSWORD, "workspace_name"),
        ("Acme", "not-an-email", PASSWORD, "email"),
        ("Acme", "a@example.com", "short", "password"),
    ];
    for (workspace, email, password, field) in cases {
        let response = app
            .call(
                "sign_up",
                &[
                    ("workspace_name", workspace),
                    ("email", email),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}"
        );
        assert_eq!(json(response).await["Invalid"]["field"], field);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM workspaces").await, 0);
}

async fn an_email_can_hold_only_one_account_whatever_its_case(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    assert_eq!(app.sign_up(&email).await.status(), StatusCode::OK);
    let again = app.request_sign_up(&browser(), &email.to_uppercase()).await;
    assert_eq!(again.status(), StatusCode::OK);
    let mail = app.mail.next_to(&email, 1).await;
    assert_eq!(mail.confirmation_token(), None, "{}", mail.text());
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM workspaces").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sign_up_requests").await,
        0,
        "nothing waits to be confirmed for an address that has an account"
    );
}

/// The form answers alike for an address with an account and one without (same status, same body
/// but the address, no cookie); only the mail, which only the address's owner reads, differs.
async fn sign_up_does_not_reveal_whether_an_address_has_an_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let taken = unique_email();
    assert_eq!(
        app.sign_up_as(&browser(), &taken).await.status(),
        StatusCode::OK
    );
    let fresh = unique_email();
    let mut answers = Vec::new();
    for email in [&taken, &fresh] {
        let client = browser();
        let response = app.request_sign_up(&client, email).await;
        let status = response.status();
        let cookie = response.headers().get("set-cookie").cloned();
        let body = json(response).await;
        assert_eq!(body["email"], email.as_str());
        let shape = body.to_string().replace(email.as_str(), "ADDRESS");
        answers.push((status, cookie.is_some(), shape));
        assert_eq!(
            json(app.call_as(&client, "me", &[]).await).await,
            json!(null),
            "nobody is signed in before the link is opened"
        );
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, StatusCode::OK);
    assert!(!answers[0].1, "no session cookie from the form");

    let to_taken = app.mail.next_to(&taken, 1).await;
    assert_eq!(to_taken.subject(), "You already have a Viesti account");
    assert!(
        to_taken.text().contains(&app.url("/login")),
        "{}",
        to_taken.text()
    );
    assert_eq!(to_taken.confirmation_token(), None);
    let to_fresh = app.mail.next_to(&fresh, 0).await;
    assert!(to_fresh.subject().starts_with("Confirm your address"));
    assert_eq!(to_fresh.from, "no-reply@viesti.test");
    let token = to_fresh.confirmation_token().expect("a link");
    assert_eq!(token.len(), 43);
    assert!(
        to_fresh
            .text()
            .contains(&app.url(&format!("/signup/confirm/{token}")))
    );

    // Until the link is opened there is no account to sign in to.
    let early = app
        .call_as(
            &browser(),
            "sign_in",
            &[("email", &fresh), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(early.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
    // Only the token's hash is kept.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM sign_up_requests WHERE token_hash LIKE '%{token}%' OR email <> '{fresh}'"
        ))
        .await,
        0
    );
}

/// A confirmation link works once and for a day; opening it makes the workspace and signs in.
async fn a_confirmation_link_works_once_within_a_day(backend: Backend) {
    captured_logs();
    let app = spawn_app(backend).await;
    let email = unique_email();
    let client = browser();
    assert_eq!(
        app.request_sign_up(&client, &email).await.status(),
        StatusCode::OK
    );
    let token = app
        .mail
        .next_to(&email, 0)
        .await
        .confirmation_token()
        .expect("a link");
    // The page behind the link renders without the session that asked for it (another browser,
    // the phone the mail was read on), and changes nothing by being opened.
    let page = app
        .get_page(&browser(), &format!("/signup/confirm/{token}"))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.expect("html");
    assert!(html.contains("Create my account"), "{html}");
    assert!(html.contains(&format!(r#"value="{token}""#)), "{html}");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);

    let reader = browser();
    let confirmed = app
        .call_as(&reader, "sign_up_confirm", &[("token", &token)])
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert_eq!(confirmed.headers()["location"], "/chatbots");
    assert_eq!(
        json(app.call_as(&reader, "me", &[]).await).await["email"],
        email.as_str()
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM sign_up_requests").await, 0);

    let twice = app
        .call_as(&browser(), "sign_up_confirm", &[("token", &token)])
        .await;
    assert_eq!(twice.status(), StatusCode::GONE);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
    let logs = captured_logs();
    assert!(
        logs.contains("/signup/confirm/[redacted]"),
        "the page's path is cut"
    );
    assert!(!logs.contains(&token), "the token reached the logs");
    assert!(!logs.contains(PASSWORD));

    // A link older than a day.
    let late = unique_email();
    app.request_sign_up(&client, &late).await;
    let token = app
        .mail
        .next_to(&late, 0)
        .await
        .confirmation_token()
        .expect("a link");
    app.db_execute("UPDATE sign_up_requests SET expires_at = created_at")
        .await;
    let expired = app
        .call_as(&browser(), "sign_up_confirm", &[("token", &token)])
        .await;
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(
        json(expired).await["Gone"]
            .as_str()
            .is_some_and(|m| m.contains("expired")),
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);

    // Two links for one address (the form sent twice): the first opened wins, the other then says
    // the address has an account.
    let twice_asked = unique_email();
    for _ in 0..2 {
        app.request_sign_up(&browser(), &twice_asked).await;
    }
    let first = app.mail.next_to(&twice_asked, 0).await;
    let second = app.mail.next_to(&twice_asked, 1).await;
    let mut statuses = Vec::new();
    for mail in [second, first] {
        let token = mail.confirmation_token().expect("a link");
        let opened = app
            .call_as(&browser(), "sign_up_confirm", &[("token", &token)])
            .await;
        statuses.push(opened.status());
    }
    assert_eq!(statuses, [StatusCode::OK, StatusCode::GONE]);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);

    // Not a token at all.
    let bad = app
        .call_as(&browser(), "sign_up_confirm", &[("token", "short")])
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// The form cannot flood one inbox: three mails to an address, then one every five minutes,
/// whoever asks.
async fn sign_up_mail_to_one_address_is_rate_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    for attempt in 0..3 {
        let response = app.request_sign_up(&browser(), &email).await;
        assert_eq!(response.status(), StatusCode::OK, "mail {attempt}");
    }
    let limited = app.request_sign_up(&browser(), &email).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    app.mail.next_to(&email, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.mail.mail_to(&email).len(), 3);
    assert_eq!(
        app.request_sign_up(&browser(), &unique_email())
            .await
            .status(),
        StatusCode::OK,
        "another address is not limited"
    );
}

/// A mail server that is down when the form is sent gets the mail once it is back: sending is
/// retried with backoff.
async fn mail_is_retried_until_the_mail_server_answers(backend: Backend) {
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .to_string();
    let url = format!("smtp://{address}");
    let app = spawn_app_with(
        backend,
        &[
            ("SMTP_URL", url.as_str()),
            ("MAIL_FROM", "no-reply@viesti.test"),
        ],
    )
    .await;
    let email = unique_email();
    let sent = app.request_sign_up(&browser(), &email).await;
    assert_eq!(sent.status(), StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (mail, _) = crate::mail_double::MailDouble::start_on(&address).await;
    let arrived = mail.next_to(&email, 0).await;
    assert!(arrived.confirmation_token().is_some());
}

/// With no mail server on this computer, the mail waits in the local mailbox, which only a browser
/// on this computer can open; with a mail server, there is no local mailbox.
async fn without_a_mail_server_the_mail_is_in_the_local_mailbox(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[("SMTP_URL", ""), ("VIESTI_TRUSTED_PROXIES", "127.0.0.1/32")],
    )
    .await;
    let empty = app.get_page(&browser(), "/mailbox").await;
    assert_eq!(empty.status(), StatusCode::OK);
    assert!(empty.text().await.expect("html").contains("No mail yet"));

    let email = unique_email();
    let sent = app.request_sign_up(&browser(), &email).await;
    assert_eq!(json(sent).await["local_mailbox"], true);
    let page = app.get_page(&browser(), "/mailbox").await;
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.expect("html");
    assert!(html.contains(&email), "{html}");
    let (_, after) = html
        .split_once("/signup/confirm/")
        .expect("the link is on the page");
    let token: String = after.chars().take(43).collect();
    let reader = browser();
    let confirmed = app
        .call_as(&reader, "sign_up_confirm", &[("token", &token)])
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);

    // A browser on another computer (through the trusted proxy) finds nothing.
    let remote = browser()
        .get(app.url("/mailbox"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .expect("request");
    assert_eq!(remote.status(), StatusCode::NOT_FOUND);

    let with_smtp = spawn_app(backend).await;
    let sent = with_smtp.request_sign_up(&browser(), &unique_email()).await;
    assert_eq!(json(sent).await["local_mailbox"], false);
    assert_eq!(
        with_smtp.get_page(&browser(), "/mailbox").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn passwords_are_stored_as_argon2id_hashes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_up(&unique_email()).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE password_hash LIKE '$argon2id$%'")
            .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM users WHERE password_hash LIKE '%{PASSWORD}%'"
        ))
        .await,
        0
    );
}

async fn sign_in_accepts_the_right_password_only(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    app.sign_up_as(&browser(), &email).await;

    let wrong = app
        .call(
            "sign_in",
            &[("email", &email), ("password", "not my password")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.headers().get("set-cookie").is_none(),
        "no session for a failed sign-in"
    );
    assert_eq!(json(app.call("me", &[]).await).await, json!(null));

    let unknown = app
        .call(
            "sign_in",
            &[("email", "nobody@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json(unknown).await["Invalid"]["message"],
        "That email and password don't match an account.",
        "an unknown email reads exactly like a wrong password"
    );

    let right = app
        .call(
            "sign_in",
            &[("email", &email.to_uppercase()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(right.status(), StatusCode::OK);
    assert_eq!(json(app.call("me", &[]).await).await["email"], email);
}

async fn the_session_cookie_is_httponly_lax_and_holds_only_a_server_side_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.sign_up(&unique_email()).await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.starts_with("viesti_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http locally: {cookie}");
    let id = cookie["viesti_session=".len()..]
        .split(';')
        .next()
        .expect("value");
    // Stored under a hash of the id: neither the key nor the data of any row holds the id itself.
    use sha2::Digest;
    let hashed = hex::encode(sha2::Sha256::digest(id.as_bytes()));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM sessions WHERE id = '{hashed}'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM sessions WHERE id LIKE '%{id}%' OR data LIKE '%{id}%'"
        ))
        .await,
        0
    );
}

async fn the_session_cookie_is_secure_when_served_over_https(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[("PUBLIC_BASE_URL", "https://viesti.example.com")],
    )
    .await;
    let response = app.sign_up(&unique_email()).await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
}

async fn sign_out_ends_the_session_on_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.sign_up(&unique_email()).await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let pair = cookie.split(';').next().expect("pair").to_owned();

    let out = app.call("sign_out", &[]).await;
    assert_eq!(out.status(), StatusCode::OK);
    assert_eq!(out.headers()["location"], "/login");
    assert_eq!(json(app.call("me", &[]).await).await, json!(null));
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);

    // Replaying the old cookie from another client gets nowhere.
    let replay = reqwest::Client::new()
        .post(app.url("/api/me"))
        .header("cookie", pair)
        .send()
        .await
        .expect("request");
    assert_eq!(json(replay).await, json!(null));
}

async fn sessions_survive_a_restart_because_they_live_in_the_database(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.sign_up(&unique_email()).await;
    let pair = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    // A second instance on the same database (as after a restart, or behind a load balancer).
    let second = crate::helpers::spawn_on_database(&app.database_url, app.data_dir.path()).await;
    let me = reqwest::Client::new()
        .post(format!("{second}/api/me"))
        .header("cookie", pair)
        .send()
        .await
        .expect("request");
    assert_eq!(json(me).await["workspace_name"], "Acme Oy");
}

async fn repeated_wrong_passwords_for_one_account_are_rate_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    app.sign_up_as(&browser(), &email).await;
    for attempt in 0..5 {
        let response = app
            .call(
                "sign_in",
                &[("email", &email), ("password", "wrong password")],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
    }
    let limited = app
        .call("sign_in", &[("email", &email), ("password", PASSWORD)])
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(json(limited).await, json!("RateLimited"));
}

async fn sign_ups_from_one_address_are_rate_limited(backend: Backend) {
    let app = spawn_app(backend).await;
    for attempt in 0..10 {
        let response = app.sign_up_as(&browser(), &unique_email()).await;
        assert_eq!(response.status(), StatusCode::OK, "sign-up {attempt}");
    }
    let limited = app.sign_up_as(&browser(), &unique_email()).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// A sign-in attempt from `client` on behalf of the address `forwarded_for` (as a proxy would
/// report it).
async fn sign_in_via(
    app: &crate::helpers::TestApp,
    client: &reqwest::Client,
    forwarded_for: &str,
    email: &str,
    password: &str,
) -> StatusCode {
    client
        .post(app.url("/api/sign_in"))
        .header("x-forwarded-for", forwarded_for)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .expect("request")
        .status()
}

async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket(backend: Backend) {
    let app = spawn_app_with(backend, &[("VIESTI_TRUSTED_PROXIES", "127.0.0.1, ::1")]).await;
    let email = unique_email();
    app.sign_up_as(&browser(), &email).await;
    let wrong = "wrong password";
    // A client behind the proxy wrote its own X-Forwarded-For entry first; the proxy appended the
    // real address, and only that one counts.
    for attempt in 0..5 {
        let status = sign_in_via(
            &app,
            &browser(),
            &format!("198.51.100.{attempt}, 203.0.113.1"),
            &email,
            wrong,
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
    }
    assert_eq!(
        sign_in_via(
            &app,
            &browser(),
            "198.51.100.99, 203.0.113.1",
            &email,
            wrong
        )
        .await,
        StatusCode::TOO_MANY_REQUESTS,
        "the sixth attempt from 203.0.113.1, whatever it wrote before"
    );
    assert_eq!(
        sign_in_via(&app, &browser(), "203.0.113.2", &email, PASSWORD).await,
        StatusCode::OK,
        "another client behind the same proxy is not held"
    );
}

async fn without_trusted_proxies_x_forwarded_for_is_ignored(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    app.sign_up_as(&browser(), &email).await;
    for attempt in 0..5 {
        let status = sign_in_via(
            &app,
            &browser(),
            &format!("203.0.113.{attempt}"),
            &email,
            "wrong password",
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
    }
    assert_eq!(
        sign_in_via(&app, &browser(), "203.0.113.200", &email, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a made-up address does not buy a fresh bucket"
    );
}

async fn guessing_from_many_addresses_cannot_lock_out_a_browser_that_signed_in_before(
    backend: Backend,
) {
    let app = spawn_app_with(backend, &[("VIESTI_TRUSTED_PROXIES", "127.0.0.1, ::1")]).await;
    let email = unique_email();
    app.sign_up_as(&browser(), &email).await;
    // The owner signs in once from their browser, which keeps a device cookie.
    let owner = browser();
    assert_eq!(
        sign_in_via(&app, &owner, "192.0.2.10", &email, PASSWORD).await,
        StatusCode::OK
    );
    // Guesses at the account from nine addresses drain its shared bucket of ten (the owner's
    // first sign-in, from a browser not yet known, was one of them).
    for attempt in 0..9 {
        let status = sign_in_via(
            &app,
            &browser(),
            &format!("203.0.113.{attempt}"),
            &email,
            "guess",
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "guess {attempt}");
    }
    assert_eq!(
        sign_in_via(&app, &browser(), "203.0.113.77", &email, "guess").await,
        StatusCode::TOO_MANY_REQUESTS,
        "an eleventh address is held"
    );
    assert_eq!(
        sign_in_via(&app, &browser(), "192.0.2.10", &email, PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "so is the right password from a browser the account does not know"
    );
    assert_eq!(
        sign_in_via(&app, &owner, "192.0.2.10", &email, PASSWORD).await,
        StatusCode::OK,
        "the owner's browser gets in"
    );
}

on_both_databases!(
    behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket,
    without_trusted_proxies_x_forwarded_for_is_ignored,
    guessing_from_many_addresses_cannot_lock_out_a_browser_that_signed_in_before,
);

on_both_databases!(
    sign_up_creates_an_owner_on_the_default_plan_and_signs_in,
    new_workspaces_start_on_the_configured_default_plan,
    sign_up_refuses_bad_input_field_by_field_and_stores_nothing,
    an_email_can_hold_only_one_account_whatever_its_case,
    sign_up_does_not_reveal_whether_an_address_has_an_account,
    a_confirmation_link_works_once_within_a_day,
    sign_up_mail_to_one_address_is_rate_limited,
    without_a_mail_server_the_mail_is_in_the_local_mailbox,
    mail_is_retried_until_the_mail_server_answers,
    passwords_are_stored_as_argon2id_hashes,
    sign_in_accepts_the_right_password_only,
    the_session_cookie_is_httponly_lax_and_holds_only_a_server_side_id,
    the_session_cookie_is_secure_when_served_over_https,
    sign_out_ends_the_session_on_the_server,
    sessions_survive_a_restart_because_they_live_in_the_database,
    repeated_wrong_passwords_for_one_account_are_rate_limited,
    sign_ups_from_one_address_are_rate_limited,
);
