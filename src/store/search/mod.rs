//! Search over messages (internal notes included), customers and their handles: a query
//! language ([`SearchQuery`]), candidates found newest first, then ranked by relevance
//! mixed with recency, with the matches marked in a snippet.
//!
//! The shape of the work is fixed by what is cheap in FTS5: walking a term's matches
//! from the newest rowid costs the same for a common word as for a rare one, while
//! ranking *every* match by bm25 costs half a second on a common word in a million
//! messages. So the newest [`RANK_POOL`] matches that pass the filters are taken first,
//! and only those are ranked.

mod query;
mod rank;
mod scattered;
mod window;

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use rusqlite::types::{Type, Value};
use rusqlite::{Connection, OptionalExtension, params_from_iter};

use super::{Result, Store, ts};
use crate::model::{Channel, ConversationId, CustomerId, HandleKind, MessageId, MessageKind};

pub use query::{MIN_PREFIX, QueryError, SearchQuery, Term, fts_of};

/// Marks around a match inside a snippet. Unicode noncharacters: they never come from
/// a channel as meaningful text, so they can't be confused with the message's own.
const OPEN: char = '\u{FDD0}';
const CLOSE: char = '\u{FDD1}';

/// How many of the newest matching messages are ranked. Measured on the 1,000,000-
/// message store: bm25 over the newest 200 matches of a common word adds about 10 ms
/// (FTS5 counts the term's documents once), over all of them 300 to 550 ms.
pub const RANK_POOL: u32 = 200;

/// How many of a `from:` customer's newest messages are checked against the words.
pub const CUSTOMER_MESSAGES: u32 = 5_000;

/// How many of the `from:` customers' most recent conversations are searched. Measured
/// on the 1,000,000-message store (Python's sqlite3): a name shared by 1,000 to 1,500
/// customers costs 45 to 70 ms read whole, 12 to 15 ms through its newest 250
/// conversations (about 1,700 messages).
pub const CUSTOMER_CONVERSATIONS: u32 = 250;

/// How many customers a search lists above the messages.
pub const CUSTOMER_LIMIT: usize = 8;

/// A piece of text around the matches, split into plain and matched parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    /// `(text, is_match)` in order.
    pub parts: Vec<(String, bool)>,
}

impl Snippet {
    fn parse(marked: &str) -> Snippet {
        let mut parts: Vec<(String, bool)> = Vec::new();
        let mut current = String::new();
        let mut in_match = false;
        for ch in marked.chars() {
            if ch == OPEN || ch == CLOSE {
                if !current.is_empty() {
                    parts.push((std::mem::take(&mut current), in_match));
                }
                in_match = ch == OPEN;
            } else {
                current.push(ch);
            }
        }
        if !current.is_empty() {
            parts.push((current, in_match));
        }
        Snippet { parts }
    }

    /// A snippet with no match marked.
    #[must_use]
    pub fn plain(text: &str) -> Snippet {
        Snippet {
            parts: vec![(text.to_owned(), false)],
        }
    }

    /// The snippet as plain text.
    #[must_use]
    pub fn text(&self) -> String {
        self.parts.iter().map(|(t, _)| t.as_str()).collect()
    }

    /// The matched parts, in order.
    #[must_use]
    pub fn matches(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter(|(_, m)| *m)
            .map(|(t, _)| t.as_str())
            .collect()
    }
}

/// One message that matches a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchHit {
    /// The message.
    pub message_id: MessageId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Its channel.
    pub channel: Channel,
    /// Inbound, outbound or note.
    pub kind: MessageKind,
    /// Who wrote it: the customer's name or handle, or the agent's name.
    pub author: String,
    /// The customer of the conversation.
    pub customer_name: Option<String>,
    /// When it was written.
    pub sent_at: Timestamp,
    /// The matching text with the matches marked (the message's start when only
    /// filters were given).
    pub snippet: Snippet,
}

