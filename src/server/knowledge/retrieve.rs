//! Finding the passages that answer a question: the question's words are analysed like the
//! passages, each word missing from a knowledge base's vocabulary is corrected to the closest word it
//! has (one or two letters off, the same first letter: SMS typos), and tantivy ranks the passages
//! by BM25 for the resulting terms ([`super::index`]). Each hit also says how much of the question
//! it covers, so the agent can tell "answers this" from "shares a word with it".
use super::analyze::Analyzer;
use super::index::{IndexedPassage, PassageIndex};
use crate::server::entities::passage;
use crate::server::repo::knowledge::{self, BaseTerms, SearchBase};
use sea_orm::{DatabaseConnection, DbErr};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;
use uuid::Uuid;

/// Words customers use for what help centres say otherwise. Each word also searches for its
/// alternatives, and a passage holding any of them covers the word.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("money", &["refund"]),
    ("reimburse", &["refund"]),
    ("cost", &["price", "fee"]),
    ("costs", &["price", "fee"]),
    ("pay", &["payment"]),
    ("cash", &["payment"]),
    ("ship", &["delivery", "shipping"]),
    ("ships", &["delivery", "shipping"]),
    ("postage", &["shipping", "delivery"]),
    ("arrive", &["delivery"]),
    ("send", &["delivery", "ship"]),
    ("broken", &["repair", "fault"]),
    ("broke", &["repair", "fault"]),
    ("fix", &["repair"]),
    ("stolen", &["theft"]),
    ("steal", &["theft", "stolen"]),
    ("nicked", &["stolen", "theft"]),
    ("hire", &["rental", "rent"]),
    ("rent", &["rental"]),
    ("open", &["opening"]),
    ("shop", &["store"]),
    ("charge", &["charging", "fee", "price", "cost"]),
    ("login", &["sign", "password"]),
    ("cancel", &["cancellation"]),
    ("guarantee", &["warranty"]),
    ("phone", &["call", "contact"]),
    ("call", &["phone", "contact"]),
    ("spiked", &["studded"]),
    ("spikes", &["studded"]),
    ("erase", &["delete"]),
    ("wipe", &["delete"]),
    ("remove", &["delete"]),
    ("exchange", &["trade"]),
    ("swap", &["exchange"]),
    ("km", &["range", "distance"]),
    ("far", &["range", "distance"]),
    ("build", &["assembly", "assemble"]),
    ("try", &["test"]),
    ("expire", &["valid", "expiry"]),
    ("left", &["balance"]),
    ("saved", &["store", "keep"]),
    ("bot", &["chatbot"]),
    ("human", &["person", "customer"]),
    ("student", &["students"]),
    ("kid", &["child", "children"]),
    ("kids", &["child", "children"]),
    ("cheaper", &["discount"]),
    ("deal", &["discount", "offer"]),
    ("keep", &["storage", "store"]),
    ("mend", &["repair"]),
    ("puncture", &["flat", "tyre"]),
    ("tire", &["tyre"]),
    ("rejected", &["declined"]),
    ("refused", &["declined"]),
    ("denied", &["declined"]),
    ("stop", &["prevent"]),
    ("protect", &["prevent"]),
    ("secure", &["prevent", "lock"]),
    ("tires", &["tyres"]),
];

/// Counts of a knowledge base's terms: in how many passages each occurs.
#[derive(Debug, Default)]
pub struct Vocabulary {
    passages: usize,
    /// Terms in all passages together (for the average passage length).
    length: usize,
    frequency: HashMap<String, usize>,
}

