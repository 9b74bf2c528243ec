use sea_orm::entity::prelude::*;

/// A customer's number as seen by one business number: whether they opted out of its texts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub business_number: String,
    pub customer_number: String,
    pub opted_out: bool,
    pub opted_out_at: Option<DateTimeUtc>,
    pub last_keyword: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
