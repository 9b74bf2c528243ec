use crate::helpers::{Backend, spawn_app};
use crate::on_both_databases;
use reqwest::StatusCode;

async fn healthz_answers_ok_while_the_database_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("body"), "ok");
}

async fn healthz_answers_503_when_the_database_is_gone(backend: Backend) {
    let app = spawn_app(backend).await;
    app.db.clone().close().await.expect("close pool");
    let response = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

async fn every_response_carries_a_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("request");
    let second = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .expect("request");
    let id = |r: &reqwest::Response| {
        r.headers()
            .get("x-request-id")
            .expect("x-request-id header")
            .to_str()
            .expect("ascii")
            .to_owned()
    };
    assert_eq!(id(&first).len(), 36, "a UUID");
    assert_ne!(id(&first), id(&second));
}

on_both_databases!(
    healthz_answers_ok_while_the_database_answers,
    healthz_answers_503_when_the_database_is_gone,
    every_response_carries_a_request_id,
);
