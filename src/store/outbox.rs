//! The outbox rows: replies waiting, being sent, sent or failed.

use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Result, Store, StoreError, Tx, ms};
use crate::channels::Outbound;
use crate::model::{AgentId, ConversationId, MessageId, MessageKind};

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
        let key = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        self.write(|tx| {
            let (channel, account) = tx.conversation_channel(conversation)?;
            let author = tx.agent_name(agent)?;
            tx.note_reply(conversation, now, text)?;
            let id = tx.insert_message(&super::NewMessage {
                conversation,
                kind: MessageKind::Outbound,
                channel,
                account: &account,
                external_id: Some(&key),
                author: &author,
                agent: Some(agent),
                body: text,
                sent_at: now,
                automated: false,
                reply_to: None,
                now,
            })?;
            tx.conn
                .prepare_cached(
                    "INSERT INTO outbox (message_id, idempotency_key, status, next_attempt_at, updated_at)
                     VALUES (?1, ?2, 'queued', ?3, ?3)",
                )?
                .execute(params![id.0, key, ms(now)])?;
            Ok(id)
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

fn outbound(tx: &Tx<'_>, id: MessageId) -> Result<Outbound> {
    let row = tx
        .conn
        .prepare_cached(
            "SELECT o.idempotency_key, c.channel, c.account, c.thread_key, c.peer, c.subject,
                (SELECT i.external_id FROM messages i
                  WHERE i.conversation_id = c.id AND i.kind = 'inbound' AND i.sent_at <= m.sent_at
                  ORDER BY i.sent_at DESC, i.id DESC LIMIT 1),
                m.author, m.body, o.attempts
             FROM outbox o JOIN messages m ON m.id = o.message_id
             JOIN conversations c ON c.id = m.conversation_id
             WHERE o.message_id = ?1",
        )?
        .query_row([id.0], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, u32>(9)?,
            ))
        })?;
    let (key, channel, account, thread_key, to, subject, in_reply_to, author, text, attempt) = row;
    Ok(Outbound {
        message_id: id,
        idempotency_key: key,
        channel: channel
            .parse()
            .map_err(|e: crate::model::UnknownChannel| StoreError::Corrupt(e.to_string()))?,
        account,
        thread_key,
        to,
        subject,
        in_reply_to,
        author,
        text,
        attempt,
    })
}
