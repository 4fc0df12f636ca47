//! The folder of reply files, read into [`Reply`] values.
//!
//! File names carry the variants: `refund.md` is the reply, `refund.fr.md` its French
//! version (a reply of its own in the picker, labelled `fr`), and `refund.telegram.md` or
//! `refund.fr.telegram.md` the text used on one channel instead. A variant file's front
//! matter may be empty: it takes the name, tags and channels of the file it varies
//! (never the shortcut, which stays one reply's).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::file::{self, ReplyError, ReplyFile};
use super::find::{Entry, Finder};
use crate::model::Channel;

/// One canned reply, ready to search and render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// What the picker lists (`name:`, else the file name).
    pub name: String,
    /// Typed in full, it ranks first and `:reply` inserts it at once.
    pub shortcut: Option<String>,
    /// Searched like the name.
    pub tags: Vec<String>,
    /// Where it is offered; empty means every channel.
    pub channels: Vec<Channel>,
    /// Its language, when it says or its file name does.
    pub language: Option<String>,
    /// Files that go with it (checked to exist).
    pub attachments: Vec<PathBuf>,
    /// The Markdown text.
    pub body: String,
    /// Its file.
    pub path: PathBuf,
    /// The texts used instead on some channels.
    pub variants: Vec<ChannelVariant>,
    /// Another reply has the same name in another language, so the label says which.
    pub translated: bool,
}

/// A reply's text for one channel (`refund.telegram.md`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelVariant {
    /// The channel.
    pub channel: Channel,
    /// The Markdown text.
    pub body: String,
    /// Its own attachments; empty keeps the reply's.
    pub attachments: Vec<PathBuf>,
    /// Its file.
    pub path: PathBuf,
}

impl Reply {
    /// Whether the picker offers it on `channel`.
    #[must_use]
    pub fn offered_on(&self, channel: Channel) -> bool {
        self.channels.is_empty() || self.channels.contains(&channel)
    }

    /// The Markdown used on `channel`: its variant's, else the reply's own.
    #[must_use]
    pub fn body_for(&self, channel: Channel) -> &str {
        self.variant(channel).map_or(&self.body, |v| &v.body)
    }

    /// The attachments used on `channel`.
    #[must_use]
    pub fn attachments_for(&self, channel: Channel) -> &[PathBuf] {
        match self.variant(channel) {
            Some(v) if !v.attachments.is_empty() => &v.attachments,
            _ => &self.attachments,
        }
    }

    fn variant(&self, channel: Channel) -> Option<&ChannelVariant> {
        self.variants.iter().find(|v| v.channel == channel)
    }

    /// The name, with the language when the same name exists in another one
    /// (`Refund policy · fr`).
    #[must_use]
    pub fn label(&self) -> String {
        match &self.language {
            Some(l) if self.translated => format!("{} · {l}", self.name),
            _ => self.name.clone(),
        }
    }
}

/// Every reply of a folder, the files that could not be read, and the search index.
#[derive(Clone, Debug, Default)]
pub struct Library {
    replies: Vec<Reply>,
    errors: Vec<ReplyError>,
    finder: Finder,
    dir: Option<PathBuf>,
}

/// The examples shipped in the binary: written into a new replies folder, and what
/// `comptoir demo` offers.
pub const EXAMPLES: [(&str, &str); 10] = [
    ("greeting.md", include_str!("examples/greeting.md")),
    ("order-status.md", include_str!("examples/order-status.md")),
    ("refund.md", include_str!("examples/refund.md")),
    ("refund.fr.md", include_str!("examples/refund.fr.md")),
    (
        "refund.instagram.md",
        include_str!("examples/refund.instagram.md"),
    ),
    (
        "delivery-delay.md",
        include_str!("examples/delivery-delay.md"),
    ),
    (
        "opening-hours.md",
        include_str!("examples/opening-hours.md"),
    ),
    ("allergens.md", include_str!("examples/allergens.md")),
    ("closing.md", include_str!("examples/closing.md")),
    ("README.md", include_str!("examples/README.md")),
];

/// The file that explains the folder; not a reply.
const README: &str = "README.md";

