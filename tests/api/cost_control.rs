//! What keeps the bot from spending the business's money on texts it should not send: a reply
//! budget per conversation, no answers to the workspace's own numbers or to automatic replies, and
//! the plan checked when the bot would answer, not only when SMS was connected.
use crate::helpers::Backend;
use crate::on_both_databases;
use crate::sms_pipeline::{Sms, connected, eventually};
use reqwest::StatusCode;
use std::sync::Arc;
use viesti::domain::E164;
use viesti::server::emulator::Direction;

/// Waits until every reply job is finished, then counts the bot's own SMS replies.
async fn settled_bot_replies(sms: &Sms, jobs: i64) -> i64 {
    eventually("every job finished", || async {
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state IN ('done', 'failed')")
            .await
            >= jobs
    })
    .await;
    sms.app
        .count("SELECT COUNT(*) FROM messages WHERE author = 'bot' AND direction = 'outbound'")
        .await
}

async fn events_saying(sms: &Sms, words: &str) -> i64 {
    sms.app
        .count(&format!(
            "SELECT COUNT(*) FROM messages WHERE direction = 'event' AND body LIKE '%{words}%'"
        ))
        .await
}

async fn the_bot_pauses_for_a_person_once_its_reply_budget_is_spent(backend: Backend) {
    let sms = connected(backend, &[("VIESTI_REPLY_BUDGET", "2")]).await;
    for (n, text) in ["One", "Two"].iter().enumerate() {
        assert_eq!(sms.text(text).await, StatusCode::OK);
        eventually("a reply", || async { sms.replies().len() == n + 1 }).await;
    }
    assert_eq!(sms.text("Three").await, StatusCode::OK);
    eventually("the conversation needs a person", || async {
        sms.app
            .count("SELECT COUNT(*) FROM conversations WHERE status = 'needs_human'")
            .await
            == 1
    })
    .await;
    assert_eq!(settled_bot_replies(&sms, 3).await, 2, "no third bot reply");
    assert_eq!(events_saying(&sms, "reply budget").await, 1);
    // The customer is told once that a person will answer, as on any escalation.
    eventually("the notice", || async { sms.replies().len() == 3 }).await;
}

async fn a_text_from_the_workspaces_own_number_is_not_answered(backend: Backend) {
    let sms = connected(backend, &[]).await;
    // The business's number texts itself: what two of a workspace's bots texting each other look like.
    let own = sms.demo.sms_number.clone();
    let status = sms
        .emulator
        .send_inbound(&own, &sms.demo.sms_number, "Hello from ourselves", &[])
        .await
        .expect("delivered");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(settled_bot_replies(&sms, 1).await, 0);
    assert_eq!(events_saying(&sms, "own Twilio numbers").await, 1);
    assert!(
        sms.emulator
            .messages()
            .iter()
            .all(|m| m.direction != Direction::OutboundApi),
        "nothing sent"
    );
}

async fn an_automatic_reply_is_not_answered(backend: Backend) {
    let sms = connected(backend, &[]).await;
    assert_eq!(
        sms.text("Auto-reply: I'm away until Monday").await,
        StatusCode::OK
    );
    assert_eq!(settled_bot_replies(&sms, 1).await, 0);
    assert_eq!(events_saying(&sms, "automatic reply").await, 1);
    assert!(sms.replies().is_empty());
    // An ordinary text in the same conversation is answered.
    assert_eq!(sms.text("Are you open today?").await, StatusCode::OK);
    eventually("a reply", || async { sms.replies().len() == 1 }).await;
}

async fn a_workspace_moved_below_starter_stops_answering_and_is_told(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &sms.app.db,
        "UPDATE workspaces SET plan = 'free'",
    )
    .await
    .expect("downgraded");
    assert_eq!(sms.text("Anyone there?").await, StatusCode::OK);
    assert_eq!(settled_bot_replies(&sms, 1).await, 0);
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'")
            .await,
        1,
        "the text is kept"
    );
    assert_eq!(events_saying(&sms, "plan no longer includes SMS").await, 1);
    assert!(sms.replies().is_empty());
    let chatbot = &sms.chatbot;
    let page = sms
        .app
        .get_page(
            &sms.app.client,
            &format!("/chatbots/{chatbot}/integrations/channels/sms"),
        )
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("The chatbot no longer answers texts"),
        "the settings page tells the owner"
    );
}

