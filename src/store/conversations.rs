//! Conversations: the queue, its counts, status changes, assignment and labels. Every
//! change an agent (or the clock) makes is logged in `conversation_events` by the same
//! transaction (see [`super::events`]).

use jiff::Timestamp;
use rusqlite::types::{ToSql, Type};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::events::{self, EventKind};
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
    /// Only conversations with this label.
    pub label: Option<String>,
    /// Only conversations waiting past their channel's first-response target.
    pub overdue: Option<Cutoffs>,
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
            label: None,
            overdue: None,
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

/// First-response targets turned into moments: a customer waiting since before their
/// channel's cut-off waits past the target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cutoffs {
    /// For channels without a target of their own; `None`: no target.
    pub default: Option<Timestamp>,
    /// Channels with a target of their own.
    pub channels: Vec<(Channel, Timestamp)>,
}

impl Cutoffs {
    /// The cut-off for one channel, if it has a target.
    #[must_use]
    pub fn of(&self, channel: Channel) -> Option<Timestamp> {
        self.channels
            .iter()
            .find(|(c, _)| *c == channel)
            .map(|(_, t)| *t)
            .or(self.default)
    }
}

/// Who waits too long, for the status line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WaitingSummary {
    /// Open or pending conversations waiting past their channel's target.
    pub overdue: u64,
    /// The channel of the longest wait, and since when.
    pub oldest: Option<(Channel, Timestamp)>,
}

/// A status change as an agent asked for it: with the status they saw, so that a change
/// someone else made in between is not silently overwritten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// The new status.
    pub status: Status,
    /// The status the agent saw when they asked.
    pub seen: StatusName,
    /// Who asked.
    pub by: AgentId,
    /// When.
    pub now: Timestamp,
}

