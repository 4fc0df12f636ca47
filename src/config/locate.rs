//! Turning toml's errors into one line with a position and a key path, with no secret
//! value in it.

use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::ConfigError;

pub(super) fn syntax_error(text: &str, path: &Path, error: &toml::de::Error) -> ConfigError {
    let span = error.span();
    let (line, column) = position(text, span.as_ref().map_or(0, |span| span.start));
    let mut message = redact_strings(error.message());
    if let Some(span) = span {
        match locate(text, span.start) {
            Some(found) => {
                let unknown = unknown_field(&message);
                if let Some(key) = &unknown
                    && message.contains(&format!("`{key}_command`"))
                {
                    message = plain_secret_message(key);
                    message = format!("{}: {message}", found.path);
                } else if unknown.is_some() && found.is_key {
                    // "email[0]: unknown field `x`" reads better than "email[0].x: unknown field `x`".
                    if let Some(parent) = found.parent() {
                        message = format!("{parent}: {message}");
                    }
                } else {
                    message = format!("{}: {message}", found.path);
                }
            }
            None => {
                // A TOML syntax error (the document does not parse at all); name the offending
                // key where toml points at one.
                if message == "duplicate key" {
                    let key = text.get(span).unwrap_or("").trim();
                    if !key.is_empty() && !key.contains('\n') {
                        message = format!("duplicate key `{key}`");
                    }
                }
            }
        }
    }
    ConfigError::Syntax {
        path: path.to_owned(),
        line,
        column,
        message: one_line(&message),
    }
}

pub(super) fn plain_secret_message(key: &str) -> String {
    let kind = if key == "password" {
        "passwords"
    } else {
        "secrets"
    };
    format!("plain {kind} are not accepted; use {key}_command or {key}_file")
}

/// The key named by serde's "unknown field `KEY`, expected ..." message.
pub(super) fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let end = rest.find('`')?;
    Some(rest[..end].to_owned())
}

/// Serde quotes the offending value in type errors (`invalid type: string "…", expected u16`).
/// A secret pasted under the wrong key would end up on the terminal and in logs that way, so
/// string values are dropped; the line and column still point at it.
pub(super) fn redact_strings(message: &str) -> String {
    const MARKER: &str = "string \"";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(MARKER) {
        let (before, after) = rest.split_at(start + MARKER.len() - 1);
        // `before` ends with "string "; drop the space before the value.
        out.push_str(before.trim_end());
        let quoted = &after[1..];
        let mut escaped = false;
        let mut end = None;
        for (i, c) in quoted.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        match end {
            Some(end) => rest = &quoted[end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

pub(super) fn one_line(message: &str) -> String {
    if message.contains(['\n', '\r']) {
        message.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        message.to_owned()
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

pub(super) struct Located {
    path: String,
    is_key: bool,
}

impl Located {
    fn parent(&self) -> Option<&str> {
        let cut = self.path.rfind(['.', '['])?;
        // A trailing index belongs to the array, not to the key: the parent of `a[0].b` is `a[0]`.
        Some(&self.path[..cut])
    }
}

/// Finds the key (or value) at byte `offset`, as a path like `email[1].imap.port`.
///
/// Re-parses the document into toml's spanned tree and takes the narrowest key or value span
/// containing the offset; table headers count as the span of their table, which is where toml
/// points "missing field" errors.
pub(super) fn locate(text: &str, offset: usize) -> Option<Located> {
    let document = toml::de::DeTable::parse(text).ok()?;
    let mut best: Option<(usize, usize, Located)> = None;
    let mut consider = |path: &str, span: Range<usize>, is_key: bool| {
        let contains = span.contains(&offset) || (span.is_empty() && span.start == offset);
        if !contains || path.is_empty() {
            return;
        }
        let width = span.len();
        let better = match &best {
            None => true,
            Some((best_width, best_depth, _)) => {
                width < *best_width || (width == *best_width && path.len() > *best_depth)
            }
        };
        if better {
            best = Some((
                width,
                path.len(),
                Located {
                    path: path.to_owned(),
                    is_key,
                },
            ));
        }
    };
    walk_table(document.get_ref(), "", &mut consider);
    best.map(|(_, _, located)| located)
}

pub(super) fn walk_table(
    table: &toml::de::DeTable<'_>,
    prefix: &str,
    visit: &mut impl FnMut(&str, Range<usize>, bool),
) {
    for (key, value) in table.iter() {
        let segment = key_segment(key.get_ref());
        let path = if prefix.is_empty() {
            segment
        } else {
            format!("{prefix}.{segment}")
        };
        visit(&path, key.span(), true);
        walk_value(value, &path, visit);
    }
}

pub(super) fn walk_value(
    value: &Spanned<toml::de::DeValue<'_>>,
    path: &str,
    visit: &mut impl FnMut(&str, Range<usize>, bool),
) {
    visit(path, value.span(), false);
    match value.get_ref() {
        toml::de::DeValue::Table(table) => walk_table(table, path, visit),
        toml::de::DeValue::Array(array) => {
            for (i, item) in array.iter().enumerate() {
                walk_value(item, &format!("{path}[{i}]"), visit);
            }
        }
        _ => {}
    }
}

pub(super) fn key_segment(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_is_one_based_and_counts_characters() {
        assert_eq!(position("", 0), (1, 1));
        assert_eq!(position("ab\ncd", 3), (2, 1));
        assert_eq!(position("é = 1\nx", 4), (1, 4));
        assert_eq!(position("ab", 99), (1, 3));
    }

    #[test]
    fn redaction_drops_quoted_strings_only() {
        assert_eq!(
            redact_strings(r#"invalid type: string "hun\"ter2", expected u16"#),
            "invalid type: string, expected u16"
        );
        assert_eq!(
            redact_strings("invalid type: integer `3`, expected a string"),
            "invalid type: integer `3`, expected a string"
        );
    }

    #[test]
    fn located_parent_strips_last_segment() {
        let found = Located {
            path: "email[0].imapx".to_owned(),
            is_key: true,
        };
        assert_eq!(found.parent(), Some("email[0]"));
    }
}