impl Vocabulary {
    fn from_passages<'a>(passages: impl IntoIterator<Item = &'a str>) -> Self {
        let mut vocabulary = Self::default();
        for terms in passages {
            vocabulary.passages += 1;
            vocabulary.length += terms.split_whitespace().count();
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

    /// How much a word the base has never seen says: as much as a rare word, a little less.
    fn unknown_weight(&self) -> f64 {
        0.6 * ((self.passages as f64 + 0.5) / 0.5 + 1.0).ln()
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

/// A knowledge base ready to search as of one revision: its vocabulary, its passages' index and
/// each passage's terms (for coverage), all read from the database in one query.
struct Searchable {
    vocabulary: Vocabulary,
    index: PassageIndex,
    terms: HashMap<i64, BaseTerms>,
}

impl Searchable {
    fn build(passages: Vec<BaseTerms>) -> tantivy::Result<Self> {
        let vocabulary = Vocabulary::from_passages(
            passages
                .iter()
                .map(|p| format!("{} {}", p.heading_terms, p.body_terms))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        );
        let index = PassageIndex::build(passages.iter().map(|p| IndexedPassage {
            id: p.id,
            heading_terms: &p.heading_terms,
            body_terms: &p.body_terms,
        }))?;
        let terms = passages.into_iter().map(|p| (p.id, p)).collect();
        Ok(Self {
            vocabulary,
            index,
            terms,
        })
    }
}

/// How many knowledge bases an instance keeps ready; the least recently searched goes first.
const CACHED_BASES: usize = 64;

/// Searchable bases by id, with their revision and when they were last searched: a changed base has
/// a new revision, so a stale entry is never used, on any instance.
type Cache = Mutex<HashMap<Uuid, (i64, Instant, Arc<Searchable>)>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

async fn searchable(db: &DatabaseConnection, base: SearchBase) -> Result<Arc<Searchable>, DbErr> {
    if let Ok(mut cache) = cache().lock()
        && let Some((revision, used, searchable)) = cache.get_mut(&base.id)
        && *revision == base.revision
    {
        *used = Instant::now();
        return Ok(searchable.clone());
    }
    let passages = knowledge::terms_of_base(db, base.id).await?;
    let built = tokio::task::spawn_blocking(move || Searchable::build(passages))
        .await
        .map_err(|e| DbErr::Custom(format!("indexing a knowledge base: {e}")))?
        .map_err(|e| DbErr::Custom(format!("indexing a knowledge base: {e}")))?;
    let built = Arc::new(built);
    if let Ok(mut cache) = cache().lock() {
        remember(
            &mut cache,
            base.id,
            base.revision,
            built.clone(),
            CACHED_BASES,
        );
    }
    Ok(built)
}

/// Keeps `value` for a base and revision, making room by dropping the least recently used base
/// when `capacity` bases are kept already.
fn remember<V>(
    cache: &mut HashMap<Uuid, (i64, Instant, V)>,
    id: Uuid,
    revision: i64,
    value: V,
    capacity: usize,
) {
    if cache.len() >= capacity
        && !cache.contains_key(&id)
        && let Some(oldest) = cache
            .iter()
            .min_by_key(|(_, (_, used, _))| *used)
            .map(|(id, _)| *id)
    {
        cache.remove(&oldest);
    }
    cache.insert(id, (revision, Instant::now(), value));
}

/// One word of a question: the terms that stand for it (its stem, a correction, synonyms; none
/// when the knowledge base knows nothing like it) and how much it says about what is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Word {
    /// The word as the customer wrote it (after shorthands).
    pub text: String,
    pub terms: Vec<String>,
    pub weight: f64,
}

/// A question as search terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub words: Vec<Word>,
}

impl Query {
    /// Every term to search for.
    pub fn terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = Vec::new();
        for term in self.words.iter().flat_map(|w| &w.terms) {
            if !terms.contains(term) {
                terms.push(term.clone());
            }
        }
        terms
    }

    /// Whether any word of the question is known to the knowledge base.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| w.terms.is_empty())
    }
}

/// Turns a question into terms a base knows: each word's stem, its synonyms, and for a word the base
/// does not have, the closest word it has (a typo). A word
/// with none of these stays in the query without terms: it still counts against coverage, so "can
/// I rent a car" is not taken as answered by a passage about renting bikes.
pub fn resolve(question: &str, analyzer: &Analyzer, vocabulary: &Vocabulary) -> Query {
    let mut words = Vec::new();
    for word in analyzer.query_words(question) {
        let stem = analyzer.stem(&word);
        let mut terms: Vec<String> = Vec::new();
        if vocabulary.has(&stem) {
            terms.push(stem.clone());
        } else if let Some(corrected) = vocabulary.correct(&stem) {
            terms.push(corrected.to_owned());
        }
        let synonyms = SYNONYMS
            .iter()
            .filter(|(from, _)| *from == word || analyzer.stem(from) == stem)
            .flat_map(|(_, to)| to.iter().map(|t| analyzer.stem(t)))
            .filter(|t| vocabulary.has(t));
        for synonym in synonyms {
            if !terms.contains(&synonym) {
                terms.push(synonym);
            }
        }
        let weight = terms
            .iter()
            .map(|t| vocabulary.idf(t))
            .fold(None, |max: Option<f64>, w| {
                Some(max.map_or(w, |m| m.max(w)))
            })
            .unwrap_or_else(|| vocabulary.unknown_weight());
        words.push(Word {
            text: word,
            terms,
            weight,
        });
    }
    Query { words }
}

