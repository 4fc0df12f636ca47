//! Customers and the handles that link them across channels.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Result, Store, StoreError, Tx, conversations, ms, ts};
use crate::model::{
    Channel, Conversation, ConversationId, Customer, CustomerId, Handle, HandleKind, MessageId,
    MessageKind,
};

/// How many of a customer's newest messages the history pane loads at first; scrolling
/// up to the oldest loaded one asks for this many more.
pub const TIMELINE_PAGE: u32 = 200;

/// How much of each message's text the timeline carries: one line of it is shown.
const TIMELINE_CHARS: i64 = 400;

/// One message in a customer's timeline across channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    /// The message.
    pub message: MessageId,
    /// Its conversation, which `open` opens.
    pub conversation: ConversationId,
    /// The conversation's channel.
    pub channel: Channel,
    /// Inbound, outbound or note.
    pub kind: MessageKind,
    /// Who wrote it (untrusted).
    pub author: String,
    /// When.
    pub sent_at: Timestamp,
    /// The start of its text (untrusted).
    pub text: String,
}

/// Everything the history pane shows for one customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerHistory {
    /// The customer and their handles.
    pub customer: Customer,
    /// Every conversation of theirs on every channel, newest first.
    pub conversations: Vec<Conversation>,
    /// Their newest messages on every channel, oldest first (the newest at the bottom,
    /// as in a thread): at most the page asked for.
    pub timeline: Vec<TimelineEntry>,
    /// How many messages they have in all (notes included), so the pane can say how
    /// many older ones are not loaded.
    pub messages_total: u64,
}

impl Tx<'_> {
    /// Creates a customer.
    ///
    /// # Errors
    /// A store failure.
    pub fn create_customer(
        &mut self,
        display_name: Option<&str>,
        now: Timestamp,
    ) -> Result<CustomerId> {
        self.conn
            .prepare_cached("INSERT INTO customers (display_name, created_at) VALUES (?1, ?2)")?
            .execute(params![display_name, ms(now)])?;
        Ok(CustomerId(self.conn.last_insert_rowid()))
    }

    /// Gives a nameless customer the name a channel just told us.
    ///
    /// # Errors
    /// A store failure.
    pub fn fill_display_name(&mut self, customer: CustomerId, name: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE customers SET display_name = ?2 WHERE id = ?1 AND display_name IS NULL",
            )?
            .execute(params![customer.0, name])?;
        Ok(())
    }
}

impl Store {
    /// One customer with their handles.
    ///
    /// # Errors
    /// A store failure.
    pub fn customer(&mut self, id: CustomerId) -> Result<Option<Customer>> {
        self.read(|conn| customer(conn, id))
    }

    /// A customer's whole history across channels: what the history pane shows so that
    /// nobody has to explain their problem twice.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown customer, or a store failure.
    pub fn customer_history(&mut self, id: CustomerId) -> Result<CustomerHistory> {
        self.customer_history_page(id, TIMELINE_PAGE)
    }

    /// [`Store::customer_history`] with the timeline's newest `limit` messages: the
    /// pane pages back through a long history rather than loading it all.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown customer, or a store failure.
    pub fn customer_history_page(&mut self, id: CustomerId, limit: u32) -> Result<CustomerHistory> {
        self.read(|conn| {
            let customer = customer(conn, id)?.ok_or(StoreError::NotFound("customer"))?;
            let conversations = conversations::of_customer(conn, id)?;
            let messages_total = conversations
                .iter()
                .map(|c| u64::from(c.message_count))
                .sum();
            let timeline = timeline(conn, id, limit)?;
            Ok(CustomerHistory {
                customer,
                conversations,
                timeline,
                messages_total,
            })
        })
    }
}

pub(super) fn customer(conn: &rusqlite::Connection, id: CustomerId) -> Result<Option<Customer>> {
    let Some((display_name, created_at)) = conn
        .prepare_cached("SELECT display_name, created_at FROM customers WHERE id = ?1")?
        .query_row([id.0], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    let handles = conn
        .prepare_cached(
            "SELECT kind, value FROM handles WHERE customer_id = ?1 ORDER BY created_at, kind",
        )?
        .query_map([id.0], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .filter_map(|row| match row {
            Ok((kind, value)) => HandleKind::parse(&kind).map(|kind| Ok(Handle { kind, value })),
            Err(e) => Some(Err(e)),
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(Customer {
        id,
        display_name,
        handles,
        created_at: ts(created_at),
    }))
}

/// The customer's newest `limit` messages on every channel, returned oldest first.
fn timeline(conn: &rusqlite::Connection, id: CustomerId, limit: u32) -> Result<Vec<TimelineEntry>> {
    let mut entries = conn
        .prepare_cached(
            "WITH page AS (
                 SELECT m.id, m.sent_at FROM conversations c
                 JOIN messages m ON m.conversation_id = c.id
                 WHERE c.customer_id = ?1
                 ORDER BY m.sent_at DESC, m.id DESC LIMIT ?2)
             SELECT m.id, m.conversation_id, c.channel, m.kind, m.author, m.sent_at,
                    substr(m.body, 1, ?3)
             FROM page JOIN messages m ON m.id = page.id
             JOIN conversations c ON c.id = m.conversation_id
             ORDER BY page.sent_at DESC, page.id DESC",
        )?
        .query_map(params![id.0, limit, TIMELINE_CHARS], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
            ))
        })?
        .filter_map(|row| match row {
            Ok((m, c, channel, kind, author, at, text)) => Some(Ok(TimelineEntry {
                message: MessageId(m),
                conversation: ConversationId(c),
                channel: channel.parse().ok()?,
                kind: MessageKind::parse(&kind)?,
                author,
                sent_at: ts(at),
                text,
            })),
            Err(e) => Some(Err(e)),
        })
        .collect::<rusqlite::Result<Vec<_>>>()?;
    entries.reverse();
    Ok(entries)
}
