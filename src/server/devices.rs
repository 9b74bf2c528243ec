//! Device cookies: a browser that has signed in to an account keeps a signed note of it, so that
//! guesses at that account from elsewhere, which drain the account's shared sign-in bucket, cannot
//! lock its owner out (OWASP's "device cookies" against account lockout).
//!
//! The cookie holds a random device id and a MAC over the id and the account's e-mail, made with a
//! key derived from `VIESTI_ENCRYPTION_KEY`; it proves only that this browser once signed in to that
//! account. It gives no access by itself: the password is still checked.
use crate::domain::Email;
use crate::server::crypto::Keyring;
use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const PURPOSE: &str = "device cookie v1";
const ID_LEN: usize = 16;
const TAG_LEN: usize = 32;
/// A year: the owner's browser stays known between visits.
const MAX_AGE_SECONDS: u32 = 365 * 24 * 60 * 60;

/// One browser's id, from a device cookie whose MAC checked out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeviceId([u8; ID_LEN]);

impl DeviceId {
    pub fn new_random() -> Self {
        Self(rand::random())
    }
}

/// The cookie's name: with `__Host-` when it is `Secure`, so no subdomain can set or shadow it.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-viesti_device"
    } else {
        "viesti_device"
    }
}

fn message(id: &[u8], email: &Email) -> Vec<u8> {
    let mut message = id.to_vec();
    message.extend_from_slice(email.as_str().as_bytes());
    message
}

/// The device id in the request's device cookie, if its MAC matches this account.
pub fn recognise(
    keyring: &Keyring,
    headers: &HeaderMap,
    secure: bool,
    email: &Email,
) -> Option<DeviceId> {
    let name = cookie_name(secure);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| *key == name)
        .find_map(|(_, value)| {
            let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
            if bytes.len() != ID_LEN + TAG_LEN {
                return None;
            }
            let (id, tag) = bytes.split_at(ID_LEN);
            if !keyring.verify(PURPOSE, &message(id, email), tag) {
                return None;
            }
            id.try_into().ok().map(DeviceId)
        })
}

/// A `Set-Cookie` value that marks this browser as one that signed in to `email` (keeping its id
/// when it had one).
pub fn issue(keyring: &Keyring, secure: bool, email: &Email, device: Option<DeviceId>) -> String {
    let DeviceId(id) = device.unwrap_or_else(DeviceId::new_random);
    let mut value = id.to_vec();
    value.extend_from_slice(&keyring.sign(PURPOSE, &message(&id, email)));
    format!(
        "{}={}; Path=/; Max-Age={MAX_AGE_SECONDS}; HttpOnly; SameSite=Lax{}",
        cookie_name(secure),
        URL_SAFE_NO_PAD.encode(value),
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::config::EncryptionKey;
    use axum::http::HeaderValue;

    fn keyring(byte: u8) -> Keyring {
        let key = EncryptionKey::from_base64(
            &base64::engine::general_purpose::STANDARD.encode([byte; 32]),
        )
        .expect("valid");
        Keyring::new(&key, &[])
    }

    fn request_with(set_cookie: &str) -> HeaderMap {
        let pair = set_cookie.split(';').next().expect("a pair");
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("other=1; {pair}")).expect("ascii"),
        );
        headers
    }

    #[test]
    fn a_cookie_is_recognised_for_its_account_only_and_under_its_key_only() {
        let ring = keyring(1);
        let email = Email::parse("owner@example.com").expect("valid");
        let cookie = issue(&ring, true, &email, None);
        assert!(cookie.starts_with("__Host-viesti_device="), "{cookie}");
        assert!(
            cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/")
        );
        let headers = request_with(&cookie);
        let device = recognise(&ring, &headers, true, &email).expect("recognised");
        let other = Email::parse("someone@example.com").expect("valid");
        assert_eq!(
            recognise(&ring, &headers, true, &other),
            None,
            "another account"
        );
        assert_eq!(
            recognise(&keyring(2), &headers, true, &email),
            None,
            "another key"
        );
        assert_eq!(
            recognise(&ring, &headers, false, &email),
            None,
            "another cookie name"
        );
        // Re-issued after the next sign-in, it keeps its id.
        let again = issue(&ring, true, &email, Some(device));
        assert_eq!(
            recognise(&ring, &request_with(&again), true, &email),
            Some(device)
        );
    }

    #[test]
    fn a_tampered_or_malformed_cookie_is_not_recognised() {
        let ring = keyring(1);
        let email = Email::parse("owner@example.com").expect("valid");
        let cookie = issue(&ring, false, &email, None);
        let (pair, _) = cookie.split_once(';').expect("attributes");
        let (name, value) = pair.split_once('=').expect("pair");
        let mut bytes = URL_SAFE_NO_PAD.decode(value).expect("base64");
        bytes[0] ^= 1;
        let forged = format!("{name}={}", URL_SAFE_NO_PAD.encode(&bytes));
        assert_eq!(
            recognise(&ring, &request_with(&forged), false, &email),
            None
        );
        for junk in ["viesti_device=", "viesti_device=!!!", "viesti_device=AAAA"] {
            assert_eq!(
                recognise(&ring, &request_with(junk), false, &email),
                None,
                "{junk}"
            );
        }
    }
}
