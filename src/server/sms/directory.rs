//! The connection behind each Twilio number, kept in memory so a webhook finds it (and its Auth
//! Token, to check the signature) without a database round trip. The database stays the truth: the
//! transaction that stores an inbound text reads each connection's id and revision again
//! (`repo::conversations::ingest`), and a webhook whose copy is stale drops it and looks again, so
//! a Disconnect or a new token on any instance takes effect at once on every other.
use crate::domain::E164;
use crate::server::crypto::Keyring;
use crate::server::repo::sms::{self, SmsConnection, SmsRepoError};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Connections by number, as last read from the database on this instance. Unknown numbers are not
/// remembered, so a number connected on another instance is found at its first webhook.
#[derive(Default)]
pub struct Directory {
    by_number: RwLock<HashMap<E164, Arc<SmsConnection>>>,
}

impl Directory {
    /// The connection that owns `number`: the copy in memory, or the database's (then remembered).
    pub async fn find(
        &self,
        db: &DatabaseConnection,
        keyring: &Keyring,
        number: &E164,
    ) -> Result<Option<Arc<SmsConnection>>, SmsRepoError> {
        if let Some(found) = self.read().get(number) {
            return Ok(Some(Arc::clone(found)));
        }
        let Some(found) = sms::find_by_number(db, keyring, number).await? else {
            return Ok(None);
        };
        let found = Arc::new(found);
        self.write().insert(number.clone(), Arc::clone(&found));
        Ok(Some(found))
    }

    /// Drops the copy of `number`'s connection (it changed, or is gone); the next webhook reads it.
    pub fn forget(&self, number: &E164) {
        self.write().remove(number);
    }

    /// Drops the copy of a chatbot's connection (it was disconnected on this instance).
    pub fn forget_chatbot(&self, chatbot_id: uuid::Uuid) {
        self.write()
            .retain(|_, connection| connection.chatbot_id != chatbot_id);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<E164, Arc<SmsConnection>>> {
        // A panic while holding the lock cannot leave the map half-written: take it as it is.
        self.by_number
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<E164, Arc<SmsConnection>>> {
        self.by_number
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
