//! Invite links: the secret token in the link, and why a link no longer works.
use super::{Rejected, rejected};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The secret in an invite link: 32 random bytes as 43 characters of unpadded base64url. It opens a
/// workspace, so it is a password: no `Serialize`, a redacted `Debug`, and only its SHA-256 is stored.
/// Only the server makes new ones ([`InviteToken::generate`]); the browser merely carries one from
/// the address to the form.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteToken(String);

/// The base64url alphabet (RFC 4648 §5), in value order.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Whether `value` is 32 bytes as unpadded base64url, spelled the one way it can be: 43 characters
/// hold 258 bits, 2 more than 32 bytes, so the last character's low 2 bits must be zero.
pub(super) fn is_token(value: &str) -> bool {
    if value.len() != InviteToken::LEN {
        return false;
    }
    let mut last = 0;
    for byte in value.bytes() {
        match ALPHABET.iter().position(|&c| c == byte) {
            Some(at) => last = at,
            None => return false,
        }
    }
    last & 0b11 == 0
}

/// 32 bytes from the thread-local CSPRNG (ChaCha, seeded by the OS) as unpadded base64url: a value
/// [`is_token`] accepts.
#[cfg(feature = "ssr")]
pub(super) fn new_token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl InviteToken {
    /// Characters in a token: ⌈32 × 8 / 6⌉.
    pub const LEN: usize = 43;

    /// Accepts exactly what [`InviteToken::generate`] makes (see [`is_token`]).
    pub fn parse(input: &str) -> Result<Self, Rejected> {
        let bad =
            || rejected("This invite link isn't complete. Copy the whole link and try again.");
        let value = input.trim();
        if !is_token(value) {
            return Err(bad());
        }
        Ok(Self(value.to_owned()))
    }

    /// A fresh token from the thread-local CSPRNG (ChaCha, seeded by the OS).
    #[cfg(feature = "ssr")]
    pub fn generate() -> Self {
        Self(new_token())
    }

    /// The lower-case hex SHA-256 of the token: what the database holds and looks tokens up by.
    #[cfg(feature = "ssr")]
    pub fn hash_hex(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    /// The token itself, for the one place it is shown: the link right after it was made.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for InviteToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InviteToken([redacted])")
    }
}

/// Why an invite link cannot be used. Each has its own words, so the person holding the link knows
/// what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum InviteProblem {
    /// No invite has this token (or the link was cut short).
    #[error(
        "This invite link doesn't work. Check that you copied the whole link, or ask the person who invited you for a new one."
    )]
    Unknown,
    #[error("This invite link has expired. Ask the person who invited you for a new one.")]
    Expired,
    #[error("This invite link was cancelled. Ask the person who invited you for a new one.")]
    Revoked,
    #[error(
        "This invite link has already been used. Sign in instead, or ask the person who invited you for a new link."
    )]
    Used,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn generated_tokens_parse_are_distinct_and_decode_to_32_bytes() {
        use base64::Engine;
        let first = InviteToken::generate();
        let second = InviteToken::generate();
        assert_ne!(first, second);
        for token in [&first, &second] {
            assert_eq!(token.expose().len(), InviteToken::LEN);
            assert_eq!(InviteToken::parse(token.expose()).as_ref(), Ok(token));
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(token.expose())
                .expect("base64url");
            assert_eq!(bytes.len(), 32);
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn many_generated_tokens_all_parse() {
        for _ in 0..500 {
            let token = InviteToken::generate();
            assert!(
                InviteToken::parse(token.expose()).is_ok(),
                "{}",
                token.expose()
            );
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_hash_is_hex_sha256_of_the_token() {
        let token = InviteToken::parse(&format!("{}A", "a".repeat(42))).expect("valid");
        let hash = token.hash_hex();
        assert_eq!(hash.len(), 64);
        assert!(
            hash.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(hash, token.clone().hash_hex());
        assert!(!hash.contains(token.expose()));
    }

    #[test]
    fn a_token_is_43_base64url_characters_without_padding() {
        let good = format!("{}-_Q", "Ab9".repeat(13) + "z");
        assert_eq!(good.len(), 43);
        assert!(InviteToken::parse(&good).is_ok(), "{good}");
        let cases = [
            String::new(),
            "a".repeat(42),
            "a".repeat(44),
            format!("{}=", "a".repeat(42)),
            format!("{}+A", "a".repeat(41)),
            format!("{}/A", "a".repeat(41)),
            format!("{} A", "a".repeat(41)),
            format!("{}äA", "a".repeat(40)),
        ];
        for bad in cases {
            assert!(
                InviteToken::parse(&bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn the_last_character_must_not_carry_stray_bits() {
        // Values divisible by 4 ('A' 0, 'E' 4, 'Q' 16, 'g' 32, 'w' 48) end a 32-byte token; others
        // would set one of the two bits past the 256th.
        for last in ['A', 'E', 'Q', 'g', 'w'] {
            assert!(InviteToken::parse(&format!("{}{last}", "a".repeat(42))).is_ok());
        }
        for last in ['B', 'C', 'D', 'R', 'h', 'x', '_'] {
            assert!(InviteToken::parse(&format!("{}{last}", "a".repeat(42))).is_err());
        }
    }

    #[test]
    fn a_pasted_token_forgives_surrounding_whitespace() {
        let token = format!("{}A", "a".repeat(42));
        assert_eq!(
            InviteToken::parse(&format!(" {token}\n"))
                .expect("valid")
                .expose(),
            token
        );
    }

    #[test]
    fn debug_never_prints_the_token() {
        let token = InviteToken::parse(&format!("{}A", "s".repeat(42))).expect("valid");
        assert!(!format!("{token:?}").contains("sss"));
    }

    #[test]
    fn every_problem_says_what_to_do_next() {
        for problem in [
            InviteProblem::Unknown,
            InviteProblem::Expired,
            InviteProblem::Revoked,
            InviteProblem::Used,
        ] {
            assert!(problem.to_string().contains("Ask") || problem.to_string().contains("ask"));
        }
        assert!(InviteProblem::Expired.to_string().contains("expired"));
    }
}
