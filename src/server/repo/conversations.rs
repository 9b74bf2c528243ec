//! Conversations, their messages, SMS contacts and reply jobs: what the webhooks write and the worker
//! reads and writes. Writes that belong together happen in one transaction; every message is written
//! here, so the list's preview and unread marker stay in step with the thread.
use super::writes::Writes;
use super::{begin_write, is_unique_violation, now};
use crate::domain::delivery::status_rank;
use crate::domain::inbox::{ConversationStatus, wants_a_person};
use crate::domain::sms_text::segments;
use crate::domain::{Plan, TwilioDocsLink};
use crate::server::entities::{chatbot, conversation, job, message, sms_contact};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DbErr, EntityTrait, QueryFilter, QueryTrait, Set, Statement, TryIntoModel, Unchanged,
};
use uuid::Uuid;

mod ingest;
pub mod turns;
pub use ingest::sqlite as sqlite_ingest;
pub use ingest::{Incoming, Stored, record_inbound_batch};

pub const SMS: &str = "sms";
/// The website widget's channel.
pub const WEB: &str = "web";
/// A job that answers an inbound message with the bot (its `message_id` is the inbound message).
pub const JOB_REPLY: &str = "sms_reply";
/// A job that sends an outbound message already recorded (a teammate's reply, a notice, a retry).
pub const JOB_SEND: &str = "sms_send";
/// Said once to a customer who asks for a person; GSM-7 only, so one segment.
pub const PERSON_COMING: &str =
    "Thanks! A person from our team will reply here as soon as they can.";

/// What storing an inbound message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundOutcome {
    /// Stored; a reply job was queued.
    Queued {
        workspace_id: Uuid,
        conversation_id: Uuid,
        message_id: Uuid,
    },
    /// Stored; the customer asked for a person: no bot answer, a one-time notice was queued.
    Escalated {
        workspace_id: Uuid,
        conversation_id: Uuid,
        message_id: Uuid,
    },
    /// Stored; no reply is due (a keyword, an opted-out customer, or a person handles the conversation).
    StoredWithoutReply {
        workspace_id: Uuid,
        conversation_id: Uuid,
        message_id: Uuid,
    },
    /// Twilio sent this MessageSid before: nothing new was stored.
    Duplicate,
}

/// The start of a message as the conversation list shows it: one line, at most 200 characters.
pub fn preview(body: &str, attachments_dropped: i32) -> String {
    let line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() && attachments_dropped > 0 {
        return "Attachment (not delivered to the bot)".to_owned();
    }
    line.chars().take(200).collect()
}

/// A message to store; `write_message` fills in the rest and updates its conversation.
pub struct NewMessage<'a> {
    pub workspace_id: Uuid,
    pub conversation_id: Uuid,
    pub direction: &'a str,
    pub author: &'a str,
    pub author_user_id: Option<Uuid>,
    pub body: &'a str,
    pub twilio_sid: Option<&'a str>,
    pub status: &'a str,
    pub attachments_dropped: i32,
    pub in_reply_to: Option<Uuid>,
}

/// Inserts a message and moves its conversation's activity time, preview and (for a customer's
/// message) unread marker. Events move only the activity time.
pub async fn write_message(
    db: &impl ConnectionTrait,
    new: NewMessage<'_>,
) -> Result<message::Model, DbErr> {
    let at = now();
    let conversation_id = new.conversation_id;
    let touch = Touch::of(&new, at);
    let row = message_row(new, at).insert(db).await?;
    let mut update = conversation::ActiveModel {
        id: Unchanged(conversation_id),
        ..Default::default()
    };
    touch.apply(&mut update);
    update.update(db).await?;
    Ok(row)
}

