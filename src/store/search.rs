//! Full-text search over every message, with highlighted snippets.

use jiff::Timestamp;
use rusqlite::types::Type;

use super::{Result, Store, ts};
use crate::model::{Channel, ConversationId, MessageId, MessageKind};

/// Marks around a match inside a snippet. Unicode noncharacters: they never come from
/// a channel as meaningful text, so they can't be confused with the message's own.
const OPEN: char = '\u{FDD0}';
const CLOSE: char = '\u{FDD1}';

/// The shortest word matched as a prefix.
const MIN_PREFIX: usize = 3;

/// A piece of message text around the matches, split into plain and matched parts.
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

    /// The snippet as plain text.
    #[must_use]
    pub fn text(&self) -> String {
        self.parts.iter().map(|(t, _)| t.as_str()).collect()
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
    /// The customer of the conversation.
    pub customer_name: Option<String>,
    /// When it was written.
    pub sent_at: Timestamp,
    /// The matching text with the matches marked.
    pub snippet: Snippet,
}

/// Turns what the agent typed into an FTS5 query that can't be a syntax error: every
/// word is quoted (so `AND`, `-` or `"` are just text), all words must match, and the
/// last one matches as a prefix while it is being typed, from its third character (a
/// one- or two-letter prefix expands to thousands of terms and takes half a second).
#[must_use]
pub fn fts_query(input: &str) -> Option<String> {
    let words: Vec<String> = input
        .split_whitespace()
        .map(|w| w.replace('"', ""))
        .filter(|w| !w.is_empty())
        .collect();
    let last = words.len().checked_sub(1)?;
    let prefix_last =
        !input.ends_with(char::is_whitespace) && words[last].chars().count() >= MIN_PREFIX;
    Some(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == last && prefix_last {
                    format!("\"{w}\"*")
                } else {
                    format!("\"{w}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

impl Store {
    /// The newest `limit` messages matching every word of `input`, newest first.
    ///
    /// Ranking by recency rather than relevance is deliberate: it lets FTS5 walk its
    /// index backwards and stop at `limit`, so a common word costs no more than a rare
    /// one, and agents mostly look for the recent exchange they half remember.
    ///
    /// # Errors
    /// A store failure.
    pub fn search(&mut self, input: &str, limit: u32) -> Result<Vec<SearchHit>> {
        let Some(query) = fts_query(input) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT m.id, m.conversation_id, m.channel, m.kind, cu.display_name, m.sent_at,
                snippet(messages_fts, 0, '{OPEN}', '{CLOSE}', '…', 16)
             FROM messages_fts f
             JOIN messages m ON m.id = f.rowid
             JOIN conversations c ON c.id = m.conversation_id
             JOIN customers cu ON cu.id = c.customer_id
             WHERE messages_fts MATCH ?1
             ORDER BY f.rowid DESC LIMIT ?2"
        );
        let hits = self
            .conn
            .prepare_cached(&sql)?
            .query_map(rusqlite::params![query, limit], |r| {
                let channel: String = r.get(2)?;
                let kind: String = r.get(3)?;
                Ok(SearchHit {
                    message_id: MessageId(r.get(0)?),
                    conversation_id: ConversationId(r.get(1)?),
                    channel: channel.parse().map_err(|e: crate::model::UnknownChannel| {
                        rusqlite::Error::FromSqlConversionFailure(2, Type::Text, Box::new(e))
                    })?,
                    kind: MessageKind::parse(&kind).unwrap_or(MessageKind::Inbound),
                    customer_name: r.get(4)?,
                    sent_at: ts(r.get(5)?),
                    snippet: Snippet::parse(&r.get::<_, String>(6)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_always_valid_fts() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("colis"), Some("\"colis\"*".into()));
        assert_eq!(
            fts_query("colis AND \"xyz"),
            Some("\"colis\" \"AND\" \"xyz\"*".into())
        );
        assert_eq!(fts_query("order "), Some("\"order\"".into()));
        assert_eq!(
            fts_query("co"),
            Some("\"co\"".into()),
            "too short for a prefix"
        );
    }

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
    }
}
