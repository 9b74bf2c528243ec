//! What may reach Sentry: every event passes through [`event`] before it leaves the process, so a
//! token, a message body or a full phone number that slipped into a log line or a field is taken out
//! even when the code that logged it was careless. Ids (UUIDs) and the `channel` tag stay.
use serde_json::Value;

/// The top-level event fields where what the code logged can appear, and so are scrubbed whole.
/// Everything else (ids, the SDK, stack frames, debug images, the trace context) is the SDK's own
/// and keeps its exact form: a trace id is 32 hex characters, which would read as a token.
const LOGGED: [&str; 7] = [
    "message",
    "logentry",
    "extra",
    "tags",
    "breadcrumbs",
    "request",
    "user",
];

/// Keys whose values never go to Sentry, whatever they hold: message bodies and secrets.
fn is_sensitive_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "body",
        "text",
        "auth_token",
        "token",
        "password",
        "secret",
        "cookie",
        "cookies",
        "authorization",
        "signature",
        "query_string",
    ]
    .iter()
    .any(|word| {
        key == *word || key.ends_with(&format!("_{word}")) || key.ends_with(&format!(".{word}"))
    })
}

/// `text` with token-like runs (24 or more letters and digits: Auth Tokens, SIDs, session ids)
/// replaced by `[redacted]` and phone numbers (a `+` or 9 or more digits in a row) cut to their
/// first two and last two digits.
pub fn text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphanumeric() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphanumeric() {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            let plus = start > 0 && chars[start - 1] == '+';
            let digits = run.chars().all(|c| c.is_ascii_digit());
            if run.len() >= 24 {
                out.push_str("[redacted]");
            } else if digits && (run.len() >= 9 || (plus && run.len() >= 7)) {
                out.push_str(&run[..2]);
                out.push_str("•••");
                out.push_str(&run[run.len() - 2..]);
            } else {
                out.push_str(&run);
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// `text` with every phone number in E.164 form (`+` and 7 to 15 digits) cut to its first two and
/// last two digits, as in `+35•••67`: log lines keep the shape of a number, never the number.
pub fn phone_numbers(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('+') {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'+' {
            let digits = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if (7..=15).contains(&digits) {
                let start = i + 1;
                let end = start + digits;
                out.push_str(&text[copied..start]);
                out.push_str(&text[start..start + 2]);
                out.push_str("•••");
                out.push_str(&text[end - 2..end]);
                copied = end;
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
    std::borrow::Cow::Owned(out)
}

/// A log writer that masks phone numbers (see [`phone_numbers`]) in what it is given, a line at a
/// time: the formatter writes each event into one of these and drops it.
pub struct MaskedWriter<W: std::io::Write> {
    inner: W,
    line: Vec<u8>,
}

impl<W: std::io::Write> MaskedWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            line: Vec::new(),
        }
    }

    fn write_masked(&mut self) -> std::io::Result<()> {
        if self.line.is_empty() {
            return Ok(());
        }
        let line = std::mem::take(&mut self.line);
        let text = String::from_utf8_lossy(&line);
        self.inner.write_all(phone_numbers(&text).as_bytes())
    }
}

impl<W: std::io::Write> std::io::Write for MaskedWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.write_masked()?;
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for MaskedWriter<W> {
    fn drop(&mut self) {
        let _ = self.write_masked();
    }
}

/// Walks a JSON value: drops sensitive keys, scrubs every string.
fn value(value: &mut Value) {
    match value {
        Value::String(s) => *s = text(s),
        Value::Array(items) => items.iter_mut().for_each(self::value),
        Value::Object(map) => {
            map.retain(|key, _| !is_sensitive_key(key));
            map.values_mut().for_each(self::value);
        }
        _ => {}
    }
}

/// The event as it may be sent; `None` only if it could not be read back (then it is not sent).
pub fn event(event: sentry::protocol::Event<'static>) -> Option<sentry::protocol::Event<'static>> {
    let mut json = serde_json::to_value(&event).ok()?;
    if let Value::Object(map) = &mut json {
        for (key, field) in map.iter_mut() {
            match key.as_str() {
                key if LOGGED.contains(&key) => value(field),
                // An error's text, not its stack frames.
                "exception" => {
                    if let Some(values) = field.get_mut("values").and_then(Value::as_array_mut) {
                        values
                            .iter_mut()
                            .filter_map(|e| e.get_mut("value"))
                            .for_each(self::value);
                    }
                }
                // The fields a log line carried (tracing's contexts), not the SDK's own contexts.
                "contexts" => {
                    if let Some(contexts) = field.as_object_mut() {
                        contexts
                            .values_mut()
                            .filter(|c| c.get("type").and_then(Value::as_str) == Some("unknown"))
                            .for_each(self::value);
                    }
                }
                _ => {}
            }
        }
    }
    serde_json::from_value(json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sentry::protocol::{Breadcrumb, Event, Level};

    const TOKEN: &str = "de70c0dede70c0dede70c0dede70c0de";
    const NUMBER: &str = "+358501234567";

    #[test]
    fn tokens_and_numbers_are_cut_and_ids_kept() {
        assert_eq!(
            text(&format!("token {TOKEN} from {NUMBER}.")),
            "token [redacted] from +35•••67."
        );
        assert_eq!(text("call 0401234567 now"), "call 04•••67 now");
        let id = "0192f5c4-7b1e-7c3a-9d2e-4f6a8b0c1d2e";
        assert_eq!(text(&format!("workspace {id}")), format!("workspace {id}"));
        assert_eq!(
            text("retry in 1500 ms, attempt 3"),
            "retry in 1500 ms, attempt 3"
        );
        assert_eq!(text("AC0123456789abcdef0123456789abcdef"), "[redacted]");
    }

    #[test]
    fn an_event_keeps_its_id_and_tags_but_loses_bodies_tokens_and_numbers() {
        let mut event = Event {
            message: Some(format!("reply to {NUMBER} failed with token {TOKEN}")),
            level: Level::Error,
            ..Event::default()
        };
        event.tags.insert("channel".into(), "channels/sms".into());
        event.tags.insert(
            "workspace_id".into(),
            "0192f5c4-7b1e-7c3a-9d2e-4f6a8b0c1d2e".into(),
        );
        event
            .extra
            .insert("body".into(), "My order 1234 never came".into());
        event.extra.insert("to".into(), NUMBER.into());
        event.breadcrumbs.values.push(Breadcrumb {
            message: Some(format!("texted {NUMBER}: Hei, onko auki?")),
            ..Breadcrumb::default()
        });
        let id = event.event_id;
        let sent = super::event(event).expect("an event");
        let json = serde_json::to_string(&sent).expect("json");
        assert!(!json.contains(TOKEN), "{json}");
        assert!(!json.contains(NUMBER), "{json}");
        assert!(!json.contains("never came"), "{json}");
        assert_eq!(sent.event_id, id);
        assert_eq!(
            sent.tags.get("channel").map(String::as_str),
            Some("channels/sms")
        );
        assert_eq!(
            sent.tags.get("workspace_id").map(String::as_str),
            Some("0192f5c4-7b1e-7c3a-9d2e-4f6a8b0c1d2e")
        );
    }

    #[test]
    fn log_lines_keep_the_shape_of_a_phone_number_never_the_number() {
        assert_eq!(
            phone_numbers("reply to +358401234567 failed; from=+14155550100."),
            "reply to +35•••67 failed; from=+14•••00."
        );
        // Not numbers: a lone plus, a short run, a run too long for E.164, plain digits.
        for kept in [
            "a + b",
            "+123456",
            "+1234567890123456",
            "id 1234567890",
            "1+1=2",
        ] {
            assert_eq!(phone_numbers(kept), kept);
        }
        use std::io::Write;
        let mut out = Vec::new();
        {
            let mut writer = MaskedWriter::new(&mut out);
            writer.write_all(b"customer +3585").expect("write");
            writer.write_all(b"01234567 texted\n").expect("write");
        }
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "customer +35•••67 texted\n"
        );
    }
}