/// One customer whose name or handle matches a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerHit {
    /// The customer.
    pub customer_id: CustomerId,
    /// Their name with the matched words marked; `None` for a nameless customer.
    pub name: Option<Snippet>,
    /// Their handles (`kind:value`), a matched prefix marked.
    pub handles: Vec<Snippet>,
    /// The newest note on their card that matches, around the match.
    pub note: Option<Snippet>,
    /// Their most recent conversation, which Enter opens.
    pub conversation: Option<ConversationId>,
    /// That conversation's channel.
    pub channel: Option<Channel>,
    /// When they last wrote or were written to.
    pub last_contact: Option<Timestamp>,
}

/// What a search found: customers first, then messages, best first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchResults {
    /// Customers matched by name, handle or a note on their card (only for a search
    /// with words and no filter, a filter being about messages; with `is:note` alone,
    /// those whose card notes match).
    pub customers: Vec<CustomerHit>,
    /// Messages, ranked.
    pub messages: Vec<SearchHit>,
}

impl Store {
    /// The best `limit` messages matching `input` (words and filters, see
    /// [`SearchQuery::parse`]), dates read in UTC. The TUI uses [`Store::search_query`],
    /// which also finds customers and reads dates in the agent's zone.
    ///
    /// # Errors
    /// A bad filter (as [`super::StoreError::Invalid`]) or a store failure.
    pub fn search(&mut self, input: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let q = SearchQuery::parse(input, Timestamp::now(), &jiff::tz::TimeZone::UTC)
            .map_err(|e| super::StoreError::Invalid(e.0))?;
        self.read(|conn| messages(conn, &q, limit))
    }

    /// Customers, then the best `limit` messages, for a parsed query.
    ///
    /// # Errors
    /// A store failure.
    pub fn search_query(&mut self, q: &SearchQuery, limit: u32) -> Result<SearchResults> {
        self.read(|conn| {
            let only_notes = q.kinds == [MessageKind::Note]
                && !SearchQuery {
                    kinds: Vec::new(),
                    ..q.clone()
                }
                .has_filters();
            let customers = if !q.has_filters() || only_notes {
                customers(conn, &q.terms, only_notes)?
            } else {
                Vec::new()
            };
            Ok(SearchResults {
                customers,
                messages: messages(conn, q, limit)?,
            })
        })
    }
}

/// The highest customer id before a write, so [`index_new_customers`] can index the
/// ones it added in one statement.
pub(crate) fn customers_high_water(conn: &Connection) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM customers")?
        .query_row([], |r| r.get(0))?)
}

/// Indexes the names of the customers added since `before`: once per write
/// transaction, so ingest builds one small index segment rather than one per customer.
/// `OR REPLACE`: a name given later in the same transaction was indexed by the trigger.
pub(crate) fn index_new_customers(conn: &Connection, before: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO customers_fts(rowid, name)
         SELECT id, display_name FROM customers WHERE id > ?1 AND display_name IS NOT NULL",
    )?
    .execute([before])?;
    Ok(())
}

/// One candidate message, before ranking.
struct Candidate {
    hit: SearchHit,
    body_start: String,
}

const HIT_COLUMNS: &str = "m.id, m.conversation_id, m.channel, m.kind, m.author, \
     (SELECT display_name FROM customers WHERE id = c.customer_id), m.sent_at, substr(m.body, 1, 160)";

fn candidate(r: &rusqlite::Row<'_>) -> rusqlite::Result<Candidate> {
    let channel: String = r.get(2)?;
    let kind: String = r.get(3)?;
    Ok(Candidate {
        hit: SearchHit {
            message_id: MessageId(r.get(0)?),
            conversation_id: ConversationId(r.get(1)?),
            channel: channel.parse().map_err(|e: crate::model::UnknownChannel| {
                rusqlite::Error::FromSqlConversionFailure(2, Type::Text, Box::new(e))
            })?,
            kind: MessageKind::parse(&kind).unwrap_or(MessageKind::Inbound),
            author: r.get(4)?,
            customer_name: r.get(5)?,
            sent_at: ts(r.get(6)?),
            snippet: Snippet { parts: Vec::new() },
        },
        body_start: r.get(7)?,
    })
}

