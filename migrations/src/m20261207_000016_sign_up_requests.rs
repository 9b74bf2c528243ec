//! Sign-ups waiting for their address to be confirmed. Submitting the sign-up form (or an invite's
//! join form) makes one and mails its link; opening the link makes the workspace and its owner (or
//! the new member). Only the SHA-256 of the link's token is stored, and a request lives a day.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SignUpRequests::Table)
                    // Lower-case hex SHA-256 of the link's token; confirming looks the request up by it.
                    .col(string_len(SignUpRequests::TokenHash, 64).primary_key())
                    .col(string_len(SignUpRequests::Email, 254))
                    // A new workspace's name, or the hash of the invite whose workspace is joined.
                    .col(string_null(SignUpRequests::WorkspaceName))
                    .col(string_len_null(SignUpRequests::InviteTokenHash, 64))
                    .col(text(SignUpRequests::PasswordHash))
                    .col(timestamp_with_time_zone(SignUpRequests::CreatedAt))
                    .col(timestamp_with_time_zone(SignUpRequests::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sign_up_requests_expires_at")
                    .table(SignUpRequests::Table)
                    .col(SignUpRequests::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignUpRequests::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SignUpRequests {
    Table,
    TokenHash,
    Email,
    WorkspaceName,
    InviteTokenHash,
    PasswordHash,
    CreatedAt,
    ExpiresAt,
}