impl Library {
    /// Reads every `*.md` file of `dir` (none when it does not exist). A bad file is
    /// left out and its error kept; the others load.
    #[must_use]
    pub fn load(dir: &Path) -> Library {
        let mut texts = Vec::new();
        let mut errors = Vec::new();
        let shown_dir = dir.file_name().map_or_else(
            || dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.ends_with(".md") || name.starts_with('.') || name == README {
                    continue;
                }
                match std::fs::read_to_string(entry.path()) {
                    Ok(text) => texts.push((name, text)),
                    Err(e) => errors.push(ReplyError {
                        path: format!("{shown_dir}/{name}"),
                        line: 1,
                        message: format!("cannot read: {e}"),
                    }),
                }
            }
        }
        let mut lib = Library::from_texts(
            texts.iter().map(|(n, t)| (n.as_str(), t.as_str())),
            dir,
            &shown_dir,
            true,
        );
        lib.errors.splice(0..0, errors);
        lib
    }

    /// The shipped examples, as the demo offers them.
    #[must_use]
    pub fn examples() -> Library {
        Library::from_texts(
            EXAMPLES.iter().filter(|(n, _)| *n != README).copied(),
            Path::new("replies"),
            "replies",
            false,
        )
    }

    /// Builds a library from file names and texts as if they were in `dir`; errors show
    /// paths under `shown_dir`. Attachments are checked only with `check_files`.
    #[must_use]
    pub fn from_texts<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
        dir: &Path,
        shown_dir: &str,
        check_files: bool,
    ) -> Library {
        let mut b = Builder::default();
        let mut named = Vec::new();
        for (name, text) in files {
            match FileName::parse(name) {
                Ok(f) => named.push((f, name, text)),
                Err(message) => b.errors.push(ReplyError {
                    path: format!("{shown_dir}/{name}"),
                    line: 1,
                    message,
                }),
            }
        }
        // Replies first, then their language versions, then channel variants, so each
        // variant finds what it varies; by file name within each (the first file keeps a
        // name or shortcut that two files claim).
        named.sort_by(|(a, an, _), (b, bn, _)| {
            (a.channel.is_some(), a.language.is_some(), an).cmp(&(
                b.channel.is_some(),
                b.language.is_some(),
                bn,
            ))
        });
        for (f, name, text) in named {
            let shown = format!("{shown_dir}/{name}");
            match file::parse(text, &dir.join(name), &shown, check_files) {
                Ok(rf) if f.channel.is_some() => b.add_variant(&f, rf, &shown),
                Ok(rf) => b.add_reply(&f, rf, &shown, text),
                Err(e) => b.errors.push(e),
            }
        }
        b.replies_in_file_order();
        b.mark_translations();
        let finder = Finder::new(b.replies.iter().map(|r| Entry {
            name: &r.name,
            shortcut: r.shortcut.as_deref(),
            tags: &r.tags,
            language: r.language.as_deref(),
        }));
        Library {
            replies: b.replies,
            errors: b.errors,
            finder,
            dir: Some(dir.to_owned()),
        }
    }

    /// Every reply, in file-name order.
    #[must_use]
    pub fn replies(&self) -> &[Reply] {
        &self.replies
    }

    /// One reply.
    #[must_use]
    pub fn get(&self, index: usize) -> Option<&Reply> {
        self.replies.get(index)
    }

    /// The files that could not be used, each with its line.
    #[must_use]
    pub fn errors(&self) -> &[ReplyError] {
        &self.errors
    }

    /// The folder it was read from.
    #[must_use]
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The replies offered on `channel` that match `query`, best first; `within` narrows
    /// to an earlier result (see [`Finder::rank`]).
    #[must_use]
    pub fn search(
        &self,
        query: &str,
        channel: Option<Channel>,
        within: Option<&[usize]>,
    ) -> Vec<usize> {
        let mut out = self.finder.rank(query, within);
        if let Some(c) = channel {
            out.retain(|&i| self.replies[i].offered_on(c));
        }
        out
    }

    /// The reply whose shortcut or name is exactly `name` (case aside), preferring one
    /// offered on `channel`.
    #[must_use]
    pub fn lookup(&self, name: &str, channel: Option<Channel>) -> Option<usize> {
        let wanted = name.trim().to_lowercase();
        let offered = |i: &usize| channel.is_none_or(|c| self.replies[*i].offered_on(c));
        let by_shortcut = (0..self.replies.len())
            .filter(offered)
            .find(|&i| self.replies[i].shortcut.as_deref() == Some(wanted.as_str()));
        by_shortcut.or_else(|| {
            (0..self.replies.len()).filter(offered).find(|&i| {
                let r = &self.replies[i];
                r.name.to_lowercase() == wanted || r.label().to_lowercase() == wanted
            })
        })
    }
}

