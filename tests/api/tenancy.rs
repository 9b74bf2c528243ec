//! Another workspace's ids are a 404 everywhere: every registered server function and every page
//! with an id in its path is called by a signed-in owner of another workspace with the ids of a
//! workspace that has a chatbot, an SMS connection, a conversation, a knowledge base with a document,
//! an invite and a teammate. The functions and pages are read from the app's own registries, so a new
//! one is walked too, and one that takes no ids must be named in `NO_FOREIGN_IDS` to be let through.
use crate::helpers::{Backend, json};
use crate::on_both_databases;
use crate::sms_pipeline::{connected, eventually};
use reqwest::StatusCode;
use std::collections::BTreeMap;

/// Server functions that read no other workspace's ids: they act on the caller's own session or
/// workspace (or on a secret link), so a 2xx from them tells the caller nothing about anyone else.
/// Those that would end or switch the caller's session are not called at all.
const NO_FOREIGN_IDS: &[&str] = &[
    "me",
    "chatbots_list",
    "chatbots_create",
    "inbox_list",
    "inbox_options",
    "inbox_counts",
    "team_get",
    "team_invite",
    "invite_get",
    "kb_list",
    "kb_create",
];
const NOT_CALLED: &[&str] = &[
    "sign_up",
    "sign_up_confirm",
    "sign_in",
    "sign_out",
    "invite_accept",
];

/// Each kind of id the other workspace has, by name.
type Ids = BTreeMap<&'static str, String>;

