//! SMS connections (a chatbot's Twilio account and number), sealed on the way in, opened on the way out.
use super::is_unique_violation;
use crate::domain::sms_text::DailySegmentBudget;
use crate::domain::{AccountSid, AuthToken, E164, FriendlyName};
use crate::server::crypto::{CryptoError, Keyring, Sealed};
use crate::server::entities::twilio_connection;
pub use crate::server::twilio::client::Credentials;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set, Statement, Unchanged,
};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct SmsConnection {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub chatbot_id: Uuid,
    pub phone_number: E164,
    pub phone_number_sid: String,
    pub friendly_name: Option<String>,
    pub credentials: Credentials,
    pub connected_at: DateTime<Utc>,
    /// A Twilio trial account, as last probed.
    pub trial: bool,
    /// The row's `updated_at` when it was read: a copy held in memory is current while the row
    /// still has this id and this revision (every change of the credentials moves it).
    pub revision: DateTime<Utc>,
}

impl SmsConnection {
    fn binding(&self) -> Binding<'_> {
        Binding {
            id: self.id,
            workspace_id: self.workspace_id,
            chatbot_id: self.chatbot_id,
            phone_number: self.phone_number.as_str(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SmsRepoError {
    #[error("this number is already connected to a chatbot")]
    NumberTaken,
    #[error("this chatbot already has an SMS connection")]
    ChatbotTaken,
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Whom a connection's sealed columns belong to. The associated data binds each ciphertext to its
/// row, workspace, chatbot, number and column: a ciphertext copied to another row, or a row moved to
/// another workspace, chatbot or number in the database, fails to open.
struct Binding<'a> {
    id: Uuid,
    workspace_id: Uuid,
    chatbot_id: Uuid,
    phone_number: &'a str,
}

impl Binding<'_> {
    fn context(&self, column: &str) -> Vec<u8> {
        format!(
            "twilio_connections/v2/{}/{}/{}/{}/{column}",
            self.id, self.workspace_id, self.chatbot_id, self.phone_number
        )
        .into_bytes()
    }

    /// What rows sealed before 2026-12-06 were bound to (row and column only); they still open,
    /// and `viesti rotate-keys` re-seals them under the full binding.
    fn legacy_context(&self, column: &str) -> Vec<u8> {
        format!("twilio_connections/{}/{column}", self.id).into_bytes()
    }
}

struct SealedCredentials {
    key_id: String,
    account_sid: String,
    auth_token: String,
}

fn seal(
    keyring: &Keyring,
    binding: &Binding<'_>,
    credentials: &Credentials,
) -> Result<SealedCredentials, CryptoError> {
    let sid = keyring.seal(
        credentials.account_sid.as_str().as_bytes(),
        &binding.context("account_sid"),
    )?;
    let token = keyring.seal(
        credentials.auth_token.expose().as_bytes(),
        &binding.context("auth_token"),
    )?;
    Ok(SealedCredentials {
        key_id: sid.key_id,
        account_sid: sid.ciphertext,
        auth_token: token.ciphertext,
    })
}

fn binding(row: &twilio_connection::Model) -> Binding<'_> {
    Binding {
        id: row.id,
        workspace_id: row.workspace_id,
        chatbot_id: row.chatbot_id,
        phone_number: &row.phone_number,
    }
}

fn open(keyring: &Keyring, row: twilio_connection::Model) -> Result<SmsConnection, SmsRepoError> {
    open_sealed(keyring, row).map(|(connection, _legacy)| connection)
}

/// The connection, and whether it was sealed under the legacy binding.
fn open_sealed(
    keyring: &Keyring,
    row: twilio_connection::Model,
) -> Result<(SmsConnection, bool), SmsRepoError> {
    let sealed = |ciphertext: &str| Sealed {
        key_id: row.key_id.clone(),
        ciphertext: ciphertext.to_owned(),
    };
    let bound = binding(&row);
    let open_both = |context: &dyn Fn(&str) -> Vec<u8>| -> Result<_, CryptoError> {
        let sid = keyring.open_string(&sealed(&row.account_sid_sealed), &context("account_sid"))?;
        let token = zeroize::Zeroizing::new(
            keyring.open_string(&sealed(&row.auth_token_sealed), &context("auth_token"))?,
        );
        Ok((sid, token))
    };
    let (sid, token, legacy) = match open_both(&|column| bound.context(column)) {
        Ok((sid, token)) => (sid, token, false),
        Err(CryptoError::Unauthentic) => {
            let (sid, token) = open_both(&|column| bound.legacy_context(column))?;
            (sid, token, true)
        }
        Err(error) => return Err(error.into()),
    };
    let stored = |what: &str| DbErr::Type(format!("stored {what} is invalid"));
    let connection = SmsConnection {
        id: row.id,
        workspace_id: row.workspace_id,
        chatbot_id: row.chatbot_id,
        phone_number: E164::parse(&row.phone_number).map_err(|_| stored("phone number"))?,
        phone_number_sid: row.phone_number_sid,
        friendly_name: row.friendly_name,
        credentials: Credentials {
            account_sid: AccountSid::parse(&sid).map_err(|_| stored("account sid"))?,
            auth_token: AuthToken::parse(&token).map_err(|_| stored("auth token"))?,
        },
        connected_at: row.connected_at,
        trial: row.trial,
        revision: row.updated_at,
    };
    Ok((connection, legacy))
}

pub async fn find_for_chatbot(
    db: &DatabaseConnection,
    keyring: &Keyring,
    workspace_id: Uuid,
    chatbot_id: Uuid,
) -> Result<Option<SmsConnection>, SmsRepoError> {
    twilio_connection::Entity::find()
        .filter(twilio_connection::Column::WorkspaceId.eq(workspace_id))
        .filter(twilio_connection::Column::ChatbotId.eq(chatbot_id))
        .one(db)
        .await?
        .map(|row| open(keyring, row))
        .transpose()
}

/// Whether a chatbot of the workspace has an SMS connection.
pub async fn is_connected(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    chatbot_id: Uuid,
) -> Result<bool, DbErr> {
    Ok(twilio_connection::Entity::find()
        .filter(twilio_connection::Column::WorkspaceId.eq(workspace_id))
        .filter(twilio_connection::Column::ChatbotId.eq(chatbot_id))
        .one(db)
        .await?
        .is_some())
}

/// The connection that owns a number, whatever its workspace (for Twilio's webhooks).
pub async fn find_by_number(
    db: &DatabaseConnection,
    keyring: &Keyring,
    number: &E164,
) -> Result<Option<SmsConnection>, SmsRepoError> {
    twilio_connection::Entity::find()
        .filter(twilio_connection::Column::PhoneNumber.eq(number.as_str()))
        .one(db)
        .await?
        .map(|row| open(keyring, row))
        .transpose()
}

/// Whether a number is connected to any chatbot other than `chatbot_id`.
pub async fn number_taken_elsewhere(
    db: &DatabaseConnection,
    number: &E164,
    chatbot_id: Uuid,
) -> Result<bool, DbErr> {
    Ok(twilio_connection::Entity::find()
        .filter(twilio_connection::Column::PhoneNumber.eq(number.as_str()))
        .filter(twilio_connection::Column::ChatbotId.ne(chatbot_id))
        .one(db)
        .await?
        .is_some())
}

pub struct NewSmsConnection<'a> {
    pub workspace_id: Uuid,
    pub chatbot_id: Uuid,
    pub phone_number: &'a E164,
    pub phone_number_sid: &'a str,
    pub friendly_name: &'a FriendlyName,
    pub credentials: &'a Credentials,
    pub trial: bool,
}

