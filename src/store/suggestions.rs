//! Link suggestions: other customers who may be the same person, each with the reasons
//! an agent can check. Computed when a customer's card is shown, never in ingest.
//!
//! A reason is an email address, a phone number or an order number that both have: one
//! holds it and the other claimed it in a form, or one of them wrote it in a message
//! (see [`super::mentions`] for what counts as a phone or order number). A customer's
//! newest [`SCANNED_MESSAGES`] messages are read for mentions; other customers' messages
//! are found through the full-text index (email addresses and order numbers; a phone
//! number written by the *other* customer in a form of their own is not searched).

use std::collections::BTreeMap;

use rusqlite::{Connection, params};

use super::Result;
use super::mentions::{self, Mentions};
use crate::model::{Channel, CustomerId};

/// How many of the customer's own newest inbound messages are read for mentions.
pub const SCANNED_MESSAGES: u32 = 500;

/// How many characters of each message are read: quoted history further down an email
/// repeats what older messages said.
const SCANNED_CHARS: usize = 20_000;

/// How many of the email addresses, of the phone numbers and of the order numbers a
/// customer mentions (the newest first) are looked up.
pub const MENTIONS_LOOKED_UP: usize = 20;

/// How many matching messages of other customers one full-text lookup reads.
const SEARCHED_MESSAGES: u32 = 200;

/// What the two customers share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shared {
    /// An email address.
    Email,
    /// A phone number.
    Phone,
    /// An order number.
    Order,
}

/// How the shared value ties them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// One of them claimed it in a form (unproven); the other holds or claimed it.
    Claim,
    /// One of them wrote it in a message.
    Message,
}

/// One reason to think two customers are one person.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reason {
    /// What kind of value.
    pub shared: Shared,
    /// The value (normalised).
    pub value: String,
    /// How it ties them.
    pub source: Source,
}

impl Reason {
    /// As the card writes it: `jeanne@example.com (claimed)`, `order 12345 (in a message)`.
    #[must_use]
    pub fn describe(&self) -> String {
        let value = match self.shared {
            Shared::Order => format!("order {}", self.value),
            _ => self.value.clone(),
        };
        match self.source {
            Source::Claim => format!("{value} (claimed)"),
            Source::Message => format!("{value} (in a message)"),
        }
    }
}

/// Another customer who may be the same person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    /// Who.
    pub customer: CustomerId,
    /// Their name, if known.
    pub name: Option<String>,
    /// The channels their conversations are on.
    pub channels: Vec<Channel>,
    /// How many conversations they have.
    pub conversations: u64,
    /// Why, each value once.
    pub reasons: Vec<Reason>,
}

impl Suggestion {
    /// As the card writes it: `Jeanne Martin (email, 3 conversations) — shared:
    /// jeanne@example.com (claimed)`. Untrusted: the caller sanitises it for the
    /// terminal.
    #[must_use]
    pub fn describe(&self) -> String {
        let name = self
            .name
            .clone()
            .unwrap_or_else(|| format!("customer {}", self.customer));
        let channels: Vec<&str> = self.channels.iter().map(|c| c.as_str()).collect();
        let plural = if self.conversations == 1 { "" } else { "s" };
        let reasons: Vec<String> = self.reasons.iter().map(Reason::describe).collect();
        let about = if channels.is_empty() {
            format!("{} conversation{plural}", self.conversations)
        } else {
            format!(
                "{}, {} conversation{plural}",
                channels.join(", "),
                self.conversations
            )
        };
        format!("{name} ({about}) — shared: {}", reasons.join(", "))
    }
}

