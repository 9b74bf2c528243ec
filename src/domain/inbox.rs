//! The inbox's rules: where a conversation stands and how staff move it, when a customer asks for a
//! person, what a staff reply and a search may hold, and the keyset cursor of the conversation list.
use super::{Rejected, rejected};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Who is answering a conversation. The bot replies only while it is `Bot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConversationStatus {
    /// The bot answers every new message.
    Bot,
    /// The customer asked for a person (or the bot gave up); nobody has taken it yet. The bot is quiet.
    NeedsHuman,
    /// A teammate took it over; the bot is quiet.
    Human,
    /// Done. A new message from the customer reopens it for the bot.
    Resolved,
}

impl ConversationStatus {
    pub const ALL: [Self; 4] = [Self::Bot, Self::NeedsHuman, Self::Human, Self::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::NeedsHuman => "needs_human",
            Self::Human => "human",
            Self::Resolved => "resolved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Bot => "Bot answering",
            Self::NeedsHuman => "Needs a person",
            Self::Human => "With a person",
            Self::Resolved => "Resolved",
        }
    }

    /// Whether the bot must stay quiet: a person is wanted or holds the conversation.
    pub fn silences_bot(self) -> bool {
        matches!(self, Self::NeedsHuman | Self::Human)
    }

    /// The status after a staff action, or why the action does not apply now.
    pub fn after(self, action: StaffAction) -> Result<Self, Rejected> {
        use StaffAction::*;
        match (action, self) {
            (TakeOver, _) => Ok(Self::Human),
            (HandBack, Self::NeedsHuman | Self::Human) => Ok(Self::Bot),
            (HandBack, _) => Err(rejected("The bot is already answering this conversation.")),
            (Resolve, Self::Resolved) => Err(rejected("This conversation is already resolved.")),
            (Resolve, _) => Ok(Self::Resolved),
            (Reopen, Self::Resolved) => Ok(Self::Human),
            (Reopen, _) => Err(rejected("This conversation is open.")),
        }
    }

    /// The status after the customer wrote again: a resolved conversation reopens for the bot; a
    /// request for a person makes the bot step aside.
    pub fn after_customer_message(self, wants_person: bool) -> Self {
        match (self, wants_person) {
            (Self::Bot | Self::Resolved, true) => Self::NeedsHuman,
            (Self::Resolved, false) => Self::Bot,
            (status, _) => status,
        }
    }
}

impl FromStr for ConversationStatus {
    type Err = Rejected;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| rejected("Unknown conversation status."))
    }
}

/// What a teammate can do to a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffAction {
    /// Move it to a person, assigned to whoever pressed the button; the bot sends nothing from then.
    TakeOver,
    /// Let the bot answer again (and unassign it).
    HandBack,
    Resolve,
    /// Open a resolved conversation again, with the person who reopened it.
    Reopen,
}

impl StaffAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TakeOver => "take_over",
            Self::HandBack => "hand_back",
            Self::Resolve => "resolve",
            Self::Reopen => "reopen",
        }
    }

    /// Whether the action hands the conversation to the teammate who took it.
    pub fn assigns_actor(self) -> bool {
        matches!(self, Self::TakeOver | Self::Reopen)
    }
}

impl FromStr for StaffAction {
    type Err = Rejected;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::TakeOver, Self::HandBack, Self::Resolve, Self::Reopen]
            .into_iter()
            .find(|action| action.as_str() == s)
            .ok_or_else(|| rejected("Unknown action."))
    }
}

/// Where a conversation takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Channel {
    Sms,
    Web,
}

impl Channel {
    pub const ALL: [Self; 2] = [Self::Sms, Self::Web];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Web => "web",
        }
    }

    /// The badge text.
    pub fn label(self) -> &'static str {
        match self {
            Self::Sms => "SMS",
            Self::Web => "Web",
        }
    }
}

impl FromStr for Channel {
    type Err = Rejected;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|channel| channel.as_str() == s)
            .ok_or_else(|| rejected("Unknown channel."))
    }
}

/// Whole messages that ask for a person.
const ASK_WORDS: &[&str] = &[
    "human",
    "a human",
    "agent",
    "an agent",
    "person",
    "a person",
    "real person",
    "a real person",
    "operator",
    "representative",
    "live agent",
    "human please",
    "agent please",
    "person please",
    "ihminen",
    "asiakaspalvelija",
];
/// "talk to …" and friends, anywhere in a message.
const ASK_VERBS: &[&str] = &[
    "talk to",
    "talk with",
    "speak to",
    "speak with",
    "chat with",
    "connect me to",
    "connect me with",
    "put me through to",
    "transfer me to",
];
/// "I want …" asks for a person only when a person is named ("I want someone to fix it" does not).
const WANT_VERBS: &[&str] = &["i want", "i need", "can i get", "give me", "get me"];
const WANT_WHOM: &[&str] = &[
    "a human",
    "a person",
    "a real person",
    "an agent",
    "a live agent",
    "human",
    "a representative",
];
const ASK_WHOM: &[&str] = &[
    "someone",
    "somebody",
    "a human",
    "a person",
    "a real person",
    "a real human",
    "an agent",
    "a live agent",
    "an operator",
    "a representative",
    "a rep",
    "customer service",
    "customer support",
    "your staff",
    "staff",
    "human",
];

/// Whether a customer's message asks to talk to a person rather than the bot ("human", "agent",
/// "talk to someone", "can I speak with a real person?"). Case, punctuation and spacing are ignored.
pub fn wants_a_person(body: &str) -> bool {
    // The message's words, lowercased, joined by single spaces and padded with one on each side.
    let lower = body.to_lowercase();
    let mut padded = String::with_capacity(lower.len() + 2);
    padded.push(' ');
    let mut words = 0;
    for word in lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
    {
        words += 1;
        if words > 40 {
            return false;
        }
        padded.push_str(word);
        padded.push(' ');
    }
    if words == 0 {
        return false;
    }
    let text = &padded[1..padded.len() - 1];
    ASK_WORDS.contains(&text)
        || ASK_PHRASES
            .iter()
            .any(|phrase| padded.contains(phrase.as_str()))
}

/// Every " verb whom " phrase that asks for a person, built once (this runs on every inbound text).
static ASK_PHRASES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    let pairs = |verbs: &[&str], whom: &[&str]| {
        verbs
            .iter()
            .flat_map(|verb| whom.iter().map(move |whom| format!(" {verb} {whom} ")))
            .collect::<Vec<_>>()
    };
    let mut phrases = pairs(ASK_VERBS, ASK_WHOM);
    phrases.extend(pairs(WANT_VERBS, WANT_WHOM));
    phrases.push(" ihmisen kanssa ".to_owned());
    phrases
});

/// A reply a teammate writes: not blank, at most Twilio's 1,600 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffReply(String);

impl StaffReply {
    pub const MAX_CHARS: usize = super::sms_text::MAX_BODY_CHARS;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.trim();
        if value.is_empty() {
            return Err(rejected("Write a reply first."));
        }
        let chars = value.chars().count();
        if chars > Self::MAX_CHARS {
            return Err(rejected(format!(
                "A text can have at most 1,600 characters; this one has {chars}."
            )));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name staff give a customer: trimmed, 1 to 80 characters; blank clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerName(String);

impl CustomerName {
    pub const MAX_CHARS: usize = 80;

    /// `None` for a blank input (no name: the phone number shows).
    pub fn parse(input: &str) -> Result<Option<Self>, Rejected> {
        let value = input.trim();
        if value.is_empty() {
            return Ok(None);
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err(rejected(format!(
                "Use at most {} characters for the name.",
                Self::MAX_CHARS
            )));
        }
        if value.chars().any(char::is_control) {
            return Err(rejected("A name can't contain line breaks or tabs."));
        }
        Ok(Some(Self(value.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What to look for in the inbox: part of a phone number, a name or a message, 3 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchQuery(String);

impl SearchQuery {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 100;

    /// `None` for a blank search (no filter).
    pub fn parse(input: &str) -> Result<Option<Self>, Rejected> {
        let value = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let chars = value.chars().count();
        if chars == 0 {
            return Ok(None);
        }
        if chars < Self::MIN_CHARS {
            return Err(rejected("Type at least 3 characters to search."));
        }
        if chars > Self::MAX_CHARS {
            return Err(rejected("Search for at most 100 characters."));
        }
        Ok(Some(Self(value)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits of a search that looks like (part of) a phone number: "050 123" → "050123".
    pub fn phone_digits(&self) -> Option<String> {
        let looks_like_number = self
            .0
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let digits: String = self.0.chars().filter(char::is_ascii_digit).collect();
        (looks_like_number && digits.len() >= Self::MIN_CHARS).then_some(digits)
    }
}

/// A position in the conversation list (newest activity first): the last row's activity time in
/// nanoseconds (as exact as any stored time, so a tie is never skipped) and its id. Opaque to the browser, which hands it back to load older rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub at_nanos: i64,
    pub id: Uuid,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.at_nanos, self.id.simple())
    }
}

impl FromStr for Cursor {
    type Err = Rejected;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || rejected("That page link is no longer valid. Reload the inbox.");
        let (at, id) = s.split_once('_').ok_or_else(bad)?;
        Ok(Self {
            at_nanos: at.parse().map_err(|_| bad())?,
            id: Uuid::try_parse(id).map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConversationStatus::*;
    use StaffAction::*;

    #[test]
    fn take_over_always_lands_with_a_person() {
        for status in ConversationStatus::ALL {
            assert_eq!(status.after(TakeOver), Ok(Human), "{status:?}");
        }
    }

    #[test]
    fn hand_back_resolve_and_reopen_apply_only_where_they_mean_something() {
        assert_eq!(Human.after(HandBack), Ok(Bot));
        assert_eq!(NeedsHuman.after(HandBack), Ok(Bot));
        assert!(Bot.after(HandBack).is_err());
        assert!(Resolved.after(HandBack).is_err());
        for status in [Bot, NeedsHuman, Human] {
            assert_eq!(status.after(Resolve), Ok(Resolved));
            assert!(status.after(Reopen).is_err());
        }
        assert!(Resolved.after(Resolve).is_err());
        assert_eq!(Resolved.after(Reopen), Ok(Human));
    }

    #[test]
    fn a_customer_message_reopens_for_the_bot_and_a_request_for_a_person_escalates() {
        assert_eq!(Resolved.after_customer_message(false), Bot);
        assert_eq!(Resolved.after_customer_message(true), NeedsHuman);
        assert_eq!(Bot.after_customer_message(true), NeedsHuman);
        assert_eq!(Bot.after_customer_message(false), Bot);
        assert_eq!(Human.after_customer_message(true), Human);
        assert_eq!(NeedsHuman.after_customer_message(false), NeedsHuman);
    }

    #[test]
    fn only_a_person_wanted_or_present_silences_the_bot() {
        assert!(NeedsHuman.silences_bot() && Human.silences_bot());
        assert!(!Bot.silences_bot() && !Resolved.silences_bot());
    }

    #[test]
    fn statuses_actions_and_channels_round_trip_through_their_names() {
        for status in ConversationStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        for action in [TakeOver, HandBack, Resolve, Reopen] {
            assert_eq!(action.as_str().parse(), Ok(action));
        }
        for channel in Channel::ALL {
            assert_eq!(channel.as_str().parse(), Ok(channel));
        }
        assert!("open".parse::<ConversationStatus>().is_err());
    }

    #[test]
    fn asking_for_a_person_is_recognised_in_many_words() {
        for body in [
            "human",
            "HUMAN!",
            "Agent",
            " agent please ",
            "talk to someone",
            "Can I talk to a human?",
            "i want to speak with a real person pls",
            "Could you connect me to customer service",
            "representative",
            "Haluan puhua ihmisen kanssa",
            "I need a human now",
        ] {
            assert!(wants_a_person(body), "{body:?}");
        }
    }

    #[test]
    fn ordinary_questions_do_not_escalate() {
        for body in [
            "Is the agent who sold me this working today?",
            "What are your opening hours",
            "I talked to someone yesterday about a refund, what is the status",
            "",
            "humane society donations?",
            "I want someone to fix my order",
            "stop",
        ] {
            assert!(!wants_a_person(body), "{body:?}");
        }
    }

    #[test]
    fn a_staff_reply_is_trimmed_not_blank_and_at_most_1600_characters() {
        assert_eq!(
            StaffReply::parse("  Hei!  ").expect("valid").as_str(),
            "Hei!"
        );
        assert!(StaffReply::parse(" \n ").is_err());
        assert!(StaffReply::parse(&"ä".repeat(1600)).is_ok());
        let error = StaffReply::parse(&"a".repeat(1601)).expect_err("too long");
        assert!(error.0.contains("1601"), "{error}");
    }

    #[test]
    fn a_blank_customer_name_clears_it_and_a_long_one_is_refused() {
        assert_eq!(CustomerName::parse("  "), Ok(None));
        assert_eq!(
            CustomerName::parse(" Anna K. ")
                .expect("valid")
                .map(|n| n.as_str().to_owned()),
            Some("Anna K.".to_owned())
        );
        assert!(CustomerName::parse(&"a".repeat(81)).is_err());
        assert!(CustomerName::parse("Anna\nK").is_err());
    }

    #[test]
    fn a_search_needs_three_characters_and_knows_a_phone_number() {
        assert_eq!(SearchQuery::parse("   "), Ok(None));
        assert!(SearchQuery::parse("ab").is_err());
        let number = SearchQuery::parse("+358 50 123")
            .expect("valid")
            .expect("some");
        assert_eq!(number.phone_digits().as_deref(), Some("35850123"));
        let words = SearchQuery::parse("refund  please")
            .expect("valid")
            .expect("some");
        assert_eq!(words.as_str(), "refund please");
        assert_eq!(words.phone_digits(), None);
    }

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let cursor = Cursor {
            at_nanos: 1_764_000_000_123_456_789,
            id: Uuid::from_u128(42),
        };
        assert_eq!(cursor.to_string().parse(), Ok(cursor));
        for bad in ["", "12", "x_y", "12_not-a-uuid"] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }
}
