//! Retrieval quality, measured on a committed corpus (`eval/`): the articles are imported through
//! the same path as an upload into a fresh knowledge base, then each question is searched and
//! answered by the offline responder. Prints recall@3, MRR, the answer pass rate (an answer holds
//! every required fact) and the false-answer rate (an answer to a question the corpus cannot
//! answer).
use super::{add_file, ingest, retrieve::retrieve};
use crate::domain::knowledge::{KnowledgeBaseName, Language, SegmentBudget};
use crate::server::agent::offline::{self, Offline};
use crate::server::agent::shape;
use crate::server::entities::workspace;
use crate::server::repo::knowledge::{self as repo, SearchBase};
use anyhow::Context;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};
use serde::Deserialize;
use std::fmt;
use std::path::Path;
use uuid::Uuid;

#[derive(Deserialize)]
struct Questions {
    question: Vec<Question>,
}

#[derive(Deserialize)]
struct Question {
    text: String,
    article: Option<String>,
    heading: Option<String>,
    #[serde(default)]
    facts: Vec<String>,
    #[serde(default = "yes")]
    answerable: bool,
}

fn yes() -> bool {
    true
}

/// The measured numbers, and what went wrong where.
#[derive(Debug, Default)]
pub struct Report {
    pub articles: usize,
    pub answerable: usize,
    pub unanswerable: usize,
    pub recall_at_3: f64,
    pub mrr: f64,
    pub pass_rate: f64,
    pub false_answer_rate: f64,
    /// One line per question that missed: not in the top 3, a failed answer or a false one.
    pub misses: Vec<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} articles, {} answerable questions, {} unanswerable",
            self.articles, self.answerable, self.unanswerable
        )?;
        writeln!(
            f,
            "recall@3           {:.3}  (target >= 0.900)",
            self.recall_at_3
        )?;
        writeln!(f, "MRR                {:.3}", self.mrr)?;
        writeln!(
            f,
            "answer pass rate   {:.3}  (offline responder)",
            self.pass_rate
        )?;
        write!(
            f,
            "false-answer rate  {:.3}  (target <= 0.050)",
            self.false_answer_rate
        )
    }
}

/// Imports `dir/articles/*` into a new knowledge base of `db` and measures `dir/questions.toml`.
pub async fn measure(db: &DatabaseConnection, dir: &Path) -> anyhow::Result<Report> {
    let questions: Questions = toml::from_str(
        &std::fs::read_to_string(dir.join("questions.toml"))
            .with_context(|| format!("reading {}", dir.join("questions.toml").display()))?,
    )
    .context("questions.toml")?;

    let workspace_id = Uuid::new_v4();
    workspace::ActiveModel {
        id: Set(workspace_id),
        name: Set("Quality measurement".into()),
        plan: Set("free".into()),
        created_at: Set(chrono::Utc::now()),
        daily_segment_budget: Set(crate::server::repo::accounts::default_daily_budget()),
    }
    .insert(db)
    .await?;
    let base = repo::create_base(
        db,
        workspace_id,
        &KnowledgeBaseName::parse("Evaluation corpus").map_err(|e| anyhow::anyhow!(e.0))?,
        Language::English,
    )
    .await?;
    let mut articles: Vec<_> = std::fs::read_dir(dir.join("articles"))
        .with_context(|| format!("reading {}", dir.join("articles").display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    articles.sort();
    for path in &articles {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        add_file(db, workspace_id, base.id, name, None, &std::fs::read(path)?)
            .await
            .with_context(|| path.display().to_string())?;
    }
    ingest::drain(db).await?;
    let base = repo::find_base(db, workspace_id, base.id)
        .await?
        .context("the evaluation knowledge base vanished")?;
    let documents = repo::documents(db, workspace_id, base.id).await?;
    let file_of = |document_id: Uuid| {
        documents
            .iter()
            .find(|d| d.id == document_id)
            .and_then(|d| d.file_name.clone())
            .unwrap_or_default()
    };
    let bases = [SearchBase::from(&base)];
    let budget = SegmentBudget::DEFAULT;
    let max_chars = 153 * usize::from(budget.get());

    let mut report = Report {
        articles: articles.len(),
        ..Report::default()
    };
    let (mut found, mut reciprocal, mut passed, mut false_answers) = (0usize, 0.0, 0usize, 0usize);
    for question in &questions.question {
        let hits = retrieve(db, &bases, &question.text, 10).await?;
        let answer = match offline::answer(&hits, Language::English, max_chars) {
            Offline::Answer(text) => Some(shape::for_sms(&text, budget)),
            Offline::CannotAnswer => None,
        };
        if !question.answerable {
            report.unanswerable += 1;
            if let Some(answer) = answer {
                false_answers += 1;
                report.misses.push(format!(
                    "FALSE ANSWER  {:?} (coverage {:.2} of {}) → {answer:?}",
                    question.text,
                    hits.first().map_or(0.0, |h| h.coverage),
                    hits.first().map(explain).unwrap_or_default(),
                ));
            }
            continue;
        }
        report.answerable += 1;
        let (article, heading) = (
            question.article.clone().unwrap_or_default(),
            question.heading.clone().unwrap_or_default(),
        );
        let rank = hits.iter().position(|hit| {
            file_of(hit.passage.document_id) == article
                && (hit.passage.heading == heading
                    || hit.passage.heading.ends_with(&format!("› {heading}")))
        });
        if let Some(rank) = rank {
            reciprocal += 1.0 / (rank as f64 + 1.0);
            if rank < 3 {
                found += 1;
            }
        }
        if rank.is_none_or(|r| r >= 3) {
            let got: Vec<String> = hits
                .iter()
                .take(3)
                .map(|h| {
                    format!(
                        "{}#{} ({:.2})",
                        file_of(h.passage.document_id),
                        h.passage.heading,
                        h.coverage
                    )
                })
                .collect();
            report.misses.push(format!(
                "NOT IN TOP 3  {:?} wants {article}#{heading}, got {got:?}",
                question.text
            ));
        }
        let right = answer.as_deref().is_some_and(|answer| {
            let answer = answer.to_lowercase();
            question
                .facts
                .iter()
                .all(|fact| answer.contains(&shape::to_gsm(fact).to_lowercase()))
        });
        if right {
            passed += 1;
        } else {
            report.misses.push(format!(
                "WRONG ANSWER  {:?} (rank {rank:?}, coverage {:.2} of {}) wants {:?}, got {answer:?}",
                question.text,
                hits.first().map_or(0.0, |h| h.coverage),
                hits.first().map(explain).unwrap_or_default(),
                question.facts
            ));
        }
    }
    let answerable = report.answerable.max(1) as f64;
    report.recall_at_3 = found as f64 / answerable;
    report.mrr = reciprocal / answerable;
    report.pass_rate = passed as f64 / answerable;
    report.false_answer_rate = false_answers as f64 / report.unanswerable.max(1) as f64;
    Ok(report)
}

/// A hit's question words as "word(weight)" with "+" when the passage has them: why it covers
/// what it covers.
fn explain(hit: &crate::server::knowledge::retrieve::Hit) -> String {
    let terms = format!("{} {}", hit.passage.heading_terms, hit.passage.body_terms);
    let present: std::collections::HashSet<&str> = terms.split_whitespace().collect();
    hit.query
        .words
        .iter()
        .map(|w| {
            let found = w.terms.iter().any(|t| present.contains(t.as_str()));
            format!(
                "{}{}({:.1})",
                if found { "+" } else { "-" },
                w.text,
                w.weight
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}
