//! Words within a date window (`before:` / `after:`): the window's messages are walked
//! newest first on the `sent_at` index (0008) in chunks, and each chunk is checked
//! against the words' matches in the chunk's rowid range.
//!
//! Walking the words' matches newest first instead (the general plan) costs one row
//! lookup per match newer than `before:`, which for a common word and a date three
//! months back is tens of thousands. Rowids are not a bound on `sent_at` (a first
//! IMAP sync brings old mail late), so the chunk's rows are taken from the `sent_at`
//! index, and its rowid range only narrows FTS5's walk: a superset, intersected here.

use std::collections::HashSet;

use jiff::Timestamp;
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::{Candidate, HIT_COLUMNS, candidate};
use crate::store::Result;

/// Messages read from the `sent_at` index per chunk.
const CHUNK: i64 = 4_096;

/// Messages walked before giving up on the window: a rare word meets few matches per
/// chunk, and its own matches (few) are then cheaper to walk with the general plan.
const BUDGET: i64 = 12 * CHUNK;

/// The same for a word still being typed: FTS5 expands its prefix again for every
/// chunk, which costs 5 to 50 ms for three letters on the 1,000,000-message store.
const PREFIX_BUDGET: i64 = 2 * CHUNK;

/// The newest `pool` messages sent in `[after, before)` matching `fts` and `conds` (SQL
/// on `m` and `c` whose parameters are `args`), newest first; `None` when the window
/// holds more than [`BUDGET`] messages ([`PREFIX_BUDGET`] with a `prefix` term) and the
/// pool was not filled within them.
#[allow(
    clippy::too_many_arguments,
    reason = "one call site, each argument a different part of the query"
)]
pub(super) fn candidates(
    conn: &Connection,
    fts: &str,
    prefix: bool,
    before: Option<Timestamp>,
    after: Option<Timestamp>,
    conds: &[String],
    args: &[Value],
    pool: u32,
) -> Result<Option<Vec<Candidate>>> {
    let pool = usize::try_from(pool).unwrap_or(usize::MAX);
    let lo = after.map_or(i64::MIN, Timestamp::as_millisecond);
    let mut hi = before.map_or(i64::MAX, Timestamp::as_millisecond);
    let mut walked = 0;
    let mut out: Vec<Candidate> = Vec::new();
    let mut chunk_sql = conn.prepare_cached(&format!(
        "SELECT rowid, sent_at FROM messages WHERE sent_at < ?1 AND sent_at >= ?2
         ORDER BY sent_at DESC LIMIT {CHUNK}"
    ))?;
    let mut tied_sql =
        conn.prepare_cached("SELECT rowid, sent_at FROM messages WHERE sent_at = ?1")?;
    let mut fts_sql = conn.prepare_cached(
        "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3",
    )?;
    let mut conds = conds.to_vec();
    conds.push(format!(
        "m.id IN (SELECT value FROM json_each(?{}))",
        args.len() + 1
    ));
    let mut hits_sql = conn.prepare_cached(&format!(
        "SELECT {HIT_COLUMNS} FROM messages m CROSS JOIN conversations c
         WHERE c.id = m.conversation_id AND {} ORDER BY m.sent_at DESC, m.id DESC",
        conds.join(" AND ")
    ))?;
    loop {
        let mut chunk = chunk_sql
            .query_map([hi, lo], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let full = chunk.len() as i64 == CHUNK;
        walked += chunk.len() as i64;
        if full && let Some(&(_, oldest)) = chunk.last() {
            // Messages sent in the same millisecond as the chunk's oldest may straddle
            // the limit: take them all now, and go on strictly before it.
            chunk.retain(|&(_, at)| at != oldest);
            chunk.extend(
                tied_sql
                    .query_map([oldest], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()?,
            );
            hi = oldest;
        }
        let ids: HashSet<i64> = chunk.iter().map(|&(id, _)| id).collect();
        if let (Some(&first), Some(&last)) = (ids.iter().min(), ids.iter().max()) {
            let matched: Vec<i64> = fts_sql
                .query_map(rusqlite::params![fts, first, last], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .filter(|id| ids.contains(id))
                .collect();
            if !matched.is_empty() {
                let list = format!(
                    "[{}]",
                    matched
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                );
                let mut chunk_args = args.to_vec();
                chunk_args.push(Value::Text(list));
                out.extend(
                    hits_sql
                        .query_map(params_from_iter(chunk_args.iter()), candidate)?
                        .collect::<rusqlite::Result<Vec<_>>>()?,
                );
            }
        }
        if out.len() >= pool {
            out.truncate(pool);
            return Ok(Some(out));
        }
        if !full {
            return Ok(Some(out));
        }
        if walked >= if prefix { PREFIX_BUDGET } else { BUDGET } {
            return Ok(None);
        }
    }
}
