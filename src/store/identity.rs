//! Customer identity, reversible and explained: how ingest tells a channel's own sender
//! from what a sender merely claims, `:link` / `:unlink` with a kept log of exactly what
//! moved, and the customer card (tags, notes, counts, suggestions).
//!
//! Nothing here merges two customers behind the agent's back. A sender is found by the
//! channel's own id only; an email or phone number given in a form is a claim: linked
//! as a (claimed) handle when nobody holds it, recorded either way, and turned into a
//! suggestion when it meets someone else. A link is one transaction that logs every
//! handle, claim, conversation, note and tag it moved; its undo puts those back, and
//! what arrived after the link (a new conversation, a new note) stays with the survivor.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::suggestions::{self, Suggestion};
use super::{Result, Store, StoreError, Tx, customers, ms, ts};
use crate::model::{AgentId, Channel, Customer, CustomerId, Handle, HandleKind};

/// Separates a handle's kind from its value in a link's log key.
const US: char = '\u{1f}';

/// Something a sender said about themselves (a chat's pre-chat email), unproven.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    /// The claimed handle.
    pub handle: Handle,
    /// The channel it was given on.
    pub channel: Channel,
    /// When it was first given.
    pub at: Timestamp,
}

/// A note the team keeps on a customer (not on one conversation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerNote {
    /// Row id.
    pub id: i64,
    /// Who wrote it, if that agent still exists.
    pub agent: Option<String>,
    /// The text (untrusted only in that agents typed it; sanitised when drawn).
    pub body: String,
    /// When.
    pub at: Timestamp,
}

/// One entry of the kept link log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkRecord {
    /// The link's id, which `:unlink ID` takes.
    pub id: i64,
    /// The customer that was kept.
    pub survivor: CustomerId,
    /// The customer linked into it (its row is kept, marked merged).
    pub merged: CustomerId,
    /// The agent who linked them.
    pub agent: Option<String>,
    /// When.
    pub at: Timestamp,
    /// When it was undone, if it was.
    pub undone_at: Option<Timestamp>,
    /// How many handles, claims, conversations, notes and tags it moved.
    pub moved: usize,
}

/// Everything the customer card shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerCard {
    /// The customer and their handles.
    pub customer: Customer,
    /// Set when an agent linked this customer into another one.
    pub merged_into: Option<CustomerId>,
    /// Which of the handles are claims nobody proved.
    pub claimed: Vec<Handle>,
    /// Contact details they gave that belong to someone else or were not linked.
    pub claims: Vec<Claim>,
    /// Free tags.
    pub tags: Vec<String>,
    /// The team's notes on them, newest first.
    pub notes: Vec<CustomerNote>,
    /// When we first heard of them.
    pub first_seen: Timestamp,
    /// Their newest message of any kind, if any.
    pub last_contact: Option<Timestamp>,
    /// How many conversations they have.
    pub conversations: u64,
    /// Messages (notes left out) per channel, busiest first.
    pub messages_per_channel: Vec<(Channel, u64)>,
    /// Other customers who may be the same person, with the reasons.
    pub suggestions: Vec<Suggestion>,
    /// The links this customer took part in, newest first.
    pub links: Vec<LinkRecord>,
}

/// A change to a customer's identity, as the TUI asks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityChange {
    /// Link `merged` into `survivor`.
    Link {
        /// The record that is kept.
        survivor: CustomerId,
        /// The record linked into it.
        merged: CustomerId,
    },
    /// Undo a link: `link`, else the newest one `customer` survived.
    Unlink {
        /// Whose newest link.
        customer: CustomerId,
        /// Which link, by id.
        link: Option<i64>,
    },
    /// Add a tag.
    Tag {
        /// To whom.
        customer: CustomerId,
        /// The tag.
        tag: String,
    },
    /// Remove a tag.
    Untag {
        /// From whom.
        customer: CustomerId,
        /// The tag.
        tag: String,
    },
    /// Add a note.
    Note {
        /// On whom.
        customer: CustomerId,
        /// The text.
        text: String,
    },
    /// Set the display name.
    Rename {
        /// Whom.
        customer: CustomerId,
        /// The new name.
        name: String,
    },
}