async fn budget_settings(sms: &Sms) -> serde_json::Value {
    crate::helpers::json(
        sms.app
            .call("sms_settings", &[("chatbot_id", sms.chatbot.as_str())])
            .await,
    )
    .await
}

async fn set_budget(sms: &Sms, budget: &str) -> StatusCode {
    sms.app
        .call(
            "sms_daily_budget",
            &[("chatbot_id", sms.chatbot.as_str()), ("budget", budget)],
        )
        .await
        .status()
}

/// The workspace's daily segment budget is shown with today's use, can be changed by an owner, and
/// once spent the bot answers no more texts that day (the thread says why).
async fn the_daily_segment_budget_is_shown_editable_and_stops_the_bot_once_spent(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let settings = budget_settings(&sms).await;
    assert_eq!(settings["daily_segment_budget"], 10_000);
    assert_eq!(settings["segments_today"], 0);
    assert_eq!(
        set_budget(&sms, "lots").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        set_budget(&sms, "0").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(set_budget(&sms, "1").await, StatusCode::OK);
    assert_eq!(budget_settings(&sms).await["daily_segment_budget"], 1);

    assert_eq!(sms.text("Hello").await, StatusCode::OK);
    eventually("a reply", || async { sms.replies().len() == 1 }).await;
    eventually("the segment counted", || async {
        budget_settings(&sms).await["segments_today"] == 1
    })
    .await;
    assert_eq!(sms.text("Again").await, StatusCode::OK);
    assert_eq!(
        settled_bot_replies(&sms, 2).await,
        1,
        "no reply over the budget"
    );
    assert_eq!(events_saying(&sms, "daily budget of SMS segments").await, 1);
    let page = sms
        .app
        .get_page(
            &sms.app.client,
            &format!("/chatbots/{}/integrations/channels/sms", sms.chatbot),
        )
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("Today: 1 of 1 segments"),
        "shown on the settings page"
    );

    assert_eq!(set_budget(&sms, "10 000").await, StatusCode::OK);
    assert_eq!(sms.text("Third time").await, StatusCode::OK);
    eventually("a reply under the raised budget", || async {
        sms.replies().len() == 2
    })
    .await;
}

on_both_databases!(
    the_bot_pauses_for_a_person_once_its_reply_budget_is_spent,
    a_text_from_the_workspaces_own_number_is_not_answered,
    an_automatic_reply_is_not_answered,
    a_workspace_moved_below_starter_stops_answering_and_is_told,
    the_daily_segment_budget_is_shown_editable_and_stops_the_bot_once_spent,
);

/// A person's text is checked against the plan when it is queued and again when it would be sent.
async fn a_persons_text_is_not_sent_once_the_plan_no_longer_includes_sms(backend: Backend) {
    // No worker here: the jobs wait until another instance's workers take them.
    let sms = connected(backend, &[("VIESTI_WORKERS", "0")]).await;
    assert_eq!(sms.text("Anyone there?").await, StatusCode::OK);
    let id = sms.only_conversation().await;
    let queued = sms
        .app
        .call("inbox_reply", &[("id", &id), ("body", "A person here")])
        .await;
    assert_eq!(queued.status(), StatusCode::OK);

    sea_orm::ConnectionTrait::execute_unprepared(
        &sms.app.db,
        "UPDATE workspaces SET plan = 'free'",
    )
    .await
    .expect("downgraded");
    let refused = sms
        .app
        .call("inbox_reply", &[("id", &id), ("body", "Still here")])
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(
        refused
            .text()
            .await
            .expect("text")
            .contains("plan no longer includes SMS"),
        "the person is told why"
    );
    let view: serde_json::Value = sms
        .app
        .call("inbox_conversation", &[("id", &id), ("before", "")])
        .await
        .json()
        .await
        .expect("json");
    assert!(
        view["composer"]
            .to_string()
            .contains("plan no longer includes SMS"),
        "the composer says why: {}",
        view["composer"]
    );

    sms.another_instance(&[]).await;
    eventually("the queued text is given up", || async {
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE body = 'A person here' AND status = 'canceled'")
            .await
            == 1
    })
    .await;
    assert_eq!(settled_bot_replies(&sms, 2).await, 0);
    assert_eq!(events_saying(&sms, "then send it again").await, 1);
    assert!(sms.replies().is_empty(), "nothing reached the customer");
}

