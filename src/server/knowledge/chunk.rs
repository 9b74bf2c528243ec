//! Sections cut into passages worth retrieving: a section whole when it fits, otherwise whole paragraphs
//! packed near [`TARGET_CHARS`]; only a paragraph longer than [`MAX_CHARS`] is cut, at sentence ends first.
use super::extract::{Extracted, Section};

/// One retrievable passage: its heading path joined with " › " (empty if none) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub heading: String,
    pub body: String,
}

/// Target passage size in characters.
pub const TARGET_CHARS: usize = 900;
/// The longest passage, in characters.
pub const MAX_CHARS: usize = 1400;
/// A section shorter than this (characters) is folded into a sub-section directly after it, where it
/// gives context instead of being a passage too thin to match anything.
const SHORT_CHARS: usize = 80;

/// The document's passages in reading order, none empty, none longer than [`MAX_CHARS`] characters.
pub fn chunk(doc: &Extracted) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut carried = String::new();
    for (index, section) in doc.sections.iter().enumerate() {
        let text = match std::mem::take(&mut carried) {
            before if before.is_empty() => section.text.trim().to_owned(),
            before => format!("{before}\n\n{}", section.text.trim()),
        };
        let next = doc.sections.get(index + 1);
        if chars(&text) < SHORT_CHARS && next.is_some_and(|next| is_subsection(next, section)) {
            carried = text;
            continue;
        }
        let heading = section.headings.join(" › ");
        chunks.extend(split(&text).into_iter().map(|body| Chunk {
            heading: heading.clone(),
            body,
        }));
    }
    chunks
}

fn is_subsection(inner: &Section, outer: &Section) -> bool {
    inner.headings.len() > outer.headings.len() && inner.headings.starts_with(&outer.headings)
}

fn chars(text: &str) -> usize {
    text.chars().count()
}

/// One section's text as passage bodies.
fn split(text: &str) -> Vec<String> {
    if text.trim().is_empty() {
        Vec::new()
    } else if chars(text) <= MAX_CHARS {
        vec![text.to_owned()]
    } else {
        pack(&pieces(text, &[paragraphs, sentences, words, runs]))
    }
}

/// `text` cut into consecutive pieces of at most [`MAX_CHARS`], each cut only as finely as it must be.
/// Every piece keeps its trailing separator, so the pieces concatenate back to `text`.
fn pieces<'a>(text: &'a str, cuts: &[fn(&str) -> Vec<&str>]) -> Vec<&'a str> {
    let Some((cut, finer)) = cuts.split_first() else {
        return vec![text];
    };
    cut(text)
        .into_iter()
        .flat_map(|piece| {
            if chars(piece) <= MAX_CHARS {
                vec![piece]
            } else {
                pieces(piece, finer)
            }
        })
        .collect()
}

fn paragraphs(text: &str) -> Vec<&str> {
    text.split_inclusive("\n\n").collect()
}

/// Cut after the whitespace that follows a sentence end, and after every line break.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut previous = ' ';
    for (index, c) in text.char_indices() {
        if c == '\n' || (c.is_whitespace() && matches!(previous, '.' | '!' | '?' | '…')) {
            let end = index + c.len_utf8();
            out.push(&text[start..end]);
            start = end;
        }
        previous = c;
    }
    out.push(&text[start..]);
    out
}

fn words(text: &str) -> Vec<&str> {
    text.split_inclusive(char::is_whitespace).collect()
}

/// The last resort for text without spaces: runs of [`TARGET_CHARS`] characters.
fn runs(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (count, (index, _)) in text.char_indices().enumerate() {
        if count > 0 && count % TARGET_CHARS == 0 {
            out.push(&text[start..index]);
            start = index;
        }
    }
    out.push(&text[start..]);
    out
}