/// How many passages of each base the index hands over for the final ranking. The index (tantivy's
/// BM25, fields apart) chooses them; the final order scores each again with BM25 over heading and
/// body as one text, which puts the right passage in the top 3 for 0.930 of `eval/`'s questions
/// where tantivy's own scores reach 0.896.
const CANDIDATES: usize = 40;

/// A heading term counts as this many body terms.
const HEADING_WEIGHT: f64 = 4.0;

/// Okapi BM25 (k1 = 1.2, b = 0.75) of a passage for a question, each word scored by its best term
/// (a word and its synonym do not count twice), heading terms weighing [`HEADING_WEIGHT`].
fn bm25(query: &Query, vocabulary: &Vocabulary, heading: &str, body: &str) -> f64 {
    const K1: f64 = 1.2;
    const B: f64 = 0.75;
    let count = |terms: &str, term: &str| terms.split_whitespace().filter(|t| *t == term).count();
    let length = (heading.split_whitespace().count() + body.split_whitespace().count()) as f64;
    let average = if vocabulary.passages > 0 {
        (vocabulary.length as f64 / vocabulary.passages as f64).max(1.0)
    } else {
        1.0
    };
    query
        .words
        .iter()
        .map(|word| {
            word.terms
                .iter()
                .map(|term| {
                    let tf =
                        HEADING_WEIGHT * count(heading, term) as f64 + count(body, term) as f64;
                    if tf == 0.0 {
                        return 0.0;
                    }
                    vocabulary.idf(term) * tf * (K1 + 1.0)
                        / (tf + K1 * (1.0 - B + B * length / average))
                })
                .fold(0.0, f64::max)
        })
        .sum()
}

/// A passage found for a question.
#[derive(Debug, Clone)]
pub struct Hit {
    pub passage: passage::Model,
    pub document_title: String,
    /// Its BM25 score for the question (higher is better; comparable within one search only).
    pub score: f64,
    /// The idf-weighted share of the question's terms the passage contains (0–1).
    pub coverage: f64,
    /// The same share for the passage's heading alone.
    pub heading_coverage: f64,
    /// The question's terms, weighted, as searched.
    pub query: Query,
}

/// A candidate before its passage is read.
struct Candidate {
    id: i64,
    score: f64,
    coverage: f64,
    heading_coverage: f64,
    query: Arc<Query>,
}

