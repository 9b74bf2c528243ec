//! What an SMS body costs and how long it may be: GSM-7 or UCS-2 encoding, segment counts, and
//! cutting a reply to Twilio's 1,600-character limit at a sentence or word boundary.
use serde::{Deserialize, Serialize};

/// Twilio refuses a `Body` longer than this (error 21617).
pub const MAX_BODY_CHARS: usize = 1600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gsm7 => "GSM-7",
            Self::Ucs2 => "UCS-2",
        }
    }
}

/// The GSM 03.38 basic character set (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table: each takes an escape septet too, so counts as two.
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{000C}";

/// How a body would be sent: its encoding and the number of segments it is billed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segments {
    pub encoding: Encoding,
    pub count: u32,
}

/// Segments per Twilio's rules: GSM-7 160 (153 when concatenated), UCS-2 70 (67) UTF-16 units.
pub fn segments(body: &str) -> Segments {
    let gsm_units: Option<usize> = body.chars().try_fold(0usize, |units, c| {
        if GSM7_BASIC.contains(c) {
            Some(units + 1)
        } else if GSM7_EXTENSION.contains(c) {
            Some(units + 2)
        } else {
            None
        }
    });
    let (encoding, units, single, multi) = match gsm_units {
        Some(units) => (Encoding::Gsm7, units, 160, 153),
        None => (Encoding::Ucs2, body.encode_utf16().count(), 70, 67),
    };
    let count = match units {
        0 => 0,
        n if n <= single => 1,
        n => n.div_ceil(multi),
    };
    Segments {
        encoding,
        count: u32::try_from(count).unwrap_or(u32::MAX),
    }
}

/// The distinct characters of `body` outside GSM-7, in order of appearance: what forces UCS-2.
pub fn ucs2_characters(body: &str) -> Vec<char> {
    let mut found = Vec::new();
    for c in body.chars() {
        if !GSM7_BASIC.contains(c) && !GSM7_EXTENSION.contains(c) && !found.contains(&c) {
            found.push(c);
        }
    }
    found
}

/// Cuts `text` to at most `max_chars` characters, preferring the end of a sentence, then a word
/// boundary; adds "..." when it had to cut inside a sentence (three dots, not "…": the ellipsis
/// character is not GSM-7 and would switch the whole message to UCS-2, more than doubling its segments).
pub fn fit(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let budget: String = text.chars().take(max_chars).collect();
    // A sentence end inside the budget, if it keeps at least half of it.
    let sentence_end = budget
        .char_indices()
        .filter(|(i, c)| {
            matches!(c, '.' | '!' | '?' | '\n')
                && budget[i + c.len_utf8()..]
                    .chars()
                    .next()
                    .is_none_or(char::is_whitespace)
        })
        .map(|(i, c)| i + c.len_utf8())
        .next_back();
    if let Some(end) = sentence_end
        && budget[..end].chars().count() >= max_chars / 2
    {
        return budget[..end].trim_end().to_owned();
    }
    // Else the last word boundary that leaves room for the dots.
    let room: String = text.chars().take(max_chars.saturating_sub(3)).collect();
    let cut = room
        .rfind(char::is_whitespace)
        .filter(|&i| i > 0)
        .unwrap_or(room.len());
    format!("{}...", room[..cut].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_fits_160_in_one_segment_and_153_per_segment_after() {
        assert_eq!(
            segments(&"a".repeat(160)),
            Segments {
                encoding: Encoding::Gsm7,
                count: 1
            }
        );
        assert_eq!(segments(&"a".repeat(161)).count, 2);
        assert_eq!(segments(&"a".repeat(306)).count, 2);
        assert_eq!(segments(&"a".repeat(307)).count, 3);
        assert_eq!(segments("").count, 0);
    }

    #[test]
    fn extension_characters_count_twice() {
        assert_eq!(
            segments(&"€".repeat(80)),
            Segments {
                encoding: Encoding::Gsm7,
                count: 1
            }
        );
        assert_eq!(segments(&"€".repeat(81)).count, 2);
        assert_eq!(segments("Hinta 5 € [ale]").encoding, Encoding::Gsm7);
    }

    #[test]
    fn finnish_letters_stay_gsm7_but_an_emoji_or_õ_switches_to_ucs2() {
        assert_eq!(
            segments("Hyvää päivää! Äiti ja Öljy").encoding,
            Encoding::Gsm7
        );
        assert_eq!(segments("Kiitos 🙂").encoding, Encoding::Ucs2);
        assert_eq!(segments("õ").encoding, Encoding::Ucs2);
        assert_eq!(segments(&"ж".repeat(70)).count, 1);
        assert_eq!(segments(&"ж".repeat(71)).count, 2);
        // Emoji outside the BMP take two UTF-16 units.
        assert_eq!(segments(&"🙂".repeat(35)).count, 1);
        assert_eq!(segments(&"🙂".repeat(36)).count, 2);
    }

    #[test]
    fn the_characters_that_force_ucs2_are_named_once_each() {
        assert_eq!(ucs2_characters("Hyvää päivää €"), Vec::<char>::new());
        assert_eq!(ucs2_characters("Kiitos 🙂 õ 🙂"), vec!['🙂', 'õ']);
    }

    #[test]
    fn short_text_is_kept_whole() {
        assert_eq!(fit("  Hello there.  ", 1600), "Hello there.");
    }

    #[test]
    fn long_text_is_cut_at_the_last_sentence_that_fits() {
        let sentence = "This sentence has exactly forty-four chars. ";
        let text = sentence.repeat(50);
        let cut = fit(&text, 1600);
        assert!(cut.chars().count() <= 1600);
        assert!(cut.ends_with("chars."), "{cut}");
    }

    #[test]
    fn without_a_sentence_end_it_cuts_at_a_word_and_marks_the_cut() {
        let text = "word ".repeat(400);
        let cut = fit(&text, 1600);
        assert!(cut.chars().count() <= 1600);
        assert!(cut.ends_with("word..."), "{cut}");
        assert_eq!(
            segments(&cut).encoding,
            Encoding::Gsm7,
            "the cut keeps GSM-7"
        );
        let no_spaces = "x".repeat(2000);
        assert_eq!(fit(&no_spaces, 1600).chars().count(), 1600);
    }

    #[test]
    fn cutting_counts_characters_not_bytes() {
        let text = "ä".repeat(2000);
        assert_eq!(fit(&text, 1600).chars().count(), 1600);
    }
}
