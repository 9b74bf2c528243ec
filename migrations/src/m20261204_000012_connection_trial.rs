//! Whether the connected Twilio account is a trial account (Account `type` Trial), as the probe
//! found it when connecting or editing: the settings page warns that replies reach only verified
//! numbers until the account is upgraded.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TwilioConnections {
    Table,
    Trial,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TwilioConnections::Table)
                    .add_column(
                        ColumnDef::new(TwilioConnections::Trial)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TwilioConnections::Table)
                    .drop_column(TwilioConnections::Trial)
                    .to_owned(),
            )
            .await
    }
}