pub async fn insert(
    db: &DatabaseConnection,
    keyring: &Keyring,
    new: NewSmsConnection<'_>,
) -> Result<SmsConnection, SmsRepoError> {
    let id = Uuid::new_v4();
    let now = Utc::now();
    let sealed = seal(
        keyring,
        &Binding {
            id,
            workspace_id: new.workspace_id,
            chatbot_id: new.chatbot_id,
            phone_number: new.phone_number.as_str(),
        },
        new.credentials,
    )?;
    let row = twilio_connection::ActiveModel {
        id: Set(id),
        workspace_id: Set(new.workspace_id),
        chatbot_id: Set(new.chatbot_id),
        phone_number: Set(new.phone_number.as_str().to_owned()),
        phone_number_sid: Set(new.phone_number_sid.to_owned()),
        friendly_name: Set(new.friendly_name.as_deref().map(str::to_owned)),
        key_id: Set(sealed.key_id),
        account_sid_sealed: Set(sealed.account_sid),
        auth_token_sealed: Set(sealed.auth_token),
        auth_token_last4: Set(last4(&new.credentials.auth_token)),
        trial: Set(new.trial),
        connected_at: Set(now),
        updated_at: Set(now),
    };
    match row.insert(db).await {
        Ok(row) => open(keyring, row),
        Err(error) if is_unique_violation(&error) => {
            // Tell the two unique keys apart by looking: the race is rare, the message matters.
            if number_taken_elsewhere(db, new.phone_number, new.chatbot_id).await? {
                Err(SmsRepoError::NumberTaken)
            } else {
                Err(SmsRepoError::ChatbotTaken)
            }
        }
        Err(error) => Err(error.into()),
    }
}