/// The row of a new message written at `at`. Ids of conversations, messages, contacts and jobs are
/// time-ordered (UUIDv7): new rows land at the end of their indexes instead of at random pages, so
/// a commit writes far fewer pages.
fn message_row(new: NewMessage<'_>, at: chrono::DateTime<Utc>) -> message::ActiveModel {
    let cost = segments(new.body);
    let event = new.direction == "event";
    message::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(new.workspace_id),
        conversation_id: Set(new.conversation_id),
        direction: Set(new.direction.to_owned()),
        author: Set(new.author.to_owned()),
        author_user_id: Set(new.author_user_id),
        body: Set(new.body.to_owned()),
        twilio_sid: Set(new.twilio_sid.map(str::to_owned)),
        status: Set(new.status.to_owned()),
        error_code: Set(None),
        error_link: Set(None),
        segments: Set(if event {
            0
        } else {
            i32::try_from(cost.count).unwrap_or(i32::MAX)
        }),
        encoding: Set(cost.encoding.as_str().into()),
        attachments_dropped: Set(new.attachments_dropped),
        in_reply_to: Set(new.in_reply_to),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

/// What a new message changes on its conversation: the activity time always, the preview unless
/// it is an event, the unread marker when the customer wrote.
struct Touch {
    at: chrono::DateTime<Utc>,
    preview: Option<String>,
    inbound_at: Option<chrono::DateTime<Utc>>,
}

impl Touch {
    fn of(new: &NewMessage<'_>, at: chrono::DateTime<Utc>) -> Self {
        Self {
            at,
            preview: (new.direction != "event").then(|| preview(new.body, new.attachments_dropped)),
            inbound_at: (new.direction == "inbound").then_some(at),
        }
    }

    /// This change followed by a later one, as if both were applied in turn.
    fn then(self, later: Self) -> Self {
        Self {
            at: later.at,
            preview: later.preview.or(self.preview),
            inbound_at: later.inbound_at.or(self.inbound_at),
        }
    }

    /// The update of conversation `id` this change makes.
    fn statement(self, backend: DatabaseBackend, id: Uuid) -> Statement {
        let mut update = conversation::Entity::update_many()
            .col_expr(conversation::Column::LastMessageAt, Expr::value(self.at));
        if let Some(preview) = self.preview {
            update = update.col_expr(
                conversation::Column::LastMessagePreview,
                Expr::value(preview),
            );
        }
        if let Some(at) = self.inbound_at {
            update = update.col_expr(conversation::Column::LastInboundAt, Expr::value(Some(at)));
        }
        update
            .filter(conversation::Column::Id.eq(id))
            .build(backend)
    }

    fn apply(self, conversation: &mut conversation::ActiveModel) {
        conversation.last_message_at = Set(self.at);
        if let Some(preview) = self.preview {
            conversation.last_message_preview = Set(preview);
        }
        if let Some(at) = self.inbound_at {
            conversation.last_inbound_at = Set(Some(at));
        }
    }
}

/// A note in a conversation's thread ("Anna took over"), by `user_id` when a teammate did it.
pub async fn add_event(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    conversation_id: Uuid,
    user_id: Option<Uuid>,
    text: &str,
) -> Result<message::Model, DbErr> {
    write_message(
        db,
        event_message(workspace_id, conversation_id, user_id, text),
    )
    .await
}

/// The message of a note in a thread (see [`add_event`]).
fn event_message(
    workspace_id: Uuid,
    conversation_id: Uuid,
    user_id: Option<Uuid>,
    text: &str,
) -> NewMessage<'_> {
    NewMessage {
        workspace_id,
        conversation_id,
        direction: "event",
        author: if user_id.is_some() { "human" } else { "system" },
        author_user_id: user_id,
        body: text,
        twilio_sid: None,
        status: "recorded",
        attachments_dropped: 0,
        in_reply_to: None,
    }
}

/// The one-time notice to a customer handed to a person, answering their message `inbound_id`.
fn person_coming(
    workspace_id: Uuid,
    conversation_id: Uuid,
    inbound_id: Uuid,
) -> NewMessage<'static> {
    NewMessage {
        workspace_id,
        conversation_id,
        direction: "outbound",
        author: "system",
        author_user_id: None,
        body: PERSON_COMING,
        twilio_sid: None,
        status: "pending",
        attachments_dropped: 0,
        in_reply_to: Some(inbound_id),
    }
}

/// Whose turn a job takes among the workers' work (see [`turns`]).
#[derive(Debug, Clone, Copy)]
enum TurnOf {
    /// The bot's work for a workspace: spaced out when the workspace queues a lot.
    Workspace(Uuid),
    /// A person's own text: never waits behind anyone's flood.
    Person,
}

async fn queue_job(
    db: &impl ConnectionTrait,
    kind: &str,
    conversation_id: Uuid,
    message_id: Uuid,
    turn_of: TurnOf,
) -> Result<(), DbErr> {
    let at = now();
    let turn = match turn_of {
        TurnOf::Workspace(workspace) => turns::next(workspace, at),
        TurnOf::Person => turns::Turn::now(at),
    };
    job_row(kind, conversation_id, message_id, at, at, turn)
        .insert(db)
        .await
        .map(|_| ())
}

