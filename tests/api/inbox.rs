//! The inbox, driven the way the pages drive it (server functions) and the way Twilio does (the
//! emulator texting the webhook): listing, filters, search, keyset pages, staff actions, replies,
//! retries, escalation, isolation between workspaces, and live updates.
use crate::helpers::{Backend, json};
use crate::on_both_databases;
use crate::sms_pipeline::{Sms, connected, customer, eventually};
use chrono::{Duration as Span, Utc};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;
use viesti::domain::E164;
use viesti::server::emulator::{CreateFault, DeliveryOutcome, Direction};
use viesti::server::entities::conversation;

const FILTERS: [&str; 6] = ["status", "channel", "chatbot", "assignee", "q", "cursor"];

impl Sms {
    /// `inbox_list` with some filters set (the rest blank), as the owner.
    async fn list(&self, set: &[(&str, &str)]) -> Value {
        self.list_as(&self.app.client, set).await
    }

    async fn list_as(&self, client: &reqwest::Client, set: &[(&str, &str)]) -> Value {
        let response = self.list_response(client, set).await;
        assert_eq!(response.status(), StatusCode::OK, "inbox_list {set:?}");
        json(response).await
    }

    /// `inbox_list` with some filters set and the rest blank, whatever it answers.
    async fn list_response(
        &self,
        client: &reqwest::Client,
        set: &[(&str, &str)],
    ) -> reqwest::Response {
        let form: Vec<(&str, &str)> = FILTERS
            .iter()
            .map(|key| {
                let value = set.iter().find(|(k, _)| k == key).map_or("", |(_, v)| *v);
                (*key, value)
            })
            .collect();
        self.app.call_as(client, "inbox_list", &form).await
    }

    async fn conversation(&self, id: &str) -> Value {
        let response = self
            .app
            .call("inbox_conversation", &[("id", id), ("before", "")])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        json(response).await
    }

    async fn act(&self, id: &str, action: &str) -> StatusCode {
        self.app
            .call("inbox_act", &[("id", id), ("action", action)])
            .await
            .status()
    }

    /// The only conversation's id (after the first text).
    pub(crate) async fn only_conversation(&self) -> String {
        let rows = self.list(&[]).await["rows"].clone();
        assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
        rows[0]["id"].as_str().expect("id").to_owned()
    }

    async fn text_from(&self, from: &str, body: &str) {
        let status = self
            .emulator
            .send_inbound(
                &E164::parse(from).expect("number"),
                &self.demo.sms_number,
                body,
                &[],
            )
            .await
            .expect("delivered");
        assert_eq!(status, StatusCode::OK);
    }

    fn replies_to(&self, to: &str) -> Vec<String> {
        let to = E164::parse(to).expect("number");
        self.emulator
            .messages()
            .into_iter()
            .filter(|m| m.direction == Direction::OutboundApi && m.to == to)
            .map(|m| m.body)
            .collect()
    }
}