fn last4(token: &AuthToken) -> String {
    let token = token.expose();
    token[token.len() - 4..].to_owned()
}

/// Replaces the token (re-sealing both secrets under the current key), the friendly name and what
/// the probe found of the account.
pub async fn update(
    db: &DatabaseConnection,
    keyring: &Keyring,
    connection: &SmsConnection,
    auth_token: &AuthToken,
    friendly_name: &FriendlyName,
    trial: bool,
) -> Result<(), SmsRepoError> {
    let credentials = Credentials {
        account_sid: connection.credentials.account_sid.clone(),
        auth_token: auth_token.clone(),
    };
    let sealed = seal(keyring, &connection.binding(), &credentials)?;
    twilio_connection::ActiveModel {
        id: Unchanged(connection.id),
        friendly_name: Set(friendly_name.as_deref().map(str::to_owned)),
        key_id: Set(sealed.key_id),
        account_sid_sealed: Set(sealed.account_sid),
        auth_token_sealed: Set(sealed.auth_token),
        auth_token_last4: Set(last4(auth_token)),
        trial: Set(trial),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Deletes a chatbot's connection and so its stored credentials; `false` when there was none.
pub async fn delete(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    chatbot_id: Uuid,
) -> Result<bool, DbErr> {
    let result = twilio_connection::Entity::delete_many()
        .filter(twilio_connection::Column::WorkspaceId.eq(workspace_id))
        .filter(twilio_connection::Column::ChatbotId.eq(chatbot_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Re-seals every connection not yet under the current key or the full binding; returns how many
/// rows changed.
pub async fn reseal_all(db: &DatabaseConnection, keyring: &Keyring) -> Result<u64, SmsRepoError> {
    let rows = twilio_connection::Entity::find().all(db).await?;
    let mut changed = 0;
    for row in rows {
        let current_key = row.key_id == keyring.current_key_id();
        let (connection, legacy) = open_sealed(keyring, row)?;
        if current_key && !legacy {
            continue;
        }
        let sealed = seal(keyring, &connection.binding(), &connection.credentials)?;
        twilio_connection::ActiveModel {
            id: Unchanged(connection.id),
            key_id: Set(sealed.key_id),
            account_sid_sealed: Set(sealed.account_sid),
            auth_token_sealed: Set(sealed.auth_token),
            ..Default::default()
        }
        .update(db)
        .await?;
        changed += 1;
    }
    Ok(changed)
}

/// A workspace's daily SMS segment budget and the segments it sent today (UTC).
pub async fn segment_use(
    db: &DatabaseConnection,
    workspace_id: Uuid,
) -> Result<(DailySegmentBudget, u64), DbErr> {
    use crate::server::entities::workspace;
    let budget = workspace::Entity::find_by_id(workspace_id)
        .one(db)
        .await?
        .and_then(|w| u32::try_from(w.daily_segment_budget).ok())
        .and_then(|n| DailySegmentBudget::new(n).ok())
        .unwrap_or(DailySegmentBudget::DEFAULT);
    let day = crate::server::repo::conversations::usage_day(Utc::now());
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            match db.get_database_backend() {
                sea_orm::DatabaseBackend::Postgres => {
                    "SELECT segments FROM segment_usage WHERE workspace_id = $1 AND day = $2"
                }
                _ => "SELECT segments FROM segment_usage WHERE workspace_id = ?1 AND day = ?2",
            },
            [workspace_id.into(), day.into()],
        ))
        .await?;
    let today = match row {
        Some(row) => row.try_get_by_index::<i64>(0)?,
        None => 0,
    };
    Ok((budget, u64::try_from(today).unwrap_or(0)))
}

/// Sets a workspace's daily SMS segment budget.
pub async fn set_daily_budget(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    budget: DailySegmentBudget,
) -> Result<(), DbErr> {
    use crate::server::entities::workspace;
    // One column by statement: no model to build from unset fields (see `create_workspace_with_owner`).
    workspace::Entity::update_many()
        .col_expr(
            workspace::Column::DailySegmentBudget,
            sea_orm::sea_query::Expr::value(i32::try_from(budget.get()).unwrap_or(i32::MAX)),
        )
        .filter(workspace::Column::Id.eq(workspace_id))
        .exec(db)
        .await
        .map(|_| ())
}