/// The messages of a search: the newest [`RANK_POOL`] candidates, ranked.
fn messages(conn: &Connection, q: &SearchQuery, limit: u32) -> Result<Vec<SearchHit>> {
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let fts = q.fts();
    let mut sql_filters: Vec<String> = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    filters(q, &mut sql_filters, &mut args);
    let (customer_only, from_sql) = match &q.from {
        Some(v) => from_condition(conn, v, &mut args)?,
        None => (false, None),
    };
    let mut pool = RANK_POOL.max(limit);
    // A word still being typed expands to many terms, and bm25 would count every one's
    // documents: while typing, closeness and age rank; the finished word gets bm25.
    let bm25 = !q.terms.iter().any(|t| t.prefix);
    if !customer_only
        && let Some(f) = &fts
        && (q.before.is_some() || q.after.is_some())
    {
        let mut conds = sql_filters.clone();
        conds.extend(from_sql.clone());
        if let Some(found) =
            window::candidates(conn, f, !bm25, q.before, q.after, &conds, &args, pool)?
        {
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            return rank_candidates(conn, f, q.terms.len(), bm25, found, limit);
        }
    }
    // `after:` bounds the index walk from below when few messages are that recent:
    // without it a word with few matches since then would be walked back to the first
    // message. The report's index on `sent_at` (0008) finds them; with many, the walk
    // meets enough matches early and needs no bound.
    if let Some(after) = q.after
        && let Some(first) = first_message_since(conn, after)?
    {
        args.push(Value::Integer(first));
        sql_filters.push(format!("m.id >= ?{}", args.len()));
    }
    let sql = if customer_only {
        // A customer is a few conversations: start from them, not from the index walk,
        // which would skip over everybody else's messages. Their messages are checked
        // against the words afterwards, in rowid ranges around them (`scattered`):
        // FTS5 checks one rowid no faster than it walks the whole list.
        let who = from_sql.unwrap_or_default();
        let mut conds = sql_filters.clone();
        conds.push("m.kind = 'inbound'".to_owned());
        if fts.is_some() {
            pool = CUSTOMER_MESSAGES;
        }
        // A common first name is a thousand customers: their most recent conversations
        // hold their newest messages, without reading every one of the others.
        format!(
            "SELECT {HIT_COLUMNS} FROM (
                 SELECT recent.id FROM ({who}) who CROSS JOIN conversations recent
                 WHERE recent.customer_id = who.id
                 ORDER BY recent.last_message_at DESC LIMIT {CUSTOMER_CONVERSATIONS}
             ) newest CROSS JOIN conversations c CROSS JOIN messages m
             WHERE c.id = newest.id AND m.conversation_id = c.id AND {}
             ORDER BY m.id DESC LIMIT {pool}",
            conds.join(" AND ")
        )
    } else {
        let mut conds = sql_filters.clone();
        conds.extend(from_sql);
        match &fts {
            Some(f) => {
                args.push(Value::Text(f.clone()));
                conds.push(format!("messages_fts MATCH ?{}", args.len()));
                if let Some(at) = conds.iter().position(|c| c.starts_with("m.id >= ")) {
                    // The same bound on the index's own rowid, which FTS5 uses.
                    let bound = conds.remove(at).replacen("m.id", "f.rowid", 1);
                    conds.push(bound);
                }
                format!(
                    "SELECT {HIT_COLUMNS} FROM messages_fts f
                     JOIN messages m ON m.id = f.rowid
                     JOIN conversations c ON c.id = m.conversation_id
                     WHERE {} ORDER BY f.rowid DESC LIMIT {pool}",
                    conds.join(" AND ")
                )
            }
            // A rare status (snoozed, a few pending): its conversations' messages, not a
            // walk over every message looking for them.
            None if few_conversations(conn, q)? => format!(
                "SELECT {HIT_COLUMNS} FROM conversations c CROSS JOIN messages m
                 WHERE m.conversation_id = c.id AND {} ORDER BY m.id DESC LIMIT {pool}",
                conds.join(" AND ")
            ),
            // A date window: its messages newest first on the `sent_at` index (0008),
            // not every newer message skipped on the way there.
            None if q.before.is_some() || q.after.is_some() => format!(
                "SELECT {HIT_COLUMNS} FROM messages m CROSS JOIN conversations c
                 WHERE c.id = m.conversation_id AND {} ORDER BY m.sent_at DESC LIMIT {pool}",
                conds.join(" AND ")
            ),
            None => format!(
                "SELECT {HIT_COLUMNS} FROM messages m CROSS JOIN conversations c
                 WHERE c.id = m.conversation_id AND {} ORDER BY m.id DESC LIMIT {pool}",
                conds.join(" AND ")
            ),
        }
    };
    let candidates = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(args.iter()), candidate)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if customer_only && let Some(f) = &fts {
        let pool = usize::try_from(RANK_POOL).unwrap_or(usize::MAX).max(limit);
        let scored = scattered::matching(conn, f, &candidates, pool)?;
        return Ok(rank_scored(scored, q.terms.len(), candidates, limit));
    }
    let Some(fts) = fts else {
        // Only filters: newest first, each message's start as its snippet.
        return Ok(candidates
            .into_iter()
            .take(limit)
            .map(|c| SearchHit {
                snippet: Snippet::plain(&first_line(&c.body_start)),
                ..c.hit
            })
            .collect());
    };
    rank_candidates(conn, &fts, q.terms.len(), bm25, candidates, limit)
}