/// Writes the shipped examples into `dir` when it does not exist yet; an existing
/// folder, even an empty one, is the shop's and is left alone. Whether it wrote them.
///
/// # Errors
/// The folder or a file could not be written.
pub fn install_examples(dir: &Path) -> std::io::Result<bool> {
    if dir.exists() {
        return Ok(false);
    }
    std::fs::create_dir_all(dir)?;
    for (name, text) in EXAMPLES {
        use std::io::Write;
        // create_new: never over a file, even one that appeared meanwhile.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(dir.join(name))?;
        f.write_all(text.as_bytes())?;
    }
    Ok(true)
}

/// What a file's name says: `refund.fr.telegram.md`.
struct FileName {
    stem: String,
    language: Option<String>,
    channel: Option<Channel>,
}

impl FileName {
    fn parse(name: &str) -> Result<FileName, String> {
        let bare = name.strip_suffix(".md").unwrap_or(name);
        let mut parts = bare.split('.');
        let stem = parts.next().unwrap_or_default().to_owned();
        if stem.is_empty() {
            return Err("a reply file needs a name before its first `.`".to_owned());
        }
        let mut out = FileName {
            stem,
            language: None,
            channel: None,
        };
        for part in parts {
            let lower = part.to_lowercase();
            if let Ok(c) = lower.parse::<Channel>() {
                if out.channel.replace(c).is_some() {
                    return Err(format!("{name}: names two channels"));
                }
            } else if is_language(&lower) {
                if out.language.replace(lower).is_some() {
                    return Err(format!("{name}: names two languages"));
                }
            } else {
                return Err(format!(
                    "{part:?} in the file name is neither a channel ({}) nor a language code (fr, pt-br)",
                    Channel::ALL.map(Channel::as_str).join(", ")
                ));
            }
        }
        Ok(out)
    }
}

