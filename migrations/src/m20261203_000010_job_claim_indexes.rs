//! The worker's claim walks the unfinished jobs in the order it takes them and stops at its limit.
//! With only `(state, run_at)` to go by, PostgreSQL read every ready job, checked each against its
//! conversation's other unfinished jobs and sorted them all before it took the first few: 53 ms a
//! claim with 25,000 texts queued. Both indexes hold unfinished jobs only, so they stay small
//! however many jobs are done; the claim names their condition so that SQLite uses them too.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS idx_jobs_ready")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_jobs_pending ON jobs (run_at, created_at) \
             WHERE state IN ('queued', 'running')",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_jobs_pending_conversation ON jobs (conversation_id, created_at) \
             WHERE state IN ('queued', 'running')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS idx_jobs_pending_conversation")
            .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS idx_jobs_pending")
            .await?;
        db.execute_unprepared("CREATE INDEX idx_jobs_ready ON jobs (state, run_at)")
            .await?;
        Ok(())
    }
}
