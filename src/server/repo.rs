//! Queries, one module per aggregate. Every function that reads or writes workspace data takes the
//! caller's workspace id and filters on it, so another workspace's ids simply are not found.
pub mod accounts;
pub mod chatbots;
pub mod checkpoint;
pub mod conversations;
pub mod direct;
pub mod inbox;
pub mod knowledge;
pub mod sign_ups;
pub mod sms;
pub mod team;
pub mod writes;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, SqlErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

/// SQLite has one writer at a time. Left to SQLite, concurrent writers poll its busy handler with
/// growing sleeps (a convoy: the webhook bench ran 3x slower at 16 concurrent requests than at one);
/// queueing them here instead hands the lock over at once. PostgreSQL needs no gate.
static SQLITE_WRITER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Waits for the SQLite write gate (a no-op on PostgreSQL); hold the guard for the whole write.
pub async fn write_gate(db: &DatabaseConnection) -> Option<tokio::sync::MutexGuard<'static, ()>> {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => Some(SQLITE_WRITER.lock().await),
        _ => None,
    }
}

/// The SQLite write gate, for a thread outside the async runtime (the intake's); hold the guard for
/// the whole write.
pub fn sqlite_write_gate_blocking() -> tokio::sync::MutexGuard<'static, ()> {
    SQLITE_WRITER.blocking_lock()
}

/// A transaction that will write, holding the SQLite write gate until it ends.
pub struct WriteTransaction {
    txn: DatabaseTransaction,
    _gate: Option<tokio::sync::MutexGuard<'static, ()>>,
}

impl std::ops::Deref for WriteTransaction {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTransaction {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`): a deferred transaction that reads and then writes cannot wait for a concurrent writer
/// and fails with "database is locked", which under concurrent webhooks lost requests (see the
/// webhook bench). PostgreSQL ignores the option.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTransaction, DbErr> {
    let gate = write_gate(db).await;
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await?;
    Ok(WriteTransaction { txn, _gate: gate })
}

/// True when the database refused a write because a unique key already holds the value.
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// The current time at the database's precision (microseconds), so a time read back and handed to
/// a keyset cursor compares equal to the stored one.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Bind-parameter markers for hand-written SQL: `?1` on SQLite, `$1` on PostgreSQL.
#[derive(Debug, Clone, Copy)]
pub struct Placeholders {
    postgres: bool,
}

impl Placeholders {
    pub fn new(backend: DatabaseBackend) -> Self {
        Self {
            postgres: backend == DatabaseBackend::Postgres,
        }
    }

    /// The marker of the `n`th value (from 1).
    pub fn at(self, n: usize) -> String {
        if self.postgres {
            format!("${n}")
        } else {
            format!("?{n}")
        }
    }
}
