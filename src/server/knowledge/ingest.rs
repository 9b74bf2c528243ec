//! The document worker: claims documents waiting to be read (with a lease, so several instances
//! share the work and a crashed worker's document is taken over), extracts their text, splits it
//! into passages, analyses each passage's terms in its base's language and swaps them in at once,
//! recording progress as it goes. An unreadable document is marked failed with the reason.
use super::analyze::Analyzer;
use super::chunk::chunk;
use super::extract::{ExtractError, SourceKind, extract};
use crate::domain::knowledge::DocumentTitle;
use crate::server::repo::knowledge::{
    self as repo, Claimed, MAX_DOCUMENT_ATTEMPTS, NewPassage, fail_document,
};
use sea_orm::{DatabaseConnection, DbErr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How long a claimed document belongs to its worker.
pub const LEASE: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_secs(2);

/// Starts the document worker; it stops when `shutdown` turns true.
pub fn spawn(
    db: DatabaseConnection,
    ready: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if *shutdown.borrow() {
                return;
            }
            match next(&db).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => tracing::error!(%error, "the document worker could not claim"),
            }
            tokio::select! {
                () = ready.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => {}
            }
        }
    })
}

/// Processes every document waiting now (the command-line import and tests use it).
pub async fn drain(db: &DatabaseConnection) -> Result<usize, DbErr> {
    let mut done = 0;
    while next(db).await? {
        done += 1;
    }
    Ok(done)
}

/// Claims and processes one document; `false` when none waits.
async fn next(db: &DatabaseConnection) -> Result<bool, DbErr> {
    let lease_until = chrono::Utc::now() + chrono::Duration::from_std(LEASE).unwrap_or_default();
    let Some(claimed) = repo::claim_document(db, lease_until).await? else {
        return Ok(false);
    };
    if claimed.document.attempts > MAX_DOCUMENT_ATTEMPTS {
        fail_document(
            db,
            &claimed.document,
            "Reading this file stopped the worker several times; it was given up.",
        )
        .await?;
        return Ok(true);
    }
    process(db, claimed).await?;
    Ok(true)
}

async fn process(db: &DatabaseConnection, claimed: Claimed) -> Result<(), DbErr> {
    let document = claimed.document;
    let Some(kind) = SourceKind::parse(&document.kind) else {
        return fail_document(db, &document, "Unknown kind of document.").await;
    };
    repo::set_progress(db, &document, 5).await?;
    // Extraction is CPU work (a PDF can take seconds): off the async threads.
    let content = claimed.content;
    let extracted = tokio::task::spawn_blocking(move || extract(kind, &content))
        .await
        .unwrap_or_else(|_| Err(ExtractError::BadPdf("the reader stopped".into())));
    let extracted = match extracted {
        Ok(extracted) => extracted,
        Err(error) => {
            tracing::info!(document_id = %document.id, %error, "a document could not be read");
            return fail_document(db, &document, &error.to_string()).await;
        }
    };
    repo::set_progress(db, &document, 30).await?;
    let chunks = chunk(&extracted);
    if chunks.is_empty() {
        return fail_document(db, &document, &ExtractError::Empty.to_string()).await;
    }
    // A file's own title (its H1 or <title>) reads better than its file name.
    let title = extracted
        .title
        .as_deref()
        .filter(|_| document.file_name.is_some())
        .and_then(DocumentTitle::lenient);
    let shown_title = title
        .as_ref()
        .map_or(document.title.as_str(), DocumentTitle::as_str);
    let analyzer = Analyzer::of(claimed.language);
    let total = chunks.len();
    let mut passages = Vec::with_capacity(total);
    for (done, chunk) in chunks.into_iter().enumerate() {
        passages.push(NewPassage {
            // The document's title is part of every passage's heading for search: a "Frames"
            // section of "Warranty" answers "frame warranty".
            heading_terms: analyzer.index_terms(&format!("{shown_title} {}", chunk.heading)),
            body_terms: analyzer.index_terms(&chunk.body),
            heading: chunk.heading,
            body: chunk.body,
        });
        if done % 200 == 199 {
            let percent = 30 + i32::try_from(done * 60 / total).unwrap_or(60);
            repo::set_progress(db, &document, percent).await?;
            tokio::task::yield_now().await;
        }
    }
    let count = passages.len();
    if repo::finish_document(db, &document, title.as_ref(), passages).await? {
        tracing::info!(document_id = %document.id, passages = count, "a document is ready");
    }
    Ok(())
}
