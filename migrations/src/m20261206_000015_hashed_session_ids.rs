//! Sessions are stored under a SHA-256 of their id, and their data without it, so a copy of the
//! database (a backup, a read replica, an SQL injection elsewhere) holds no cookie that signs anyone
//! in. Rows stored before held the id itself: they are deleted, which signs everyone out once.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM sessions")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Hashed rows mean nothing to the code before this change either.
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM sessions")
            .await?;
        Ok(())
    }
}
