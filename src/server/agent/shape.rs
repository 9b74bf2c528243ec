//! What a channel does to an answer. SMS: plain text (Markdown rendered away), GSM-7 characters
//! where the meaning allows (a curly quote or an emoji would switch the whole text to UCS-2 and
//! cost 2–3× the segments), and no more than the chatbot's segment budget. Web keeps Markdown.
use crate::domain::knowledge::SegmentBudget;
use crate::domain::sms_text::{Encoding, MAX_BODY_CHARS, fit, segments, ucs2_characters};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use unicode_normalization::UnicodeNormalization;

/// The longest answer the web widget shows.
pub const MAX_WEB_CHARS: usize = 4_000;

/// An answer as one SMS reply within `budget` segments.
pub fn for_sms(text: &str, budget: SegmentBudget) -> String {
    fit_segments(&to_gsm(&plain_text(text)), budget)
}

/// An answer for the web widget, which shows text as written: Markdown as plain text (like SMS,
/// but any character may stay), length bounded.
pub fn for_web(text: &str) -> String {
    fit(&plain_text(text), MAX_WEB_CHARS)
}

/// Markdown as plain text: paragraphs on their own lines, list items as "- ", links as
/// "text (address)", emphasis, headings' marks and code fences dropped.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::new();
    let mut link: Option<String> = None;
    let mut list_depth = 0usize;
    for event in Parser::new_ext(
        markdown,
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES,
    ) {
        match event {
            Event::Text(text) | Event::Code(text) => out.push_str(&text),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::Start(Tag::Item) => {
                new_line(&mut out);
                out.push_str("- ");
            }
            Event::Start(Tag::List(_)) => {
                list_depth += 1;
                new_line(&mut out);
            }
            Event::End(TagEnd::List(_)) => list_depth = list_depth.saturating_sub(1),
            Event::Start(Tag::Link { dest_url, .. }) => link = Some(dest_url.to_string()),
            Event::End(TagEnd::Link) => {
                if let Some(url) = link.take()
                    && !url.is_empty()
                    && !out.ends_with(url.as_str())
                    && !url.starts_with('#')
                {
                    out.push_str(&format!(" ({url})"));
                }
            }
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::TableRow,
            ) if list_depth == 0 => new_line(&mut out),
            Event::End(TagEnd::TableCell) => out.push_str(" | "),
            _ => {}
        }
    }
    out.lines()
        .map(|line| line.trim_end_matches(" | ").trim())
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn new_line(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Replaces characters outside GSM-7 by GSM-7 ones that mean the same (typographic quotes, dashes,
/// ellipsis, bullets, odd spaces, accented letters GSM-7 lacks), and drops emoji and other symbols.
/// Letters of other scripts stay: there the meaning does not allow it, and UCS-2 it is.
pub fn to_gsm(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' | '`' | '´' => {
                out.push('\'')
            }
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{2033}' | '«' | '»' => out.push('"'),
            '\u{2010}'..='\u{2015}' | '\u{2212}' => out.push('-'),
            '\u{2026}' => out.push_str("..."),
            '\u{2022}' | '\u{00b7}' | '\u{25aa}' | '\u{25cf}' => out.push('-'),
            '\u{00a0}' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\t' => out.push(' '),
            '\u{200b}'..='\u{200d}' | '\u{fe0f}' | '\u{feff}' => {}
            '›' | '→' => out.push('>'),
            '‹' | '←' => out.push('<'),
            '×' => out.push('x'),
            '™' => out.push_str("(TM)"),
            '©' => out.push_str("(c)"),
            '®' => out.push_str("(R)"),
            c if ucs2_characters(&c.to_string()).is_empty() => out.push(c),
            c if is_symbol(c) => {}
            c => {
                // "č" → "c", "ō" → "o": the letter without its mark, when that is GSM-7.
                let base: String = c.to_string().nfkd().filter(|d| d.is_ascii()).collect();
                if base.is_empty() {
                    out.push(c);
                } else {
                    out.push_str(&base);
                }
            }
        }
    }
    // Dropped emoji can leave double spaces behind.
    out.split(' ')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" \n", "\n")
        .replace("\n ", "\n")
}

/// Emoji, pictographs, dingbats and the like: nothing a reader of an answer would miss.
fn is_symbol(c: char) -> bool {
    matches!(c as u32,
        0x2190..=0x21ff | 0x2300..=0x23ff | 0x2460..=0x27bf | 0x2b00..=0x2bff | 0x1f000..=0x1faff)
}

/// The longest start of `text`, cut at a sentence or word, that fits `budget` segments (and
/// Twilio's 1,600 characters).
pub fn fit_segments(text: &str, budget: SegmentBudget) -> String {
    let allowed = u32::from(budget.get());
    let per_segment = match segments(text).encoding {
        Encoding::Gsm7 if allowed == 1 => 160,
        Encoding::Gsm7 => 153,
        Encoding::Ucs2 if allowed == 1 => 70,
        Encoding::Ucs2 => 67,
    };
    let mut limit = (per_segment * allowed as usize).min(MAX_BODY_CHARS);
    loop {
        let fitted = fit(text, limit);
        // Extension characters (€, [, ]) count twice: shorten until it really fits.
        if segments(&fitted).count <= allowed || limit <= 10 {
            return fitted;
        }
        limit -= 5;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(n: i64) -> SegmentBudget {
        SegmentBudget::parse(n).expect("valid budget")
    }

    #[test]
    fn markdown_becomes_plain_text_for_sms() {
        let text = plain_text(
            "## Refunds\n\nWe refund **within 5 days**.\n\n- Keep the receipt\n- Use the [form](https://kuura.example/returns)\n",
        );
        assert_eq!(
            text,
            "Refunds\nWe refund within 5 days.\n- Keep the receipt\n- Use the form (https://kuura.example/returns)"
        );
    }

    #[test]
    fn typographic_characters_become_gsm7_and_emoji_go() {
        let shaped = to_gsm(
            "It\u{2019}s \u{201c}ready\u{201d} \u{2014} 9\u{2013}17\u{2026} \u{1f6b2} Dvo\u{0159}\u{00e1}k",
        );
        assert_eq!(shaped, "It's \"ready\" - 9-17... Dvorak");
        assert_eq!(segments(&shaped).encoding, Encoding::Gsm7);
        // Another script keeps its letters: the meaning does not allow replacing them.
        assert_eq!(to_gsm("Привет"), "Привет");
    }

    #[test]
    fn a_reply_fits_the_segment_budget() {
        let long = "Our shop is open every day. ".repeat(40);
        for n in 1..=10 {
            let fitted = fit_segments(&long, budget(n));
            assert!(segments(&fitted).count <= n as u32, "{n}: {}", fitted.len());
            assert!(fitted.chars().count() <= MAX_BODY_CHARS);
        }
        let euros = "Costs 10 € and more € signs here. ".repeat(20);
        assert!(segments(&fit_segments(&euros, budget(2))).count <= 2);
        assert_eq!(for_sms("Short **answer**.", budget(1)), "Short answer.");
    }

    #[test]
    fn web_answers_keep_markdown_within_bounds() {
        assert_eq!(for_web("**Yes**, 9–17"), "Yes, 9–17");
        assert!(for_web(&"word ".repeat(2_000)).chars().count() <= MAX_WEB_CHARS);
    }
}
