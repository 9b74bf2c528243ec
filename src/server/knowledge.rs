//! Knowledge bases: documents turned into passages stored in the database, searched through an
//! in-memory index each instance builds from it.
//! Uploads, pastes and `viesti kb import` all add documents through [`add_file`] / [`add_text`]; the
//! ingest worker reads them into passages in the background.
pub mod analyze;
pub mod chunk;
pub mod extract;
pub mod index;
pub mod ingest;
pub mod quality;
pub mod retrieve;

use crate::domain::knowledge::{DocumentTitle, PastedText};
use crate::server::entities::document;
use crate::server::repo::knowledge::{self as repo, NewDocument};
use extract::{MAX_DOCUMENT_BYTES, SourceKind};
use sea_orm::{DatabaseConnection, DbErr};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Why a document was not added.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("No such knowledge base.")]
    NoSuchBase,
    #[error(
        "{0}: this kind of file can't be read. Upload Markdown (.md), plain text (.txt), HTML (.html) or PDF (.pdf)."
    )]
    Unsupported(String),
    #[error("{0}: the file is larger than 5 MB.")]
    TooLarge(String),
    #[error("{0}: the file is empty.")]
    Empty(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Adds an uploaded file (or replaces the base's document of the same file name). Its kind comes
/// from the name's extension, else from the content type. The worker reads it next.
pub async fn add_file(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    base_id: Uuid,
    file_name: &str,
    content_type: Option<&str>,
    content: &[u8],
) -> Result<document::Model, AddError> {
    let file_name = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file_name)
        .trim();
    let shown = file_name.chars().take(120).collect::<String>();
    let kind = SourceKind::from_file_name(file_name)
        .or_else(|| content_type.and_then(SourceKind::from_content_type))
        .ok_or_else(|| AddError::Unsupported(shown.clone()))?;
    if content.len() > MAX_DOCUMENT_BYTES {
        return Err(AddError::TooLarge(shown));
    }
    if content.iter().all(u8::is_ascii_whitespace) {
        return Err(AddError::Empty(shown));
    }
    let title = title_from_file_name(file_name);
    store(
        db,
        workspace_id,
        base_id,
        &title,
        Some(file_name),
        kind,
        content,
    )
    .await
}

/// Adds pasted text as a document of its own.
pub async fn add_text(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    base_id: Uuid,
    title: &DocumentTitle,
    text: &PastedText,
) -> Result<document::Model, AddError> {
    store(
        db,
        workspace_id,
        base_id,
        title,
        None,
        SourceKind::PlainText,
        text.as_str().as_bytes(),
    )
    .await
}

async fn store(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    base_id: Uuid,
    title: &DocumentTitle,
    file_name: Option<&str>,
    kind: SourceKind,
    content: &[u8],
) -> Result<document::Model, AddError> {
    let sha256 = hex::encode(Sha256::digest(content));
    repo::add_document(
        db,
        NewDocument {
            workspace_id,
            base_id,
            title,
            file_name,
            kind: kind.as_str(),
            content,
            sha256: &sha256,
        },
    )
    .await?
    .ok_or(AddError::NoSuchBase)
}

/// A readable title from a file name: "returns-and-refunds.md" → "Returns and refunds".
pub fn title_from_file_name(file_name: &str) -> DocumentTitle {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem)
        .replace(['-', '_'], " ");
    let mut chars = stem.trim().chars();
    let readable = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
        None => String::new(),
    };
    DocumentTitle::lenient(&readable)
        .or_else(|| DocumentTitle::lenient(file_name))
        .unwrap_or_else(DocumentTitle::untitled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_becomes_a_readable_title() {
        assert_eq!(
            title_from_file_name("returns-and-refunds.md").as_str(),
            "Returns and refunds"
        );
        assert_eq!(title_from_file_name("FAQ.pdf").as_str(), "FAQ");
        assert_eq!(title_from_file_name(".md").as_str(), ".md");
    }
}
