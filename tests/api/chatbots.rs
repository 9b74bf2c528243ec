use crate::helpers::{Backend, browser, json, spawn_app, unique_email};
use crate::on_both_databases;
use reqwest::StatusCode;
use serde_json::json;

async fn an_owner_creates_renames_lists_and_deletes_a_chatbot(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_up(&unique_email()).await;
    assert_eq!(
        json(app.call("chatbots_list", &[]).await).await,
        json!({"items": []})
    );

    let created = app
        .call(
            "chatbots_create",
            &[("name", "  Support  "), ("system_prompt", "Be brief.")],
        )
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    let id: String = created.json().await.expect("id");

    let renamed = app
        .call(
            "chatbots_update",
            &[
                ("id", &id),
                ("name", "Product support"),
                ("system_prompt", "Be kind."),
            ],
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let detail = json(app.call("chatbots_get", &[("id", &id)]).await).await;
    assert_eq!(
        detail,
        json!({"id": id, "name": "Product support", "system_prompt": "Be kind."})
    );
    assert_eq!(
        json(app.call("chatbots_list", &[]).await).await["items"],
        json!([{"id": id, "name": "Product support"}])
    );

    let deleted = app.call("chatbots_delete", &[("id", &id)]).await;
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(deleted.headers()["location"], "/chatbots");
    assert_eq!(app.count("SELECT COUNT(*) FROM chatbots").await, 0);
    let gone = app.call("chatbots_get", &[("id", &id)]).await;
    assert_eq!(
        gone.status(),
        StatusCode::NOT_FOUND,
        "the deleted chatbot is gone"
    );
}

async fn chatbot_fields_are_checked_on_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_up(&unique_email()).await;
    let long_name = "n".repeat(81);
    for (name, prompt, field) in [
        ("", "ok", "name"),
        (long_name.as_str(), "ok", "name"),
        ("Bot", "  ", "system_prompt"),
    ] {
        let response = app
            .call(
                "chatbots_create",
                &[("name", name), ("system_prompt", prompt)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(json(response).await["Invalid"]["field"], field);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM chatbots").await, 0);
}

async fn another_workspaces_chatbot_is_not_found_and_untouched(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_up(&unique_email()).await;
    let ours = app.create_chatbot(&app.client, "Ours").await.to_string();
    let intruder = app.other_tenant().await;

    for (endpoint, form) in [
        ("chatbots_get", vec![("id", ours.as_str())]),
        (
            "chatbots_update",
            vec![
                ("id", ours.as_str()),
                ("name", "Pwned"),
                ("system_prompt", "x"),
            ],
        ),
        ("chatbots_delete", vec![("id", ours.as_str())]),
        ("chatbots_channels", vec![("chatbot_id", ours.as_str())]),
    ] {
        let response = app.call_as(&intruder, endpoint, &form).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{endpoint}");
        assert_eq!(json(response).await, json!("NotFound"));
    }
    assert_eq!(
        json(app.call_as(&intruder, "chatbots_list", &[]).await).await["items"],
        json!([])
    );
    let still = json(app.call("chatbots_get", &[("id", &ours)]).await).await;
    assert_eq!(still["name"], "Ours");
}

async fn signed_out_callers_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let stranger = browser();
    for endpoint in ["chatbots_list", "chatbots_create"] {
        let response = app
            .call_as(
                &stranger,
                endpoint,
                &[("name", "x"), ("system_prompt", "y")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{endpoint}");
    }
}

async fn agents_can_neither_see_nor_change_chatbots(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner_email = unique_email();
    app.sign_up(&owner_email).await;
    let id = app.create_chatbot(&app.client, "Support").await.to_string();
    crate::operator::run_cli(&app, &["set-role", &owner_email, "agent"]).await;

    for (endpoint, form) in [
        ("chatbots_list", vec![]),
        ("chatbots_get", vec![("id", id.as_str())]),
        ("chatbots_channels", vec![("chatbot_id", id.as_str())]),
        (
            "chatbots_create",
            vec![("name", "New"), ("system_prompt", "x")],
        ),
        (
            "chatbots_update",
            vec![
                ("id", id.as_str()),
                ("name", "Renamed"),
                ("system_prompt", "x"),
            ],
        ),
        ("chatbots_delete", vec![("id", id.as_str())]),
    ] {
        let response = app.call(endpoint, &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{endpoint}");
        let body = response.text().await.expect("body");
        assert_eq!(body, r#""Forbidden""#, "{endpoint}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM chatbots WHERE name = 'Support'")
            .await,
        1
    );
}

async fn channels_list_sms_and_the_widget_with_their_state_by_plan(backend: Backend) {
    let app = spawn_app(backend).await;
    let email = unique_email();
    app.sign_up(&email).await;
    let id = app.create_chatbot(&app.client, "Support").await.to_string();
    let channels = json(app.call("chatbots_channels", &[("chatbot_id", &id)]).await).await;
    let names: Vec<_> = channels
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("SMS (Twilio)"), json!("Website widget")]);
    assert!(
        channels
            .as_array()
            .expect("list")
            .iter()
            .all(|c| c["state"] == "NotConnected")
    );

    // The widget is live once a website may embed it.
    let saved = app
        .call(
            "chatbots_widget_origins",
            &[
                ("chatbot_id", id.as_str()),
                ("origins", "https://shop.example"),
            ],
        )
        .await;
    assert_eq!(saved.status(), reqwest::StatusCode::OK);
    let channels = json(app.call("chatbots_channels", &[("chatbot_id", &id)]).await).await;
    assert_eq!(channels[1]["state"], "Connected");
    assert_eq!(
        channels[1]["href"],
        format!("/chatbots/{id}/integrations/channels/web")
    );

    // SMS needs the Starter plan; the widget comes with every plan.
    crate::operator::run_cli(&app, &["set-plan", &email, "free"]).await;
    let channels = json(app.call("chatbots_channels", &[("chatbot_id", &id)]).await).await;
    assert_eq!(channels[0]["state"], "NeedsUpgrade");
    assert_eq!(channels[1]["state"], "Connected");
}

on_both_databases!(
    an_owner_creates_renames_lists_and_deletes_a_chatbot,
    chatbot_fields_are_checked_on_the_server,
    another_workspaces_chatbot_is_not_found_and_untouched,
    signed_out_callers_are_refused,
    agents_can_neither_see_nor_change_chatbots,
    channels_list_sms_and_the_widget_with_their_state_by_plan,
);