/// The best `limit` passages of the bases for a question, best first. Only those `limit` passages
/// are read from the database; the ranking runs on the in-memory index.
pub async fn retrieve(
    db: &DatabaseConnection,
    bases: &[SearchBase],
    question: &str,
    limit: usize,
) -> Result<Vec<Hit>, DbErr> {
    let mut candidates: Vec<Candidate> = Vec::new();
    // Bases of one language share one query; chatbots rarely mix languages.
    let mut languages: Vec<_> = bases.iter().map(|b| b.language).collect();
    languages.sort_by_key(|l| l.as_str());
    languages.dedup();
    for language in languages {
        let analyzer = Analyzer::of(language);
        let mut searchables = Vec::new();
        for base in bases.iter().filter(|b| b.language == language) {
            searchables.push(searchable(db, *base).await?);
        }
        // One base (the usual case) uses its vocabulary as it is; several are merged.
        let merged;
        let vocabulary = match searchables.as_slice() {
            [one] => &one.vocabulary,
            _ => {
                let mut sum = Vocabulary::default();
                for searchable in &searchables {
                    let vocabulary = &searchable.vocabulary;
                    sum.passages += vocabulary.passages;
                    sum.length += vocabulary.length;
                    for (term, count) in &vocabulary.frequency {
                        *sum.frequency.entry(term.clone()).or_default() += count;
                    }
                }
                merged = sum;
                &merged
            }
        };
        let query = Arc::new(resolve(question, analyzer, vocabulary));
        let words: Vec<Vec<String>> = query.words.iter().map(|w| w.terms.clone()).collect();
        for searchable in &searchables {
            let found = searchable
                .index
                .search(&words, CANDIDATES)
                .map_err(|e| DbErr::Custom(format!("searching a knowledge base: {e}")))?;
            for (id, _tantivy_score) in found {
                let Some(passage) = searchable.terms.get(&id) else {
                    continue;
                };
                let heading_coverage = coverage_of(&query, &passage.heading_terms);
                let coverage = coverage_of(
                    &query,
                    &format!("{} {}", passage.heading_terms, passage.body_terms),
                );
                candidates.push(Candidate {
                    id,
                    score: bm25(
                        &query,
                        vocabulary,
                        &passage.heading_terms,
                        &passage.body_terms,
                    ),
                    coverage,
                    heading_coverage,
                    query: query.clone(),
                });
            }
        }
    }
    // BM25 blended with coverage: a passage that holds every asked-for word beats one that
    // repeats a single word often.
    let best = candidates.iter().map(|c| c.score).fold(0.0, f64::max);
    let key = |c: &Candidate| {
        let rank = if best > 0.0 { c.score / best } else { 0.0 };
        0.5 * rank + 0.5 * c.coverage + 0.15 * c.heading_coverage
    };
    candidates.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.id.cmp(&b.id)));
    candidates.truncate(limit);
    let ids: Vec<i64> = candidates.iter().map(|c| c.id).collect();
    let mut read: HashMap<i64, (passage::Model, String)> = knowledge::passages_by_id(db, &ids)
        .await?
        .into_iter()
        .map(|(p, title)| (p.id, (p, title)))
        .collect();
    // A passage deleted since the index was built is simply left out.
    Ok(candidates
        .into_iter()
        .filter_map(|c| {
            let (passage, document_title) = read.remove(&c.id)?;
            Some(Hit {
                passage,
                document_title,
                score: c.score,
                coverage: c.coverage,
                heading_coverage: c.heading_coverage,
                query: Query::clone(&c.query),
            })
        })
        .collect())
}

/// The idf-weighted share of the question's words found among `terms` (a word is found when any
/// of its terms is).
pub fn coverage_of(query: &Query, terms: &str) -> f64 {
    let present: HashSet<&str> = terms.split_whitespace().collect();
    let total: f64 = query.words.iter().map(|w| w.weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let found: f64 = query
        .words
        .iter()
        .filter(|w| w.terms.iter().any(|t| present.contains(t.as_str())))
        .map(|w| w.weight)
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
        assert_eq!(query.terms(), ["charg", "batteri"]);
    }

    #[test]
    fn unknown_words_find_nothing_but_count_against_coverage() {
        let vocabulary = vocabulary();
        let query = resolve(
            "do you sell xylophones",
            Analyzer::of(Language::English),
            &vocabulary,
        );
        assert!(query.is_empty());
        let car = resolve(
            "refund for a car",
            Analyzer::of(Language::English),
            &vocabulary,
        );
        assert_eq!(car.terms(), ["refund"]);
        assert!(coverage_of(&car, "refund") < 0.6);
    }

    #[test]
    fn synonyms_join_their_word() {
        let english = Analyzer::of(Language::English);
        let passages = [
            english.index_terms("A gift card is valid for two years."),
            english.index_terms("Report the theft to the police."),
        ];
        let vocabulary = Vocabulary::from_passages(passages.iter().map(String::as_str));
        let nicked = resolve("it got nicked", english, &vocabulary);
        assert_eq!(nicked.terms(), ["theft"]);
        assert!((coverage_of(&nicked, "report theft polic") - 1.0).abs() < 1e-9);
    }

    #[test]
    fn the_least_recently_used_base_makes_room() {
        let mut cache = HashMap::new();
        let [a, b, c] = [Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()];
        remember(&mut cache, a, 1, "a1", 2);
        remember(&mut cache, b, 1, "b1", 2);
        std::thread::sleep(std::time::Duration::from_millis(2));
        // A new revision of a kept base replaces it without dropping another.
        remember(&mut cache, a, 2, "a2", 2);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&a).map(|e| (e.0, e.2)), Some((2, "a2")));
        // `b` was used longest ago: the third base takes its place.
        remember(&mut cache, c, 1, "c1", 2);
        assert_eq!(cache.len(), 2);
        assert!(cache.contains_key(&a) && cache.contains_key(&c) && !cache.contains_key(&b));
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
