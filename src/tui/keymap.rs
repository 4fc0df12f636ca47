//! Keymap files → one key-sequence trie per mode → [`Action`].
//!
//! A keymap file (DESIGN.md, "Keymap files") holds `[mode.NAME] keymap = [{ on, run, desc }]`
//! and an optional top-level `counts = true`. `on` is one key or a list of keys in the
//! notation of [`crate::tui::key`]; `run` is a command as the `:` command line parses it
//! ([`Action::from_str`]), so a typo is a load error, never a dead key.
//!
//! Loading reads the whole file before giving up and reports every problem, each naming
//! the file, line, column and key (positions come from [`toml::Spanned`]). The shipped map
//! is the base; the user's file merges over it with the user winning (helix's
//! `KeyTrieNode::merge`, yazi's `run = "noop"`).
//!
//! Lookup is pure: the caller keeps the pending keys, parses counts and decides what Esc
//! does; [`Keymap::lookup`] only says whether the keys match, lead somewhere, or not.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use toml::Spanned;

use crate::tui::action::{self, Action, ParseError};
use crate::tui::key::{Key, KeyError};

/// Where keys are looked up: a pane of the main screen or a text-entry mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// Bindings every navigation mode falls back to.
    Global,
    /// The conversation list.
    Queue,
    /// The open conversation.
    Thread,
    /// The customer's history.
    History,
    /// Writing a reply or a note.
    Compose,
    /// A list with a query line (the help overlay, pickers).
    Picker,
    /// The `:` command line.
    Cmdline,
    /// The dead-letter view.
    DeadLetters,
}

impl Mode {
    /// Every mode, in the order files and help list them.
    pub const ALL: [Mode; 8] = [
        Mode::Global,
        Mode::Queue,
        Mode::Thread,
        Mode::History,
        Mode::Compose,
        Mode::Picker,
        Mode::Cmdline,
        Mode::DeadLetters,
    ];

    /// The name keymap files use (`[mode.queue]`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::Queue => "queue",
            Mode::Thread => "thread",
            Mode::History => "history",
            Mode::Compose => "compose",
            Mode::Picker => "picker",
            Mode::Cmdline => "cmdline",
            Mode::DeadLetters => "deadletters",
        }
    }

    /// The mode a keymap file names, if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether keys this mode does not bind are looked up in [`Mode::Global`]. Only the
    /// navigation modes do: in a text mode an unbound `q` must type a `q`.
    #[must_use]
    pub fn falls_back_to_global(self) -> bool {
        matches!(
            self,
            Mode::Queue | Mode::Thread | Mode::History | Mode::DeadLetters
        )
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The text of a keymap file and the path its errors name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeymapSource {
    /// Where it came from; shipped maps use `<builtin>/NAME.toml`.
    pub path: PathBuf,
    /// The TOML text.
    pub text: String,
}

impl KeymapSource {
    /// Reads a keymap file.
    ///
    /// # Errors
    /// An unreadable file, as one [`ErrorKind::Unreadable`] error at line 1, column 1.
    pub fn read(path: &Path) -> Result<KeymapSource, KeymapError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(KeymapSource {
                path: path.to_path_buf(),
                text,
            }),
            Err(e) => Err(KeymapError {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                key: None,
                kind: ErrorKind::Unreadable(e.to_string()),
            }),
        }
    }

    /// A shipped map (`default`, `vim` or `emacs`), named `<builtin>/NAME.toml`.
    ///
    /// # Errors
    /// Any other name, with the list of choices.
    pub fn builtin(name: &str) -> Result<KeymapSource, UnknownBuiltin> {
        Ok(KeymapSource {
            path: PathBuf::from(format!("<builtin>/{name}.toml")),
            text: Keymap::builtin(name)?.to_owned(),
        })
    }
}

/// A name that is not one of the shipped maps.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown keymap {0:?} (choose default, vim or emacs)")]
pub struct UnknownBuiltin(pub String);

