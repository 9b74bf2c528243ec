//! The keywords Twilio's default opt-out handling acts on for long-code numbers (Twilio's Advanced
//! Opt-Out guide and its support article "Twilio support for opt-out keywords"): a text whose whole
//! body, trimmed and in any case, is one of them. Twilio itself then stops (or resumes) texts from
//! the number to that customer; Viesti records the same, so the bot stays quiet exactly when Twilio
//! would refuse its reply.

/// Twilio's default opt-out keywords.
pub const OPT_OUT: [&str; 8] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
];
/// Twilio's default opt-in keywords.
pub const OPT_IN: [&str; 3] = ["START", "YES", "UNSTOP"];
/// Twilio's default help keywords.
pub const HELP: [&str; 2] = ["HELP", "INFO"];

/// What a keyword asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// No more texts to this customer from the number ([`OPT_OUT`]).
    OptOut,
    /// Texts may resume ([`OPT_IN`]).
    OptIn,
    /// Who is texting and how to stop it ([`HELP`]).
    Help,
}

/// The keyword a body is, if it is one (the whole body, trimmed, in any case), with the word in
/// capitals.
pub fn keyword(body: &str) -> Option<(Keyword, String)> {
    let word = body.trim().to_uppercase();
    let kind = if OPT_OUT.contains(&word.as_str()) {
        Keyword::OptOut
    } else if OPT_IN.contains(&word.as_str()) {
        Keyword::OptIn
    } else if HELP.contains(&word.as_str()) {
        Keyword::Help
    } else {
        return None;
    };
    Some((kind, word))
}

/// How automatic replies (out-of-office answers, other bots) open: answering one could start two
/// machines texting each other for ever, each text billed.
const AUTOMATIC_OPENINGS: [&str; 8] = [
    "auto-reply",
    "autoreply",
    "auto reply",
    "automatic reply",
    "automated reply",
    "out of office",
    "this is an automated message",
    "this is an automatic reply",
];

/// Whether a text reads like an automatic reply: it opens with one of the usual phrases.
pub fn looks_automatic(body: &str) -> bool {
    let opening: String = body
        .trim_start()
        .chars()
        .take(40)
        .flat_map(char::to_lowercase)
        .collect();
    AUTOMATIC_OPENINGS
        .iter()
        .any(|phrase| opening.starts_with(phrase))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twilio's lists, as its documentation gives them (2026), each word in three spellings.
    #[test]
    fn twilios_default_keywords_and_nothing_else() {
        let table: [(&str, Keyword); 13] = [
            ("STOP", Keyword::OptOut),
            ("STOPALL", Keyword::OptOut),
            ("UNSUBSCRIBE", Keyword::OptOut),
            ("CANCEL", Keyword::OptOut),
            ("END", Keyword::OptOut),
            ("QUIT", Keyword::OptOut),
            ("REVOKE", Keyword::OptOut),
            ("OPTOUT", Keyword::OptOut),
            ("START", Keyword::OptIn),
            ("YES", Keyword::OptIn),
            ("UNSTOP", Keyword::OptIn),
            ("HELP", Keyword::Help),
            ("INFO", Keyword::Help),
        ];
        for (word, kind) in table {
            let lower = word.to_lowercase();
            let mut title = lower.clone();
            title[..1].make_ascii_uppercase();
            for body in [
                word.to_owned(),
                format!("  {lower}\n"),
                format!("\t{title} "),
            ] {
                assert_eq!(keyword(&body), Some((kind, word.to_owned())), "{body:?}");
            }
        }
        assert_eq!(
            OPT_OUT.len() + OPT_IN.len() + HELP.len(),
            table.len(),
            "every listed word is in the table"
        );
    }

    #[test]
    fn automatic_replies_are_known_by_their_opening() {
        for body in [
            "Auto-Reply: I'm away until Monday",
            "  AUTOMATIC REPLY: thanks for your message",
            "Out of office until 3 Dec",
            "This is an automated message, do not reply",
        ] {
            assert!(looks_automatic(body), "{body:?}");
        }
        for body in ["Is the shop out of office chairs?", "Hi, auto parts?", ""] {
            assert!(!looks_automatic(body), "{body:?}");
        }
    }

    #[test]
    fn only_a_whole_body_is_a_keyword() {
        for body in [
            "please stop sending the wrong size",
            "Stopwatch",
            "STOP ALL",
            "Stop.",
            "yes please",
            "OPT OUT",
            "",
            "   ",
        ] {
            assert_eq!(keyword(body), None, "{body:?}");
        }
    }
}
