//! Connecting a chatbot to a Twilio number, end to end through the server functions, with the Twilio
//! emulator standing in for Twilio.
use crate::helpers::{
    Backend, TEST_ENCRYPTION_KEY, TestApp, captured_logs, json, spawn_app_with_twilio, unique_email,
};
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::{Value, json};
use viesti::server::emulator::DemoAccount;

/// A signed-up owner with one chatbot; returns its id.
async fn owner_with_chatbot(app: &TestApp) -> (String, String) {
    let email = unique_email();
    app.sign_up(&email).await;
    (
        email,
        app.create_chatbot(&app.client, "Support").await.to_string(),
    )
}

async fn connect(
    app: &TestApp,
    client: &reqwest::Client,
    chatbot: &str,
    sid: &str,
    token: &str,
    number: &str,
) -> reqwest::Response {
    app.call_as(
        client,
        "sms_connect",
        &[
            ("chatbot_id", chatbot),
            ("account_sid", sid),
            ("auth_token", token),
            ("phone_number", number),
            ("friendly_name", "Product support"),
        ],
    )
    .await
}

async fn connect_demo(app: &TestApp, chatbot: &str, demo: &DemoAccount) -> reqwest::Response {
    // Pasted with stray whitespace, as from Twilio Console.
    connect(
        app,
        &app.client,
        chatbot,
        &format!(" {} ", demo.account_sid),
        &format!("{}\n", demo.auth_token.expose()),
        "+358 40 123 4567",
    )
    .await
}

async fn settings(app: &TestApp, chatbot: &str) -> Value {
    json(app.call("sms_settings", &[("chatbot_id", chatbot)]).await).await
}

/// The SMS settings page's HTML for `chatbot`, as the signed-in owner gets it.
async fn settings_page(app: &TestApp, chatbot: &str) -> String {
    app.get_page(
        &app.client,
        &format!("/chatbots/{chatbot}/integrations/channels/sms"),
    )
    .await
    .text()
    .await
    .expect("html")
}

async fn connecting_checks_twilio_then_shows_the_number_the_masked_token_and_the_webhook(
    backend: Backend,
) {
    let (app, _emulator, demo) =
        spawn_app_with_twilio(backend, &[("PUBLIC_BASE_URL", "https://sms.example.com")]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    let before = settings(&app, &chatbot).await;
    assert_eq!(before["connection"], Value::Null);
    assert_eq!(
        before["webhook_url"],
        "https://sms.example.com/api/webhooks/twilio/sms"
    );

    let response = connect_demo(&app, &chatbot, &demo).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "{:?}",
        response.text().await
    );

    let after = settings(&app, &chatbot).await;
    let token = demo.auth_token.expose();
    assert_eq!(
        after["connection"],
        json!({
            "phone_number": "+358401234567",
            "friendly_name": "Product support",
            "account_sid": demo.account_sid.as_str(),
            "auth_token_masked": format!("••••{}", &token[28..]),
            "connected_at": after["connection"]["connected_at"],
            "trial": false,
        })
    );
    assert!(
        !after.to_string().contains(token),
        "the full token never goes back to the browser"
    );
    let channels = json(
        app.call("chatbots_channels", &[("chatbot_id", &chatbot)])
            .await,
    )
    .await;
    assert_eq!(channels[0]["state"], "Connected");
}

async fn credentials_are_stored_sealed_and_never_logged_or_rendered(backend: Backend) {
    let (app, _emulator, demo) = spawn_app_with_twilio(backend, &[]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    assert_eq!(
        connect_demo(&app, &chatbot, &demo).await.status(),
        StatusCode::OK
    );
    let token = demo.auth_token.expose();
    let sid = demo.account_sid.as_str();

    let stored = app
        .count(&format!(
            "SELECT COUNT(*) FROM twilio_connections WHERE account_sid_sealed LIKE '%{sid}%' OR auth_token_sealed LIKE '%{token}%' OR account_sid_sealed = '' OR auth_token_sealed = ''"
        ))
        .await;
    assert_eq!(stored, 0, "neither secret is stored in the clear");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM twilio_connections").await,
        1
    );

    let page = settings_page(&app, &chatbot).await;
    assert!(page.contains("+358401234567"));
    assert!(!page.contains(token), "the token is not in the page");
    let logs = captured_logs();
    assert!(logs.contains("SMS connected"), "logs were captured");
    for secret in [token, sid, TEST_ENCRYPTION_KEY] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
    assert!(
        logs.contains("number=+35•••67"),
        "the connected number is logged masked"
    );
    assert!(
        !logs.contains("+358401234567"),
        "a phone number reached the logs"
    );
}

