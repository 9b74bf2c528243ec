//! Finding the passages that answer a question: the question's words are analysed like the
//! passages, each word missing from a knowledge base's vocabulary is corrected to the closest word it
//! has (one or two letters off, the same first letter: SMS typos), and the database ranks passages
//! for the resulting terms. Each hit also says how much of the question it covers, so the agent can
//! tell "answers this" from "shares a word with it".
use super::analyze::Analyzer;
use crate::server::entities::passage;
use crate::server::repo::knowledge::{self, SearchBase};
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use uuid::Uuid;

/// Words that mean the same to a customer but never share a stem (used only for a word the
/// knowledge base does not have).
const SYNONYMS: &[(&str, &[&str])] = &[
    ("money", &["refund"]),
    ("reimburse", &["refund"]),
    ("cost", &["price", "fee"]),
    ("costs", &["price", "fee"]),
    ("pay", &["payment"]),
    ("cash", &["payment"]),
    ("ship", &["delivery", "shipping"]),
    ("arrive", &["delivery"]),
    ("send", &["delivery"]),
    ("broken", &["repair", "fault"]),
    ("broke", &["repair", "fault"]),
    ("fix", &["repair"]),
    ("stolen", &["theft"]),
    ("steal", &["theft"]),
    ("hire", &["rental", "rent"]),
    ("hours", &["opening"]),
    ("open", &["opening"]),
    ("close", &["opening"]),
    ("shop", &["store"]),
    ("charge", &["charging"]),
    ("login", &["sign", "password"]),
    ("cancel", &["cancellation"]),
    ("guarantee", &["warranty"]),
    ("discount", &["discount", "offer"]),
    ("phone", &["call", "contact"]),
];

/// Counts of a knowledge base's terms: in how many passages each occurs.
#[derive(Debug, Default)]
pub struct Vocabulary {
    passages: usize,
    frequency: HashMap<String, usize>,
}

impl Vocabulary {
    fn from_passages<'a>(passages: impl IntoIterator<Item = &'a str>) -> Self {
        let mut vocabulary = Self::default();
        for terms in passages {
            vocabulary.passages += 1;
            let unique: HashSet<&str> = terms.split_whitespace().collect();
            for term in unique {
                *vocabulary.frequency.entry(term.to_owned()).or_default() += 1;
            }
        }
        vocabulary
    }

    fn has(&self, term: &str) -> bool {
        self.frequency.contains_key(term)
    }

    /// Inverse document frequency: rare terms say more about what is asked.
    fn idf(&self, term: &str) -> f64 {
        let n = self.passages as f64;
        let df = self.frequency.get(term).copied().unwrap_or(0) as f64;
        ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
    }

    /// The known term closest to an unknown one: same first letter, at most one edit (two for
    /// long words), the most common on a tie.
    fn correct(&self, term: &str) -> Option<&str> {
        let length = term.chars().count();
        let max_distance = match length {
            0..=3 => return None,
            4..=6 => 1,
            _ => 2,
        };
        let first = term.chars().next()?;
        self.frequency
            .iter()
            .filter(|(known, _)| known.starts_with(first))
            .filter_map(|(known, count)| {
                let distance = strsim::damerau_levenshtein(term, known);
                (distance <= max_distance).then_some((distance, *count, known.as_str()))
            })
            .min_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(b.2)))
            .map(|(_, _, known)| known)
    }
}

/// Vocabularies by (knowledge base, revision): a changed base has a new revision, so a stale entry
/// is never used, on any instance.
fn cache() -> &'static Mutex<HashMap<Uuid, (i64, Arc<Vocabulary>)>> {
    static CACHE: OnceLock<Mutex<HashMap<Uuid, (i64, Arc<Vocabulary>)>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

async fn vocabulary(db: &DatabaseConnection, base: SearchBase) -> Result<Arc<Vocabulary>, DbErr> {
    if let Ok(cache) = cache().lock()
        && let Some((revision, vocabulary)) = cache.get(&base.id)
        && *revision == base.revision
    {
        return Ok(vocabulary.clone());
    }
    let terms = knowledge::terms_of_base(db, base.id).await?;
    let vocabulary = Arc::new(Vocabulary::from_passages(terms.iter().map(String::as_str)));
    if let Ok(mut cache) = cache().lock() {
        cache.insert(base.id, (base.revision, vocabulary.clone()));
    }
    Ok(vocabulary)
}

/// A question as search terms, with each term's weight (its idf).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub terms: Vec<(String, f64)>,
}

/// Turns a question into the terms a base knows. Words it does not know are replaced by a synonym
/// it knows or corrected as typos, else dropped.
pub fn resolve(question: &str, analyzer: &Analyzer, vocabulary: &Vocabulary) -> Query {
    let mut terms: Vec<(String, f64)> = Vec::new();
    let mut push = |term: String| {
        if !terms.iter().any(|(known, _)| *known == term) {
            let weight = vocabulary.idf(&term);
            terms.push((term, weight));
        }
    };
    for word in analyzer.query_words(question) {
        let stem = analyzer.stem(&word);
        if vocabulary.has(&stem) {
            push(stem);
            continue;
        }
        let synonyms: Vec<String> = SYNONYMS
            .iter()
            .filter(|(from, _)| *from == word)
            .flat_map(|(_, to)| to.iter().map(|t| analyzer.stem(t)))
            .filter(|t| vocabulary.has(t))
            .collect();
        if !synonyms.is_empty() {
            synonyms.into_iter().for_each(&mut push);
        } else if let Some(corrected) = vocabulary.correct(&stem) {
            push(corrected.to_owned());
        }
    }
    Query { terms }
}

