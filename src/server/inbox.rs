//! The inbox's services: check who is asking, parse the input into domain types, call the repo,
//! publish live updates, and shape the answers for the pages (no entity crosses the wire).
use crate::domain::Plan;
use crate::domain::TwilioDocsLink;
use crate::domain::delivery::{DeliveryState, failure_reason};
use crate::domain::inbox::{
    Channel, ConversationStatus, Cursor, CustomerName, SearchQuery, StaffAction, StaffReply,
};
use crate::error::AppError;
use crate::server::auth::require_member;
use crate::server::entities::conversation;
use crate::server::repo::accounts::Member;
use crate::server::repo::chatbots;
use crate::server::repo::inbox::{self as repo, Acted, Actor, AssigneeFilter, ListFilter};
use crate::server::state::{AppState, app_state};
use crate::wire::inbox::{
    Composer, ConversationView, Delivery, FilterChoices, InboxPage, InboxRow, MessageKind, Stamp,
    ThreadMessage, WaitingCounts,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A number as people read it ("+358 50 1234567"); as stored when it is not a phone number.
pub fn readable_number(number: &str) -> String {
    phonenumber::parse(None, number)
        .map(|parsed| {
            parsed
                .format()
                .mode(phonenumber::Mode::International)
                .to_string()
        })
        .unwrap_or_else(|_| number.to_owned())
}

/// How the inbox names a customer who has no name yet: their number, or "Web visitor …".
fn customer_label(channel: Channel, address: &str) -> String {
    match channel {
        Channel::Sms => readable_number(address),
        Channel::Web => crate::domain::widget::visitor_label(address),
    }
}

pub fn stamp(at: DateTime<Utc>) -> Stamp {
    Stamp {
        iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        label: at.format("%-d %b %Y, %H:%M UTC").to_string(),
    }
}

fn invalid(field: &str) -> impl Fn(crate::domain::Rejected) -> AppError + '_ {
    move |rejected| AppError::invalid(field, rejected.0)
}

fn optional<T: std::str::FromStr<Err = crate::domain::Rejected>>(
    value: &str,
    field: &str,
) -> Result<Option<T>, AppError> {
    match value.trim() {
        "" => Ok(None),
        value => value.parse().map(Some).map_err(invalid(field)),
    }
}

fn uuid_filter(value: &str, field: &str) -> Result<Option<Uuid>, AppError> {
    match value.trim() {
        "" => Ok(None),
        value => Uuid::try_parse(value)
            .map(Some)
            .map_err(|_| AppError::invalid(field, "Unknown choice.")),
    }
}

fn channel_of(stored: &str) -> Channel {
    stored.parse().unwrap_or(Channel::Sms)
}

fn status_of(stored: &str) -> ConversationStatus {
    stored.parse().unwrap_or(ConversationStatus::Bot)
}

pub async fn list(
    status: &str,
    channel: &str,
    chatbot: &str,
    assignee: &str,
    q: &str,
    cursor: &str,
) -> Result<InboxPage, AppError> {
    let state = app_state()?;
    let member = require_member(&state).await?;
    let filter = ListFilter {
        status: optional(status, "status")?,
        channel: optional(channel, "channel")?,
        chatbot: uuid_filter(chatbot, "chatbot")?,
        assignee: match assignee.trim() {
            "" => AssigneeFilter::Anyone,
            "none" => AssigneeFilter::Unassigned,
            "me" => AssigneeFilter::User(member.user_id),
            other => AssigneeFilter::User(
                Uuid::try_parse(other)
                    .map_err(|_| AppError::invalid("assignee", "Unknown choice."))?,
            ),
        },
        search: SearchQuery::parse(q).map_err(invalid("q"))?,
    };
    let after = optional::<Cursor>(cursor, "cursor")?;
    let (rows, more) = repo::list(&state.db, member.workspace_id, &filter, after).await?;
    let next_cursor = more
        .then(|| rows.last().map(|row| row.cursor().to_string()))
        .flatten();
    let rows = rows
        .into_iter()
        .map(|row| {
            let unread = row.unread();
            let channel = channel_of(&row.channel);
            InboxRow {
                id: row.id,
                customer: row
                    .customer_name
                    .clone()
                    .unwrap_or_else(|| customer_label(channel, &row.customer_address)),
                chatbot_name: row.chatbot_name,
                channel,
                channel_detail: channel_detail(
                    channel,
                    row.friendly_name,
                    row.business_number.as_deref(),
                ),
                preview: row.last_message_preview,
                last_at: stamp(row.last_message_at),
                status: status_of(&row.status),
                assignee: row.assignee_email,
                unread,
            }
        })
        .collect();
    Ok(InboxPage { rows, next_cursor })
}

fn channel_detail(
    channel: Channel,
    friendly_name: Option<String>,
    business_number: Option<&str>,
) -> Option<String> {
    match channel {
        Channel::Sms => friendly_name.or_else(|| business_number.map(readable_number)),
        Channel::Web => None,
    }
}

