//! Messages of every kind, their attachments and their delivery state.

use std::collections::HashMap;

use jiff::Timestamp;
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Result, Store, StoreError, Tx, ms, ts};
use crate::model::{
    AgentId, Attachment, Channel, ConversationId, CustomerId, Delivery, Message, MessageId,
    MessageKind,
};

/// What `ingest` and the outbox need to record a message.
pub(crate) struct NewMessage<'a> {
    pub conversation: ConversationId,
    pub kind: MessageKind,
    pub channel: Channel,
    pub account: &'a str,
    pub external_id: Option<&'a str>,
    pub author: &'a str,
    pub agent: Option<AgentId>,
    pub body: &'a str,
    pub sent_at: Timestamp,
    pub automated: bool,
    pub reply_to: Option<&'a str>,
    pub now: Timestamp,
}

const SELECT: &str = "SELECT m.id, m.conversation_id, m.kind, m.author, m.agent_id,
        m.external_id, m.body, m.sent_at, m.automated,
        o.status, o.attempts, o.last_error, o.channel_message_id
    FROM messages m LEFT JOIN outbox o ON o.message_id = m.id";

/// The one place a message row becomes a [`Message`] (attachments are added after).
fn from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let kind: String = r.get(2)?;
    let kind = MessageKind::parse(&kind).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            2,
            Type::Text,
            format!("message kind {kind}").into(),
        )
    })?;
    let delivery = match r.get::<_, Option<String>>(9)?.as_deref() {
        None => None,
        Some("queued") => Some(Delivery::Queued {
            attempts: r.get(10)?,
            last_error: r.get(11)?,
        }),
        Some("sending") => Some(Delivery::Sending {
            attempts: r.get(10)?,
        }),
        Some("sent") => Some(Delivery::Sent {
            channel_message_id: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
        }),
        Some(_) => Some(Delivery::Failed {
            reason: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
        }),
    };
    Ok(Message {
        id: MessageId(r.get(0)?),
        conversation_id: ConversationId(r.get(1)?),
        kind,
        author: r.get(3)?,
        agent_id: r.get::<_, Option<i64>>(4)?.map(AgentId),
        external_id: r.get(5)?,
        body: r.get(6)?,
        sent_at: ts(r.get(7)?),
        automated: r.get(8)?,
        delivery,
        attachments: Vec::new(),
    })
}

impl Tx<'_> {
    /// The message this channel account already stored under `external_id`, if any.
    ///
    /// # Errors
    /// A store failure.
    pub fn message_by_external(
        &mut self,
        channel: Channel,
        account: &str,
        external_id: &str,
    ) -> Result<Option<MessageId>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id FROM messages WHERE channel = ?1 AND account = ?2 AND external_id = ?3",
            )?
            .query_row(params![channel.as_str(), account, external_id], |r| {
                r.get(0).map(MessageId)
            })
            .optional()?)
    }

    /// Records a message; the FTS index follows by trigger.
    pub(crate) fn insert_message(&mut self, m: &NewMessage<'_>) -> Result<MessageId> {
        self.conn
            .prepare_cached(
                "INSERT INTO messages (conversation_id, kind, channel, account, external_id,
                    author, agent_id, body, sent_at, created_at, automated, reply_to)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                m.conversation.0,
                m.kind.as_str(),
                m.channel.as_str(),
                m.account,
                m.external_id,
                m.author,
                m.agent.map(|a| a.0),
                m.body,
                ms(m.sent_at),
                ms(m.now),
                m.automated,
                m.reply_to
            ])?;
        Ok(MessageId(self.conn.last_insert_rowid()))
    }

    /// Records an attachment's metadata; its bytes must already be in the blob store.
    ///
    /// # Errors
    /// A store failure.
    pub fn insert_attachment(&mut self, message: MessageId, a: &Attachment) -> Result<()> {
        let size = i64::try_from(a.size)
            .map_err(|_| StoreError::Invalid("attachment size out of range".into()))?;
        self.conn
            .prepare_cached(
                "INSERT INTO attachments (message_id, name, mime, size, sha256)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![message.0, a.name, a.mime, size, a.sha256])?;
        Ok(())
    }
}

