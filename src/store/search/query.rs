//! The search language: free words, quoted phrases and `key:value` filters, parsed into
//! a [`SearchQuery`] before any SQL is written. Parsing is where a bad filter value is
//! caught, so the agent reads why instead of seeing an empty list.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::model::{Channel, MessageKind, StatusName};

/// The shortest word matched as a prefix while it is being typed: a one- or two-letter
/// prefix expands to thousands of index terms and takes half a second.
pub const MIN_PREFIX: usize = 3;

/// One free word or quoted phrase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// The text, quotes removed.
    pub text: String,
    /// Written in quotes: its words must follow each other.
    pub phrase: bool,
    /// Matched as a prefix (the word still being typed).
    pub prefix: bool,
}

/// A parsed search: what every hit must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Words and phrases, all of which must match.
    pub terms: Vec<Term>,
    /// `from:`: a customer (name, handle, email) for inbound messages, or an agent's name
    /// for replies and notes.
    pub from: Option<String>,
    /// `channel:`; several are alternatives.
    pub channels: Vec<Channel>,
    /// `status:` of the conversation; several are alternatives.
    pub statuses: Vec<StatusName>,
    /// `is:` / `kind:` (`note`, `inbound`, `outbound`); several are alternatives.
    pub kinds: Vec<MessageKind>,
    /// `before:`: sent strictly before this instant.
    pub before: Option<Timestamp>,
    /// `after:`: sent at or after this instant.
    pub after: Option<Timestamp>,
}

/// A filter the agent wrote wrongly. The message is one line naming the filter.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

/// The filters the language knows, for help texts and errors.
pub const FILTERS: &str = "from: channel: status: before: after: is:";

impl SearchQuery {
    /// Parses what the agent typed. `now` and `tz` turn `before:2026-11-01` (midnight
    /// in the agent's zone) and `after:7d` into instants. A trailing word still being
    /// typed matches as a prefix from its third letter.
    ///
    /// # Errors
    /// A filter with a missing or bad value, or a date that does not exist.
    pub fn parse(input: &str, now: Timestamp, tz: &TimeZone) -> Result<SearchQuery, QueryError> {
        let mut q = SearchQuery::default();
        let tokens = tokenize(input);
        let typing = !input.ends_with(char::is_whitespace);
        let count = tokens.len();
        for (i, token) in tokens.into_iter().enumerate() {
            let last = i + 1 == count;
            match token {
                Token::Phrase(text) => q.push_term(&text, true, false),
                Token::Filter { key, value } => q.filter(&key, &value, now, tz)?,
                Token::Word(text) => {
                    let prefix = last && typing && text.chars().count() >= MIN_PREFIX;
                    q.push_term(&text, false, prefix);
                }
            }
        }
        if let (Some(b), Some(a)) = (q.before, q.after)
            && b <= a
        {
            return Err(QueryError(
                "before: is not later than after:, so nothing can match".to_owned(),
            ));
        }
        Ok(q)
    }

    /// True when nothing at all was asked for.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && !self.has_filters()
    }

    /// True when a filter narrows the messages.
    #[must_use]
    pub fn has_filters(&self) -> bool {
        self.from.is_some()
            || !self.channels.is_empty()
            || !self.statuses.is_empty()
            || !self.kinds.is_empty()
            || self.before.is_some()
            || self.after.is_some()
    }

    /// The words as an FTS5 query that can never be a syntax error: every term is a
    /// quoted string (so `AND`, `NEAR`, `-`, `*` or `(` are only text), all must match,
    /// and a prefix term gets FTS5's `*`. `None` without words.
    #[must_use]
    pub fn fts(&self) -> Option<String> {
        fts_of(&self.terms)
    }

    fn push_term(&mut self, text: &str, phrase: bool, prefix: bool) {
        let text = text.replace('"', "");
        if text.trim().is_empty() {
            return;
        }
        self.terms.push(Term {
            text: text.trim().to_owned(),
            phrase,
            prefix,
        });
    }

    fn filter(
        &mut self,
        key: &str,
        value: &str,
        now: Timestamp,
        tz: &TimeZone,
    ) -> Result<(), QueryError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(QueryError(format!("{key}: needs a value")));
        }
        match key {
            "from" => self.from = Some(value.to_owned()),
            "channel" => {
                let c = value.to_lowercase().parse::<Channel>().map_err(|_| {
                    QueryError(format!(
                        "channel:{value} is not a channel (email, chat, messenger, instagram, whatsapp, telegram, mastodon, x)"
                    ))
                })?;
                self.channels.push(c);
            }
            "status" => {
                let s = value
                    .to_lowercase()
                    .parse::<StatusName>()
                    .map_err(|e| QueryError(format!("status: {e}")))?;
                self.statuses.push(s);
            }
            "is" | "kind" => {
                let k = match value.to_lowercase().as_str() {
                    "note" | "notes" => MessageKind::Note,
                    "inbound" | "in" => MessageKind::Inbound,
                    "outbound" | "out" | "reply" => MessageKind::Outbound,
                    _ => {
                        return Err(QueryError(format!(
                            "{key}:{value} is not a kind (note, inbound, outbound)"
                        )));
                    }
                };
                self.kinds.push(k);
            }
            "before" => self.before = Some(instant(key, value, now, tz)?),
            "after" => self.after = Some(instant(key, value, now, tz)?),
            _ => unreachable_filter(key)?,
        }
        Ok(())
    }
}

