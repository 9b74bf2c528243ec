//! Fair turns between workspaces: each job has a turn (`fair_key`, microseconds) and the workers'
//! claim walks the unfinished jobs in the order of their turns instead of their arrival, so one
//! workspace's flood does not hold up everyone else's replies (see `repo::conversations::turns`);
//! `idx_jobs_turns` takes the place of `idx_jobs_pending` for that walk.
//! Jobs queued before have turn 0: they go first, as they would have.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    FairKey,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .add_column(
                        ColumnDef::new(Jobs::FairKey)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS idx_jobs_pending")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_jobs_turns ON jobs (fair_key, created_at) \
             WHERE state IN ('queued', 'running')",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS idx_jobs_turns")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_jobs_pending ON jobs (run_at, created_at) \
             WHERE state IN ('queued', 'running')",
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .drop_column(Jobs::FairKey)
                    .to_owned(),
            )
            .await
    }
}
