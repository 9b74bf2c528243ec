//! Knowledge bases: list, create, rename and delete them, see and manage their documents, paste
//! text, and choose which bases (and how many SMS segments a reply) a chatbot uses. Files are
//! uploaded by `POST /api/knowledge/{base}/upload` (multipart), beside these. Owners and admins only.
use crate::domain::knowledge::{DocumentState, Language};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeBaseSummary {
    pub id: Uuid,
    pub name: String,
    pub language: Language,
    /// Names of the chatbots that answer from it.
    pub chatbots: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRow {
    pub id: Uuid,
    pub title: String,
    pub file_name: Option<String>,
    /// "markdown", "text", "html" or "pdf".
    pub kind: String,
    pub size_bytes: i64,
    pub state: DocumentState,
    /// 0–100 while processing.
    pub progress: i32,
    /// Why it failed, in words.
    pub error: Option<String>,
    pub passages: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeBaseDetail {
    pub id: Uuid,
    pub name: String,
    pub language: Language,
    pub documents: Vec<DocumentRow>,
    /// (id, name) of the chatbots that answer from it.
    pub chatbots: Vec<(Uuid, String)>,
}

/// A chatbot's knowledge settings: every base of the workspace, whether the chatbot uses it, and
/// its SMS segment budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatbotKnowledge {
    pub bases: Vec<(Uuid, String, bool)>,
    pub reply_segments: u8,
    /// Whether this server writes answers with a language model (which follows the system prompt);
    /// without one, answers are quoted from the best passage.
    pub uses_model: bool,
}

/// Where the browser posts files for a knowledge base (see `crate::server::uploads`).
pub fn upload_path(base_id: Uuid) -> String {
    format!("/api/knowledge/{base_id}/upload")
}

/// A document the upload added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedDocument {
    pub id: Uuid,
    pub title: String,
}

/// The upload route's answer: what was added and, one sentence per file, what was refused.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UploadAnswer {
    pub added: Vec<UploadedDocument>,
    pub errors: Vec<String>,
}

#[server(prefix = "/api", endpoint = "kb_list")]
pub async fn list_bases() -> Result<Vec<KnowledgeBaseSummary>, AppError> {
    use crate::server::repo::knowledge as repo;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let mut items = Vec::new();
            for base in repo::list_bases(&state.db, member.workspace_id).await? {
                let chatbots = repo::chatbots_of_base(&state.db, member.workspace_id, base.id)
                    .await?
                    .into_iter()
                    .map(|c| c.name)
                    .collect();
                items.push(KnowledgeBaseSummary {
                    id: base.id,
                    language: base.language.parse().unwrap_or(Language::English),
                    name: base.name,
                    chatbots,
                });
            }
            Ok(items)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "kb_create")]
pub async fn create_base(name: String, language: String) -> Result<Uuid, AppError> {
    use crate::domain::knowledge::KnowledgeBaseName;
    use crate::server::repo::knowledge as repo;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let name =
                KnowledgeBaseName::parse(&name).map_err(|e| AppError::invalid("name", e.0))?;
            let language: Language = language
                .parse()
                .map_err(|e: crate::domain::Rejected| AppError::invalid("language", e.0))?;
            let base = repo::create_base(&state.db, member.workspace_id, &name, language).await?;
            tracing::info!(knowledge_base_id = %base.id, "knowledge base created");
            leptos_axum::redirect(&format!("/knowledge/{}", base.id));
            Ok(base.id)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "kb_get")]
pub async fn get_base(id: Uuid) -> Result<KnowledgeBaseDetail, AppError> {
    use crate::server::repo::knowledge as repo;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let base = repo::find_base(&state.db, member.workspace_id, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let documents = repo::documents(&state.db, member.workspace_id, id)
                .await?
                .into_iter()
                .map(|d| DocumentRow {
                    id: d.id,
                    title: d.title,
                    file_name: d.file_name,
                    kind: d.kind,
                    size_bytes: d.size_bytes,
                    state: d.state.parse().unwrap_or(DocumentState::Failed),
                    progress: d.progress,
                    error: d.error,
                    passages: d.passages,
                })
                .collect();
            let chatbots = repo::chatbots_of_base(&state.db, member.workspace_id, id)
                .await?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect();
            Ok(KnowledgeBaseDetail {
                id: base.id,
                language: base.language.parse().unwrap_or(Language::English),
                name: base.name,
                documents,
                chatbots,
            })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "kb_rename")]
