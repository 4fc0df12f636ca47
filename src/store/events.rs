//! The log of what agents (and the clock) did to conversations: every status, assignment
//! and label change, with who and when. The report reads its status rows for resolution
//! times; the TUI reads the newest rows of the open conversation to tell an agent that
//! someone else changed it.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Result, Store, Tx, ms, ts};
use crate::model::{AgentId, ConversationId};

/// What changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// The status: the values are status names.
    Status,
    /// The assignee: the values are agent names, `None` for nobody.
    Assignee,
    /// A label: removed (`old_value`) or added (`new_value`).
    Label,
}

impl EventKind {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Status => "status",
            EventKind::Assignee => "assignee",
            EventKind::Label => "label",
        }
    }

    fn parse(text: &str) -> EventKind {
        match text {
            "assignee" => EventKind::Assignee,
            "label" => EventKind::Label,
            _ => EventKind::Status,
        }
    }
}

/// One change to a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationEvent {
    /// Row id; later changes have higher ids.
    pub id: i64,
    /// The conversation changed.
    pub conversation: ConversationId,
    /// When.
    pub at: Timestamp,
    /// Who; `None` for comptoir itself (a snooze that ran out, a customer who wrote again).
    pub agent: Option<AgentId>,
    /// Their name, when an agent did it.
    pub agent_name: Option<String>,
    /// What changed.
    pub kind: EventKind,
    /// The value before (see [`EventKind`]).
    pub old_value: Option<String>,
    /// The value after.
    pub new_value: Option<String>,
}

const SELECT: &str = "SELECT e.id, e.conversation_id, e.at, e.agent_id, a.name, e.kind,
        e.old_value, e.new_value
    FROM conversation_events e LEFT JOIN agents a ON a.id = e.agent_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<ConversationEvent> {
    let kind: String = r.get(5)?;
    Ok(ConversationEvent {
        id: r.get(0)?,
        conversation: ConversationId(r.get(1)?),
        at: ts(r.get(2)?),
        agent: r.get::<_, Option<i64>>(3)?.map(AgentId),
        agent_name: r.get(4)?,
        kind: EventKind::parse(&kind),
        old_value: r.get(6)?,
        new_value: r.get(7)?,
    })
}

/// Logs one change; part of the transaction that makes it.
pub(super) fn log(
    conn: &Connection,
    conversation: ConversationId,
    at: Timestamp,
    agent: Option<AgentId>,
    kind: EventKind,
    old_value: Option<&str>,
    new_value: Option<&str>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO conversation_events
           (conversation_id, at, agent_id, kind, old_value, new_value)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        conversation.0,
        ms(at),
        agent.map(|a| a.0),
        kind.as_str(),
        old_value,
        new_value
    ])?;
    Ok(())
}

/// The newest change of this kind to a conversation.
pub(super) fn latest(
    conn: &Connection,
    conversation: ConversationId,
    kind: EventKind,
) -> Result<Option<ConversationEvent>> {
    Ok(conn
        .prepare_cached(&format!(
            "{SELECT} WHERE e.conversation_id = ?1 AND e.kind = ?2 ORDER BY e.id DESC LIMIT 1"
        ))?
        .query_row(params![conversation.0, kind.as_str()], from_row)
        .optional()?)
}

impl Tx<'_> {
    /// Logs a change made inside this transaction.
    ///
    /// # Errors
    /// A store failure.
    pub fn log_event(
        &mut self,
        conversation: ConversationId,
        at: Timestamp,
        agent: Option<AgentId>,
        kind: EventKind,
        old_value: Option<&str>,
        new_value: Option<&str>,
    ) -> Result<()> {
        log(
            self.conn,
            conversation,
            at,
            agent,
            kind,
            old_value,
            new_value,
        )
    }
}

impl Store {
    /// A conversation's changes after the one with id `after` (0: all), oldest first, at
    /// most `limit` of them.
    ///
    /// # Errors
    /// A store failure.
    pub fn events_after(
        &mut self,
        conversation: ConversationId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<ConversationEvent>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(&format!(
                    "{SELECT} WHERE e.conversation_id = ?1 AND e.id > ?2 ORDER BY e.id LIMIT ?3"
                ))?
                .query_map(params![conversation.0, after, limit], from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The id of a conversation's newest change (0 when it has none): where an agent who
    /// opens it starts watching for others' changes.
    ///
    /// # Errors
    /// A store failure.
    pub fn last_event_id(&mut self, conversation: ConversationId) -> Result<i64> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT coalesce(max(id), 0) FROM conversation_events WHERE conversation_id = ?1",
                )?
                .query_row([conversation.0], |r| r.get(0))?)
        })
    }
}
