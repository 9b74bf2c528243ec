//! Twilio's identifiers and the phone numbers it routes, as types that cannot hold a bad value.
//! Parsing forgives what copy and paste adds (spaces, a trailing newline) and nothing else.
use super::{Rejected, rejected};
use serde::{Deserialize, Serialize};
use std::fmt;

fn without_whitespace(input: &str) -> String {
    input.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether `value` is a Twilio SID of the given two-letter kind (`AC`, `PN`, `SM`…) and 32 hex characters.
pub fn is_sid(value: &str, prefix: &str) -> bool {
    value.len() == 34
        && value.starts_with(prefix)
        && value[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// A Twilio Account SID: `AC` and 32 hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountSid(String);

impl AccountSid {
    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = without_whitespace(input);
        if value.is_empty() {
            return Err(rejected("Enter your Account SID from Twilio Console."));
        }
        if !value.starts_with("AC") {
            return Err(rejected("An Account SID starts with AC."));
        }
        if !is_sid(&value, "AC") {
            return Err(rejected(
                "An Account SID is AC followed by 32 characters 0–9 and a–f (34 in all).",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for AccountSid {
    type Error = Rejected;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<AccountSid> for String {
    fn from(value: AccountSid) -> Self {
        value.0
    }
}

/// A Twilio Auth Token: 32 letters and digits. It is a password: no `Serialize`, a redacted `Debug`,
/// and only its last four characters are ever shown.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthToken(String);

impl AuthToken {
    pub const LEN: usize = 32;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = without_whitespace(input);
        if value.is_empty() {
            return Err(rejected("Enter your Auth Token from Twilio Console."));
        }
        if value.chars().count() != Self::LEN || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(rejected(format!(
                "An Auth Token is {} letters and digits (you entered {}).",
                Self::LEN,
                value.chars().count()
            )));
        }
        Ok(Self(value))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The token as it may be shown: bullets and the last four characters.
    pub fn masked(&self) -> String {
        format!("••••{}", &self.0[Self::LEN - 4..])
    }
}

impl Drop for AuthToken {
    /// The token does not outlive its last use in freed memory.
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl fmt::Debug for AuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthToken([redacted])")
    }
}

/// A phone number in E.164 form: `+`, a country code that does not start with 0, 8 to 15 digits in all.
/// The browser checks this shape; the server also checks the number exists in its country's plan
/// (with the phonenumber crate, which is too heavy for the browser bundle).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

impl E164 {
    pub fn parse(input: &str) -> Result<Self, Rejected> {
        // Pasted numbers often come formatted: "+358 40 123 4567", "+1 (415) 555-0100".
        let value: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '(' | ')' | '.'))
            .collect();
        let hint = "Enter the number in international format, like +358401234567.";
        if value.is_empty() {
            return Err(rejected(
                "Enter your Twilio phone number, like +358401234567.",
            ));
        }
        let Some(digits) = value.strip_prefix('+') else {
            return Err(rejected(format!(
                "Start with + and the country code. {hint}"
            )));
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(rejected(format!("Use only digits after the +. {hint}")));
        }
        if digits.starts_with('0') {
            return Err(rejected(format!(
                "A country code never starts with 0. {hint}"
            )));
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(rejected(format!(
                "That has {} digits; a full international number has 8 to 15. {hint}",
                digits.len()
            )));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for E164 {
    type Error = Rejected;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<E164> for String {
    fn from(value: E164) -> Self {
        value.0
    }
}

/// A Twilio message SID: `SM` (SMS) or `MM` (MMS) and 32 hex characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MessageSid(String);

impl MessageSid {
    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.trim();
        if is_sid(value, "SM") || is_sid(value, "MM") {
            Ok(Self(value.to_owned()))
        } else {
            Err(rejected(
                "a message SID is SM or MM followed by 32 hex characters",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageSid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for MessageSid {
    type Error = Rejected;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<MessageSid> for String {
    fn from(value: MessageSid) -> Self {
        value.0
    }
}

/// A page of Twilio's own documentation about an error (the `more_info` of its error answers, e.g.
/// `https://www.twilio.com/docs/errors/21610`): https on www.twilio.com only, so a link shown in the
/// inbox cannot lead anywhere else, whatever an API base answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TwilioDocsLink(String);

impl TwilioDocsLink {
    const PREFIX: &'static str = "https://www.twilio.com/";
    const MAX_CHARS: usize = 300;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.trim();
        let path = value.strip_prefix(Self::PREFIX).unwrap_or_default();
        let safe = !path.is_empty()
            && value.len() <= Self::MAX_CHARS
            && path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/-_.#?=&%".contains(&b));
        if safe {
            Ok(Self(value.to_owned()))
        } else {
            Err(rejected("not a page of Twilio's documentation"))
        }
    }

    /// The page Twilio keeps for one of its error codes.
    pub fn for_code(code: u32) -> Self {
        Self(format!("{}docs/errors/{code}", Self::PREFIX))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TwilioDocsLink {
    type Error = Rejected;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TwilioDocsLink> for String {
    fn from(value: TwilioDocsLink) -> Self {
        value.0
    }
}

/// An optional label for a connected number, such as "Product support": at most 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FriendlyName(Option<String>);

impl FriendlyName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let value = input.trim();
        if value.chars().count() > Self::MAX_CHARS {
            return Err(rejected(format!(
                "Use at most {} characters.",
                Self::MAX_CHARS
            )));
        }
        Ok(Self((!value.is_empty()).then(|| value.to_owned())))
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Any text is a number or a refusal, never a panic; a number is `+` and digits, and
            /// reads back as itself.
            #[test]
            fn any_text_is_a_number_or_refused(input in prop_oneof![".{0,30}", "[+ ()0-9.-]{0,24}"]) {
                if let Ok(number) = E164::parse(&input) {
                    let digits = &number.as_str()[1..];
                    prop_assert!(number.as_str().starts_with('+'));
                    prop_assert!(digits.chars().all(|c| c.is_ascii_digit()), "{}", number.as_str());
                    prop_assert_eq!(E164::parse(number.as_str()), Ok(number.clone()));
                }
            }
        }
    }

    #[test]
    fn a_twilio_docs_link_is_https_on_twilios_site_only() {
        let link =
            TwilioDocsLink::parse(" https://www.twilio.com/docs/errors/21610 ").expect("link");
        assert_eq!(link.as_str(), "https://www.twilio.com/docs/errors/21610");
        assert_eq!(TwilioDocsLink::for_code(21610), link);
        for bad in [
            "http://www.twilio.com/docs/errors/21610",
            "https://www.twilio.com.evil.example/docs",
            "https://www.twilio.com@evil.example/",
            "https://www.twilio.com/",
            "javascript:alert(1)",
            "https://www.twilio.com/docs/\"onmouseover=x",
            "https://www.twilio.com/docs/<script>",
        ] {
            assert!(TwilioDocsLink::parse(bad).is_err(), "{bad}");
        }
    }

    const SID: &str = "AC0123456789abcdef0123456789ABCDEF";

    #[test]
    fn account_sid_accepts_ac_and_32_hex_even_when_pasted_with_whitespace() {
        assert_eq!(AccountSid::parse(SID).expect("valid").as_str(), SID);
        assert_eq!(
            AccountSid::parse(&format!("  {SID}\n"))
                .expect("valid")
                .as_str(),
            SID
        );
    }

    #[test]
    fn account_sid_rejects_wrong_prefix_length_and_characters() {
        let cases = [
            "",
            "PN0123456789abcdef0123456789abcdef",
            "ac0123456789abcdef0123456789abcdef",
            "AC0123456789abcdef0123456789abcde",
            "AC0123456789abcdef0123456789abcdef0",
            "AC0123456789abcdef0123456789abcdeg",
        ];
        for bad in cases {
            assert!(AccountSid::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn auth_token_is_32_letters_and_digits_and_never_printed() {
        let token = AuthToken::parse(" 0123456789abcdef0123456789abcdef\n").expect("valid");
        assert_eq!(token.expose(), "0123456789abcdef0123456789abcdef");
        assert_eq!(token.masked(), "••••cdef");
        assert!(!format!("{token:?}").contains("0123"));
        for bad in [
            "",
            "short",
            &"a".repeat(33),
            "0123456789abcdef0123456789abcde!",
        ] {
            assert!(AuthToken::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn e164_accepts_plus_country_code_and_up_to_15_digits() {
        assert_eq!(
            E164::parse("+358401234567").expect("valid").as_str(),
            "+358401234567"
        );
        assert_eq!(
            E164::parse(" +358 40 123 4567\n").expect("valid").as_str(),
            "+358401234567"
        );
        assert_eq!(
            E164::parse("+1 (415) 555-0100").expect("valid").as_str(),
            "+14155550100"
        );
        assert!(E164::parse("+123456789012345").is_ok());
    }

    #[test]
    fn e164_rejects_missing_plus_leading_zero_letters_and_bad_lengths() {
        for bad in [
            "",
            "358401234567",
            "0401234567",
            "+0401234567",
            "+35840abc4567",
            "+1234567",
            "+1234567890123456",
        ] {
            assert!(E164::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn message_sid_accepts_sm_and_mm() {
        assert!(MessageSid::parse("SM0123456789abcdef0123456789abcdef").is_ok());
        assert!(MessageSid::parse("MM0123456789abcdef0123456789abcdef").is_ok());
        assert!(MessageSid::parse("AC0123456789abcdef0123456789abcdef").is_err());
        assert!(MessageSid::parse("SM0123").is_err());
    }

    #[test]
    fn serde_refuses_invalid_values() {
        assert!(serde_json::from_str::<E164>("\"0401234567\"").is_err());
        assert!(serde_json::from_str::<AccountSid>(&format!("\"{SID}\"")).is_ok());
    }

    #[test]
    fn friendly_name_is_optional_and_bounded() {
        assert_eq!(FriendlyName::parse("  ").expect("valid").as_deref(), None);
        assert_eq!(
            FriendlyName::parse(" Support ").expect("valid").as_deref(),
            Some("Support")
        );
        assert!(FriendlyName::parse(&"x".repeat(65)).is_err());
    }
}
