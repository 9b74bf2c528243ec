//! The website widget: each chatbot lists the website origins allowed to embed it (one per line,
//! `https://shop.example`); its own dashboard's origin is always allowed, for the preview. Widget
//! conversations reuse `conversations` with `channel = 'web'` and a hashed visitor token as the
//! customer's address, so they need no table of their own.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Chatbots::Table)
                    .add_column(text(Chatbots::WidgetOrigins).default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Chatbots::Table)
                    .drop_column(Chatbots::WidgetOrigins)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Chatbots {
    Table,
    WidgetOrigins,
}
