//! The group commit of inbound texts on an SQLite file, run synchronously on the intake's own
//! connection and thread. Through sqlx, each statement of a batch was a round trip to the
//! connection's worker thread and back (about a dozen per batch), and under load the batch spent
//! more time in those hand-offs than in SQLite; here the whole batch runs in one call, with cached
//! statements. It reads and writes exactly what [`super::record_inbound_batch`] does: the same
//! reads, the same [`super::plan`], its statements bound with the encodings sqlx uses (UUIDs as
//! 16-byte blobs, times as RFC 3339 text), so rows written here and through sea-orm are alike.
use super::{FoundThread, Incoming, Known, Stored, distinct, plan};
use crate::server::entities::{conversation, message, sms_contact, twilio_connection};
use crate::server::repo::conversations::SMS;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, ErrorCode, Row, TransactionBehavior};
use sea_orm::{
    ColumnTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Statement,
    Value,
};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;
use uuid::Uuid;

/// Statements kept prepared: a batch's multi-row statements have one shape per batch size.
const STATEMENT_CACHE: usize = 512;

/// Why a batch was not stored; nothing of it was.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("a value the database holds could not be read: {0}")]
    Decode(String),
    #[error("a value of type {0} cannot be stored in SQLite here")]
    Unsupported(&'static str),
    #[error("could not store the inbound messages after 3 tries")]
    Contended,
}

/// Opens the intake's connection to the SQLite file at `path`, set up as the server's pool is
/// (`startup::open`): WAL, synchronous=NORMAL, foreign keys, a 5 s busy timeout, checkpoints left to
/// `repo::checkpoint`, and a page cache of `cache_kib`.
pub fn open(path: &Path, cache_kib: u32) -> Result<Connection, rusqlite::Error> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(Duration::from_secs(5))?;
    connection.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA wal_autocheckpoint = {}; PRAGMA cache_size = -{cache_kib};",
        crate::server::repo::checkpoint::AUTOCHECKPOINT_PAGES
    ))?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(connection)
}

/// Stores a batch of inbound texts in one transaction; the result has one entry per text, in order.
/// The caller holds the SQLite write gate (`repo::write_gate_blocking`).
pub fn record_inbound_batch(
    connection: &mut Connection,
    batch: &[Incoming<'_>],
) -> Result<Vec<Stored>, BatchError> {
    for _ in 0..3 {
        match record_once(connection, batch) {
            Err(BatchError::Sqlite(error)) if is_unique_violation(&error) => {}
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
fn read_known(connection: &Connection, batch: &[Incoming<'_>]) -> Result<Known, BatchError> {
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

fn query<T>(
    connection: &Connection,
    statement: &Statement,
    mut decode: impl FnMut(&Row<'_>) -> Result<T, BatchError>,
) -> Result<Vec<T>, BatchError> {
    let mut prepared = connection.prepare_cached(&statement.sql)?;
    let mut rows = prepared.query(rusqlite::params_from_iter(values(statement)?))?;
    let mut found = Vec::new();
    while let Some(row) = rows.next()? {
        found.push(decode(row)?);
    }
    Ok(found)
}

fn execute(connection: &Connection, statement: &Statement) -> Result<usize, BatchError> {
    let mut prepared = connection.prepare_cached(&statement.sql)?;
    Ok(prepared.execute(rusqlite::params_from_iter(values(statement)?))?)
}

/// A statement's values as sqlx would bind them on SQLite.
fn values(statement: &Statement) -> Result<Vec<Sql>, BatchError> {
    statement
        .values
        .iter()
        .flat_map(|values| values.0.iter())
        .map(bind)
        .collect()
}

fn bind(value: &Value) -> Result<Sql, BatchError> {
    fn or_null<T>(value: Option<T>, to: impl FnOnce(T) -> Sql) -> Sql {
        value.map_or(Sql::Null, to)
    }
    Ok(match value {
        Value::Bool(v) => or_null(*v, |b| Sql::Integer(i64::from(b))),
        Value::TinyInt(v) => or_null(*v, |n| Sql::Integer(n.into())),
        Value::SmallInt(v) => or_null(*v, |n| Sql::Integer(n.into())),
        Value::Int(v) => or_null(*v, |n| Sql::Integer(n.into())),
        Value::BigInt(v) => or_null(*v, Sql::Integer),
        Value::TinyUnsigned(v) => or_null(*v, |n| Sql::Integer(n.into())),
        Value::SmallUnsigned(v) => or_null(*v, |n| Sql::Integer(n.into())),
        Value::Unsigned(v) => or_null(*v, |n| Sql::Integer(n.into())),
        Value::Double(v) => or_null(*v, Sql::Real),
        Value::Float(v) => or_null(*v, |n| Sql::Real(n.into())),
        Value::String(v) => or_null(v.clone(), Sql::Text),
        Value::Char(v) => or_null(*v, |c| Sql::Text(c.to_string())),
        Value::Bytes(v) => or_null(v.clone(), Sql::Blob),
        Value::Uuid(v) => or_null(*v, |u| Sql::Blob(u.as_bytes().to_vec())),
        Value::ChronoDateTimeUtc(v) => or_null(*v, |t| {
            Sql::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
        }),
        Value::ChronoDateTimeWithTimeZone(v) => or_null(*v, |t| {
            Sql::Text(t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
        }),
        Value::Json(v) => or_null(v.as_deref(), |j| Sql::Text(j.to_string())),
        Value::BigUnsigned(_) => return Err(BatchError::Unsupported("u64")),
        _ => return Err(BatchError::Unsupported("this")),
    })
}

fn uuid(row: &Row<'_>, column: usize) -> Result<Uuid, BatchError> {
    let bytes: Vec<u8> = row.get(column)?;
    Uuid::from_slice(&bytes).map_err(|error| BatchError::Decode(error.to_string()))
}

fn time(row: &Row<'_>, column: usize) -> Result<DateTime<Utc>, BatchError> {
    let text: String = row.get(column)?;
    parse_time(&text).ok_or_else(|| BatchError::Decode(format!("a time: {text:?}")))
}

fn optional_time(row: &Row<'_>, column: usize) -> Result<Option<DateTime<Utc>>, BatchError> {
    let text: Option<String> = row.get(column)?;
    text.map(|text| {
        parse_time(&text).ok_or_else(|| BatchError::Decode(format!("a time: {text:?}")))
    })
    .transpose()
}

/// A stored time as sqlx writes it (RFC 3339), or as SQLite's own functions do (UTC, no offset).
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc())
        })
}

fn is_unique_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.code == ErrorCode::ConstraintViolation
                && matches!(
                    failure.extended_code,
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                )
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_bound_as_sqlx_binds_them() {
        let id = Uuid::now_v7();
        let at = DateTime::parse_from_rfc3339("2026-11-30T23:36:17.123456+00:00")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(
            bind(&Value::Uuid(Some(id))).expect("uuid"),
            Sql::Blob(id.as_bytes().to_vec())
        );
        assert_eq!(
            bind(&Value::ChronoDateTimeUtc(Some(at))).expect("time"),
            Sql::Text("2026-11-30T23:36:17.123456+00:00".into())
        );
        assert_eq!(
            bind(&Value::Bool(Some(true))).expect("bool"),
            Sql::Integer(1)
        );
        assert_eq!(bind(&Value::String(None)).expect("null"), Sql::Null);
        assert_eq!(parse_time("2026-11-30T23:36:17.123456+00:00"), Some(at));
        assert_eq!(
            parse_time("2026-11-30 23:36:17.123456"),
            Some(at),
            "SQLite's own format"
        );
        assert_eq!(parse_time("yesterday"), None);
    }
}
