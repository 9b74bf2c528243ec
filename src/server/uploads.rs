//! `POST /api/knowledge/{base}/upload`: files for a knowledge base, as `multipart/form-data` (one or
//! more `file` parts). Each file is stored through the same path as `viesti kb import` and read by
//! the document worker; the answer lists what was added and, in words, what was refused.
use crate::server::auth::member_of_session;
use crate::server::knowledge::{AddError, add_file};
use crate::server::state::AppState;
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tower_sessions::Session;
use uuid::Uuid;

pub const PATH: &str = "/api/knowledge/{base_id}/upload";
/// The most one upload request may carry (several files of at most 5 MB each).
pub const MAX_REQUEST_BYTES: usize = 25 * 1024 * 1024;

/// The request body limit of the upload route.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_REQUEST_BYTES)
}

#[derive(Serialize)]
struct Added {
    id: Uuid,
    title: String,
}

#[derive(Serialize)]
struct Uploaded {
    added: Vec<Added>,
    /// One sentence per refused file.
    errors: Vec<String>,
}

pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    Path(base_id): Path<Uuid>,
    mut multipart: Multipart,
) -> Response {
    let member = match member_of_session(&state, &session).await {
        Ok(Some(member)) if member.role.can_manage() => member,
        Ok(Some(_)) => return refuse(StatusCode::FORBIDDEN, "Your role doesn't allow that."),
        Ok(None) => return refuse(StatusCode::UNAUTHORIZED, "Please sign in to continue."),
        Err(error) => return refuse(error.status(), &error.to_string()),
    };
    let mut result = Uploaded {
        added: Vec::new(),
        errors: Vec::new(),
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                let status = error.status();
                let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "The upload is larger than 25 MB: send fewer files at a time.".to_owned()
                } else {
                    format!("The upload could not be read: {}", error.body_text())
                };
                return refuse(status, &message);
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_owned();
        let content_type = field.content_type().map(str::to_owned);
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(error) => {
                return refuse(
                    error.status(),
                    &format!("{file_name}: the file could not be received."),
                );
            }
        };
        match add_file(
            &state.db,
            member.workspace_id,
            base_id,
            &file_name,
            content_type.as_deref(),
            &bytes,
        )
        .await
        {
            Ok(document) => result.added.push(Added {
                id: document.id,
                title: document.title,
            }),
            Err(AddError::NoSuchBase) => {
                return refuse(
                    StatusCode::NOT_FOUND,
                    "That knowledge base doesn't exist, or it isn't part of your workspace.",
                );
            }
            Err(AddError::Db(error)) => {
                tracing::error!(%error, "storing an uploaded document failed");
                return refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. Please try again in a moment.",
                );
            }
            Err(refused) => result.errors.push(refused.to_string()),
        }
    }
    if !result.added.is_empty() {
        state.documents_ready.notify_one();
    }
    let status = if result.added.is_empty() {
        if result.errors.is_empty() {
            result.errors.push("Choose a file to upload.".into());
        }
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    (status, Json(result)).into_response()
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(Uploaded {
            added: Vec::new(),
            errors: vec![message.to_owned()],
        }),
    )
        .into_response()
}