/// `fr`, `deu`, `pt-br`: a language tag as a file name carries it.
fn is_language(s: &str) -> bool {
    let mut parts = s.split('-');
    let lang = parts.next().unwrap_or_default();
    (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_lowercase())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[derive(Default)]
struct Builder {
    replies: Vec<Reply>,
    errors: Vec<ReplyError>,
    /// (stem, language) → index in `replies`.
    by_stem: HashMap<(String, Option<String>), usize>,
    /// Shortcut → index, to refuse a second file claiming it.
    by_shortcut: HashMap<String, usize>,
    /// (lowercase name, language) → index, likewise.
    by_name: HashMap<(String, Option<String>), usize>,
}

impl Builder {
    /// Marks the replies whose name exists in more than one language.
    fn mark_translations(&mut self) {
        let mut count: HashMap<String, usize> = HashMap::new();
        for r in &self.replies {
            *count.entry(r.name.to_lowercase()).or_default() += 1;
        }
        for r in &mut self.replies {
            r.translated = count.get(&r.name.to_lowercase()).is_some_and(|&n| n > 1);
        }
    }

    /// Lists the replies by file name, each right before its language versions,
    /// whatever order they were read in.
    fn replies_in_file_order(&mut self) {
        let key = |r: &Reply| {
            let name = r
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = name.split('.').next().unwrap_or_default().to_owned();
            (stem, name.matches('.').count(), name)
        };
        self.replies.sort_by_cached_key(key);
    }

    fn add_reply(&mut self, f: &FileName, rf: ReplyFile, shown: &str, text: &str) {
        let base = f
            .language
            .as_ref()
            .and_then(|_| self.by_stem.get(&(f.stem.clone(), None)))
            .map(|&i| self.replies[i].clone());
        let name = rf
            .name
            .or_else(|| base.as_ref().map(|b| b.name.clone()))
            .unwrap_or_else(|| f.stem.clone());
        let language = f.language.clone().or(rf.language);
        let error = |key: &str, message: String| ReplyError {
            path: shown.to_owned(),
            line: key_line(text, key),
            message,
        };
        if let Some(s) = &rf.shortcut
            && let Some(&other) = self.by_shortcut.get(s)
        {
            let other = self.replies[other].path.display().to_string();
            self.errors.push(error(
                "shortcut",
                format!("shortcut {s:?} is already {other}'s"),
            ));
            return;
        }
        let name_key = (name.to_lowercase(), language.clone());
        if let Some(&other) = self.by_name.get(&name_key) {
            let other = self.replies[other].path.display().to_string();
            self.errors
                .push(error("name", format!("name {name:?} is already {other}'s")));
            return;
        }
        let reply = Reply {
            name,
            shortcut: rf.shortcut,
            tags: inherit(rf.tags, base.as_ref().map(|b| b.tags.clone())),
            channels: inherit(rf.channels, base.as_ref().map(|b| b.channels.clone())),
            language,
            attachments: inherit(rf.attachments, base.as_ref().map(|b| b.attachments.clone())),
            body: rf.body,
            path: rf.path,
            variants: Vec::new(),
            translated: false,
        };
        let index = self.replies.len();
        self.by_stem
            .insert((f.stem.clone(), f.language.clone()), index);
        if let Some(s) = &reply.shortcut {
            self.by_shortcut.insert(s.clone(), index);
        }
        self.by_name.insert(name_key, index);
        self.replies.push(reply);
    }

    fn add_variant(&mut self, f: &FileName, rf: ReplyFile, shown: &str) {
        let Some(channel) = f.channel else {
            return;
        };
        let Some(&i) = self.by_stem.get(&(f.stem.clone(), f.language.clone())) else {
            let base = match &f.language {
                Some(l) => format!("{}.{l}.md", f.stem),
                None => format!("{}.md", f.stem),
            };
            self.errors.push(ReplyError {
                path: shown.to_owned(),
                line: 1,
                message: format!(
                    "a {channel} variant of {base}, which is missing or has errors",
                    channel = channel.as_str()
                ),
            });
            return;
        };
        self.replies[i].variants.push(ChannelVariant {
            channel,
            body: rf.body,
            attachments: rf.attachments,
            path: rf.path,
        });
    }
}

/// A variant's own list, else the one of the reply it varies.
fn inherit<T>(own: Vec<T>, theirs: Option<Vec<T>>) -> Vec<T> {
    if own.is_empty() {
        theirs.unwrap_or_default()
    } else {
        own
    }
}

/// The line of `key:` in a file's text, for errors found after parsing.
fn key_line(text: &str, key: &str) -> usize {
    text.lines()
        .position(|l| l.trim_start().starts_with(&format!("{key}:")))
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use super::*;

    #[test]
    fn examples_load_without_errors() {
        let lib = Library::examples();
        assert!(lib.errors().is_empty(), "{:?}", lib.errors());
        assert!(lib.replies().len() >= 5);
        let refund = lib.lookup("ref", None).unwrap();
        let r = &lib.replies()[refund];
        assert_ne!(r.body_for(Channel::Instagram), r.body_for(Channel::Email));
        let fr = lib.lookup("refund policy · fr", None).unwrap();
        assert_eq!(lib.replies()[fr].language.as_deref(), Some("fr"));
    }

    #[test]
    fn file_names_carry_variants() {
        let f = FileName::parse("refund.pt-br.telegram.md").unwrap();
        assert_eq!(
            (f.stem.as_str(), f.language.as_deref(), f.channel),
            ("refund", Some("pt-br"), Some(Channel::Telegram))
        );
        assert!(FileName::parse("refund.nonsense.md").is_err());
        assert!(FileName::parse("refund.x.telegram.md").is_err());
    }
}
