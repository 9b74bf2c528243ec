//! The team: invite links that work once, roles enforced on the server, agents limited to the inbox.
use crate::helpers::{
    Backend, PASSWORD, TestApp, browser, captured_logs, json, spawn_app, unique_email,
};
use crate::on_both_databases;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// Signs up a new workspace owner on the app's own client; returns their email.
async fn owner(app: &TestApp) -> String {
    let email = unique_email();
    assert_eq!(app.sign_up(&email).await.status(), StatusCode::OK);
    email
}

/// Makes an invite link for `role` as `client`; returns the whole answer and the link's token.
async fn invite(app: &TestApp, client: &reqwest::Client, role: &str) -> (Value, String) {
    let response = app.call_as(client, "team_invite", &[("role", role)]).await;
    assert_eq!(response.status(), StatusCode::OK, "team_invite as {role}");
    let body = json(response).await;
    let url = body["url"].as_str().expect("a url").to_owned();
    let (_, token) = url.rsplit_once("/invite/").expect("an invite link");
    (body.clone(), token.to_owned())
}

/// Joins with `token` from a fresh browser as a person does: the form, then the link from the
/// mail. Returns the answer to opening the link (or the form's, when the form was refused) and
/// that browser.
async fn accept(app: &TestApp, token: &str, email: &str) -> (Response, reqwest::Client) {
    let client = browser();
    let seen = app.mail.mail_to(email).len();
    let response = app
        .call_as(
            &client,
            "invite_accept",
            &[("token", token), ("email", email), ("password", PASSWORD)],
        )
        .await;
    if response.status() != StatusCode::OK {
        return (response, client);
    }
    let mail = app.mail.next_to(email, seen).await;
    let Some(link) = mail.confirmation_token() else {
        return (response, client);
    };
    let confirmed = app
        .call_as(&client, "sign_up_confirm", &[("token", &link)])
        .await;
    (confirmed, client)
}

/// A new member of the app client's workspace with `role`, signed in on the returned browser.
pub async fn member(app: &TestApp, role: &str) -> (reqwest::Client, String) {
    let (_, token) = invite(app, &app.client, role).await;
    let email = unique_email();
    let (response, client) = accept(app, &token, &email).await;
    assert_eq!(response.status(), StatusCode::OK, "joining as {role}");
    (client, email)
}

