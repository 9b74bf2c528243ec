//! WAL checkpoints of an SQLite file on a thread of their own. Left to SQLite, a checkpoint runs
//! inside whichever commit pushes the WAL past 1,000 pages: it copies the pages into the database
//! and syncs the file while that commit's webhooks wait (the p99 of a steady 1,000 texts a second
//! was four times its p50). This thread runs a PASSIVE checkpoint, which never blocks a writer or
//! a reader, a few times a second, so the server's connections never reach their automatic
//! checkpoint (raised to [`AUTOCHECKPOINT_PAGES`], a safety net should this thread stall). Once
//! every frame is in the database and no reader still uses them, the next writer starts the WAL
//! over from its beginning, so it stays small.
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

/// How often the WAL is copied into the database.
const EVERY: Duration = Duration::from_millis(250);
/// SQLite's automatic checkpoint on the server's connections, in WAL pages (40 MB).
pub const AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// Runs checkpoints of the SQLite file at `path` until the returned handle is dropped.
pub struct Checkpointer {
    _stop: mpsc::Sender<()>,
}

impl Checkpointer {
    pub fn start(path: PathBuf) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let started = std::thread::Builder::new()
            .name("viesti-checkpoint".into())
            .spawn(move || {
                let connection = match open(&path) {
                    Ok(connection) => connection,
                    Err(error) => {
                        tracing::error!(%error, "could not open the database for WAL checkpoints; the WAL will grow until the server restarts");
                        return;
                    }
                };
                // Ends when the handle is dropped (the sender is gone).
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(EVERY) {
                    if let Err(error) = checkpoint(&connection) {
                        tracing::warn!(%error, "a WAL checkpoint failed; the next one tries again");
                    }
                }
            });
        if let Err(error) = started {
            tracing::error!(%error, "could not start the WAL checkpoint thread");
        }
        Self { _stop: stop }
    }
}

fn open(path: &std::path::Path) -> Result<rusqlite::Connection, rusqlite::Error> {
    let connection = rusqlite::Connection::open(path)?;
    connection.busy_timeout(Duration::from_secs(5))?;
    connection.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
    Ok(connection)
}

/// One PASSIVE checkpoint: returns the WAL's frames and how many of them are in the database now.
pub fn checkpoint(connection: &rusqlite::Connection) -> Result<(i64, i64), rusqlite::Error> {
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_copies_the_wal_into_the_database_and_it_starts_over() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.db");
        let writer = rusqlite::Connection::open(&path).expect("open");
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; \
                 CREATE TABLE t (x TEXT)",
            )
            .expect("setup");
        let write = |n: usize| {
            for _ in 0..n {
                writer
                    .execute("INSERT INTO t VALUES (?1)", [&"x".repeat(4_000)])
                    .expect("insert");
            }
        };
        write(300);
        let wal = path.with_extension("db-wal");
        let grown = std::fs::metadata(&wal).expect("wal").len();
        assert!(grown > 1_000_000, "the WAL holds the writes: {grown}");

        let database = std::fs::metadata(&path).expect("db").len();
        assert!(database < 100_000, "nothing copied yet: {database}");

        let checkpointer = Checkpointer::start(path.clone());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::metadata(&path).expect("db").len() < 1_000_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "the thread copied the WAL into the database"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // Past the checkpoint that copied it, the next writes start the WAL over.
        std::thread::sleep(EVERY * 3);
        write(20);
        assert_eq!(
            std::fs::metadata(&wal).expect("wal").len(),
            grown,
            "the WAL started over rather than grew"
        );
        drop(checkpointer);
    }
}
