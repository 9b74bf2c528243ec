//! Inbound texts stored many at a time (group commit): one transaction reads what a whole batch
//! needs in a few queries, decides each message in arrival order exactly as a lone message would be
//! decided, and writes the rows back with multi-row inserts. A webhook is answered only after the
//! commit, so a 200 still means its message and reply job are stored.
use super::{
    Arrival, CUSTOMER_ASKED_FOR_A_PERSON, Due, InboundOutcome, JOB_REPLY, JOB_SEND, NewMessage,
    Opening, SMS, Touch, conversation_row, event_message, job_row, message_row, person_coming,
    turns,
};
use crate::domain::inbound::InboundSms;
use crate::domain::inbox::{ConversationStatus, wants_a_person};
use crate::domain::sms_keywords::{Keyword, keyword};
use crate::server::entities::{conversation, job, message, sms_contact, twilio_connection};
use crate::server::repo::sms::SmsConnection;
use crate::server::repo::{Placeholders, WriteTransaction, begin_write, is_unique_violation, now};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QuerySelect, QueryTrait, Set, Statement,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

pub mod sqlite;

/// One inbound text and the connection whose number received it (as the webhook found it).
pub struct Incoming<'a> {
    pub connection: &'a SmsConnection,
    pub inbound: &'a InboundSms,
}

/// What became of one text of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    Done(InboundOutcome),
    /// The connection changed or was removed since the webhook read it: nothing was stored; look
    /// the connection up again (and check the signature against it) before trying once more.
    StaleConnection,
}

