//! Group commit for inbound texts. Webhooks hand their parsed message to the intake and wait; the
//! intake stores whatever has gathered meanwhile in one transaction
//! (`repo::conversations::record_inbound_batch`) and answers each webhook after the commit. Under
//! load a batch fills while the previous one commits, so many requests share one transaction; alone,
//! a message is stored at once. The promise is unchanged: a 200 means the message and its reply job
//! are committed.
//!
//! On an SQLite file the committer is a plain thread with a connection of its own that runs each
//! batch in one synchronous call (`repo::conversations::sqlite_ingest`); on PostgreSQL (and an
//! in-memory SQLite database, which exists only inside the server's pool) committers on a runtime
//! of their own go through sea-orm.
use crate::domain::inbound::InboundSms;
use crate::server::repo::conversations::{Incoming, Stored, record_inbound_batch, sqlite_ingest};
use crate::server::repo::sms::SmsConnection;
use sea_orm::{DatabaseBackend, DatabaseConnection};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// At most this many texts share a transaction.
const MAX_BATCH: usize = 256;
/// Texts waiting for a batch; past this, webhooks wait for room (back-pressure, never a drop).
const QUEUE: usize = 4_096;

/// A text waiting to be stored, and the webhook waiting for it.
struct Pending {
    connection: Arc<SmsConnection>,
    inbound: InboundSms,
    done: oneshot::Sender<Result<Stored, IntakeError>>,
}

/// Why a text could not be stored; nothing of it was (Twilio's retry will be safe).
#[derive(Debug, Clone, thiserror::Error)]
pub enum IntakeError {
    #[error("could not store the inbound message: {0}")]
    Database(String),
    #[error("the server is stopping")]
    Stopped,
}

/// Where the intake stores texts.
pub enum Store {
    /// A pool of the intake's own (PostgreSQL), or the server's (in-memory SQLite).
    Pool(DatabaseConnection),
    /// An SQLite file, written through a connection the intake opens with this page cache (KiB).
    SqliteFile { path: PathBuf, cache_kib: u32 },
}

/// The handle webhooks hold; cheap to clone.
#[derive(Clone)]
pub struct Intake {
    sender: mpsc::Sender<Pending>,
}

impl Intake {
    /// Starts the committers: on an SQLite file one thread with its own connection (SQLite has
    /// one writer); on a pool, committers on a runtime of their own thread, four on PostgreSQL
    /// (while one waits for its commit to reach the disk, the others gather and write). On the
    /// server's runtime, every statement of a batch waited behind the web requests' tasks (the
    /// pipeline left a fifth of the machine idle under load).
    pub fn start(store: Store) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let started = match store {
            Store::SqliteFile { path, cache_kib } => std::thread::Builder::new()
                .name("viesti-intake".into())
                .spawn(move || match sqlite_ingest::open(&path, cache_kib) {
                    Ok(connection) => commit_sqlite_batches(connection, receiver),
                    Err(error) => {
                        // Webhooks then answer 503 ("the server is stopping") and Twilio retries.
                        tracing::error!(%error, "could not open the inbound message intake's database connection");
                    }
                }),
            Store::Pool(db) => {
                let committers = match db.get_database_backend() {
                    DatabaseBackend::Postgres => 4,
                    _ => 1,
                };
                let receiver = Arc::new(Mutex::new(receiver));
                std::thread::Builder::new()
                    .name("viesti-intake".into())
                    .spawn(move || {
                        let runtime = match tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                        {
                            Ok(runtime) => runtime,
                            Err(error) => {
                                tracing::error!(%error, "could not start the inbound message intake");
                                return;
                            }
                        };
                        runtime.block_on(async move {
                            let mut running = tokio::task::JoinSet::new();
                            for _ in 0..committers {
                                running.spawn(commit_batches(db.clone(), Arc::clone(&receiver)));
                            }
                            // They end when every webhook's handle is gone (the server stopped).
                            while running.join_next().await.is_some() {}
                        });
                    })
            }
        };
        if let Err(error) = started {
            // Webhooks then answer 503 ("the server is stopping") and Twilio retries.
            tracing::error!(%error, "could not start the inbound message intake's thread");
        }
        Self { sender }
    }

    /// Stores one inbound text, returning once it is committed (or known not to be).
    pub async fn record(
        &self,
        connection: Arc<SmsConnection>,
        inbound: InboundSms,
    ) -> Result<Stored, IntakeError> {
        let (done, stored) = oneshot::channel();
        self.sender
            .send(Pending {
                connection,
                inbound,
                done,
            })
            .await
            .map_err(|_| IntakeError::Stopped)?;
        stored.await.map_err(|_| IntakeError::Stopped)?
    }
}

