//! Running sea-orm's statements on a rusqlite connection, bound with the encodings sqlx uses on
//! SQLite (UUIDs as 16-byte blobs, times as RFC 3339 text, flags as integers), so rows written here
//! and through sea-orm are alike. The threads that write an SQLite file synchronously (the intake,
//! the reply path's writer) build their statements with sea-orm and run them here.
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, ErrorCode, Row};
use sea_orm::{Statement, Value};
use std::path::Path;
use std::time::Duration;
use uuid::Uuid;

/// Statements kept prepared per connection: multi-row statements have one shape per row count.
const STATEMENT_CACHE: usize = 512;

/// Opens a connection of its own to the SQLite file at `path`, set up as the server's pool is
/// (`startup::open`): WAL, synchronous=NORMAL, foreign keys, a 5 s busy timeout, temporary files in
/// memory, and a page cache of `cache_kib`.
pub fn open(path: &Path, cache_kib: u32) -> Result<Connection, rusqlite::Error> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(Duration::from_secs(5))?;
    connection.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
         PRAGMA temp_store = MEMORY; PRAGMA cache_size = -{cache_kib};"
    ))?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(connection)
}

/// Why a statement did not run.
#[derive(Debug, thiserror::Error)]
pub enum DirectError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("a value the database holds could not be read: {0}")]
    Decode(String),
    #[error("a value of type {0} cannot be stored in SQLite here")]
    Unsupported(&'static str),
    #[error("SQLite ended the transaction early")]
    TransactionEnded,
}

impl DirectError {
    /// True when a unique key already held the value.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DirectError::Sqlite(rusqlite::Error::SqliteFailure(failure, _))
                if failure.code == ErrorCode::ConstraintViolation
                    && matches!(
                        failure.extended_code,
                        rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                            | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                    )
        )
    }
}

/// Runs a query, decoding each row.
pub fn query<T>(
    connection: &Connection,
    statement: &Statement,
    mut decode: impl FnMut(&Row<'_>) -> Result<T, DirectError>,
) -> Result<Vec<T>, DirectError> {
    let mut prepared = connection.prepare_cached(&statement.sql)?;
    let mut rows = prepared.query(rusqlite::params_from_iter(values(statement)?))?;
    let mut found = Vec::new();
    while let Some(row) = rows.next()? {
        found.push(decode(row)?);
    }
    Ok(found)
}

/// Runs a statement; returns the rows it changed.
pub fn execute(connection: &Connection, statement: &Statement) -> Result<usize, DirectError> {
    let mut prepared = connection.prepare_cached(&statement.sql)?;
    Ok(prepared.execute(rusqlite::params_from_iter(values(statement)?))?)
}

/// A statement's values as sqlx would bind them on SQLite.
fn values(statement: &Statement) -> Result<Vec<Sql>, DirectError> {
    statement
        .values
        .iter()
        .flat_map(|values| values.0.iter())
        .map(bind)
        .collect()
}

fn bind(value: &Value) -> Result<Sql, DirectError> {
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
        Value::BigUnsigned(_) => return Err(DirectError::Unsupported("u64")),
        _ => return Err(DirectError::Unsupported("this")),
    })
}

/// A UUID column.
pub fn uuid(row: &Row<'_>, column: usize) -> Result<Uuid, DirectError> {
    let bytes: Vec<u8> = row.get(column)?;
    Uuid::from_slice(&bytes).map_err(|error| DirectError::Decode(error.to_string()))
}

/// A time column.
pub fn time(row: &Row<'_>, column: usize) -> Result<DateTime<Utc>, DirectError> {
    let text: String = row.get(column)?;
    parse_time(&text).ok_or_else(|| DirectError::Decode(format!("a time: {text:?}")))
}

/// A time column that may be NULL.
pub fn optional_time(row: &Row<'_>, column: usize) -> Result<Option<DateTime<Utc>>, DirectError> {
    let text: Option<String> = row.get(column)?;
    text.map(|text| {
        parse_time(&text).ok_or_else(|| DirectError::Decode(format!("a time: {text:?}")))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_is_built_without_its_allocation_statistics() {
        // `.cargo/config.toml` sets LIBSQLITE3_FLAGS: with the statistics on, every allocation of
        // every connection takes one process-wide mutex.
        let connection = Connection::open_in_memory().expect("open");
        let used: bool = connection
            .query_row(
                "SELECT sqlite_compileoption_used('DEFAULT_MEMSTATUS=0')",
                [],
                |row| row.get(0),
            )
            .expect("query");
        assert!(used, "SQLite was built without SQLITE_DEFAULT_MEMSTATUS=0");
    }

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
