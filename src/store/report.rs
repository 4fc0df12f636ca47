//! The rows a response report is computed from (see `crate::report`): conversations that
//! started in a period, resolutions in it, message counts, and who waits now. Every query
//! reads an index of migration 0008 alone, so a report over a million messages costs a
//! range of index entries, not a pass over the messages.

use jiff::Timestamp;
use rusqlite::{Connection, Row, params};

use super::{Result, Store, StoreError, ms, ts};
use crate::model::{AgentId, Channel};

/// A conversation whose first customer message falls in the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartedRow {
    /// Its channel.
    pub channel: Channel,
    /// The customer's first message that is not automated.
    pub first_inbound_at: Timestamp,
    /// The shop's first reply that is not automated, if any (at any time, even after the
    /// period).
    pub first_reply_at: Option<Timestamp>,
    /// The agent who wrote that reply.
    pub first_reply_agent: Option<AgentId>,
}

/// A conversation last resolved within the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedRow {
    /// Its channel.
    pub channel: Channel,
    /// The customer's first message that is not automated; `None` for a conversation
    /// that only ever had automated messages, which has no resolution time.
    pub first_inbound_at: Option<Timestamp>,
    /// When it was resolved.
    pub resolved_at: Timestamp,
    /// Who resolved it, else whom it is assigned to.
    pub agent: Option<AgentId>,
}

/// How many messages of one kind one channel (and one agent, for replies) had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageCount {
    /// The channel.
    pub channel: Channel,
    /// True for the shop's replies, false for the customers' messages.
    pub outbound: bool,
    /// The agent who wrote the replies (`None` for customers' messages).
    pub agent: Option<AgentId>,
    /// How many.
    pub count: u64,
}

/// Open or pending conversations whose customer waits for an answer, per channel and
/// assignee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitingRow {
    /// The channel.
    pub channel: Channel,
    /// Whom they are assigned to.
    pub assignee: Option<AgentId>,
    /// How many.
    pub count: u64,
    /// Since when the longest-waiting of them has waited.
    pub oldest: Timestamp,
}

/// One slice of the period (a day, as the caller cut it): its volume.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SliceCount {
    /// Conversations whose first customer message falls in it.
    pub conversations: u64,
    /// Customers' messages (automated ones left out).
    pub inbound: u64,
    /// The shop's replies (automated ones left out).
    pub outbound: u64,
}

/// Everything a report is computed from, read in one consistent snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportRows {
    /// Conversations that started in the period.
    pub started: Vec<StartedRow>,
    /// Conversations last resolved in the period.
    pub resolved: Vec<ResolvedRow>,
    /// Messages sent in the period, automated ones and notes left out.
    pub messages: Vec<MessageCount>,
    /// Who waits now, whatever the period.
    pub waiting: Vec<WaitingRow>,
    /// Every agent's id and name.
    pub agents: Vec<(AgentId, String)>,
    /// The volume of each slice between consecutive `slices` bounds.
    pub slices: Vec<SliceCount>,
}