/// Keys are checked by the tokenizer; this keeps `filter` total without a panic.
fn unreachable_filter(key: &str) -> Result<(), QueryError> {
    Err(QueryError(format!(
        "{key}: is not a filter (filters: {FILTERS})"
    )))
}

/// The FTS5 query for some terms (see [`SearchQuery::fts`]).
#[must_use]
pub fn fts_of(terms: &[Term]) -> Option<String> {
    if terms.is_empty() {
        return None;
    }
    Some(
        terms
            .iter()
            .map(|t| {
                let quoted = format!("\"{}\"", t.text.replace('"', ""));
                if t.prefix { quoted + "*" } else { quoted }
            })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// A date (`2026-11-01`, midnight in `tz`), a span back from now (`36h`, `7d`, `2w`),
/// `today` or `yesterday`.
fn instant(key: &str, value: &str, now: Timestamp, tz: &TimeZone) -> Result<Timestamp, QueryError> {
    let bad = || {
        QueryError(format!(
            "{key}:{value} is not a date (2026-11-01, 7d, 2w, 36h, today, yesterday)"
        ))
    };
    let today = now.to_zoned(tz.clone()).date();
    let midnight = |d: Date| {
        d.to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|_| bad())
    };
    match value.to_lowercase().as_str() {
        "today" => return midnight(today),
        "yesterday" => return midnight(today.yesterday().map_err(|_| bad())?),
        _ => {}
    }
    if let Ok(date) = value.parse::<Date>() {
        return midnight(date);
    }
    let unit = value.chars().last().ok_or_else(bad)?;
    let n: i64 = value[..value.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    let hours = match unit.to_ascii_lowercase() {
        'h' => Some(n),
        'd' => n.checked_mul(24),
        'w' => n.checked_mul(24 * 7),
        _ => None,
    }
    .filter(|h| (0..=24 * 365 * 100).contains(h))
    .ok_or_else(bad)?;
    now.checked_sub(SignedDuration::from_hours(hours))
        .map_err(|_| bad())
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Phrase(String),
    Filter { key: String, value: String },
}

/// Splits on whitespace, keeping `"quoted phrases"` and `key:"quoted values"` whole. An
/// unclosed quote runs to the end (the agent is still typing it). Only known keys make
/// a filter: `http://…` or `re:` stay words.
fn tokenize(input: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        if c == '"' {
            chars.next();
            out.push(Token::Phrase(take_quoted(&mut chars)));
            continue;
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            if c == ':' && is_filter_key(&word) {
                let key = word.to_lowercase();
                let value = if chars.peek() == Some(&'"') {
                    chars.next();
                    take_quoted(&mut chars)
                } else {
                    let mut v = String::new();
                    while let Some(&c) = chars.peek() {
                        if c.is_whitespace() {
                            break;
                        }
                        v.push(c);
                        chars.next();
                    }
                    v
                };
                out.push(Token::Filter { key, value });
                word.clear();
                break;
            }
            word.push(c);
        }
        if !word.is_empty() {
            out.push(Token::Word(word));
        }
    }
    out
}

fn is_filter_key(word: &str) -> bool {
    matches!(
        word.to_lowercase().as_str(),
        "from" | "channel" | "status" | "before" | "after" | "is" | "kind"
    )
}

fn take_quoted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut text = String::new();
    for c in chars.by_ref() {
        if c == '"' {
            break;
        }
        text.push(c);
    }
    text
}
