//! Knowledge bases as the browser and the server both see them: names, titles, pasted text, the
//! language whose stemming the index uses, a document's state and a chatbot's SMS segment budget.
use super::{Rejected, rejected};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A knowledge base's name, 1 to 80 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeBaseName(String);

impl KnowledgeBaseName {
    pub const MAX_CHARS: usize = 80;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.trim();
        if value.is_empty() {
            return Err(rejected("Give the knowledge base a name."));
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(rejected(format!(
                "Use at most {} characters for the name.",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A document's title, 1 to 200 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentTitle(String);

impl DocumentTitle {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() {
            return Err(rejected("Give the document a title."));
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(rejected(format!(
                "Use at most {} characters for the title.",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(value))
    }

    /// A title made from anything (a file name, a heading), cut to fit; `None` when nothing is left.
    pub fn lenient(input: &str) -> Option<Self> {
        let value: String = input
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(Self::MAX_CHARS)
            .collect();
        Self::parse(&value).ok()
    }

    /// The title of a document that gives none.
    pub fn untitled() -> Self {
        Self("Untitled".to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Text pasted into a knowledge base: not blank, at most 200,000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastedText(String);

impl PastedText {
    pub const MAX_CHARS: usize = 200_000;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        if input.trim().is_empty() {
            return Err(rejected("Paste some text first."));
        }
        if input.chars().count() > Self::MAX_CHARS {
            return Err(rejected(format!(
                "Paste at most {} characters at a time, or upload the text as a file.",
                Self::MAX_CHARS
            )));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The language of a knowledge base's documents: it chooses the stemmer and the stop words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    English,
    Finnish,
    Swedish,
    German,
    French,
    Spanish,
    Italian,
    Dutch,
    Portuguese,
    Danish,
    Norwegian,
}

impl Language {
    pub const ALL: [Self; 11] = [
        Self::English,
        Self::Finnish,
        Self::Swedish,
        Self::German,
        Self::French,
        Self::Spanish,
        Self::Italian,
        Self::Dutch,
        Self::Portuguese,
        Self::Danish,
        Self::Norwegian,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::English => "english",
            Self::Finnish => "finnish",
            Self::Swedish => "swedish",
            Self::German => "german",
            Self::French => "french",
            Self::Spanish => "spanish",
            Self::Italian => "italian",
            Self::Dutch => "dutch",
            Self::Portuguese => "portuguese",
            Self::Danish => "danish",
            Self::Norwegian => "norwegian",
        }
    }

    /// The language's name as people read it.
    pub fn label(self) -> &'static str {
        match self {
            Self::English => "English",
            Self::Finnish => "Finnish (suomi)",
            Self::Swedish => "Swedish (svenska)",
            Self::German => "German (Deutsch)",
            Self::French => "French (français)",
            Self::Spanish => "Spanish (español)",
            Self::Italian => "Italian (italiano)",
            Self::Dutch => "Dutch (Nederlands)",
            Self::Portuguese => "Portuguese (português)",
            Self::Danish => "Danish (dansk)",
            Self::Norwegian => "Norwegian (norsk)",
        }
    }
}

impl FromStr for Language {
    type Err = Rejected;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|language| language.as_str() == s)
            .ok_or_else(|| rejected("Choose one of the listed languages."))
    }
}

/// Where a document stands: being read and indexed, searchable, or unreadable (with the reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocumentState {
    Processing,
    Ready,
    Failed,
}

impl DocumentState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Processing => "Processing",
            Self::Ready => "Ready",
            Self::Failed => "Failed",
        }
    }
}

impl FromStr for DocumentState {
    type Err = Rejected;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Processing, Self::Ready, Self::Failed]
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| rejected("Unknown document state."))
    }
}

/// How many SMS segments one bot reply may use: 1 to 10 (a 10-segment GSM-7 text is 1,530
/// characters, under Twilio's 1,600).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentBudget(u8);

impl SegmentBudget {
    pub const DEFAULT: Self = Self(3);
    pub const MAX: u8 = 10;

    pub fn parse(input: i64) -> Result<Self, Rejected> {
        match u8::try_from(input) {
            Ok(n @ 1..=Self::MAX) => Ok(Self(n)),
            _ => Err(rejected(format!(
                "A reply may use 1 to {} SMS segments.",
                Self::MAX
            ))),
        }
    }

    /// The stored value, or the default for anything out of range.
    pub fn from_stored(value: i32) -> Self {
        Self::parse(i64::from(value)).unwrap_or(Self::DEFAULT)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for SegmentBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_titles_and_pasted_text_are_bounded_and_not_blank() {
        assert!(KnowledgeBaseName::parse("  ").is_err());
        assert_eq!(
            KnowledgeBaseName::parse(" Help centre ")
                .expect("valid")
                .as_str(),
            "Help centre"
        );
        assert!(KnowledgeBaseName::parse(&"n".repeat(81)).is_err());
        assert_eq!(
            DocumentTitle::parse(" Refunds \n and  returns ")
                .expect("valid")
                .as_str(),
            "Refunds and returns"
        );
        assert_eq!(
            DocumentTitle::lenient(&"t".repeat(500))
                .expect("cut")
                .as_str()
                .len(),
            200
        );
        assert!(DocumentTitle::lenient(" ").is_none());
        assert!(PastedText::parse("\n\t").is_err());
        assert!(PastedText::parse(&"x".repeat(200_001)).is_err());
    }

    #[test]
    fn languages_and_states_round_trip_through_their_stored_names() {
        for language in Language::ALL {
            assert_eq!(language.as_str().parse::<Language>(), Ok(language));
        }
        assert!("klingon".parse::<Language>().is_err());
        for state in [
            DocumentState::Processing,
            DocumentState::Ready,
            DocumentState::Failed,
        ] {
            assert_eq!(state.as_str().parse::<DocumentState>(), Ok(state));
        }
    }

    #[test]
    fn a_segment_budget_is_1_to_10_and_defaults_to_3() {
        assert!(SegmentBudget::parse(0).is_err());
        assert!(SegmentBudget::parse(11).is_err());
        assert!(SegmentBudget::parse(-1).is_err());
        assert_eq!(SegmentBudget::parse(10).expect("valid").get(), 10);
        assert_eq!(SegmentBudget::from_stored(99), SegmentBudget::DEFAULT);
        assert_eq!(SegmentBudget::DEFAULT.get(), 3);
    }
}
