use crate::helpers::{Backend, PASSWORD, browser, json, spawn_app, spawn_app_with, unique_email};
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
    let again = app.sign_up_as(&browser(), &email.to_uppercase()).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json(again).await;
    assert_eq!(body["Invalid"]["field"], "email");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM workspaces").await,
        1,
        "the transaction rolled back"
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
    passwords_are_stored_as_argon2id_hashes,
    sign_in_accepts_the_right_password_only,
    the_session_cookie_is_httponly_lax_and_holds_only_a_server_side_id,
    the_session_cookie_is_secure_when_served_over_https,
    sign_out_ends_the_session_on_the_server,
    sessions_survive_a_restart_because_they_live_in_the_database,
    repeated_wrong_passwords_for_one_account_are_rate_limited,
    sign_ups_from_one_address_are_rate_limited,
);
