//! The embedded default when no model endpoint is configured: answers from the best-matching
//! passage (the sentences that answer the question, within the reply budget), greets and thanks,
//! and otherwise says it cannot answer, so the agent hands the conversation to a person. It never
//! makes anything up: every answer is the knowledge base's own words.
use crate::domain::knowledge::Language;
use crate::server::knowledge::analyze::{Analyzer, words};
use crate::server::knowledge::retrieve::{Hit, coverage_of};

/// How much of a question (idf-weighted) the best passage must hold to be taken as its answer.
pub const MIN_COVERAGE: f64 = 0.8;

/// Said to "hi" with nothing else.
pub const GREETING: &str = "Hi! What can I help you with?";
/// Said to "thanks" with nothing else.
pub const YOU_ARE_WELCOME: &str = "You're welcome! Anything else I can help with?";

const GREETINGS: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "yo",
    "morning",
    "good",
    "evening",
    "afternoon",
    "there",
    "moi",
    "hei",
    "terve",
    "hej",
];
const THANKS: &[&str] = &[
    "thanks", "thank", "you", "thx", "ty", "cheers", "kiitos", "tack", "great", "ok", "okay",
    "perfect", "so", "much", "a", "lot", "many",
];

/// What the offline responder says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offline {
    Answer(String),
    /// Nothing in the knowledge base answers it well enough.
    CannotAnswer,
}

/// Small talk the responder answers without the knowledge base, if the message is only that.
pub fn small_talk(message: &str) -> Option<&'static str> {
    let words = words(message);
    if words.is_empty() || words.len() > 6 {
        return None;
    }
    if words.iter().all(|w| GREETINGS.contains(&w.as_str())) {
        return Some(GREETING);
    }
    if words
        .iter()
        .any(|w| w.starts_with("thank") || w == "thx" || w == "ty" || w == "kiitos")
        && words.iter().all(|w| THANKS.contains(&w.as_str()))
    {
        return Some(YOU_ARE_WELCOME);
    }
    None
}

/// The answer to a question from its best hit, in at most `max_chars` characters.
pub fn answer(hits: &[Hit], language: Language, max_chars: usize) -> Offline {
    let Some(best) = hits.first() else {
        return Offline::CannotAnswer;
    };
    if best.query.is_empty() || best.coverage < MIN_COVERAGE {
        return Offline::CannotAnswer;
    }
    let body = best.passage.body.trim();
    if body.chars().count() <= max_chars {
        return Offline::Answer(body.to_owned());
    }
    // Too long for one reply: start at the sentence that answers best (at the start when the
    // heading is what was asked), and take what follows while it fits.
    let analyzer = Analyzer::of(language);
    let units = sentences(body);
    let start = if best.heading_coverage >= 0.5 {
        0
    } else {
        units
            .iter()
            .enumerate()
            .map(|(i, unit)| (i, coverage_of(&best.query, &analyzer.index_terms(unit))))
            .fold(
                (0, 0.0),
                |best, (i, c)| if c > best.1 { (i, c) } else { best },
            )
            .0
    };
    let mut reply = String::new();
    for unit in &units[start..] {
        let joined = if reply.is_empty() {
            unit.clone()
        } else {
            format!("{reply} {unit}")
        };
        if joined.chars().count() > max_chars {
            break;
        }
        reply = joined;
    }
    if reply.is_empty() {
        reply = units[start].clone();
    }
    Offline::Answer(reply)
}

/// A passage's sentences and list items, in order.
fn sentences(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in body.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut current = String::new();
        let chars: Vec<char> = line.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            current.push(c);
            let ends = matches!(c, '.' | '!' | '?')
                && chars.get(i + 1).is_none_or(|n| n.is_whitespace())
                && chars
                    .get(i + 2)
                    .is_none_or(|n| n.is_uppercase() || n.is_ascii_digit() || *n == '"');
            if ends {
                out.push(current.trim().to_owned());
                current.clear();
            }
        }
        if !current.trim().is_empty() {
            out.push(current.trim().to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings_and_thanks_alone_get_small_talk() {
        assert_eq!(small_talk("Hi there!"), Some(GREETING));
        assert_eq!(small_talk("thanks so much"), Some(YOU_ARE_WELCOME));
        assert_eq!(small_talk("hi how long does shipping take"), None);
        assert_eq!(small_talk("thanks, where is my order"), None);
    }

    #[test]
    fn sentences_split_at_sentence_ends_and_lines_not_at_numbers() {
        assert_eq!(
            sentences("Open 9.30-17. Closed Sundays! Call us.\n- Item one"),
            ["Open 9.30-17.", "Closed Sundays!", "Call us.", "- Item one"]
        );
    }
}