impl Tx<'_> {
    /// The customer a message's sender is, by the channel's own id `handles[0]`; the
    /// rest of `handles` are contact details the sender gave, recorded as claims and
    /// never used to find the customer. A new sender becomes a new customer, except an
    /// email that answers our email copy of a chat reply: that round trip proves the
    /// address, so it belongs to the chat's customer. A sender whose id was only
    /// claimed by someone takes that handle over; the claimant keeps the claim, which
    /// the card shows as a suggestion.
    ///
    /// # Errors
    /// No sender handle, or a store failure.
    pub fn customer_for_sender(
        &mut self,
        channel: Channel,
        handles: &[Handle],
        name: Option<&str>,
        references: &[String],
        now: Timestamp,
    ) -> Result<CustomerId> {
        let Some((sender, claims)) = handles.split_first() else {
            return Err(StoreError::Invalid("a message without a sender".into()));
        };
        let row: Option<(i64, bool)> = self
            .conn
            .prepare_cached(
                "SELECT customer_id, claimed FROM handles WHERE kind = ?1 AND value = ?2",
            )?
            .query_row(params![sender.kind.as_str(), sender.value], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let customer = if let Some((id, false)) = row {
            let id = CustomerId(id);
            if let Some(name) = name {
                self.fill_display_name(id, name)?;
            }
            id
        } else {
            let proven = if channel == Channel::Email && !references.is_empty() {
                self.customer_by_follow_up(references)?
            } else {
                None
            };
            let id = match proven {
                Some(id) => {
                    if let Some(name) = name {
                        self.fill_display_name(id, name)?;
                    }
                    id
                }
                None => self.create_customer(name, now)?,
            };
            if row.is_some() {
                self.conn
                    .prepare_cached(
                        "UPDATE handles SET customer_id = ?3, claimed = 0
                         WHERE kind = ?1 AND value = ?2",
                    )?
                    .execute(params![sender.kind.as_str(), sender.value, id.0])?;
            } else {
                self.conn
                    .prepare_cached(
                        "INSERT INTO handles (kind, value, customer_id, created_at)
                         VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![sender.kind.as_str(), sender.value, id.0, ms(now)])?;
            }
            id
        };
        self.record_claims(customer, channel, claims, now)?;
        Ok(customer)
    }

    /// Records contact details a sender gave: each becomes a claimed handle of theirs
    /// when nobody holds it yet, and a claim row either way.
    fn record_claims(
        &mut self,
        customer: CustomerId,
        channel: Channel,
        claims: &[Handle],
        now: Timestamp,
    ) -> Result<()> {
        if claims.is_empty() {
            return Ok(());
        }
        let mut handle = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO handles (kind, value, customer_id, created_at, claimed)
             VALUES (?1, ?2, ?3, ?4, 1)",
        )?;
        let mut claim = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO customer_claims (customer_id, kind, value, channel, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for h in claims {
            handle.execute(params![h.kind.as_str(), h.value, customer.0, ms(now)])?;
            claim.execute(params![
                customer.0,
                h.kind.as_str(),
                h.value,
                channel.as_str(),
                ms(now)
            ])?;
        }
        Ok(())
    }

    /// The customer of the chat conversation an email copy among `message_ids` belongs
    /// to (newest reference first).
    fn customer_by_follow_up(&mut self, message_ids: &[String]) -> Result<Option<CustomerId>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.customer_id FROM continuity f
             JOIN conversations c ON c.id = f.conversation_id
             WHERE f.message_id = ?1",
        )?;
        for id in message_ids.iter().rev() {
            if let Some(c) = stmt.query_row([id], |r| r.get(0)).optional()? {
                return Ok(Some(CustomerId(c)));
            }
        }
        Ok(None)
    }

    fn link(
        &mut self,
        survivor: CustomerId,
        merged: CustomerId,
        agent: Option<AgentId>,
        now: Timestamp,
    ) -> Result<i64> {
        if survivor == merged {
            return Err(StoreError::Invalid(
                "a customer cannot be linked with itself".into(),
            ));
        }
        let s = state(self.conn, survivor)?;
        let m = state(self.conn, merged)?;
        for (id, st) in [(survivor, &s), (merged, &m)] {
            if let Some(into) = st.merged_into {
                return Err(StoreError::Invalid(format!(
                    "customer {id} is already linked into customer {into}"
                )));
            }
        }
        let named = s.name.is_none() && m.name.is_some();
        self.conn
            .prepare_cached(
                "INSERT INTO customer_links (survivor_id, merged_id, agent_id, at, named)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                survivor.0,
                merged.0,
                agent.map(|a| a.0),
                ms(now),
                named
            ])?;
        let link = self.conn.last_insert_rowid();
        let c = self.conn;
        let mut log = c.prepare_cached(
            "INSERT INTO customer_link_moves (link_id, what, key) VALUES (?1, ?2, ?3)",
        )?;
        // Claims and tags the survivor already has stay on the merged row: nothing to
        // move, nothing to put back.
        let moves: [(&str, &str, &str); 5] = [
            (
                "handle",
                "SELECT kind || char(31) || value FROM handles WHERE customer_id = ?1",
                "UPDATE handles SET customer_id = ?2 WHERE customer_id = ?1",
            ),
            (
                "claim",
                "SELECT kind || char(31) || value FROM customer_claims m WHERE customer_id = ?1
                 AND NOT EXISTS (SELECT 1 FROM customer_claims s WHERE s.customer_id = ?2
                                 AND s.kind = m.kind AND s.value = m.value)",
                "UPDATE OR IGNORE customer_claims SET customer_id = ?2 WHERE customer_id = ?1",
            ),
            (
                "conversation",
                "SELECT id FROM conversations WHERE customer_id = ?1",
                "UPDATE conversations SET customer_id = ?2 WHERE customer_id = ?1",
            ),
            (
                "note",
                "SELECT id FROM customer_notes WHERE customer_id = ?1",
                "UPDATE customer_notes SET customer_id = ?2 WHERE customer_id = ?1",
            ),
            (
                "tag",
                "SELECT tag FROM customer_tags m WHERE customer_id = ?1
                 AND NOT EXISTS (SELECT 1 FROM customer_tags s WHERE s.customer_id = ?2
                                 AND s.tag = m.tag)",
                "UPDATE OR IGNORE customer_tags SET customer_id = ?2 WHERE customer_id = ?1",
            ),
        ];
        for (what, select, update) in moves {
            let mut stmt = c.prepare_cached(select)?;
            // Only the claim and tag queries look at the survivor's rows.
            let both = [merged.0, survivor.0];
            let args = &both[..stmt.parameter_count()];
            let keys: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(args), |r| {
                    r.get::<_, rusqlite::types::Value>(0).map(|v| match v {
                        rusqlite::types::Value::Integer(i) => i.to_string(),
                        rusqlite::types::Value::Text(t) => t,
                        other => format!("{other:?}"),
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            for key in &keys {
                log.execute(params![link, what, key])?;
            }
            c.prepare_cached(update)?
                .execute(params![merged.0, survivor.0])?;
        }
        if named {
            c.prepare_cached("UPDATE customers SET display_name = ?2 WHERE id = ?1")?
                .execute(params![survivor.0, m.name])?;
        }
        c.prepare_cached("UPDATE customers SET merged_into = ?2 WHERE id = ?1")?
            .execute(params![merged.0, survivor.0])?;
        Ok(link)
    }

    fn unlink(&mut self, link: i64, now: Timestamp) -> Result<LinkRecord> {
        let c = self.conn;
        let Some((survivor, merged, undone, named)) = c
            .prepare_cached(
                "SELECT survivor_id, merged_id, undone_at, named FROM customer_links WHERE id = ?1",
            )?
            .query_row([link], |r| {
                Ok((
                    CustomerId(r.get(0)?),
                    CustomerId(r.get(1)?),
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, bool>(3)?,
                ))
            })
            .optional()?
        else {
            return Err(StoreError::Invalid(format!("no link {link} in the log")));
        };
        if undone.is_some() {
            return Err(StoreError::Invalid(format!(
                "link {link} was undone already"
            )));
        }
        if let Some(into) = state(c, survivor)?.merged_into {
            return Err(StoreError::Invalid(format!(
                "customer {survivor} was linked into customer {into} since; undo that link first"
            )));
        }
        let moves: Vec<(String, String)> = c
            .prepare_cached("SELECT what, key FROM customer_link_moves WHERE link_id = ?1")?
            .query_map([link], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (what, key) in &moves {
            let pair = key.split_once(US).unwrap_or((key.as_str(), ""));
            match what.as_str() {
                "handle" => c
                    .prepare_cached(
                        "UPDATE handles SET customer_id = ?3
                         WHERE kind = ?1 AND value = ?2 AND customer_id = ?4",
                    )?
                    .execute(params![pair.0, pair.1, merged.0, survivor.0])?,
                "claim" => c
                    .prepare_cached(
                        "UPDATE OR IGNORE customer_claims SET customer_id = ?3
                         WHERE kind = ?1 AND value = ?2 AND customer_id = ?4",
                    )?
                    .execute(params![pair.0, pair.1, merged.0, survivor.0])?,
                "conversation" => c
                    .prepare_cached(
                        "UPDATE conversations SET customer_id = ?2 WHERE id = ?1 AND customer_id = ?3",
                    )?
                    .execute(params![row_id(key)?, merged.0, survivor.0])?,
                "note" => c
                    .prepare_cached(
                        "UPDATE customer_notes SET customer_id = ?2 WHERE id = ?1 AND customer_id = ?3",
                    )?
                    .execute(params![row_id(key)?, merged.0, survivor.0])?,
                "tag" => {
                    c.prepare_cached(
                        "DELETE FROM customer_tags WHERE customer_id = ?1 AND tag = ?2",
                    )?
                    .execute(params![survivor.0, key])?;
                    c.prepare_cached(
                        "INSERT OR IGNORE INTO customer_tags (customer_id, tag) VALUES (?1, ?2)",
                    )?
                    .execute(params![merged.0, key])?
                }
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "link {link} logs an unknown move {other:?}"
                    )));
                }
            };
        }
        if named {
            // Only if nobody renamed the survivor since.
            c.prepare_cached(
                "UPDATE customers SET display_name = NULL WHERE id = ?1
                 AND display_name IS (SELECT display_name FROM customers WHERE id = ?2)",
            )?
            .execute(params![survivor.0, merged.0])?;
        }
        c.prepare_cached("UPDATE customers SET merged_into = NULL WHERE id = ?1")?
            .execute([merged.0])?;
        c.prepare_cached("UPDATE customer_links SET undone_at = ?2 WHERE id = ?1")?
            .execute(params![link, ms(now)])?;
        Ok(LinkRecord {
            id: link,
            survivor,
            merged,
            agent: None,
            at: now,
            undone_at: Some(now),
            moved: moves.len(),
        })
    }
}

