//! AES-256-GCM for the Twilio credentials we store. Each value gets a fresh random 96-bit nonce; the
//! row id and column name are bound as associated data, so a ciphertext copied to another row or
//! column fails to open; every ciphertext is stored beside the id of the key that sealed it, so keys
//! can be rotated (`viesti rotate-keys`) while old rows still open. Keys come only from the
//! environment (`VIESTI_ENCRYPTION_KEY`, `VIESTI_ENCRYPTION_KEYS_OLD`).
use crate::server::config::EncryptionKey;
use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Nonce};
use base64::Engine;
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;

/// Why a stored secret could not be opened. Never carries the secret or the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "the stored secret was sealed with key {0}, which is neither VIESTI_ENCRYPTION_KEY nor in VIESTI_ENCRYPTION_KEYS_OLD"
    )]
    UnknownKey(String),
    #[error("the stored secret failed authentication: wrong key, wrong row, or tampered data")]
    Unauthentic,
    #[error("the stored secret is malformed")]
    Malformed,
    #[error("encryption failed")]
    Seal,
}

/// A sealed value as stored: the key id and base64 of nonce ‖ ciphertext ‖ tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub ciphertext: String,
}

struct Key {
    id: String,
    cipher: Aes256Gcm,
}

impl Key {
    fn new(key: &EncryptionKey) -> Self {
        Self {
            id: key_id(key),
            cipher: Aes256Gcm::new(key.expose().into()),
        }
    }
}

/// A short public name for a key: the first 8 bytes of SHA-256 over a label and the key, in hex. It
/// identifies the key without revealing anything usable about it.
fn key_id(key: &EncryptionKey) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"viesti key id v1\0");
    hasher.update(key.expose());
    hex::encode(&hasher.finalize()[..8])
}

/// The current key (which seals) and older keys (which only open).
pub struct Keyring {
    current: Key,
    old: Vec<Key>,
    /// A MAC key derived from the current key, for values we hand out and later take back (device
    /// cookies): never the encryption key itself.
    signing: HmacSha256,
}

type HmacSha256 = hmac::Hmac<Sha256>;

impl Keyring {
    pub fn new(current: &EncryptionKey, old: &[EncryptionKey]) -> Self {
        use hmac::Mac;
        let derived = <HmacSha256 as Mac>::new_from_slice(current.expose())
            .map(|mac| {
                mac.chain_update(b"viesti signing key v1")
                    .finalize()
                    .into_bytes()
            })
            .expect("HMAC takes a key of any length");
        Self {
            current: Key::new(current),
            old: old.iter().map(Key::new).collect(),
            signing: <HmacSha256 as Mac>::new_from_slice(&derived)
                .expect("HMAC takes a key of any length"),
        }
    }

    /// A MAC over `message` under `purpose`, with the signing key.
    pub fn sign(&self, purpose: &str, message: &[u8]) -> [u8; 32] {
        use hmac::Mac;
        self.signing
            .clone()
            .chain_update(purpose.as_bytes())
            .chain_update([0])
            .chain_update(message)
            .finalize()
            .into_bytes()
            .into()
    }

