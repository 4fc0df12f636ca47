//! One reply file: optional YAML front matter between `---` lines, then a Markdown body.
//! Every error names the file and the line, as an editor's quickfix list reads them.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::Channel;

/// The front matter keys, in the order error messages list them.
pub const KEYS: [&str; 6] = [
    "name",
    "shortcut",
    "tags",
    "channels",
    "language",
    "attachments",
];

/// A problem in one reply file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct ReplyError {
    /// The file, as the agent knows it (`replies/refund.md`).
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// What serde reads from the front matter.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: Option<String>,
    shortcut: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    channels: Vec<String>,
    language: Option<String>,
    #[serde(default)]
    attachments: Vec<String>,
}

/// One file, read and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyFile {
    /// Where it is on disk (for embedded examples, where they would be).
    pub path: PathBuf,
    /// `name:`; `None` leaves it to the file name.
    pub name: Option<String>,
    /// `shortcut:`, lowercased.
    pub shortcut: Option<String>,
    /// `tags:`.
    pub tags: Vec<String>,
    /// `channels:`: where the reply is offered; empty means everywhere.
    pub channels: Vec<Channel>,
    /// `language:`, lowercased (`fr`, `pt-br`).
    pub language: Option<String>,
    /// `attachments:`, made absolute against the file's folder (each checked to exist).
    pub attachments: Vec<PathBuf>,
    /// The Markdown after the front matter.
    pub body: String,
}

/// Parses one file's text. `shown` is the path as errors print it; `dir` is the file's
/// folder, which attachment paths are relative to; `check_files` is off for embedded
/// examples, which have no folder.
///
/// # Errors
/// The first problem found, with its line.
pub fn parse(
    text: &str,
    path: &Path,
    shown: &str,
    check_files: bool,
) -> Result<ReplyFile, ReplyError> {
    let err = |line: usize, message: String| ReplyError {
        path: shown.to_owned(),
        line,
        message,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (front, body) = split(text).map_err(|line| {
        err(
            line,
            "front matter opened with `---` is never closed with a `---` line".to_owned(),
        )
    })?;
    let only_comments = front.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    });
    let raw: Raw = if only_comments {
        Raw::default()
    } else {
        yaml_serde::from_str(front).map_err(|e| {
            // The front matter starts on the file's second line.
            let line = e.location().map_or(1, |l| l.line()) + 1;
            err(line, yaml_message(&e.to_string()))
        })?
    };
    let line_of = |key: &str, value: &str| front_line(front, key, value);
    let nonblank = |key: &str, v: Option<String>| -> Result<Option<String>, ReplyError> {
        match v {
            Some(v) if v.trim().is_empty() => {
                Err(err(line_of(key, ""), format!("{key} must not be empty")))
            }
            v => Ok(v.map(|v| v.trim().to_owned())),
        }
    };
    let name = nonblank("name", raw.name)?;
    let shortcut = nonblank("shortcut", raw.shortcut)?.map(|s| s.to_lowercase());
    if let Some(s) = &shortcut
        && s.contains(char::is_whitespace)
    {
        return Err(err(
            line_of("shortcut", s),
            format!("shortcut {s:?} must be one word"),
        ));
    }
    let language = nonblank("language", raw.language)?.map(|l| l.to_lowercase());
    let mut channels = Vec::new();
    for c in &raw.channels {
        match c.trim().parse::<Channel>() {
            Ok(ch) => channels.push(ch),
            Err(_) => {
                return Err(err(
                    line_of("channels", c),
                    format!(
                        "unknown channel {c:?} (channels: {})",
                        Channel::ALL.map(Channel::as_str).join(", ")
                    ),
                ));
            }
        }
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut attachments = Vec::new();
    for a in &raw.attachments {
        let full = dir.join(a);
        if check_files && !full.is_file() {
            return Err(err(
                line_of("attachments", a),
                format!("attachment {a:?} not found (looked for {})", full.display()),
            ));
        }
        attachments.push(full);
    }
    let tags = raw
        .tags
        .into_iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    Ok(ReplyFile {
        path: path.to_owned(),
        name,
        shortcut,
        tags,
        channels,
        language,
        attachments,
        body: body.trim_matches(['\n', '\r']).trim_end().to_owned(),
    })
}