/// Up to how many conversations a `status:` filter starts from its conversations.
const FEW_CONVERSATIONS: i64 = 2_000;

/// True when the query's statuses hold few conversations (counted on the queue's
/// `(status, queue_rank)` index, stopping at [`FEW_CONVERSATIONS`]).
fn few_conversations(conn: &Connection, q: &SearchQuery) -> Result<bool> {
    if q.statuses.is_empty() {
        return Ok(false);
    }
    let list = q
        .statuses
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let count: i64 = conn
        .prepare_cached(&format!(
            "SELECT count(*) FROM (SELECT 1 FROM conversations WHERE status IN ({list})
             LIMIT {FEW_CONVERSATIONS})"
        ))?
        .query_row([], |r| r.get(0))?;
    Ok(count < FEW_CONVERSATIONS)
}

/// How many recent messages make an `after:` bound not worth its cost.
const RECENT_ENOUGH: i64 = 20_000;

/// The lowest message id sent at or after `after`, when fewer than [`RECENT_ENOUGH`]
/// messages were (`Some(i64::MAX)` when none was); `None` when it is not worth looking.
fn first_message_since(conn: &Connection, after: Timestamp) -> Result<Option<i64>> {
    let (count, first): (i64, Option<i64>) = conn
        .prepare_cached(&format!(
            "SELECT count(*), min(id) FROM (SELECT rowid AS id FROM messages
             WHERE sent_at >= ?1 ORDER BY sent_at LIMIT {RECENT_ENOUGH})"
        ))?
        .query_row([after.as_millisecond()], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((count < RECENT_ENOUGH).then_some(first.unwrap_or(i64::MAX)))
}

