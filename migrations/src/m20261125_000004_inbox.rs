//! The inbox: one status per conversation (bot answering · needs a person · with a person · resolved)
//! instead of `status` + `handled_by`, an assignee, a name staff may give the customer, what the list
//! shows without reading messages (last preview, last inbound time, when the team last looked), who
//! of the team wrote a message, and the indexes that keep the list, its filters, keyset pages and
//! search fast at 100,000 conversations and 1,000,000 messages.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres =
            manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres;

        for column in [
            ColumnDef::new(Conversations::AssigneeId)
                .uuid()
                .null()
                .to_owned(),
            ColumnDef::new(Conversations::CustomerName)
                .string_len(80)
                .null()
                .to_owned(),
            ColumnDef::new(Conversations::LastMessagePreview)
                .string_len(200)
                .not_null()
                .default("")
                .to_owned(),
            timestamp_with_time_zone_null(Conversations::LastInboundAt),
            timestamp_with_time_zone_null(Conversations::SeenAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Conversations::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // The two old columns become one status.
        db.execute_unprepared(
            "UPDATE conversations SET status = CASE \
               WHEN status = 'resolved' THEN 'resolved' \
               WHEN handled_by = 'human' THEN 'human' \
               ELSE 'bot' END",
        )
        .await?;
        db.execute_unprepared("ALTER TABLE conversations DROP COLUMN handled_by")
            .await?;
        // What the list shows for conversations stored before this migration.
        db.execute_unprepared(
            "UPDATE conversations SET \
               last_message_preview = COALESCE((SELECT substr(m.body, 1, 200) FROM messages m \
                 WHERE m.conversation_id = conversations.id ORDER BY m.created_at DESC LIMIT 1), ''), \
               last_inbound_at = (SELECT MAX(m.created_at) FROM messages m \
                 WHERE m.conversation_id = conversations.id AND m.direction = 'inbound')",
        )
        .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Messages::Table)
                    .add_column(ColumnDef::new(Messages::AuthorUserId).uuid().null())
                    .to_owned(),
            )
            .await?;

        manager
            .drop_index(
                Index::drop()
                    .name("idx_conversations_workspace_recent")
                    .table(Conversations::Table)
                    .to_owned(),
            )
            .await?;
        // Newest activity first, for the whole workspace and for each filter; `id` breaks ties so a
        // keyset page never skips or repeats a row.
        for (name, filter) in [
            ("idx_conversations_recent", None),
            (
                "idx_conversations_status_recent",
                Some(Conversations::Status),
            ),
            (
                "idx_conversations_assignee_recent",
                Some(Conversations::AssigneeId),
            ),
            (
                "idx_conversations_chatbot_recent",
                Some(Conversations::ChatbotId),
            ),
            (
                "idx_conversations_channel_recent",
                Some(Conversations::Channel),
            ),
        ] {
            let mut index = Index::create();
            index
                .name(name)
                .table(Conversations::Table)
                .col(Conversations::WorkspaceId);
            if let Some(column) = filter {
                index.col(column);
            }
            index
                .col(Conversations::LastMessageAt)
                .col(Conversations::Id);
            manager.create_index(index.to_owned()).await?;
        }

        // Search by message text (a substring, any case) and by phone number.
        if postgres {
            db.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                .await?;
            db.execute_unprepared(
                "CREATE INDEX idx_messages_body_trgm ON messages USING gin (body gin_trgm_ops)",
            )
            .await?;
            db.execute_unprepared(
                "CREATE INDEX idx_conversations_customer_trgm ON conversations \
                 USING gin (customer_address gin_trgm_ops)",
            )
            .await?;
        } else {
            // An external-content FTS5 index with the trigram tokenizer: substring matches, like
            // PostgreSQL's trigram index, kept in step with `messages` by triggers.
            for statement in [
                "CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='rowid', tokenize='trigram')",
                "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.direction <> 'event' BEGIN \
                   INSERT INTO messages_fts(rowid, body) VALUES (new.rowid, new.body); END",
                "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.direction <> 'event' BEGIN \
                   INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.rowid, old.body); END",
                "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages WHEN old.direction <> 'event' BEGIN \
                   INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.rowid, old.body); \
                   INSERT INTO messages_fts(rowid, body) VALUES (new.rowid, new.body); END",
                "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
            ] {
                db.execute_unprepared(statement).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared("DROP INDEX IF EXISTS idx_messages_body_trgm")
                .await?;
            db.execute_unprepared("DROP INDEX IF EXISTS idx_conversations_customer_trgm")
                .await?;
        } else {
            for statement in [
                "DROP TRIGGER IF EXISTS messages_fts_insert",
                "DROP TRIGGER IF EXISTS messages_fts_delete",
                "DROP TRIGGER IF EXISTS messages_fts_update",
                "DROP TABLE IF EXISTS messages_fts",
            ] {
                db.execute_unprepared(statement).await?;
            }
        }
        for name in [
            "idx_conversations_recent",
            "idx_conversations_status_recent",
            "idx_conversations_assignee_recent",
            "idx_conversations_chatbot_recent",
            "idx_conversations_channel_recent",
        ] {
            manager
                .drop_index(
                    Index::drop()
                        .name(name)
                        .table(Conversations::Table)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_conversations_workspace_recent")
                    .table(Conversations::Table)
                    .col(Conversations::WorkspaceId)
                    .col(Conversations::LastMessageAt)
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("ALTER TABLE messages DROP COLUMN author_user_id")
            .await?;
        db.execute_unprepared(
            "ALTER TABLE conversations ADD COLUMN handled_by varchar(8) NOT NULL DEFAULT 'bot'",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE conversations SET handled_by = CASE WHEN status IN ('human', 'needs_human') THEN 'human' ELSE 'bot' END, \
               status = CASE WHEN status = 'resolved' THEN 'resolved' ELSE 'open' END",
        )
        .await?;
        for column in [
            "assignee_id",
            "customer_name",
            "last_message_preview",
            "last_inbound_at",
            "seen_at",
        ] {
            db.execute_unprepared(&format!("ALTER TABLE conversations DROP COLUMN {column}"))
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    WorkspaceId,
    ChatbotId,
    Channel,
    Status,
    LastMessageAt,
    AssigneeId,
    CustomerName,
    LastMessagePreview,
    LastInboundAt,
    SeenAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    AuthorUserId,
}
