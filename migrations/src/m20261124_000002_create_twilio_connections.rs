//! A chatbot's connection to its business's own Twilio account and number. The Account SID and Auth
//! Token are stored only AES-256-GCM sealed (see src/server/crypto.rs), beside the id of the key.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TwilioConnections::Table)
                    .col(uuid(TwilioConnections::Id).primary_key())
                    .col(uuid(TwilioConnections::WorkspaceId))
                    // One SMS connection per chatbot…
                    .col(uuid(TwilioConnections::ChatbotId).unique_key())
                    // …and one chatbot per number, across every workspace.
                    .col(string_len(TwilioConnections::PhoneNumber, 16).unique_key())
                    .col(string_len(TwilioConnections::PhoneNumberSid, 34))
                    .col(string_len_null(TwilioConnections::FriendlyName, 64))
                    .col(string_len(TwilioConnections::KeyId, 32))
                    .col(text(TwilioConnections::AccountSidSealed))
                    .col(text(TwilioConnections::AuthTokenSealed))
                    .col(string_len(TwilioConnections::AuthTokenLast4, 4))
                    .col(timestamp_with_time_zone(TwilioConnections::ConnectedAt))
                    .col(timestamp_with_time_zone(TwilioConnections::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TwilioConnections::Table, TwilioConnections::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TwilioConnections::Table, TwilioConnections::ChatbotId)
                            .to(Chatbots::Table, Chatbots::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_twilio_connections_workspace")
                    .table(TwilioConnections::Table)
                    .col(TwilioConnections::WorkspaceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TwilioConnections::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TwilioConnections {
    Table,
    Id,
    WorkspaceId,
    ChatbotId,
    PhoneNumber,
    PhoneNumberSid,
    FriendlyName,
    KeyId,
    AccountSidSealed,
    AuthTokenSealed,
    AuthTokenLast4,
    ConnectedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Chatbots {
    Table,
    Id,
}
