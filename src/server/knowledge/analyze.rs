//! Text to index terms: words (Unicode-normalised, lower-cased, numbers with thousands separators
//! joined, hyphenated compounds kept whole and in parts), minus the language's stop words, stemmed
//! with the language's Snowball stemmer. Questions go through the same steps after SMS shorthands
//! ("u", "pls", "hw") are spelled out and filler ("hi", "thanks", "wondering") is dropped.
use crate::domain::knowledge::Language;
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;

/// Stop words that carry meaning in a support question ("not charging", "turn it off").
const KEEP: &[&str] = &["no", "not", "off", "nor", "ei", "inte", "nicht", "pas"];

/// SMS shorthands and spellings people text, spelled out (English; harmless elsewhere).
const SHORTHANDS: &[(&str, &str)] = &[
    ("u", "you"),
    ("ur", "your"),
    ("r", "are"),
    ("pls", "please"),
    ("plz", "please"),
    ("thx", "thanks"),
    ("ty", "thanks"),
    ("hw", "how"),
    ("wat", "what"),
    ("wht", "what"),
    ("whats", "what"),
    ("abt", "about"),
    ("b4", "before"),
    ("2day", "today"),
    ("tmrw", "tomorrow"),
    ("tmr", "tomorrow"),
    ("wk", "week"),
    ("wks", "weeks"),
    ("hr", "hour"),
    ("hrs", "hours"),
    ("mins", "minutes"),
    ("min", "minutes"),
    ("msg", "message"),
    ("acct", "account"),
    ("pw", "password"),
    ("pwd", "password"),
    ("yr", "year"),
    ("yrs", "years"),
    ("w", "with"),
    ("dont", "do"),
    ("cant", "can"),
    ("wont", "will"),
    ("im", "i"),
    ("ive", "i"),
    ("n", "and"),
    ("bc", "because"),
    ("cuz", "because"),
    ("info", "information"),
    ("nr", "number"),
    ("no.", "number"),
    ("appt", "appointment"),
    ("asap", "soon"),
    ("eur", "euros"),
    ("€", "euros"),
];

/// Words of a question that say nothing about what is asked.
const FILLER: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "hiya",
    "please",
    "thanks",
    "thank",
    "wondering",
    "wonder",
    "question",
    "quick",
    "know",
    "tell",
    "just",
    "like",
    "ok",
    "okay",
    "hmm",
    "so",
    "anyway",
    "guys",
    "there",
    "want",
    "wanna",
    "gonna",
    "need",
    "get",
    "gets",
    "getting",
    "got",
    "would",
    "could",
    "also",
    "really",
    "actually",
    "still",
    "one",
    "thing",
    "things",
    "stuff",
    "ask",
    "asking",
    "pretty",
    "sure",
    "kind",
    "sort",
    "bit",
    "lol",
    "wtf",
    "omg",
    "yeah",
    "yes",
    "good",
    "morning",
    "evening",
    "afternoon",
    "you",
    "guy",
    "folks",
    "team",
    "long",
    "many",
    "much",
    "go",
    "going",
    "goes",
    "come",
    "came",
    "make",
    "making",
    "made",
    "put",
    "take",
    "use",
    "using",
    "something",
    "anything",
    "someone",
    "anyone",
    "another",
    "even",
    "way",
    "lot",
    "let",
    "says",
    "said",
    "say",
    "doesnt",
    "isnt",
    "didnt",
    "wasnt",
    "arent",
    "thats",
    "theres",
    "til",
    "till",
    "until",
    "ago",
    "right",
    "now",
    "possible",
    "able",
    "happen",
    "happens",
    "work",
    "works",
    "everything",
    "somewhere",
    "anywhere",
    "without",
    "instead",
    "find",
    "see",
    "look",
    "looking",
    "mean",
    "means",
    "think",
    "thinking",
    "whole",
    "exactly",
    "maybe",
    "probably",
    "im",
];

/// A language's analyser; one per language for the life of the process.
pub struct Analyzer {
    stemmer: Stemmer,
    stop: HashSet<String>,
    shorthands: HashMap<&'static str, &'static str>,
    filler: HashSet<&'static str>,
}

