//! The website widget: the origins a chatbot may be embedded on, the visitor's secret token, and
//! what a visitor may type.
use super::invite::is_token;
use super::{Rejected, rejected};
use std::fmt;

/// A website origin (`https://shop.example`, `http://localhost:8080`): a scheme, a host in lower
/// case and a port when it is not the scheme's default. Exactly what a browser sends in `Origin`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AllowedOrigin(String);

impl AllowedOrigin {
    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.trim();
        let shown = if value.chars().count() > 60 {
            format!("{}…", value.chars().take(60).collect::<String>())
        } else {
            value.to_owned()
        };
        let bad = |why: &str| rejected(format!("“{shown}” {why}"));
        let (scheme, rest) = if let Some(rest) = value.strip_prefix("https://") {
            ("https", rest)
        } else if let Some(rest) = value.strip_prefix("http://") {
            ("http", rest)
        } else {
            return Err(bad(
                "isn't a website address: start it with https:// (for example https://shop.example).",
            ));
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@']) {
            return Err(bad(
                "has more than a website's address: leave out paths, ? and # (for example https://shop.example).",
            ));
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => {
                let port: u16 = port
                    .parse()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| bad("has a port that isn't a number from 1 to 65535."))?;
                (host, Some(port))
            }
            None => (rest, None),
        };
        let host = host.to_ascii_lowercase();
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
            return Err(bad(
                "isn't a website address (wildcards and spaces aren't allowed; list each site).",
            ));
        }
        let default_port = if scheme == "https" { 443 } else { 80 };
        Ok(Self(match port {
            Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
            _ => format!("{scheme}://{host}"),
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AllowedOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The origins a chatbot's widget may be embedded on: at most [`AllowedOrigins::MAX`], no repeats,
/// written one per line (commas and spaces also separate them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AllowedOrigins(Vec<AllowedOrigin>);

impl AllowedOrigins {
    pub const MAX: usize = 20;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let mut origins: Vec<AllowedOrigin> = Vec::new();
        for item in input.split(|c: char| c == ',' || c.is_whitespace()) {
            if item.trim().is_empty() {
                continue;
            }
            let origin = AllowedOrigin::parse(item)?;
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        if origins.len() > Self::MAX {
            return Err(rejected(format!("List at most {} websites.", Self::MAX)));
        }
        Ok(Self(origins))
    }

    /// What was stored, read back leniently: a line that no longer parses is left out.
    pub fn from_stored(stored: &str) -> Self {
        Self(
            stored
                .lines()
                .filter_map(|line| AllowedOrigin::parse(line).ok())
                .collect(),
        )
    }

    /// One per line, as stored and as the settings form shows them.
    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(AllowedOrigin::as_str)
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn contains(&self, origin: &str) -> bool {
        self.0.iter().any(|o| o.as_str() == origin)
    }

    pub fn iter(&self) -> impl Iterator<Item = &AllowedOrigin> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A visitor's secret: 32 random bytes as 43 characters of base64url, made by the server on the
/// visitor's first message and kept in the widget's storage. It is the only key to the visitor's
/// conversation, so only its SHA-256 is stored and `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct VisitorToken(String);

impl VisitorToken {
    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.trim();
        if is_token(value) {
            Ok(Self(value.to_owned()))
        } else {
            Err(rejected(
                "This visitor token isn't one this server made: start a new conversation without it.",
            ))
        }
    }

    #[cfg(feature = "ssr")]
    pub fn generate() -> Self {
        Self(super::invite::new_token())
    }

    /// The conversation's customer address: `web:` and the first 16 bytes of the token's SHA-256.
    #[cfg(feature = "ssr")]
    pub fn address(&self) -> String {
        use sha2::{Digest, Sha256};
        format!(
            "web:{}",
            hex::encode(&Sha256::digest(self.0.as_bytes())[..16])
        )
    }

    /// The token itself, for the one answer that hands it to the visitor.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for VisitorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VisitorToken([redacted])")
    }
}

/// How the inbox names a widget visitor: "Web visitor" and the first six characters of their
/// address, so two visitors can be told apart.
pub fn visitor_label(address: &str) -> String {
    let short: String = address
        .strip_prefix("web:")
        .unwrap_or(address)
        .chars()
        .take(6)
        .collect();
    format!("Web visitor {short}")
}

/// What a visitor types: 1 to [`VisitorText::MAX`] characters, not only spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorText(String);

impl VisitorText {
    pub const MAX: usize = 2_000;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.trim();
        if value.is_empty() {
            return Err(rejected("Type a message first."));
        }
        if value.chars().count() > Self::MAX {
            return Err(rejected(format!(
                "A message can be at most {} characters.",
                Self::MAX
            )));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_to_what_browsers_send() {
        for (input, origin) in [
            ("https://Shop.Example", "https://shop.example"),
            ("https://shop.example/", "https://shop.example"),
            ("https://shop.example:443", "https://shop.example"),
            ("http://localhost:8080", "http://localhost:8080"),
            ("  https://a-b.example.co.uk  ", "https://a-b.example.co.uk"),
        ] {
            assert_eq!(AllowedOrigin::parse(input).map(|o| o.0), Ok(origin.into()));
        }
    }

    #[test]
    fn anything_but_an_origin_is_refused_with_the_line_named() {
        for input in [
            "shop.example",
            "ftp://shop.example",
            "https://shop.example/help",
            "https://*.example",
            "https://shop.example:0",
            "https://shop.example:99999",
            "https://user@shop.example",
            "https://",
            "https://-bad.example",
        ] {
            let error = AllowedOrigin::parse(input).expect_err(input);
            assert!(error.0.contains(input.trim()), "{input}: {}", error.0);
        }
    }

    #[test]
    fn a_list_drops_repeats_round_trips_and_has_a_limit() {
        let list =
            AllowedOrigins::parse("https://a.example\nhttps://b.example, https://A.example/")
                .expect("valid");
        assert_eq!(list.to_stored(), "https://a.example\nhttps://b.example");
        assert_eq!(AllowedOrigins::from_stored(&list.to_stored()), list);
        assert!(list.contains("https://b.example"));
        assert!(!list.contains("https://c.example"));
        let many: Vec<String> = (0..21).map(|i| format!("https://s{i}.example")).collect();
        assert!(AllowedOrigins::parse(&many.join("\n")).is_err());
        assert_eq!(
            AllowedOrigins::parse("  \n ").map(|l| l.is_empty()),
            Ok(true)
        );
    }

    #[test]
    fn visitor_tokens_are_what_the_server_makes_and_never_printed() {
        let token = VisitorToken::generate();
        assert_eq!(VisitorToken::parse(token.expose()), Ok(token.clone()));
        assert!(VisitorToken::parse("short").is_err());
        assert!(!format!("{token:?}").contains(token.expose()));
        assert!(token.address().starts_with("web:"));
        assert_eq!(token.address().len(), 4 + 32);
        assert_eq!(visitor_label("web:abcdef0123"), "Web visitor abcdef");
    }

    #[test]
    fn visitor_text_is_trimmed_and_bounded() {
        assert_eq!(VisitorText::parse("  hi ").map(|t| t.0), Ok("hi".into()));
        assert!(VisitorText::parse("   ").is_err());
        assert!(VisitorText::parse(&"a".repeat(2_001)).is_err());
    }
}