pub async fn options() -> Result<FilterChoices, AppError> {
    let state = app_state()?;
    let member = require_member(&state).await?;
    let chatbots = chatbots::list(&state.db, member.workspace_id)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let teammates = repo::teammates(&state.db, member.workspace_id)
        .await?
        .into_iter()
        .map(|(id, email, _)| (id, email))
        .collect();
    Ok(FilterChoices {
        chatbots,
        teammates,
    })
}

pub async fn counts() -> Result<WaitingCounts, AppError> {
    let state = app_state()?;
    let member = require_member(&state).await?;
    Ok(WaitingCounts {
        needs_person: repo::needs_person_count(&state.db, member.workspace_id).await?,
    })
}

async fn found(
    state: &AppState,
    member: &Member,
    id: Uuid,
) -> Result<conversation::Model, AppError> {
    repo::find(&state.db, member.workspace_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn conversation(id: Uuid, before: &str) -> Result<ConversationView, AppError> {
    let state = app_state()?;
    let member = require_member(&state).await?;
    let conversation = found(&state, &member, id).await?;
    let before = optional::<Cursor>(before, "before")?;
    let (rows, earlier) = repo::thread(&state.db, member.workspace_id, id, before).await?;
    let contact = repo::contact(&state.db, &conversation).await?;
    let connection = repo::connection(&state.db, &conversation).await?;
    let chatbot_name = chatbots::find(&state.db, member.workspace_id, conversation.chatbot_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let assignee_email = match conversation.assignee_id {
        Some(assignee) => repo::teammate_email(&state.db, member.workspace_id, assignee).await?,
        None => None,
    };
    if before.is_none() {
        repo::mark_seen(&state.db, member.workspace_id, id).await?;
    }

    let opted_out_since = contact
        .as_ref()
        .filter(|c| c.opted_out)
        .map(|c| stamp(c.opted_out_at.unwrap_or(c.updated_at)));
    let channel = channel_of(&conversation.channel);
    let composer = match block_reason(
        channel,
        member.plan,
        opted_out_since.is_some(),
        connection.is_some(),
    ) {
        Some(reason) => Composer::Closed(reason.to_owned()),
        None => Composer::Open,
    };
    let can_retry = composer == Composer::Open;
    let earlier_cursor = earlier
        .then(|| {
            rows.first().map(|m| {
                Cursor {
                    at_nanos: m.created_at.timestamp_nanos_opt().unwrap_or(i64::MAX),
                    id: m.id,
                }
                .to_string()
            })
        })
        .flatten();
    let messages = rows
        .into_iter()
        .map(|m| {
            let kind = match (m.direction.as_str(), m.author.as_str()) {
                ("event", _) => MessageKind::Event,
                ("inbound", _) => MessageKind::Customer,
                (_, "bot") => MessageKind::Bot,
                (_, "human") => MessageKind::Teammate,
                _ => MessageKind::Notice,
            };
            let author = match kind {
                MessageKind::Customer => "Customer".to_owned(),
                MessageKind::Bot => chatbot_name.clone(),
                MessageKind::Teammate => m
                    .author_email
                    .clone()
                    .unwrap_or_else(|| "A former teammate".to_owned()),
                MessageKind::Notice => "Automatic notice".to_owned(),
                MessageKind::Event => String::new(),
            };
            let delivery = (m.direction == "outbound").then(|| {
                let state = DeliveryState::of(&m.status);
                Delivery {
                    state,
                    reason: match (state, m.error_code) {
                        (DeliveryState::Undelivered | DeliveryState::Failed, Some(code)) => {
                            Some(failure_reason(i64::from(code)).to_owned())
                        }
                        (DeliveryState::Undelivered | DeliveryState::Failed, None) => {
                            Some("Twilio couldn't deliver the message.".to_owned())
                        }
                        (DeliveryState::NotSent, _) => {
                            Some("Not sent: a person took over the conversation first.".to_owned())
                        }
                        _ => None,
                    },
                    error_code: m.error_code,
                    // Twilio's own page about the error: the one its answer named, else the one
                    // it keeps for the code (status callbacks carry only the code).
                    error_link: match (state.is_failure(), &m.error_link, m.error_code) {
                        (false, _, _) => None,
                        (true, Some(link), _) => TwilioDocsLink::parse(link).ok(),
                        (true, None, Some(code)) => {
                            u32::try_from(code).ok().map(TwilioDocsLink::for_code)
                        }
                        (true, None, None) => None,
                    },
                    // Segments cost money by SMS only: none to show for the website chat.
                    segments: if channel == Channel::Sms {
                        m.segments
                    } else {
                        0
                    },
                    encoding: m.encoding.clone(),
                    can_retry: can_retry && state.is_failure(),
                }
            });
            ThreadMessage {
                id: m.id,
                kind,
                author,
                body: m.body,
                at: stamp(m.created_at),
                delivery,
                attachments_dropped: m.attachments_dropped,
            }
        })
        .collect();
    let customer_number = customer_label(channel, &conversation.customer_address);
    Ok(ConversationView {
        id: conversation.id,
        customer: conversation
            .customer_name
            .clone()
            .unwrap_or_else(|| customer_number.clone()),
        customer_number,
        customer_name: conversation.customer_name.clone(),
        chatbot_name,
        channel,
        channel_detail: channel_detail(
            channel,
            connection.and_then(|c| c.friendly_name),
            conversation.business_number.as_deref(),
        ),
        status: status_of(&conversation.status),
        assignee: assignee_email,
        assigned_to_me: conversation.assignee_id == Some(member.user_id),
        opted_out_since,
        composer,
        messages,
        earlier_cursor,
    })
}

fn actor(member: &Member) -> Actor<'_> {
    Actor {
        user_id: member.user_id,
        email: &member.email,
    }
}

pub async fn act(id: Uuid, action: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let member = require_member(&state).await?;
    let action: StaffAction = action.parse().map_err(invalid("action"))?;
    match repo::act(&state.db, member.workspace_id, id, actor(&member), action).await? {
        Acted::Done(_) => {
            tracing::info!(conversation_id = %id, action = action.as_str(), "inbox action");
            state.live.publish(member.workspace_id, Some(id));
            Ok(())
        }
        Acted::Refused(reason) => Err(AppError::Conflict(reason.0)),
        Acted::NotFound => Err(AppError::NotFound),
    }
}

/// Why a text can't go to a conversation's customer now, if it can't.
/// Why a person cannot text this conversation now, if they cannot.
fn block_reason(
    channel: Channel,
    plan: Plan,
    opted_out: bool,
    connected: bool,
) -> Option<&'static str> {
    if channel == Channel::Web {
        // The visitor reads replies in the widget: nothing can block them.
        None
    } else if !plan.allows_integrations() {
        Some(PLAN_BLOCKS_SMS)
    } else if opted_out {
        Some("The customer texted STOP, so they can't be texted until they text START.")
    } else if !connected {
        Some("SMS is no longer connected for this chatbot, so replies can't be sent.")
    } else {
        None
    }
}

/// What the composer says when the workspace's plan no longer includes SMS.
const PLAN_BLOCKS_SMS: &str = "This workspace's plan no longer includes SMS (Starter and above), so texts can't be sent. An owner can upgrade the plan.";

async fn sending_blocked(
    state: &AppState,
    member: &Member,
    conversation: &conversation::Model,
) -> Result<Option<&'static str>, AppError> {
    let opted_out = repo::contact(&state.db, conversation)
        .await?
        .is_some_and(|c| c.opted_out);
    let connected = repo::connection(&state.db, conversation).await?.is_some();
    Ok(block_reason(
        channel_of(&conversation.channel),
        member.plan,
        opted_out,
        connected,
    ))
}

