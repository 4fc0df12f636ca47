//! Conversations: the queue, its counts, status changes, assignment and labels.

use jiff::Timestamp;
use rusqlite::types::{ToSql, Type};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Result, Store, StoreError, Tx, ms, ts};
use crate::model::{
    AgentId, Channel, Conversation, ConversationId, CustomerId, Status, StatusName,
};

/// Which conversations a queue page shows. Pages are sorted longest-waiting first, then
/// most recent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueFilter {
    /// Only these statuses; empty means every status.
    pub statuses: Vec<StatusName>,
    /// Only this channel.
    pub channel: Option<Channel>,
    /// Only conversations assigned to this agent.
    pub assignee: Option<AgentId>,
    /// Only conversations whose customer waits for an answer.
    pub unanswered: bool,
    /// Rows to skip.
    pub offset: u32,
    /// Rows to return at most.
    pub limit: u32,
}

impl Default for QueueFilter {
    fn default() -> Self {
        QueueFilter {
            statuses: vec![StatusName::Open],
            channel: None,
            assignee: None,
            unanswered: false,
            offset: 0,
            limit: 100,
        }
    }
}

/// The figures of the status line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Conversations waiting for the shop.
    pub open: u64,
    /// Conversations waiting for the customer.
    pub pending: u64,
    /// Conversations hidden until later.
    pub snoozed: u64,
    /// Open or pending conversations whose customer's last message has no answer.
    pub unanswered: u64,
    /// When the longest-waiting of those started waiting.
    pub oldest_waiting: Option<Timestamp>,
}

/// What `ingest` needs to open a conversation.
pub(crate) struct NewConversation<'a> {
    pub channel: Channel,
    pub account: &'a str,
    pub thread_key: &'a str,
    pub customer: CustomerId,
    pub peer: &'a str,
    pub subject: Option<&'a str>,
    /// The subject reduced for threading (see `Tx::conversation_by_subject`).
    pub subject_key: Option<&'a str>,
    /// When its first message was written: the queue orders by it, not by when we
    /// happened to receive it (a first sync brings in old mail).
    pub first_message_at: Timestamp,
    pub now: Timestamp,
}

const SELECT: &str = "SELECT c.id, c.channel, c.account, c.thread_key, c.customer_id,
        cu.display_name, c.peer, c.subject, c.status, c.snoozed_until, c.assignee_id,
        c.created_at, c.last_message_at, c.waiting_since, c.preview, c.message_count,
        (SELECT group_concat(label, char(31)) FROM conversation_labels l
          WHERE l.conversation_id = c.id)
    FROM conversations c JOIN customers cu ON cu.id = c.customer_id";

/// The one place a conversation row becomes a [`Conversation`].
fn from_row(r: &Row<'_>) -> rusqlite::Result<Conversation> {
    let channel: String = r.get(1)?;
    let channel = channel
        .parse::<Channel>()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, Type::Text, Box::new(e)))?;
    let status_name: String = r.get(8)?;
    let status = match status_name.as_str() {
        "pending" => Status::Pending,
        "resolved" => Status::Resolved,
        "snoozed" => Status::Snoozed {
            until: ts(r.get::<_, Option<i64>>(9)?.unwrap_or(0)),
        },
        _ => Status::Open,
    };
    let labels: Option<String> = r.get(16)?;
    Ok(Conversation {
        id: ConversationId(r.get(0)?),
        channel,
        account: r.get(2)?,
        thread_key: r.get(3)?,
        customer_id: CustomerId(r.get(4)?),
        customer_name: r.get(5)?,
        peer: r.get(6)?,
        subject: r.get(7)?,
        status,
        assignee: r.get::<_, Option<i64>>(10)?.map(AgentId),
        labels: labels
            .map(|l| l.split('\u{1f}').map(str::to_owned).collect())
            .unwrap_or_default(),
        created_at: ts(r.get(11)?),
        last_message_at: ts(r.get(12)?),
        waiting_since: r.get::<_, Option<i64>>(13)?.map(ts),
        preview: r.get(14)?,
        message_count: r.get(15)?,
    })
}

