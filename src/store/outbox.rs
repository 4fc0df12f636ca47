//! The outbox rows: replies waiting, being sent, sent or failed.

use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Result, Store, StoreError, Tx, ms};
use crate::channels::{Outbound, Quote};
use crate::model::{AgentId, ConversationId, MessageId, MessageKind};

/// How long one automatic acknowledgement covers a conversation when no agent replies:
/// a customer who writes again the next day (the next time nobody is there) hears
/// it again, one who writes three times in an evening hears it once.
pub const AWAY_PERIOD: Duration = Duration::from_secs(12 * 60 * 60);

impl Store {
    /// Writes a reply: the message and its outbox row, committed together before any
    /// attempt to send, so a crash right after loses nothing. The customer stops waiting.
    ///
    /// # Errors
    /// An empty reply, an unknown conversation or agent, or a store failure.
    pub fn queue_reply(
        &mut self,
        conversation: ConversationId,
        agent: AgentId,
        text: &str,
        now: Timestamp,
    ) -> Result<MessageId> {
        if text.trim().is_empty() {
            return Err(StoreError::Invalid("an empty reply".into()));
        }
        self.write(|tx| {
            let author = tx.agent_name(agent)?;
            tx.note_reply(conversation, now, text)?;
            tx.insert_outbound(conversation, &author, Some(agent), text, false, now)
        })
    }

    /// Writes an automatic acknowledgement signed `author` (the shop, not an agent) and
    /// its outbox row, unless the conversation already had one in this away period: since
    /// the shop's last reply and within [`AWAY_PERIOD`]. It is delivered like a reply but
    /// is no answer: the customer keeps waiting and it counts in no reply figure. The
    /// check and the write are one transaction, so two messages racing get one between
    /// them. Returns the message, or `None` when one was already sent.
    ///
    /// # Errors
    /// An empty text, an unknown conversation, or a store failure.
    pub fn queue_auto_reply(
        &mut self,
        conversation: ConversationId,
        author: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<Option<MessageId>> {
        if text.trim().is_empty() {
            return Err(StoreError::Invalid("an empty acknowledgement".into()));
        }
        self.write(|tx| {
            let since = ms(now) - i64::try_from(AWAY_PERIOD.as_millis()).unwrap_or(i64::MAX / 4);
            let already: bool = tx
                .conn
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM messages m JOIN conversations c
                        ON c.id = m.conversation_id
                     WHERE m.conversation_id = ?1 AND m.kind = 'outbound' AND m.automated = 1
                       AND m.sent_at > ?2
                       AND (c.last_reply_at IS NULL OR m.sent_at > c.last_reply_at))",
                )?
                .query_row(params![conversation.0, since], |r| r.get(0))?;
            if already {
                return Ok(None);
            }
            // Counted in the thread, but neither its preview nor its wait changes: the
            // queue still shows what the customer said and how long they have waited.
            tx.note_note(conversation)?;
            tx.insert_outbound(conversation, author, None, text, true, now)
                .map(Some)
        })
    }

    /// Takes up to `limit` replies that are due (queued and their time has come, or left
    /// `sending` by a process whose lease ran out), marks them `sending` with a lease,
    /// and returns them ready for their channels.
    ///
    /// # Errors
    /// A store failure.
    pub fn claim_due(
        &mut self,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Outbound>> {
        let lease_until = ms(now) + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 4);
        self.write(|tx| {
            let ids = tx
                .conn
                .prepare_cached(
                    "SELECT message_id FROM outbox
                     WHERE (status = 'queued' AND next_attempt_at <= ?1)
                        OR (status = 'sending' AND lease_until <= ?1)
                     ORDER BY next_attempt_at, message_id LIMIT ?2",
                )?
                .query_map(params![ms(now), limit], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut claimed = Vec::with_capacity(ids.len());
            for id in ids {
                tx.conn
                    .prepare_cached(
                        "UPDATE outbox SET status = 'sending', attempts = attempts + 1,
                            lease_until = ?2, updated_at = ?3
                         WHERE message_id = ?1",
                    )?
                    .execute(params![id, lease_until, ms(now)])?;
                claimed.push(outbound(tx, MessageId(id))?);
            }
            Ok(claimed)
        })
    }

    /// Records the channel's confirmation.
    ///
    /// # Errors
    /// A store failure.
    pub fn record_sent(
        &mut self,
        message: MessageId,
        channel_message_id: &str,
        now: Timestamp,
    ) -> Result<()> {
        self.write(|tx| {
            tx.conn
                .prepare_cached(
                    "UPDATE outbox SET status = 'sent', channel_message_id = ?2, last_error = NULL,
                        lease_until = NULL, updated_at = ?3
                     WHERE message_id = ?1",
                )?
                .execute(params![message.0, channel_message_id, ms(now)])?;
            Ok(())
        })
    }

    /// Records a failed attempt: queued again for `retry_at`, or failed for good when
    /// `retry_at` is `None`.
    ///
    /// # Errors
    /// A store failure.
    pub fn record_failure(
        &mut self,
        message: MessageId,
        reason: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()> {
        self.write(|tx| {
            let (status, next) = match retry_at {
                Some(at) => ("queued", ms(at)),
                None => ("failed", ms(now)),
            };
            tx.conn
                .prepare_cached(
                    "UPDATE outbox SET status = ?2, next_attempt_at = ?3, last_error = ?4,
                        lease_until = NULL, updated_at = ?5
                     WHERE message_id = ?1",
                )?
                .execute(params![message.0, status, next, reason, ms(now)])?;
            Ok(())
        })
    }

    /// The agent's "retry": a failed reply is queued again from scratch, same key.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] if the reply is not failed, or a store failure.
    pub fn retry_reply(&mut self, message: MessageId, now: Timestamp) -> Result<()> {
        self.write(|tx| {
            let changed = tx
                .conn
                .prepare_cached(
                    "UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = ?2,
                        updated_at = ?2
                     WHERE message_id = ?1 AND status = 'failed'",
                )?
                .execute(params![message.0, ms(now)])?;
            if changed == 0 {
                return Err(StoreError::Invalid(
                    "only a failed reply can be retried".into(),
                ));
            }
            Ok(())
        })
    }

    /// Puts back in the queue every reply a dead process left `sending`. Called when an
    /// outbox starts, since only one outbox runs per store; they keep their idempotency
    /// keys, so a channel that had taken one can drop the repeat.
    ///
    /// # Errors
    /// A store failure.
    pub fn requeue_interrupted(&mut self, now: Timestamp) -> Result<usize> {
        self.write(|tx| {
            Ok(tx
                .conn
                .prepare_cached(
                    "UPDATE outbox SET status = 'queued', lease_until = NULL, next_attempt_at = ?1,
                        updated_at = ?1
                     WHERE status = 'sending'",
                )?
                .execute([ms(now)])?)
        })
    }

    /// When the next queued reply is due, if any is waiting.
    ///
    /// # Errors
    /// A store failure.
    pub fn next_due(&mut self) -> Result<Option<Timestamp>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT min(CASE status WHEN 'queued' THEN next_attempt_at ELSE lease_until END)
                 FROM outbox WHERE status IN ('queued', 'sending')",
            )?
            .query_row([], |r| r.get::<_, Option<i64>>(0))?
            .map(super::ts))
    }

    /// A reply's idempotency key.
    ///
    /// # Errors
    /// A store failure.
    pub fn idempotency_key(&mut self, message: MessageId) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT idempotency_key FROM outbox WHERE message_id = ?1")?
            .query_row([message.0], |r| r.get(0))
            .optional()?)
    }
}