/// A passage found for a question.
#[derive(Debug, Clone)]
pub struct Hit {
    pub passage: passage::Model,
    pub document_title: String,
    /// The database's rank score (higher is better; comparable within one search only).
    pub score: f64,
    /// The idf-weighted share of the question's terms the passage contains (0–1).
    pub coverage: f64,
    /// The same share for the passage's heading alone.
    pub heading_coverage: f64,
    /// The question's terms, weighted, as searched.
    pub query: Query,
}

/// The best `limit` passages of the bases for a question, best first.
pub async fn retrieve(
    db: &DatabaseConnection,
    bases: &[SearchBase],
    question: &str,
    limit: usize,
) -> Result<Vec<Hit>, DbErr> {
    let mut hits = Vec::new();
    // Bases of one language share one query; chatbots rarely mix languages.
    let mut languages: Vec<_> = bases.iter().map(|b| b.language).collect();
    languages.sort_by_key(|l| l.as_str());
    languages.dedup();
    for language in languages {
        let analyzer = Analyzer::of(language);
        let of_language: Vec<SearchBase> = bases
            .iter()
            .copied()
            .filter(|b| b.language == language)
            .collect();
        let mut merged = Vocabulary::default();
        for base in &of_language {
            let vocabulary = vocabulary(db, *base).await?;
            merged.passages += vocabulary.passages;
            for (term, count) in &vocabulary.frequency {
                *merged.frequency.entry(term.clone()).or_default() += count;
            }
        }
        let query = resolve(question, analyzer, &merged);
        let terms: Vec<String> = query.terms.iter().map(|(t, _)| t.clone()).collect();
        let ids: Vec<Uuid> = of_language.iter().map(|b| b.id).collect();
        let found = knowledge::search(db, &ids, &terms, (limit * 3) as u64).await?;
        let scores: HashMap<i64, f64> = found.iter().copied().collect();
        let order: Vec<i64> = found.iter().map(|(id, _)| *id).collect();
        for (passage, document_title) in knowledge::passages_by_id(db, &order).await? {
            let coverage = coverage(&query, &format!("{} {}", passage.heading_terms, passage.body_terms));
            let heading_coverage = coverage_of(&query, &passage.heading_terms);
            hits.push(Hit {
                score: scores.get(&passage.id).copied().unwrap_or_default(),
                passage,
                document_title,
                coverage,
                heading_coverage,
                query: query.clone(),
            });
        }
    }
    // The database's order, with coverage breaking near-ties: a passage that holds every asked-for
    // term beats one that repeats a single term often.
    hits.sort_by(|a, b| {
        let ka = a.coverage * 0.5 + normalised(a.score, &hits_max(&[a.score, b.score]));
        let kb = b.coverage * 0.5 + normalised(b.score, &hits_max(&[a.score, b.score]));
        kb.total_cmp(&ka)
    });
    hits.truncate(limit);
    Ok(hits)
}

fn hits_max(scores: &[f64]) -> f64 {
    scores.iter().copied().fold(f64::MIN, f64::max)
}

fn normalised(score: f64, max: &f64) -> f64 {
    if *max > 0.0 { score / max } else { 0.0 }
}

fn coverage(query: &Query, terms: &str) -> f64 {
    coverage_of(query, terms)
}

/// The idf-weighted share of the query's terms found among `terms`.
pub fn coverage_of(query: &Query, terms: &str) -> f64 {
    let present: HashSet<&str> = terms.split_whitespace().collect();
    let total: f64 = query.terms.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let found: f64 = query
        .terms
        .iter()
        .filter(|(t, _)| present.contains(t.as_str()))
        .map(|(_, w)| w)
        .sum();
    found / total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::knowledge::Language;

    fn vocabulary() -> Vocabulary {
        let english = Analyzer::of(Language::English);
        let passages = [
            english.index_terms("Refund times. We refund your money within 5 business days."),
            english.index_terms("Charging the battery takes 4 hours from empty."),
            english.index_terms("Delivery to the islands takes a week."),
        ];
        Vocabulary::from_passages(passages.iter().map(String::as_str))
    }

    #[test]
    fn typos_are_corrected_to_the_closest_known_word() {
        let query = resolve(
            "hw long to charge the batery",
            Analyzer::of(Language::English),
            &vocabulary(),
        );
        let terms: Vec<&str> = query.terms.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(terms, ["charg", "batteri"]);
    }

    #[test]
    fn unknown_words_without_a_near_known_word_are_dropped() {
        let query = resolve(
            "do you sell xylophones",
            Analyzer::of(Language::English),
            &vocabulary(),
        );
        assert!(query.terms.is_empty());
    }

    #[test]
    fn coverage_weighs_rare_terms_more() {
        let vocabulary = vocabulary();
        let query = resolve(
            "refund battery",
            Analyzer::of(Language::English),
            &vocabulary,
        );
        assert!((coverage_of(&query, "refund batteri") - 1.0).abs() < 1e-9);
        let half = coverage_of(&query, "refund");
        assert!(half > 0.3 && half < 0.7, "{half}");
        assert_eq!(coverage_of(&Query::default(), "refund"), 0.0);
    }
}
