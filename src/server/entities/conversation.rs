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
    /// A `ConversationStatus` by its `as_str` name (`bot`, `needs_human`, `human`, `resolved`).
    pub status: String,
    pub created_at: DateTimeUtc,
    /// The last message of any kind; the inbox sorts by it.
    pub last_message_at: DateTimeUtc,
    /// The teammate who holds the conversation.
    pub assignee_id: Option<Uuid>,
    /// A name staff gave the customer.
    pub customer_name: Option<String>,
    /// The start of the last message, for the list.
    pub last_message_preview: String,
    /// When the customer last wrote; newer than `seen_at` means unread.
    pub last_inbound_at: Option<DateTimeUtc>,
    /// When a teammate last opened the conversation.
    pub seen_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::chatbot::Entity",
        from = "Column::ChatbotId",
        to = "super::chatbot::Column::Id"
    )]
    Chatbot,
}

impl Related<super::chatbot::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Chatbot.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
