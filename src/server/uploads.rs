//! `POST /api/knowledge/{base}/upload`: files for a knowledge base, as `multipart/form-data` (one or
//! more `file` parts). Each file is stored through the same path as `viesti kb import` and read by
//! the document worker; the answer lists what was added and, in words, what was refused.
use crate::error::AppError;
use crate::server::auth::member_of_session;
use crate::server::knowledge::{AddError, add_file};
use crate::server::repo::knowledge::find_base;
use crate::server::state::AppState;
use crate::server_fns::knowledge::{UploadAnswer, UploadedDocument};
use axum::Json;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;
use uuid::Uuid;

pub const PATH: &str = "/api/knowledge/{base_id}/upload";
/// The most one upload request may carry (several files of at most 5 MB each).
pub const MAX_REQUEST_BYTES: usize = 25 * 1024 * 1024;

/// The request body limit of the upload route.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_REQUEST_BYTES)
}

pub async fn upload(
    State(state): State<AppState>,
    session: Session,
    Path(base_id): Path<Uuid>,
    mut multipart: Multipart,
) -> Response {
    let member = match member_of_session(&state, &session).await {
        Ok(Some(member)) if member.role.can_manage() => member,
        Ok(Some(_)) => {
            return refuse(StatusCode::FORBIDDEN, &AppError::Forbidden.to_string());
        }
        Ok(None) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                &AppError::Unauthenticated.to_string(),
            );
        }
        Err(error) => return refuse(error.status(), &error.to_string()),
    };
    // Before any file is read: another workspace's base is not found, whatever the files are.
    match find_base(&state.db, member.workspace_id, base_id).await {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(),
        Err(error) => return internal(&error),
    }
    let mut result = UploadAnswer::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                let message = format!("The upload could not be read: {}", error.body_text());
                return unreadable(error.status(), &message);
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
                let message = format!("{file_name}: the file could not be received.");
                return unreadable(error.status(), &message);
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
            Ok(document) => result.added.push(UploadedDocument {
                id: document.id,
                title: document.title,
            }),
            // Deleted while the upload ran.
            Err(AddError::NoSuchBase) => return not_found(),
            Err(AddError::Db(error)) => return internal(&error),
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
        Json(UploadAnswer {
            added: Vec::new(),
            errors: vec![message.to_owned()],
        }),
    )
        .into_response()
}

/// A multipart body that broke off or went over the request limit.
fn unreadable(status: StatusCode, message: &str) -> Response {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        refuse(
            status,
            "The upload is larger than 25 MB: send fewer files at a time.",
        )
    } else {
        refuse(status, message)
    }
}

fn not_found() -> Response {
    refuse(
        StatusCode::NOT_FOUND,
        "That knowledge base doesn't exist, or it isn't part of your workspace.",
    )
}

fn internal(error: &sea_orm::DbErr) -> Response {
    tracing::error!(%error, "storing an uploaded document failed");
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side. Please try again in a moment.",
    )
}
