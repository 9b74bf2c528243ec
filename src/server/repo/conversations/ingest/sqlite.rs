//! The group commit of inbound texts on an SQLite file, run synchronously on the intake's own
//! connection and thread. Through sqlx, each statement of a batch was a round trip to the
//! connection's worker thread and back (about a dozen per batch), and under load the batch spent
//! more time in those hand-offs than in SQLite; here the whole batch runs in one call, with cached
//! statements. It reads and writes exactly what [`super::record_inbound_batch`] does: the same
//! reads, the same [`super::plan`], its statements run by `repo::direct` with the encodings sqlx
//! uses, so rows written here and through sea-orm are alike.
use super::{FoundThread, Incoming, Known, Stored, distinct, plan};
use crate::server::entities::{conversation, message, sms_contact, twilio_connection};
use crate::server::repo::conversations::SMS;
use crate::server::repo::direct::{DirectError, execute, optional_time, query, time, uuid};
use rusqlite::{Connection, TransactionBehavior};
use sea_orm::{ColumnTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

pub use crate::server::repo::direct::open;

/// Why a batch was not stored; nothing of it was.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    Database(#[from] DirectError),
    #[error("could not store the inbound messages after 3 tries")]
    Contended,
}

impl From<rusqlite::Error> for BatchError {
    fn from(error: rusqlite::Error) -> Self {
        BatchError::Database(error.into())
    }
}

/// Stores a batch of inbound texts in one transaction; the result has one entry per text, in order.
/// The caller holds the SQLite write gate (`repo::sqlite_write_gate_blocking`).
pub fn record_inbound_batch(
    connection: &mut Connection,
    batch: &[Incoming<'_>],
) -> Result<Vec<Stored>, BatchError> {
    for _ in 0..3 {
        match record_once(connection, batch) {
            Err(BatchError::Database(error)) if error.is_unique_violation() => {}
            other => return other,
        }
    }
    Err(BatchError::Contended)
}

fn record_once(
    connection: &mut Connection,
    batch: &[Incoming<'_>],
) -> Result<Vec<Stored>, BatchError> {
    let txn = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let known = read_known(&txn, batch)?;
    let plan = plan(batch, known, DatabaseBackend::Sqlite);
    for write in &plan.writes {
        execute(&txn, write)?;
    }
    txn.commit()?;
    Ok(plan.results)
}

/// The reads of `super::read_known`, on this connection.
fn read_known(connection: &Connection, batch: &[Incoming<'_>]) -> Result<Known, DirectError> {
    let connection_ids: Vec<Uuid> = distinct(batch.iter().map(|i| i.connection.id));
    let current = query(
        connection,
        &twilio_connection::Entity::find()
            .select_only()
            .column(twilio_connection::Column::Id)
            .column(twilio_connection::Column::UpdatedAt)
            .filter(twilio_connection::Column::Id.is_in(connection_ids))
            .build(DatabaseBackend::Sqlite),
        |row| Ok((uuid(row, 0)?, time(row, 1)?)),
    )?
    .into_iter()
    .collect::<HashMap<_, _>>();

    let sids: Vec<&str> = distinct(batch.iter().map(|i| i.inbound.message_sid.as_str()));
    let seen = query(
        connection,
        &message::Entity::find()
            .select_only()
            .column(message::Column::TwilioSid)
            .filter(message::Column::TwilioSid.is_in(sids))
            .build(DatabaseBackend::Sqlite),
        |row| Ok(row.get::<_, Option<String>>(0)?),
    )?
    .into_iter()
    .flatten()
    .collect::<HashSet<_>>();

    let customers: Vec<&str> = distinct(batch.iter().map(|i| i.inbound.from.as_str()));
    let chatbots: Vec<Uuid> = distinct(batch.iter().map(|i| i.connection.chatbot_id));
    let threads = query(
        connection,
        &conversation::Entity::find()
            .select_only()
            .column(conversation::Column::Id)
            .column(conversation::Column::ChatbotId)
            .column(conversation::Column::CustomerAddress)
            .column(conversation::Column::Status)
            .filter(conversation::Column::Channel.eq(SMS))
            .filter(conversation::Column::ChatbotId.is_in(chatbots))
            .filter(conversation::Column::CustomerAddress.is_in(customers.clone()))
            .build(DatabaseBackend::Sqlite),
        |row| {
            Ok(FoundThread {
                id: uuid(row, 0)?,
                chatbot_id: uuid(row, 1)?,
                customer_address: row.get(2)?,
                status: row.get(3)?,
            })
        },
    )?;

    let business: Vec<&str> = distinct(batch.iter().map(|i| i.connection.phone_number.as_str()));
    let contacts = query(
        connection,
        &sms_contact::Entity::find()
            .select_only()
            .column(sms_contact::Column::Id)
            .column(sms_contact::Column::WorkspaceId)
            .column(sms_contact::Column::BusinessNumber)
            .column(sms_contact::Column::CustomerNumber)
            .column(sms_contact::Column::OptedOut)
            .column(sms_contact::Column::OptedOutAt)
            .column(sms_contact::Column::LastKeyword)
            .column(sms_contact::Column::UpdatedAt)
            .filter(sms_contact::Column::CustomerNumber.is_in(customers))
            .filter(sms_contact::Column::BusinessNumber.is_in(business))
            .build(DatabaseBackend::Sqlite),
        |row| {
            Ok(sms_contact::Model {
                id: uuid(row, 0)?,
                workspace_id: uuid(row, 1)?,
                business_number: row.get(2)?,
                customer_number: row.get(3)?,
                opted_out: row.get(4)?,
                opted_out_at: optional_time(row, 5)?,
                last_keyword: row.get(6)?,
                updated_at: time(row, 7)?,
            })
        },
    )?;
    Ok(Known {
        current,
        seen,
        threads,
        contacts,
    })
}
