//! The inbox's data, as the pages, their server functions (`server_fns::inbox`, which re-exports
//! it) and the inbox service (`server::inbox`) all see it.
use crate::domain::TwilioDocsLink;
use crate::domain::delivery::DeliveryState;
use crate::domain::inbox::{Channel, ConversationStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The live event stream the inbox pages listen to (server-sent events).
pub const EVENTS_PATH: &str = "/api/inbox/events";

/// One row of the conversation list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxRow {
    pub id: Uuid,
    /// The name staff gave the customer, else their number formatted for reading.
    pub customer: String,
    pub chatbot_name: String,
    pub channel: Channel,
    /// For SMS: the business number's friendly name (or the number).
    pub channel_detail: Option<String>,
    pub preview: String,
    pub last_at: Stamp,
    pub status: ConversationStatus,
    pub assignee: Option<String>,
    pub unread: bool,
}

/// A moment, as RFC 3339 (for the browser to show in local time) and as a label in UTC (until then).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub iso: String,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxPage {
    pub rows: Vec<InboxRow>,
    /// Hand back to `inbox_list` to load older rows; `None` at the end.
    pub next_cursor: Option<String>,
}

/// What the list's filters offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterChoices {
    pub chatbots: Vec<(Uuid, String)>,
    pub teammates: Vec<(Uuid, String)>,
}

/// Who wrote a message of the thread, or that it is a note about the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageKind {
    Customer,
    Bot,
    Teammate,
    /// An automatic text (such as "a person will reply").
    Notice,
    /// A note in the thread: who took over, resolved, or why the bot stayed quiet.
    Event,
}

/// Where an outbound text stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub state: DeliveryState,
    /// Why it did not arrive, in plain words.
    pub reason: Option<String>,
    pub error_code: Option<i32>,
    /// Twilio's page explaining the error.
    pub error_link: Option<TwilioDocsLink>,
    pub segments: i32,
    pub encoding: String,
    /// A person may send it again.
    pub can_retry: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadMessage {
    pub id: Uuid,
    pub kind: MessageKind,
    pub author: String,
    pub body: String,
    pub at: Stamp,
    /// Outbound texts only.
    pub delivery: Option<Delivery>,
    /// Pictures or files the customer sent that the bot never saw (MMS is not supported).
    pub attachments_dropped: i32,
}

/// Whether a teammate may write to the customer now, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Composer {
    Open,
    Closed(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationView {
    pub id: Uuid,
    pub customer: String,
    /// The number formatted for reading (also shown when a name is set).
    pub customer_number: String,
    pub customer_name: Option<String>,
    pub chatbot_name: String,
    pub channel: Channel,
    pub channel_detail: Option<String>,
    pub status: ConversationStatus,
    pub assignee: Option<String>,
    pub assigned_to_me: bool,
    /// When the customer texted STOP (and has not texted START since).
    pub opted_out_since: Option<Stamp>,
    pub composer: Composer,
    pub messages: Vec<ThreadMessage>,
    /// Hand back to load earlier messages; `None` when the thread starts here.
    pub earlier_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingCounts {
    pub needs_person: u64,
}