fn row_id(key: &str) -> Result<i64> {
    key.parse()
        .map_err(|_| StoreError::Corrupt(format!("a link log names row {key:?}")))
}

struct State {
    name: Option<String>,
    merged_into: Option<CustomerId>,
}

fn state(conn: &Connection, id: CustomerId) -> Result<State> {
    conn.prepare_cached("SELECT display_name, merged_into FROM customers WHERE id = ?1")?
        .query_row([id.0], |r| {
            Ok(State {
                name: r.get(0)?,
                merged_into: r.get::<_, Option<i64>>(1)?.map(CustomerId),
            })
        })
        .optional()?
        .ok_or_else(|| StoreError::Invalid(format!("no customer {id}")))
}

impl Store {
    /// Links `merged` into `survivor` in one transaction: handles, claims,
    /// conversations, notes and tags move to the survivor, the log records exactly
    /// which, and the merged customer's row is kept (marked merged). Returns the link's
    /// id for [`Store::unlink`].
    ///
    /// # Errors
    /// Linking a customer with itself, an unknown customer, one already linked into
    /// another, or a store failure; nothing changes then.
    pub fn link(
        &mut self,
        survivor: CustomerId,
        merged: CustomerId,
        agent: Option<AgentId>,
        now: Timestamp,
    ) -> Result<i64> {
        self.write(|tx| tx.link(survivor, merged, agent, now))
    }