/// The row of a job queued at `at`, due at `due` (no later than `at`), taking `turn` among the
/// ready jobs. A conversation's jobs run in `created_at` order.
fn job_row(
    kind: &str,
    conversation_id: Uuid,
    message_id: Uuid,
    at: chrono::DateTime<Utc>,
    due: chrono::DateTime<Utc>,
    turn: turns::Turn,
) -> job::ActiveModel {
    job::ActiveModel {
        fair_key: Set(turn.key()),
        id: Set(Uuid::now_v7()),
        kind: Set(kind.to_owned()),
        conversation_id: Set(conversation_id),
        message_id: Set(message_id),
        state: Set("queued".into()),
        attempts: Set(0),
        run_at: Set(due),
        lease_until: Set(None),
        last_error: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
}

/// Stores a website visitor's message (the widget), like an SMS: the conversation found by the
/// visitor's address (reopened when resolved) or created, the message, and the reply job or the
/// one-time "a person will reply" notice, in one transaction.
pub async fn record_visitor_message(
    db: &DatabaseConnection,
    chatbot: &chatbot::Model,
    address: &str,
    body: &str,
) -> Result<InboundOutcome, DbErr> {
    for _ in 0..3 {
        match record_visitor_message_once(db, chatbot, address, body).await {
            // A concurrent first message of the same visitor created the conversation: find it.
            Err(error) if is_unique_violation(&error) => {}
            other => return other,
        }
    }
    Err(DbErr::Custom(
        "could not store the visitor's message after 3 tries".into(),
    ))
}

async fn record_visitor_message_once(
    db: &DatabaseConnection,
    chatbot: &chatbot::Model,
    address: &str,
    body: &str,
) -> Result<InboundOutcome, DbErr> {
    let txn = begin_write(db).await?;
    let wants_person = wants_a_person(body);
    let (conversation_id, before) = find_or_open(
        &*txn,
        Opening {
            workspace_id: chatbot.workspace_id,
            chatbot_id: chatbot.id,
            channel: WEB,
            address,
            business_number: None,
        },
    )
    .await?;
    let after = before.after_customer_message(wants_person);
    move_after_customer(&*txn, conversation_id, before, after).await?;
    let message = write_message(
        &*txn,
        NewMessage {
            workspace_id: chatbot.workspace_id,
            conversation_id,
            direction: "inbound",
            author: "customer",
            author_user_id: None,
            body,
            twilio_sid: None,
            status: "received",
            attachments_dropped: 0,
            in_reply_to: None,
        },
    )
    .await?;
    let outcome = queue_answer(
        &*txn,
        Arrival {
            workspace_id: chatbot.workspace_id,
            conversation_id,
            message_id: message.id,
            before,
            after,
            may_text: true,
            wants_person,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Whose conversation a customer's message belongs to.
struct Opening<'a> {
    workspace_id: Uuid,
    chatbot_id: Uuid,
    channel: &'a str,
    address: &'a str,
    business_number: Option<&'a str>,
}

/// The customer's conversation with the chatbot on the channel, created when there is none; with
/// its status before this message.
async fn find_or_open(
    txn: &impl ConnectionTrait,
    opening: Opening<'_>,
) -> Result<(Uuid, ConversationStatus), DbErr> {
    let existing = conversation::Entity::find()
        .filter(conversation::Column::ChatbotId.eq(opening.chatbot_id))
        .filter(conversation::Column::Channel.eq(opening.channel))
        .filter(conversation::Column::CustomerAddress.eq(opening.address))
        .one(txn)
        .await?;
    if let Some(found) = existing {
        let status = found
            .status
            .parse::<ConversationStatus>()
            .unwrap_or(ConversationStatus::Bot);
        return Ok((found.id, status));
    }
    let id = Uuid::now_v7();
    conversation_row(&opening, id, now()).insert(txn).await?;
    Ok((id, ConversationStatus::Bot))
}

/// The row of a conversation opened at `at`, with the bot answering.
fn conversation_row(
    opening: &Opening<'_>,
    id: Uuid,
    at: chrono::DateTime<Utc>,
) -> conversation::ActiveModel {
    conversation::ActiveModel {
        id: Set(id),
        workspace_id: Set(opening.workspace_id),
        chatbot_id: Set(opening.chatbot_id),
        channel: Set(opening.channel.to_owned()),
        customer_address: Set(opening.address.to_owned()),
        business_number: Set(opening.business_number.map(str::to_owned)),
        status: Set(ConversationStatus::Bot.as_str().into()),
        created_at: Set(at),
        last_message_at: Set(at),
        assignee_id: Set(None),
        customer_name: Set(None),
        last_message_preview: Set(String::new()),
        last_inbound_at: Set(None),
        seen_at: Set(None),
    }
}

/// Stores the status a customer's message moved the conversation to (a resolved one loses its
/// assignee when it reopens).
async fn move_after_customer(
    txn: &impl ConnectionTrait,
    conversation_id: Uuid,
    before: ConversationStatus,
    after: ConversationStatus,
) -> Result<(), DbErr> {
    if after == before {
        return Ok(());
    }
    let mut update = conversation::ActiveModel {
        id: Unchanged(conversation_id),
        status: Set(after.as_str().to_owned()),
        ..Default::default()
    };
    if before == ConversationStatus::Resolved {
        update.assignee_id = Set(None);
    }
    update.update(txn).await.map(|_| ())
}

/// A customer's message just stored, and what it did to its conversation.
#[derive(Clone, Copy)]
struct Arrival {
    workspace_id: Uuid,
    conversation_id: Uuid,
    message_id: Uuid,
    before: ConversationStatus,
    after: ConversationStatus,
    /// False for a keyword (STOP, HELP) or an opted-out customer.
    may_text: bool,
    wants_person: bool,
}

/// What a customer's message is due.
enum Due {
    /// The bot's answer.
    Reply,
    /// They asked for a person, on the way into "needs a person": the one-time notice that a
    /// person will reply.
    PersonNotice,
    Nothing,
}

/// Noted in the thread when a customer asks for a person.
const CUSTOMER_ASKED_FOR_A_PERSON: &str = "The customer asked for a person: the bot stepped aside.";

impl Arrival {
    fn due(&self) -> Due {
        if self.may_text && !self.after.silences_bot() {
            Due::Reply
        } else if self.may_text && self.wants_person && !self.before.silences_bot() {
            Due::PersonNotice
        } else {
            Due::Nothing
        }
    }

    fn queued(&self) -> InboundOutcome {
        InboundOutcome::Queued {
            workspace_id: self.workspace_id,
            conversation_id: self.conversation_id,
            message_id: self.message_id,
        }
    }

    fn escalated(&self) -> InboundOutcome {
        InboundOutcome::Escalated {
            workspace_id: self.workspace_id,
            conversation_id: self.conversation_id,
            message_id: self.message_id,
        }
    }

    fn stored_without_reply(&self) -> InboundOutcome {
        InboundOutcome::StoredWithoutReply {
            workspace_id: self.workspace_id,
            conversation_id: self.conversation_id,
            message_id: self.message_id,
        }
    }
}

/// Queues what a customer's message is due (see [`Due`]).
async fn queue_answer(
    txn: &impl ConnectionTrait,
    arrival: Arrival,
) -> Result<InboundOutcome, DbErr> {
    match arrival.due() {
        Due::Reply => {
            queue_job(
                txn,
                JOB_REPLY,
                arrival.conversation_id,
                arrival.message_id,
                TurnOf::Workspace(arrival.workspace_id),
            )
            .await?;
            Ok(arrival.queued())
        }
        Due::PersonNotice => {
            add_event(
                txn,
                arrival.workspace_id,
                arrival.conversation_id,
                None,
                CUSTOMER_ASKED_FOR_A_PERSON,
            )
            .await?;
            let notice = write_message(
                txn,
                person_coming(
                    arrival.workspace_id,
                    arrival.conversation_id,
                    arrival.message_id,
                ),
            )
            .await?;
            queue_job(
                txn,
                JOB_SEND,
                arrival.conversation_id,
                notice.id,
                TurnOf::Workspace(arrival.workspace_id),
            )
            .await?;
            Ok(arrival.escalated())
        }
        Due::Nothing => Ok(arrival.stored_without_reply()),
    }
}

/// Marks a customer as opted out of a business number's texts (Twilio answered 21610).
pub async fn mark_opted_out(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    business_number: &str,
    customer_number: &str,
) -> Result<(), DbErr> {
    save_contact(
        db,
        workspace_id,
        business_number,
        customer_number,
        Some(true),
        None,
    )
    .await
    .map(|_| ())
}

/// Creates or updates the contact of `customer_number` on `business_number`: `opt_out` sets the flag
/// (`None` keeps it), `keyword` is remembered when given. Returns whether the customer is opted out.
async fn save_contact(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    business_number: &str,
    customer_number: &str,
    opt_out: Option<bool>,
    keyword: Option<&str>,
) -> Result<bool, DbErr> {
    let now = Utc::now();
    let found = sms_contact::Entity::find()
        .filter(sms_contact::Column::BusinessNumber.eq(business_number))
        .filter(sms_contact::Column::CustomerNumber.eq(customer_number))
        .one(db)
        .await?;
    let was = found.as_ref().is_some_and(|c| c.opted_out);
    let opted_out = opt_out.unwrap_or(was);
    match found {
        Some(contact) => {
            let mut update = sms_contact::ActiveModel {
                id: Unchanged(contact.id),
                opted_out: Set(opted_out),
                updated_at: Set(now),
                ..Default::default()
            };
            if let Some(word) = keyword {
                update.last_keyword = Set(Some(word.to_owned()));
            }
            if was != opted_out {
                update.opted_out_at = Set(opted_out.then_some(now));
            }
            update.update(db).await?;
        }
        None => {
            sms_contact::ActiveModel {
                id: Set(Uuid::now_v7()),
                workspace_id: Set(workspace_id),
                business_number: Set(business_number.to_owned()),
                customer_number: Set(customer_number.to_owned()),
                opted_out: Set(opted_out),
                opted_out_at: Set(opted_out.then_some(now)),
                last_keyword: Set(keyword.map(str::to_owned)),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(opted_out)
}

/// Applies a status callback to the outbound message with this Twilio SID, never moving it backwards.
/// Returns the message (as it was) if we know the SID as one sent from `business_number` in
/// `workspace_id`: the connection that signed the callback. A callback signed with another
/// workspace's token (or about another number's message) finds nothing and changes nothing.
///
/// The write is conditional on the row still holding the SID and the status it was read with: two
/// callbacks racing (`sent` and `delivered` arrive together) or a worker rewriting the message in
/// between cannot be overwritten by a decision made on a stale read; the loser reads again.
pub async fn apply_status(
    db: &DatabaseConnection,
    writes: &Writes,
    workspace_id: Uuid,
    business_number: &crate::domain::E164,
    twilio_sid: &str,
    status: &str,
    error_code: Option<i32>,
) -> Result<Option<message::Model>, DbErr> {
    const TRIES: usize = 5;
    let mut last = None;
    for _ in 0..TRIES {
        let Some(found) = message::Entity::find()
            .filter(message::Column::TwilioSid.eq(twilio_sid))
            .filter(message::Column::Direction.eq("outbound"))
            .filter(message::Column::WorkspaceId.eq(workspace_id))
            .filter({
                use sea_orm::sea_query::ExprTrait;
                Expr::exists(
                    sea_orm::sea_query::Query::select()
                        .expr(Expr::val(1))
                        .from(conversation::Entity)
                        .and_where(
                            Expr::col((conversation::Entity, conversation::Column::Id))
                                .equals((message::Entity, message::Column::ConversationId)),
                        )
                        .and_where(
                            Expr::col((conversation::Entity, conversation::Column::BusinessNumber))
                                .eq(business_number.as_str()),
                        )
                        .to_owned(),
                )
            })
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        if status_rank(status) <= status_rank(&found.status) {
            return Ok(Some(found));
        }
        let update = message::Entity::update_many()
            .col_expr(message::Column::Status, Expr::value(status))
            .col_expr(
                message::Column::ErrorCode,
                Expr::value(error_code.or(found.error_code)),
            )
            .col_expr(message::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(message::Column::Id.eq(found.id))
            .filter(message::Column::TwilioSid.eq(twilio_sid))
            .filter(message::Column::Status.eq(found.status.as_str()))
            .build(writes.backend());
        let written = writes.run_statement(update).await? == 1;
        if written {
            return Ok(Some(found));
        }
        last = Some(found);
    }
    // Changed under us every time: others are writing newer news; this callback adds nothing.
    Ok(last)
}

/// A bot reply to `inbound_id`, stored before it is sent so a crash cannot lose or repeat it, and in
/// the same transaction claimed for sending (see [`claim_send`]) when the bot still has the
/// conversation. Returns the reply (`sending` when claimed, `pending` when a person took over
/// first) and whether it was claimed. A unique violation means another worker recorded it first.
pub async fn record_reply(
    writes: &Writes,
    conversation: &conversation::Model,
    inbound_id: Uuid,
    body: &str,
) -> Result<(message::Model, bool), DbErr> {
    let backend = writes.backend();
    let at = now();
    let new = NewMessage {
        workspace_id: conversation.workspace_id,
        conversation_id: conversation.id,
        direction: "outbound",
        author: "bot",
        author_user_id: None,
        body,
        twilio_sid: None,
        status: "pending",
        attachments_dropped: 0,
        in_reply_to: Some(inbound_id),
    };
    let touch = Touch::of(&new, at);
    let row = message_row(new, at);
    let mut reply = row.clone().try_into_model()?;
    let changed = writes
        .run(vec![
            message::Entity::insert(row).build(backend),
            touch.statement(backend, conversation.id),
            claim_send_statement(backend, reply.id, true, at),
        ])
        .await?;
    let claimed = changed.get(2) == Some(&1);
    if claimed {
        reply.status = "sending".to_owned();
    }
    Ok((reply, claimed))
}

/// The bot steps aside from a conversation it was answering: it goes to "needs a person", the
/// thread says `why`, and the customer is told once that a person will reply (the notice answers
/// `inbound_id` and is queued for sending). `false` when the bot no longer had the conversation.
pub async fn escalate_by_bot(
    db: &DatabaseConnection,
    conversation: &conversation::Model,
    inbound_id: Uuid,
    why: &str,
) -> Result<bool, DbErr> {
    let txn = begin_write(db).await?;
    let moved = conversation::Entity::update_many()
        .col_expr(
            conversation::Column::Status,
            sea_orm::sea_query::Expr::value(ConversationStatus::NeedsHuman.as_str()),
        )
        .filter(conversation::Column::Id.eq(conversation.id))
        .filter(conversation::Column::Status.eq(ConversationStatus::Bot.as_str()))
        .exec(&*txn)
        .await?
        .rows_affected
        == 1;
    if !moved {
        return Ok(false);
    }
    add_event(&*txn, conversation.workspace_id, conversation.id, None, why).await?;
    let notice = write_message(
        &*txn,
        person_coming(conversation.workspace_id, conversation.id, inbound_id),
    )
    .await?;
    queue_job(
        &*txn,
        JOB_SEND,
        conversation.id,
        notice.id,
        TurnOf::Workspace(conversation.workspace_id),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Records an outbound message a person (or a retry) sends and queues its delivery, in one
/// transaction; the worker sends it through the same path as the bot's replies.
pub async fn queue_outbound(
    db: &impl ConnectionTrait,
    conversation: &conversation::Model,
    author: &str,
    author_user_id: Option<Uuid>,
    body: &str,
) -> Result<message::Model, DbErr> {
    let message = write_message(
        db,
        NewMessage {
            workspace_id: conversation.workspace_id,
            conversation_id: conversation.id,
            direction: "outbound",
            author,
            author_user_id,
            body,
            twilio_sid: None,
            status: "pending",
            attachments_dropped: 0,
            in_reply_to: None,
        },
    )
    .await?;
    queue_job(db, JOB_SEND, conversation.id, message.id, TurnOf::Person).await?;
    Ok(message)
}

/// Marks a recorded outbound message as being sent now, if it still may be: it is not sent or given
/// up yet, and for the bot's own replies (`automatic`) no person wants or holds the conversation.
/// This is the send-time check of a take-over: whichever commits first wins, so a reply is either
/// on its way before the take-over or never sent. Returns whether the caller may send.
pub async fn claim_send(writes: &Writes, message_id: Uuid, automatic: bool) -> Result<bool, DbErr> {
    let statement = claim_send_statement(writes.backend(), message_id, automatic, now());
    Ok(writes.run_statement(statement).await? == 1)
}

fn claim_send_statement(
    backend: DatabaseBackend,
    message_id: Uuid,
    automatic: bool,
    at: chrono::DateTime<Utc>,
) -> Statement {
    let p = super::Placeholders::new(backend);
    let mut sql = format!(
        "UPDATE messages SET status = 'sending', updated_at = {} \
         WHERE id = {} AND twilio_sid IS NULL AND status IN ('pending', 'sending')",
        p.at(1),
        p.at(2)
    );
    if automatic {
        sql.push_str(
            " AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = messages.conversation_id \
               AND c.status IN ('needs_human', 'human'))",
        );
    }
    Statement::from_sql_and_values(backend, sql, [at.into(), message_id.into()])
}

/// Twilio accepted an outbound message: its SID and first status.
pub async fn record_sent(
    writes: &Writes,
    sent: &message::Model,
    sid: &str,
    status: &str,
) -> Result<(), DbErr> {
    let backend = writes.backend();
    // The workspace's segments of the day grow with it, once (not when the SID was known already).
    let p: [&str; 4] = match backend {
        DatabaseBackend::Postgres => ["$1", "$2", "$3", "$4"],
        _ => ["?1", "?2", "?3", "?4"],
    };
    let usage = Statement::from_sql_and_values(
        backend,
        format!(
            "INSERT INTO segment_usage (workspace_id, day, segments) SELECT {}, {}, {} \
             WHERE NOT EXISTS (SELECT 1 FROM messages WHERE id = {} AND twilio_sid IS NOT NULL) \
             ON CONFLICT (workspace_id, day) DO UPDATE SET segments = segment_usage.segments + excluded.segments",
            p[0], p[1], p[2], p[3]
        ),
        [
            sent.workspace_id.into(),
            usage_day(Utc::now()).into(),
            i64::from(sent.segments).into(),
            sent.id.into(),
        ],
    );
    let update = message::Entity::update_many()
        .col_expr(message::Column::TwilioSid, Expr::value(sid))
        .col_expr(message::Column::Status, Expr::value(status))
        .col_expr(message::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(message::Column::Id.eq(sent.id))
        .build(backend);
    writes.run(vec![usage, update]).await.map(|_| ())
}

/// The UTC day a segment counts against, as `segment_usage.day` holds it.
pub fn usage_day(at: chrono::DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// An outbound message ends without reaching the customer: `failed` (with Twilio's code and its
/// page about it when it gave them) or `canceled` (never sent).
pub async fn record_unsent(
    writes: &Writes,
    message_id: Uuid,
    status: &str,
    error_code: Option<i32>,
    error_link: Option<&TwilioDocsLink>,
) -> Result<(), DbErr> {
    let statement = message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value(status))
        .col_expr(message::Column::ErrorCode, Expr::value(error_code))
        .col_expr(
            message::Column::ErrorLink,
            Expr::value(error_link.map(|l| l.as_str().to_owned())),
        )
        .col_expr(message::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(message::Column::Id.eq(message_id))
        .build(writes.backend());
    writes.run_statement(statement).await.map(|_| ())
}

/// A widget message reached the visitor's conversation: it is delivered the moment it is stored
/// for them to read.
pub async fn record_delivered(writes: &Writes, message_id: Uuid) -> Result<(), DbErr> {
    let statement = message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value("delivered"))
        .col_expr(message::Column::UpdatedAt, Expr::value(now()))
        .filter(message::Column::Id.eq(message_id))
        .build(writes.backend());
    writes.run_statement(statement).await.map(|_| ())
}

/// A visitor's widget conversation with a chatbot, by the visitor's address.
pub async fn find_visitor_conversation(
    db: &DatabaseConnection,
    chatbot_id: Uuid,
    address: &str,
) -> Result<Option<conversation::Model>, DbErr> {
    conversation::Entity::find()
        .filter(conversation::Column::ChatbotId.eq(chatbot_id))
        .filter(conversation::Column::Channel.eq(WEB))
        .filter(conversation::Column::CustomerAddress.eq(address))
        .one(db)
        .await
}

/// What the visitor sees of their conversation: their messages and the answers that reached them,
/// changed after `since` (all when `None`), oldest first, at most the newest 200.
pub async fn visitor_messages(
    db: &DatabaseConnection,
    conversation_id: Uuid,
    since: Option<chrono::DateTime<Utc>>,
) -> Result<Vec<message::Model>, DbErr> {
    use sea_orm::{Condition, QueryOrder, QuerySelect};
    let visible = Condition::any()
        .add(message::Column::Direction.eq("inbound"))
        .add(
            Condition::all()
                .add(message::Column::Direction.eq("outbound"))
                .add(message::Column::Status.eq("delivered")),
        );
    let mut query = message::Entity::find()
        .filter(message::Column::ConversationId.eq(conversation_id))
        .filter(visible);
    if let Some(since) = since {
        query = query.filter(message::Column::UpdatedAt.gt(since));
    }
    let mut rows = query
        .order_by_desc(message::Column::CreatedAt)
        .order_by_desc(message::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    rows.reverse();
    Ok(rows)
}

/// Whether Twilio already knows this SID as one of our messages.
pub async fn sid_is_known(db: &DatabaseConnection, sid: &str) -> Result<bool, DbErr> {
    Ok(message::Entity::find()
        .filter(message::Column::TwilioSid.eq(sid))
        .one(db)
        .await?
        .is_some())
}

/// What a reply job needs to know of its conversation before it answers, read in one query: the
/// conversation, its chatbot, whether the customer opted out of texts from the conversation's
/// number, and the id and revision of the SMS connection that owns that number for the chatbot
/// (to check a copy held in memory against; `None` once SMS was disconnected). A website
/// conversation has no number: not opted out, no connection.
#[derive(Debug)]
pub struct ReplyContext {
    pub conversation: conversation::Model,
    pub chatbot: Option<chatbot::Model>,
    pub opted_out: bool,
    pub connection: Option<(Uuid, chrono::DateTime<Utc>)>,
    /// The workspace's plan now (SMS needs Starter or above at the moment of use).
    pub plan: Option<Plan>,
    /// The customer's number is one of the workspace's own connected numbers.
    pub own_number: bool,
    /// When the bot sent its reply number `budget` counting back from the latest (the reply
    /// budget is spent when that was within the budget's window).
    pub budget_reply_at: Option<chrono::DateTime<Utc>>,
    /// The workspace's daily SMS segment budget and the segments it sent today (UTC).
    pub daily_segment_budget: i64,
    pub segments_today: i64,
}

impl sea_orm::FromQueryResult for ReplyContext {
    fn from_query_result(row: &sea_orm::QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        let connection_id: Option<Uuid> = row.try_get("", "connection_id")?;
        let revision: Option<chrono::DateTime<Utc>> = row.try_get("", "connection_revision")?;
        Ok(Self {
            // The prefixes `find_also_related` gives the two entities' columns.
            conversation: conversation::Model::from_query_result(row, "A_")?,
            chatbot: chatbot::Model::from_query_result_optional(row, "B_")?,
            opted_out: row
                .try_get::<Option<bool>>("", "opted_out")?
                .unwrap_or(false),
            connection: connection_id.zip(revision),
            plan: row
                .try_get::<Option<String>>("", "plan")?
                .and_then(|plan| plan.parse().ok()),
            own_number: row
                .try_get::<Option<bool>>("", "own_number")?
                .unwrap_or(false),
            budget_reply_at: row.try_get("", "budget_reply_at")?,
            daily_segment_budget: row
                .try_get::<Option<i64>>("", "daily_segment_budget")?
                .unwrap_or(i64::MAX),
            segments_today: row
                .try_get::<Option<i64>>("", "segments_today")?
                .unwrap_or(0),
        })
    }
}

/// The [`ReplyContext`] of conversation `id`, if it still exists, with the time of the bot's
/// `budget`-th latest reply.
pub async fn reply_context(
    db: &DatabaseConnection,
    id: Uuid,
    budget: u32,
) -> Result<Option<ReplyContext>, DbErr> {
    use sea_orm::{FromQueryResult, QuerySelect};
    const CONTACT: &str = "FROM sms_contacts s WHERE s.business_number = conversations.business_number \
                           AND s.customer_number = conversations.customer_address";
    const CONNECTION: &str = "FROM twilio_connections t WHERE t.phone_number = conversations.business_number \
                              AND t.chatbot_id = conversations.chatbot_id";
    let select = conversation::Entity::find_by_id(id)
        .find_also_related(chatbot::Entity)
        .expr_as(
            Expr::cust(format!("(SELECT s.opted_out {CONTACT})")),
            "opted_out",
        )
        .expr_as(
            Expr::cust(format!("(SELECT t.id {CONNECTION})")),
            "connection_id",
        )
        .expr_as(
            Expr::cust(format!("(SELECT t.updated_at {CONNECTION})")),
            "connection_revision",
        )
        .expr_as(
            Expr::cust("(SELECT w.plan FROM workspaces w WHERE w.id = conversations.workspace_id)"),
            "plan",
        )
        .expr_as(
            Expr::cust(
                "EXISTS (SELECT 1 FROM twilio_connections o WHERE o.workspace_id = conversations.workspace_id \
                 AND o.phone_number = conversations.customer_address)",
            ),
            "own_number",
        )
        .expr_as(
            // A number from the configuration, not input: safe to write into the statement.
            Expr::cust(format!(
                "(SELECT m.created_at FROM messages m WHERE m.conversation_id = conversations.id \
                 AND m.author = 'bot' AND m.direction = 'outbound' \
                 ORDER BY m.created_at DESC LIMIT 1 OFFSET {})",
                budget.saturating_sub(1)
            )),
            "budget_reply_at",
        )
        .expr_as(
            Expr::cust(
                "(SELECT CAST(w.daily_segment_budget AS BIGINT) FROM workspaces w \
                 WHERE w.id = conversations.workspace_id)",
            ),
            "daily_segment_budget",
        )
        .expr_as(
            // Today's date comes from this server's clock, not from input.
            Expr::cust(format!(
                "(SELECT u.segments FROM segment_usage u WHERE u.workspace_id = conversations.workspace_id \
                 AND u.day = '{}')",
                usage_day(Utc::now())
            )),
            "segments_today",
        )
        .build(db.get_database_backend());
    ReplyContext::find_by_statement(select).one(db).await
}

/// Message `id` and the bot's reply to it, if any, in one query.
pub async fn message_and_reply(
    db: &DatabaseConnection,
    id: Uuid,
) -> Result<(Option<message::Model>, Option<message::Model>), DbErr> {
    let found = message::Entity::find()
        .filter(
            Condition::any().add(message::Column::Id.eq(id)).add(
                Condition::all()
                    .add(message::Column::InReplyTo.eq(id))
                    .add(message::Column::Author.eq("bot")),
            ),
        )
        .all(db)
        .await?;
    let (this, replies): (Vec<_>, Vec<_>) = found.into_iter().partition(|m| m.id == id);
    Ok((this.into_iter().next(), replies.into_iter().next()))
}

/// The bot's reply to an inbound message, if one was recorded.
pub async fn reply_to(
    db: &DatabaseConnection,
    inbound_id: Uuid,
) -> Result<Option<message::Model>, DbErr> {
    message::Entity::find()
        .filter(message::Column::InReplyTo.eq(inbound_id))
        .filter(message::Column::Author.eq("bot"))
        .one(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_is_one_line_of_at_most_200_characters() {
        assert_eq!(preview("Hei!\n\nOnko  auki?", 0), "Hei! Onko auki?");
        assert_eq!(preview(&"ä".repeat(300), 0).chars().count(), 200);
    }

    #[test]
    fn a_picture_without_words_is_named_in_the_preview() {
        assert_eq!(preview("  ", 2), "Attachment (not delivered to the bot)");
        assert_eq!(preview("", 0), "");
    }
}