pub async fn reply(id: Uuid, body: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let member = require_member(&state).await?;
    let body = StaffReply::parse(body).map_err(invalid("body"))?;
    let conversation = found(&state, &member, id).await?;
    if let Some(reason) = sending_blocked(&state, &member, &conversation).await? {
        return Err(AppError::Conflict(reason.into()));
    }
    let message = repo::reply(
        &state.db,
        member.workspace_id,
        id,
        actor(&member),
        body.as_str(),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    tracing::info!(conversation_id = %id, message_id = %message.id, "teammate reply queued");
    state.live.jobs_queued();
    state.live.publish(member.workspace_id, Some(id));
    Ok(())
}

pub async fn retry(message_id: Uuid) -> Result<(), AppError> {
    let state = app_state()?;
    let member = require_member(&state).await?;
    let failed = repo::outbound_message(&state.db, member.workspace_id, message_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !DeliveryState::of(&failed.status).is_failure() {
        return Err(AppError::Conflict(
            "Only a text that failed or was not delivered can be sent again.".into(),
        ));
    }
    let conversation = found(&state, &member, failed.conversation_id).await?;
    if let Some(reason) = sending_blocked(&state, &member, &conversation).await? {
        return Err(AppError::Conflict(reason.into()));
    }
    repo::retry(&state.db, &conversation, &failed, actor(&member)).await?;
    tracing::info!(conversation_id = %conversation.id, %message_id, "failed text sent again");
    state.live.jobs_queued();
    state
        .live
        .publish(member.workspace_id, Some(conversation.id));
    Ok(())
}

pub async fn rename(id: Uuid, name: &str) -> Result<(), AppError> {
    let state = app_state()?;
    let member = require_member(&state).await?;
    let name = CustomerName::parse(name).map_err(invalid("name"))?;
    if !repo::rename(&state.db, member.workspace_id, id, name.as_ref()).await? {
        return Err(AppError::NotFound);
    }
    state.live.publish(member.workspace_id, Some(id));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_for_reading_and_others_kept() {
        assert_eq!(readable_number("+358501234567"), "+358 50 1234567");
        assert_eq!(readable_number("+14155550100"), "+1 415-555-0100");
        assert_eq!(readable_number("visitor-42"), "visitor-42");
    }
}
