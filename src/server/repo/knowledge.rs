//! Knowledge bases, their documents and passages, and the search over them. Every function that
//! touches workspace data takes the workspace id; the document worker's claim is the one exception
//! (it serves every workspace) and hands back the row it claimed.
use super::{begin_write, now};
use crate::domain::knowledge::{DocumentState, DocumentTitle, KnowledgeBaseName, Language};
use crate::server::entities::{
    chatbot, chatbot_knowledge_base, document, document_source, knowledge_base, passage,
};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, Value,
};
use uuid::Uuid;

/// Tries before a document that keeps failing to process is marked failed.
pub const MAX_DOCUMENT_ATTEMPTS: i32 = 3;

pub async fn list_bases(
    db: &DatabaseConnection,
    workspace_id: Uuid,
) -> Result<Vec<knowledge_base::Model>, DbErr> {
    knowledge_base::Entity::find()
        .filter(knowledge_base::Column::WorkspaceId.eq(workspace_id))
        .order_by_asc(knowledge_base::Column::Name)
        .order_by_asc(knowledge_base::Column::Id)
        .all(db)
        .await
}

pub async fn find_base(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<Option<knowledge_base::Model>, DbErr> {
    knowledge_base::Entity::find_by_id(id)
        .filter(knowledge_base::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await
}

pub async fn create_base(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    name: &KnowledgeBaseName,
    language: Language,
) -> Result<knowledge_base::Model, DbErr> {
    let at = now();
    knowledge_base::ActiveModel {
        id: Set(Uuid::new_v4()),
        workspace_id: Set(workspace_id),
        name: Set(name.as_str().to_owned()),
        language: Set(language.as_str().to_owned()),
        revision: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
}

/// Renames a knowledge base; `false` when the workspace has no such base.
pub async fn rename_base(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    id: Uuid,
    name: &KnowledgeBaseName,
) -> Result<bool, DbErr> {
    let result = knowledge_base::Entity::update_many()
        .col_expr(knowledge_base::Column::Name, Expr::value(name.as_str()))
        .col_expr(knowledge_base::Column::UpdatedAt, Expr::value(now()))
        .filter(knowledge_base::Column::Id.eq(id))
        .filter(knowledge_base::Column::WorkspaceId.eq(workspace_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Deletes a knowledge base with its documents and passages; `false` when there is no such base.
pub async fn delete_base(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    let txn = begin_write(db).await?;
    if find_base(&*txn, workspace_id, id).await?.is_none() {
        return Ok(false);
    }
    // Passages first, in one statement, rather than leaving them to the cascade from documents.
    passage::Entity::delete_many()
        .filter(passage::Column::KnowledgeBaseId.eq(id))
        .exec(&*txn)
        .await?;
    knowledge_base::Entity::delete_by_id(id).exec(&*txn).await?;
    txn.commit().await?;
    Ok(true)
}

/// The knowledge bases a chatbot answers from.
pub async fn bases_of_chatbot(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    chatbot_id: Uuid,
) -> Result<Vec<knowledge_base::Model>, DbErr> {
    let links = chatbot_knowledge_base::Entity::find()
        .filter(chatbot_knowledge_base::Column::ChatbotId.eq(chatbot_id))
        .all(db)
        .await?;
    if links.is_empty() {
        return Ok(Vec::new());
    }
    knowledge_base::Entity::find()
        .filter(knowledge_base::Column::WorkspaceId.eq(workspace_id))
        .filter(
            knowledge_base::Column::Id.is_in(links.into_iter().map(|link| link.knowledge_base_id)),
        )
        .order_by_asc(knowledge_base::Column::Name)
        .all(db)
        .await
}

/// The chatbots that answer from a knowledge base.
pub async fn chatbots_of_base(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    base_id: Uuid,
) -> Result<Vec<chatbot::Model>, DbErr> {
    let links = chatbot_knowledge_base::Entity::find()
        .filter(chatbot_knowledge_base::Column::KnowledgeBaseId.eq(base_id))
        .all(db)
        .await?;
    chatbot::Entity::find()
        .filter(chatbot::Column::WorkspaceId.eq(workspace_id))
        .filter(chatbot::Column::Id.is_in(links.into_iter().map(|link| link.chatbot_id)))
        .order_by_asc(chatbot::Column::Name)
        .all(db)
        .await
}

/// Sets the knowledge bases a chatbot answers from. `false` when the chatbot or any base is not the
/// workspace's.
pub async fn set_chatbot_bases(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    chatbot_id: Uuid,
    base_ids: &[Uuid],
) -> Result<bool, DbErr> {
    let txn = begin_write(db).await?;
    let chatbot = chatbot::Entity::find_by_id(chatbot_id)
        .filter(chatbot::Column::WorkspaceId.eq(workspace_id))
        .one(&*txn)
        .await?;
    let found = knowledge_base::Entity::find()
        .filter(knowledge_base::Column::WorkspaceId.eq(workspace_id))
        .filter(knowledge_base::Column::Id.is_in(base_ids.iter().copied()))
        .count(&*txn)
        .await?;
    let mut wanted = base_ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    if chatbot.is_none() || found != wanted.len() as u64 {
        return Ok(false);
    }
    chatbot_knowledge_base::Entity::delete_many()
        .filter(chatbot_knowledge_base::Column::ChatbotId.eq(chatbot_id))
        .exec(&*txn)
        .await?;
    for base_id in wanted {
        chatbot_knowledge_base::ActiveModel {
            chatbot_id: Set(chatbot_id),
            knowledge_base_id: Set(base_id),
        }
        .insert(&*txn)
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// A knowledge base's documents, newest first.
pub async fn documents(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    base_id: Uuid,
) -> Result<Vec<document::Model>, DbErr> {
    document::Entity::find()
        .filter(document::Column::WorkspaceId.eq(workspace_id))
        .filter(document::Column::KnowledgeBaseId.eq(base_id))
        .order_by_desc(document::Column::CreatedAt)
        .order_by_asc(document::Column::Id)
        .all(db)
        .await
}

pub async fn find_document(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<Option<document::Model>, DbErr> {
    document::Entity::find_by_id(id)
        .filter(document::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await
}

/// What an upload or paste stores before the worker reads it.
pub struct NewDocument<'a> {
    pub workspace_id: Uuid,
    pub base_id: Uuid,
    pub title: &'a DocumentTitle,
    pub file_name: Option<&'a str>,
    pub kind: &'a str,
    pub content: &'a [u8],
    pub sha256: &'a str,
}

/// Stores a document to be processed. A file whose name the base already holds replaces that
/// document: it goes back to processing and its old passages answer until the new ones are ready.
/// `None` when the base is not the workspace's.
pub async fn add_document(
    db: &DatabaseConnection,
    new: NewDocument<'_>,
) -> Result<Option<document::Model>, DbErr> {
    let txn = begin_write(db).await?;
    if find_base(&*txn, new.workspace_id, new.base_id)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let existing = match new.file_name {
        Some(name) => {
            document::Entity::find()
                .filter(document::Column::KnowledgeBaseId.eq(new.base_id))
                .filter(document::Column::FileName.eq(name))
                .one(&*txn)
                .await?
        }
        None => None,
    };
    let at = now();
    let size = i64::try_from(new.content.len()).unwrap_or(i64::MAX);
    let saved = match existing {
        Some(old) => {
            document_source::Entity::delete_by_id(old.id)
                .exec(&*txn)
                .await?;
            let mut update: document::ActiveModel = old.into();
            update.title = Set(new.title.as_str().to_owned());
            update.kind = Set(new.kind.to_owned());
            update.size_bytes = Set(size);
            update.content_sha256 = Set(new.sha256.to_owned());
            update.state = Set(DocumentState::Processing.as_str().to_owned());
            update.progress = Set(0);
            update.error = Set(None);
            update.attempts = Set(0);
            update.lease_until = Set(None);
            update.updated_at = Set(at);
            update.update(&*txn).await?
        }
        None => {
            document::ActiveModel {
                id: Set(Uuid::new_v4()),
                workspace_id: Set(new.workspace_id),
                knowledge_base_id: Set(new.base_id),
                title: Set(new.title.as_str().to_owned()),
                file_name: Set(new.file_name.map(str::to_owned)),
                kind: Set(new.kind.to_owned()),
                size_bytes: Set(size),
                content_sha256: Set(new.sha256.to_owned()),
                state: Set(DocumentState::Processing.as_str().to_owned()),
                progress: Set(0),
                error: Set(None),
                passages: Set(0),
                attempts: Set(0),
                lease_until: Set(None),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(&*txn)
            .await?
        }
    };
    document_source::ActiveModel {
        document_id: Set(saved.id),
        content: Set(new.content.to_vec()),
    }
    .insert(&*txn)
    .await?;
    txn.commit().await?;
    Ok(Some(saved))
}

/// Deletes a document and its passages at once; `false` when the workspace has no such document.
pub async fn delete_document(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    let txn = begin_write(db).await?;
    let Some(found) = find_document(&*txn, workspace_id, id).await? else {
        return Ok(false);
    };
    passage::Entity::delete_many()
        .filter(passage::Column::DocumentId.eq(id))
        .exec(&*txn)
        .await?;
    document::Entity::delete_by_id(id).exec(&*txn).await?;
    bump_revision(&*txn, found.knowledge_base_id).await?;
    txn.commit().await?;
    Ok(true)
}

async fn bump_revision(db: &impl ConnectionTrait, base_id: Uuid) -> Result<(), DbErr> {
    knowledge_base::Entity::update_many()
        .col_expr(
            knowledge_base::Column::Revision,
            Expr::col(knowledge_base::Column::Revision).add(1),
        )
        .col_expr(knowledge_base::Column::UpdatedAt, Expr::value(now()))
        .filter(knowledge_base::Column::Id.eq(base_id))
        .exec(db)
        .await
        .map(|_| ())
}

/// A document the worker claimed: its row, its bytes and its base's language.
pub struct Claimed {
    pub document: document::Model,
    pub content: Vec<u8>,
    pub language: Language,
}

/// Claims the oldest document waiting to be processed (or whose worker's lease ran out) until
/// `lease_until`. Several instances may call this at once: the conditional update lets one win.
pub async fn claim_document(
    db: &DatabaseConnection,
    lease_until: DateTime<Utc>,
) -> Result<Option<Claimed>, DbErr> {
    let at = now();
    let candidates = document::Entity::find()
        .filter(document::Column::State.eq(DocumentState::Processing.as_str()))
        .filter(
            document::Column::LeaseUntil
                .is_null()
                .or(document::Column::LeaseUntil.lt(at)),
        )
        .order_by_asc(document::Column::UpdatedAt)
        .limit(4)
        .all(db)
        .await?;
    for candidate in candidates {
        let _gate = super::write_gate(db).await;
        let won = document::Entity::update_many()
            .col_expr(document::Column::LeaseUntil, Expr::value(lease_until))
            .col_expr(
                document::Column::Attempts,
                Expr::col(document::Column::Attempts).add(1),
            )
            .filter(document::Column::Id.eq(candidate.id))
            .filter(document::Column::State.eq(DocumentState::Processing.as_str()))
            .filter(document::Column::UpdatedAt.eq(candidate.updated_at))
            .filter(
                document::Column::LeaseUntil
                    .is_null()
                    .or(document::Column::LeaseUntil.lt(at)),
            )
            .exec(db)
            .await?
            .rows_affected
            == 1;
        drop(_gate);
        if !won {
            continue;
        }
        let Some(source) = document_source::Entity::find_by_id(candidate.id)
            .one(db)
            .await?
        else {
            fail_document(
                db,
                &candidate,
                "The uploaded file was lost; upload it again.",
            )
            .await?;
            continue;
        };
        let language = knowledge_base::Entity::find_by_id(candidate.knowledge_base_id)
            .one(db)
            .await?
            .and_then(|base| base.language.parse().ok())
            .unwrap_or(Language::English);
        let mut document = candidate;
        document.attempts += 1;
        document.lease_until = Some(lease_until);
        return Ok(Some(Claimed {
            document,
            content: source.content,
            language,
        }));
    }
    Ok(None)
}

/// Records how far the worker got (0–100) with a claimed document.
pub async fn set_progress(
    db: &DatabaseConnection,
    claimed: &document::Model,
    percent: i32,
) -> Result<(), DbErr> {
    let _gate = super::write_gate(db).await;
    document::Entity::update_many()
        .col_expr(
            document::Column::Progress,
            Expr::value(percent.clamp(0, 100)),
        )
        .filter(document::Column::Id.eq(claimed.id))
        .filter(document::Column::UpdatedAt.eq(claimed.updated_at))
        .exec(db)
        .await
        .map(|_| ())
}

/// Marks a claimed document unreadable with the reason, unless it was replaced meanwhile.
pub async fn fail_document(
    db: &DatabaseConnection,
    claimed: &document::Model,
    reason: &str,
) -> Result<(), DbErr> {
    let txn = begin_write(db).await?;
    document::Entity::update_many()
        .col_expr(
            document::Column::State,
            Expr::value(DocumentState::Failed.as_str()),
        )
        .col_expr(document::Column::Error, Expr::value(reason))
        .col_expr(
            document::Column::LeaseUntil,
            Expr::value(Value::ChronoDateTimeUtc(None)),
        )
        .col_expr(document::Column::UpdatedAt, Expr::value(now()))
        .filter(document::Column::Id.eq(claimed.id))
        .filter(document::Column::UpdatedAt.eq(claimed.updated_at))
        .exec(&*txn)
        .await?;
    document_source::Entity::delete_by_id(claimed.id)
        .exec(&*txn)
        .await?;
    txn.commit().await
}

/// A passage to store: heading, text and their index terms.
pub struct NewPassage {
    pub heading: String,
    pub body: String,
    pub heading_terms: String,
    pub body_terms: String,
}

/// Swaps a claimed document's passages for new ones in one transaction and marks it ready, unless
/// it was replaced or deleted meanwhile (then nothing changes and `false` comes back).
pub async fn finish_document(
    db: &DatabaseConnection,
    claimed: &document::Model,
    title: Option<&DocumentTitle>,
    passages: Vec<NewPassage>,
) -> Result<bool, DbErr> {
    let txn = begin_write(db).await?;
    let mut update = document::Entity::update_many()
        .col_expr(
            document::Column::State,
            Expr::value(DocumentState::Ready.as_str()),
        )
        .col_expr(document::Column::Progress, Expr::value(100))
        .col_expr(
            document::Column::Passages,
            Expr::value(i32::try_from(passages.len()).unwrap_or(i32::MAX)),
        )
        .col_expr(document::Column::Error, Expr::value(Value::String(None)))
        .col_expr(
            document::Column::LeaseUntil,
            Expr::value(Value::ChronoDateTimeUtc(None)),
        )
        .col_expr(document::Column::UpdatedAt, Expr::value(now()));
    if let Some(title) = title {
        update = update.col_expr(document::Column::Title, Expr::value(title.as_str()));
    }
    let current = update
        .filter(document::Column::Id.eq(claimed.id))
        .filter(document::Column::UpdatedAt.eq(claimed.updated_at))
        .exec(&*txn)
        .await?
        .rows_affected
        == 1;
    if !current {
        return Ok(false);
    }
    passage::Entity::delete_many()
        .filter(passage::Column::DocumentId.eq(claimed.id))
        .exec(&*txn)
        .await?;
    let rows: Vec<passage::ActiveModel> = passages
        .into_iter()
        .enumerate()
        .map(|(position, new)| passage::ActiveModel {
            document_id: Set(claimed.id),
            knowledge_base_id: Set(claimed.knowledge_base_id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            heading: Set(new.heading),
            body: Set(new.body),
            heading_terms: Set(new.heading_terms),
            body_terms: Set(new.body_terms),
            ..Default::default()
        })
        .collect();
    for batch in rows.chunks(200) {
        passage::Entity::insert_many(batch.to_vec())
            .exec_without_returning(&*txn)
            .await?;
    }
    document_source::Entity::delete_by_id(claimed.id)
        .exec(&*txn)
        .await?;
    bump_revision(&*txn, claimed.knowledge_base_id).await?;
    txn.commit().await?;
    Ok(true)
}

/// A knowledge base as search sees it: its id, language and revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchBase {
    pub id: Uuid,
    pub language: Language,
    pub revision: i64,
}

impl From<&knowledge_base::Model> for SearchBase {
    fn from(base: &knowledge_base::Model) -> Self {
        Self {
            id: base.id,
            language: base.language.parse().unwrap_or(Language::English),
            revision: base.revision,
        }
    }
}

/// Passages by id with their document's title, in the order of `ids`.
pub async fn passages_by_id(
    db: &DatabaseConnection,
    ids: &[i64],
) -> Result<Vec<(passage::Model, String)>, DbErr> {
    let found = passage::Entity::find()
        .filter(passage::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let mut documents: Vec<Uuid> = found.iter().map(|p| p.document_id).collect();
    documents.sort_unstable();
    documents.dedup();
    let titles: std::collections::HashMap<Uuid, String> = document::Entity::find()
        .select_only()
        .columns([document::Column::Id, document::Column::Title])
        .filter(document::Column::Id.is_in(documents))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut by_id: std::collections::HashMap<i64, passage::Model> =
        found.into_iter().map(|p| (p.id, p)).collect();
    Ok(ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .map(|p| {
            let title = titles.get(&p.document_id).cloned().unwrap_or_default();
            (p, title)
        })
        .collect())
}

/// A passage's analysed terms, as search reads them.
#[derive(Debug, Clone, FromQueryResult)]
pub struct BaseTerms {
    pub id: i64,
    pub heading_terms: String,
    pub body_terms: String,
}

/// Every passage's terms in a base, for its vocabulary and index.
pub async fn terms_of_base(
    db: &DatabaseConnection,
    base_id: Uuid,
) -> Result<Vec<BaseTerms>, DbErr> {
    passage::Entity::find()
        .select_only()
        .column(passage::Column::Id)
        .column(passage::Column::HeadingTerms)
        .column(passage::Column::BodyTerms)
        .filter(passage::Column::KnowledgeBaseId.eq(base_id))
        .into_model::<BaseTerms>()
        .all(db)
        .await
}
