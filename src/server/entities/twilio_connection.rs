use sea_orm::entity::prelude::*;

/// A chatbot's SMS connection. The credentials are sealed; `Debug` shows neither ciphertext.
#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "twilio_connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub chatbot_id: Uuid,
    /// E.164.
    pub phone_number: String,
    /// Twilio's `PN…` id of the number, for updating its SmsUrl.
    pub phone_number_sid: String,
    pub friendly_name: Option<String>,
    /// Which encryption key sealed the two secrets.
    pub key_id: String,
    #[sea_orm(column_type = "Text")]
    pub account_sid_sealed: String,
    #[sea_orm(column_type = "Text")]
    pub auth_token_sealed: String,
    pub auth_token_last4: String,
    /// A Twilio trial account (replies reach only its verified numbers), as last probed.
    pub trial: bool,
    pub connected_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConnection")
            .field("id", &self.id)
            .field("workspace_id", &self.workspace_id)
            .field("chatbot_id", &self.chatbot_id)
            .field("phone_number", &self.phone_number)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