async fn each_probe_failure_has_its_own_words_and_stores_nothing(backend: Backend) {
    let (app, emulator, demo) = spawn_app_with_twilio(backend, &[]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    let other_sid = "AC55555555555555555555555555555555";
    let other_token = "55555555555555555555555555555555";
    emulator.add_account(
        viesti::domain::AccountSid::parse(other_sid).expect("sid"),
        viesti::domain::AuthToken::parse(other_token).expect("token"),
        "Other",
        viesti::server::emulator::AccountStatus::Active,
    );
    let cases = [
        (
            demo.account_sid.as_str(),
            "0123456789abcdef0123456789abcdef",
            "+358401234567",
            "CredentialsRejected",
            "Twilio rejected the credentials",
        ),
        (
            other_sid,
            other_token,
            "+358401234567",
            "NumberNotOnAccount",
            "The phone number you entered doesn't belong to this Twilio account",
        ),
    ];
    for (sid, token, number, variant, words) in cases {
        let response = connect(&app, &app.client, &chatbot, sid, token, number).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{variant}"
        );
        let body = json(response).await;
        assert_eq!(body, json!({ "Probe": variant }));
        let failure: viesti::error::AppError = serde_json::from_value(body).expect("an AppError");
        assert_eq!(failure.to_string(), words, "the words the user sees");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM twilio_connections").await,
        0
    );
    drop(emulator);
}

async fn an_unreachable_twilio_is_a_bad_gateway_and_stores_nothing(backend: Backend) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr");
    let base = format!("http://{closed}");
    let app = crate::helpers::spawn_app_with(backend, &[("TWILIO_API_BASE", base.as_str())]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    let response = connect(
        &app,
        &app.client,
        &chatbot,
        "AC66666666666666666666666666666666",
        "66666666666666666666666666666666",
        "+358401234567",
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        json(response).await,
        json!({ "Probe": "TwilioUnreachable" })
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM twilio_connections").await,
        0
    );
}

async fn bad_fields_are_refused_inline_before_twilio_is_asked(backend: Backend) {
    let (app, emulator, demo) = spawn_app_with_twilio(backend, &[]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    let token = demo.auth_token.expose();
    let sid = demo.account_sid.as_str();
    for (sid, token, number, field) in [
        ("AC123", token, "+358401234567", "account_sid"),
        (sid, "short", "+358401234567", "auth_token"),
        (sid, token, "0401234567", "phone_number"),
        // The right shape, but no such number plan: only the server's per-country check knows.
        (sid, token, "+99912345678", "phone_number"),
    ] {
        let response = connect(&app, &app.client, &chatbot, sid, token, number).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} {number}"
        );
        assert_eq!(json(response).await["Invalid"]["field"], field);
    }
    assert!(emulator.messages().is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM twilio_connections").await,
        0
    );
}

