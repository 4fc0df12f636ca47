//! A `from:` customer's messages checked against the words. They lie scattered over
//! the whole store, so one walk over the words' matches from the oldest candidate to
//! the newest reads a common word's whole index list (20 to 90 ms on the 1,000,000-
//! message store). Split at the widest gaps between candidates, the walk reads only
//! the stretches around them, newest first, and stops once the pool is full.

use std::collections::HashMap;

use rusqlite::Connection;

use super::{CLOSE, Candidate, OPEN, Snippet};
use crate::store::Result;

/// At most this many rowid ranges: each costs FTS5 a seek into the index list, the
/// gaps left out between them are what is saved.
const RANGES: usize = 48;

/// The newest `pool` of `candidates` matching `fts`, each with its snippet (scored
/// without bm25, whose document count FTS5 would redo for every range).
pub(super) fn matching(
    conn: &Connection,
    fts: &str,
    candidates: &[Candidate],
    pool: usize,
) -> Result<HashMap<i64, (f64, Snippet)>> {
    let mut ids: Vec<i64> = candidates.iter().map(|c| c.hit.message_id.0).collect();
    ids.sort_unstable_by_key(|&id| std::cmp::Reverse(id));
    ids.dedup();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT rowid, snippet(messages_fts, 0, '{OPEN}', '{CLOSE}', '…', 16)
         FROM messages_fts WHERE messages_fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3
           AND +rowid IN (SELECT value FROM json_each(?4))"
    ))?;
    let mut found = HashMap::new();
    for range in ranges(&ids, RANGES) {
        let (Some(&hi), Some(&lo)) = (range.first(), range.last()) else {
            continue;
        };
        let list = format!(
            "[{}]",
            range
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        );
        let rows = stmt
            .query_map(rusqlite::params![fts, lo, hi, list], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    (-1.0, Snippet::parse(&r.get::<_, String>(1)?)),
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        found.extend(rows);
        if found.len() >= pool {
            break;
        }
    }
    Ok(found)
}

/// `ids` (newest first) cut into at most `max` runs, at the widest gaps.
fn ranges(ids: &[i64], max: usize) -> Vec<&[i64]> {
    let mut gaps: Vec<(i64, usize)> = ids
        .windows(2)
        .enumerate()
        .map(|(i, w)| (w[0] - w[1], i + 1))
        .collect();
    gaps.sort_unstable_by_key(|&(gap, _)| std::cmp::Reverse(gap));
    let mut cuts: Vec<usize> = gaps
        .into_iter()
        .take(max.saturating_sub(1))
        .map(|(_, at)| at)
        .collect();
    cuts.sort_unstable();
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for cut in cuts {
        out.push(&ids[start..cut]);
        start = cut;
    }
    out.push(&ids[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::ranges;

    #[test]
    fn ranges_are_cut_at_the_widest_gaps() {
        let ids = [1_000, 999, 998, 500, 499, 10, 9];
        assert_eq!(
            ranges(&ids, 3),
            vec![&[1_000, 999, 998][..], &[500, 499][..], &[10, 9][..]]
        );
        assert_eq!(ranges(&ids, 1), vec![&ids[..]]);
        let none: [i64; 0] = [];
        assert_eq!(ranges(&none, 4), vec![&none[..]]);
    }
}