/// Every field any server function takes: the ids from `ids` (`id` set to `id_kind`'s), and a
/// valid value for everything else.
fn form(ids: &Ids, id_kind: &str, sms: &crate::sms_pipeline::Sms) -> Vec<(String, String)> {
    let id = ids[id_kind].clone();
    let mut fields = vec![
        ("id", id),
        ("chatbot_id", ids["chatbot"].clone()),
        ("message_id", ids["message"].clone()),
        ("base_id", ids["base"].clone()),
        ("base_ids[]", ids["base"].clone()),
        ("reply_segments", "3".into()),
        ("user_id", ids["member"].clone()),
        ("name", "Renamed".into()),
        ("system_prompt", "Be brief.".into()),
        ("body", "Hello from another workspace".into()),
        ("action", "resolve".into()),
        ("before", String::new()),
        ("origins", "https://example.com".into()),
        ("title", "A title".into()),
        ("text", "Some text for the knowledge base.".into()),
        ("role", "agent".into()),
        ("budget", "100".into()),
        ("customer", "+358401110000".into()),
        ("account_sid", sms.demo.account_sid.as_str().to_owned()),
        ("auth_token", sms.demo.auth_token.expose().to_owned()),
        ("phone_number", sms.demo.sms_number.as_str().to_owned()),
        ("friendly_name", String::new()),
        ("language", "english".into()),
        ("token", "x".repeat(43)),
    ];
    for filter in ["status", "channel", "chatbot", "assignee", "q", "cursor"] {
        fields.push((filter, String::new()));
    }
    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

async fn another_workspaces_ids_are_404_on_every_server_function_and_page(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let app = &sms.app;
    // The workspace whose ids are tried: a conversation with a reply, a knowledge base with a
    // document, a pending invite and a teammate.
    assert_eq!(sms.text("Hello").await, StatusCode::OK);
    eventually("the reply", || async { !sms.replies().is_empty() }).await;
    let mut ids = Ids::new();
    ids.insert("chatbot", sms.chatbot.clone());
    let blank: Vec<(&str, &str)> = ["status", "channel", "chatbot", "assignee", "q", "cursor"]
        .iter()
        .map(|f| (*f, ""))
        .collect();
    let rows = json(app.call("inbox_list", &blank).await).await;
    let conversation = rows["rows"][0]["id"]
        .as_str()
        .expect("a conversation")
        .to_owned();
    let view = json(
        app.call(
            "inbox_conversation",
            &[("id", &conversation), ("before", "")],
        )
        .await,
    )
    .await;
    ids.insert(
        "message",
        view["messages"][0]["id"]
            .as_str()
            .expect("a message")
            .to_owned(),
    );
    ids.insert("conversation", conversation);
    let base: String = app
        .call("kb_create", &[("name", "Ours"), ("language", "english")])
        .await
        .json()
        .await
        .expect("base id");
    let document: String = app
        .call(
            "kb_add_text",
            &[
                ("base_id", &base),
                ("title", "Hours"),
                ("text", "We open at nine."),
            ],
        )
        .await
        .json()
        .await
        .expect("document id");
    ids.insert("base", base);
    ids.insert("document", document);
    let invited = app.call("team_invite", &[("role", "agent")]).await;
    assert_eq!(invited.status(), StatusCode::OK);
    let team = json(app.call("team_get", &[]).await).await;
    ids.insert(
        "invite",
        team["invites"][0]["id"]
            .as_str()
            .expect("an invite")
            .to_owned(),
    );
    ids.insert(
        "member",
        team["members"][0]["user_id"]
            .as_str()
            .expect("a member")
            .to_owned(),
    );

    let intruder = app.other_tenant().await;
    let mut walked = 0;
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        let name = path.trim_start_matches("/api/");
        if NOT_CALLED.contains(&name) {
            continue;
        }
        walked += 1;
        let mut statuses = Vec::new();
        for kind in ids.keys() {
            let response = intruder
                .post(app.url(path))
                .form(&form(&ids, kind, &sms))
                .send()
                .await
                .expect("request");
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            assert!(
                !status.is_server_error(),
                "{name} with the {kind} id: {status} {body}"
            );
            if NO_FOREIGN_IDS.contains(&name) {
                for (other, id) in &ids {
                    assert!(
                        !body.contains(id.as_str()),
                        "{name} showed the {other} id: {body}"
                    );
                }
            } else {
                assert!(
                    !status.is_success(),
                    "{name} with another workspace's {kind} id answered {status}: {body} \
                     (a function that takes no ids belongs in NO_FOREIGN_IDS)"
                );
            }
            statuses.push(status);
        }
        if !NO_FOREIGN_IDS.contains(&name) {
            assert!(
                statuses.contains(&StatusCode::NOT_FOUND),
                "{name} never answered 404 to another workspace's ids: {statuses:?}"
            );
        }
    }
    assert!(
        walked > 30,
        "the registry holds the server functions ({walked})"
    );

    // Every page with an id in its path, with each kind of id.
    let routes = leptos_axum::generate_route_list(viesti::app::App);
    let mut pages = 0;
    for route in routes {
        let pattern = route.path().to_owned();
        let is_param = |part: &str| part.starts_with(':') || part.starts_with('{');
        // Secret links (an invite, a sign-up confirmation) name no workspace's ids.
        if !pattern.split('/').any(is_param)
            || pattern.starts_with("/invite/")
            || pattern.starts_with("/signup/confirm/")
        {
            continue;
        }
        pages += 1;
        let mut statuses = Vec::new();
        for (kind, id) in &ids {
            let path: String = pattern
                .split('/')
                .map(|part| {
                    if part.starts_with(':') {
                        id.as_str()
                    } else {
                        part
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let mut response = app.get_page(&intruder, &path).await;
            // A page that only forwards (`…/integrations` → `…/channels`) is judged by where it
            // leads.
            if response.status().is_redirection() {
                let location = response.headers()["location"]
                    .to_str()
                    .expect("ascii")
                    .to_owned();
                let target = if location.starts_with('/') {
                    location
                } else {
                    format!("{path}/{location}")
                };
                response = app.get_page(&intruder, &target).await;
            }
            let status = response.status();
            assert!(
                !status.is_success() || status == StatusCode::NOT_FOUND,
                "{path} (the {kind} id) answered {status}"
            );
            statuses.push(status);
        }
        assert!(
            statuses.contains(&StatusCode::NOT_FOUND),
            "{pattern} never answered 404: {statuses:?}"
        );
    }
    assert!(pages >= 8, "the route list holds the pages ({pages})");

    // And nothing of the workspace changed.
    let still = json(app.call("chatbots_get", &[("id", &sms.chatbot)]).await).await;
    assert_eq!(still["name"], "Support");
    assert_eq!(app.count("SELECT COUNT(*) FROM documents").await, 1);
}

on_both_databases!(another_workspaces_ids_are_404_on_every_server_function_and_page);