/// Stores a batch of inbound texts in one transaction; the result has one entry per text, in order.
/// A concurrent writer that created the same conversation, contact or message first makes the batch
/// start again (up to three times), and then it finds their rows.
pub async fn record_inbound_batch(
    db: &DatabaseConnection,
    batch: &[Incoming<'_>],
) -> Result<Vec<Stored>, DbErr> {
    for _ in 0..3 {
        match record_once(db, batch).await {
            Err(error) if is_unique_violation(&error) => {}
            other => return other,
        }
    }
    Err(DbErr::Custom(
        "could not store the inbound messages after 3 tries".into(),
    ))
}

/// A customer on a business number, as the batch leaves them.
struct Contact {
    id: Uuid,
    workspace_id: Uuid,
    is_new: bool,
    changed: bool,
    opted_out: bool,
    opted_out_at: Option<DateTime<Utc>>,
    last_keyword: Option<String>,
    updated_at: DateTime<Utc>,
}

/// A conversation, as the batch leaves it.
struct Thread {
    id: Uuid,
    status: ConversationStatus,
    status_changed: bool,
    clear_assignee: bool,
    touched: Option<Touch>,
    row: Option<conversation::ActiveModel>,
}

impl Thread {
    fn touch(&mut self, touch: Touch) {
        self.touched = Some(match self.touched.take() {
            None => touch,
            Some(earlier) => earlier.then(touch),
        });
    }
}

async fn record_once(
    db: &DatabaseConnection,
    batch: &[Incoming<'_>],
) -> Result<Vec<Stored>, DbErr> {
    let txn = begin_write(db).await?;
    let known = read_known(&txn, batch).await?;
    let plan = plan(batch, known, txn.get_database_backend());
    for write in plan.writes {
        txn.execute_raw(write).await?;
    }
    txn.commit().await?;
    Ok(plan.results)
}

/// What a batch needs from the database, read inside its transaction (in this order: on
/// PostgreSQL the conversations are locked before the contacts are read, so a concurrent STOP is
/// seen).
pub(crate) struct Known {
    /// The revision (`updated_at`) of each of the batch's connections that still exists.
    pub current: HashMap<Uuid, DateTime<Utc>>,
    /// The batch's MessageSids already stored.
    pub seen: HashSet<String>,
    /// The batch's conversations that exist.
    pub threads: Vec<FoundThread>,
    /// The batch's customers' contact rows that exist.
    pub contacts: Vec<sms_contact::Model>,
}

/// An existing conversation, as far as a batch needs it.
pub(crate) struct FoundThread {
    pub id: Uuid,
    pub chatbot_id: Uuid,
    pub customer_address: String,
    pub status: String,
}

async fn read_known(txn: &WriteTransaction, batch: &[Incoming<'_>]) -> Result<Known, DbErr> {
    // Read with the write: which connections are still as the webhooks saw them.
    let connection_ids: Vec<Uuid> = distinct(batch.iter().map(|i| i.connection.id));
    let current: HashMap<Uuid, DateTime<Utc>> = twilio_connection::Entity::find()
        .select_only()
        .column(twilio_connection::Column::Id)
        .column(twilio_connection::Column::UpdatedAt)
        .filter(twilio_connection::Column::Id.is_in(connection_ids))
        .into_tuple::<(Uuid, DateTime<Utc>)>()
        .all(&**txn)
        .await?
        .into_iter()
        .collect();

    // Twilio's retries: a MessageSid already stored is a duplicate.
    let sids: Vec<&str> = distinct(batch.iter().map(|i| i.inbound.message_sid.as_str()));
    let seen: HashSet<String> = message::Entity::find()
        .select_only()
        .column(message::Column::TwilioSid)
        .filter(message::Column::TwilioSid.is_in(sids))
        .into_tuple::<Option<String>>()
        .all(&**txn)
        .await?
        .into_iter()
        .flatten()
        .collect();

    let customers: Vec<&str> = distinct(batch.iter().map(|i| i.inbound.from.as_str()));
    let found: Vec<conversation::Model> = if txn.get_database_backend() == DatabaseBackend::Postgres
    {
        conversation::Entity::find()
            .from_raw_sql(locked_conversations(batch))
            .all(&**txn)
            .await?
    } else {
        // SQLite has one writer at a time; its planner walks the unique index for each pair.
        let chatbots: Vec<Uuid> = distinct(batch.iter().map(|i| i.connection.chatbot_id));
        conversation::Entity::find()
            .filter(conversation::Column::Channel.eq(SMS))
            .filter(conversation::Column::ChatbotId.is_in(chatbots))
            .filter(conversation::Column::CustomerAddress.is_in(customers.clone()))
            .all(&**txn)
            .await?
    };
    let threads = found
        .into_iter()
        .map(|c| FoundThread {
            id: c.id,
            chatbot_id: c.chatbot_id,
            customer_address: c.customer_address,
            status: c.status,
        })
        .collect();

    // Read after the conversations are locked, so a concurrent STOP is seen.
    let contacts = if txn.get_database_backend() == DatabaseBackend::Postgres {
        sms_contact::Entity::find()
            .from_raw_sql(contacts_by_pair(batch))
            .all(&**txn)
            .await?
    } else {
        let business: Vec<&str> =
            distinct(batch.iter().map(|i| i.connection.phone_number.as_str()));
        sms_contact::Entity::find()
            .filter(sms_contact::Column::CustomerNumber.is_in(customers))
            .filter(sms_contact::Column::BusinessNumber.is_in(business))
            .all(&**txn)
            .await?
    };
    Ok(Known {
        current,
        seen,
        threads,
        contacts,
    })
}

/// A batch decided: what becomes of each text, and the statements that store it (for `backend`).
pub(crate) struct Plan {
    pub results: Vec<Stored>,
    pub writes: Vec<Statement>,
}

/// Decides each text of the batch in arrival order, exactly as a lone text would be decided, from
/// what the database held (`known`); the writes come back as statements, so any connection that
/// speaks `backend` can run them in the batch's transaction.
pub(crate) fn plan(batch: &[Incoming<'_>], known: Known, backend: DatabaseBackend) -> Plan {
    let Known {
        current,
        mut seen,
        threads,
        contacts,
    } = known;
    let mut threads: HashMap<(Uuid, String), Thread> = threads
        .into_iter()
        .map(|c| {
            let status = c
                .status
                .parse::<ConversationStatus>()
                .unwrap_or(ConversationStatus::Bot);
            (
                (c.chatbot_id, c.customer_address),
                Thread {
                    id: c.id,
                    status,
                    status_changed: false,
                    clear_assignee: false,
                    touched: None,
                    row: None,
                },
            )
        })
        .collect();
    let mut contacts: HashMap<(String, String), Contact> = contacts
        .into_iter()
        .map(|c| {
            (
                (c.business_number, c.customer_number),
                Contact {
                    id: c.id,
                    workspace_id: c.workspace_id,
                    is_new: false,
                    changed: false,
                    opted_out: c.opted_out,
                    opted_out_at: c.opted_out_at,
                    last_keyword: c.last_keyword,
                    updated_at: c.updated_at,
                },
            )
        })
        .collect();
    // Each message gets its own instant, in arrival order, so a conversation's messages and jobs
    // keep their order even when one batch holds several of them.
    let start = now();
    let mut tick = 0;
    let mut next_instant = || {
        tick += 1;
        start + chrono::Duration::microseconds(tick)
    };
    let mut messages = Vec::new();
    let mut jobs = Vec::new();
    let mut results = Vec::with_capacity(batch.len());
    for Incoming {
        connection,
        inbound,
    } in batch
    {
        if current.get(&connection.id) != Some(&connection.revision) {
            results.push(Stored::StaleConnection);
            continue;
        }
        // Twilio's retries: a MessageSid already stored, or earlier in this batch, is a duplicate.
        if !seen.insert(inbound.message_sid.as_str().to_owned()) {
            results.push(Stored::Done(InboundOutcome::Duplicate));
            continue;
        }
        let at = next_instant();
        let keyword = keyword(&inbound.body);
        let contact = contacts
            .entry((
                connection.phone_number.as_str().to_owned(),
                inbound.from.as_str().to_owned(),
            ))
            .or_insert_with(|| Contact {
                id: Uuid::now_v7(),
                workspace_id: connection.workspace_id,
                is_new: true,
                changed: true,
                opted_out: false,
                opted_out_at: None,
                last_keyword: None,
                updated_at: at,
            });
        let opted_out = note_keyword(contact, keyword.as_ref(), at);
        let wants_person = keyword.is_none() && wants_a_person(&inbound.body);

        let thread = threads
            .entry((connection.chatbot_id, inbound.from.as_str().to_owned()))
            .or_insert_with(|| {
                let id = Uuid::now_v7();
                let opening = Opening {
                    workspace_id: connection.workspace_id,
                    chatbot_id: connection.chatbot_id,
                    channel: SMS,
                    address: inbound.from.as_str(),
                    business_number: Some(connection.phone_number.as_str()),
                };
                Thread {
                    id,
                    status: ConversationStatus::Bot,
                    status_changed: false,
                    clear_assignee: false,
                    touched: None,
                    row: Some(conversation_row(&opening, id, at)),
                }
            });
        let before = thread.status;
        let after = before.after_customer_message(wants_person);
        if after != before {
            thread.status = after;
            thread.status_changed = true;
            thread.clear_assignee |= before == ConversationStatus::Resolved;
        }
        let new = NewMessage {
            workspace_id: connection.workspace_id,
            conversation_id: thread.id,
            direction: "inbound",
            author: "customer",
            author_user_id: None,
            body: &inbound.body,
            twilio_sid: Some(inbound.message_sid.as_str()),
            status: "received",
            attachments_dropped: i32::try_from(inbound.media_count).unwrap_or(i32::MAX),
            in_reply_to: None,
        };
        thread.touch(Touch::of(&new, at));
        let row = message_row(new, at);
        let message_id = *row.id.as_ref();
        messages.push(row);

        let arrival = Arrival {
            workspace_id: connection.workspace_id,
            conversation_id: thread.id,
            message_id,
            before,
            after,
            may_text: keyword.is_none() && !opted_out,
            wants_person,
        };
        let outcome = match arrival.due() {
            Due::Reply => {
                jobs.push(job_row(
                    JOB_REPLY,
                    thread.id,
                    message_id,
                    at,
                    start,
                    turns::next(connection.workspace_id, start),
                ));
                arrival.queued()
            }
            Due::PersonNotice => {
                let event = event_message(
                    connection.workspace_id,
                    thread.id,
                    None,
                    CUSTOMER_ASKED_FOR_A_PERSON,
                );
                let event_at = next_instant();
                thread.touch(Touch::of(&event, event_at));
                messages.push(message_row(event, event_at));
                let notice = person_coming(connection.workspace_id, thread.id, message_id);
                let notice_at = next_instant();
                thread.touch(Touch::of(&notice, notice_at));
                let row = message_row(notice, notice_at);
                jobs.push(job_row(
                    JOB_SEND,
                    thread.id,
                    *row.id.as_ref(),
                    notice_at,
                    start,
                    turns::next(connection.workspace_id, start),
                ));
                messages.push(row);
                arrival.escalated()
            }
            Due::Nothing => arrival.stored_without_reply(),
        };
        results.push(Stored::Done(outcome));
    }

    let mut writes = write_contacts(backend, contacts);
    writes.extend(write_threads(backend, threads));
    if !messages.is_empty() {
        writes.push(message::Entity::insert_many(messages).build(backend));
    }
    if !jobs.is_empty() {
        writes.push(job::Entity::insert_many(jobs).build(backend));
    }
    Plan { results, writes }
}

/// Applies an opt-out or opt-in keyword to a contact; returns whether they are opted out now.
fn note_keyword(
    contact: &mut Contact,
    keyword: Option<&(Keyword, String)>,
    at: DateTime<Utc>,
) -> bool {
    let Some((kind, word)) = keyword else {
        return contact.opted_out;
    };
    let opted_out = match kind {
        Keyword::OptOut => true,
        Keyword::OptIn => false,
        Keyword::Help => contact.opted_out,
    };
    if opted_out != contact.opted_out {
        contact.opted_out_at = opted_out.then_some(at);
    }
    contact.opted_out = opted_out;
    contact.last_keyword = Some(word.clone());
    contact.updated_at = at;
    contact.changed = true;
    opted_out
}

fn write_contacts(
    backend: DatabaseBackend,
    contacts: HashMap<(String, String), Contact>,
) -> Vec<Statement> {
    let mut writes = Vec::new();
    let mut inserts = Vec::new();
    // Updated in id order, so two instances' batches lock shared contacts in the same order.
    let mut contacts: Vec<_> = contacts.into_iter().collect();
    contacts.sort_by_key(|(_, contact)| contact.id);
    for ((business_number, customer_number), contact) in contacts {
        if !contact.changed {
            continue;
        }
        if contact.is_new {
            inserts.push(sms_contact::ActiveModel {
                id: Set(contact.id),
                workspace_id: Set(contact.workspace_id),
                business_number: Set(business_number),
                customer_number: Set(customer_number),
                opted_out: Set(contact.opted_out),
                opted_out_at: Set(contact.opted_out_at),
                last_keyword: Set(contact.last_keyword),
                updated_at: Set(contact.updated_at),
            });
        } else {
            writes.push(
                sms_contact::Entity::update_many()
                    .col_expr(
                        sms_contact::Column::OptedOut,
                        Expr::value(contact.opted_out),
                    )
                    .col_expr(
                        sms_contact::Column::OptedOutAt,
                        Expr::value(contact.opted_out_at),
                    )
                    .col_expr(
                        sms_contact::Column::LastKeyword,
                        Expr::value(contact.last_keyword),
                    )
                    .col_expr(
                        sms_contact::Column::UpdatedAt,
                        Expr::value(contact.updated_at),
                    )
                    .filter(sms_contact::Column::Id.eq(contact.id))
                    .build(backend),
            );
        }
    }
    if !inserts.is_empty() {
        // In key order, so two batches adding the same new customers never wait for each other in
        // a circle (PostgreSQL).
        inserts.sort_by(|a, b| {
            (a.business_number.as_ref(), a.customer_number.as_ref())
                .cmp(&(b.business_number.as_ref(), b.customer_number.as_ref()))
        });
        writes.push(sms_contact::Entity::insert_many(inserts).build(backend));
    }
    writes
}

fn write_threads(
    backend: DatabaseBackend,
    threads: HashMap<(Uuid, String), Thread>,
) -> Vec<Statement> {
    let mut writes = Vec::new();
    let mut inserts = Vec::new();
    // Updated in id order, so two instances' batches lock shared conversations in the same order.
    let mut updates: Vec<Thread> = Vec::new();
    for (_, mut thread) in threads {
        let Some(touch) = thread.touched.take() else {
            continue;
        };
        if let Some(mut row) = thread.row.take() {
            row.status = Set(thread.status.as_str().to_owned());
            touch.apply(&mut row);
            inserts.push(row);
        } else {
            thread.touched = Some(touch);
            updates.push(thread);
        }
    }
    updates.sort_by_key(|t| t.id);
    for thread in updates.iter().filter(|t| t.clear_assignee) {
        writes.push(
            conversation::Entity::update_many()
                .col_expr(
                    conversation::Column::AssigneeId,
                    Expr::value(Option::<Uuid>::None),
                )
                .filter(conversation::Column::Id.eq(thread.id))
                .build(backend),
        );
    }
    writes.extend(touch_many(backend, updates));
    if !inserts.is_empty() {
        // In key order, like the contacts.
        inserts.sort_by(|a, b| {
            (a.chatbot_id.as_ref(), a.customer_address.as_ref())
                .cmp(&(b.chatbot_id.as_ref(), b.customer_address.as_ref()))
        });
        writes.push(conversation::Entity::insert_many(inserts).build(backend));
    }
    writes
}

/// Moves many conversations' activity time, preview, unread mark and (where it changed) status in
/// one statement: `UPDATE … FROM (VALUES …)`, which SQLite (3.33+) and PostgreSQL both read.
fn touch_many(backend: DatabaseBackend, threads: Vec<Thread>) -> Option<Statement> {
    if threads.is_empty() {
        return None;
    }
    let postgres = backend == DatabaseBackend::Postgres;
    let marker = Placeholders::new(backend);
    let typed = |n: usize, pg_type: &str| {
        if postgres {
            format!("{}::{pg_type}", marker.at(n))
        } else {
            marker.at(n)
        }
    };
    let mut rows = Vec::with_capacity(threads.len());
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(threads.len() * 5);
    for mut thread in threads {
        let Some(touch) = thread.touched.take() else {
            continue;
        };
        let n = rows.len() * 5;
        rows.push(format!(
            "({}, {}, {}, {}, {})",
            typed(n + 1, "uuid"),
            typed(n + 2, "timestamptz"),
            typed(n + 3, "text"),
            typed(n + 4, "timestamptz"),
            typed(n + 5, "text"),
        ));
        values.push(thread.id.into());
        values.push(touch.at.into());
        values.push(touch.preview.into());
        values.push(touch.inbound_at.into());
        values.push(
            thread
                .status_changed
                .then(|| thread.status.as_str().to_owned())
                .into(),
        );
    }
    let sql = format!(
        "UPDATE conversations SET \
           last_message_at = v.at, \
           last_message_preview = COALESCE(v.preview, conversations.last_message_preview), \
           last_inbound_at = COALESCE(v.inbound_at, conversations.last_inbound_at), \
           status = COALESCE(v.status, conversations.status) \
         FROM (SELECT column1 AS id, column2 AS at, column3 AS preview, column4 AS inbound_at, \
                      column5 AS status FROM (VALUES {}) AS t) AS v \
         WHERE conversations.id = v.id",
        rows.join(", ")
    );
    Some(Statement::from_sql_and_values(backend, sql, values))
}

/// PostgreSQL: the batch's conversations, locked as read so that a teammate's concurrent change
/// (take over, resolve) waits for this batch or is seen by it. Each (chatbot, customer) pair is
/// looked up through the unique index, whatever the table's statistics say (with statistics from
/// when the table was small, `customer_address IN (…)` became a filter over every conversation of
/// the chatbot), and locked in key order, so two batches never wait for each other in a circle.
fn locked_conversations(batch: &[Incoming<'_>]) -> Statement {
    let mut keys: Vec<(Uuid, &str)> = batch
        .iter()
        .map(|i| (i.connection.chatbot_id, i.inbound.from.as_str()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let keys: Vec<serde_json::Value> = keys
        .into_iter()
        .map(|(chatbot_id, address)| serde_json::json!({"chatbot_id": chatbot_id, "address": address}))
        .collect();
    Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT c.* FROM jsonb_to_recordset($1::jsonb) AS k(chatbot_id uuid, address varchar) \
         CROSS JOIN LATERAL (SELECT * FROM conversations \
           WHERE chatbot_id = k.chatbot_id AND channel = $2 AND customer_address = k.address \
           FOR UPDATE) AS c",
        [serde_json::Value::Array(keys).into(), SMS.into()],
    )
}

/// PostgreSQL: the batch's customers' contact rows, each (business number, customer) pair looked up
/// through the unique index (`LIMIT 1`, one row per pair anyway, keeps the planner from turning the
/// lookups into a scan of the table). With `customer_number IN (…) AND business_number IN (…)` and
/// statistics from when the table was small, the planner read every contact of the business and
/// filtered them (4 ms a batch at 5,000 contacts, the largest cost of ingestion in a profile).
fn contacts_by_pair(batch: &[Incoming<'_>]) -> Statement {
    let mut keys: Vec<(&str, &str)> = batch
        .iter()
        .map(|i| (i.connection.phone_number.as_str(), i.inbound.from.as_str()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let keys: Vec<serde_json::Value> = keys
        .into_iter()
        .map(|(business, customer)| serde_json::json!({"business": business, "customer": customer}))
        .collect();
    Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT s.* FROM jsonb_to_recordset($1::jsonb) AS k(business varchar, customer varchar) \
         CROSS JOIN LATERAL (SELECT * FROM sms_contacts \
           WHERE business_number = k.business AND customer_number = k.customer LIMIT 1) AS s",
        [serde_json::Value::Array(keys).into()],
    )
}

/// The distinct values, in first-seen order.
fn distinct<T: Eq + std::hash::Hash + Copy>(values: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    values.filter(|v| seen.insert(*v)).collect()
}