impl Tx<'_> {
    /// The conversation that already holds this thread key, with its status.
    ///
    /// # Errors
    /// A store failure.
    pub fn conversation_by_thread(
        &mut self,
        channel: Channel,
        account: &str,
        thread_key: &str,
    ) -> Result<Option<(ConversationId, StatusName)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, status FROM conversations
                 WHERE channel = ?1 AND account = ?2 AND thread_key = ?3",
            )?
            .query_row(
                params![channel.as_str(), account, thread_key],
                id_and_status,
            )
            .optional()?)
    }

    /// The conversation of the newest message among `external_ids` on this account.
    ///
    /// # Errors
    /// A store failure.
    pub fn conversation_by_references(
        &mut self,
        channel: Channel,
        account: &str,
        external_ids: &[String],
    ) -> Result<Option<(ConversationId, StatusName)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.status FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.channel = ?1 AND m.account = ?2 AND m.external_id = ?3",
        )?;
        for id in external_ids.iter().rev() {
            if let Some(found) = stmt
                .query_row(params![channel.as_str(), account, id], id_and_status)
                .optional()?
            {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// The most recent conversation with `peer` on this account whose subject reduces to
    /// `subject_key` and which had a message at or after `since`: the thread of a reply
    /// whose mail client dropped `In-Reply-To` and `References`.
    ///
    /// # Errors
    /// A store failure.
    pub fn conversation_by_subject(
        &mut self,
        channel: Channel,
        account: &str,
        peer: &str,
        subject_key: &str,
        since: Timestamp,
    ) -> Result<Option<(ConversationId, StatusName)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, status FROM conversations
                 WHERE channel = ?1 AND account = ?2 AND peer = ?3 AND subject_key = ?4
                   AND last_message_at >= ?5
                 ORDER BY last_message_at DESC LIMIT 1",
            )?
            .query_row(
                params![channel.as_str(), account, peer, subject_key, ms(since)],
                id_and_status,
            )
            .optional()?)
    }

    /// Opens a conversation.
    pub(crate) fn open_conversation(&mut self, c: &NewConversation<'_>) -> Result<ConversationId> {
        self.conn
            .prepare_cached(
                "INSERT INTO conversations
                   (channel, account, thread_key, customer_id, peer, subject, created_at,
                    last_message_at, subject_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                c.channel.as_str(),
                c.account,
                c.thread_key,
                c.customer.0,
                c.peer,
                c.subject,
                ms(c.now),
                ms(c.first_message_at),
                c.subject_key
            ])?;
        Ok(ConversationId(self.conn.last_insert_rowid()))
    }

    /// Puts a resolved or snoozed conversation back in the open queue.
    ///
    /// # Errors
    /// A store failure.
    pub fn reopen(&mut self, id: ConversationId) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE conversations SET status = 'open', snoozed_until = NULL WHERE id = ?1",
            )?
            .execute([id.0])?;
        Ok(())
    }

    /// Updates the queue columns after `count` customer messages of one conversation, as
    /// if each had been noted in turn: `newest` is the latest `sent_at` among them and
    /// `preview` that of the last one written at that time; `waiting` holds the
    /// `sent_at` of those not automated. An automated message (an auto-reply, a bounce)
    /// never makes the conversation wait; nor does a message older than the shop's last
    /// reply (a late sync). One update for several messages is what keeps a batch that
    /// brings a busy thread many messages from rewriting its row and indexes each time.
    pub(crate) fn note_inbound(
        &mut self,
        id: ConversationId,
        count: u32,
        newest: Timestamp,
        preview: &str,
        waiting: &[Timestamp],
    ) -> Result<()> {
        // The oldest waiting message that came after the last reply, worked out in SQL
        // against the row's own `last_reply_at`.
        let waiting = format!(
            "[{}]",
            waiting
                .iter()
                .map(|t| ms(*t).to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        self.conn
            .prepare_cached(
                "UPDATE conversations SET
                    preview = CASE WHEN ?3 >= last_message_at THEN ?4 ELSE preview END,
                    last_message_at = max(last_message_at, ?3),
                    message_count = message_count + ?2,
                    waiting_since = coalesce(
                        min(waiting_since, (SELECT min(value) FROM json_each(?5)
                            WHERE last_reply_at IS NULL OR value > last_reply_at)),
                        waiting_since,
                        (SELECT min(value) FROM json_each(?5)
                            WHERE last_reply_at IS NULL OR value > last_reply_at))
                 WHERE id = ?1",
            )?
            .execute(params![id.0, count, ms(newest), preview, waiting])?;
        Ok(())
    }

    /// Updates the queue columns after a reply: the customer no longer waits.
    pub(crate) fn note_reply(
        &mut self,
        id: ConversationId,
        at: Timestamp,
        preview: &str,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE conversations SET
                    preview = ?3,
                    last_message_at = max(last_message_at, ?2),
                    last_reply_at = max(coalesce(last_reply_at, ?2), ?2),
                    message_count = message_count + 1,
                    waiting_since = NULL
                 WHERE id = ?1",
            )?
            .execute(params![id.0, ms(at), preview])?;
        Ok(())
    }

    /// Counts a note in the conversation without touching its place in the queue.
    pub(crate) fn note_note(&mut self, id: ConversationId) -> Result<()> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE conversations SET message_count = message_count + 1 WHERE id = ?1",
            )?
            .execute([id.0])?;
        if changed == 0 {
            return Err(StoreError::NotFound("conversation"));
        }
        Ok(())
    }
}

