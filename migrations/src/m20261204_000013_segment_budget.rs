//! A daily SMS segment budget per workspace (10,000 unless an owner changes it) and what each
//! workspace has sent per UTC day, counted when Twilio accepts a text: the bot stops answering by SMS
//! for the rest of the day once the budget is spent.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    DailySegmentBudget,
}

#[derive(DeriveIden)]
enum SegmentUsage {
    Table,
    WorkspaceId,
    Day,
    Segments,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Workspaces::Table)
                    .add_column(
                        ColumnDef::new(Workspaces::DailySegmentBudget)
                            .integer()
                            .not_null()
                            .default(10_000),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SegmentUsage::Table)
                    .col(ColumnDef::new(SegmentUsage::WorkspaceId).uuid().not_null())
                    // `YYYY-MM-DD`, UTC.
                    .col(ColumnDef::new(SegmentUsage::Day).string_len(10).not_null())
                    .col(
                        ColumnDef::new(SegmentUsage::Segments)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .primary_key(
                        Index::create()
                            .col(SegmentUsage::WorkspaceId)
                            .col(SegmentUsage::Day),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SegmentUsage::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Workspaces::Table)
                    .drop_column(Workspaces::DailySegmentBudget)
                    .to_owned(),
            )
            .await
    }
}
