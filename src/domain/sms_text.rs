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

/// The encoding `body` is sent in and what each character costs in it: GSM-7 septets (an extension
/// character takes an escape septet too) or UCS-2 UTF-16 units (a character outside the BMP is a
/// surrogate pair).
fn costs(body: &str) -> (Encoding, Vec<(usize, usize)>) {
    let septets: Option<Vec<(usize, usize)>> = body
        .char_indices()
        .map(|(at, c)| {
            if GSM7_BASIC.contains(c) {
                Some((at, 1))
            } else if GSM7_EXTENSION.contains(c) {
                Some((at, 2))
            } else {
                None
            }
        })
        .collect();
    match septets {
        Some(septets) => (Encoding::Gsm7, septets),
        None => (
            Encoding::Ucs2,
            body.char_indices()
                .map(|(at, c)| (at, c.len_utf16()))
                .collect(),
        ),
    }
}

/// The parts `body` travels in, as Twilio and the carriers split it: one part up to 160 GSM-7
/// septets (70 UCS-2 units); past that, parts of at most 153 (67), each filled as far as the next
/// character fits. An extension character's two septets and a surrogate pair's two units are never
/// split: when they do not fit, they start the next part. Empty for an empty body.
pub fn split(body: &str) -> (Encoding, Vec<&str>) {
    let (encoding, costs) = costs(body);
    let (single, each) = match encoding {
        Encoding::Gsm7 => (160, 153),
        Encoding::Ucs2 => (70, 67),
    };
    let total: usize = costs.iter().map(|(_, cost)| cost).sum();
    if total == 0 {
        return (encoding, Vec::new());
    }
    if total <= single {
        return (encoding, vec![body]);
    }
    let mut parts = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (at, cost) in costs {
        if used + cost > each {
            parts.push(&body[start..at]);
            (start, used) = (at, 0);
        }
        used += cost;
    }
    parts.push(&body[start..]);
    (encoding, parts)
}

/// Segments per Twilio's rules (see [`split`]): what a text is billed as.
pub fn segments(body: &str) -> Segments {
    let (encoding, parts) = split(body);
    Segments {
        encoding,
        count: u32::try_from(parts.len()).unwrap_or(u32::MAX),
    }
}

/// How many SMS segments a workspace may send per UTC day: 1 to 1,000,000, 10,000 by default. The
/// bot stops answering by SMS for the rest of the day once it is spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct DailySegmentBudget(u32);

impl DailySegmentBudget {
    pub const DEFAULT: Self = Self(10_000);
    pub const MAX: u32 = 1_000_000;

    pub fn new(segments: u32) -> Result<Self, crate::domain::Rejected> {
        if (1..=Self::MAX).contains(&segments) {
            Ok(Self(segments))
        } else {
            Err(crate::domain::Rejected(format!(
                "Use a number of segments from 1 to {}.",
                Self::MAX
            )))
        }
    }

