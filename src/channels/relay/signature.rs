//! Standard Webhooks signatures (spec 1.0.0), the scheme both directions of the chat
//! relay use: a shop's backend signs what it posts to us, and we sign the replies we post
//! to its `callback_url`.
//!
//! The signed bytes are `{webhook-id}.{webhook-timestamp}.{raw body}`; the signature is
//! base64 of HMAC-SHA256 under the shared secret, sent as `v1,<base64>`. A header may
//! carry several space-separated signatures (key rotation): any `v1` match is enough and
//! other versions are skipped. Timestamps more than [`TOLERANCE`] away from our clock are
//! refused, so a captured request cannot be replayed later.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::{DecodePaddingMode, general_purpose};
use hmac::{Hmac, KeyInit, Mac};
use jiff::{SignedDuration, Timestamp};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a request's timestamp may be from our clock, either way (every reference
/// implementation uses five minutes).
pub const TOLERANCE: SignedDuration = SignedDuration::from_mins(5);

/// The prefix of a secret as Standard Webhooks prints it.
const SECRET_PREFIX: &str = "whsec_";

/// Secrets shorter than this are refused: the spec asks for 24 to 64 random bytes.
const MIN_KEY_BYTES: usize = 24;

/// Secrets longer than this are refused (the spec's upper bound).
const MAX_KEY_BYTES: usize = 64;

/// base64 that takes a secret with or without its `=` padding, as the reference
/// libraries do.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A shared webhook secret: the raw key bytes. Its `Debug` never shows them.
#[derive(Clone)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// Why a configured secret cannot be used. Says what is wrong, never the secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SecretFormatError {
    /// Not base64 after the optional `whsec_` prefix.
    #[error("a webhook secret is `whsec_` followed by base64; this one is not base64")]
    NotBase64,
    /// Decoded to too few or too many bytes.
    #[error("a webhook secret must hold 24 to 64 bytes; this one holds {0}")]
    BadLength(usize),
}

/// Why a request's signature was refused: the reason given in the 401's body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A required header is absent or empty.
    #[error("missing header {0}")]
    Missing(&'static str),
    /// `webhook-timestamp` is not whole Unix seconds.
    #[error("webhook-timestamp is not a Unix time in seconds")]
    BadTimestamp,
    /// The timestamp is more than [`TOLERANCE`] in the past.
    #[error("webhook-timestamp is too old")]
    TooOld,
    /// The timestamp is more than [`TOLERANCE`] in the future.
    #[error("webhook-timestamp is too far in the future")]
    TooNew,
    /// `webhook-id` contains a full stop, which would make the signed bytes ambiguous.
    #[error("webhook-id must not contain '.'")]
    BadId,
    /// No `v1` signature in the header matches.
    #[error("no matching signature")]
    Mismatch,
}

/// The three Standard Webhooks headers of one request, as received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignedHeaders<'a> {
    /// `webhook-id`: the sender's id for this message, the same on every retry.
    pub id: Option<&'a str>,
    /// `webhook-timestamp`: Unix seconds of this attempt.
    pub timestamp: Option<&'a str>,
    /// `webhook-signature`: space-separated `version,base64` entries.
    pub signature: Option<&'a str>,
}

impl WebhookSecret {
    /// Reads a secret in the Standard Webhooks form, `whsec_` + base64 (the prefix is
    /// optional, padding too).
    ///
    /// # Errors
    /// Not base64, or not 24 to 64 bytes once decoded.
    pub fn parse(text: &str) -> Result<WebhookSecret, SecretFormatError> {
        let text = text.trim();
        let encoded = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
        let key = LENIENT
            .decode(encoded)
            .map_err(|_| SecretFormatError::NotBase64)?;
        if !(MIN_KEY_BYTES..=MAX_KEY_BYTES).contains(&key.len()) {
            return Err(SecretFormatError::BadLength(key.len()));
        }
        Ok(WebhookSecret { key })
    }

    /// A secret from raw key bytes (a freshly generated one).
    #[must_use]
    pub fn from_bytes(key: Vec<u8>) -> WebhookSecret {
        WebhookSecret { key }
    }

