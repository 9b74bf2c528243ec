//! Copies an SQLite file's WAL into the database on a thread of its own, so that the checkpoint a
//! commit runs itself finds almost nothing left to do.
//!
//! SQLite checkpoints inside whichever commit takes the WAL past 1,000 pages. That checkpoint
//! copies the pages into the database and syncs the file, and every webhook of that commit waits
//! for it (with automatic checkpoints switched off, as an experiment, the ingestion bench ran half
//! as fast again, but the WAL grew without end). A thread of its own cannot
//! replace it, though. A PASSIVE checkpoint never blocks a writer, so under steady writes it never
//! catches up with the last frame, and the WAL only starts over from its beginning when a commit
//! finds it fully copied: alone, the thread let the WAL grow until a pause. So both run. This
//! thread copies the frames as they come, every 20 ms while the WAL grows. The
//! automatic checkpoint keeps its usual threshold and keeps the WAL bounded, but it only copies
//! what was written since this thread's last pass.
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// Between passes while the WAL grows.
const BUSY: Duration = Duration::from_millis(20);
/// Between passes while it does not.
const IDLE: Duration = Duration::from_millis(250);

/// Runs checkpoints of the SQLite file at `path` until the handle is dropped.
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
                        // The commits' own checkpoints still keep the WAL bounded.
                        tracing::error!(%error, "could not open the database for WAL checkpoints");
                        return;
                    }
                };
                let mut wait = IDLE;
                let mut last = Wal::default();
                // Ends when the handle is dropped (the sender is gone).
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
                    match checkpoint(&connection) {
                        Ok(wal) => {
                            wait = if wal == last { IDLE } else { BUSY };
                            last = wal;
                        }
                        Err(error) => {
                            tracing::warn!(%error, "a WAL checkpoint failed; the next one tries again");
                        }
                    }
                }
            });
        if let Err(error) = started {
            tracing::error!(%error, "could not start the WAL checkpoint thread");
        }
        Self { _stop: stop }
    }
}

fn open(path: &Path) -> Result<rusqlite::Connection, rusqlite::Error> {
    let connection = rusqlite::Connection::open(path)?;
    connection.busy_timeout(Duration::from_secs(5))?;
    // A PASSIVE checkpoint syncs the WAL and then the database (as the commits' own do), whatever
    // this connection's setting: a page reaches the database only once its frame is on disk.
    connection.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0")?;
    Ok(connection)
}

/// The WAL's frames, and how many of them are in the database.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
struct Wal {
    frames: i64,
    copied: i64,
}

/// One PASSIVE checkpoint: copies what it can without waiting for anyone.
fn checkpoint(connection: &rusqlite::Connection) -> Result<Wal, rusqlite::Error> {
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok(Wal {
            frames: row.get(1)?,
            copied: row.get(2)?,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn writer(path: &Path, autocheckpoint: u32) -> rusqlite::Connection {
        let writer = rusqlite::Connection::open(path).expect("open");
        writer
            .execute_batch(&format!(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA wal_autocheckpoint = {autocheckpoint}; \
                 CREATE TABLE IF NOT EXISTS t (x TEXT)"
            ))
            .expect("setup");
        writer
    }

    fn write(writer: &rusqlite::Connection, rows: usize) {
        for _ in 0..rows {
            writer
                .execute("INSERT INTO t VALUES (?1)", [&"x".repeat(4_000)])
                .expect("insert");
        }
    }

    fn size(path: &Path) -> u64 {
        std::fs::metadata(path).map_or(0, |m| m.len())
    }

    #[test]
    fn the_thread_copies_the_wal_into_the_database_while_nobody_else_checkpoints() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.db");
        let writer = writer(&path, 0);
        write(&writer, 300);
        assert!(size(&path) < 100_000, "nothing copied yet");

        let checkpointer = Checkpointer::start(path.clone());
        let deadline = Instant::now() + Duration::from_secs(10);
        while size(&path) < 1_000_000 {
            assert!(
                Instant::now() < deadline,
                "the thread copied the WAL into the database"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // It keeps copying as the writer goes on.
        write(&writer, 300);
        while size(&path) < 2_000_000 {
            assert!(Instant::now() < deadline, "and copies what comes next");
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(checkpointer);
    }

    #[test]
    fn under_steady_writes_beside_the_thread_the_wal_stays_bounded() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("t.db");
        // SQLite's usual automatic checkpoint (1,000 pages) on the writer, as on the server's.
        let writer = writer(&path, 1_000);
        let _checkpointer = Checkpointer::start(path.clone());
        let wal = path.with_extension("db-wal");
        let mut largest = 0;
        for _ in 0..100 {
            write(&writer, 30);
            largest = largest.max(size(&wal));
            std::thread::sleep(Duration::from_millis(5));
        }
        // 3,000 rows of 4 KB went through (about 12 MB of frames); the WAL never held much more
        // than the automatic checkpoint's 1,000 pages.
        assert!(size(&path) > 10_000_000, "the rows reached the database");
        assert!(largest < 6_000_000, "the WAL grew to {largest} bytes");
    }
}