/// One problem in a keymap file, at a place in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeymapError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The binding's keys (`g g`), when the problem belongs to one.
    pub key: Option<String>,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for KeymapError {
    /// One line: `FILE:LINE:COLUMN: KEY: message`, without `KEY: ` when there is no key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.path.display(), self.line, self.column)?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for KeymapError {}

/// What is wrong in a keymap file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    /// Not TOML, or not the keymap shape (a missing `run`, an unknown field, a number
    /// where a key should be). Parsing stops at the first of these.
    #[error("{0}")]
    Syntax(String),
    /// A `[mode.NAME]` that is no mode.
    #[error(
        "unknown mode {0:?} (modes: global, queue, thread, history, compose, picker, cmdline, deadletters)"
    )]
    UnknownMode(String),
    /// A key in `on` that does not parse.
    #[error("{0}")]
    BadKey(KeyError),
    /// A `run` that names no command, or gives a command a wrong argument.
    #[error("{0}")]
    UnknownAction(ParseError),
    /// The same keys bound twice in one mode of one file.
    #[error("bound twice in mode {mode} (first at line {first_line})")]
    Duplicate {
        /// The mode.
        mode: Mode,
        /// Where the first binding is.
        first_line: usize,
    },
    /// Keys that are a binding and also the start of another binding in the same mode of
    /// one file: the longer one could never be typed.
    #[error(
        "conflicts with {other} (line {other_line}) in mode {mode}: keys cannot be both a binding and a prefix"
    )]
    PrefixConflict {
        /// The mode.
        mode: Mode,
        /// The other binding's keys.
        other: String,
        /// Where the other binding is.
        other_line: usize,
    },
    /// `on = []`.
    #[error("empty key sequence")]
    EmptySequence,
}

/// One binding of the merged keymap, as help lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The mode it is bound in.
    pub mode: Mode,
    /// The keys, in order.
    pub keys: Vec<Key>,
    /// The command, as written (`status.snooze 1h`).
    pub run: String,
    /// What it does: the file's `desc`, else the command's doc.
    pub desc: String,
}

/// A key that may follow the pending ones, for the which-key popup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    /// The next key.
    pub key: Key,
    /// What it does, or `+N bindings` when more keys follow it.
    pub label: String,
}

/// What the pending keys amount to in a mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A complete binding.
    Matched(Action),
    /// The start of one or more bindings; these keys may come next.
    Pending(Vec<Hint>),
    /// Nothing starts with these keys.
    NotFound,
}

#[derive(Clone, Debug)]
struct Leaf {
    action: Action,
    run: String,
    desc: String,
}

/// helix's `KeyTrie`: a node is a binding or a map of next keys, never both.
#[derive(Clone, Debug)]
enum Node {
    Leaf(Leaf),
    Map(Trie),
}

type Trie = BTreeMap<Key, Node>;

/// The merged keymap: one trie per mode.
#[derive(Clone, Debug, Default)]
pub struct Keymap {
    modes: BTreeMap<Mode, Trie>,
    counts: bool,
}

/// Names of the shipped maps.
pub const BUILTIN_NAMES: [&str; 3] = ["default", "vim", "emacs"];