/// Packs pieces greedily into bodies of up to [`TARGET_CHARS`]; a body still under half the target may
/// grow to [`MAX_CHARS`] rather than be left thin, and so may the one before a thin last body.
fn pack(pieces: &[&str]) -> Vec<String> {
    let mut bodies: Vec<(String, usize)> = Vec::new();
    for piece in pieces {
        let size = chars(piece);
        match bodies.last_mut() {
            Some((body, len)) if fits(*len, size) => {
                body.push_str(piece);
                *len += size;
            }
            _ => bodies.push(((*piece).to_owned(), size)),
        }
    }
    if let [.., (_, before), (_, last)] = bodies.as_slice()
        && *last < TARGET_CHARS / 4
        && before + last <= MAX_CHARS
        && let Some((last, _)) = bodies.pop()
        && let Some((body, _)) = bodies.last_mut()
    {
        body.push_str(&last);
    }
    bodies
        .into_iter()
        .map(|(body, _)| body.trim().to_owned())
        .filter(|body| !body.is_empty())
        .collect()
}

fn fits(len: usize, size: usize) -> bool {
    len + size <= TARGET_CHARS || (len < TARGET_CHARS / 2 && len + size <= MAX_CHARS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::server::knowledge::extract::{SourceKind, extract};

    fn doc(sections: &[(&[&str], &str)]) -> Extracted {
        Extracted {
            title: None,
            sections: sections
                .iter()
                .map(|(headings, text)| Section {
                    headings: headings.iter().map(|h| h.to_string()).collect(),
                    text: text.to_string(),
                })
                .collect(),
        }
    }

    /// `count` sentences of 50 characters each, separated by spaces.
    fn prose(count: usize, tag: char) -> String {
        (0..count)
            .map(|i| format!("Sentence {tag}{i:03} is about returns and refund times."))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn words_of(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    fn assert_bounded(chunks: &[Chunk]) {
        for chunk in chunks {
            assert!(!chunk.body.trim().is_empty(), "empty chunk in {chunks:#?}");
            assert_eq!(chunk.body, chunk.body.trim());
            assert!(
                chars(&chunk.body) <= MAX_CHARS,
                "{} chars",
                chars(&chunk.body)
            );
        }
    }

    #[test]
    fn a_short_section_is_one_chunk_under_its_joined_heading_path() {
        let chunks = chunk(&doc(&[(
            &["Returns", "Refund times"],
            "Five to ten days.\n\nCards first.",
        )]));
        assert_eq!(
            chunks,
            vec![Chunk {
                heading: "Returns › Refund times".into(),
                body: "Five to ten days.\n\nCards first.".into()
            }]
        );
    }

    #[test]
    fn a_section_without_headings_has_an_empty_heading() {
        let chunks = chunk(&doc(&[(&[], "Welcome to the shop.")]));
        assert_eq!(
            chunks,
            vec![Chunk {
                heading: String::new(),
                body: "Welcome to the shop.".into()
            }]
        );
    }

    #[test]
    fn a_section_up_to_max_chars_stays_whole() {
        let text = prose(28, 'a');
        assert!(chars(&text) > TARGET_CHARS && chars(&text) <= MAX_CHARS);
        assert_eq!(chunk(&doc(&[(&["A"], &text)])).len(), 1);
    }

    #[test]
    fn a_long_section_splits_at_paragraph_boundaries_near_the_target() {
        let paragraphs: Vec<String> = ('a'..='f').map(|tag| prose(8, tag)).collect();
        let chunks = chunk(&doc(&[(&["Returns"], &paragraphs.join("\n\n"))]));
        let expected: Vec<String> = paragraphs.chunks(2).map(|pair| pair.join("\n\n")).collect();
        assert_eq!(
            chunks.iter().map(|c| c.body.clone()).collect::<Vec<_>>(),
            expected
        );
        assert!(
            chunks
                .iter()
                .all(|c| c.heading == "Returns" && chars(&c.body) <= TARGET_CHARS)
        );
    }

    #[test]
    fn a_paragraph_longer_than_max_chars_splits_at_sentence_ends() {
        let text = prose(70, 'a');
        let chunks = chunk(&doc(&[(&["A"], &text)]));
        assert_bounded(&chunks);
        assert!(chunks.len() >= 3);
        assert!(
            chunks
                .iter()
                .all(|c| c.body.starts_with("Sentence") && c.body.ends_with("times."))
        );
        assert_eq!(
            chunks
                .iter()
                .map(|c| c.body.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            text
        );
    }

    #[test]
    fn text_without_sentence_ends_splits_at_whitespace() {
        let text = (0..600)
            .map(|i| format!("word{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let chunks = chunk(&doc(&[(&[], &text)]));
        assert_bounded(&chunks);
        assert!(chunks.len() >= 3);
        assert_eq!(
            chunks
                .iter()
                .flat_map(|c| words_of(&c.body))
                .collect::<Vec<_>>(),
            words_of(&text)
        );
    }

    #[test]
    fn text_without_whitespace_is_cut_on_character_boundaries() {
        let text = "äö€😀".repeat(1000);
        let chunks = chunk(&doc(&[(&[], &text)]));
        assert_bounded(&chunks);
        assert_eq!(
            chunks.iter().map(|c| c.body.as_str()).collect::<String>(),
            text
        );
    }

    #[test]
    fn sizes_are_counted_in_characters_not_bytes() {
        let text = "ä".repeat(MAX_CHARS);
        assert!(text.len() > MAX_CHARS);
        assert_eq!(
            chunk(&doc(&[(&[], &text)])),
            vec![Chunk {
                heading: String::new(),
                body: text
            }]
        );
    }

    #[test]
    fn a_short_section_directly_followed_by_a_subsection_is_merged_into_it() {
        let chunks = chunk(&doc(&[
            (&["Returns"], "Within 30 days."),
            (&["Returns", "Refund times"], "Five to ten days."),
            (&["Shipping"], "Daily."),
            (&["Contact"], "Call us."),
        ]));
        assert_eq!(
            chunks,
            vec![
                Chunk {
                    heading: "Returns › Refund times".into(),
                    body: "Within 30 days.\n\nFive to ten days.".into()
                },
                Chunk {
                    heading: "Shipping".into(),
                    body: "Daily.".into()
                },
                Chunk {
                    heading: "Contact".into(),
                    body: "Call us.".into()
                },
            ]
        );
    }

    #[test]
    fn chunks_are_bounded_never_empty_and_lose_no_text() {
        let long_paragraph = prose(40, 'b');
        let many_paragraphs = (0..12)
            .map(|i| prose(3 + i % 5, 'c'))
            .collect::<Vec<_>>()
            .join("\n\n");
        let list = (0..80)
            .map(|i| format!("- item {i} of a long list"))
            .collect::<Vec<_>>()
            .join("\n");
        let mixed = format!(
            "{}\n\n{long_paragraph}\n\n{list}\n\nShort end.",
            prose(2, 'd')
        );
        let document = doc(&[
            (&[], "   "),
            (&["Empty"], ""),
            (&["A"], &long_paragraph),
            (&["A", "B"], &many_paragraphs),
            (&["C"], &mixed),
            (&["D"], &"ß€ ".repeat(900)),
        ]);
        let chunks = chunk(&document);
        assert_bounded(&chunks);
        let all_text: String = document
            .sections
            .iter()
            .map(|s| format!("{} ", s.text))
            .collect();
        let all_chunks: String = chunks.iter().map(|c| format!("{} ", c.body)).collect();
        assert_eq!(words_of(&all_chunks), words_of(&all_text));
    }

    #[test]
    fn an_extracted_document_chunks_under_its_headings() {
        let extracted = extract(
            SourceKind::Html,
            include_bytes!("../../../tests/fixtures/knowledge/returns.html"),
        )
        .unwrap();
        let headings: Vec<String> = chunk(&extracted).into_iter().map(|c| c.heading).collect();
        assert_eq!(
            headings,
            ["Returns", "Returns › Damaged items", "Refund times"]
        );
    }
}