/// What became of a [`StatusChange`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusOutcome {
    /// It was applied.
    Applied,
    /// Someone changed the status since the agent saw it; nothing was written.
    Conflict {
        /// The status now.
        current: Status,
        /// Who set it, when the log knows (`None`: comptoir itself, or before the log).
        by: Option<String>,
        /// When it was set, when the log knows.
        at: Option<Timestamp>,
    },
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

    /// Puts a resolved or snoozed conversation back in the open queue because the
    /// customer wrote at `at`, logging the change as comptoir's own.
    ///
    /// # Errors
    /// A store failure.
    pub fn reopen(&mut self, id: ConversationId, at: Timestamp) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO conversation_events
                   (conversation_id, at, agent_id, kind, old_value, new_value)
                 SELECT id, ?2, NULL, 'status', status, 'open' FROM conversations
                 WHERE id = ?1 AND status <> 'open'",
            )?
            .execute(params![id.0, ms(at)])?;
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
        if let Some(label) = &filter.label {
            args.push(Box::new(label.clone()));
            clauses.push(format!(
                "c.id IN (SELECT conversation_id FROM conversation_labels WHERE label = ?{})",
                args.len()
            ));
        }
        if let Some(cutoffs) = &filter.overdue {
            clauses.push(overdue_clause(cutoffs, &mut args));
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

    /// How many conversations wait past their channel's target, and which channel the
    /// longest wait is on. Each count reads one index range per channel and status.
    ///
    /// # Errors
    /// A store failure.
    pub fn waiting_summary(&mut self, cutoffs: &Cutoffs) -> Result<WaitingSummary> {
        self.read(|conn| {
            let mut summary = WaitingSummary::default();
            // `queue_rank` is `waiting_since` for a waiting conversation and far above
            // any time otherwise, so "waiting since before the cut-off" is a range of
            // the (channel, status, queue_rank) index.
            let mut count = conn.prepare_cached(
                "SELECT count(*) FROM conversations
                 WHERE channel = ?1 AND status = ?2 AND queue_rank <= ?3",
            )?;
            for channel in Channel::ALL {
                let Some(cut) = cutoffs.of(channel) else {
                    continue;
                };
                for status in ["open", "pending"] {
                    let n: i64 = count
                        .query_row(params![channel.as_str(), status, ms(cut)], |r| r.get(0))?;
                    summary.overdue += u64::try_from(n).unwrap_or(0);
                }
            }
            let mut oldest = conn.prepare_cached(
                "SELECT channel, waiting_since FROM conversations
                 WHERE status = ?1 AND waiting_since IS NOT NULL
                 ORDER BY waiting_since LIMIT 1",
            )?;
            for status in ["open", "pending"] {
                let row: Option<(String, i64)> = oldest
                    .query_row([status], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                if let Some((channel, since)) = row
                    && let Ok(channel) = channel.parse::<Channel>()
                    && summary.oldest.is_none_or(|(_, t)| ts(since) < t)
                {
                    summary.oldest = Some((channel, ts(since)));
                }
            }
            Ok(summary)
        })
    }

    /// When the next snoozed conversation is due to wake, if any is snoozed.
    ///
    /// # Errors
    /// A store failure.
    pub fn next_wake(&mut self) -> Result<Option<Timestamp>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT min(snoozed_until) FROM conversations WHERE status = 'snoozed'",
                )?
                .query_row([], |r| r.get::<_, Option<i64>>(0))?
                .map(ts))
        })
    }

    /// Changes a conversation's status, as comptoir itself (no agent, no check of what
    /// was seen): the demo, imports, tests. Snoozing needs a time in the future.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Invalid`] for a snooze in the past, or a
    /// store failure.
    pub fn set_status(&mut self, id: ConversationId, status: Status, now: Timestamp) -> Result<()> {
        let until = snooze_until(status, now)?;
        self.write(|tx| {
            let old = current_status(tx.conn, id)?.ok_or(StoreError::NotFound("conversation"))?;
            write_status(tx.conn, id, old, status, until, None, now)
        })
    }

    /// Changes a conversation's status for an agent, only if it still has the status they
    /// saw (compare-and-set): otherwise nothing is written and the outcome says who
    /// changed it, and when.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Invalid`] for a snooze in the past, or a
    /// store failure.
    pub fn change_status(
        &mut self,
        id: ConversationId,
        change: StatusChange,
    ) -> Result<StatusOutcome> {
        let until = snooze_until(change.status, change.now)?;
        self.write(|tx| {
            let old = current_status(tx.conn, id)?.ok_or(StoreError::NotFound("conversation"))?;
            if old.name() != change.seen {
                let last = events::latest(tx.conn, id, EventKind::Status)?
                    .filter(|e| e.new_value.as_deref() == Some(old.name().as_str()));
                return Ok(StatusOutcome::Conflict {
                    current: old,
                    by: last.as_ref().and_then(|e| e.agent_name.clone()),
                    at: last.map(|e| e.at),
                });
            }
            write_status(
                tx.conn,
                id,
                old,
                change.status,
                until,
                Some(change.by),
                change.now,
            )?;
            Ok(StatusOutcome::Applied)
        })
    }

    /// Assigns a conversation to an agent, or to nobody, as comptoir itself.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], or a store failure (an unknown agent included).
    pub fn assign(&mut self, id: ConversationId, agent: Option<AgentId>) -> Result<()> {
        self.assign_by(id, agent, None, Timestamp::now())
    }

    /// Assigns a conversation to an agent, or to nobody, on `by`'s behalf, logging who
    /// had it before.
    ///
    /// # Errors
    /// [`StoreError::NotFound`], or a store failure (an unknown agent included).
    pub fn assign_by(
        &mut self,
        id: ConversationId,
        agent: Option<AgentId>,
        by: Option<AgentId>,
        now: Timestamp,
    ) -> Result<()> {
        self.write(|tx| {
            let name = |conn: &Connection, agent: Option<i64>| -> Result<Option<String>> {
                let Some(agent) = agent else {
                    return Ok(None);
                };
                Ok(conn
                    .prepare_cached("SELECT name FROM agents WHERE id = ?1")?
                    .query_row([agent], |r| r.get(0))
                    .optional()?)
            };
            let old: Option<Option<i64>> = tx
                .conn
                .prepare_cached("SELECT assignee_id FROM conversations WHERE id = ?1")?
                .query_row([id.0], |r| r.get(0))
                .optional()?;
            let Some(old) = old else {
                return Err(StoreError::NotFound("conversation"));
            };
            let new = agent.map(|a| a.0);
            if old == new {
                return Ok(());
            }
            tx.conn
                .prepare_cached("UPDATE conversations SET assignee_id = ?2 WHERE id = ?1")?
                .execute(params![id.0, new])?;
            let (old, new) = (name(tx.conn, old)?, name(tx.conn, new)?);
            events::log(
                tx.conn,
                id,
                now,
                by,
                EventKind::Assignee,
                old.as_deref(),
                new.as_deref(),
            )
        })
    }

    /// Adds a label (no-op if present), as comptoir itself.
    ///
    /// # Errors
    /// An empty label, an unknown conversation, or a store failure.
    pub fn add_label(&mut self, id: ConversationId, label: &str) -> Result<()> {
        self.label_by(id, label, true, None, Timestamp::now())
    }

    /// Removes a label (no-op if absent), as comptoir itself.
    ///
    /// # Errors
    /// A store failure.
    pub fn remove_label(&mut self, id: ConversationId, label: &str) -> Result<()> {
        self.label_by(id, label, false, None, Timestamp::now())
    }

    /// Adds (`add`) or removes a label on `by`'s behalf; a change that changes nothing
    /// (the label was already there, or already gone) is not logged.
    ///
    /// # Errors
    /// An empty label, an unknown conversation, or a store failure.
    pub fn label_by(
        &mut self,
        id: ConversationId,
        label: &str,
        add: bool,
        by: Option<AgentId>,
        now: Timestamp,
    ) -> Result<()> {
        let label = label.trim();
        if add && (label.is_empty() || label.contains('\u{1f}')) {
            return Err(StoreError::Invalid(format!("not a label: {label:?}")));
        }
        self.write(|tx| {
            let changed = if add {
                tx.conn
                    .prepare_cached(
                        "INSERT OR IGNORE INTO conversation_labels (conversation_id, label) VALUES (?1, ?2)",
                    )?
                    .execute(params![id.0, label])
                    .map_err(|e| match StoreError::from(e) {
                        e if e.is_about_the_data() => StoreError::NotFound("conversation"),
                        e => e,
                    })?
            } else {
                tx.conn
                    .prepare_cached(
                        "DELETE FROM conversation_labels WHERE conversation_id = ?1 AND label = ?2",
                    )?
                    .execute(params![id.0, label])?
            };
            if changed == 0 {
                return Ok(());
            }
            let (old, new) = if add { (None, Some(label)) } else { (Some(label), None) };
            events::log(tx.conn, id, now, by, EventKind::Label, old, new)
        })
    }

    /// Brings back every snoozed conversation whose time has come, logging each wake-up
    /// at its snooze's end as comptoir's own change; returns how many.
    ///
    /// # Errors
    /// A store failure.
    pub fn wake_snoozed(&mut self, now: Timestamp) -> Result<usize> {
        self.write(|tx| {
            tx.conn
                .prepare_cached(
                    "INSERT INTO conversation_events
                       (conversation_id, at, agent_id, kind, old_value, new_value)
                     SELECT id, snoozed_until, NULL, 'status', 'snoozed', 'open'
                     FROM conversations WHERE status = 'snoozed' AND snoozed_until <= ?1",
                )?
                .execute([ms(now)])?;
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

/// The snooze's end to store, refusing one that is already over.
fn snooze_until(status: Status, now: Timestamp) -> Result<Option<i64>> {
    match status {
        Status::Snoozed { until } if until <= now => Err(StoreError::Invalid(
            "a snooze must end in the future".into(),
        )),
        Status::Snoozed { until } => Ok(Some(ms(until))),
        _ => Ok(None),
    }
}

/// A conversation's status as stored.
fn current_status(conn: &Connection, id: ConversationId) -> Result<Option<Status>> {
    Ok(conn
        .prepare_cached("SELECT status, snoozed_until FROM conversations WHERE id = ?1")?
        .query_row([id.0], |r| {
            let name: String = r.get(0)?;
            let until: Option<i64> = r.get(1)?;
            Ok(match name.as_str() {
                "pending" => Status::Pending,
                "resolved" => Status::Resolved,
                "snoozed" => Status::Snoozed {
                    until: ts(until.unwrap_or(0)),
                },
                _ => Status::Open,
            })
        })
        .optional()?)
}

/// Writes a status and logs it when its name changes (a longer snooze is no event).
fn write_status(
    conn: &Connection,
    id: ConversationId,
    old: Status,
    status: Status,
    until: Option<i64>,
    by: Option<AgentId>,
    now: Timestamp,
) -> Result<()> {
    conn.prepare_cached("UPDATE conversations SET status = ?2, snoozed_until = ?3 WHERE id = ?1")?
        .execute(params![id.0, status.name().as_str(), until])?;
    if old.name() != status.name() {
        events::log(
            conn,
            id,
            now,
            by,
            EventKind::Status,
            Some(old.name().as_str()),
            Some(status.name().as_str()),
        )?;
    }
    Ok(())
}

/// `waiting past the target` as SQL: a CASE over the channels with a target of their own,
/// the default for the rest (none: nothing matches).
fn overdue_clause(cutoffs: &Cutoffs, args: &mut Vec<Box<dyn ToSql>>) -> String {
    let mut case = String::from("CASE c.channel");
    for (channel, cut) in &cutoffs.channels {
        args.push(Box::new(channel.as_str()));
        let a = args.len();
        args.push(Box::new(ms(*cut)));
        case.push_str(&format!(" WHEN ?{a} THEN ?{}", args.len()));
    }
    args.push(Box::new(cutoffs.default.map_or(i64::MIN, ms)));
    case.push_str(&format!(" ELSE ?{} END", args.len()));
    format!("(c.waiting_since IS NOT NULL AND c.waiting_since <= {case})")
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
