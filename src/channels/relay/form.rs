//! The JSON bodies the browser routes take, checked field by field so that a 400 names
//! the field. Unknown fields are ignored (a newer widget may send more).

use serde_json::{Map, Value};

use super::message::{MAX_EMAIL_BYTES, MAX_NAME_BYTES};
use crate::ingest::MAX_TEXT_BYTES;

/// The longest `client_id` taken: a browser-made random id, not a document.
pub const MAX_CLIENT_ID_BYTES: usize = 128;

/// Who a visitor says they are (the pre-chat form); both optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contact {
    /// The name they gave.
    pub name: Option<String>,
    /// The email address they gave.
    pub email: Option<String>,
}

/// A message from the widget: `POST …/messages` or the offline form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisitorMessage {
    /// Who they say they are.
    pub contact: Contact,
    /// What they wrote.
    pub text: String,
    /// The browser's id for this message, the same on every retry of it.
    pub client_id: Option<String>,
    /// The visitor id the offline form names, to be checked against the token.
    pub visitor_id: Option<String>,
}

/// Reads `POST /chat/{name}/visitors`: an optional name and email.
///
/// # Errors
/// Why the body is refused, naming the field. An empty body is an empty object.
pub fn parse_contact(body: &[u8]) -> Result<Contact, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Contact::default());
    }
    contact(&object(body)?)
}

/// Reads a message; with `offline`, name, email and text are all required (the "leave a
/// message" form must say whom to answer).
///
/// # Errors
/// Why the body is refused, naming the field.
pub fn parse_message(body: &[u8], offline: bool) -> Result<VisitorMessage, String> {
    let top = object(body)?;
    let contact = contact(&top)?;
    if offline {
        if contact.name.is_none() {
            return Err("name is missing".into());
        }
        if contact.email.is_none() {
            return Err("email is missing".into());
        }
    }
    let text = string(&top, "text")?.ok_or("text is missing")?;
    if text.trim().is_empty() {
        return Err("text is empty".into());
    }
    limit("text", text, MAX_TEXT_BYTES)?;
    let client_id = match string(&top, "client_id")? {
        None => None,
        Some(id) => {
            let good = !id.is_empty()
                && id.len() <= MAX_CLIENT_ID_BYTES
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !good {
                return Err(format!(
                    "client_id must be 1 to {MAX_CLIENT_ID_BYTES} letters, digits, '-' or '_'"
                ));
            }
            Some(id.to_owned())
        }
    };
    let visitor_id = string(&top, "visitor_id")?.map(str::to_owned);
    Ok(VisitorMessage {
        contact,
        text: text.to_owned(),
        client_id,
        visitor_id,
    })
}

fn object(body: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(top)) => Ok(top),
        Ok(_) => Err("the body must be a JSON object".into()),
        Err(e) => Err(format!("the body is not JSON: {e}")),
    }
}

fn contact(top: &Map<String, Value>) -> Result<Contact, String> {
    let name = optional(top, "name", MAX_NAME_BYTES)?;
    let email = optional(top, "email", MAX_EMAIL_BYTES)?;
    if let Some(email) = &email
        && !email.contains('@')
    {
        return Err("email is not an email address".into());
    }
    Ok(Contact { name, email })
}

/// A string field: absent and `null` are `None`; any other type is refused.
fn string<'a>(top: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match top.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

/// An optional string field, trimmed, with empty taken as absent.
fn optional(top: &Map<String, Value>, key: &str, max: usize) -> Result<Option<String>, String> {
    let Some(value) = string(top, key)?.map(str::trim) else {
        return Ok(None);
    };
    limit(key, value, max)?;
    Ok(Some(value.to_owned()).filter(|v| !v.is_empty()))
}

fn limit(key: &str, value: &str, max: usize) -> Result<(), String> {
    if value.len() > max {
        return Err(format!("{key} is over {max} bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_message_with_its_contact_and_client_id() {
        let m = parse_message(
            br#"{"text":"Hi","name":" Ana ","email":"ana@example.com","client_id":"c-1_x","page":"/"}"#,
            false,
        )
        .unwrap();
        assert_eq!(m.text, "Hi");
        assert_eq!(m.contact.name.as_deref(), Some("Ana"));
        assert_eq!(m.client_id.as_deref(), Some("c-1_x"));
        assert_eq!(parse_contact(b"").unwrap(), Contact::default());
    }

    #[test]
    fn each_refusal_names_its_field() {
        let long_client = format!(r#"{{"text":"x","client_id":"{}"}}"#, "c".repeat(129));
        let cases: &[(&str, bool, &str)] = &[
            ("{", false, "not JSON"),
            ("[]", false, "JSON object"),
            ("{}", false, "text is missing"),
            (r#"{"text":"  "}"#, false, "text is empty"),
            (r#"{"text":1}"#, false, "text must be a string"),
            (r#"{"text":"x","email":"nope"}"#, false, "email"),
            (r#"{"text":"x","client_id":"a b"}"#, false, "client_id"),
            (&long_client, false, "client_id"),
            (r#"{"text":"x","email":"a@b"}"#, true, "name is missing"),
            (r#"{"text":"x","name":"A"}"#, true, "email is missing"),
        ];
        for (body, offline, reason) in cases {
            let err = parse_message(body.as_bytes(), *offline).unwrap_err();
            assert!(err.contains(reason), "{body}: {err}");
        }
        assert!(
            parse_contact(br#"{"name":5}"#)
                .unwrap_err()
                .contains("name")
        );
    }
}