    /// Whether `tag` is [`Keyring::sign`]'s MAC of `message` under `purpose` (in constant time).
    pub fn verify(&self, purpose: &str, message: &[u8], tag: &[u8]) -> bool {
        use hmac::Mac;
        self.signing
            .clone()
            .chain_update(purpose.as_bytes())
            .chain_update([0])
            .chain_update(message)
            .verify_slice(tag)
            .is_ok()
    }

    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plaintext` under the current key, bound to `context` (e.g. row id and column).
    pub fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<Sealed, CryptoError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .current
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: context,
                },
            )
            .map_err(|_| CryptoError::Seal)?;
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&ciphertext);
        Ok(Sealed {
            key_id: self.current.id.clone(),
            ciphertext: base64::engine::general_purpose::STANDARD.encode(stored),
        })
    }

    /// Opens a sealed value with whichever known key sealed it.
    pub fn open(&self, sealed: &Sealed, context: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let key = std::iter::once(&self.current)
            .chain(&self.old)
            .find(|key| key.id == sealed.key_id)
            .ok_or_else(|| CryptoError::UnknownKey(sealed.key_id.clone()))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&sealed.ciphertext)
            .map_err(|_| CryptoError::Malformed)?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        key.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .map_err(|_| CryptoError::Unauthentic)
    }

    /// Opens a sealed UTF-8 string.
    pub fn open_string(&self, sealed: &Sealed, context: &[u8]) -> Result<String, CryptoError> {
        String::from_utf8(self.open(sealed, context)?).map_err(|_| CryptoError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> EncryptionKey {
        EncryptionKey::from_base64(&base64::engine::general_purpose::STANDARD.encode([byte; 32]))
            .expect("valid")
    }

    #[test]
    fn a_sealed_value_opens_with_the_same_key_and_context() {
        let ring = Keyring::new(&key(1), &[]);
        let sealed = ring
            .seal(b"0123456789abcdef0123456789abcdef", b"row-1/auth_token")
            .expect("seal");
        assert_eq!(sealed.key_id, ring.current_key_id());
        assert_eq!(
            ring.open(&sealed, b"row-1/auth_token").expect("open"),
            b"0123456789abcdef0123456789abcdef"
        );
        assert!(!sealed.ciphertext.contains("0123456789abcdef"));
    }

    #[test]
    fn the_same_value_seals_differently_each_time() {
        let ring = Keyring::new(&key(1), &[]);
        let a = ring.seal(b"secret", b"ctx").expect("seal");
        let b = ring.seal(b"secret", b"ctx").expect("seal");
        assert_ne!(a.ciphertext, b.ciphertext, "fresh nonce per encryption");
    }

    #[test]
    fn a_wrong_key_gives_a_clear_error_not_garbage() {
        let sealed = Keyring::new(&key(1), &[])
            .seal(b"secret", b"ctx")
            .expect("seal");
        let other = Keyring::new(&key(2), &[]);
        assert_eq!(
            other.open(&sealed, b"ctx"),
            Err(CryptoError::UnknownKey(sealed.key_id.clone()))
        );
        // Even a ring that claims the right key id cannot open it with different key bytes.
        let forged = Sealed {
            key_id: other.current_key_id().to_owned(),
            ..sealed
        };
        assert_eq!(other.open(&forged, b"ctx"), Err(CryptoError::Unauthentic));
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_or_column_fails() {
        let ring = Keyring::new(&key(1), &[]);
        let sealed = ring.seal(b"secret", b"row-1/auth_token").expect("seal");
        assert_eq!(
            ring.open(&sealed, b"row-2/auth_token"),
            Err(CryptoError::Unauthentic)
        );
        assert_eq!(
            ring.open(&sealed, b"row-1/account_sid"),
            Err(CryptoError::Unauthentic)
        );
    }

    #[test]
    fn tampered_or_truncated_ciphertexts_fail() {
        let ring = Keyring::new(&key(1), &[]);
        let sealed = ring.seal(b"secret", b"ctx").expect("seal");
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(&sealed.ciphertext)
            .expect("b64");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = Sealed {
            ciphertext: base64::engine::general_purpose::STANDARD.encode(&bytes),
            ..sealed.clone()
        };
        assert_eq!(ring.open(&tampered, b"ctx"), Err(CryptoError::Unauthentic));
        let short = Sealed {
            ciphertext: "AAAA".into(),
            ..sealed.clone()
        };
        assert_eq!(ring.open(&short, b"ctx"), Err(CryptoError::Malformed));
        let junk = Sealed {
            ciphertext: "%%%".into(),
            ..sealed
        };
        assert_eq!(ring.open(&junk, b"ctx"), Err(CryptoError::Malformed));
    }

    #[test]
    fn old_keys_open_what_they_sealed_and_new_seals_use_the_current_key() {
        let before = Keyring::new(&key(1), &[]);
        let sealed = before.seal(b"secret", b"ctx").expect("seal");
        let after = Keyring::new(&key(2), &[key(1)]);
        assert_eq!(
            after.open(&sealed, b"ctx").expect("open with old key"),
            b"secret"
        );
        let resealed = after.seal(b"secret", b"ctx").expect("seal");
        assert_ne!(resealed.key_id, sealed.key_id);
        assert_eq!(resealed.key_id, after.current_key_id());
    }

    #[test]
    fn key_ids_are_short_stable_and_distinct() {
        assert_eq!(key_id(&key(1)), key_id(&key(1)));
        assert_ne!(key_id(&key(1)), key_id(&key(2)));
        assert_eq!(key_id(&key(1)).len(), 16);
    }
}