fn ids(page: &Value) -> Vec<String> {
    page["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The id of the row whose customer reads `customer`.
fn row_of(page: &Value, customer: &str) -> String {
    page["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["customer"] == customer)
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("no row for {customer}: {page}"))
        .to_owned()
}

fn bodies(view: &Value) -> Vec<String> {
    view["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["body"].as_str().expect("body").to_owned())
        .collect()
}

async fn every_conversation_is_listed_newest_first_with_its_badge_preview_and_unread_mark(
    backend: Backend,
) {
    let sms = connected(backend, &[]).await;
    sms.text_from("+358501111111", "First customer here").await;
    sms.text_from("+358502222222", "Second customer, a question about refunds")
        .await;
    eventually("both answered", || async {
        sms.replies_to("+358501111111").len() == 1 && sms.replies_to("+358502222222").len() == 1
    })
    .await;
    // The bot's answer to this one is held at the model, so the list shows the customer's text.
    *sms.model.delay.lock().expect("lock") = Duration::from_secs(5);
    sms.text_from("+358501111111", "And one more thing").await;

    let page = sms.list(&[]).await;
    let rows = page["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0]["customer"], "+358 50 1111111",
        "newest activity first"
    );
    assert_eq!(rows[0]["preview"], "And one more thing");
    assert_eq!(rows[0]["channel"], "Sms");
    assert_eq!(
        rows[0]["channel_detail"], "+358 40 1234567",
        "the number, as no friendly name was set"
    );
    assert_eq!(rows[0]["chatbot_name"], "Support");
    assert_eq!(rows[0]["status"], "Bot");
    assert_eq!(rows[0]["unread"], true);
    assert_eq!(rows[0]["assignee"], Value::Null);
    assert_eq!(rows[1]["customer"], "+358 50 2222222");
    assert!(page["next_cursor"].is_null());

    // Opening a conversation marks it read for the team.
    let id = rows[0]["id"].as_str().expect("id").to_owned();
    let view = sms.conversation(&id).await;
    assert_eq!(view["customer_number"], "+358 50 1111111");
    let page = sms.list(&[]).await;
    assert_eq!(page["rows"][0]["unread"], false);
    assert_eq!(page["rows"][1]["unread"], true);
}

async fn filters_narrow_the_list_by_status_channel_chatbot_and_assignee(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.text_from("+358501111111", "Hello").await;
    sms.text_from("+358502222222", "Hi there").await;
    let all = sms.list(&[]).await;
    let taken = all["rows"][0]["id"].as_str().expect("id").to_owned();
    let other = all["rows"][1]["id"].as_str().expect("id").to_owned();
    assert_eq!(sms.act(&taken, "take_over").await, StatusCode::OK);

    assert_eq!(
        ids(&sms.list(&[("status", "human")]).await),
        vec![taken.clone()]
    );
    assert_eq!(
        ids(&sms.list(&[("status", "bot")]).await),
        vec![other.clone()]
    );
    assert!(ids(&sms.list(&[("status", "resolved")]).await).is_empty());
    assert_eq!(ids(&sms.list(&[("channel", "sms")]).await).len(), 2);
    assert!(ids(&sms.list(&[("channel", "web")]).await).is_empty());
    assert_eq!(
        ids(&sms.list(&[("assignee", "me")]).await),
        vec![taken.clone()]
    );
    assert_eq!(
        ids(&sms.list(&[("assignee", "none")]).await),
        vec![other.clone()]
    );

    let options = json(sms.app.call("inbox_options", &[]).await).await;
    let chatbot = options["chatbots"][0][0]
        .as_str()
        .expect("chatbot id")
        .to_owned();
    let me = options["teammates"][0][0]
        .as_str()
        .expect("teammate id")
        .to_owned();
    assert_eq!(
        ids(&sms.list(&[("assignee", &me)]).await),
        vec![taken.clone()]
    );
    assert_eq!(ids(&sms.list(&[("chatbot", &chatbot)]).await).len(), 2);
    let another_bot = sms
        .app
        .create_chatbot(&sms.app.client, "Sales")
        .await
        .to_string();
    assert!(ids(&sms.list(&[("chatbot", &another_bot)]).await).is_empty());

    // A filter value that is not one of the choices is a clear error, never a 500.
    let bad = sms
        .list_response(&sms.app.client, &[("status", "open")])
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Two answered customers: one asking about a parcel in `parcel_text`, one about gift cards; with
/// the ids of their conversations.
async fn parcel_and_gift(backend: Backend, parcel_text: &str) -> (Sms, String, String) {
    let sms = connected(backend, &[]).await;
    sms.text_from("+358501111111", parcel_text).await;
    sms.text_from("+358502222222", "Do you sell gift cards")
        .await;
    eventually("replies", || async {
        sms.replies_to("+358501111111").len() == 1 && sms.replies_to("+358502222222").len() == 1
    })
    .await;
    let all = sms.list(&[]).await;
    let parcel = row_of(&all, "+358 50 1111111");
    let gift = row_of(&all, "+358 50 2222222");
    (sms, parcel, gift)
}

async fn search_finds_a_phone_number_a_name_or_words_from_any_message(backend: Backend) {
    let (sms, parcel, gift) = parcel_and_gift(backend, "Where is my PARCEL number 42?").await;

    assert_eq!(
        ids(&sms.list(&[("q", "parcel")]).await),
        vec![parcel.clone()],
        "any case"
    );
    assert_eq!(
        ids(&sms.list(&[("q", "ift car")]).await),
        vec![gift.clone()],
        "inside words"
    );
    assert_eq!(
        ids(&sms.list(&[("q", "050 222")]).await),
        Vec::<String>::new(),
        "the stored number has no trunk zero"
    );
    assert_eq!(ids(&sms.list(&[("q", "50 222")]).await), vec![gift.clone()]);
    assert_eq!(
        ids(&sms.list(&[("q", "+358 50 111")]).await),
        vec![parcel.clone()]
    );
    // The bot's words are found too ("Echo: …" from the model double).
    assert_eq!(
        ids(&sms.list(&[("q", "echo: do you")]).await),
        vec![gift.clone()]
    );
    // LIKE's wildcards are literal.
    assert!(ids(&sms.list(&[("q", "%%%")]).await).is_empty());

    let named = sms
        .app
        .call(
            "inbox_rename",
            &[("id", &parcel), ("name", "Maija Meikäläinen")],
        )
        .await;
    assert_eq!(named.status(), StatusCode::OK);
    assert_eq!(
        ids(&sms.list(&[("q", "maija")]).await),
        vec![parcel.clone()]
    );
    assert_eq!(row_of(&sms.list(&[]).await, "Maija Meikäläinen"), parcel);
    // A new name replaces the old one in the search too.
    let renamed = sms
        .app
        .call("inbox_rename", &[("id", &parcel), ("name", "Liisa Laine")])
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    assert!(ids(&sms.list(&[("q", "maija")]).await).is_empty());
    assert_eq!(
        ids(&sms.list(&[("q", "isa lai")]).await),
        vec![parcel.clone()]
    );

    let too_short = sms.list_response(&sms.app.client, &[("q", "ab")]).await;
    assert_eq!(too_short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json(too_short)
            .await
            .to_string()
            .contains("at least 3 characters")
    );
}

/// A text in thousands of messages is searched another way (the conversations walked newest first
/// rather than every match gathered and sorted): the answer is the same.
async fn a_search_for_a_common_word_finds_the_same_conversations(backend: Backend) {
    let (sms, parcel, gift) = parcel_and_gift(backend, "Where is my parcel?").await;
    // 2,500 more texts in the parcel conversation, all asking about the shipment.
    let copies = "id, workspace_id, conversation_id, direction, author, body, twilio_sid, status, \
                  error_code, segments, encoding, attachments_dropped, in_reply_to, created_at, \
                  updated_at, author_user_id";
    let first = "(SELECT m.id FROM messages m WHERE m.direction = 'inbound' AND m.body = 'Where is my parcel?')";
    let sql = match backend {
        Backend::Postgres => format!(
            "INSERT INTO messages ({copies}) SELECT gen_random_uuid(), workspace_id, conversation_id, \
               direction, author, 'Any news on the SHIPMENT ' || n, NULL, status, error_code, segments, \
               encoding, attachments_dropped, NULL, created_at, updated_at, author_user_id \
             FROM messages, generate_series(1, 2500) AS n WHERE id = {first}"
        ),
        Backend::Sqlite => format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500) \
             INSERT INTO messages ({copies}) SELECT randomblob(16), workspace_id, conversation_id, \
               direction, author, 'Any news on the SHIPMENT ' || i, NULL, status, error_code, segments, \
               encoding, attachments_dropped, NULL, created_at, updated_at, author_user_id \
             FROM messages, n WHERE id = {first}"
        ),
    };
    sms.app.db_execute(&sql).await;
    if matches!(backend, Backend::Postgres) {
        // PostgreSQL goes by its planner's estimate, which needs the table's statistics.
        sms.app.db_execute("ANALYZE messages").await;
    }
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE LOWER(body) LIKE '%shipment%'")
            .await,
        2_500
    );
    assert_eq!(
        ids(&sms.list(&[("q", "shipment")]).await),
        vec![parcel.clone()],
        "a common word, any case"
    );
    assert_eq!(
        ids(&sms.list(&[("q", "shipment 17")]).await),
        vec![parcel.clone()]
    );
    assert_eq!(
        ids(&sms.list(&[("q", "gift car")]).await),
        vec![gift.clone()]
    );
    // Both conversations have the bot's "Echo: " in them; one has it thousands of times fewer.
    let mut both = ids(&sms.list(&[("q", "echo")]).await);
    both.sort();
    let mut expected = vec![parcel.clone(), gift.clone()];
    expected.sort();
    assert_eq!(both, expected);
    // The common path keeps the other filters and finds names too.
    let named = sms
        .app
        .call("inbox_rename", &[("id", &gift), ("name", "Shipment Desk")])
        .await;
    assert_eq!(named.status(), StatusCode::OK);
    let mut found = ids(&sms.list(&[("q", "shipment")]).await);
    found.sort();
    assert_eq!(found, expected, "the name matches as well");
    assert_eq!(
        ids(&sms.list(&[("q", "shipment"), ("channel", "web")]).await),
        Vec::<String>::new()
    );
}

async fn keyset_pages_cover_every_conversation_once_even_with_equal_times(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.text_from("+358501111111", "Seed").await;
    let seed = sms.only_conversation().await;
    let template = conversation::Entity::find_by_id(Uuid::parse_str(&seed).expect("uuid"))
        .one(&sms.app.db)
        .await
        .expect("query")
        .expect("found");
    // 119 more, in groups of four sharing one time, so ties are broken by id.
    let base = Utc::now() - Span::hours(1);
    for i in 0..119i64 {
        conversation::ActiveModel {
            id: Set(Uuid::new_v4()),
            workspace_id: Set(template.workspace_id),
            chatbot_id: Set(template.chatbot_id),
            channel: Set("sms".into()),
            customer_address: Set(format!("+3585090{i:05}")),
            business_number: Set(template.business_number.clone()),
            status: Set("bot".into()),
            created_at: Set(base),
            last_message_at: Set(base + Span::seconds(i / 4)),
            assignee_id: Set(None),
            customer_name: Set(None),
            last_message_preview: Set(format!("Message {i}")),
            last_inbound_at: Set(None),
            seen_at: Set(None),
        }
        .insert(&sms.app.db)
        .await
        .expect("insert");
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let page = sms.list(&[("cursor", &cursor)]).await;
        pages += 1;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 3, "50 + 50 + 20");
    assert_eq!(seen.len(), 120);
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 120, "no row twice");
    assert_eq!(seen[0], seed, "the newest first");

    let bad = sms
        .list_response(&sms.app.client, &[("cursor", "garbage")])
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn take_over_hand_back_resolve_and_reopen_move_the_conversation_and_say_so(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.text("Hello").await;
    eventually("the bot's reply", || async { sms.replies().len() == 1 }).await;
    let id = sms.only_conversation().await;

    assert_eq!(
        sms.act(&id, "hand_back").await,
        StatusCode::CONFLICT,
        "the bot has it already"
    );
    assert_eq!(sms.act(&id, "reopen").await, StatusCode::CONFLICT);
    assert_eq!(sms.act(&id, "fly").await, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(sms.act(&id, "take_over").await, StatusCode::OK);
    let view = sms.conversation(&id).await;
    assert_eq!(view["status"], "Human");
    assert_eq!(view["assigned_to_me"], true);
    let events: Vec<String> = view["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["kind"] == "Event")
        .map(|m| m["body"].as_str().expect("body").to_owned())
        .collect();
    assert!(
        events[0].ends_with("took over the conversation."),
        "{events:?}"
    );

    assert_eq!(sms.act(&id, "hand_back").await, StatusCode::OK);
    let view = sms.conversation(&id).await;
    assert_eq!(
        (view["status"].clone(), view["assignee"].clone()),
        ("Bot".into(), Value::Null)
    );

    assert_eq!(sms.act(&id, "resolve").await, StatusCode::OK);
    assert_eq!(sms.conversation(&id).await["status"], "Resolved");
    assert_eq!(sms.act(&id, "resolve").await, StatusCode::CONFLICT);
    assert_eq!(sms.act(&id, "reopen").await, StatusCode::OK);
    let view = sms.conversation(&id).await;
    assert_eq!(
        (view["status"].clone(), view["assigned_to_me"].clone()),
        ("Human".into(), true.into())
    );

    // A customer's new message reopens a resolved conversation for the bot, which answers it.
    assert_eq!(sms.act(&id, "resolve").await, StatusCode::OK);
    sms.text("One more question").await;
    eventually("the bot answers again", || async {
        sms.replies().len() == 2
    })
    .await;
    let view = sms.conversation(&id).await;
    assert_eq!(view["status"], "Bot");
    assert_eq!(view["assignee"], Value::Null);
    // The notes in the thread are for staff: the model sees only what was said.
    let asked = sms
        .model
        .requests
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("a request");
    let said = asked["messages"].to_string();
    assert!(
        !said.contains("took over") && !said.contains("resolved"),
        "{said}"
    );
    assert!(said.contains("One more question"));
}

async fn the_bot_sends_nothing_while_a_person_holds_the_conversation(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.text("First").await;
    eventually("the first reply", || async { sms.replies().len() == 1 }).await;
    let id = sms.only_conversation().await;
    assert_eq!(sms.act(&id, "take_over").await, StatusCode::OK);
    sms.text("Second").await;
    sms.text("Third").await;
    // A reply job would have been written with each text, before the webhook's 200.
    assert_eq!(
        sms.app.count("SELECT COUNT(*) FROM jobs").await,
        1,
        "no reply job after the take-over"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sms.replies().len(), 1, "no bot reply after the take-over");
    let view = sms.conversation(&id).await;
    assert_eq!(
        bodies(&view)
            .iter()
            .filter(|b| b.starts_with("Echo"))
            .count(),
        1
    );
}

async fn a_reply_in_flight_when_a_person_takes_over_is_not_sent_and_the_thread_says_so(
    backend: Backend,
) {
    let sms = connected(backend, &[]).await;
    *sms.model.delay.lock().expect("lock") = Duration::from_millis(1500);
    sms.text("Slow question").await;
    // The worker is waiting for the model. (A claimed job is not enough: a take-over that lands
    // before the worker has read the conversation rightly keeps the bot from asking at all.)
    eventually("the model asked", || async {
        !sms.model.requests.lock().expect("lock").is_empty()
    })
    .await;
    let id = sms.only_conversation().await;
    assert_eq!(sms.act(&id, "take_over").await, StatusCode::OK);
    eventually("the job finished", || async {
        sms.app
            .count("SELECT COUNT(*) FROM jobs WHERE state = 'done'")
            .await
            == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sms.replies().is_empty(), "nothing reached Twilio");
    let view = sms.conversation(&id).await;
    let reply = view["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["kind"] == "Bot")
        .expect("the bot's reply is in the thread")
        .clone();
    assert_eq!(reply["delivery"]["state"], "NotSent");
    assert!(
        reply["delivery"]["reason"]
            .as_str()
            .expect("reason")
            .contains("took over")
    );
    assert!(
        view.to_string()
            .contains("The bot's reply was not sent: a person took over")
    );
}

async fn a_customer_who_asks_for_a_person_is_escalated_and_told_once(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.text("Can I talk to a human please?").await;
    eventually("the notice", || async { sms.replies().len() == 1 }).await;
    assert_eq!(
        sms.replies()[0].body,
        viesti::server::repo::conversations::PERSON_COMING
    );
    assert!(
        sms.model.requests.lock().expect("lock").is_empty(),
        "the bot was not asked"
    );
    let id = sms.only_conversation().await;
    let view = sms.conversation(&id).await;
    assert_eq!(view["status"], "NeedsHuman");
    let counts = json(sms.app.call("inbox_counts", &[]).await).await;
    assert_eq!(counts["needs_person"], 1);
    assert_eq!(
        ids(&sms.list(&[("status", "needs_human")]).await),
        vec![id.clone()]
    );

    sms.text("agent").await;
    sms.text("hello??").await;
    // Only the notice's job: none for the texts that came while a person is wanted.
    assert_eq!(sms.app.count("SELECT COUNT(*) FROM jobs").await, 1);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sms.replies().len(), 1, "told once, and the bot stays quiet");
    assert!(sms.model.requests.lock().expect("lock").is_empty());

    assert_eq!(sms.act(&id, "take_over").await, StatusCode::OK);
    let counts = json(sms.app.call("inbox_counts", &[]).await).await;
    assert_eq!(counts["needs_person"], 0);
}

async fn a_teammate_reply_goes_out_from_the_business_number_and_is_tracked(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.text("Hei").await;
    eventually("the bot's reply", || async { sms.replies().len() == 1 }).await;
    let id = sms.only_conversation().await;

    let empty = sms
        .app
        .call("inbox_reply", &[("id", &id), ("body", "   ")])
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let long = "a".repeat(1601);
    let too_long = sms
        .app
        .call("inbox_reply", &[("id", &id), ("body", &long)])
        .await;
    assert_eq!(too_long.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let sent = sms
        .app
        .call(
            "inbox_reply",
            &[("id", &id), ("body", "Kiitos viestistä! 🙂 Palaan asiaan.")],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::OK);
    eventually("the teammate's text at Twilio", || async {
        sms.replies().len() == 2
    })
    .await;
    let text = sms.replies()[1].clone();
    assert_eq!(text.from, sms.demo.sms_number);
    assert_eq!(text.to, customer());
    assert_eq!(text.body, "Kiitos viestistä! 🙂 Palaan asiaan.");
    eventually("delivered", || async {
        sms.conversation(&id).await["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .any(|m| m["kind"] == "Teammate" && m["delivery"]["state"] == "Delivered")
    })
    .await;
    let view = sms.conversation(&id).await;
    let mine = view["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["kind"] == "Teammate")
        .expect("the reply")
        .clone();
    assert_eq!(mine["delivery"]["encoding"], "UCS-2");
    assert_eq!(mine["delivery"]["segments"], 1);
    assert!(
        mine["author"]
            .as_str()
            .expect("author")
            .ends_with("@example.com")
    );
    assert_eq!(
        view["status"], "Human",
        "replying took the conversation over"
    );
    assert_eq!(view["assigned_to_me"], true);
}

async fn a_failed_reply_shows_its_reason_in_words_and_can_be_sent_again(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.emulator
        .set_delivery_outcome(&customer(), DeliveryOutcome::Undelivered(30003));
    sms.text("Are you open?").await;
    let id = sms.only_conversation().await;
    let failed = || async {
        sms.conversation(&id).await["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .find(|m| m["kind"] == "Bot" && m["delivery"]["state"] == "Undelivered")
            .cloned()
    };
    eventually("the reply undelivered", || async {
        failed().await.is_some()
    })
    .await;
    let reply = failed().await.expect("failed reply");
    assert_eq!(
        reply["delivery"]["reason"],
        "The customer's phone is unreachable (switched off or out of coverage)."
    );
    assert_eq!(reply["delivery"]["error_code"], 30003);
    assert_eq!(
        reply["delivery"]["error_link"], "https://www.twilio.com/docs/errors/30003",
        "a status callback carries only the code: the link is Twilio's page for it"
    );
    assert_eq!(reply["delivery"]["can_retry"], true);
    let page = sms
        .app
        .get_page(&sms.app.client, &format!("/inbox/{id}"))
        .await
        .text()
        .await
        .expect("html");
    assert!(
        page.contains(r#"href="https://www.twilio.com/docs/errors/30003""#),
        "the thread links to Twilio's page about the error"
    );

    sms.emulator
        .set_delivery_outcome(&customer(), DeliveryOutcome::Delivered);
    let message_id = reply["id"].as_str().expect("id").to_owned();
    let retried = sms
        .app
        .call("inbox_retry", &[("message_id", &message_id)])
        .await;
    assert_eq!(retried.status(), StatusCode::OK);
    eventually("the retry delivered", || async {
        sms.conversation(&id).await["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .any(|m| m["kind"] == "Bot" && m["delivery"]["state"] == "Delivered")
    })
    .await;
    assert_eq!(sms.replies().len(), 2);
    assert_eq!(sms.replies()[1].body, sms.replies()[0].body);

    // A delivered text cannot be "retried".
    let view = sms.conversation(&id).await;
    let delivered = view["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .find(|m| m["delivery"]["state"] == "Delivered")
        .expect("delivered")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let again = sms
        .app
        .call("inbox_retry", &[("message_id", &delivered)])
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

/// Twilio refused the send outright (a 400 with its error body): the thread says why in words,
/// with Twilio's code and the `more_info` page its answer named, kept with the message.
async fn a_send_twilio_refused_keeps_twilios_more_info_page(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.emulator.push_create_fault(CreateFault::ServerError {
        status: 400,
        code: 21408,
    });
    sms.text("Hello from abroad").await;
    let id = sms.only_conversation().await;
    let failed = || async {
        sms.conversation(&id).await["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .find(|m| m["kind"] == "Bot" && m["delivery"]["state"] == "Failed")
            .cloned()
    };
    eventually("the reply failed", || async { failed().await.is_some() }).await;
    let reply = failed().await.expect("failed reply");
    assert_eq!(reply["delivery"]["error_code"], 21408);
    assert_eq!(
        reply["delivery"]["error_link"],
        "https://www.twilio.com/docs/errors/21408"
    );
    assert_eq!(
        sms.app
            .count("SELECT COUNT(*) FROM messages WHERE error_link = 'https://www.twilio.com/docs/errors/21408'")
            .await,
        1,
        "Twilio's more_info is stored with the message"
    );
    assert!(sms.replies().is_empty());
}

async fn an_opted_out_customer_cannot_be_texted_and_the_view_says_why(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.text("Hello").await;
    eventually("the bot's reply", || async { sms.replies().len() == 1 }).await;
    sms.text("STOP").await;
    let id = sms.only_conversation().await;
    let view = sms.conversation(&id).await;
    assert!(view["opted_out_since"].is_object(), "{view}");
    let closed = view["composer"]["Closed"].as_str().expect("closed");
    assert!(closed.contains("texted STOP"), "{closed}");
    let refused = sms
        .app
        .call("inbox_reply", &[("id", &id), ("body", "Hi?")])
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(json(refused).await.to_string().contains("texted STOP"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sms.replies().len(), 1);
}

async fn a_picture_shows_as_an_attachment_the_bot_did_not_get(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.emulator
        .send_inbound(
            &customer(),
            &sms.demo.sms_number,
            "Here is the receipt",
            &[("https://example.com/r.jpg".into(), "image/jpeg".into())],
        )
        .await
        .expect("delivered");
    let id = sms.only_conversation().await;
    let view = sms.conversation(&id).await;
    let first = &view["messages"][0];
    assert_eq!(first["kind"], "Customer");
    assert_eq!(first["attachments_dropped"], 1);
}

async fn another_workspace_sees_none_of_it(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.text("Private question").await;
    eventually("the bot's reply", || async { sms.replies().len() == 1 }).await;
    let id = sms.only_conversation().await;
    let view = sms.conversation(&id).await;
    let message = view["messages"][1]["id"].as_str().expect("id").to_owned();

    let stranger = sms.app.other_tenant().await;
    assert!(ids(&sms.list_as(&stranger, &[]).await).is_empty());
    for (endpoint, form) in [
        (
            "inbox_conversation",
            vec![("id", id.as_str()), ("before", "")],
        ),
        (
            "inbox_act",
            vec![("id", id.as_str()), ("action", "take_over")],
        ),
        ("inbox_reply", vec![("id", id.as_str()), ("body", "hi")]),
        ("inbox_rename", vec![("id", id.as_str()), ("name", "x")]),
        ("inbox_retry", vec![("message_id", message.as_str())]),
    ] {
        let response = sms.app.call_as(&stranger, endpoint, &form).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{endpoint}");
    }
    let page = sms.app.get_page(&stranger, &format!("/inbox/{id}")).await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let counts = json(sms.app.call_as(&stranger, "inbox_counts", &[]).await).await;
    assert_eq!(counts["needs_person"], 0);
    // Nothing changed for the owner either.
    assert_eq!(sms.conversation(&id).await["status"], "Bot");

    let visitor = crate::helpers::browser();
    let response = sms.list_response(&visitor, &[]).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let stream = visitor
        .get(sms.app.url("/api/inbox/events"))
        .send()
        .await
        .expect("request");
    assert_eq!(stream.status(), StatusCode::UNAUTHORIZED);
}

async fn an_agent_works_the_inbox_and_a_removed_agents_conversations_need_a_person_again(
    backend: Backend,
) {
    let sms = connected(backend, &[]).await;
    sms.text("Hello").await;
    let id = sms.only_conversation().await;
    let (agent, email) = crate::team::member(&sms.app, "agent").await;
    assert_eq!(ids(&sms.list_as(&agent, &[]).await), vec![id.clone()]);
    let taken = sms
        .app
        .call_as(&agent, "inbox_act", &[("id", &id), ("action", "take_over")])
        .await;
    assert_eq!(taken.status(), StatusCode::OK);
    let view = sms.conversation(&id).await;
    assert_eq!(view["assignee"], email.as_str());
    assert_eq!(
        ids(&sms.list(&[("assignee", "none")]).await),
        Vec::<String>::new()
    );

    let agent_id = crate::team::member_id(&sms.app, &sms.app.client, &email).await;
    let removed = sms
        .app
        .call("team_remove_member", &[("user_id", &agent_id)])
        .await;
    assert_eq!(removed.status(), StatusCode::OK);
    let view = sms.conversation(&id).await;
    assert_eq!(
        (view["status"].clone(), view["assignee"].clone()),
        ("NeedsHuman".into(), Value::Null)
    );
    assert_eq!(ids(&sms.list(&[("assignee", "none")]).await), vec![id]);
    let counts = json(sms.app.call("inbox_counts", &[]).await).await;
    assert_eq!(counts["needs_person"], 1);
}

async fn the_inbox_pages_render_for_a_member(backend: Backend) {
    let sms = connected(backend, &[]).await;
    sms.text("Page test").await;
    let id = sms.only_conversation().await;
    let list = sms.app.get_page(&sms.app.client, "/inbox").await;
    assert_eq!(list.status(), StatusCode::OK);
    let html = list.text().await.expect("html");
    assert!(html.contains("Page test"), "the row is in the first HTML");
    let thread = sms
        .app
        .get_page(&sms.app.client, &format!("/inbox/{id}"))
        .await;
    assert_eq!(thread.status(), StatusCode::OK);
    let html = thread.text().await.expect("html");
    assert!(html.contains("Reply by SMS") && html.contains("Take over"));
    let signed_out = sms.app.get_page(&crate::helpers::browser(), "/inbox").await;
    assert_eq!(signed_out.status(), StatusCode::FOUND);
}

/// Reads server-sent events until one named `event` arrives (or panics after 10 s).
async fn next_event(stream: &mut reqwest::Response, event: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut buffer = String::new();
    loop {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {event} event within 10 s; got {buffer:?}"))
            .expect("stream")
            .expect("stream open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            if block.lines().any(|l| l == format!("event: {event}")) {
                return block
                    .lines()
                    .find_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
            }
        }
    }
}

async fn open_stream(client: &reqwest::Client, url: String) -> reqwest::Response {
    let mut stream = client.get(url).send().await.expect("stream");
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    // Browsers drop an event without data, so even `ready` carries some.
    assert_eq!(next_event(&mut stream, "ready").await, "all");
    stream
}

async fn live_events_reach_the_workspace_and_no_one_else(backend: Backend) {
    let sms = connected(backend, &[]).await;
    let mut mine = open_stream(&sms.app.client, sms.app.url("/api/inbox/events")).await;
    let stranger = sms.app.other_tenant().await;
    let mut theirs = open_stream(&stranger, sms.app.url("/api/inbox/events")).await;

    sms.text("Live!").await;
    let changed = next_event(&mut mine, "changed").await;
    let id = sms.only_conversation().await;
    assert_eq!(changed, id);
    // Status callbacks and staff actions are events too.
    assert_eq!(sms.act(&id, "take_over").await, StatusCode::OK);
    assert_eq!(next_event(&mut mine, "changed").await, id);

    // The other workspace's stream stays quiet (only keep-alives, which carry no event).
    let quiet = tokio::time::timeout(Duration::from_millis(700), theirs.chunk()).await;
    if let Ok(Ok(Some(chunk))) = quiet {
        assert!(
            !String::from_utf8_lossy(&chunk).contains(&id),
            "leaked an id"
        );
    }
}

async fn open_live_streams_end_when_the_server_stops_so_browsers_reconnect(backend: Backend) {
    let (app, stop, running) = crate::helpers::spawn_stoppable_app(backend).await;
    assert_eq!(
        app.sign_up(&crate::helpers::unique_email()).await.status(),
        StatusCode::OK
    );
    let mut stream = open_stream(&app.client, app.url("/api/inbox/events")).await;
    stop.send(()).expect("stop");
    // The stream ends (the browser's EventSource then reconnects by itself) and the server stops,
    // rather than waiting forever for an open stream.
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(ended.is_ok(), "the stream was not closed");
    let stopped = tokio::time::timeout(Duration::from_secs(5), running).await;
    assert!(
        stopped.is_ok(),
        "the server did not stop with a stream open"
    );
}

async fn a_change_on_one_instance_reaches_a_browser_on_another() {
    let sms = connected(Backend::Postgres, &[]).await;
    let second = sms.another_instance(&[("VIESTI_WORKERS", "0")]).await;
    // The owner's session is in the shared database: the same cookie works on the second instance.
    let mut stream = open_stream(&sms.app.client, format!("{second}/api/inbox/events")).await;
    sms.text("Through the first instance").await;
    let changed = next_event(&mut stream, "changed").await;
    assert_eq!(changed, sms.only_conversation().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_one_postgres_instance_reaches_a_browser_on_another() {
    a_change_on_one_instance_reaches_a_browser_on_another().await;
}

on_both_databases!(
    every_conversation_is_listed_newest_first_with_its_badge_preview_and_unread_mark,
    filters_narrow_the_list_by_status_channel_chatbot_and_assignee,
    search_finds_a_phone_number_a_name_or_words_from_any_message,
    a_search_for_a_common_word_finds_the_same_conversations,
    keyset_pages_cover_every_conversation_once_even_with_equal_times,
    take_over_hand_back_resolve_and_reopen_move_the_conversation_and_say_so,
    the_bot_sends_nothing_while_a_person_holds_the_conversation,
    a_reply_in_flight_when_a_person_takes_over_is_not_sent_and_the_thread_says_so,
    a_customer_who_asks_for_a_person_is_escalated_and_told_once,
    a_teammate_reply_goes_out_from_the_business_number_and_is_tracked,
    a_failed_reply_shows_its_reason_in_words_and_can_be_sent_again,
    a_send_twilio_refused_keeps_twilios_more_info_page,
    an_opted_out_customer_cannot_be_texted_and_the_view_says_why,
    a_picture_shows_as_an_attachment_the_bot_did_not_get,
    another_workspace_sees_none_of_it,
    the_inbox_pages_render_for_a_member,
    an_agent_works_the_inbox_and_a_removed_agents_conversations_need_a_person_again,
    live_events_reach_the_workspace_and_no_one_else,
    open_live_streams_end_when_the_server_stops_so_browsers_reconnect,
);
