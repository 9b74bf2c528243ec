//! Search the customer's number and name through an index, as message text already is. The inbox
//! benchmark (`cargo bench --bench inbox`) found a search for a few digits of a phone number reading
//! every one of 100,000 conversations: 140 ms on SQLite and 80 ms on PostgreSQL at the median. The
//! list now gathers the matching conversations from these indexes (see `repo::inbox::list`).
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            // `customer_address` has had its trigram index since the inbox migration.
            db.execute_unprepared(
                "CREATE INDEX idx_conversations_customer_name_trgm ON conversations \
                 USING gin (customer_name gin_trgm_ops)",
            )
            .await?;
        } else {
            // Like `messages_fts`: an external-content FTS5 trigram index, kept in step by triggers.
            // Trigram matching folds case more widely than LIKE, so the list keeps its LIKE as well
            // and uses this index only to find the candidates.
            for statement in [
                "CREATE VIRTUAL TABLE conversations_fts USING fts5(customer_address, customer_name, content='conversations', content_rowid='rowid', tokenize='trigram')",
                "CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN \
                   INSERT INTO conversations_fts(rowid, customer_address, customer_name) \
                   VALUES (new.rowid, new.customer_address, new.customer_name); END",
                "CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN \
                   INSERT INTO conversations_fts(conversations_fts, rowid, customer_address, customer_name) \
                   VALUES ('delete', old.rowid, old.customer_address, old.customer_name); END",
                "CREATE TRIGGER conversations_fts_update AFTER UPDATE OF customer_address, customer_name ON conversations BEGIN \
                   INSERT INTO conversations_fts(conversations_fts, rowid, customer_address, customer_name) \
                   VALUES ('delete', old.rowid, old.customer_address, old.customer_name); \
                   INSERT INTO conversations_fts(rowid, customer_address, customer_name) \
                   VALUES (new.rowid, new.customer_address, new.customer_name); END",
                "INSERT INTO conversations_fts(conversations_fts) VALUES ('rebuild')",
            ] {
                db.execute_unprepared(statement).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP INDEX IF EXISTS idx_conversations_customer_name_trgm")
                .await?;
        } else {
            for statement in [
                "DROP TRIGGER IF EXISTS conversations_fts_insert",
                "DROP TRIGGER IF EXISTS conversations_fts_delete",
                "DROP TRIGGER IF EXISTS conversations_fts_update",
                "DROP TABLE IF EXISTS conversations_fts",
            ] {
                db.execute_unprepared(statement).await?;
            }
        }
        Ok(())
    }
}