    /// Reads what a person typed ("10000", "10 000", "10,000").
    pub fn parse(input: &str) -> Result<Self, crate::domain::Rejected> {
        let digits: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != ',' && *c != '\u{a0}')
            .collect();
        match digits.parse::<u32>() {
            Ok(segments) => Self::new(segments),
            Err(_) => Err(crate::domain::Rejected(
                "Enter a whole number of segments, like 10000.".into(),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for DailySegmentBudget {
    type Error = crate::domain::Rejected;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<DailySegmentBudget> for u32 {
    fn from(value: DailySegmentBudget) -> Self {
        value.0
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
    fn a_character_that_does_not_fit_starts_the_next_segment() {
        // 152 septets, then an extension character (2): it cannot be split, so it moves on.
        let body = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        let (_, parts) = split(&body);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].chars().count(), 152);
        assert!(parts[1].starts_with('€'));
        // 306 septets would fit 2 × 153 when split anywhere; with the euro moved, 3 segments.
        let tight = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(segments(&tight).count, 3);
        // UCS-2: 66 units, then a surrogate pair: it starts the second part whole.
        let emoji = format!("{}🙂{}", "ж".repeat(66), "ж".repeat(10));
        let (encoding, parts) = split(&emoji);
        assert_eq!(encoding, Encoding::Ucs2);
        assert_eq!(parts[0].chars().count(), 66);
        assert!(parts[1].starts_with('🙂'));
    }

    #[test]
    fn a_daily_budget_is_a_whole_number_within_bounds() {
        assert_eq!(
            DailySegmentBudget::parse(" 10 000 ").map(DailySegmentBudget::get),
            Ok(10_000)
        );
        assert_eq!(
            DailySegmentBudget::parse("2,500").map(DailySegmentBudget::get),
            Ok(2_500)
        );
        for bad in ["0", "-5", "1.5", "lots", "", "1000001"] {
            assert!(DailySegmentBudget::parse(bad).is_err(), "{bad:?}");
        }
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

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Texts mixing GSM-7 basic and extension characters, and sometimes UCS-2 ones (accents,
        /// Cyrillic, emoji outside the BMP), long enough to need many segments.
        fn texts() -> impl Strategy<Value = String> {
            let gsm = prop::sample::select("aZ0 .,!?@£$_\n".chars().collect::<Vec<_>>());
            let extension = prop::sample::select(GSM7_EXTENSION.chars().collect::<Vec<_>>());
            let other = prop::sample::select(vec!['õ', 'ж', 'é', '🙂', '😀', '中', '…']);
            let char = prop_oneof![8 => gsm, 3 => extension, 1 => other];
            prop::collection::vec(char, 0..700).prop_map(|chars| chars.into_iter().collect())
        }

        fn cost(encoding: Encoding, text: &str) -> usize {
            text.chars()
                .map(|c| match encoding {
                    Encoding::Gsm7 if GSM7_EXTENSION.contains(c) => 2,
                    Encoding::Gsm7 => 1,
                    Encoding::Ucs2 => c.len_utf16(),
                })
                .sum()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// The parts rebuild the text, each within its limit, each but the last filled as far as
            /// the next character allows (so the count is the fewest whole-character parts), and the
            /// count is what `segments` bills.
            #[test]
            fn parts_are_whole_full_and_within_limits(text in texts()) {
                let (encoding, parts) = split(&text);
                prop_assert_eq!(parts.concat(), text.clone());
                prop_assert_eq!(segments(&text).count as usize, parts.len());
                prop_assert_eq!(encoding == Encoding::Gsm7, ucs2_characters(&text).is_empty());
                let (single, each) = match encoding {
                    Encoding::Gsm7 => (160, 153),
                    Encoding::Ucs2 => (70, 67),
                };
                let total = cost(encoding, &text);
                prop_assert_eq!(parts.is_empty(), total == 0);
                prop_assert_eq!(parts.len() == 1, total > 0 && total <= single);
                if parts.len() > 1 {
                    for (n, part) in parts.iter().enumerate() {
                        prop_assert!(cost(encoding, part) <= each);
                        if let Some(next) = parts.get(n + 1).and_then(|p| p.chars().next()) {
                            let with_next = format!("{part}{next}");
                            prop_assert!(cost(encoding, &with_next) > each, "part {} could hold {:?}", n, next);
                        }
                    }
                    // At least the plain ceiling, and at most one unit lost per part.
                    prop_assert!(parts.len() >= total.div_ceil(each));
                    prop_assert!(parts.len() <= total.div_ceil(each - 1));
                }
            }

            /// Appending a character never makes a text cheaper.
            #[test]
            fn a_longer_text_never_costs_fewer_segments(text in texts(), extra in texts()) {
                let longer = format!("{text}{extra}");
                prop_assert!(segments(&longer).count >= segments(&text).count);
            }
        }
    }
}