    /// Undoes link `link` from the log in one transaction: what it moved goes back to
    /// the merged customer; what reached the survivor after the link stays.
    ///
    /// # Errors
    /// An unknown or already undone link, a survivor linked into someone else since
    /// (undo that first), or a store failure; nothing changes then.
    pub fn unlink(&mut self, link: i64, now: Timestamp) -> Result<LinkRecord> {
        self.write(|tx| tx.unlink(link, now))
    }

    /// Undoes the newest link `customer` survived (or, for a merged customer, the link
    /// that merged it).
    ///
    /// # Errors
    /// No such link, or as [`Store::unlink`].
    pub fn unlink_last(&mut self, customer: CustomerId, now: Timestamp) -> Result<LinkRecord> {
        self.write(|tx| {
            let link: Option<i64> = tx
                .conn
                .prepare_cached(
                    "SELECT id FROM customer_links
                     WHERE (survivor_id = ?1 OR merged_id = ?1) AND undone_at IS NULL
                     ORDER BY (survivor_id = ?1) DESC, id DESC LIMIT 1",
                )?
                .query_row([customer.0], |r| r.get(0))
                .optional()?;
            let link = link.ok_or_else(|| {
                StoreError::Invalid(format!("customer {customer} has no link to undo"))
            })?;
            tx.unlink(link, now)
        })
    }