fn id_and_status(r: &Row<'_>) -> rusqlite::Result<(ConversationId, StatusName)> {
    let status: String = r.get(1)?;
    let status = status
        .parse::<StatusName>()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, Type::Text, e.into()))?;
    Ok((ConversationId(r.get(0)?), status))
}

impl Store {
    /// One conversation.
    ///
    /// # Errors
    /// A store failure.
    pub fn conversation(&mut self, id: ConversationId) -> Result<Option<Conversation>> {
        self.read(|conn| one(conn, id))
    }

    /// One page of the queue.
    ///
    /// # Errors
    /// A store failure.
    pub fn queue(&mut self, filter: &QueueFilter) -> Result<Vec<Conversation>> {
        let mut sql = String::from(SELECT);
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        let mut clauses: Vec<String> = Vec::new();
        if !filter.statuses.is_empty() {
            let marks = filter
                .statuses
                .iter()
                .map(|s| {
                    args.push(Box::new(s.as_str()));
                    format!("?{}", args.len())
                })
                .collect::<Vec<_>>()
                .join(", ");
            clauses.push(format!("c.status IN ({marks})"));
        }
        if let Some(channel) = filter.channel {
            args.push(Box::new(channel.as_str()));
            clauses.push(format!("c.channel = ?{}", args.len()));
        }
        if let Some(agent) = filter.assignee {
            args.push(Box::new(agent.0));
            clauses.push(format!("c.assignee_id = ?{}", args.len()));
        }
        if filter.unanswered {
            clauses.push("c.waiting_since IS NOT NULL".to_owned());
        }
        // The page's ids come from the index alone; only those rows are then joined
        // and labelled, so a deep page or a several-status filter doesn't join and sort
        // every row it skips.
        let filter_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        args.push(Box::new(filter.limit));
        args.push(Box::new(filter.offset));
        sql.push_str(&format!(
            " WHERE c.id IN (SELECT c.id FROM conversations c{filter_sql}
                 ORDER BY c.queue_rank, c.id LIMIT ?{} OFFSET ?{})
             ORDER BY c.queue_rank, c.id",
            args.len() - 1,
            args.len()
        ));
        let params: Vec<&dyn ToSql> = args.iter().map(AsRef::as_ref).collect();
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map(params.as_slice(), from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Counts per status, unanswered conversations, and the oldest wait.
    ///
    /// # Errors
    /// A store failure.
    pub fn stats(&mut self) -> Result<QueueStats> {
        self.read(|conn| {
            let mut stats = QueueStats::default();
            // Resolved conversations are most of a store and the status line doesn't
            // show them: counting per status reads only the index ranges it needs.
            let mut count =
                conn.prepare_cached("SELECT count(*) FROM conversations WHERE status = ?1")?;
            for (status, slot) in [
                ("open", &mut stats.open),
                ("pending", &mut stats.pending),
                ("snoozed", &mut stats.snoozed),
            ] {
                let n: i64 = count.query_row([status], |r| r.get(0))?;
                *slot = u64::try_from(n).unwrap_or(0);
            }
            let (unanswered, oldest) = conn
                .prepare_cached(
                    "SELECT count(*), min(waiting_since) FROM conversations
                     WHERE status IN ('open', 'pending') AND waiting_since IS NOT NULL",
                )?
                .query_row([], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
                })?;
            stats.unanswered = u64::try_from(unanswered).unwrap_or(0);
            stats.oldest_waiting = oldest.map(ts);
            Ok(stats)
        })
    }

