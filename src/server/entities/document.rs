use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub knowledge_base_id: Uuid,
    pub title: String,
    pub file_name: Option<String>,
    pub kind: String,
    pub size_bytes: i64,
    pub content_sha256: String,
    pub state: String,
    pub progress: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub passages: i32,
    pub attempts: i32,
    pub lease_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
