//! The reply path's small writes (a reply recorded and claimed for sending, a send recorded, a job
//! finished, a lease renewed, a delivery status), each a few statements that must all happen or
//! none. On an SQLite file they are group-committed by a thread of their own: it takes every write
//! waiting, runs each under a savepoint of one transaction on its own connection (`repo::direct`)
//! and answers each caller after the commit. One at a time through sqlx, each of a reply's half a
//! dozen writes waited for the write gate and then made several round trips to sqlx's worker
//! thread while holding it; a hundred conversations answered at once queued behind each other
//! there. Elsewhere (PostgreSQL, an in-memory SQLite database) they run through the pool, in a
//! transaction when there are several.
use super::direct::{self, DirectError};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement};
use std::path::PathBuf;
use tokio::sync::{mpsc, oneshot};

/// Writes waiting for the writer; past this, callers wait for room.
const QUEUE: usize = 4_096;
/// At most this many writes share a transaction.
const MAX_GROUP: usize = 256;
/// The writer's SQLite page cache, in KiB.
const CACHE_KIB: u32 = 16 * 1024;

/// One write: statements run in order, all or none.
struct Write {
    statements: Vec<Statement>,
    done: oneshot::Sender<Result<Vec<u64>, String>>,
}

/// The handle writers hold; cheap to clone.
#[derive(Clone)]
pub struct Writes {
    inner: Inner,
}

#[derive(Clone)]
enum Inner {
    SqliteFile(mpsc::Sender<Write>),
    Pool(DatabaseConnection),
}

impl Writes {
    /// Writes through `db`'s pool.
    pub fn through(db: DatabaseConnection) -> Self {
        Self {
            inner: Inner::Pool(db),
        }
    }

    /// Writes to the SQLite file at `path` from a thread of its own; it ends when the last handle
    /// is dropped.
    pub fn on_sqlite_file(path: PathBuf) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let started = std::thread::Builder::new()
            .name("viesti-writes".into())
            .spawn(move || match direct::open(&path, CACHE_KIB) {
                Ok(connection) => commit_groups(connection, receiver),
                Err(error) => {
                    // Every write then fails with "the server is stopping" and is retried.
                    tracing::error!(%error, "could not open the reply writer's database connection");
                }
            });
        if let Err(error) = started {
            tracing::error!(%error, "could not start the reply writer's thread");
        }
        Self {
            inner: Inner::SqliteFile(sender),
        }
    }

    /// The SQL dialect statements for [`Writes::run`] are built in.
    pub fn backend(&self) -> DatabaseBackend {
        match &self.inner {
            Inner::SqliteFile(_) => DatabaseBackend::Sqlite,
            Inner::Pool(db) => db.get_database_backend(),
        }
    }

    /// Runs one statement and returns the rows it changed once it is committed.
    pub async fn run_statement(&self, statement: Statement) -> Result<u64, DbErr> {
        Ok(self
            .run(vec![statement])
            .await?
            .first()
            .copied()
            .unwrap_or_default())
    }

    /// Runs `statements` in order, all or none, and returns the rows each one changed once they are
    /// committed.
    pub async fn run(&self, statements: Vec<Statement>) -> Result<Vec<u64>, DbErr> {
        match &self.inner {
            Inner::SqliteFile(sender) => {
                let (done, committed) = oneshot::channel();
                let stopped = || DbErr::Custom("the server is stopping".into());
                sender
                    .send(Write { statements, done })
                    .await
                    .map_err(|_| stopped())?;
                committed
                    .await
                    .map_err(|_| stopped())?
                    .map_err(DbErr::Custom)
            }
            Inner::Pool(db) if statements.len() == 1 => {
                let _gate = super::write_gate(db).await;
                let mut changed = Vec::with_capacity(1);
                for statement in statements {
                    changed.push(db.execute_raw(statement).await?.rows_affected());
                }
                Ok(changed)
            }
            Inner::Pool(db) => {
                let txn = super::begin_write(db).await?;
                let mut changed = Vec::with_capacity(statements.len());
                for statement in statements {
                    changed.push(txn.execute_raw(statement).await?.rows_affected());
                }
                txn.commit().await?;
                Ok(changed)
            }
        }
    }
}