impl Keymap {
    /// The text of a shipped map: `default`, `vim` or `emacs`.
    ///
    /// # Errors
    /// Any other name, with the list of choices.
    pub fn builtin(name: &str) -> Result<&'static str, UnknownBuiltin> {
        match name {
            "default" => Ok(include_str!("../../keymaps/default.toml")),
            "vim" => Ok(include_str!("../../keymaps/vim.toml")),
            "emacs" => Ok(include_str!("../../keymaps/emacs.toml")),
            other => Err(UnknownBuiltin(other.to_owned())),
        }
    }

    /// Builds the keymap: `base` (a shipped map), then `user` merged over it per mode. A
    /// user binding replaces the base binding for the same keys, a user binding replaces
    /// every base binding it is a prefix of, and a user binding under a base binding's keys
    /// replaces that binding; `run = "noop"` unbinds. The user's `counts` wins when set.
    ///
    /// # Errors
    /// Every problem of both files, base first, each in file order.
    pub fn load(
        base: KeymapSource,
        user: Option<KeymapSource>,
    ) -> Result<Keymap, Vec<KeymapError>> {
        let mut errors = Vec::new();
        let base = parse_file(&base).map_err(|e| errors.extend(e)).ok();
        let user = user.and_then(|u| parse_file(&u).map_err(|e| errors.extend(e)).ok());
        let (Some(base), true) = (base, errors.is_empty()) else {
            return Err(errors);
        };
        let mut keymap = Keymap::default();
        keymap.apply(base);
        if let Some(user) = user {
            keymap.apply(user);
        }
        Ok(keymap)
    }

    /// Validates a keymap file as `comptoir keymap check FILE` does: on its own, then
    /// merged over the default map.
    ///
    /// # Errors
    /// Every problem of the file; an unreadable file is one error at line 1, column 1.
    pub fn check_file(path: &Path) -> Result<(), Vec<KeymapError>> {
        let user = KeymapSource::read(path).map_err(|e| vec![e])?;
        let base = KeymapSource::builtin("default").map_err(|e| {
            vec![KeymapError {
                path: PathBuf::from("<builtin>/default.toml"),
                line: 1,
                column: 1,
                key: None,
                kind: ErrorKind::Unreadable(e.to_string()),
            }]
        })?;
        Keymap::load(base, Some(user)).map(drop)
    }

    /// Whether a count typed before a command repeats it (vim's `5j`).
    #[must_use]
    pub fn counts_enabled(&self) -> bool {
        self.counts
    }

    /// What `pending` (at least one key, else the mode's first keys are offered) amounts
    /// to in `mode`. The navigation modes see [`Mode::Global`]'s bindings under their own,
    /// merged as a user file merges over a base: their own binding for the same keys wins.
    #[must_use]
    pub fn lookup(&self, mode: Mode, pending: &[Key]) -> Lookup {
        let own = walk(self.trie(mode), pending);
        if !mode.falls_back_to_global() {
            return match own {
                Walk::Leaf(leaf) => Lookup::Matched(leaf.action.clone()),
                Walk::Map(map) => Lookup::Pending(hints(map, None)),
                Walk::Missing | Walk::Blocked => Lookup::NotFound,
            };
        }
        let global = walk(self.trie(Mode::Global), pending);
        match (own, global) {
            (Walk::Leaf(leaf), _) | (Walk::Missing, Walk::Leaf(leaf)) => {
                Lookup::Matched(leaf.action.clone())
            }
            (Walk::Map(own), Walk::Map(global)) => Lookup::Pending(hints(own, Some(global))),
            (Walk::Map(map), _) | (Walk::Missing, Walk::Map(map)) => {
                Lookup::Pending(hints(map, None))
            }
            (Walk::Blocked | Walk::Missing, _) => Lookup::NotFound,
        }
    }

    /// The bindings of one mode (not those it falls back to), sorted by keys.
    #[must_use]
    pub fn bindings(&self, mode: Mode) -> Vec<Binding> {
        let mut out = Vec::new();
        let mut keys = Vec::new();
        collect(self.trie(mode), mode, &mut keys, &mut out);
        out
    }

    fn trie(&self, mode: Mode) -> &Trie {
        static EMPTY: Trie = BTreeMap::new();
        self.modes.get(&mode).unwrap_or(&EMPTY)
    }

    /// Merges one checked file over what is there: unbinds first, so that unbinding a
    /// prefix and binding under it in one file do not depend on their order.
    fn apply(&mut self, file: ParsedFile) {
        if let Some(counts) = file.counts {
            self.counts = counts;
        }
        for (mode, chords) in file.modes {
            let trie = self.modes.entry(mode).or_default();
            for chord in chords.iter().filter(|c| c.action == Action::Noop) {
                remove(trie, &chord.keys);
            }
            for chord in chords.into_iter().filter(|c| c.action != Action::Noop) {
                let leaf = Leaf {
                    action: chord.action,
                    run: chord.run,
                    desc: chord.desc,
                };
                insert(trie, &chord.keys, leaf);
            }
        }
    }
}

/// User wins: a leaf replaces whatever is at its keys, and a leaf on the way is replaced
/// by a map so the longer binding fits.
fn insert(trie: &mut Trie, keys: &[Key], leaf: Leaf) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    if rest.is_empty() {
        trie.insert(*first, Node::Leaf(leaf));
        return;
    }
    let node = trie.entry(*first).or_insert_with(|| Node::Map(Trie::new()));
    if let Node::Leaf(_) = node {
        *node = Node::Map(Trie::new());
    }
    if let Node::Map(children) = node {
        insert(children, rest, leaf);
    }
}

/// Removes the node at `keys` and any map left empty, which would otherwise be a prefix
/// leading nowhere.
fn remove(trie: &mut Trie, keys: &[Key]) {
    let Some((first, rest)) = keys.split_first() else {
        return;
    };
    if rest.is_empty() {
        trie.remove(first);
        return;
    }
    if let Some(Node::Map(children)) = trie.get_mut(first) {
        remove(children, rest);
        if children.is_empty() {
            trie.remove(first);
        }
    }
}

enum Walk<'a> {
    Leaf(&'a Leaf),
    Map(&'a Trie),
    /// No binding has these keys.
    Missing,
    /// A binding ends before the keys do, so nothing can match them.
    Blocked,
}

fn walk<'a>(trie: &'a Trie, keys: &[Key]) -> Walk<'a> {
    let mut map = trie;
    for (i, key) in keys.iter().enumerate() {
        match map.get(key) {
            None => return Walk::Missing,
            Some(Node::Map(children)) => map = children,
            Some(Node::Leaf(leaf)) if i + 1 == keys.len() => return Walk::Leaf(leaf),
            Some(Node::Leaf(_)) => return Walk::Blocked,
        }
    }
    Walk::Map(map)
}

