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
}
