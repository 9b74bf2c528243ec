use crate::helpers::{Backend, spawn_app, unique_email};
use crate::on_both_databases;
use reqwest::StatusCode;

async fn a_cross_site_form_post_is_refused_before_anything_changes(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_up(&unique_email()).await;
    // The victim's browser, carrying the session cookie, posts a form from another site.
    for headers in [
        vec![
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ],
        vec![("origin", "https://evil.example")],
    ] {
        let mut request = app
            .client
            .post(app.url("/api/chatbots_create"))
            .form(&[("name", "Planted"), ("system_prompt", "x")]);
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{headers:?}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM chatbots").await, 0);
}

async fn a_same_origin_browser_post_is_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sign_up(&unique_email()).await;
    let response = app
        .client
        .post(app.url("/api/chatbots_create"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", &app.address)
        .form(&[("name", "Mine"), ("system_prompt", "x")])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
}

on_both_databases!(
    a_cross_site_form_post_is_refused_before_anything_changes,
    a_same_origin_browser_post_is_accepted,
);
