use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub chatbot_id: Uuid,
    /// `sms` or `web`.
    pub channel: String,
    /// The customer's E.164 number for SMS; a visitor id for the website widget.
    pub customer_address: String,
    pub business_number: Option<String>,
    /// `open` or `resolved`.
    pub status: String,
    /// `bot`, or `human` once an agent took over (the bot then stays quiet).
    pub handled_by: String,
    pub created_at: DateTimeUtc,
    pub last_message_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