impl Store {
    /// The rows of a report on `[since, until)`, plus the volume of each slice between
    /// consecutive instants of `bounds` (pass none for no slices).
    ///
    /// # Errors
    /// A store failure.
    pub fn report_rows(
        &mut self,
        since: Timestamp,
        until: Timestamp,
        bounds: &[Timestamp],
    ) -> Result<ReportRows> {
        let (since, until) = (ms(since), ms(until));
        let bounds: Vec<i64> = bounds.iter().map(|t| ms(*t)).collect();
        self.read(|conn| {
            let started = started(conn, since, until)?;
            let mut slices = vec![SliceCount::default(); bounds.len().saturating_sub(1)];
            for r in &started {
                if let Some(s) = slice_of(&bounds, ms(r.first_inbound_at)) {
                    slices[s].conversations += 1;
                }
            }
            let messages = messages(conn, since, until, &bounds, &mut slices)?;
            Ok(ReportRows {
                started,
                resolved: resolved(conn, since, until)?,
                messages,
                waiting: waiting(conn)?,
                agents: conn
                    .prepare_cached("SELECT id, name FROM agents ORDER BY name")?
                    .query_map([], |r| Ok((AgentId(r.get(0)?), r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
                slices,
            })
        })
    }
}

/// The slice `at` falls in: `i` for `bounds[i] <= at < bounds[i + 1]`.
fn slice_of(bounds: &[i64], at: i64) -> Option<usize> {
    let i = bounds.partition_point(|b| *b <= at);
    (i > 0 && i < bounds.len()).then(|| i - 1)
}

/// A channel name the store wrote; anything else is damage, reported as such.
fn channel(r: &Row<'_>, i: usize) -> rusqlite::Result<Channel> {
    let name: String = r.get(i)?;
    name.parse().map_err(|e: crate::model::UnknownChannel| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn count(r: &Row<'_>, i: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(r.get::<_, i64>(i)?).unwrap_or(0))
}

fn started(conn: &Connection, since: i64, until: i64) -> Result<Vec<StartedRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT channel, first_inbound_at, first_reply_at, first_reply_agent_id
             FROM conversations INDEXED BY conversations_report_started
             WHERE first_inbound_at >= ?1 AND first_inbound_at < ?2",
        )?
        .query_map(params![since, until], |r| {
            Ok(StartedRow {
                channel: channel(r, 0)?,
                first_inbound_at: ts(r.get(1)?),
                first_reply_at: r.get::<_, Option<i64>>(2)?.map(ts),
                first_reply_agent: r.get::<_, Option<i64>>(3)?.map(AgentId),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

fn resolved(conn: &Connection, since: i64, until: i64) -> Result<Vec<ResolvedRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT channel, first_inbound_at, resolved_at, coalesce(resolved_by, assignee_id)
             FROM conversations INDEXED BY conversations_report_resolved
             WHERE resolved_at >= ?1 AND resolved_at < ?2",
        )?
        .query_map(params![since, until], |r| {
            Ok(ResolvedRow {
                channel: channel(r, 0)?,
                first_inbound_at: r.get::<_, Option<i64>>(1)?.map(ts),
                resolved_at: ts(r.get(2)?),
                agent: r.get::<_, Option<i64>>(3)?.map(AgentId),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Counts the period's messages per channel, kind and agent, and each slice's, in one
/// pass over the covering index in time order. Counting in SQL with GROUP BY sorts every
/// row first, which costs several times this pass on a year of messages.
fn messages(
    conn: &Connection,
    since: i64,
    until: i64,
    bounds: &[i64],
    slices: &mut [SliceCount],
) -> Result<Vec<MessageCount>> {
    // Per channel (in `Channel::ALL` order): customers' messages, and replies per agent.
    // A year holds hundreds of thousands of rows, so the loop avoids hashing and
    // allocating: an array per channel and a short list of agents.
    let mut inbound = [0u64; Channel::ALL.len()];
    let mut outbound: Vec<(Option<i64>, [u64; Channel::ALL.len()])> = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT sent_at, kind, channel, agent_id
         FROM messages INDEXED BY messages_report
         WHERE sent_at >= ?1 AND sent_at < ?2
           AND kind IN ('inbound', 'outbound') AND automated = 0
         ORDER BY sent_at",
    )?;
    let mut rows = stmt.query(params![since, until])?;
    // Rows come in time order, so the slice only ever moves forward.
    let mut slice = 0usize;
    while let Some(r) = rows.next()? {
        let at = r.get_ref(0)?.as_i64().map_err(rusqlite::Error::from)?;
        let is_reply = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)? == "outbound";
        let name = r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?;
        let channel = channel_index(name)
            .ok_or_else(|| StoreError::Corrupt(format!("message of unknown channel {name:?}")))?;
        if is_reply {
            let agent = r
                .get_ref(3)?
                .as_i64_or_null()
                .map_err(rusqlite::Error::from)?;
            match outbound.iter_mut().find(|(a, _)| *a == agent) {
                Some((_, n)) => n[channel] += 1,
                None => {
                    let mut n = [0u64; Channel::ALL.len()];
                    n[channel] = 1;
                    outbound.push((agent, n));
                }
            }
        } else {
            inbound[channel] += 1;
        }
        while slice + 1 < bounds.len() && bounds[slice + 1] <= at {
            slice += 1;
        }
        if slice + 1 < bounds.len()
            && bounds[slice] <= at
            && let Some(s) = slices.get_mut(slice)
        {
            if is_reply {
                s.outbound += 1;
            } else {
                s.inbound += 1;
            }
        }
    }
    let mut out = Vec::new();
    for (i, channel) in Channel::ALL.iter().enumerate() {
        if inbound[i] > 0 {
            out.push(MessageCount {
                channel: *channel,
                outbound: false,
                agent: None,
                count: inbound[i],
            });
        }
        for (agent, n) in &outbound {
            if n[i] > 0 {
                out.push(MessageCount {
                    channel: *channel,
                    outbound: true,
                    agent: agent.map(AgentId),
                    count: n[i],
                });
            }
        }
    }
    Ok(out)
}

/// Where a channel name the store wrote sits in [`Channel::ALL`].
fn channel_index(name: &str) -> Option<usize> {
    Channel::ALL.iter().position(|c| c.as_str() == name)
}

fn waiting(conn: &Connection) -> Result<Vec<WaitingRow>> {
    Ok(conn
        .prepare_cached(
            "SELECT channel, assignee_id, count(*), min(waiting_since) FROM conversations
             WHERE status IN ('open', 'pending') AND waiting_since IS NOT NULL
             GROUP BY channel, assignee_id",
        )?
        .query_map([], |r| {
            Ok(WaitingRow {
                channel: channel(r, 0)?,
                assignee: r.get::<_, Option<i64>>(1)?.map(AgentId),
                count: count(r, 2)?,
                oldest: ts(r.get(3)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?)
}