/// How many of a thread's most recent message ids go in a reply's references after its
/// root, as mail clients trim a long `References` header.
const RECENT_REFERENCES: usize = 10;

/// The reply as its channel needs it: where it goes, what it answers and quotes, and the
/// thread it belongs to.
impl Tx<'_> {
    /// The outbound message and its queued outbox row, with a fresh idempotency key: the
    /// one write both a reply and an acknowledgement make.
    fn insert_outbound(
        &mut self,
        conversation: ConversationId,
        author: &str,
        agent: Option<AgentId>,
        text: &str,
        automated: bool,
        now: Timestamp,
    ) -> Result<MessageId> {
        let key = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let (channel, account) = self.conversation_channel(conversation)?;
        let id = self.insert_message(&super::NewMessage {
            conversation,
            kind: MessageKind::Outbound,
            channel,
            account: &account,
            external_id: Some(&key),
            author,
            agent,
            body: text,
            sent_at: now,
            automated,
            reply_to: None,
            now,
        })?;
        self.conn
            .prepare_cached(
                "INSERT INTO outbox (message_id, idempotency_key, status, next_attempt_at, updated_at)
                 VALUES (?1, ?2, 'queued', ?3, ?3)",
            )?
            .execute(params![id.0, key, ms(now)])?;
        Ok(id)
    }
}

