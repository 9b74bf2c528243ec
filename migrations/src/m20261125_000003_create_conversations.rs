//! Conversations with customers, their messages, SMS contacts (opt-outs) and the durable job queue
//! that answers inbound messages.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SmsContacts::Table)
                    .col(uuid(SmsContacts::Id).primary_key())
                    .col(uuid(SmsContacts::WorkspaceId))
                    .col(string_len(SmsContacts::BusinessNumber, 16))
                    .col(string_len(SmsContacts::CustomerNumber, 16))
                    .col(boolean(SmsContacts::OptedOut).default(false))
                    .col(timestamp_with_time_zone_null(SmsContacts::OptedOutAt))
                    // The last STOP/START/HELP-style keyword the customer sent, for the inbox.
                    .col(string_len_null(SmsContacts::LastKeyword, 16))
                    .col(timestamp_with_time_zone(SmsContacts::UpdatedAt))
                    .index(
                        Index::create()
                            .name("uq_sms_contacts_numbers")
                            .col(SmsContacts::BusinessNumber)
                            .col(SmsContacts::CustomerNumber)
                            .unique(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(SmsContacts::Table, SmsContacts::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .col(uuid(Conversations::Id).primary_key())
                    .col(uuid(Conversations::WorkspaceId))
                    .col(uuid(Conversations::ChatbotId))
                    .col(string_len(Conversations::Channel, 8))
                    .col(string_len(Conversations::CustomerAddress, 64))
                    .col(string_len_null(Conversations::BusinessNumber, 16))
                    .col(string_len(Conversations::Status, 16))
                    .col(string_len(Conversations::HandledBy, 8))
                    .col(timestamp_with_time_zone(Conversations::CreatedAt))
                    .col(timestamp_with_time_zone(Conversations::LastMessageAt))
                    // One conversation per customer and chatbot and channel: a new text reopens it.
                    .index(
                        Index::create()
                            .name("uq_conversations_customer")
                            .col(Conversations::ChatbotId)
                            .col(Conversations::Channel)
                            .col(Conversations::CustomerAddress)
                            .unique(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Conversations::Table, Conversations::WorkspaceId)
                            .to(Workspaces::Table, Workspaces::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Conversations::Table, Conversations::ChatbotId)
                            .to(Chatbots::Table, Chatbots::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
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
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(uuid(Messages::Id).primary_key())
                    .col(uuid(Messages::WorkspaceId))
                    .col(uuid(Messages::ConversationId))
                    .col(string_len(Messages::Direction, 8))
                    .col(string_len(Messages::Author, 8))
                    .col(text(Messages::Body))
                    // Twilio's SM…/MM… id; unique so a retried webhook cannot store a message twice.
                    .col(string_len_null(Messages::TwilioSid, 34).unique_key())
                    .col(string_len(Messages::Status, 24))
                    .col(integer_null(Messages::ErrorCode))
                    .col(integer(Messages::Segments).default(0))
                    .col(string_len(Messages::Encoding, 8))
                    .col(integer(Messages::AttachmentsDropped).default(0))
                    // For a reply: the inbound message it answers (one reply per inbound message).
                    .col(uuid_null(Messages::InReplyTo).unique_key())
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .col(timestamp_with_time_zone(Messages::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Messages::Table, Messages::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_messages_conversation")
                    .table(Messages::Table)
                    .col(Messages::ConversationId)
                    .col(Messages::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(uuid(Jobs::Id).primary_key())
                    .col(string_len(Jobs::Kind, 32))
                    .col(uuid(Jobs::ConversationId))
                    // The inbound message the job answers: at most one job per message.
                    .col(uuid(Jobs::MessageId).unique_key())
                    .col(string_len(Jobs::State, 16))
                    .col(integer(Jobs::Attempts).default(0))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(timestamp_with_time_zone_null(Jobs::LeaseUntil))
                    .col(text_null(Jobs::LastError))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Jobs::Table, Jobs::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The claim query's "no earlier unfinished job in this conversation" check.
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_conversation")
                    .table(Jobs::Table)
                    .col(Jobs::ConversationId)
                    .col(Jobs::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_ready")
                    .table(Jobs::Table)
                    .col(Jobs::State)
                    .col(Jobs::RunAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Jobs::Table.into_iden(),
            Messages::Table.into_iden(),
            Conversations::Table.into_iden(),
            SmsContacts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum SmsContacts {
    Table,
    Id,
    WorkspaceId,
    BusinessNumber,
    CustomerNumber,
    OptedOut,
    OptedOutAt,
    LastKeyword,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Conversations {
    Table,
    Id,
    WorkspaceId,
    ChatbotId,
    Channel,
    CustomerAddress,
    BusinessNumber,
    Status,
    HandledBy,
    CreatedAt,
    LastMessageAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    WorkspaceId,
    ConversationId,
    Direction,
    Author,
    Body,
    TwilioSid,
    Status,
    ErrorCode,
    Segments,
    Encoding,
    AttachmentsDropped,
    InReplyTo,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    ConversationId,
    MessageId,
    State,
    Attempts,
    RunAt,
    LeaseUntil,
    LastError,
    CreatedAt,
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