/// The keys that may come next: `own`'s, over `under`'s when a navigation mode falls back.
fn hints(own: &Trie, under: Option<&Trie>) -> Vec<Hint> {
    let mut next: BTreeMap<Key, (Option<&Node>, Option<&Node>)> = BTreeMap::new();
    for (key, node) in own {
        next.entry(*key).or_default().0 = Some(node);
    }
    for (key, node) in under.into_iter().flatten() {
        next.entry(*key).or_default().1 = Some(node);
    }
    next.into_iter()
        .filter_map(|(key, (own, under))| {
            let label = match own.or(under)? {
                Node::Leaf(leaf) => leaf.desc.clone(),
                Node::Map(_) => match merged_count(own, under) {
                    1 => "+1 binding".to_owned(),
                    n => format!("+{n} bindings"),
                },
            };
            Some(Hint { key, label })
        })
        .collect()
}

/// How many bindings lie under a key once `own` is merged over `under`.
fn merged_count(own: Option<&Node>, under: Option<&Node>) -> usize {
    match (own, under) {
        (Some(Node::Leaf(_)), _) | (None, Some(Node::Leaf(_))) => 1,
        (Some(Node::Map(own)), Some(Node::Map(under))) => {
            let mut keys: Vec<&Key> = own.keys().chain(under.keys()).collect();
            keys.sort_unstable();
            keys.dedup();
            keys.into_iter()
                .map(|k| merged_count(own.get(k), under.get(k)))
                .sum()
        }
        (Some(Node::Map(map)), _) | (None, Some(Node::Map(map))) => {
            map.values().map(|n| merged_count(Some(n), None)).sum()
        }
        (None, None) => 0,
    }
}

fn collect(trie: &Trie, mode: Mode, keys: &mut Vec<Key>, out: &mut Vec<Binding>) {
    for (key, node) in trie {
        keys.push(*key);
        match node {
            Node::Leaf(leaf) => out.push(Binding {
                mode,
                keys: keys.clone(),
                run: leaf.run.clone(),
                desc: leaf.desc.clone(),
            }),
            Node::Map(children) => collect(children, mode, keys, out),
        }
        keys.pop();
    }
}

// ---------------------------------------------------------------------------------------
// Reading a file