fn outbound(tx: &Tx<'_>, id: MessageId) -> Result<Outbound> {
    // `i` is the customer message being answered: the newest inbound one at or before
    // the reply, found through the (conversation_id, sent_at) index.
    let row = tx
        .conn
        .prepare_cached(
            "SELECT o.idempotency_key, c.channel, c.account, c.thread_key, c.peer, c.subject,
                m.author, m.body, o.attempts, m.conversation_id, m.sent_at, cu.display_name,
                i.external_id, i.reply_to, i.author, i.body, i.sent_at, i.id
             FROM outbox o JOIN messages m ON m.id = o.message_id
             JOIN conversations c ON c.id = m.conversation_id
             JOIN customers cu ON cu.id = c.customer_id
             LEFT JOIN messages i ON i.id = (
                 SELECT q.id FROM messages q
                 WHERE q.conversation_id = m.conversation_id AND q.kind = 'inbound'
                   AND q.sent_at <= m.sent_at
                 ORDER BY q.sent_at DESC, q.id DESC LIMIT 1)
             WHERE o.message_id = ?1",
        )?
        .query_row([id.0], |r| {
            Ok(Row {
                key: r.get(0)?,
                channel: r.get(1)?,
                account: r.get(2)?,
                thread_key: r.get(3)?,
                peer: r.get(4)?,
                subject: r.get(5)?,
                author: r.get(6)?,
                text: r.get(7)?,
                attempt: r.get(8)?,
                conversation: r.get(9)?,
                sent_at: r.get(10)?,
                customer_name: r.get(11)?,
                in_reply_to: r.get(12)?,
                reply_to: r.get(13)?,
                quote_author: r.get(14)?,
                quote_text: r.get(15)?,
                quote_sent_at: r.get(16)?,
                quote_id: r.get(17)?,
            })
        })?;
    let references = references(tx, &row, id)?;
    let reply_to = row.reply_to.filter(|a| !a.trim().is_empty());
    let (to, to_name) = match reply_to {
        Some(address) => (address, None),
        None => (row.peer, row.customer_name.filter(|n| !n.trim().is_empty())),
    };
    let quote = match (row.quote_author, row.quote_text, row.quote_sent_at) {
        (Some(author), Some(text), Some(sent_at)) => Some(Quote {
            author,
            sent_at: super::ts(sent_at),
            text,
        }),
        _ => None,
    };
    Ok(Outbound {
        message_id: id,
        idempotency_key: row.key,
        channel: row
            .channel
            .parse()
            .map_err(|e: crate::model::UnknownChannel| StoreError::Corrupt(e.to_string()))?,
        account: row.account,
        thread_key: row.thread_key,
        to,
        to_name,
        subject: row.subject,
        in_reply_to: row.in_reply_to,
        references,
        quote,
        author: row.author,
        text: row.text,
        attempt: row.attempt,
    })
}

/// The columns [`outbound`] reads in its one query.
struct Row {
    key: String,
    channel: String,
    account: String,
    thread_key: String,
    peer: String,
    subject: Option<String>,
    author: String,
    text: String,
    attempt: u32,
    conversation: i64,
    sent_at: i64,
    customer_name: Option<String>,
    in_reply_to: Option<String>,
    reply_to: Option<String>,
    quote_author: Option<String>,
    quote_text: Option<String>,
    quote_sent_at: Option<i64>,
    quote_id: Option<i64>,
}

/// The thread's ids for `References`: its root when the thread key is a Message-ID, then
/// the most recent ids of the customer's messages and of our sent replies up to the
/// message answered, oldest first, without repeats, ending with that message.
fn references(tx: &Tx<'_>, row: &Row, id: MessageId) -> Result<Vec<String>> {
    let limit = i64::try_from(RECENT_REFERENCES + 2).unwrap_or(12);
    let mut recent = tx
        .conn
        .prepare_cached(
            "SELECT CASE m.kind WHEN 'inbound' THEN m.external_id ELSE o.channel_message_id END
             FROM messages m LEFT JOIN outbox o ON o.message_id = m.id
             WHERE m.conversation_id = ?1 AND m.id <> ?3 AND (m.sent_at <= ?2 OR m.id < ?4)
               AND ((m.kind = 'inbound' AND m.external_id IS NOT NULL)
                 OR (m.kind = 'outbound' AND o.status = 'sent'
                     AND o.channel_message_id IS NOT NULL))
             ORDER BY m.sent_at DESC, m.id DESC LIMIT ?5",
        )?
        .query_map(
            // What came before the message answered, by its date or by when we stored
            // it (a customer's clock may be behind ours): the rest is not its ancestry.
            params![
                row.conversation,
                row.quote_sent_at.unwrap_or(row.sent_at),
                id.0,
                row.quote_id.unwrap_or(id.0),
                limit
            ],
            |r| r.get::<_, String>(0),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    recent.reverse();
    let root = is_message_id(&row.thread_key).then(|| row.thread_key.clone());
    let mut chain: Vec<String> = Vec::with_capacity(RECENT_REFERENCES + 1);
    for candidate in recent {
        if is_message_id(&candidate)
            && root.as_ref() != Some(&candidate)
            && !chain.contains(&candidate)
            && row.in_reply_to.as_ref() != Some(&candidate)
        {
            chain.push(candidate);
        }
    }
    if let Some(parent) = row.in_reply_to.as_ref().filter(|p| is_message_id(p))
        && root.as_ref() != Some(parent)
    {
        chain.push(parent.clone());
    }
    let skip = chain.len().saturating_sub(RECENT_REFERENCES);
    Ok(root
        .into_iter()
        .chain(chain.into_iter().skip(skip))
        .collect())
}

/// `<…>`, the form of an email Message-ID (what a thread key or external id is on the
/// email channel); other channels' ids are not threaded this way.
fn is_message_id(id: &str) -> bool {
    id.len() > 2 && id.starts_with('<') && id.ends_with('>')
}