/// The suggestions for `id`, strongest first (most reasons, then most conversations).
pub(super) fn of(conn: &Connection, id: CustomerId) -> Result<Vec<Suggestion>> {
    let mut found: BTreeMap<i64, Vec<Reason>> = BTreeMap::new();
    let mut add = |who: i64, shared: Shared, value: &str, source: Source| {
        let reasons = found.entry(who).or_default();
        if !reasons
            .iter()
            .any(|r| r.shared == shared && r.value == value)
        {
            reasons.push(Reason {
                shared,
                value: value.to_owned(),
                source,
            });
        }
    };

    // The customer's own addresses and numbers: their handles and their claims.
    let mut own: Vec<(String, String)> = conn
        .prepare_cached(
            "SELECT kind, value FROM handles WHERE customer_id = ?1 AND kind IN ('email', 'phone')
             UNION SELECT kind, value FROM customer_claims WHERE customer_id = ?1",
        )?
        .query_map([id.0], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (kind, value) in &own {
        for who in holders(conn, id, kind, value)? {
            add(who, shared_of(kind), value, Source::Claim);
        }
    }

    // What their newest messages mention.
    let mut said = Mentions::default();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT substr(m.body, 1, ?2) FROM conversations c
             JOIN messages m ON m.conversation_id = c.id
             WHERE c.customer_id = ?1 AND m.kind = 'inbound'
             ORDER BY m.sent_at DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![
                id.0,
                i64::try_from(SCANNED_CHARS).unwrap_or(i64::MAX),
                SCANNED_MESSAGES
            ],
            |r| r.get::<_, String>(0),
        )?;
        for body in rows {
            said.scan(&body?);
        }
    }
    // The newest mentions first; a customer who writes hundreds of numbers is not
    // looked up hundreds of times.
    for email in said.emails.iter().take(MENTIONS_LOOKED_UP) {
        for who in holders(conn, id, "email", email)? {
            add(who, Shared::Email, email, Source::Message);
        }
    }
    for phone in said.phones.iter().take(MENTIONS_LOOKED_UP) {
        let who = if phone.starts_with('+') {
            holders(conn, id, "phone", phone)?
        } else {
            national_holders(conn, id, phone)?
        };
        for who in who {
            add(who, Shared::Phone, phone, Source::Message);
        }
    }
    for order in said.orders.iter().take(MENTIONS_LOOKED_UP) {
        for (who, body) in search(conn, id, &format!("\"{order}\""))? {
            if mentions::orders(&body).contains(order) {
                add(who, Shared::Order, order, Source::Message);
            }
        }
    }

    // Others who wrote one of this customer's addresses in a message.
    own.retain(|(kind, _)| kind == "email");
    for (_, email) in own.iter().take(10) {
        let tokens: Vec<&str> = email
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .collect();
        if tokens.is_empty() {
            continue;
        }
        for (who, body) in search(conn, id, &format!("\"{}\"", tokens.join(" ")))? {
            if mentions::emails(&body).contains(email) {
                add(who, Shared::Email, email, Source::Message);
            }
        }
    }

    let mut out = Vec::new();
    let mut about = conn.prepare_cached(
        "SELECT cu.display_name, cu.merged_into,
                (SELECT count(*) FROM conversations c WHERE c.customer_id = cu.id),
                (SELECT group_concat(DISTINCT c.channel) FROM conversations c
                  WHERE c.customer_id = cu.id)
         FROM customers cu WHERE cu.id = ?1",
    )?;
    for (who, mut reasons) in found {
        let Ok((name, merged, conversations, channels)) = about.query_row([who], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        }) else {
            continue;
        };
        if merged.is_some() {
            continue;
        }
        let mut channels: Vec<Channel> = channels
            .unwrap_or_default()
            .split(',')
            .filter_map(|c| c.parse().ok())
            .collect();
        channels.sort();
        reasons.sort();
        out.push(Suggestion {
            customer: CustomerId(who),
            name,
            channels,
            conversations: u64::try_from(conversations).unwrap_or(0),
            reasons,
        });
    }
    out.sort_by(|a, b| {
        b.reasons
            .len()
            .cmp(&a.reasons.len())
            .then(b.conversations.cmp(&a.conversations))
            .then(a.customer.cmp(&b.customer))
    });
    Ok(out)
}

fn shared_of(kind: &str) -> Shared {
    if kind == "phone" {
        Shared::Phone
    } else {
        Shared::Email
    }
}

/// Other customers who hold `value` as a handle or claimed it.
fn holders(conn: &Connection, id: CustomerId, kind: &str, value: &str) -> Result<Vec<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT customer_id FROM handles WHERE kind = ?1 AND value = ?2 AND customer_id != ?3
             UNION SELECT customer_id FROM customer_claims
                   WHERE kind = ?1 AND value = ?2 AND customer_id != ?3",
        )?
        .query_map(params![kind, value, id.0], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Other customers whose phone number ends with these national digits (written
/// without a country code, `06 12 34 56 78`).
fn national_holders(conn: &Connection, id: CustomerId, digits: &str) -> Result<Vec<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT customer_id FROM handles
              WHERE kind = 'phone' AND substr(value, -length(?1)) = ?1 AND customer_id != ?2
             UNION SELECT customer_id FROM customer_claims
              WHERE kind = 'phone' AND substr(value, -length(?1)) = ?1 AND customer_id != ?2",
        )?
        .query_map(params![digits, id.0], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Other customers' inbound messages matching a full-text query, with their text.
fn search(conn: &Connection, id: CustomerId, query: &str) -> Result<Vec<(i64, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT c.customer_id, substr(m.body, 1, ?4) FROM messages_fts
             JOIN messages m ON m.id = messages_fts.rowid
             JOIN conversations c ON c.id = m.conversation_id
             WHERE messages_fts MATCH ?1 AND m.kind = 'inbound' AND c.customer_id != ?2
             LIMIT ?3",
        )?
        .query_map(
            params![
                query,
                id.0,
                SEARCHED_MESSAGES,
                i64::try_from(SCANNED_CHARS).unwrap_or(i64::MAX)
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .collect::<rusqlite::Result<_>>()?)
}