async fn commit_batches(db: DatabaseConnection, receiver: Arc<Mutex<mpsc::Receiver<Pending>>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        {
            let mut receiver = receiver.lock().await;
            if receiver.recv_many(&mut batch, MAX_BATCH).await == 0 {
                return;
            }
        }
        let stored = record_inbound_batch(&db, &incoming(&batch))
            .await
            .map_err(|error| error.to_string());
        let mut alone = Vec::new();
        answer(&mut batch, stored, &mut alone);
        for pending in alone {
            let outcome = record_inbound_batch(&db, &incoming(std::slice::from_ref(&pending)))
                .await
                .map_err(|error| error.to_string());
            answer_alone(pending, outcome);
        }
    }
}

/// The committer on an SQLite file: gathers what has arrived, stores it under the write gate in
/// one synchronous call, answers the webhooks; ends when every webhook's handle is gone.
fn commit_sqlite_batches(
    mut connection: rusqlite::Connection,
    mut receiver: mpsc::Receiver<Pending>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut store = |batch: &[Pending]| {
        let _gate = crate::server::repo::sqlite_write_gate_blocking();
        sqlite_ingest::record_inbound_batch(&mut connection, &incoming(batch))
            .map_err(|error| error.to_string())
    };
    while receiver.blocking_recv_many(&mut batch, MAX_BATCH) > 0 {
        let stored = store(&batch);
        let mut alone = Vec::new();
        answer(&mut batch, stored, &mut alone);
        for pending in alone {
            let outcome = store(std::slice::from_ref(&pending));
            answer_alone(pending, outcome);
        }
    }
}

fn incoming(batch: &[Pending]) -> Vec<Incoming<'_>> {
    batch
        .iter()
        .map(|pending| Incoming {
            connection: &pending.connection,
            inbound: &pending.inbound,
        })
        .collect()
}

/// Answers the webhooks of a stored batch. When the batch failed, one text the database refuses
/// must not fail the others: each is moved to `alone`, to be stored by itself.
fn answer(batch: &mut Vec<Pending>, stored: Result<Vec<Stored>, String>, alone: &mut Vec<Pending>) {
    metrics::histogram!("viesti_intake_batch_size").record(batch.len() as f64);
    match stored {
        Ok(outcomes) => {
            for (pending, outcome) in batch.drain(..).zip(outcomes) {
                // A webhook that gave up waiting (its client went away) no longer listens.
                let _ = pending.done.send(Ok(outcome));
            }
        }
        Err(error) if batch.len() > 1 => {
            tracing::warn!(tags.channel = "channels/sms", %error, texts = batch.len(), "a batch of inbound messages failed; storing them one by one");
            alone.append(batch);
        }
        Err(error) => {
            tracing::error!(tags.channel = "channels/sms", %error, texts = batch.len(), "could not store a batch of inbound messages");
            let error = IntakeError::Database(error);
            for pending in batch.drain(..) {
                let _ = pending.done.send(Err(error.clone()));
            }
        }
    }
}

/// Answers the webhook of a text stored by itself.
fn answer_alone(pending: Pending, outcome: Result<Vec<Stored>, String>) {
    let outcome = outcome
        .map(|mut outcomes| outcomes.remove(0))
        .map_err(|error| {
            tracing::error!(tags.channel = "channels/sms", %error, "could not store an inbound message");
            IntakeError::Database(error)
        });
    let _ = pending.done.send(outcome);
}
