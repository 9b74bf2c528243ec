//! A knowledge base's passages as a tantivy index held in memory: BM25 over the analysed terms the
//! database stores for each passage (heading and body), built from the database for one revision of
//! the base. The database stays the truth: every instance builds its own index from it, and a base
//! that changed has a new revision, so a stale index is never searched.
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
use tantivy::{Index, ReloadPolicy, Searcher, TantivyDocument, Term};

/// A heading term counts as this many body terms.
const HEADING_BOOST: f32 = 4.0;
/// The indexing arena (one thread); tantivy flushes a segment when it fills.
const WRITER_MEMORY: usize = 32 << 20;
const ID: &str = "id";

/// The passages of one knowledge base, searchable by their terms.
pub struct PassageIndex {
    searcher: Searcher,
    heading: Field,
    body: Field,
}

/// One passage as indexed: its id and its analysed terms, space-separated.
pub struct IndexedPassage<'a> {
    pub id: i64,
    pub heading_terms: &'a str,
    pub body_terms: &'a str,
}

impl PassageIndex {
    /// Indexes the passages (CPU work: call it off the async threads).
    pub fn build<'a>(
        passages: impl IntoIterator<Item = IndexedPassage<'a>>,
    ) -> tantivy::Result<Self> {
        // The terms are already analysed (stemmed, lower-case): whitespace is the only tokenizer
        // needed, and BM25 needs term frequencies but no positions.
        let terms = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("whitespace")
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let mut schema = Schema::builder();
        let id = schema.add_i64_field(ID, FAST);
        let heading = schema.add_text_field("heading", terms.clone());
        let body = schema.add_text_field("body", terms);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, WRITER_MEMORY)?;
        for passage in passages {
            let mut document = TantivyDocument::default();
            document.add_i64(id, passage.id);
            document.add_text(heading, passage.heading_terms);
            document.add_text(body, passage.body_terms);
            writer.add_document(document)?;
        }
        writer.commit()?;
        writer.wait_merging_threads()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            searcher: reader.searcher(),
            heading,
            body,
        })
    }

    /// The ids of the `limit` passages that score best by BM25 for the question's words, best first,
    /// with their scores. Each word is a group of terms that stand for it (its stem, a correction,
    /// synonyms) and scores by its best one, so a word and its synonym do not count twice; a term
    /// in the heading weighs [`HEADING_BOOST`] times one in the body.
    pub fn search(&self, words: &[Vec<String>], limit: usize) -> tantivy::Result<Vec<(i64, f32)>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let term_query = |field: Field, term: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, term),
                IndexRecordOption::WithFreqs,
            ))
        };
        let term_in_passage = |term: &str| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(vec![
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(
                        term_query(self.heading, term),
                        HEADING_BOOST,
                    )),
                ),
                (Occur::Should, term_query(self.body, term)),
            ]))
        };
        let clauses: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .filter(|terms| !terms.is_empty())
            .map(|terms| {
                let word: Box<dyn Query> = Box::new(DisjunctionMaxQuery::new(
                    terms.iter().map(|t| term_in_passage(t)).collect(),
                ));
                (Occur::Should, word)
            })
            .collect();
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let top = self.searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        let mut found = Vec::with_capacity(top.len());
        for (score, address) in top {
            let ids = self
                .searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .i64(ID)?;
            if let Some(id) = ids.first(address.doc_id) {
                found.push((id, score));
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(passages: &[(i64, &str, &str)]) -> PassageIndex {
        PassageIndex::build(passages.iter().map(|(id, h, b)| IndexedPassage {
            id: *id,
            heading_terms: h,
            body_terms: b,
        }))
        .expect("index")
    }

    fn ids(found: &[(i64, f32)]) -> Vec<i64> {
        found.iter().map(|(id, _)| *id).collect()
    }

    #[test]
    fn rare_terms_and_headings_rank_first() {
        let index = index(&[
            (10, "batteri", "charg the batteri take four hour"),
            (11, "deliveri", "deliveri to the island take a week"),
            (12, "refund", "we refund within five day the batteri"),
        ]);
        assert_eq!(index.searcher.num_docs(), 3);
        let found = index.search(&[vec!["refund".into()]], 10).expect("search");
        assert_eq!(ids(&found), [12]);
        // "batteri" is in two passages: the one with it in the heading first.
        let found = index.search(&[vec!["batteri".into()]], 10).expect("search");
        assert_eq!(ids(&found), [10, 12]);
        assert!(found[0].1 > found[1].1);
        // Both words: the passage holding both beats the one holding one.
        let found = index
            .search(&[vec!["refund".into()], vec!["deliveri".into()]], 1)
            .expect("search");
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn a_word_and_its_synonym_count_once() {
        let index = index(&[
            (1, "", "refund refund money back"),
            (2, "", "refund within five day deliveri"),
        ]);
        // "money" stands for itself and "refund": passage 1 holds both but scores the word once,
        // so the passage that also has the second word wins.
        let found = index
            .search(
                &[
                    vec!["money".into(), "refund".into()],
                    vec!["deliveri".into()],
                ],
                2,
            )
            .expect("search");
        assert_eq!(ids(&found), [2, 1]);
    }

    #[test]
    fn a_common_word_does_not_hide_the_passage_with_the_rare_one() {
        let mut passages: Vec<(i64, String, String)> = (0..5_000)
            .map(|i| {
                (
                    i,
                    "bike".to_owned(),
                    format!("bike number n{i} has a batteri"),
                )
            })
            .collect();
        passages.push((
            9_999,
            "refund".into(),
            "refund for a bike take five day".into(),
        ));
        let index = PassageIndex::build(passages.iter().map(|(id, h, b)| IndexedPassage {
            id: *id,
            heading_terms: h,
            body_terms: b,
        }))
        .expect("index");
        let found = index
            .search(&[vec!["bike".into()], vec!["refund".into()]], 4)
            .expect("search");
        assert_eq!(found.first().map(|(id, _)| *id), Some(9_999));
        assert_eq!(found.len(), 4);
    }

    #[test]
    fn nothing_to_look_for_finds_nothing() {
        let one = index(&[(1, "a", "b")]);
        assert!(one.search(&[], 4).expect("search").is_empty());
        assert!(one.search(&[vec![]], 4).expect("search").is_empty());
        assert!(
            one.search(&[vec!["a".into()]], 0)
                .expect("search")
                .is_empty()
        );
        assert!(
            one.search(&[vec!["zzz".into()]], 4)
                .expect("search")
                .is_empty()
        );
        assert_eq!(index(&[]).searcher.num_docs(), 0);
    }
}
