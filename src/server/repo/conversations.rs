//! Conversations, their messages, SMS contacts and reply jobs: what the webhooks write and the worker
//! reads. Writes that belong together happen in one transaction.
use super::is_unique_violation;
use crate::domain::delivery::status_rank;
use crate::domain::sms_text::segments;
use crate::server::entities::{conversation, job, message, sms_contact};
use crate::server::repo::sms::SmsConnection;
use crate::server::webhooks::inbound::{InboundSms, Keyword, keyword};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, Set, Unchanged,
};
use uuid::Uuid;

pub const SMS: &str = "sms";

/// What storing an inbound message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundOutcome {
    /// Stored; a reply job was queued.
    Queued {
        conversation_id: Uuid,
        message_id: Uuid,
    },
    /// Stored; no reply is due (a keyword, an opted-out customer, or a person handles the conversation).
    StoredWithoutReply {
        conversation_id: Uuid,
        message_id: Uuid,
    },
    /// Twilio sent this MessageSid before: nothing new was stored.
    Duplicate,
}

/// Stores an inbound SMS: the contact (with any opt-out keyword), the conversation (found, reopened or
/// created), the message, and the reply job, all in one transaction. Idempotent on MessageSid.
pub async fn record_inbound(
    db: &DatabaseConnection,
    connection: &SmsConnection,
    inbound: &InboundSms,
) -> Result<InboundOutcome, DbErr> {
    // A concurrent first message from the same new customer can race us to create the conversation
    // or contact; the loser retries and finds the winner's rows.
    for _ in 0..3 {
        match record_inbound_once(db, connection, inbound).await {
            Err(error) if is_unique_violation(&error) => {
                if message::Entity::find()
                    .filter(message::Column::TwilioSid.eq(inbound.message_sid.as_str()))
                    .one(db)
                    .await?
                    .is_some()
                {
                    return Ok(InboundOutcome::Duplicate);
                }
            }
            other => return other,
        }
    }
    Err(DbErr::Custom(
        "could not store the inbound message after 3 tries".into(),
    ))
}

async fn record_inbound_once(
    db: &DatabaseConnection,
    connection: &SmsConnection,
    inbound: &InboundSms,
) -> Result<InboundOutcome, DbErr> {
    let txn = super::begin_write(db).await?;
    if message::Entity::find()
        .filter(message::Column::TwilioSid.eq(inbound.message_sid.as_str()))
        .one(&*txn)
        .await?
        .is_some()
    {
        return Ok(InboundOutcome::Duplicate);
    }
    let now = Utc::now();
    let keyword = keyword(&inbound.body);
    let opted_out = upsert_contact(&*txn, connection, inbound, keyword.as_ref()).await?;

    let existing = conversation::Entity::find()
        .filter(conversation::Column::ChatbotId.eq(connection.chatbot_id))
        .filter(conversation::Column::Channel.eq(SMS))
        .filter(conversation::Column::CustomerAddress.eq(inbound.from.as_str()))
        .one(&*txn)
        .await?;
    let (conversation_id, handled_by_human) = match existing {
        Some(found) => {
            let human = found.handled_by == "human";
            conversation::ActiveModel {
                id: Unchanged(found.id),
                status: Set("open".into()),
                last_message_at: Set(now),
                ..Default::default()
            }
            .update(&*txn)
            .await?;
            (found.id, human)
        }
        None => {
            let id = Uuid::new_v4();
            conversation::ActiveModel {
                id: Set(id),
                workspace_id: Set(connection.workspace_id),
                chatbot_id: Set(connection.chatbot_id),
                channel: Set(SMS.into()),
                customer_address: Set(inbound.from.as_str().to_owned()),
                business_number: Set(Some(connection.phone_number.as_str().to_owned())),
                status: Set("open".into()),
                handled_by: Set("bot".into()),
                created_at: Set(now),
                last_message_at: Set(now),
            }
            .insert(&*txn)
            .await?;
            (id, false)
        }
    };

    let message_id = Uuid::new_v4();
    let cost = segments(&inbound.body);
    message::ActiveModel {
        id: Set(message_id),
        workspace_id: Set(connection.workspace_id),
        conversation_id: Set(conversation_id),
        direction: Set("inbound".into()),
        author: Set("customer".into()),
        body: Set(inbound.body.clone()),
        twilio_sid: Set(Some(inbound.message_sid.as_str().to_owned())),
        status: Set("received".into()),
        error_code: Set(None),
        segments: Set(i32::try_from(cost.count).unwrap_or(i32::MAX)),
        encoding: Set(cost.encoding.as_str().into()),
        attachments_dropped: Set(i32::try_from(inbound.media_count).unwrap_or(i32::MAX)),
        in_reply_to: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&*txn)
    .await?;

    let reply_due = keyword.is_none() && !opted_out && !handled_by_human;
    if reply_due {
        job::ActiveModel {
            id: Set(Uuid::new_v4()),
            kind: Set("sms_reply".into()),
            conversation_id: Set(conversation_id),
            message_id: Set(message_id),
            state: Set("queued".into()),
            attempts: Set(0),
            run_at: Set(now),
            lease_until: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&*txn)
        .await?;
    }
    txn.commit().await?;
    Ok(if reply_due {
        InboundOutcome::Queued {
            conversation_id,
            message_id,
        }
    } else {
        InboundOutcome::StoredWithoutReply {
            conversation_id,
            message_id,
        }
    })
}