/// Scores the candidates (bm25 from FTS5, the snippet's word distance, age) and keeps
/// the best `limit`.
fn rank_candidates(
    conn: &Connection,
    fts: &str,
    term_count: usize,
    bm25: bool,
    candidates: Vec<Candidate>,
    limit: usize,
) -> Result<Vec<SearchHit>> {
    let (Some(lo), Some(hi)) = (
        candidates.iter().map(|c| c.hit.message_id.0).min(),
        candidates.iter().map(|c| c.hit.message_id.0).max(),
    ) else {
        return Ok(Vec::new());
    };
    let ids: HashSet<i64> = candidates.iter().map(|c| c.hit.message_id.0).collect();
    // The rowid range bounds FTS5's walk; `+rowid IN` is only a filter (a bare IN would
    // be offered to FTS5 as one lookup per id, each recounting the terms for bm25).
    let sql = format!(
        "SELECT rowid, {}, snippet(messages_fts, 0, '{OPEN}', '{CLOSE}', '…', 16)
         FROM messages_fts WHERE messages_fts MATCH ?1 AND rowid BETWEEN ?2 AND ?3
           AND +rowid IN (SELECT value FROM json_each(?4))",
        if bm25 { "bm25(messages_fts)" } else { "-1.0" }
    );
    let id_list = format!(
        "[{}]",
        ids.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    let scored: HashMap<i64, (f64, Snippet)> = conn
        .prepare_cached(&sql)?
        .query_map(rusqlite::params![fts, lo, hi, id_list], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                (r.get::<_, f64>(1)?, Snippet::parse(&r.get::<_, String>(2)?)),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rank_scored(scored, term_count, candidates, limit))
}

/// The best `limit` of the candidates that were `scored` (bm25 and snippet by id).
fn rank_scored(
    mut scored: HashMap<i64, (f64, Snippet)>,
    term_count: usize,
    candidates: Vec<Candidate>,
    limit: usize,
) -> Vec<SearchHit> {
    let newest = candidates
        .iter()
        .filter(|c| scored.contains_key(&c.hit.message_id.0))
        .map(|c| c.hit.sent_at)
        .max()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let mut ranked: Vec<(f64, SearchHit)> = candidates
        .into_iter()
        .filter_map(|c| {
            let (bm25, snippet) = scored.remove(&c.hit.message_id.0)?;
            let score = rank::score(bm25, &snippet, term_count, newest, c.hit.sent_at);
            Some((score, SearchHit { snippet, ..c.hit }))
        })
        .collect();
    ranked.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.message_id.0.cmp(&a.1.message_id.0))
    });
    ranked.into_iter().take(limit).map(|(_, h)| h).collect()
}

/// The first line of a message, for a hit found by filters alone.
fn first_line(body: &str) -> String {
    body.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_owned()
}

/// SQL conditions (on `m` and `c`) for every filter but `from:`.
fn filters(q: &SearchQuery, conds: &mut Vec<String>, args: &mut Vec<Value>) {
    let mut any_of = |column: &str, values: Vec<String>, conds: &mut Vec<String>| {
        if values.is_empty() {
            return;
        }
        let marks: Vec<String> = values
            .into_iter()
            .map(|v| {
                args.push(Value::Text(v));
                format!("?{}", args.len())
            })
            .collect();
        conds.push(format!("{column} IN ({})", marks.join(", ")));
    };
    any_of(
        "m.channel",
        q.channels.iter().map(|c| c.as_str().to_owned()).collect(),
        conds,
    );
    any_of(
        "c.status",
        q.statuses.iter().map(|s| s.as_str().to_owned()).collect(),
        conds,
    );
    any_of(
        "m.kind",
        q.kinds.iter().map(|k| k.as_str().to_owned()).collect(),
        conds,
    );
    if let Some(b) = q.before {
        args.push(Value::Integer(b.as_millisecond()));
        conds.push(format!("m.sent_at < ?{}", args.len()));
    }
    if let Some(a) = q.after {
        args.push(Value::Integer(a.as_millisecond()));
        conds.push(format!("m.sent_at >= ?{}", args.len()));
    }
}

/// `from:VALUE`. Agents are few, so their names are matched here; customers are
/// matched in SQL by name (each word a prefix) or by a handle starting with the value.
/// Returns whether only customers can match (no agent did), and the SQL: a subquery
/// of customer ids `(id)` when only customers match, else a condition on `m` and `c`.
fn from_condition(
    conn: &Connection,
    value: &str,
    args: &mut Vec<Value>,
) -> Result<(bool, Option<String>)> {
    let wanted = value.to_lowercase();
    let agents: Vec<i64> = conn
        .prepare_cached("SELECT id, name FROM agents")?
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .filter(|(_, name)| name.to_lowercase().starts_with(&wanted))
        .map(|(id, _)| id)
        .collect();
    let who = customer_ids_sql(value, args);
    if agents.is_empty() {
        return Ok((true, Some(who)));
    }
    let agent_list = agents
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    Ok((
        false,
        Some(format!(
            "((m.kind = 'inbound' AND c.customer_id IN (SELECT id FROM ({who}))) \
             OR m.agent_id IN ({agent_list}))"
        )),
    ))
}