/// The member ids of the caller's team, by email.
pub async fn member_id(app: &TestApp, client: &reqwest::Client, email: &str) -> String {
    let team = json(app.call_as(client, "team_get", &[]).await).await;
    team["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["email"] == email)
        .and_then(|m| m["user_id"].as_str())
        .expect("a member with that email")
        .to_owned()
}

async fn users(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM users").await
}

async fn an_owner_invites_an_agent_who_joins_with_the_link_and_is_signed_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner_email = owner(&app).await;
    let (created, token) = invite(&app, &app.client, "agent").await;
    assert_eq!(created["url"], format!("{}/invite/{token}", app.address));
    assert_eq!(created["role"], "Agent");
    assert!(
        created["expires"]["text"]
            .as_str()
            .expect("text")
            .ends_with("UTC")
    );

    let visitor = browser();
    let offer = json(
        app.call_as(&visitor, "invite_get", &[("token", &token)])
            .await,
    )
    .await;
    assert_eq!(offer["workspace_name"], "Acme Oy");
    assert_eq!(offer["role"], "Agent");
    let page = app.get_page(&visitor, &format!("/invite/{token}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.expect("html");
    for needle in [
        "Join Acme Oy on Viesti as Agent",
        r#"action="/api/invite_accept""#,
        r#"<label for="field-email""#,
        r#"<label for="field-password""#,
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }

    let email = unique_email();
    let (joined, agent) = accept(&app, &token, &email.to_uppercase()).await;
    assert_eq!(joined.status(), StatusCode::OK);
    assert_eq!(joined.headers()["location"], "/inbox");
    assert_eq!(
        json(app.call_as(&agent, "me", &[]).await).await,
        json!({"email": email, "role": "Agent", "workspace_name": "Acme Oy", "plan": "Starter"})
    );

    let team = json(app.call("team_get", &[]).await).await;
    let members: Vec<_> = team["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| (m["email"].clone(), m["role"].clone(), m["is_you"].clone()))
        .collect();
    assert_eq!(
        members,
        vec![
            (json!(owner_email), json!("Owner"), json!(true)),
            (json!(email), json!("Agent"), json!(false)),
        ]
    );
    assert_eq!(
        team["invites"],
        json!([]),
        "a used invite is no longer pending"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM workspaces").await, 1);
    assert_eq!(users(&app).await, 2);
}

async fn admins_join_as_admins_and_manage_chatbots_but_not_the_team(backend: Backend) {
    let app = spawn_app(backend).await;
    owner(&app).await;
    let (_, token) = invite(&app, &app.client, "admin").await;
    let (joined, admin) = accept(&app, &token, &unique_email()).await;
    assert_eq!(joined.headers()["location"], "/chatbots");
    assert_eq!(
        app.call_as(&admin, "chatbots_list", &[]).await.status(),
        StatusCode::OK
    );
    app.create_chatbot(&admin, "Made by an admin").await;

    let owners_page = app
        .get_page(&app.client, "/chatbots")
        .await
        .text()
        .await
        .expect("html");
    assert!(owners_page.contains(r#"href="/team""#), "owners see Team");
    let admins_page = app.get_page(&admin, "/chatbots").await;
    assert_eq!(admins_page.status(), StatusCode::OK);
    let admins_page = admins_page.text().await.expect("html");
    assert!(admins_page.contains(r#"href="/chatbots""#));
    assert!(!admins_page.contains(r#"href="/team""#), "admins don't");
    assert!(admins_page.contains("Made by an admin"));
}

async fn an_invite_link_works_once(backend: Backend) {
    let app = spawn_app(backend).await;
    owner(&app).await;
    let (_, token) = invite(&app, &app.client, "agent").await;
    let (first, _) = accept(&app, &token, &unique_email()).await;
    assert_eq!(first.status(), StatusCode::OK);

    let (second, _) = accept(&app, &token, &unique_email()).await;
    assert_eq!(second.status(), StatusCode::GONE);
    let problem = json(second).await;
    assert_eq!(problem, json!({"Invite": "Used"}));
    let words: viesti::error::AppError = serde_json::from_value(problem).expect("an AppError");
    assert!(words.to_string().contains("already been used"), "{words}");
    assert_eq!(
        json(app.call("invite_get", &[("token", &token)]).await).await,
        json!({"Invite": "Used"})
    );
    let page = app.get_page(&browser(), &format!("/invite/{token}")).await;
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("already been used")
    );
    assert_eq!(users(&app).await, 2);
}

async fn two_people_accepting_one_link_at_once_make_exactly_one_member(backend: Backend) {
    let app = spawn_app(backend).await;
    owner(&app).await;
    // Sign-up and joining share a budget of 10 a minute per address: the owner and 4 races.
    for round in 0..4 {
        let (_, token) = invite(&app, &app.client, "agent").await;
        let (first, second) = (unique_email(), unique_email());
        let (a, b) = tokio::join!(accept(&app, &token, &first), accept(&app, &token, &second));
        let mut statuses = [a.0.status(), b.0.status()];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::GONE],
            "round {round}"
        );
        assert_eq!(users(&app).await, 2 + round, "round {round}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invites WHERE used_by IS NOT NULL")
            .await,
        4
    );
}

async fn an_expired_link_does_not_work(backend: Backend) {
    let app = spawn_app(backend).await;
    owner(&app).await;
    let (_, token) = invite(&app, &app.client, "agent").await;
    app.db_execute("UPDATE invites SET expires_at = created_at")
        .await;

    let offer = app.call("invite_get", &[("token", &token)]).await;
    assert_eq!(offer.status(), StatusCode::GONE);
    assert_eq!(json(offer).await, json!({"Invite": "Expired"}));
    let (joined, _) = accept(&app, &token, &unique_email()).await;
    assert_eq!(joined.status(), StatusCode::GONE);
    assert_eq!(json(joined).await, json!({"Invite": "Expired"}));
    let page = app.get_page(&browser(), &format!("/invite/{token}")).await;
    assert_eq!(page.status(), StatusCode::GONE);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("This invite link has expired.")
    );
    assert_eq!(
        json(app.call("team_get", &[]).await).await["invites"],
        json!([]),
        "an expired invite is no longer pending"
    );
    assert_eq!(users(&app).await, 1);
}

async fn a_revoked_link_does_not_work(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner_email = owner(&app).await;
    let (_, token) = invite(&app, &app.client, "admin").await;
    let pending = json(app.call("team_get", &[]).await).await["invites"].clone();
    assert_eq!(pending.as_array().expect("invites").len(), 1);
    assert_eq!(pending[0]["role"], "Admin");
    assert_eq!(pending[0]["created_by"], owner_email.as_str());
    assert!(
        !pending.to_string().contains(&token),
        "a pending invite never shows its token again"
    );
    let id = pending[0]["id"].as_str().expect("id").to_owned();

    let revoked = app.call("team_revoke_invite", &[("id", &id)]).await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let again = app.call("team_revoke_invite", &[("id", &id)]).await;
    assert_eq!(again.status(), StatusCode::OK, "revoking twice is harmless");

    assert_eq!(
        json(app.call("invite_get", &[("token", &token)]).await).await,
        json!({"Invite": "Revoked"})
    );
    let (joined, _) = accept(&app, &token, &unique_email()).await;
    assert_eq!(joined.status(), StatusCode::GONE);
    assert_eq!(json(joined).await, json!({"Invite": "Revoked"}));
    assert_eq!(
        json(app.call("team_get", &[]).await).await["invites"],
        json!([])
    );
    assert_eq!(users(&app).await, 1);
}

async fn only_the_owner_lists_invites_revokes_and_changes_the_team(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner_email = owner(&app).await;
    let (admin, admin_email) = member(&app, "admin").await;
    let (agent, agent_email) = member(&app, "agent").await;
    invite(&app, &app.client, "agent").await;
    let team = json(app.call("team_get", &[]).await).await;
    let invite_id = team["invites"][0]["id"].as_str().expect("id").to_owned();
    let admin_id = member_id(&app, &app.client, &admin_email).await;
    let agent_id = member_id(&app, &app.client, &agent_email).await;

    for (who, client) in [("admin", &admin), ("agent", &agent)] {
        for (endpoint, form) in [
            ("team_get", vec![]),
            ("team_invite", vec![("role", "agent")]),
            ("team_revoke_invite", vec![("id", invite_id.as_str())]),
            (
                "team_set_role",
                vec![("user_id", agent_id.as_str()), ("role", "owner")],
            ),
            (
                "team_set_role",
                vec![("user_id", admin_id.as_str()), ("role", "owner")],
            ),
            ("team_remove_member", vec![("user_id", admin_id.as_str())]),
        ] {
            let response = app.call_as(client, endpoint, &form).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{who}: {endpoint}"
            );
            assert_eq!(json(response).await, json!("Forbidden"));
        }
        let page = app.get_page(client, "/team").await;
        assert_eq!(page.status(), StatusCode::FORBIDDEN, "{who}: /team");
        assert!(!page.text().await.expect("html").contains(&owner_email));
    }
    let stranger = browser();
    assert_eq!(
        app.call_as(&stranger, "team_get", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role = 'owner'")
            .await,
        1
    );
    assert_eq!(users(&app).await, 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM invites WHERE revoked_at IS NULL AND used_at IS NULL")
            .await,
        1
    );
    let page = app.get_page(&app.client, "/team").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    for needle in [
        agent_email.as_str(),
        admin_email.as_str(),
        "Invite a teammate",
        "Pending invites",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
}

async fn another_workspaces_invites_and_members_are_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    owner(&app).await;
    let (_, agent_email) = member(&app, "agent").await;
    invite(&app, &app.client, "admin").await;
    let team = json(app.call("team_get", &[]).await).await;
    let invite_id = team["invites"][0]["id"].as_str().expect("id").to_owned();
    let agent_id = member_id(&app, &app.client, &agent_email).await;

    let intruder = app.other_tenant().await;
    for (endpoint, form) in [
        ("team_revoke_invite", vec![("id", invite_id.as_str())]),
        (
            "team_set_role",
            vec![("user_id", agent_id.as_str()), ("role", "admin")],
        ),
        ("team_remove_member", vec![("user_id", agent_id.as_str())]),
    ] {
        let response = app.call_as(&intruder, endpoint, &form).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{endpoint}");
        assert_eq!(json(response).await, json!("NotFound"));
    }
    let theirs = json(app.call_as(&intruder, "team_get", &[]).await).await;
    assert_eq!(theirs["invites"], json!([]));
    assert_eq!(theirs["members"].as_array().expect("members").len(), 1);
    let ours = json(app.call("team_get", &[]).await).await;
    assert_eq!(ours["invites"].as_array().expect("invites").len(), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role = 'agent'")
            .await,
        1
    );
}

async fn the_token_is_stored_only_as_its_hash_and_never_logged(backend: Backend) {
    captured_logs();
    let app = spawn_app(backend).await;
    owner(&app).await;
    let (_, token) = invite(&app, &app.client, "agent").await;
    let hash = {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(token.as_bytes()))
    };
    assert_eq!(app.text("SELECT token_hash FROM invites").await, hash);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM invites WHERE token_hash LIKE '%{token}%'"
        ))
        .await,
        0
    );

    let team = app.call("team_get", &[]).await.text().await.expect("body");
    assert!(!team.contains(&token));
    let team_page = app
        .get_page(&app.client, "/team")
        .await
        .text()
        .await
        .expect("html");
    assert!(!team_page.contains(&token));

    let visitor = browser();
    assert_eq!(
        app.get_page(&visitor, &format!("/invite/{token}"))
            .await
            .status(),
        StatusCode::OK
    );
    app.call_as(&visitor, "invite_get", &[("token", &token)])
        .await;
    let (joined, _) = accept(&app, &token, &unique_email()).await;
    assert_eq!(joined.status(), StatusCode::OK);
    let (again, _) = accept(&app, &token, &unique_email()).await;
    assert_eq!(again.status(), StatusCode::GONE);

    let logs = captured_logs();
    assert!(logs.contains("invite created"), "logs were captured");
    assert!(logs.contains("invite accepted"));
    assert!(
        logs.contains("/invite/[redacted]"),
        "the page's path is cut"
    );
    assert!(!logs.contains(&token), "the token reached the logs");
    assert!(!logs.contains(&hash), "the hash reached the logs");
    assert!(!logs.contains(PASSWORD));
}

async fn agents_are_refused_every_chatbot_sms_and_simulator_function_and_page_but_can_sign_in(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    owner(&app).await;
    let chatbot = app
        .create_chatbot(&app.client, "Secret bot")
        .await
        .to_string();
    let (agent, agent_email) = member(&app, "agent").await;
    let id = chatbot.as_str();

    for (endpoint, form) in [
        ("chatbots_list", vec![]),
        ("chatbots_get", vec![("id", id)]),
        (
            "chatbots_create",
            vec![("name", "Mine"), ("system_prompt", "x")],
        ),
        (
            "chatbots_update",
            vec![("id", id), ("name", "Renamed"), ("system_prompt", "x")],
        ),
        ("chatbots_delete", vec![("id", id)]),
        ("chatbots_channels", vec![("chatbot_id", id)]),
        ("sms_settings", vec![("chatbot_id", id)]),
        ("sms_webhook_check", vec![("chatbot_id", id)]),
        (
            "sms_connect",
            vec![
                ("chatbot_id", id),
                ("account_sid", "AC00000000000000000000000000000000"),
                ("auth_token", "00000000000000000000000000000000"),
                ("phone_number", "+358401234567"),
                ("friendly_name", ""),
            ],
        ),
        (
            "sms_update",
            vec![
                ("chatbot_id", id),
                ("auth_token", ""),
                ("friendly_name", "x"),
            ],
        ),
        ("sms_disconnect", vec![("chatbot_id", id)]),
        ("sms_configure_webhook", vec![("chatbot_id", id)]),
        (
            "simulator_thread",
            vec![("chatbot_id", id), ("customer", "+358501234567")],
        ),
        (
            "simulator_send",
            vec![
                ("chatbot_id", id),
                ("customer", "+358501234567"),
                ("body", "Hei"),
            ],
        ),
    ] {
        let response = app.call_as(&agent, endpoint, &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{endpoint}");
        assert_eq!(json(response).await, json!("Forbidden"), "{endpoint}");
    }

    for path in [
        "/chatbots".to_owned(),
        format!("/chatbots/{id}"),
        format!("/chatbots/{id}/integrations/channels"),
        format!("/chatbots/{id}/integrations/channels/sms"),
        format!("/chatbots/{id}/integrations/channels/sms/simulator"),
    ] {
        let page = app.get_page(&agent, &path).await;
        assert_eq!(page.status(), StatusCode::FORBIDDEN, "{path}");
        let html = page.text().await.expect("html");
        assert!(html.contains("Not allowed"), "{path}");
        assert!(html.contains(r#"href="/inbox""#), "{path}: a way on");
        assert!(!html.contains("Secret bot"), "{path}");
        assert!(
            !html.contains(r#"href="/chatbots""#),
            "{path}: no Chatbots link"
        );
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM chatbots WHERE name = 'Secret bot'")
            .await,
        1
    );

    assert_eq!(
        app.call_as(&agent, "sign_out", &[]).await.status(),
        StatusCode::OK
    );
    let signed_in = app
        .call_as(
            &agent,
            "sign_in",
            &[("email", agent_email.as_str()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    assert_eq!(signed_in.headers()["location"], "/inbox");
    assert_eq!(
        json(app.call_as(&agent, "me", &[]).await).await["role"],
        "Agent"
    );
}

async fn the_last_owner_can_be_neither_removed_nor_demoted(backend: Backend) {
    let app = spawn_app(backend).await;
    let first_email = owner(&app).await;
    let first = member_id(&app, &app.client, &first_email).await;
    for (endpoint, form) in [
        (
            "team_set_role",
            vec![("user_id", first.as_str()), ("role", "admin")],
        ),
        ("team_remove_member", vec![("user_id", first.as_str())]),
    ] {
        let response = app.call(endpoint, &form).await;
        assert_eq!(response.status(), StatusCode::CONFLICT, "{endpoint}");
        let message = json(response).await["Conflict"].clone();
        assert!(
            message
                .as_str()
                .expect("words")
                .contains("You can't change your own role or remove yourself"),
            "{message}"
        );
    }

    // A second owner may demote the first; then the second is the last one.
    let (second, second_email) = member(&app, "admin").await;
    let second_id = member_id(&app, &app.client, &second_email).await;
    let promoted = app
        .call(
            "team_set_role",
            &[("user_id", &second_id), ("role", "owner")],
        )
        .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    let demoted = app
        .call_as(
            &second,
            "team_set_role",
            &[("user_id", &first), ("role", "admin")],
        )
        .await;
    assert_eq!(demoted.status(), StatusCode::OK);
    assert_eq!(
        json(app.call("me", &[]).await).await["role"],
        "Admin",
        "the first owner's own session sees the change at once"
    );
    for (endpoint, form) in [
        (
            "team_set_role",
            vec![("user_id", second_id.as_str()), ("role", "agent")],
        ),
        ("team_remove_member", vec![("user_id", second_id.as_str())]),
    ] {
        assert_eq!(
            app.call_as(&second, endpoint, &form).await.status(),
            StatusCode::CONFLICT,
            "{endpoint}"
        );
        assert_eq!(
            app.call(endpoint, &form).await.status(),
            StatusCode::FORBIDDEN,
            "an admin cannot: {endpoint}"
        );
    }

    // The rule holds below the server functions too (as for an operator acting on the workspace).
    use viesti::server::repo::{accounts, team};
    let email = viesti::domain::Email::parse(&second_email).expect("email");
    let (second_uuid, _) = accounts::find_credentials(&app.db, &email)
        .await
        .expect("query")
        .expect("the second owner");
    let workspace = accounts::find_member(&app.db, second_uuid)
        .await
        .expect("query")
        .expect("a member")
        .workspace_id;
    let someone_else = Uuid::new_v4();
    assert!(matches!(
        team::set_role(
            &app.db,
            workspace,
            someone_else,
            second_uuid,
            viesti::domain::Role::Agent
        )
        .await,
        Err(team::TeamError::LastOwner)
    ));
    assert!(matches!(
        team::remove_member(&app.db, workspace, someone_else, second_uuid).await,
        Err(team::TeamError::LastOwner)
    ));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE role = 'owner'")
            .await,
        1
    );
}

async fn a_removed_members_session_stops_working_and_their_open_invites_die(backend: Backend) {
    let app = spawn_app(backend).await;
    owner(&app).await;
    let (agent, agent_email) = member(&app, "agent").await;
    assert_eq!(
        json(app.call_as(&agent, "me", &[]).await).await["email"],
        agent_email.as_str()
    );
    let agent_id = member_id(&app, &app.client, &agent_email).await;
    let removed = app
        .call("team_remove_member", &[("user_id", &agent_id)])
        .await;
    assert_eq!(removed.status(), StatusCode::OK);
    assert_eq!(
        json(app.call_as(&agent, "me", &[]).await).await,
        Value::Null
    );
    assert_eq!(
        app.call_as(&agent, "team_get", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let signed_in = app
        .call_as(
            &agent,
            "sign_in",
            &[("email", agent_email.as_str()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A removed owner's open invite links stop working with them.
    let (co_owner, co_owner_email) = member(&app, "admin").await;
    let co_owner_id = member_id(&app, &app.client, &co_owner_email).await;
    app.call(
        "team_set_role",
        &[("user_id", &co_owner_id), ("role", "owner")],
    )
    .await;
    let (_, their_token) = invite(&app, &co_owner, "agent").await;
    let removed = app
        .call("team_remove_member", &[("user_id", &co_owner_id)])
        .await;
    assert_eq!(removed.status(), StatusCode::OK);
    assert_eq!(
        app.call_as(&co_owner, "team_get", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        json(app.call("invite_get", &[("token", &their_token)]).await).await,
        json!({"Invite": "Revoked"})
    );
    assert_eq!(users(&app).await, 1);
}

async fn invite_fields_are_checked_on_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner_email = owner(&app).await;
    for (role, status) in [
        ("owner", StatusCode::UNPROCESSABLE_ENTITY),
        ("root", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let response = app.call("team_invite", &[("role", role)]).await;
        assert_eq!(response.status(), status, "{role}");
        assert_eq!(json(response).await["Invalid"]["field"], "role");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM invites").await, 0);

    let (_, token) = invite(&app, &app.client, "agent").await;
    for (email, password, field) in [
        ("not-an-email", PASSWORD, "email"),
        ("new@example.com", "short", "password"),
    ] {
        let response = app
            .call_as(
                &browser(),
                "invite_accept",
                &[("token", &token), ("email", email), ("password", password)],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}"
        );
        assert_eq!(json(response).await["Invalid"]["field"], field);
    }
    // An address with an account is answered like any other (no way to learn who has one here),
    // and its owner gets a mail that says so, with no link.
    let (taken, _) = accept(&app, &token, &owner_email).await;
    assert_eq!(taken.status(), StatusCode::OK);
    assert_eq!(
        json(taken).await,
        json!({"email": owner_email, "local_mailbox": false})
    );
    let mail = app.mail.next_to(&owner_email, 1).await;
    assert_eq!(mail.subject(), "You already have a Viesti account");
    assert!(mail.text().contains("join a team"), "{}", mail.text());
    assert_eq!(mail.confirmation_token(), None);
    assert_eq!(users(&app).await, 1);
    for bad in ["", "short", &format!("{}B", &token[..42])] {
        let response = app.call("invite_get", &[("token", bad)]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{bad:?}");
        assert_eq!(json(response).await, json!({"Invite": "Unknown"}));
    }
    let page = app.get_page(&browser(), "/invite/nonsense").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(
        page.text()
            .await
            .expect("html")
            .contains("This invite link doesn")
    );

    let (joined, _) = accept(&app, &token, &unique_email()).await;
    assert_eq!(
        joined.status(),
        StatusCode::OK,
        "a refused attempt leaves the link usable"
    );
    assert_eq!(users(&app).await, 2);
}

on_both_databases!(
    an_owner_invites_an_agent_who_joins_with_the_link_and_is_signed_in,
    admins_join_as_admins_and_manage_chatbots_but_not_the_team,
    an_invite_link_works_once,
    two_people_accepting_one_link_at_once_make_exactly_one_member,
    an_expired_link_does_not_work,
    a_revoked_link_does_not_work,
    only_the_owner_lists_invites_revokes_and_changes_the_team,
    another_workspaces_invites_and_members_are_not_found,
    the_token_is_stored_only_as_its_hash_and_never_logged,
    agents_are_refused_every_chatbot_sms_and_simulator_function_and_page_but_can_sign_in,
    the_last_owner_can_be_neither_removed_nor_demoted,
    a_removed_members_session_stops_working_and_their_open_invites_die,
    invite_fields_are_checked_on_the_server,
);
