//! What the emulator stores besides messages, and the small rules Twilio applies when creating things.
use super::AccountStatus;
use crate::domain::sms_keywords::Keyword;
use crate::domain::{AccountSid, AuthToken, E164, MessageSid};
use chrono::{DateTime, Utc};

pub(super) struct Account {
    pub sid: AccountSid,
    pub token: AuthToken,
    pub friendly_name: String,
    pub status: AccountStatus,
    /// Twilio's Account `type`: `Trial` when true, else `Full`.
    pub trial: bool,
    pub created: DateTime<Utc>,
}

#[derive(Clone)]
pub(super) struct Number {
    pub sid: String,
    pub account_sid: AccountSid,
    pub phone_number: E164,
    pub sms_capable: bool,
    /// Empty when unset: Twilio answers `""`, not `null`, for a number without an SmsUrl.
    pub sms_url: String,
    pub sms_method: String,
    pub messaging_service_sid: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// Now, to the second: Twilio's timestamps (RFC 2822) carry no fractions, and date filters compare
/// whole seconds.
pub(super) fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap_or_else(Utc::now)
}

/// A fresh SID: a two-letter prefix and 32 hex characters.
pub(super) fn new_sid(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// `MM…` for a message with media, `SM…` otherwise, as Twilio names them.
pub(super) fn new_message_sid(has_media: bool) -> MessageSid {
    let sid = new_sid(if has_media { "MM" } else { "SM" });
    MessageSid::parse(&sid).unwrap_or_else(|_| unreachable!("SM/MM and 32 hex is a message SID"))
}

/// How many SMS segments `body` takes (API.md §11), split as Twilio splits it (the rules live in
/// `domain::sms_text`, shared with the product); Twilio reports at least 1.
pub(super) fn segments(body: &str) -> usize {
    let count = crate::domain::sms_text::segments(body).count.max(1);
    usize::try_from(count).unwrap_or(usize::MAX)
}

/// Whether an inbound body is one of Twilio's default opt-out (`Some(true)`) or opt-in
/// (`Some(false)`) keywords.
pub(super) fn opt_keyword(body: &str) -> Option<bool> {
    match crate::domain::sms_keywords::keyword(body)?.0 {
        Keyword::OptOut => Some(true),
        Keyword::OptIn => Some(false),
        Keyword::Help => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_fits_160_in_one_segment_and_153_per_segment_after() {
        assert_eq!(segments(""), 1);
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&"a".repeat(306)), 2);
        assert_eq!(segments(&"a".repeat(307)), 3);
    }

    #[test]
    fn extension_characters_count_twice() {
        assert_eq!(segments(&"€".repeat(80)), 1);
        assert_eq!(segments(&"€".repeat(81)), 2);
    }

    #[test]
    fn one_non_gsm_character_makes_the_message_ucs2() {
        assert_eq!(segments(&format!("{}ł", "a".repeat(69))), 1);
        assert_eq!(segments(&format!("{}ł", "a".repeat(70))), 2);
        // An emoji outside the BMP takes two UTF-16 units.
        assert_eq!(segments(&"😀".repeat(35)), 1);
        assert_eq!(segments(&"😀".repeat(36)), 2);
    }

    #[test]
    fn opt_keywords_match_the_whole_body_in_any_case() {
        assert_eq!(opt_keyword(" stop\n"), Some(true));
        assert_eq!(opt_keyword("Start"), Some(false));
        assert_eq!(opt_keyword("please stop"), None);
    }

    #[test]
    fn sids_have_their_prefix_and_32_hex() {
        let sid = new_sid("PN");
        assert!(sid.starts_with("PN") && sid.len() == 34);
        assert!(new_message_sid(true).as_str().starts_with("MM"));
        assert!(new_message_sid(false).as_str().starts_with("SM"));
    }
}