/// A subquery of the ids (column `id`) of customers named `value` (every word a
/// prefix of a word of the name) or with a handle starting with it.
fn customer_ids_sql(value: &str, args: &mut Vec<Value>) -> String {
    let (lo, hi) = handle_range(value);
    args.push(Value::Text(lo));
    let lo_mark = args.len();
    args.push(Value::Text(hi));
    let hi_mark = args.len();
    let handles = format!(
        "SELECT customer_id AS id FROM handles WHERE kind IN ({}) AND value >= ?{lo_mark} AND value < ?{hi_mark}",
        handle_kinds()
    );
    let words = name_words(value);
    match fts_of(&words) {
        Some(name_query) => {
            args.push(Value::Text(name_query));
            format!(
                "SELECT rowid AS id FROM customers_fts WHERE customers_fts MATCH ?{} UNION {handles}",
                args.len()
            )
        }
        None => handles,
    }
}

/// Every word of a name, each matched as a prefix.
fn name_words(value: &str) -> Vec<Term> {
    value
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| Term {
            text: w.to_owned(),
            phrase: false,
            prefix: true,
        })
        .collect()
}

/// The stored handle kinds, as an SQL list: the primary key starts with the kind, so a
/// prefix of the value is one index range under each.
fn handle_kinds() -> String {
    let mut kinds = vec!["'email'".to_owned(), "'phone'".to_owned()];
    kinds.extend(Channel::ALL.iter().map(|c| format!("'{}'", c.as_str())));
    kinds.dedup();
    kinds.join(", ")
}

/// The range of stored handle values that start with what was typed, normalised as
/// handles are stored (emails lowercased, phone numbers `+` and digits).
fn handle_range(value: &str) -> (String, String) {
    let v = value.trim();
    let looks_like_phone = v.starts_with('+')
        && v.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '.' | '(' | ')'));
    let lo = if looks_like_phone {
        format!(
            "+{}",
            v.chars().filter(char::is_ascii_digit).collect::<String>()
        )
    } else if v.contains('@') {
        v.to_lowercase()
    } else {
        v.to_owned()
    };
    let hi = format!("{lo}\u{10FFFF}");
    (lo, hi)
}

