//! Invite links to a workspace. Only the SHA-256 of a link's token is stored, so a copy of the
//! database opens no workspace; a link works once, until it expires or is revoked.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Invites::Table)
                    .col(uuid(Invites::Id).primary_key())
                    .col(uuid(Invites::WorkspaceId))
                    // Lower-case hex SHA-256 of the token; accepting looks the invite up by it.
                    .col(string_len(Invites::TokenHash, 64).unique_key())
                    .col(string_len(Invites::Role, 16))
                    // No foreign key: the invite outlives a creator who is later removed.
                    .col(uuid(Invites::CreatedBy))
                    .col(timestamp_with_time_zone(Invites::CreatedAt))
                    .col(timestamp_with_time_zone(Invites::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invites::RevokedAt))
                    .col(timestamp_with_time_zone_null(Invites::UsedAt))
                    .col(uuid_null(Invites::UsedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invites::Table, Invites::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_invites_workspace")
                    .table(Invites::Table)
                    .col(Invites::WorkspaceId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Invites::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Invites {
    Table,
    Id,
    WorkspaceId,
    TokenHash,
    Role,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    UsedAt,
    UsedBy,
}

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
}