    /// Adds a tag (trimmed; adding it twice changes nothing).
    ///
    /// # Errors
    /// An empty tag, an unknown customer, or a store failure.
    pub fn tag_customer(&mut self, customer: CustomerId, tag: &str) -> Result<()> {
        let tag = tag.trim();
        if tag.is_empty() {
            return Err(StoreError::Invalid("a tag needs a name".into()));
        }
        self.write(|tx| {
            state(tx.conn, customer)?;
            tx.conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO customer_tags (customer_id, tag) VALUES (?1, ?2)",
                )?
                .execute(params![customer.0, tag])?;
            Ok(())
        })
    }

    /// Removes a tag; whether the customer had it.
    ///
    /// # Errors
    /// A store failure.
    pub fn untag_customer(&mut self, customer: CustomerId, tag: &str) -> Result<bool> {
        self.write(|tx| {
            Ok(tx
                .conn
                .prepare_cached("DELETE FROM customer_tags WHERE customer_id = ?1 AND tag = ?2")?
                .execute(params![customer.0, tag.trim()])?
                > 0)
        })
    }

    /// Adds a note on the customer.
    ///
    /// # Errors
    /// An empty note, an unknown customer, or a store failure.
    pub fn add_customer_note(
        &mut self,
        customer: CustomerId,
        agent: Option<AgentId>,
        body: &str,
        now: Timestamp,
    ) -> Result<i64> {
        let body = body.trim();
        if body.is_empty() {
            return Err(StoreError::Invalid("the note is empty".into()));
        }
        self.write(|tx| {
            state(tx.conn, customer)?;
            tx.conn
                .prepare_cached(
                    "INSERT INTO customer_notes (customer_id, agent_id, body, created_at)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![customer.0, agent.map(|a| a.0), body, ms(now)])?;
            Ok(tx.conn.last_insert_rowid())
        })
    }

    /// Sets the customer's display name (trimmed).
    ///
    /// # Errors
    /// An empty name, an unknown customer, or a store failure.
    pub fn rename_customer(&mut self, customer: CustomerId, name: &str) -> Result<()> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("the name is empty".into()));
        }
        self.write(|tx| {
            let n = tx
                .conn
                .prepare_cached("UPDATE customers SET display_name = ?2 WHERE id = ?1")?
                .execute(params![customer.0, name])?;
            if n == 0 {
                return Err(StoreError::Invalid(format!("no customer {customer}")));
            }
            Ok(())
        })
    }

    /// Carries out one change the TUI asked for; the notice to show the agent.
    ///
    /// # Errors
    /// As the store call it makes.
    pub fn change_identity(
        &mut self,
        change: &IdentityChange,
        agent: AgentId,
        now: Timestamp,
    ) -> Result<String> {
        Ok(match change {
            IdentityChange::Link { survivor, merged } => {
                let link = self.link(*survivor, *merged, Some(agent), now)?;
                format!(
                    "Customer {merged} linked into customer {survivor} (:unlink {link} undoes it)"
                )
            }
            IdentityChange::Unlink { customer, link } => {
                let done = match link {
                    Some(l) => self.unlink(*l, now)?,
                    None => self.unlink_last(*customer, now)?,
                };
                format!(
                    "Link {} undone: customer {} is on their own again; what came after the link stays with customer {}",
                    done.id, done.merged, done.survivor
                )
            }
            IdentityChange::Tag { customer, tag } => {
                self.tag_customer(*customer, tag)?;
                format!("Tagged {}", tag.trim())
            }
            IdentityChange::Untag { customer, tag } => {
                if self.untag_customer(*customer, tag)? {
                    format!("Tag {} removed", tag.trim())
                } else {
                    format!("No tag {} here", tag.trim())
                }
            }
            IdentityChange::Note { customer, text } => {
                self.add_customer_note(*customer, Some(agent), text, now)?;
                "Note added to the customer".to_owned()
            }
            IdentityChange::Rename { customer, name } => {
                self.rename_customer(*customer, name)?;
                format!("Renamed {}", name.trim())
            }
        })
    }

    /// The customer card: who they are, what the team knows, counts, suggestions and
    /// the link log.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown customer, or a store failure.
    pub fn customer_card(&mut self, id: CustomerId) -> Result<CustomerCard> {
        self.read(|conn| card(conn, id))
    }

    /// Other customers who may be the same person as `id`, with the reasons.
    ///
    /// # Errors
    /// A store failure.
    pub fn suggestions(&mut self, id: CustomerId) -> Result<Vec<Suggestion>> {
        self.read(|conn| suggestions::of(conn, id))
    }

    /// The whole link log of `id` (as survivor or merged), newest first.
    ///
    /// # Errors
    /// A store failure.
    pub fn links_of(&mut self, id: CustomerId) -> Result<Vec<LinkRecord>> {
        self.read(|conn| links(conn, id))
    }
}