impl Store {
    /// Every message of a conversation, oldest first, with attachments and delivery state.
    ///
    /// # Errors
    /// A store failure.
    pub fn thread(&mut self, id: ConversationId) -> Result<Vec<Message>> {
        self.read(|conn| {
            let mut messages = conn
                .prepare_cached(&format!(
                    "{SELECT} WHERE m.conversation_id = ?1 ORDER BY m.sent_at, m.id"
                ))?
                .query_map([id.0], from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut files = attachments(
                conn,
                "SELECT a.message_id, a.name, a.mime, a.size, a.sha256 FROM attachments a
                 JOIN messages m ON m.id = a.message_id WHERE m.conversation_id = ?1 ORDER BY a.id",
                id.0,
            )?;
            for m in &mut messages {
                if let Some(list) = files.remove(&m.id) {
                    m.attachments = list;
                }
            }
            Ok(messages)
        })
    }

    /// One message.
    ///
    /// # Errors
    /// A store failure.
    pub fn message(&mut self, id: MessageId) -> Result<Option<Message>> {
        self.read(|conn| {
            let Some(mut m) = conn
                .prepare_cached(&format!("{SELECT} WHERE m.id = ?1"))?
                .query_row([id.0], from_row)
                .optional()?
            else {
                return Ok(None);
            };
            m.attachments = attachments(
                conn,
                "SELECT message_id, name, mime, size, sha256 FROM attachments WHERE message_id = ?1 ORDER BY id",
                id.0,
            )?
            .remove(&id)
            .unwrap_or_default();
            Ok(Some(m))
        })
    }

    /// Writes an internal note on a conversation; it is never sent to the customer.
    ///
    /// # Errors
    /// An empty note, an unknown conversation or agent, or a store failure.
    pub fn add_note(
        &mut self,
        conversation: ConversationId,
        agent: AgentId,
        text: &str,
        now: Timestamp,
    ) -> Result<MessageId> {
        if text.trim().is_empty() {
            return Err(StoreError::Invalid("an empty note".into()));
        }
        self.write(|tx| {
            let (channel, account) = tx.conversation_channel(conversation)?;
            let author = tx.agent_name(agent)?;
            tx.note_note(conversation)?;
            tx.insert_message(&NewMessage {
                conversation,
                kind: MessageKind::Note,
                channel,
                account: &account,
                external_id: None,
                author: &author,
                agent: Some(agent),
                body: text,
                sent_at: now,
                automated: false,
                reply_to: None,
                now,
            })
        })
    }

    /// How many messages the store holds.
    ///
    /// # Errors
    /// A store failure.
    pub fn message_count(&mut self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

impl Tx<'_> {
    /// A conversation's channel and account.
    pub(crate) fn conversation_channel(&mut self, id: ConversationId) -> Result<(Channel, String)> {
        let (channel, account) = self
            .conn
            .prepare_cached("SELECT channel, account FROM conversations WHERE id = ?1")?
            .query_row([id.0], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .optional()?
            .ok_or(StoreError::NotFound("conversation"))?;
        let channel = channel
            .parse()
            .map_err(|e: crate::model::UnknownChannel| StoreError::Corrupt(e.to_string()))?;
        Ok((channel, account))
    }
}

fn attachments(
    conn: &Connection,
    sql: &str,
    key: i64,
) -> Result<HashMap<MessageId, Vec<Attachment>>> {
    let mut map: HashMap<MessageId, Vec<Attachment>> = HashMap::new();
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([key], |r| {
        Ok((
            MessageId(r.get(0)?),
            Attachment {
                name: r.get(1)?,
                mime: r.get(2)?,
                size: r.get::<_, i64>(3)?.try_into().unwrap_or(0),
                sha256: r.get(4)?,
            },
        ))
    })?;
    for row in rows {
        let (id, a) = row?;
        map.entry(id).or_default().push(a);
    }
    Ok(map)
}

/// Every message matching an export filter, in id order, attachments included.
pub(super) fn for_export(
    conn: &Connection,
    customer: Option<CustomerId>,
    since: Option<Timestamp>,
    mut each: impl FnMut(Message) -> Result<()>,
) -> Result<()> {
    let mut files = conn.prepare(
        "SELECT name, mime, size, sha256 FROM attachments WHERE message_id = ?1 ORDER BY id",
    )?;
    let mut stmt = conn.prepare(&format!(
        "{SELECT} JOIN conversations c ON c.id = m.conversation_id
         WHERE (?1 IS NULL OR c.customer_id = ?1) AND (?2 IS NULL OR m.sent_at >= ?2)
         ORDER BY m.id"
    ))?;
    let rows = stmt.query_map(params![customer.map(|c| c.0), since.map(ms)], from_row)?;
    for row in rows {
        let mut m = row?;
        m.attachments = files
            .query_map([m.id.0], |r| {
                Ok(Attachment {
                    name: r.get(0)?,
                    mime: r.get(1)?,
                    size: r.get::<_, i64>(2)?.try_into().unwrap_or(0),
                    sha256: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        each(m)?;
    }
    Ok(())
}