/// Splits front matter from body; `Err(line)` when the front matter is never closed.
fn split(text: &str) -> Result<(&str, &str), usize> {
    let mut lines = text.split_inclusive('\n');
    let Some(first) = lines.next() else {
        return Ok(("", ""));
    };
    if first.trim_end() != "---" {
        return Ok(("", text));
    }
    let start = first.len();
    let mut at = start;
    for line in lines {
        let bare = line.trim_end();
        if bare == "---" || bare == "..." {
            return Ok((&text[start..at], &text[at + line.len()..]));
        }
        at += line.len();
    }
    Err(1)
}

/// The file line of `key:` in the front matter, or of `value` under it when the value
/// is on its own line (a YAML list item).
fn front_line(front: &str, key: &str, value: &str) -> usize {
    let lines: Vec<&str> = front.lines().collect();
    let Some(k) = lines
        .iter()
        .position(|l| l.trim_start().starts_with(&format!("{key}:")))
    else {
        return 1;
    };
    let found = if value.is_empty() || lines[k].contains(value) {
        k
    } else {
        lines
            .iter()
            .enumerate()
            .skip(k + 1)
            .take_while(|(_, l)| l.starts_with([' ', '-', '\t']))
            .find(|(_, l)| l.contains(value))
            .map_or(k, |(i, _)| i)
    };
    found + 2
}

/// yaml's messages, in comptoir's words where it matters: the unknown key is the common
/// mistake, so it says which keys exist.
fn yaml_message(message: &str) -> String {
    // "unknown field `chanels`, expected one of `name`, ... at line 3 column 1"
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((key, _)) = rest.split_once('`')
    {
        return format!("unknown key {key:?} (keys: {})", KEYS.join(", "));
    }
    message
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use super::*;

    fn p(text: &str) -> Result<ReplyFile, ReplyError> {
        parse(text, Path::new("/r/refund.md"), "replies/refund.md", false)
    }

    #[test]
    fn front_matter_and_body() {
        let f = p("---\nname: Refund\nshortcut: REF\ntags: [money, returns]\nchannels:\n  - email\n  - telegram\nlanguage: FR\n---\n\nHello {{customer.first_name}}\n").unwrap();
        assert_eq!(f.name.as_deref(), Some("Refund"));
        assert_eq!(f.shortcut.as_deref(), Some("ref"));
        assert_eq!(f.tags, ["money", "returns"]);
        assert_eq!(f.channels, [Channel::Email, Channel::Telegram]);
        assert_eq!(f.language.as_deref(), Some("fr"));
        assert_eq!(f.body, "Hello {{customer.first_name}}");
    }

    #[test]
    fn no_front_matter_is_all_body() {
        let f = p("Just text\n---\nmore").unwrap();
        assert_eq!(f.name, None);
        assert_eq!(f.body, "Just text\n---\nmore");
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = p("---\nname: Refund\nchanels: [email]\n---\nx").unwrap_err();
        assert_eq!(
            e.to_string(),
            "replies/refund.md:3: unknown key \"chanels\" (keys: name, shortcut, tags, channels, language, attachments)"
        );
        let e = p("---\nname: Refund\nchannels:\n  - email\n  - fax\n---\nx").unwrap_err();
        assert_eq!(e.line, 5, "{e}");
        assert!(e.message.starts_with("unknown channel \"fax\""), "{e}");
        let e = p("---\nname: Refund\n").unwrap_err();
        assert_eq!(e.line, 1, "{e}");
        let e = p("---\nname: [oops\n---\n").unwrap_err();
        assert!(e.line >= 2, "{e}");
        let e = p("---\nshortcut: two words\n---\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn attachments_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("guide.pdf"), b"%PDF").unwrap();
        let path = dir.path().join("a.md");
        let ok = parse("---\nattachments: [guide.pdf]\n---\nx", &path, "a.md", true).unwrap();
        assert_eq!(ok.attachments, [dir.path().join("guide.pdf")]);
        let e = parse(
            "---\nname: A\nattachments:\n  - guide.pdf\n  - missing.pdf\n---\nx",
            &path,
            "a.md",
            true,
        )
        .unwrap_err();
        assert_eq!(e.line, 5, "{e}");
        assert!(e.message.contains("missing.pdf"), "{e}");
    }
}