fn card(conn: &Connection, id: CustomerId) -> Result<CustomerCard> {
    let customer = customers::customer(conn, id)?.ok_or(StoreError::NotFound("customer"))?;
    let merged_into = state(conn, id)?.merged_into;
    let claimed = conn
        .prepare_cached("SELECT kind, value FROM handles WHERE customer_id = ?1 AND claimed = 1")?
        .query_map([id.0], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .filter_map(|row| match row {
            Ok((k, value)) => HandleKind::parse(&k).map(|kind| Ok(Handle { kind, value })),
            Err(e) => Some(Err(e)),
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let claims = conn
        .prepare_cached(
            "SELECT kind, value, channel, created_at FROM customer_claims
             WHERE customer_id = ?1 ORDER BY created_at, kind, value",
        )?
        .query_map([id.0], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?
        .filter_map(|row| match row {
            Ok((k, value, ch, at)) => Some(Ok(Claim {
                handle: Handle {
                    kind: HandleKind::parse(&k)?,
                    value,
                },
                channel: ch.parse().ok()?,
                at: ts(at),
            })),
            Err(e) => Some(Err(e)),
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let tags = conn
        .prepare_cached("SELECT tag FROM customer_tags WHERE customer_id = ?1 ORDER BY tag")?
        .query_map([id.0], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    let notes = conn
        .prepare_cached(
            "SELECT n.id, a.name, n.body, n.created_at FROM customer_notes n
             LEFT JOIN agents a ON a.id = n.agent_id
             WHERE n.customer_id = ?1 ORDER BY n.created_at DESC, n.id DESC",
        )?
        .query_map([id.0], |r| {
            Ok(CustomerNote {
                id: r.get(0)?,
                agent: r.get(1)?,
                body: r.get(2)?,
                at: ts(r.get(3)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let (conversations, first, last): (i64, Option<i64>, Option<i64>) = conn
        .prepare_cached(
            "SELECT count(*), min(created_at), max(last_message_at) FROM conversations
             WHERE customer_id = ?1",
        )?
        .query_row([id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let mut messages_per_channel: Vec<(Channel, u64)> = conn
        .prepare_cached(
            "SELECT c.channel, count(*) FROM conversations c
             JOIN messages m ON m.conversation_id = c.id
             WHERE c.customer_id = ?1 AND m.kind != 'note' GROUP BY c.channel",
        )?
        .query_map([id.0], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?
        .filter_map(|row| match row {
            Ok((ch, n)) => Some(Ok((ch.parse().ok()?, u64::try_from(n).unwrap_or(0)))),
            Err(e) => Some(Err(e)),
        })
        .collect::<rusqlite::Result<_>>()?;
    messages_per_channel.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let first_seen = first
        .map(ts)
        .map_or(customer.created_at, |f| f.min(customer.created_at));
    let suggestions = if merged_into.is_some() {
        Vec::new()
    } else {
        suggestions::of(conn, id)?
    };
    Ok(CustomerCard {
        merged_into,
        claimed,
        claims,
        tags,
        notes,
        first_seen,
        last_contact: last.map(ts),
        conversations: u64::try_from(conversations).unwrap_or(0),
        messages_per_channel,
        suggestions,
        links: links(conn, id)?,
        customer,
    })
}

fn links(conn: &Connection, id: CustomerId) -> Result<Vec<LinkRecord>> {
    Ok(conn
        .prepare_cached(
            "SELECT l.id, l.survivor_id, l.merged_id, a.name, l.at, l.undone_at,
                    (SELECT count(*) FROM customer_link_moves m WHERE m.link_id = l.id)
             FROM customer_links l LEFT JOIN agents a ON a.id = l.agent_id
             WHERE l.survivor_id = ?1 OR l.merged_id = ?1 ORDER BY l.id DESC",
        )?
        .query_map([id.0], |r| {
            Ok(LinkRecord {
                id: r.get(0)?,
                survivor: CustomerId(r.get(1)?),
                merged: CustomerId(r.get(2)?),
                agent: r.get(3)?,
                at: ts(r.get(4)?),
                undone_at: r.get::<_, Option<i64>>(5)?.map(ts),
                moved: r.get::<_, i64>(6)?.try_into().unwrap_or(0),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}
