//! Live updates for the inbox. Whatever changes a conversation publishes an event that carries only
//! ids; each open inbox refetches what its viewer may see, so an event never leaks another
//! workspace's data. On PostgreSQL events travel through `LISTEN/NOTIFY`, so a change on one instance
//! reaches browsers connected to any other; on SQLite (one instance) they stay in process.
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, broadcast, mpsc, watch};
use uuid::Uuid;

/// The PostgreSQL channel the instances share.
const CHANNEL: &str = "viesti_live";
/// The payload that says "reply jobs were queued": every instance wakes its idle workers.
const JOBS: &str = "jobs";
/// At most this many notifications share one round trip to PostgreSQL.
const NOTIFY_BATCH: usize = 256;

/// Something changed in a workspace's inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveEvent {
    /// A conversation of `workspace_id` changed (a message, a delivery status, its status or
    /// assignee); `conversation_id` is `None` when several did.
    Changed {
        workspace_id: Uuid,
        conversation_id: Option<Uuid>,
    },
    /// Events may have been missed (the database connection was lost): everyone refetches.
    Resync,
}

impl LiveEvent {
    /// The NOTIFY payload: `<workspace> <conversation or ->`.
    fn payload(self) -> Option<String> {
        match self {
            Self::Changed {
                workspace_id,
                conversation_id,
            } => Some(format!(
                "{} {}",
                workspace_id.simple(),
                conversation_id.map_or_else(|| "-".to_owned(), |id| id.simple().to_string())
            )),
            Self::Resync => None,
        }
    }

    fn parse(payload: &str) -> Option<Self> {
        let (workspace, conversation) = payload.split_once(' ')?;
        Some(Self::Changed {
            workspace_id: Uuid::try_parse(workspace).ok()?,
            conversation_id: match conversation {
                "-" => None,
                id => Some(Uuid::try_parse(id).ok()?),
            },
        })
    }
}

/// The hub every instance keeps: publish here, subscribe from each open inbox.
#[derive(Clone)]
pub struct Live {
    sender: broadcast::Sender<LiveEvent>,
    db: DatabaseConnection,
    closing: watch::Receiver<bool>,
    close: std::sync::Arc<watch::Sender<bool>>,
    /// This instance's idle reply workers wait on it.
    jobs_ready: Arc<Notify>,
    /// Payloads on their way to NOTIFY (PostgreSQL only), sent many to a round trip.
    outbox: Option<mpsc::UnboundedSender<String>>,
}

impl Live {
    /// A hub on `db` that wakes `jobs_ready`'s workers when any instance queues a job; on
    /// PostgreSQL it starts listening to the other instances at once.
    pub fn start(db: &DatabaseConnection, jobs_ready: Arc<Notify>) -> Self {
        let (sender, _) = broadcast::channel(1024);
        let (close, closing) = watch::channel(false);
        let postgres = db.get_database_backend() == DatabaseBackend::Postgres;
        let outbox = postgres.then(|| {
            let (outbox, pending) = mpsc::unbounded_channel();
            tokio::spawn(relay(db.clone(), pending));
            outbox
        });
        let live = Self {
            sender,
            db: db.clone(),
            closing,
            close: Arc::new(close),
            jobs_ready,
            outbox,
        };
        if postgres {
            tokio::spawn(listen(live.clone()));
        }
        live
    }

    /// Reply jobs were queued: wakes a worker here and, on PostgreSQL, the idle workers of every
    /// other instance, so none waits for its next poll.
    pub fn jobs_queued(&self) {
        self.jobs_ready.notify_one();
        if let Some(outbox) = &self.outbox {
            let _ = outbox.send(JOBS.to_owned());
        }
    }

    /// Tells everyone watching a workspace that `conversation_id` changed. Never blocks the caller;
    /// a lost event costs a refetch at the next one, never data.
    pub fn publish(&self, workspace_id: Uuid, conversation_id: Option<Uuid>) {
        let event = LiveEvent::Changed {
            workspace_id,
            conversation_id,
        };
        match (&self.outbox, event.payload()) {
            (Some(outbox), Some(payload)) => {
                let _ = outbox.send(payload);
            }
            _ => {
                let _ = self.sender.send(event);
            }
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.sender.subscribe()
    }

    /// Resolves when the server starts shutting down, so open streams end and let it stop.
    pub async fn closed(&self) {
        let mut closing = self.closing.clone();
        let _ = closing.wait_for(|closing| *closing).await;
    }

    /// Ends every open stream (graceful shutdown).
    pub fn close(&self) {
        let _ = self.close.send(true);
    }
}

/// Sends queued payloads to PostgreSQL, all that have gathered in one statement (under load, one
/// round trip carries hundreds of them; duplicates are sent once).
async fn relay(db: DatabaseConnection, mut pending: mpsc::UnboundedReceiver<String>) {
    let mut payloads = Vec::with_capacity(NOTIFY_BATCH);
    while pending.recv_many(&mut payloads, NOTIFY_BATCH).await > 0 {
        payloads.sort_unstable();
        payloads.dedup();
        let statement = Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, p) FROM unnest(string_to_array($2, E'\\n')) AS p",
            [CHANNEL.into(), payloads.join("\n").into()],
        );
        if let Err(error) = db.execute_raw(statement).await {
            tracing::warn!(%error, "could not publish live updates");
        }
        payloads.clear();
    }
}

/// Relays NOTIFY from every instance to this one's subscribers, reconnecting after a lost
/// connection (and then telling everyone to refetch what they may have missed).
async fn listen(live: Live) {
    let mut missed = false;
    loop {
        if *live.closing.borrow() {
            return;
        }
        let pool = live.db.get_postgres_connection_pool();
        let listener = async {
            let mut listener = PgListener::connect_with(pool).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        }
        .await;
        match listener {
            Ok(mut listener) => {
                if missed {
                    let _ = live.sender.send(LiveEvent::Resync);
                }
                loop {
                    tokio::select! {
                        received = listener.try_recv() => match received {
                            Ok(Some(notification)) if notification.payload() == JOBS => {
                                live.jobs_ready.notify_waiters();
                            }
                            Ok(Some(notification)) => {
                                if let Some(event) = LiveEvent::parse(notification.payload()) {
                                    let _ = live.sender.send(event);
                                }
                            }
                            // The connection dropped: NOTIFYs sent meanwhile are lost.
                            Ok(None) => {
                                tracing::warn!("live updates: the database connection dropped; reconnecting");
                                let _ = live.sender.send(LiveEvent::Resync);
                            }
                            Err(error) => {
                                tracing::warn!(%error, "live updates: listening failed; reconnecting");
                                missed = true;
                                break;
                            }
                        },
                        () = live.closed() => return,
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "live updates: could not listen; retrying");
                missed = true;
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notify_payload_round_trips_and_garbage_is_ignored() {
        for event in [
            LiveEvent::Changed {
                workspace_id: Uuid::from_u128(1),
                conversation_id: Some(Uuid::from_u128(2)),
            },
            LiveEvent::Changed {
                workspace_id: Uuid::from_u128(1),
                conversation_id: None,
            },
        ] {
            let payload = event.payload().expect("a payload");
            assert_eq!(LiveEvent::parse(&payload), Some(event));
        }
        assert_eq!(LiveEvent::parse("nonsense"), None);
        assert_eq!(LiveEvent::parse("x y"), None);
        assert_eq!(LiveEvent::Resync.payload(), None);
    }
}