    /// Changes a conversation's status. Snoozing needs a time in the future.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Invalid`] for a snooze in the past, or a
    /// store failure.
    pub fn set_status(&mut self, id: ConversationId, status: Status, now: Timestamp) -> Result<()> {
        let until = match status {
            Status::Snoozed { until } if until <= now => {
                return Err(StoreError::Invalid(
                    "a snooze must end in the future".into(),
                ));
            }
            Status::Snoozed { until } => Some(ms(until)),
            _ => None,
        };
        self.write(|tx| {
            let changed = tx
                .conn
                .prepare_cached(
                    "UPDATE conversations SET status = ?2, snoozed_until = ?3 WHERE id = ?1",
                )?
                .execute(params![id.0, status.name().as_str(), until])?;
            if changed == 0 {
                return Err(StoreError::NotFound("conversation"));
            }
            Ok(())
        })
    }

    /// Assigns a conversation to an agent, or to nobody.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], or a store failure (an unknown agent included).
    pub fn assign(&mut self, id: ConversationId, agent: Option<AgentId>) -> Result<()> {
        self.write(|tx| {
            let changed = tx
                .conn
                .prepare_cached("UPDATE conversations SET assignee_id = ?2 WHERE id = ?1")?
                .execute(params![id.0, agent.map(|a| a.0)])?;
            if changed == 0 {
                return Err(StoreError::NotFound("conversation"));
            }
            Ok(())
        })
    }

    /// Adds a label (no-op if present).
    ///
    /// # Errors
    /// An empty label, an unknown conversation, or a store failure.
    pub fn add_label(&mut self, id: ConversationId, label: &str) -> Result<()> {
        let label = label.trim();
        if label.is_empty() || label.contains('\u{1f}') {
            return Err(StoreError::Invalid(format!("not a label: {label:?}")));
        }
        self.write(|tx| {
            tx.conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO conversation_labels (conversation_id, label) VALUES (?1, ?2)",
                )?
                .execute(params![id.0, label])
                .map_err(|e| match StoreError::from(e) {
                    e if e.is_about_the_data() => StoreError::NotFound("conversation"),
                    e => e,
                })?;
            Ok(())
        })
    }

    /// Removes a label (no-op if absent).
    ///
    /// # Errors
    /// A store failure.
    pub fn remove_label(&mut self, id: ConversationId, label: &str) -> Result<()> {
        self.write(|tx| {
            tx.conn
                .prepare_cached(
                    "DELETE FROM conversation_labels WHERE conversation_id = ?1 AND label = ?2",
                )?
                .execute(params![id.0, label.trim()])?;
            Ok(())
        })
    }

    /// Brings back every snoozed conversation whose time has come; returns how many.
    ///
    /// # Errors
    /// A store failure.
    pub fn wake_snoozed(&mut self, now: Timestamp) -> Result<usize> {
        self.write(|tx| {
            Ok(tx
                .conn
                .prepare_cached(
                    "UPDATE conversations SET status = 'open', snoozed_until = NULL
                     WHERE status = 'snoozed' AND snoozed_until <= ?1",
                )?
                .execute([ms(now)])?)
        })
    }
}

pub(super) fn one(conn: &Connection, id: ConversationId) -> Result<Option<Conversation>> {
    Ok(conn
        .prepare_cached(&format!("{SELECT} WHERE c.id = ?1"))?
        .query_row([id.0], from_row)
        .optional()?)
}

pub(super) fn of_customer(conn: &Connection, id: CustomerId) -> Result<Vec<Conversation>> {
    Ok(conn
        .prepare_cached(&format!(
            "{SELECT} WHERE c.customer_id = ?1 ORDER BY c.last_message_at DESC"
        ))?
        .query_map([id.0], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Every conversation matching an export filter, oldest first.
pub(super) fn for_export(
    conn: &Connection,
    customer: Option<CustomerId>,
    since: Option<Timestamp>,
    mut each: impl FnMut(Conversation) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE (?1 IS NULL OR c.customer_id = ?1) AND (?2 IS NULL OR c.last_message_at >= ?2)
         ORDER BY c.id"
    ))?;
    let rows = stmt.query_map(params![customer.map(|c| c.0), since.map(ms)], from_row)?;
    for row in rows {
        each(row?)?;
    }
    Ok(())
}