/// The file as TOML gives it, before any key or command is checked, so that every bad
/// binding can be reported rather than the first.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    counts: Option<bool>,
    #[serde(default)]
    mode: BTreeMap<Spanned<String>, RawMode>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMode {
    #[serde(default)]
    keymap: Vec<RawChord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChord {
    on: Spanned<On>,
    run: Spanned<String>,
    desc: Option<String>,
}

/// `on = "j"` or `on = ["g", "g"]`. Written by hand rather than `#[serde(untagged)]`,
/// which buffers the value and so loses the spans of the list's items.
enum On {
    One(String),
    Many(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for On {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OnVisitor;

        impl<'de> Visitor<'de> for OnVisitor {
            type Value = On;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key or a list of keys")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<On, E> {
                Ok(On::One(v.to_owned()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<On, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = seq.next_element::<Spanned<String>>()? {
                    keys.push(key);
                }
                Ok(On::Many(keys))
            }
        }

        deserializer.deserialize_any(OnVisitor)
    }
}

/// A checked binding of one file.
struct Chord {
    keys: Vec<Key>,
    action: Action,
    run: String,
    desc: String,
}

/// A checked file: only valid bindings, by mode.
struct ParsedFile {
    counts: Option<bool>,
    modes: BTreeMap<Mode, Vec<Chord>>,
}

/// Line and column (1-based, columns in characters) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A binding's keys as the file wrote them, for messages: each key in canonical form when
/// it parses (`" "` shows as `<Space>`), as written otherwise.
fn written_keys(on: &On) -> String {
    let show = |s: &str| {
        s.parse::<Key>()
            .map_or_else(|_| s.to_owned(), |k| k.to_string())
    };
    match on {
        On::One(s) => show(s),
        On::Many(keys) => keys
            .iter()
            .map(|k| show(k.get_ref()))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// What help shows when the file gives no `desc`: the command's doc, with its argument.
fn default_desc(run: &str) -> String {
    let run = run.trim();
    let (name, arg) = match run.split_once(char::is_whitespace) {
        Some((name, arg)) => (name, Some(arg.trim())),
        None => (run, None),
    };
    let doc = action::command(name).map_or(name, |c| c.doc);
    match arg {
        Some(arg) => format!("{doc} ({arg})"),
        None => doc.to_owned(),
    }
}

/// One earlier binding of a mode, for the duplicate and prefix checks.
struct Seen {
    keys: Vec<Key>,
    shown: String,
    line: usize,
    noop: bool,
}

fn parse_file(source: &KeymapSource) -> Result<ParsedFile, Vec<KeymapError>> {
    let text = &source.text;
    let error_at = |offset: usize, key: Option<String>, kind: ErrorKind| {
        let (line, column) = position(text, offset);
        KeymapError {
            path: source.path.clone(),
            line,
            column,
            key,
            kind,
        }
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        // toml's message can span lines; each error is one line.
        let message = e.message().trim().replace('\n', "; ");
        vec![error_at(offset, None, ErrorKind::Syntax(message))]
    })?;

    let mut errors = Vec::new();
    let mut modes = BTreeMap::new();
    for (name, raw_mode) in raw.mode {
        let mode = Mode::from_name(name.get_ref());
        if mode.is_none() {
            errors.push(error_at(
                name.span().start,
                None,
                ErrorKind::UnknownMode(name.get_ref().clone()),
            ));
        }
        let mut seen: Vec<Seen> = Vec::new();
        let mut chords = Vec::new();
        for chord in raw_mode.keymap {
            let shown = written_keys(chord.on.get_ref());
            let on_offset = chord.on.span().start;
            let mut ok = true;

            let mut keys = Vec::new();
            match chord.on.get_ref() {
                On::One(s) => match s.parse::<Key>() {
                    Ok(k) => keys.push(k),
                    Err(e) => {
                        errors.push(error_at(
                            on_offset,
                            Some(shown.clone()),
                            ErrorKind::BadKey(e),
                        ));
                        ok = false;
                    }
                },
                On::Many(list) if list.is_empty() => {
                    errors.push(error_at(on_offset, None, ErrorKind::EmptySequence));
                    ok = false;
                }
                On::Many(list) => {
                    for item in list {
                        match item.get_ref().parse::<Key>() {
                            Ok(k) => keys.push(k),
                            Err(e) => {
                                errors.push(error_at(
                                    item.span().start,
                                    Some(shown.clone()),
                                    ErrorKind::BadKey(e),
                                ));
                                ok = false;
                            }
                        }
                    }
                }
            }

            let run = chord.run.get_ref().trim().to_owned();
            let action = match Action::from_str(&run) {
                Ok(action) => Some(action),
                Err(e) => {
                    errors.push(error_at(
                        chord.run.span().start,
                        Some(shown.clone()),
                        ErrorKind::UnknownAction(e),
                    ));
                    None
                }
            };

            let (Some(mode), true) = (mode, ok) else {
                continue;
            };
            let noop = action == Some(Action::Noop);
            let line = position(text, on_offset).0;
            if let Some(first) = seen.iter().find(|s| s.keys == keys) {
                errors.push(error_at(
                    on_offset,
                    Some(shown),
                    ErrorKind::Duplicate {
                        mode,
                        first_line: first.line,
                    },
                ));
                continue;
            }
            // Unbinding a prefix and binding under it is a coherent request, so `noop`
            // bindings take no part in the prefix check.
            let conflict = seen
                .iter()
                .filter(|_| !noop)
                .find(|s| !s.noop && (s.keys.starts_with(&keys) || keys.starts_with(&s.keys)))
                .map(|other| ErrorKind::PrefixConflict {
                    mode,
                    other: other.shown.clone(),
                    other_line: other.line,
                });
            let conflicts = conflict.is_some();
            if let Some(kind) = conflict {
                errors.push(error_at(on_offset, Some(shown.clone()), kind));
            }
            seen.push(Seen {
                keys: keys.clone(),
                shown,
                line,
                noop,
            });
            if let (Some(action), false) = (action, conflicts) {
                let desc = chord
                    .desc
                    .filter(|d| !d.trim().is_empty())
                    .unwrap_or_else(|| default_desc(&run));
                chords.push(Chord {
                    keys,
                    action,
                    run,
                    desc,
                });
            }
        }
        if let Some(mode) = mode {
            modes.insert(mode, chords);
        }
    }

    if errors.is_empty() {
        Ok(ParsedFile {
            counts: raw.counts,
            modes,
        })
    } else {
        errors.sort_by_key(|e| (e.line, e.column));
        Err(errors)
    }
}
