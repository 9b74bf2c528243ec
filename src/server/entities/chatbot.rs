use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "chatbots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub system_prompt: String,
    pub reply_segments: i32,
    /// Website origins allowed to embed the widget, one per line (`domain::widget::AllowedOrigins`).
    #[sea_orm(column_type = "Text")]
    pub widget_origins: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
