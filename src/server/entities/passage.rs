use sea_orm::entity::prelude::*;

/// A retrievable run of a document's text, with its analysed terms (what the search index holds).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "passages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub document_id: Uuid,
    pub knowledge_base_id: Uuid,
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub heading: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    #[sea_orm(column_type = "Text")]
    pub heading_terms: String,
    #[sea_orm(column_type = "Text")]
    pub body_terms: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
