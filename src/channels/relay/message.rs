//! The body of `POST /chat/<name>/messages`, read into an [`Inbound`].
//!
//! The body is read as a JSON value and each field checked by hand, so that a refusal
//! names the field (`visitor.id`, `sent_at`) rather than a serde position. Fields we do
//! not know are ignored: a shop's backend may add its own.

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::channels::{Contact, Inbound};
use crate::ingest::MAX_TEXT_BYTES;
use crate::model::Channel;

/// The longest visitor id taken: an id is a key, not a document.
pub const MAX_VISITOR_ID_BYTES: usize = 256;

/// The longest visitor name taken.
pub const MAX_NAME_BYTES: usize = 256;

/// The longest visitor email address taken (RFC 5321's limit on a path).
pub const MAX_EMAIL_BYTES: usize = 320;

/// The longest `webhook-id` taken.
pub const MAX_WEBHOOK_ID_BYTES: usize = 256;

/// A chat message as the shop's backend posted it, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatMessage {
    /// The backend's id for the visitor; the conversation's thread key.
    pub visitor_id: String,
    /// The name the visitor gave.
    pub name: Option<String>,
    /// The email address the visitor gave.
    pub email: Option<String>,
    /// What they wrote.
    pub text: String,
    /// When they wrote it, if the backend says.
    pub sent_at: Option<Timestamp>,
}

impl ChatMessage {
    /// Reads a request body.
    ///
    /// # Errors
    /// Why the body is refused (a 400), naming the field.
    pub fn parse(body: &[u8]) -> Result<ChatMessage, String> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let Value::Object(top) = value else {
            return Err("the body must be a JSON object".into());
        };
        let visitor = match top.get("visitor") {
            Some(Value::Object(v)) => v,
            Some(_) => return Err("visitor must be an object".into()),
            None => return Err("visitor is missing".into()),
        };
        let visitor_id = string(visitor, "id", "visitor.id")?
            .ok_or("visitor.id is missing")?
            .trim()
            .to_owned();
        if visitor_id.is_empty() {
            return Err("visitor.id is empty".into());
        }
        limit("visitor.id", &visitor_id, MAX_VISITOR_ID_BYTES)?;
        let name = optional(visitor, "name", "visitor.name", MAX_NAME_BYTES)?;
        let email = optional(visitor, "email", "visitor.email", MAX_EMAIL_BYTES)?;
        if let Some(email) = &email
            && !email.contains('@')
        {
            return Err("visitor.email is not an email address".into());
        }
        let text = string(&top, "text", "text")?.ok_or("text is missing")?;
        if text.trim().is_empty() {
            return Err("text is empty".into());
        }
        limit("text", text, MAX_TEXT_BYTES)?;
        let sent_at = match string(&top, "sent_at", "sent_at")? {
            None => None,
            Some(s) => Some(
                s.parse::<Timestamp>()
                    .map_err(|_| "sent_at is not an RFC 3339 time with an offset".to_owned())?,
            ),
        };
        Ok(ChatMessage {
            visitor_id,
            name,
            email,
            text: text.to_owned(),
            sent_at,
        })
    }

    /// The message as ingest takes it. A `sent_at` ahead of `now` (a shop server's clock
    /// running fast) is taken as `now`, so the conversation does not sit at the top of
    /// the queue until the clocks meet.
    #[must_use]
    pub fn into_inbound(
        self,
        inbox: &str,
        webhook_id: &str,
        raw: &[u8],
        now: Timestamp,
    ) -> Inbound {
        Inbound {
            channel: Channel::Chat,
            account: inbox.to_owned(),
            thread_key: self.visitor_id.clone(),
            external_id: webhook_id.to_owned(),
            references: Vec::new(),
            from: Contact {
                handle: self.visitor_id,
                display_name: self.name,
                email: self.email,
                phone: None,
            },
            reply_to: None,
            subject: None,
            text: self.text,
            attachments: Vec::new(),
            sent_at: self.sent_at.map_or(now, |t| t.min(now)),
            automated: false,
            raw: Some(raw.to_vec()),
        }
    }
}

/// A string field: absent and `null` are `None`; any other type is refused.
fn string<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, String> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{path} must be a string")),
    }
}

/// An optional string field, trimmed, with empty taken as absent.
fn optional(
    object: &Map<String, Value>,
    key: &str,
    path: &str,
    max: usize,
) -> Result<Option<String>, String> {
    let Some(value) = string(object, key, path)?.map(str::trim) else {
        return Ok(None);
    };
    limit(path, value, max)?;
    Ok(Some(value.to_owned()).filter(|v| !v.is_empty()))
}

fn limit(path: &str, value: &str, max: usize) -> Result<(), String> {
    if value.len() > max {
        return Err(format!("{path} is over {max} bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_full_message_and_ignores_unknown_fields() {
        let m = ChatMessage::parse(
            br#"{"visitor":{"id":" v1 ","name":"Ana","email":"ana@example.com","plan":"gold"},
                "text":"Hello","sent_at":"2026-11-23T10:00:00+01:00","page":"/cart"}"#,
        )
        .unwrap();
        assert_eq!(m.visitor_id, "v1");
        assert_eq!(m.name.as_deref(), Some("Ana"));
        assert_eq!(m.email.as_deref(), Some("ana@example.com"));
        assert_eq!(m.sent_at, Some("2026-11-23T09:00:00Z".parse().unwrap()));
    }

    #[test]
    fn each_refusal_names_its_field() {
        let long_id = format!(r#"{{"visitor":{{"id":"{}"}},"text":"x"}}"#, "v".repeat(257));
        let cases: &[(&str, &str)] = &[
            ("{", "not JSON"),
            ("[]", "JSON object"),
            (r#"{"text":"x"}"#, "visitor is missing"),
            (
                r#"{"visitor":"v1","text":"x"}"#,
                "visitor must be an object",
            ),
            (r#"{"visitor":{},"text":"x"}"#, "visitor.id is missing"),
            (
                r#"{"visitor":{"id":7},"text":"x"}"#,
                "visitor.id must be a string",
            ),
            (
                r#"{"visitor":{"id":"  "},"text":"x"}"#,
                "visitor.id is empty",
            ),
            (&long_id, "visitor.id is over 256 bytes"),
            (
                r#"{"visitor":{"id":"v","email":"nope"},"text":"x"}"#,
                "visitor.email",
            ),
            (
                r#"{"visitor":{"id":"v","name":1},"text":"x"}"#,
                "visitor.name",
            ),
            (r#"{"visitor":{"id":"v"}}"#, "text is missing"),
            (r#"{"visitor":{"id":"v"},"text":" \n"}"#, "text is empty"),
            (
                r#"{"visitor":{"id":"v"},"text":"x","sent_at":"yesterday"}"#,
                "sent_at",
            ),
            (
                r#"{"visitor":{"id":"v"},"text":"x","sent_at":"2026-11-23T10:00:00"}"#,
                "sent_at",
            ),
        ];
        for (body, reason) in cases {
            let err = ChatMessage::parse(body.as_bytes()).unwrap_err();
            assert!(err.contains(reason), "{body}: {err}");
        }
    }

    #[test]
    fn a_future_sent_at_is_taken_as_now() {
        let now: Timestamp = "2026-11-23T10:00:00Z".parse().unwrap();
        let m = ChatMessage::parse(
            br#"{"visitor":{"id":"v"},"text":"x","sent_at":"2030-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(m.into_inbound("site", "w1", b"{}", now).sent_at, now);
    }
}
