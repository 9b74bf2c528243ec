//! Group commit for inbound texts. Webhooks hand their parsed message to the intake and wait; the
//! intake stores whatever has gathered meanwhile in one transaction
//! (`repo::conversations::record_inbound_batch`) and answers each webhook after the commit. Under
//! load a batch fills while the previous one commits, so many requests share one transaction; alone,
//! a message is stored at once. The promise is unchanged: a 200 means the message and its reply job
//! are committed.
use crate::server::repo::conversations::{Incoming, Stored, record_inbound_batch};
use crate::server::repo::sms::SmsConnection;
use crate::server::webhooks::inbound::InboundSms;
use sea_orm::{DatabaseBackend, DatabaseConnection};
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

/// The handle webhooks hold; cheap to clone.
#[derive(Clone)]
pub struct Intake {
    sender: mpsc::Sender<Pending>,
}

impl Intake {
    /// Starts the committers on `db`: one on SQLite (it has one writer), four on PostgreSQL (while
    /// one waits for its commit to reach the disk, the others gather and write). They run on a
    /// thread of their own: a batch is a chain of statements, each a round trip to the database,
    /// and on the server's runtime every one of them waited behind the web requests' tasks (the
    /// pipeline left a fifth of the machine idle under load). `db` should be a pool of the
    /// intake's own (see `startup::intake_connection`), so no web request waits on this thread.
    pub fn start(db: &DatabaseConnection) -> Self {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let receiver = Arc::new(Mutex::new(receiver));
        let committers = match db.get_database_backend() {
            DatabaseBackend::Postgres => 4,
            _ => 1,
        };
        let db = db.clone();
        let started = std::thread::Builder::new()
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
            });
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
        let incoming: Vec<Incoming<'_>> = batch
            .iter()
            .map(|pending: &Pending| Incoming {
                connection: &pending.connection,
                inbound: &pending.inbound,
            })
            .collect();
        let stored = record_inbound_batch(&db, &incoming).await;
        drop(incoming);
        metrics::histogram!("viesti_intake_batch_size").record(batch.len() as f64);
        match stored {
            Ok(outcomes) => {
                for (pending, outcome) in batch.drain(..).zip(outcomes) {
                    // A webhook that gave up waiting (its client went away) no longer listens.
                    let _ = pending.done.send(Ok(outcome));
                }
            }
            // One text the database refuses must not fail the others: each is stored alone.
            Err(error) if batch.len() > 1 => {
                tracing::warn!(tags.channel = "channels/sms", %error, texts = batch.len(), "a batch of inbound messages failed; storing them one by one");
                for pending in batch.drain(..) {
                    let alone = [Incoming {
                        connection: &pending.connection,
                        inbound: &pending.inbound,
                    }];
                    let outcome = record_inbound_batch(&db, &alone)
                        .await
                        .map(|mut outcomes| outcomes.remove(0))
                        .map_err(|error| {
                            tracing::error!(tags.channel = "channels/sms", %error, "could not store an inbound message");
                            IntakeError::Database(error.to_string())
                        });
                    let _ = pending.done.send(outcome);
                }
            }
            Err(error) => {
                tracing::error!(tags.channel = "channels/sms", %error, texts = batch.len(), "could not store a batch of inbound messages");
                let error = IntakeError::Database(error.to_string());
                for pending in batch.drain(..) {
                    let _ = pending.done.send(Err(error.clone()));
                }
            }
        }
    }
}