    /// The secret in the form a shop pastes into its backend's config: `whsec_<base64>`.
    #[must_use]
    pub fn to_whsec(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.key))
    }

    /// The `webhook-signature` value for a message: `v1,<base64>`.
    #[must_use]
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.tag(id, timestamp, body)))
    }

    /// Checks a request's headers and raw body against this secret at time `now`.
    ///
    /// # Errors
    /// The reason the request must be refused with a 401.
    pub fn verify(
        &self,
        headers: SignedHeaders<'_>,
        body: &[u8],
        now: Timestamp,
    ) -> Result<(), SignatureError> {
        let id = present(headers.id, "webhook-id")?;
        let timestamp = present(headers.timestamp, "webhook-timestamp")?;
        let signatures = present(headers.signature, "webhook-signature")?;
        if id.contains('.') {
            return Err(SignatureError::BadId);
        }
        let seconds: i64 = timestamp
            .parse()
            .map_err(|_| SignatureError::BadTimestamp)?;
        let sent = Timestamp::from_second(seconds).map_err(|_| SignatureError::BadTimestamp)?;
        let skew = now.duration_since(sent);
        if skew > TOLERANCE {
            return Err(SignatureError::TooOld);
        }
        if skew < -TOLERANCE {
            return Err(SignatureError::TooNew);
        }
        let expected = self.tag(id, seconds, body);
        let matched = signatures
            .split(' ')
            .filter_map(|entry| entry.split_once(','))
            .filter(|(version, _)| *version == "v1")
            .filter_map(|(_, encoded)| general_purpose::STANDARD.decode(encoded).ok())
            // Constant time, so the answer's timing tells nothing about how close a guess is.
            .any(|candidate| bool::from(candidate.as_slice().ct_eq(expected.as_slice())));
        if matched {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// HMAC-SHA256 of `message` under this secret: a key derived for another purpose
    /// (the visitor tokens), so the secret itself is never used twice for one thing.
    #[must_use]
    pub fn derive(&self, message: &[u8]) -> Vec<u8> {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return Vec::new();
        };
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }

    fn tag(&self, id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        // HMAC takes a key of any length, so this cannot fail; an empty tag would simply
        // never match.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            return Vec::new();
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }
}

