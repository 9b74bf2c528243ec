use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub conversation_id: Uuid,
    /// `inbound`, `outbound`, or `event` (a note in the thread, such as "Anna took over").
    pub direction: String,
    /// `customer`, `bot`, `human` (a teammate: `author_user_id`) or `system` (automatic notices).
    pub author: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub twilio_sid: Option<String>,
    /// Twilio's status (`received`, `sending` before Twilio accepted it, `queued`, `sent`, `delivered`, …).
    pub status: String,
    pub error_code: Option<i32>,
    /// Twilio's page about the error (its `more_info`), when its answer named one.
    pub error_link: Option<String>,
    pub segments: i32,
    /// `GSM-7` or `UCS-2`.
    pub encoding: String,
    /// MMS attachments that were not passed on (MMS is not supported).
    pub attachments_dropped: i32,
    pub in_reply_to: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The teammate who wrote it (or did what an event records).
    pub author_user_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