pub async fn rename_base(id: Uuid, name: String) -> Result<(), AppError> {
    use crate::domain::knowledge::KnowledgeBaseName;
    use crate::server::repo::knowledge as repo;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let name =
                KnowledgeBaseName::parse(&name).map_err(|e| AppError::invalid("name", e.0))?;
            if repo::rename_base(&state.db, member.workspace_id, id, &name).await? {
                Ok(())
            } else {
                Err(AppError::NotFound)
            }
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "kb_delete")]
pub async fn delete_base(id: Uuid) -> Result<(), AppError> {
    use crate::server::repo::knowledge as repo;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            if !repo::delete_base(&state.db, member.workspace_id, id).await? {
                return Err(AppError::NotFound);
            }
            tracing::info!(knowledge_base_id = %id, "knowledge base deleted");
            leptos_axum::redirect("/knowledge");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "kb_add_text")]
pub async fn add_text(base_id: Uuid, title: String, text: String) -> Result<Uuid, AppError> {
    use crate::domain::knowledge::{DocumentTitle, PastedText};
    use crate::server::knowledge::{self, AddError};
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let title =
                DocumentTitle::parse(&title).map_err(|e| AppError::invalid("title", e.0))?;
            let text = PastedText::parse(&text).map_err(|e| AppError::invalid("text", e.0))?;
            let document =
                match knowledge::add_text(&state.db, member.workspace_id, base_id, &title, &text)
                    .await
                {
                    Ok(document) => document,
                    Err(AddError::NoSuchBase) => return Err(AppError::NotFound),
                    Err(AddError::Db(error)) => return Err(error.into()),
                    Err(other) => return Err(AppError::invalid("text", other.to_string())),
                };
            state.documents_ready.notify_one();
            Ok(document.id)
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "kb_delete_document")]
pub async fn delete_document(id: Uuid) -> Result<(), AppError> {
    use crate::server::repo::knowledge as repo;
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            if repo::delete_document(&state.db, member.workspace_id, id).await? {
                Ok(())
            } else {
                Err(AppError::NotFound)
            }
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "chatbot_knowledge")]
pub async fn get_chatbot_knowledge(chatbot_id: Uuid) -> Result<ChatbotKnowledge, AppError> {
    use crate::domain::knowledge::SegmentBudget;
    use crate::server::repo::{chatbots, knowledge as repo};
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let chatbot = chatbots::find(&state.db, member.workspace_id, chatbot_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let linked = repo::bases_of_chatbot(&state.db, member.workspace_id, chatbot_id).await?;
            let bases = repo::list_bases(&state.db, member.workspace_id)
                .await?
                .into_iter()
                .map(|b| {
                    let on = linked.iter().any(|l| l.id == b.id);
                    (b.id, b.name, on)
                })
                .collect();
            Ok(ChatbotKnowledge {
                bases,
                reply_segments: SegmentBudget::from_stored(chatbot.reply_segments).get(),
                uses_model: state.config.model_api_base.is_some(),
            })
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "chatbot_set_knowledge")]
pub async fn set_chatbot_knowledge(
    chatbot_id: Uuid,
    #[server(default)] base_ids: Vec<Uuid>,
    reply_segments: i64,
) -> Result<(), AppError> {
    use crate::domain::knowledge::SegmentBudget;
    use crate::server::repo::{chatbots, knowledge as repo};
    use crate::server::{auth, state};
    state::respond(
        async {
            let state = state::app_state()?;
            let member = auth::require_manager(&state).await?;
            let budget = SegmentBudget::parse(reply_segments)
                .map_err(|e| AppError::invalid("reply_segments", e.0))?;
            if !repo::set_chatbot_bases(&state.db, member.workspace_id, chatbot_id, &base_ids)
                .await?
            {
                return Err(AppError::NotFound);
            }
            if !chatbots::set_reply_segments(&state.db, member.workspace_id, chatbot_id, budget)
                .await?
            {
                return Err(AppError::NotFound);
            }
            Ok(())
        }
        .await,
    )
}