/// A header's value, or why the request is refused without it.
fn present<'a>(value: Option<&'a str>, name: &'static str) -> Result<&'a str, SignatureError> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(SignatureError::Missing(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector of shared/notes/wire-formats.md §1, checked there against the PyPI
    /// `standardwebhooks` library.
    const SECRET: &str = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
    const ID: &str = "msg_fake0001";
    const TS: i64 = 1_700_000_000;
    const BODY: &str = r#"{"type":"message.received","timestamp":"2023-11-14T22:13:20Z","data":{"id":"m1","text":"hi"}}"#;
    const SIGNATURE: &str = "v1,S6zWwbxErdbbr68pC5vUst0TKKFeLMY+Q66xWz0NL9A=";

    fn secret() -> WebhookSecret {
        WebhookSecret::parse(SECRET).unwrap()
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(seconds).unwrap()
    }

    fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> SignedHeaders<'a> {
        SignedHeaders {
            id: Some(id),
            timestamp: Some(ts),
            signature: Some(sig),
        }
    }

    #[test]
    fn signs_the_reference_vector() {
        assert_eq!(secret().sign(ID, TS, BODY.as_bytes()), SIGNATURE);
    }

    #[test]
    fn verifies_the_reference_vector_within_tolerance() {
        let s = secret();
        let ts = TS.to_string();
        for now in [TS, TS - 299, TS + 300] {
            assert_eq!(
                s.verify(headers(ID, &ts, SIGNATURE), BODY.as_bytes(), at(now)),
                Ok(())
            );
        }
    }

    #[test]
    fn refuses_what_was_not_signed_with_this_secret_for_these_bytes() {
        let s = secret();
        let ts = TS.to_string();
        let tampered = BODY.replace("hi", "ho");
        assert_eq!(
            s.verify(headers(ID, &ts, SIGNATURE), tampered.as_bytes(), at(TS)),
            Err(SignatureError::Mismatch)
        );
        let other = WebhookSecret::from_bytes(vec![7; 32]);
        assert_eq!(
            other.verify(headers(ID, &ts, SIGNATURE), BODY.as_bytes(), at(TS)),
            Err(SignatureError::Mismatch)
        );
        // The id and timestamp are signed too.
        assert_eq!(
            s.verify(
                headers("msg_other", &ts, SIGNATURE),
                BODY.as_bytes(),
                at(TS)
            ),
            Err(SignatureError::Mismatch)
        );
        let later = (TS + 1).to_string();
        assert_eq!(
            s.verify(headers(ID, &later, SIGNATURE), BODY.as_bytes(), at(TS)),
            Err(SignatureError::Mismatch)
        );
        for garbage in ["v1,", "v1,!!!", "v1", "", "   "] {
            assert!(
                s.verify(headers(ID, &ts, garbage), BODY.as_bytes(), at(TS))
                    .is_err()
            );
        }
    }

    #[test]
    fn refuses_stale_and_future_timestamps() {
        let s = secret();
        let ts = TS.to_string();
        assert_eq!(
            s.verify(headers(ID, &ts, SIGNATURE), BODY.as_bytes(), at(TS + 301)),
            Err(SignatureError::TooOld)
        );
        assert_eq!(
            s.verify(headers(ID, &ts, SIGNATURE), BODY.as_bytes(), at(TS - 301)),
            Err(SignatureError::TooNew)
        );
        for bad in ["soon", "1.5", "", "99999999999999999999"] {
            assert!(matches!(
                s.verify(headers(ID, bad, SIGNATURE), BODY.as_bytes(), at(TS)),
                Err(SignatureError::BadTimestamp | SignatureError::Missing(_))
            ));
        }
    }

    #[test]
    fn names_the_missing_header() {
        let s = secret();
        let ts = TS.to_string();
        let cases = [
            (
                SignedHeaders {
                    id: None,
                    ..headers(ID, &ts, SIGNATURE)
                },
                "webhook-id",
            ),
            (
                SignedHeaders {
                    timestamp: None,
                    ..headers(ID, &ts, SIGNATURE)
                },
                "webhook-timestamp",
            ),
            (
                SignedHeaders {
                    signature: Some(" "),
                    ..headers(ID, &ts, SIGNATURE)
                },
                "webhook-signature",
            ),
        ];
        for (h, name) in cases {
            assert_eq!(
                s.verify(h, BODY.as_bytes(), at(TS)),
                Err(SignatureError::Missing(name))
            );
        }
    }

    #[test]
    fn any_v1_entry_of_several_may_match_and_other_versions_are_skipped() {
        let s = secret();
        let ts = TS.to_string();
        let rotated =
            format!("v1a,AAAA v1,bm90IHRoZSBzaWduYXR1cmUgYXQgYWxsIQ== {SIGNATURE} v2,whatever");
        assert_eq!(
            s.verify(headers(ID, &ts, &rotated), BODY.as_bytes(), at(TS)),
            Ok(())
        );
        let only_other_versions = format!("v1a,{}", &SIGNATURE[3..]);
        assert_eq!(
            s.verify(
                headers(ID, &ts, &only_other_versions),
                BODY.as_bytes(),
                at(TS)
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn an_id_with_a_full_stop_is_refused() {
        let s = secret();
        let ts = TS.to_string();
        assert_eq!(
            s.verify(headers("a.b", &ts, SIGNATURE), BODY.as_bytes(), at(TS)),
            Err(SignatureError::BadId)
        );
    }

    #[test]
    fn secrets_parse_with_or_without_prefix_and_padding() {
        let key = secret().key;
        let bare = SECRET.trim_start_matches("whsec_");
        assert_eq!(WebhookSecret::parse(bare).unwrap().key, key);
        assert_eq!(
            WebhookSecret::parse(bare.trim_end_matches('='))
                .unwrap()
                .key,
            key
        );
        assert_eq!(secret().to_whsec(), SECRET);
        assert_eq!(
            WebhookSecret::parse("whsec_not base64!").unwrap_err(),
            SecretFormatError::NotBase64
        );
        assert_eq!(
            WebhookSecret::parse("whsec_AAAA").unwrap_err(),
            SecretFormatError::BadLength(3)
        );
        assert!(!format!("{:?}", secret()).contains(bare));
    }
}