on_both_databases!(a_persons_text_is_not_sent_once_the_plan_no_longer_includes_sms);

/// Connects another workspace's chatbot to a Twilio account and number of its own, with its
/// webhook pointed at the app; returns that number.
async fn another_workspace_receiving_texts(sms: &Sms) -> E164 {
    let (sid, token, number) = (
        "AC77777777777777777777777777777777",
        "77777777777777777777777777777777",
        "+358407000777",
    );
    let (other, chatbot) = sms.another_workspace_connected(sid, token, number).await;
    let configured = sms
        .app
        .call_as(&other, "sms_configure_webhook", &[("chatbot_id", &chatbot)])
        .await;
    assert_eq!(configured.status(), StatusCode::OK);
    E164::parse(number).expect("number")
}

/// One workspace floods its number with 300 texts; another workspace's one text, queued after all
/// of them, is answered among the first replies instead of after the flood.
async fn one_flooded_workspace_does_not_hold_up_anothers_replies(backend: Backend) {
    // Everything is queued first (no worker here), then one instance's workers take it all.
    let sms = Arc::new(
        connected(
            backend,
            &[("VIESTI_WORKERS", "0"), ("VIESTI_REPLY_BUDGET", "1000")],
        )
        .await,
    );
    let theirs = another_workspace_receiving_texts(&sms).await;
    let mut flood = tokio::task::JoinSet::new();
    for lane in 0..30 {
        let sms = Arc::clone(&sms);
        flood.spawn(async move {
            for n in 0..10 {
                let customer = E164::parse(&format!("+35850888{lane:02}{n:02}")).expect("number");
                let status = sms
                    .emulator
                    .send_inbound(&customer, &sms.demo.sms_number, "Where is my order?", &[])
                    .await
                    .expect("sent");
                assert_eq!(status, StatusCode::OK);
            }
        });
    }
    while let Some(done) = flood.join_next().await {
        done.expect("flood");
    }
    let their_customer = E164::parse("+358409990000").expect("number");
    let status = sms
        .emulator
        .send_inbound(&their_customer, &theirs, "Hello?", &[])
        .await
        .expect("sent");
    assert_eq!(status, StatusCode::OK);

    sms.another_instance(&[("VIESTI_WORKERS", "1"), ("VIESTI_REPLY_BUDGET", "1000")])
        .await;
    let sent = || sms.all_replies();
    eventually("their reply", || async {
        sent().iter().any(|m| m.to == their_customer)
    })
    .await;
    let position = sent()
        .iter()
        .position(|m| m.to == their_customer)
        .expect("their reply");
    // In arrival order it would be the 301st (one worker has 32 replies in flight at a time). Its
    // turn is the moment it came; the flood's turns are spread 10 ms apart from its first text, so
    // it goes behind only the flood's texts that came faster than that: fewer than 200 of them as
    // long as the flood comes in faster than 150 texts a second.
    assert!(
        position < 200,
        "their reply was sent after {position} of the flood's"
    );
    eventually("the flood answered too", || async { sent().len() == 301 }).await;
}

on_both_databases!(one_flooded_workspace_does_not_hold_up_anothers_replies);