/// Customers whose name has every word (the last one as typed, as a prefix), one of
/// whose handles starts with the single word typed, or a note on whose card matches;
/// most recently in touch first, customers merged into another left out. With
/// `only_notes`, the notes alone.
fn customers(conn: &Connection, terms: &[Term], only_notes: bool) -> Result<Vec<CustomerHit>> {
    let Some(fts) = fts_of(terms) else {
        return Ok(Vec::new());
    };
    let mut found: Vec<(i64, Option<Snippet>)> = Vec::new();
    let mut typed_handle = None;
    if !only_notes {
        let sql = format!(
            "SELECT f.rowid, highlight(customers_fts, 0, '{OPEN}', '{CLOSE}'),
                    (SELECT max(last_message_at) FROM conversations WHERE customer_id = f.rowid) AS last
             FROM customers_fts f JOIN customers cu ON cu.id = f.rowid
             WHERE customers_fts MATCH ?1 AND cu.merged_into IS NULL
             ORDER BY last DESC LIMIT {CUSTOMER_LIMIT}"
        );
        found.extend(
            conn.prepare_cached(&sql)?
                .query_map([&fts], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        Some(Snippet::parse(&r.get::<_, String>(1)?)),
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        );
        if let [only] = terms
            && !only.text.contains(char::is_whitespace)
            && only.text.chars().count() >= MIN_PREFIX
        {
            let (lo, hi) = handle_range(&only.text);
            let sql = format!(
                "SELECT DISTINCT h.customer_id FROM handles h JOIN customers cu ON cu.id = h.customer_id
                 WHERE h.kind IN ({}) AND h.value >= ?1 AND h.value < ?2 AND cu.merged_into IS NULL
                 LIMIT {CUSTOMER_LIMIT}",
                handle_kinds()
            );
            let ids = conn
                .prepare_cached(&sql)?
                .query_map([&lo, &hi], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for id in ids {
                if !found.iter().any(|(f, _)| *f == id) {
                    found.push((id, None));
                }
            }
            typed_handle = Some(lo);
        }
    }
    let sql = format!(
        "SELECT n.customer_id, snippet(customer_notes_fts, 0, '{OPEN}', '{CLOSE}', '…', 12)
         FROM customer_notes_fts f JOIN customer_notes n ON n.id = f.rowid
         WHERE customer_notes_fts MATCH ?1 ORDER BY f.rowid DESC LIMIT {CUSTOMER_LIMIT}"
    );
    let notes = conn
        .prepare_cached(&sql)?
        .query_map([&fts], |r| {
            Ok((r.get::<_, i64>(0)?, Snippet::parse(&r.get::<_, String>(1)?)))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut note_of: Vec<(i64, Snippet)> = Vec::new();
    for (id, snippet) in notes {
        if note_of.iter().any(|(n, _)| *n == id) {
            continue;
        }
        if !found.iter().any(|(f, _)| *f == id) {
            found.push((id, None));
        }
        note_of.push((id, snippet));
    }
    found.truncate(CUSTOMER_LIMIT);
    let mut out = Vec::with_capacity(found.len());
    for (id, name) in found {
        let note = note_of
            .iter()
            .find(|(n, _)| *n == id)
            .map(|(_, s)| s.clone());
        out.extend(customer_hit(conn, id, name, note, typed_handle.as_deref())?);
    }
    Ok(out)
}

fn customer_hit(
    conn: &Connection,
    id: i64,
    name: Option<Snippet>,
    note: Option<Snippet>,
    typed_handle: Option<&str>,
) -> Result<Option<CustomerHit>> {
    let Some(display_name) = conn
        .prepare_cached("SELECT display_name FROM customers WHERE id = ?1")?
        .query_row([id], |r| r.get::<_, Option<String>>(0))
        .optional()?
    else {
        return Ok(None);
    };
    let name = name.or_else(|| display_name.as_deref().map(Snippet::plain));
    let handles = conn
        .prepare_cached(
            "SELECT kind, value FROM handles WHERE customer_id = ?1 ORDER BY created_at, kind",
        )?
        .query_map([id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .filter(|(kind, _)| HandleKind::parse(kind).is_some())
        .map(|(kind, value)| handle_snippet(&kind, &value, typed_handle))
        .collect();
    let newest = conn
        .prepare_cached(
            "SELECT id, channel, last_message_at FROM conversations
             WHERE customer_id = ?1 ORDER BY last_message_at DESC LIMIT 1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .optional()?;
    Ok(Some(CustomerHit {
        customer_id: CustomerId(id),
        name,
        handles,
        note,
        conversation: newest.as_ref().map(|n| ConversationId(n.0)),
        channel: newest.as_ref().and_then(|n| n.1.parse().ok()),
        last_contact: newest.map(|n| ts(n.2)),
    }))
}

/// `kind:value`, with the typed prefix of the value marked.
fn handle_snippet(kind: &str, value: &str, typed: Option<&str>) -> Snippet {
    let mut parts = vec![(format!("{kind}:"), false)];
    match typed.filter(|t| !t.is_empty() && value.starts_with(t)) {
        Some(t) => {
            parts.push((t.to_owned(), true));
            if value.len() > t.len() {
                parts.push((value[t.len()..].to_owned(), false));
            }
        }
        None => parts.push((value.to_owned(), false)),
    }
    Snippet { parts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_split_on_marks() {
        let s = Snippet::parse(&format!("a {OPEN}b{CLOSE} c"));
        assert_eq!(
            s.parts,
            vec![
                ("a ".into(), false),
                ("b".into(), true),
                (" c".into(), false)
            ]
        );
        assert_eq!(s.text(), "a b c");
        assert_eq!(s.matches(), vec!["b"]);
    }

    #[test]
    fn handle_ranges_are_normalised_like_stored_handles() {
        assert_eq!(handle_range("Camille@Ex").0, "camille@ex");
        assert_eq!(handle_range("+33 6 12").0, "+33612");
        assert_eq!(handle_range("v_f749").0, "v_f749");
    }

    #[test]
    fn a_typed_handle_prefix_is_marked() {
        let s = handle_snippet("email", "camille@example.com", Some("camille"));
        assert_eq!(s.matches(), vec!["camille"]);
        assert_eq!(s.text(), "email:camille@example.com");
    }
}
