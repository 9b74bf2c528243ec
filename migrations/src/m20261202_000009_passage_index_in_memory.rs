//! Knowledge-base search moved from the databases' full-text indexes to a tantivy index each
//! instance builds in memory from the passages' stored terms (`server::knowledge::index`): the
//! FTS5 table and its triggers (SQLite), the `tsv` column and its GIN index (PostgreSQL) and the
//! FTS5 scope column are no longer read, so they are dropped rather than kept up to date on every
//! upload.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared("DROP INDEX IF EXISTS idx_passages_tsv")
                .await?;
            db.execute_unprepared("ALTER TABLE passages DROP COLUMN IF EXISTS tsv")
                .await?;
        } else {
            db.execute_unprepared("DROP TRIGGER IF EXISTS passages_fts_insert")
                .await?;
            db.execute_unprepared("DROP TRIGGER IF EXISTS passages_fts_delete")
                .await?;
            db.execute_unprepared("DROP TABLE IF EXISTS passages_fts")
                .await?;
        }
        db.execute_unprepared("ALTER TABLE passages DROP COLUMN scope")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE passages ADD COLUMN scope VARCHAR(40) NOT NULL DEFAULT ''",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE passages SET scope = 'kb' || REPLACE(CAST(knowledge_base_id AS TEXT), '-', '')",
        )
        .await?;
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared(
                "ALTER TABLE passages ADD COLUMN tsv tsvector GENERATED ALWAYS AS \
                 (setweight(to_tsvector('simple', heading_terms), 'A') || \
                  setweight(to_tsvector('simple', body_terms), 'D')) STORED",
            )
            .await?;
            db.execute_unprepared("CREATE INDEX idx_passages_tsv ON passages USING GIN (tsv)")
                .await?;
        } else {
            db.execute_unprepared(
                "CREATE VIRTUAL TABLE passages_fts USING fts5(\
                   scope, heading_terms, body_terms, \
                   content='passages', content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN \
                   INSERT INTO passages_fts(rowid, scope, heading_terms, body_terms) \
                   VALUES (new.id, new.scope, new.heading_terms, new.body_terms); END",
            )
            .await?;
            db.execute_unprepared(
                "CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN \
                   INSERT INTO passages_fts(passages_fts, rowid, scope, heading_terms, body_terms) \
                   VALUES ('delete', old.id, old.scope, old.heading_terms, old.body_terms); END",
            )
            .await?;
            db.execute_unprepared("INSERT INTO passages_fts(passages_fts) VALUES ('rebuild')")
                .await?;
        }
        Ok(())
    }
}