impl Analyzer {
    /// The analyser of a language, built once.
    pub fn of(language: Language) -> &'static Analyzer {
        static ALL: OnceLock<HashMap<Language, Analyzer>> = OnceLock::new();
        let all = ALL.get_or_init(|| {
            Language::ALL
                .into_iter()
                .map(|language| (language, Analyzer::new(language)))
                .collect()
        });
        // Every language is in the map: ALL is built from Language::ALL.
        &all[&language]
    }

    fn new(language: Language) -> Self {
        let (algorithm, stop_language) = match language {
            Language::English => (Algorithm::English, stop_words::LANGUAGE::English),
            Language::Finnish => (Algorithm::Finnish, stop_words::LANGUAGE::Finnish),
            Language::Swedish => (Algorithm::Swedish, stop_words::LANGUAGE::Swedish),
            Language::German => (Algorithm::German, stop_words::LANGUAGE::German),
            Language::French => (Algorithm::French, stop_words::LANGUAGE::French),
            Language::Spanish => (Algorithm::Spanish, stop_words::LANGUAGE::Spanish),
            Language::Italian => (Algorithm::Italian, stop_words::LANGUAGE::Italian),
            Language::Dutch => (Algorithm::Dutch, stop_words::LANGUAGE::Dutch),
            Language::Portuguese => (Algorithm::Portuguese, stop_words::LANGUAGE::Portuguese),
            Language::Danish => (Algorithm::Danish, stop_words::LANGUAGE::Danish),
            Language::Norwegian => (Algorithm::Norwegian, stop_words::LANGUAGE::Norwegian),
        };
        let stop = stop_words::get(stop_language)
            .into_iter()
            .map(|word| normalize(&word))
            .filter(|word| !KEEP.contains(&word.as_str()))
            .collect();
        let english = language == Language::English;
        Self {
            stemmer: Stemmer::create(algorithm),
            stop,
            shorthands: if english {
                SHORTHANDS.iter().copied().collect()
            } else {
                HashMap::new()
            },
            filler: if english {
                FILLER.iter().copied().collect()
            } else {
                HashSet::new()
            },
        }
    }

    /// The stem of one (already normalised) word.
    pub fn stem(&self, word: &str) -> String {
        self.stemmer.stem(word).into_owned()
    }

    /// A passage's index terms, space-separated, in text order (repeats kept: they count).
    pub fn index_terms(&self, text: &str) -> String {
        words(text)
            .into_iter()
            .filter(|word| !self.stop.contains(word))
            .map(|word| self.stem(&word))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The words of a question that say what is asked, unstemmed, each once, in order.
    pub fn query_words(&self, question: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        words(question)
            .into_iter()
            .map(|word| match self.shorthands.get(word.as_str()) {
                Some(spelled) => (*spelled).to_owned(),
                None => word,
            })
            .filter(|word| !self.stop.contains(word) && !self.filler.contains(word.as_str()))
            .filter(|word| seen.insert(word.clone()))
            .collect()
    }
}

/// NFKC, lower case.
fn normalize(text: &str) -> String {
    text.nfkc().collect::<String>().to_lowercase()
}

/// The words of a text: runs of letters and digits. "1,000" and "1 000" are one number; "e-bike"
/// gives "ebike", "e" and "bike"; apostrophes are dropped ("don't" → "dont").
pub fn words(text: &str) -> Vec<String> {
    let text = normalize(text);
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    let mut parts: Vec<String> = Vec::new();
    let flush = |current: &mut String, parts: &mut Vec<String>, out: &mut Vec<String>| {
        if !current.is_empty() {
            parts.push(std::mem::take(current));
        }
        if parts.len() > 1 {
            out.push(parts.concat());
        }
        out.append(parts);
    };
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| chars.get(p)).copied();
        let next = chars.get(i + 1).copied();
        let between_digits =
            prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit());
        if c.is_alphanumeric() {
            current.push(c);
        } else if (c == ',' || c == ' ' || c == '\u{a0}' || c == '\u{202f}')
            && between_digits
            && chars.get(i + 4).is_none_or(|c| !c.is_ascii_digit())
            && chars[i + 1..].iter().take(3).all(char::is_ascii_digit)
        {
            // A thousands separator: "1,000", "12 500".
        } else if c == '\'' || c == '\u{2019}' {
            // "don't" → "dont"
        } else if c == '-' && !current.is_empty() && next.is_some_and(char::is_alphanumeric) {
            parts.push(std::mem::take(&mut current));
        } else {
            flush(&mut current, &mut parts, &mut out);
        }
    }
    flush(&mut current, &mut parts, &mut out);
    split_units(out)
}

/// "12km" → "12", "km"; "2pm" → "2", "pm": a number glued to its unit. "2day" and "b4" stay whole
/// (SMS shorthands, spelled out later).
fn split_units(words: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    for word in words {
        let digits = word.chars().take_while(char::is_ascii_digit).count();
        let rest = &word[digits..];
        if digits > 0
            && rest.chars().count() >= 2
            && rest.chars().all(char::is_alphabetic)
            && !SHORTHANDS.iter().any(|(short, _)| *short == word)
        {
            out.push(word[..digits].to_owned());
            out.push(rest.to_owned());
        } else {
            out.push(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_join_thousands_and_keep_compounds_whole_and_in_parts() {
        assert_eq!(
            words("E-bike costs 1,200 € or 12 500 kr, don't wait!"),
            [
                "ebike", "e", "bike", "costs", "1200", "or", "12500", "kr", "dont", "wait"
            ]
        );
        assert_eq!(words("3, 4 and 5"), ["3", "4", "and", "5"]);
        assert_eq!(
            words("12km by 2pm 2day"),
            ["12", "km", "by", "2", "pm", "2day"]
        );
    }

    #[test]
    fn index_terms_drop_stop_words_and_stem_in_the_documents_language() {
        let english = Analyzer::of(Language::English);
        assert_eq!(
            english.index_terms("The batteries are charging quickly"),
            "batteri charg quick"
        );
        assert_eq!(english.index_terms("It is not charging"), "not charg");
        let finnish = Analyzer::of(Language::Finnish);
        assert_eq!(finnish.index_terms("akkujen lataaminen"), "aku lataamin");
    }

    #[test]
    fn sms_questions_lose_shorthands_filler_and_repeats() {
        let english = Analyzer::of(Language::English);
        assert_eq!(
            english.query_words("hi thx hw long til u ship my order pls pls"),
            ["ship", "order"]
        );
    }

    #[test]
    fn every_language_has_an_analyser() {
        for language in Language::ALL {
            assert!(!Analyzer::of(language).stop.is_empty());
        }
    }
}
