//! Server-rendered pages as a browser without JavaScript gets them.
use crate::helpers::{Backend, spawn_app, unique_email};
use crate::on_both_databases;
use reqwest::StatusCode;

async fn the_dashboard_sends_signed_out_visitors_to_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let location = |response: reqwest::Response| {
        assert_eq!(response.status(), StatusCode::FOUND, "{}", response.url());
        response.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_owned()
    };
    for path in ["/chatbots", "/"] {
        let response = app.get_page(&app.client, path).await;
        assert_eq!(location(response), "/login", "{path}");
    }
    // Signed in, the front door leads an owner to their chatbots instead.
    app.sign_up(&unique_email()).await;
    assert_eq!(location(app.get_page(&app.client, "/").await), "/chatbots");
}

async fn sign_up_and_sign_in_pages_render_labelled_forms(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app
        .get_page(&app.client, "/signup")
        .await
        .text()
        .await
        .expect("html");
    for needle in [
        r#"action="/api/sign_up""#,
        r#"<label for="field-email""#,
        r#"<label for="field-password""#,
        r#"<label for="field-workspace_name""#,
        "<title>Create your account · Viesti</title>",
    ] {
        assert!(page.contains(needle), "missing {needle}");
    }
    let login = app
        .get_page(&app.client, "/login")
        .await
        .text()
        .await
        .expect("html");
    assert!(login.contains(r#"action="/api/sign_in""#));
}

async fn unknown_addresses_get_a_404_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get_page(&app.client, "/no/such/page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let html = response.text().await.expect("html");
    assert!(html.contains("This page doesn"), "{html}");
    assert!(html.contains(r#"href="/chatbots""#));
}

async fn the_channels_page_lists_sms_and_the_widget(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_up(&unique_email()).await;
    let id = app.create_chatbot(&app.client, "Support bot").await;
    let response = app
        .get_page(
            &app.client,
            &format!("/chatbots/{id}/integrations/channels"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("html");
    for needle in [
        "Support bot",
        "Channels",
        "SMS (Twilio)",
        "Website widget",
        "Not connected",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
}

async fn another_workspaces_chatbot_page_answers_404(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_up(&unique_email()).await;
    let id = app.create_chatbot(&app.client, "Private").await;
    let intruder = app.other_tenant().await;
    for path in [
        format!("/chatbots/{id}"),
        format!("/chatbots/{id}/integrations/channels"),
    ] {
        let response = app.get_page(&intruder, &path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!response.text().await.expect("html").contains("Private"));
    }
}

/// Files in `public/` are served from the site root (cargo-leptos copies them to target/site).
async fn the_favicon_is_linked_from_every_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app
        .get_page(&app.client, "/login")
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(r#"<link rel="icon" type="image/svg+xml" href="/favicon.svg">"#),
        "{page}"
    );
}

on_both_databases!(
    the_favicon_is_linked_from_every_page,
    the_dashboard_sends_signed_out_visitors_to_sign_in,
    sign_up_and_sign_in_pages_render_labelled_forms,
    unknown_addresses_get_a_404_page,
    the_channels_page_lists_sms_and_the_widget,
    another_workspaces_chatbot_page_answers_404,
);