/// Records the customer on this business number and any keyword they sent; returns whether they are
/// opted out now.
async fn upsert_contact(
    txn: &impl ConnectionTrait,
    connection: &SmsConnection,
    inbound: &InboundSms,
    keyword: Option<&(Keyword, String)>,
) -> Result<bool, DbErr> {
    let opt_out = match keyword.map(|k| k.0) {
        Some(Keyword::OptOut) => Some(true),
        Some(Keyword::OptIn) => Some(false),
        Some(Keyword::Help) | None => None,
    };
    save_contact(
        txn,
        connection.workspace_id,
        connection.phone_number.as_str(),
        inbound.from.as_str(),
        opt_out,
        keyword.map(|(_, word)| word.as_str()),
    )
    .await
}

/// Marks a customer as opted out of a business number's texts (Twilio answered 21610).
pub async fn mark_opted_out(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    business_number: &str,
    customer_number: &str,
) -> Result<(), DbErr> {
    save_contact(
        db,
        workspace_id,
        business_number,
        customer_number,
        Some(true),
        None,
    )
    .await
    .map(|_| ())
}

/// Creates or updates the contact of `customer_number` on `business_number`: `opt_out` sets the flag
/// (`None` keeps it), `keyword` is remembered when given. Returns whether the customer is opted out.
async fn save_contact(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    business_number: &str,
    customer_number: &str,
    opt_out: Option<bool>,
    keyword: Option<&str>,
) -> Result<bool, DbErr> {
    let now = Utc::now();
    let found = sms_contact::Entity::find()
        .filter(sms_contact::Column::BusinessNumber.eq(business_number))
        .filter(sms_contact::Column::CustomerNumber.eq(customer_number))
        .one(db)
        .await?;
    let was = found.as_ref().is_some_and(|c| c.opted_out);
    let opted_out = opt_out.unwrap_or(was);
    match found {
        Some(contact) => {
            let mut update = sms_contact::ActiveModel {
                id: Unchanged(contact.id),
                opted_out: Set(opted_out),
                updated_at: Set(now),
                ..Default::default()
            };
            if let Some(word) = keyword {
                update.last_keyword = Set(Some(word.to_owned()));
            }
            if was != opted_out {
                update.opted_out_at = Set(opted_out.then_some(now));
            }
            update.update(db).await?;
        }
        None => {
            sms_contact::ActiveModel {
                id: Set(Uuid::new_v4()),
                workspace_id: Set(workspace_id),
                business_number: Set(business_number.to_owned()),
                customer_number: Set(customer_number.to_owned()),
                opted_out: Set(opted_out),
                opted_out_at: Set(opted_out.then_some(now)),
                last_keyword: Set(keyword.map(str::to_owned)),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }
    Ok(opted_out)
}

pub async fn is_opted_out(
    db: &impl ConnectionTrait,
    business_number: &str,
    customer_number: &str,
) -> Result<bool, DbErr> {
    Ok(sms_contact::Entity::find()
        .filter(sms_contact::Column::BusinessNumber.eq(business_number))
        .filter(sms_contact::Column::CustomerNumber.eq(customer_number))
        .one(db)
        .await?
        .is_some_and(|c| c.opted_out))
}

/// Applies a status callback to the outbound message with this Twilio SID, never moving it backwards.
/// Returns the message (as it was) if we know the SID.
pub async fn apply_status(
    db: &DatabaseConnection,
    twilio_sid: &str,
    status: &str,
    error_code: Option<i32>,
) -> Result<Option<message::Model>, DbErr> {
    let Some(found) = message::Entity::find()
        .filter(message::Column::TwilioSid.eq(twilio_sid))
        .filter(message::Column::Direction.eq("outbound"))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if status_rank(status) > status_rank(&found.status) {
        message::ActiveModel {
            id: Unchanged(found.id),
            status: Set(status.to_owned()),
            error_code: Set(error_code.or(found.error_code)),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .update(db)
        .await?;
    }
    Ok(Some(found))
}
