use sea_orm::entity::prelude::*;

/// A unit of background work in the database-backed queue (today: answering one inbound SMS).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub conversation_id: Uuid,
    pub message_id: Uuid,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    pub attempts: i32,
    pub run_at: DateTimeUtc,
    /// While running: until when the claiming worker owns it. Past it, another worker may take over.
    pub lease_until: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    /// The job's turn among ready jobs, in microseconds: workers take the lowest first (see
    /// `repo::conversations::turns`).
    pub fair_key: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