/// The writer's thread: gathers every write waiting, commits them together under the write gate,
/// answers each.
fn commit_groups(mut connection: rusqlite::Connection, mut receiver: mpsc::Receiver<Write>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while receiver.blocking_recv_many(&mut group, MAX_GROUP) > 0 {
        let outcome = {
            let _gate = super::sqlite_write_gate_blocking();
            run_group(&mut connection, &group)
        };
        match outcome {
            Ok(results) => {
                for (write, result) in group.drain(..).zip(results) {
                    let _ = write.done.send(result);
                }
            }
            Err(error) => {
                tracing::error!(%error, writes = group.len(), "a group of writes failed");
                let error = error.to_string();
                for write in group.drain(..) {
                    let _ = write.done.send(Err(error.clone()));
                }
            }
        }
    }
}

/// Runs a group of writes in one transaction, each of several statements under a savepoint (a
/// single statement is all or nothing by itself), so that one that fails leaves the others; an error
/// that ends the transaction fails them all.
fn run_group(
    connection: &mut rusqlite::Connection,
    group: &[Write],
) -> Result<Vec<Result<Vec<u64>, String>>, DirectError> {
    let txn = connection.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut results = Vec::with_capacity(group.len());
    for write in group {
        let several = write.statements.len() > 1;
        if several {
            txn.prepare_cached("SAVEPOINT write")?.execute([])?;
        }
        let ran: Result<Vec<u64>, DirectError> = write
            .statements
            .iter()
            .map(|statement| direct::execute(&txn, statement).map(|n| n as u64))
            .collect();
        if txn.is_autocommit() {
            // SQLite rolled the whole transaction back (a full disk, say): nothing here holds.
            return Err(ran.err().unwrap_or(DirectError::TransactionEnded));
        }
        match ran {
            Ok(changed) => {
                if several {
                    txn.prepare_cached("RELEASE write")?.execute([])?;
                }
                results.push(Ok(changed));
            }
            Err(error) => {
                if several {
                    txn.prepare_cached("ROLLBACK TO write")?.execute([])?;
                    txn.prepare_cached("RELEASE write")?.execute([])?;
                }
                results.push(Err(error.to_string()));
            }
        }
    }
    txn.commit()?;
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(value: &str) -> Statement {
        Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "INSERT INTO t (v) VALUES (?)",
            [value.into()],
        )
    }

    /// Writes gathered while the write gate is held commit together; the one that fails is undone
    /// entirely (its first statement too) and the others stand.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_of_a_group_leaves_the_others_and_is_undone_whole() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.db");
        rusqlite::Connection::open(&path)
            .expect("open")
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE); \
                 INSERT INTO t (v) VALUES ('existing')",
            )
            .expect("setup");
        let writes = Writes::on_sqlite_file(path.clone());
        let gate = super::super::SQLITE_WRITER.lock().await;
        let mut running = tokio::task::JoinSet::new();
        for i in 0..20 {
            let writes = writes.clone();
            running.spawn(async move {
                let statements = match i {
                    // Its second statement repeats a stored value.
                    7 => vec![insert("seven"), insert("existing")],
                    // One statement, refused.
                    11 => vec![insert("existing")],
                    _ => vec![insert(&format!("value {i}"))],
                };
                (i, writes.run(statements).await)
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        drop(gate);
        while let Some(done) = running.join_next().await {
            let (i, result) = done.expect("task");
            match i {
                7 | 11 => assert!(result.is_err(), "the repeated value is refused"),
                _ => assert_eq!(result.expect("stored"), vec![1]),
            }
        }
        let check = rusqlite::Connection::open(&path).expect("open");
        let values: Vec<String> = check
            .prepare("SELECT v FROM t ORDER BY v")
            .expect("query")
            .query_map([], |row| row.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("values");
        assert_eq!(values.len(), 19, "{values:?}");
        assert!(!values.contains(&"seven".to_owned()), "undone whole");
    }
}