async fn one_number_serves_one_chatbot_across_all_workspaces(backend: Backend) {
    let (app, _emulator, demo) = spawn_app_with_twilio(backend, &[]).await;
    let (_, first) = owner_with_chatbot(&app).await;
    assert_eq!(
        connect_demo(&app, &first, &demo).await.status(),
        StatusCode::OK
    );
    let second_on_same_workspace = app.create_chatbot(&app.client, "Second").await.to_string();
    assert_eq!(
        connect_demo(&app, &second_on_same_workspace, &demo)
            .await
            .status(),
        StatusCode::CONFLICT
    );

    let other = app.other_tenant().await;
    let theirs = app.create_chatbot(&other, "Theirs").await.to_string();
    let response = connect(
        &app,
        &other,
        &theirs,
        demo.account_sid.as_str(),
        demo.auth_token.expose(),
        "+358401234567",
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body = json(response).await;
    assert!(
        body["Conflict"]
            .as_str()
            .expect("message")
            .contains("already connected")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM twilio_connections").await,
        1
    );
}

async fn agents_can_neither_see_nor_change_the_connection(backend: Backend) {
    let (app, _emulator, demo) = spawn_app_with_twilio(backend, &[]).await;
    let (email, chatbot) = owner_with_chatbot(&app).await;
    assert_eq!(
        connect_demo(&app, &chatbot, &demo).await.status(),
        StatusCode::OK
    );
    crate::operator::run_cli(&app, &["set-role", &email, "agent"]).await;

    let token = demo.auth_token.expose();
    for (endpoint, form) in [
        ("sms_settings", vec![("chatbot_id", chatbot.as_str())]),
        ("sms_webhook_check", vec![("chatbot_id", chatbot.as_str())]),
        (
            "sms_connect",
            vec![
                ("chatbot_id", chatbot.as_str()),
                ("account_sid", demo.account_sid.as_str()),
                ("auth_token", token),
                ("phone_number", "+358401234567"),
                ("friendly_name", ""),
            ],
        ),
        ("sms_disconnect", vec![("chatbot_id", chatbot.as_str())]),
        (
            "sms_update",
            vec![
                ("chatbot_id", chatbot.as_str()),
                ("auth_token", ""),
                ("friendly_name", "x"),
            ],
        ),
        (
            "sms_configure_webhook",
            vec![("chatbot_id", chatbot.as_str())],
        ),
    ] {
        let response = app.call(endpoint, &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{endpoint}");
        let body = response.text().await.expect("body");
        assert!(!body.contains("+358401234567"), "{endpoint}: {body}");
        assert!(!body.contains(demo.account_sid.as_str()), "{endpoint}");
    }
    let page = app
        .get_page(
            &app.client,
            &format!("/chatbots/{chatbot}/integrations/channels/sms"),
        )
        .await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let html = page.text().await.expect("html");
    assert!(!html.contains("+358401234567"));
    assert!(!html.contains(demo.account_sid.as_str()));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM twilio_connections").await,
        1
    );
}

async fn below_starter_the_page_explains_and_the_server_refuses(backend: Backend) {
    let (app, _emulator, demo) = spawn_app_with_twilio(backend, &[("DEFAULT_PLAN", "free")]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    assert_eq!(settings(&app, &chatbot).await["plan_allows"], false);
    let response = connect_demo(&app, &chatbot, &demo).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        json(response).await["PlanRequired"]
            .as_str()
            .expect("message")
            .contains("Starter")
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM twilio_connections").await,
        0
    );
}

async fn another_workspaces_sms_settings_are_not_found(backend: Backend) {
    let (app, _emulator, demo) = spawn_app_with_twilio(backend, &[]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    assert_eq!(
        connect_demo(&app, &chatbot, &demo).await.status(),
        StatusCode::OK
    );
    let intruder = app.other_tenant().await;
    for endpoint in [
        "sms_settings",
        "sms_disconnect",
        "sms_webhook_check",
        "sms_configure_webhook",
    ] {
        let response = app
            .call_as(&intruder, endpoint, &[("chatbot_id", &chatbot)])
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{endpoint}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM twilio_connections").await,
        1
    );
}

async fn disconnect_deletes_the_stored_credentials_at_once(backend: Backend) {
    let (app, _emulator, demo) = spawn_app_with_twilio(backend, &[]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    assert_eq!(
        connect_demo(&app, &chatbot, &demo).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM twilio_connections").await,
        1
    );
    let response = app
        .call("sms_disconnect", &[("chatbot_id", &chatbot)])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM twilio_connections").await,
        0
    );
    assert_eq!(settings(&app, &chatbot).await["connection"], Value::Null);
    // The number is free again.
    assert_eq!(
        connect_demo(&app, &chatbot, &demo).await.status(),
        StatusCode::OK
    );
}

async fn rotating_the_token_re_checks_with_twilio(backend: Backend) {
    let (app, emulator, demo) = spawn_app_with_twilio(backend, &[]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    assert_eq!(
        connect_demo(&app, &chatbot, &demo).await.status(),
        StatusCode::OK
    );
    let wrong = app
        .call(
            "sms_update",
            &[
                ("chatbot_id", &chatbot),
                ("auth_token", "ffffffffffffffffffffffffffffffff"),
                ("friendly_name", "Renamed"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(wrong).await, json!({ "Probe": "CredentialsRejected" }));
    assert_eq!(
        settings(&app, &chatbot).await["connection"]["friendly_name"],
        "Product support"
    );

    // Twilio rotated the token: the emulator now knows only the new one.
    let new_token = "abcdefabcdefabcdefabcdefabcd1234";
    emulator.add_account(
        demo.account_sid.clone(),
        viesti::domain::AuthToken::parse(new_token).expect("token"),
        "Viesti demo",
        viesti::server::emulator::AccountStatus::Active,
    );
    let rotated = app
        .call(
            "sms_update",
            &[
                ("chatbot_id", &chatbot),
                ("auth_token", new_token),
                ("friendly_name", "Renamed"),
            ],
        )
        .await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let after = settings(&app, &chatbot).await;
    assert_eq!(after["connection"]["auth_token_masked"], "••••1234");
    assert_eq!(after["connection"]["friendly_name"], "Renamed");
    // A blank token keeps the stored one (which must still pass the probe).
    let renamed = app
        .call(
            "sms_update",
            &[
                ("chatbot_id", &chatbot),
                ("auth_token", ""),
                ("friendly_name", ""),
            ],
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(
        settings(&app, &chatbot).await["connection"]["friendly_name"],
        Value::Null
    );
}

async fn configure_for_me_points_the_number_at_our_webhook_and_the_check_sees_it(backend: Backend) {
    let (app, emulator, demo) = spawn_app_with_twilio(backend, &[]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    assert_eq!(
        connect_demo(&app, &chatbot, &demo).await.status(),
        StatusCode::OK
    );
    let check = || async {
        json(
            app.call("sms_webhook_check", &[("chatbot_id", &chatbot)])
                .await,
        )
        .await
    };
    assert_eq!(check().await, json!("NotSet"));

    // Someone pointed the number at another service.
    let base = app
        .twilio_api_base
        .clone()
        .expect("app runs against the emulator");
    let client = viesti::server::twilio::client::TwilioClient::new(&base).expect("client");
    let creds = viesti::server::twilio::client::Credentials {
        account_sid: demo.account_sid.clone(),
        auth_token: demo.auth_token.clone(),
    };
    client
        .set_sms_url(&creds, &demo.sms_number_sid, "https://old.example.com/sms")
        .await
        .expect("set");
    assert_eq!(
        check().await,
        json!({ "PointsElsewhere": { "url": "https://old.example.com/sms" } })
    );

    let response = app
        .call("sms_configure_webhook", &[("chatbot_id", &chatbot)])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (url, method) = emulator.number_sms_url(&demo.sms_number).expect("set");
    assert_eq!(url, app.url("/api/webhooks/twilio/sms"));
    assert_eq!(method, "POST");
    assert_eq!(check().await, json!("PointsHere"));
}

async fn rotating_the_encryption_key_re_seals_every_connection(backend: Backend) {
    const NEW_KEY: &str = "dmllc3RpLXJvdGF0ZWQta2V5LTAxMjM0NTY3ODlhYmM=";
    let (app, _emulator, demo) = spawn_app_with_twilio(backend, &[]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    assert_eq!(
        connect_demo(&app, &chatbot, &demo).await.status(),
        StatusCode::OK
    );
    let old_key_id = app.text("SELECT key_id FROM twilio_connections").await;

    let rotate = || {
        crate::operator::cli_with(
            &app,
            &["rotate-keys"],
            &[
                ("VIESTI_ENCRYPTION_KEY", NEW_KEY),
                ("VIESTI_ENCRYPTION_KEYS_OLD", TEST_ENCRYPTION_KEY),
            ],
        )
    };
    let first = rotate().await;
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(String::from_utf8_lossy(&first.stdout).contains("re-encrypted 1 SMS connection(s)"));
    let again = rotate().await;
    assert!(String::from_utf8_lossy(&again.stdout).contains("re-encrypted 0 SMS connection(s)"));
    assert_ne!(
        app.text("SELECT key_id FROM twilio_connections").await,
        old_key_id
    );

    // An instance that knows only the new key reads the connection…
    let base = app.twilio_api_base.clone().expect("emulator").to_string();
    let new_only = crate::helpers::spawn_on_database_with(
        &app.database_url,
        app.data_dir.path(),
        &[
            ("VIESTI_ENCRYPTION_KEY", NEW_KEY),
            ("TWILIO_API_BASE", &base),
        ],
    )
    .await;
    let read = app
        .client
        .post(format!("{new_only}/api/sms_settings"))
        .form(&[("chatbot_id", &chatbot)])
        .send()
        .await
        .expect("request");
    assert_eq!(
        json(read).await["connection"]["phone_number"],
        "+358401234567"
    );

    // …and one that knows only the old key fails clearly, never with garbage.
    let stale = app.call("sms_settings", &[("chatbot_id", &chatbot)]).await;
    assert_eq!(stale.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(json(stale).await, json!("Internal"));
    assert!(
        captured_logs()
            .contains("which is neither VIESTI_ENCRYPTION_KEY nor in VIESTI_ENCRYPTION_KEYS_OLD")
    );
}

/// Each connect checks the credentials with Twilio; a workspace gets ten such checks, then one
/// every few minutes, so it cannot be used to try stolen Twilio credentials by the thousand. Other
/// workspaces are not held.
async fn credential_checks_are_limited_per_workspace(backend: Backend) {
    let (app, _emulator, demo) = spawn_app_with_twilio(backend, &[]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    let wrong = "0123456789abcdef0123456789abcdef";
    for attempt in 0..10 {
        let response = connect(
            &app,
            &app.client,
            &chatbot,
            demo.account_sid.as_str(),
            wrong,
            demo.sms_number.as_str(),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
    }
    let held = connect_demo(&app, &chatbot, &demo).await;
    assert_eq!(held.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(json(held).await, json!("RateLimited"));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM twilio_connections").await,
        0
    );

    let other = app.other_tenant().await;
    let theirs = app.create_chatbot(&other, "Theirs").await.to_string();
    let response = connect(
        &app,
        &other,
        &theirs,
        demo.account_sid.as_str(),
        demo.auth_token.expose(),
        demo.sms_number.as_str(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK, "another workspace");
}

/// The sealed credentials are bound to their row's workspace, chatbot and number: a row moved to
/// another number in the database no longer opens. Rows sealed under the older binding (row and
/// column only) still open, and `viesti rotate-keys` re-seals them under the full one.
async fn credentials_are_bound_to_their_workspace_chatbot_and_number(backend: Backend) {
    use viesti::server::config::EncryptionKey;
    use viesti::server::crypto::{Keyring, Sealed};
    let (app, _emulator, demo) = spawn_app_with_twilio(backend, &[]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    assert_eq!(
        connect_demo(&app, &chatbot, &demo).await.status(),
        StatusCode::OK
    );
    let settings_status = || async {
        app.call("sms_settings", &[("chatbot_id", &chatbot)])
            .await
            .status()
    };
    assert_eq!(settings_status().await, StatusCode::OK);
    app.db_execute("UPDATE twilio_connections SET phone_number = '+358401234599'")
        .await;
    assert_eq!(
        settings_status().await,
        StatusCode::INTERNAL_SERVER_ERROR,
        "credentials moved to another number"
    );
    assert!(captured_logs().contains("failed authentication"));
    app.db_execute(&format!(
        "UPDATE twilio_connections SET phone_number = '{}'",
        demo.sms_number.as_str()
    ))
    .await;
    assert_eq!(settings_status().await, StatusCode::OK);

    // A row as sealed before the full binding: the same key, bound to row and column only.
    let key = EncryptionKey::from_base64(TEST_ENCRYPTION_KEY).expect("key");
    let ring = Keyring::new(&key, &[]);
    use sea_orm::EntityTrait;
    let row = viesti::server::entities::twilio_connection::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("the connection");
    let (id, workspace) = (row.id, row.workspace_id);
    let legacy = |column: &str| format!("twilio_connections/{id}/{column}").into_bytes();
    let sid = ring
        .seal(demo.account_sid.as_str().as_bytes(), &legacy("account_sid"))
        .expect("seal");
    let token = ring
        .seal(demo.auth_token.expose().as_bytes(), &legacy("auth_token"))
        .expect("seal");
    app.db_execute(&format!(
        "UPDATE twilio_connections SET account_sid_sealed = '{}', auth_token_sealed = '{}'",
        sid.ciphertext, token.ciphertext
    ))
    .await;
    assert_eq!(
        settings_status().await,
        StatusCode::OK,
        "a legacy row opens"
    );
    let rotated = crate::operator::cli_with(&app, &["rotate-keys"], &[]).await;
    assert!(
        String::from_utf8_lossy(&rotated.stdout).contains("re-encrypted 1 SMS connection(s)"),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let stored = Sealed {
        key_id: ring.current_key_id().to_owned(),
        ciphertext: app
            .text("SELECT auth_token_sealed FROM twilio_connections")
            .await,
    };
    assert!(
        ring.open(&stored, &legacy("auth_token")).is_err(),
        "re-sealed under the full binding"
    );
    let full = format!(
        "twilio_connections/v2/{id}/{workspace}/{chatbot}/{}/auth_token",
        demo.sms_number.as_str()
    );
    assert_eq!(
        ring.open(&stored, full.as_bytes()).expect("opens"),
        demo.auth_token.expose().as_bytes()
    );
    assert_eq!(settings_status().await, StatusCode::OK);
}

/// A trial account (Account `type` Trial) and a +1 number each get their notice on the page, kept
/// from the probe; a rotation that finds the account upgraded takes the trial notice away.
async fn a_trial_account_and_a_us_number_get_their_notices(backend: Backend) {
    use viesti::server::emulator::{
        DEMO_TRIAL_ACCOUNT_SID, DEMO_TRIAL_AUTH_TOKEN, DEMO_TRIAL_SMS_NUMBER,
    };
    let (app, emulator, demo) = spawn_app_with_twilio(backend, &[]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    let connected = connect(
        &app,
        &app.client,
        &chatbot,
        DEMO_TRIAL_ACCOUNT_SID,
        DEMO_TRIAL_AUTH_TOKEN,
        DEMO_TRIAL_SMS_NUMBER,
    )
    .await;
    assert_eq!(connected.status(), StatusCode::OK);
    assert_eq!(settings(&app, &chatbot).await["connection"]["trial"], true);
    let page = settings_page(&app, &chatbot).await;
    assert!(
        page.contains("This is a Twilio trial account"),
        "trial notice"
    );
    assert!(page.contains("A2P 10DLC"), "10DLC notice for a +1 number");

    let trial_sid = viesti::domain::AccountSid::parse(DEMO_TRIAL_ACCOUNT_SID).expect("sid");
    emulator.set_trial(&trial_sid, false);
    let updated = app
        .call(
            "sms_update",
            &[
                ("chatbot_id", chatbot.as_str()),
                ("auth_token", ""),
                ("friendly_name", ""),
            ],
        )
        .await;
    assert_eq!(updated.status(), StatusCode::OK);
    assert_eq!(settings(&app, &chatbot).await["connection"]["trial"], false);

    // A full account's Finnish number: neither notice.
    let (_, other) = owner_with_chatbot(&app).await;
    assert_eq!(
        connect_demo(&app, &other, &demo).await.status(),
        StatusCode::OK
    );
    assert_eq!(settings(&app, &other).await["connection"]["trial"], false);
    let page = settings_page(&app, &other).await;
    assert!(!page.contains("This is a Twilio trial account"));
    assert!(!page.contains("A2P 10DLC"));
    assert!(
        page.contains("Viesti doesn't charge for texts") && page.contains("sub-processor"),
        "the billing and privacy words"
    );
}

/// The webhook URL gets a warning when Twilio cannot call it, saying what to set.
async fn a_webhook_url_twilio_cannot_reach_gets_a_warning(backend: Backend) {
    let (app, _emulator, _demo) = spawn_app_with_twilio(backend, &[]).await;
    let (_, chatbot) = owner_with_chatbot(&app).await;
    let warning = settings(&app, &chatbot).await["webhook_warning"].clone();
    let warning = warning.as_str().expect("a warning for 127.0.0.1");
    assert!(warning.contains("points at this computer"), "{warning}");
    assert!(warning.contains("PUBLIC_BASE_URL"), "{warning}");

    let (public, _emulator, _demo) =
        spawn_app_with_twilio(backend, &[("PUBLIC_BASE_URL", "https://sms.example.com")]).await;
    let (_, chatbot) = owner_with_chatbot(&public).await;
    assert_eq!(
        settings(&public, &chatbot).await["webhook_warning"],
        Value::Null
    );
}

on_both_databases!(
    rotating_the_encryption_key_re_seals_every_connection,
    credentials_are_bound_to_their_workspace_chatbot_and_number,
    credential_checks_are_limited_per_workspace,
    connecting_checks_twilio_then_shows_the_number_the_masked_token_and_the_webhook,
    credentials_are_stored_sealed_and_never_logged_or_rendered,
    each_probe_failure_has_its_own_words_and_stores_nothing,
    an_unreachable_twilio_is_a_bad_gateway_and_stores_nothing,
    bad_fields_are_refused_inline_before_twilio_is_asked,
    one_number_serves_one_chatbot_across_all_workspaces,
    agents_can_neither_see_nor_change_the_connection,
    below_starter_the_page_explains_and_the_server_refuses,
    another_workspaces_sms_settings_are_not_found,
    disconnect_deletes_the_stored_credentials_at_once,
    rotating_the_token_re_checks_with_twilio,
    configure_for_me_points_the_number_at_our_webhook_and_the_check_sees_it,
    a_trial_account_and_a_us_number_get_their_notices,
    a_webhook_url_twilio_cannot_reach_gets_a_warning,
);
