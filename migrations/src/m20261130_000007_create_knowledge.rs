//! Knowledge bases: a workspace's documents, split into passages the agent retrieves. The database is
//! the index (SQLite FTS5, PostgreSQL tsvector + GIN), so every app instance sees the same passages.
//! Passages carry their analysed terms (stemmed in the knowledge base's language by the app), which
//! both databases index with their language-neutral tokenizer: ranking is the same on both.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres =
            manager.get_database_backend() == sea_orm_migration::sea_orm::DatabaseBackend::Postgres;

        manager
            .create_table(
                Table::create()
                    .table(KnowledgeBases::Table)
                    .col(uuid(KnowledgeBases::Id).primary_key())
                    .col(uuid(KnowledgeBases::WorkspaceId))
                    .col(string_len(KnowledgeBases::Name, 80))
                    .col(string_len(KnowledgeBases::Language, 16).default("english"))
                    // Bumped by every change of its passages: caches of its vocabulary key on it.
                    .col(big_integer(KnowledgeBases::Revision).default(0))
                    .col(timestamp_with_time_zone(KnowledgeBases::CreatedAt))
                    .col(timestamp_with_time_zone(KnowledgeBases::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(KnowledgeBases::Table, KnowledgeBases::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_knowledge_bases_workspace")
                    .table(KnowledgeBases::Table)
                    .col(KnowledgeBases::WorkspaceId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ChatbotKnowledgeBases::Table)
                    .col(uuid(ChatbotKnowledgeBases::ChatbotId))
                    .col(uuid(ChatbotKnowledgeBases::KnowledgeBaseId))
                    .primary_key(
                        Index::create()
                            .col(ChatbotKnowledgeBases::ChatbotId)
                            .col(ChatbotKnowledgeBases::KnowledgeBaseId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ChatbotKnowledgeBases::Table,
                                ChatbotKnowledgeBases::ChatbotId,
                            )
                            .to(Chatbots::Table, Chatbots::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                ChatbotKnowledgeBases::Table,
                                ChatbotKnowledgeBases::KnowledgeBaseId,
                            )
                            .to(KnowledgeBases::Table, KnowledgeBases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_chatbot_knowledge_bases_base")
                    .table(ChatbotKnowledgeBases::Table)
                    .col(ChatbotKnowledgeBases::KnowledgeBaseId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Documents::Table)
                    .col(uuid(Documents::Id).primary_key())
                    .col(uuid(Documents::WorkspaceId))
                    .col(uuid(Documents::KnowledgeBaseId))
                    .col(string_len(Documents::Title, 200))
                    // The uploaded file's name; a new upload of the same name replaces the document.
                    .col(string_len_null(Documents::FileName, 255))
                    .col(string_len(Documents::Kind, 16))
                    .col(big_integer(Documents::SizeBytes))
                    .col(string_len(Documents::ContentSha256, 64))
                    // processing · ready · failed
                    .col(string_len(Documents::State, 16))
                    .col(integer(Documents::Progress).default(0))
                    .col(text_null(Documents::Error))
                    .col(integer(Documents::Passages).default(0))
                    .col(integer(Documents::Attempts).default(0))
                    .col(timestamp_with_time_zone_null(Documents::LeaseUntil))
                    .col(timestamp_with_time_zone(Documents::CreatedAt))
                    .col(timestamp_with_time_zone(Documents::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Documents::Table, Documents::KnowledgeBaseId)
                            .to(KnowledgeBases::Table, KnowledgeBases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_documents_base")
                    .table(Documents::Table)
                    .col(Documents::KnowledgeBaseId)
                    .col(Documents::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_documents_state")
                    .table(Documents::Table)
                    .col(Documents::State)
                    .to_owned(),
            )
            .await?;

        // The uploaded bytes, kept until the document is processed (a restart picks the work up).
        manager
            .create_table(
                Table::create()
                    .table(DocumentSources::Table)
                    .col(uuid(DocumentSources::DocumentId).primary_key())
                    .col(blob(DocumentSources::Content))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DocumentSources::Table, DocumentSources::DocumentId)
                            .to(Documents::Table, Documents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Passages::Table)
                    // An integer key: SQLite's FTS5 index points at rows by it.
                    .col(big_pk_auto(Passages::Id))
                    .col(uuid(Passages::DocumentId))
                    .col(uuid(Passages::KnowledgeBaseId))
                    // "kb" + the knowledge base id in hex: the FTS5 index filters by it.
                    .col(string_len(Passages::Scope, 40))
                    .col(integer(Passages::Position))
                    .col(text(Passages::Heading))
                    .col(text(Passages::Body))
                    .col(text(Passages::HeadingTerms))
                    .col(text(Passages::BodyTerms))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Passages::Table, Passages::DocumentId)
                            .to(Documents::Table, Documents::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_passages_document")
                    .table(Passages::Table)
                    .col(Passages::DocumentId)
                    .to_owned(),
            )
            .await?;

        if postgres {
            db.execute_unprepared(
                "ALTER TABLE passages ADD COLUMN tsv tsvector GENERATED ALWAYS AS \
                 (setweight(to_tsvector('simple', heading_terms), 'A') || \
                  setweight(to_tsvector('simple', body_terms), 'D')) STORED",
            )
            .await?;
            db.execute_unprepared("CREATE INDEX idx_passages_tsv ON passages USING GIN (tsv)")
                .await?;
            db.execute_unprepared("CREATE INDEX idx_passages_base ON passages (knowledge_base_id)")
                .await?;
        } else {
            // External-content FTS5 over the passages table, kept in step by triggers. Passages are
            // only ever inserted and deleted, never updated.
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
        }

        // How many SMS segments a reply of the chatbot may use.
        manager
            .alter_table(
                Table::alter()
                    .table(Chatbots::Table)
                    .add_column(integer(Chatbots::ReplySegments).default(3))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() != sea_orm_migration::sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared("DROP TABLE IF EXISTS passages_fts")
                .await?;
        }
        for table in [
            Passages::Table.into_iden(),
            DocumentSources::Table.into_iden(),
            Documents::Table.into_iden(),
            ChatbotKnowledgeBases::Table.into_iden(),
            KnowledgeBases::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Chatbots::Table)
                    .drop_column(Chatbots::ReplySegments)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum KnowledgeBases {
    Table,
    Id,
    WorkspaceId,
    Name,
    Language,
    Revision,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChatbotKnowledgeBases {
    Table,
    ChatbotId,
    KnowledgeBaseId,
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    WorkspaceId,
    KnowledgeBaseId,
    Title,
    FileName,
    Kind,
    SizeBytes,
    ContentSha256,
    State,
    Progress,
    Error,
    Passages,
    Attempts,
    LeaseUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DocumentSources {
    Table,
    DocumentId,
    Content,
}

#[derive(DeriveIden)]
enum Passages {
    Table,
    Id,
    DocumentId,
    KnowledgeBaseId,
    Scope,
    Position,
    Heading,
    Body,
    HeadingTerms,
    BodyTerms,
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
    ReplySegments,
}
