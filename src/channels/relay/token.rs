//! Visitor ids and the tokens that let a browser speak for one.
//!
//! A token is stateless: base64url(HMAC-SHA256(key, "visitor:" + visitor id)), under a
//! key derived from the inbox's secret. Nothing is stored, tokens survive a restart, and
//! the shop's secret never reaches a browser (a token reveals nothing of the key, and
//! the key nothing of the secret). The id itself is not a secret: it names the
//! conversation, and only the token proves the right to it.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::signature::WebhookSecret;

/// What the tokens key is derived under, so it can never equal a key used for
/// something else.
const DERIVATION_LABEL: &[u8] = b"comptoir visitor tokens";

/// The prefix of every relay-made visitor id.
pub const VISITOR_ID_PREFIX: &str = "v_";

/// Random bytes in a visitor id: 16 bytes are 22 base64url characters.
const VISITOR_ID_BYTES: usize = 16;

/// The key that issues and checks one inbox's visitor tokens. Its `Debug` never shows
/// it.
#[derive(Clone)]
pub struct VisitorKeys {
    key: Vec<u8>,
}

impl fmt::Debug for VisitorKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VisitorKeys(<redacted>)")
    }
}

impl VisitorKeys {
    /// The keys of the inbox signed with `secret`.
    #[must_use]
    pub fn derive(secret: &WebhookSecret) -> VisitorKeys {
        VisitorKeys {
            key: secret.derive(DERIVATION_LABEL),
        }
    }

    /// The token of `visitor_id`.
    #[must_use]
    pub fn token(&self, visitor_id: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.tag(visitor_id))
    }

    /// Whether `token` is `visitor_id`'s, compared in constant time.
    #[must_use]
    pub fn verify(&self, visitor_id: &str, token: &str) -> bool {
        let Ok(given) = URL_SAFE_NO_PAD.decode(token.trim()) else {
            return false;
        };
        bool::from(given.as_slice().ct_eq(self.tag(visitor_id).as_slice()))
    }

    fn tag(&self, visitor_id: &str) -> Vec<u8> {
        // HMAC takes a key of any length; an empty tag would simply never verify.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return Vec::new();
        };
        mac.update(b"visitor:");
        mac.update(visitor_id.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// A new visitor id, `v_` and 22 random base64url characters. Unique, not secret.
#[must_use]
pub fn new_visitor_id() -> String {
    let bytes: Vec<u8> = (0..VISITOR_ID_BYTES).map(|_| fastrand::u8(..)).collect();
    format!("{VISITOR_ID_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `id` has the shape of a relay-made visitor id, checked before any work is
/// done for a request that names one.
#[must_use]
pub fn is_visitor_id(id: &str) -> bool {
    id.strip_prefix(VISITOR_ID_PREFIX).is_some_and(|rest| {
        rest.len() == 22
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(byte: u8) -> VisitorKeys {
        VisitorKeys::derive(&WebhookSecret::from_bytes(vec![byte; 32]))
    }

    #[test]
    fn a_token_verifies_for_its_visitor_only() {
        let k = keys(1);
        let id = new_visitor_id();
        assert!(is_visitor_id(&id), "{id}");
        let token = k.token(&id);
        assert!(k.verify(&id, &token));
        assert!(!k.verify(&new_visitor_id(), &token));
        assert!(!keys(2).verify(&id, &token));
        assert!(!k.verify(&id, ""));
        assert!(!k.verify(&id, "not base64!"));
        // The same key gives the same token: nothing to store, a restart changes nothing.
        assert_eq!(keys(1).token(&id), token);
    }

    #[test]
    fn visitor_ids_have_one_shape() {
        assert!(!is_visitor_id("v_short"));
        assert!(!is_visitor_id("x_AAAAAAAAAAAAAAAAAAAAAA"));
        assert!(is_visitor_id("v_AAAAAAAAAAAAAAAAAAAAA-"));
        assert!(!is_visitor_id("v_AAAAAAAAAAAAAAAAAAAAA/"));
        assert_ne!(new_visitor_id(), new_visitor_id());
    }
}
