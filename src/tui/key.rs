//! comptoir's own key type, in the `<C-x>` notation of keymap files (yazi, vim).
//!
//! The app state, the keymap and the tests use [`Key`]; crossterm's `KeyEvent` is
//! converted once, at the edge ([`From<crossterm::event::KeyEvent>`]), so nothing past the
//! terminal loop needs a terminal (helix-view's `input.rs`).
//!
//! A key is kept in one canonical form so that a parsed binding and a pressed key compare
//! equal: a character never carries Shift (`G` is the shifted `g`, `?` the shifted `/`),
//! Ctrl with a letter is lowercase (terminals cannot tell `Ctrl+a` from `Ctrl+Shift+a`),
//! and Shift+Tab is [`KeyCode::BackTab`]. [`Display`](fmt::Display) writes that form and
//! [`FromStr`] reads it back.

use std::fmt;
use std::str::FromStr;

/// Which key, apart from modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    /// A character key, as typed (`g`, `G`, `?`, `é`, `' '` for Space).
    Char(char),
    /// Enter (Return).
    Enter,
    /// Escape.
    Esc,
    /// Tab.
    Tab,
    /// Shift+Tab.
    BackTab,
    /// Backspace.
    Backspace,
    /// Delete (forward).
    Delete,
    /// Insert.
    Insert,
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Arrow left.
    Left,
    /// Arrow right.
    Right,
    /// Home.
    Home,
    /// End.
    End,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// A function key, `F1` to `F12`.
    F(u8),
    /// A key comptoir has no name for (media keys, a lone modifier, `F13`…). It prints
    /// as `<Unknown>` but cannot be parsed, so no binding can match it.
    Unknown,
}

/// Modifier keys held with a key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mods {
    /// Control (`C-`).
    pub ctrl: bool,
    /// Alt (`A-`). Parsed for users' own maps; the shipped maps never use it, because a
    /// terminal sends it as an Escape prefix that some layouts need for plain characters.
    pub alt: bool,
    /// Shift (`S-`); only ever set on named keys (`<S-Left>`), never on a character.
    pub shift: bool,
}

impl Mods {
    /// No modifier.
    pub const NONE: Mods = Mods {
        ctrl: false,
        alt: false,
        shift: false,
    };
    /// Control alone.
    pub const CTRL: Mods = Mods {
        ctrl: true,
        alt: false,
        shift: false,
    };
    /// Alt alone.
    pub const ALT: Mods = Mods {
        ctrl: false,
        alt: true,
        shift: false,
    };
    /// Shift alone.
    pub const SHIFT: Mods = Mods {
        ctrl: false,
        alt: false,
        shift: true,
    };

    /// Whether no modifier is held.
    #[must_use]
    pub fn is_empty(self) -> bool {
        self == Mods::NONE
    }
}

/// One key press: a key and its modifiers, in canonical form (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Which key.
    pub code: KeyCode,
    /// The modifiers held.
    pub mods: Mods,
}

impl Key {
    /// A key in canonical form: Shift dropped from characters, Ctrl+letter lowercased,
    /// Shift+Tab made [`KeyCode::BackTab`].
    #[must_use]
    pub fn new(code: KeyCode, mods: Mods) -> Key {
        let mut mods = mods;
        let code = match code {
            KeyCode::Char(c) => {
                mods.shift = false;
                KeyCode::Char(if mods.ctrl { ctrl_fold(c) } else { c })
            }
            KeyCode::Tab | KeyCode::BackTab if mods.shift => {
                mods.shift = false;
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    /// A character with no modifier.
    #[must_use]
    pub fn char(c: char) -> Key {
        Key::new(KeyCode::Char(c), Mods::NONE)
    }

    /// Ctrl with a character.
    #[must_use]
    pub fn ctrl(c: char) -> Key {
        Key::new(KeyCode::Char(c), Mods::CTRL)
    }

    /// A key with no modifier.
    #[must_use]
    pub fn plain(code: KeyCode) -> Key {
        Key::new(code, Mods::NONE)
    }

    /// The character this key types, if it types one: a character with neither Ctrl nor
    /// Alt (Space included).
    #[must_use]
    pub fn printable(self) -> Option<char> {
        match self.code {
            KeyCode::Char(c) if !self.mods.ctrl && !self.mods.alt && !c.is_control() => Some(c),
            _ => None,
        }
    }

    /// The digit, for a plain `0`–`9` (vim-style counts).
    #[must_use]
    pub fn digit(self) -> Option<u32> {
        match self.code {
            KeyCode::Char(c) if self.mods.is_empty() => c.to_digit(10),
            _ => None,
        }
    }
}

/// Lowercases a character the way a terminal folds Ctrl+letter, when that is one character.
fn ctrl_fold(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Why a key did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Nothing was written.
    #[error("empty key")]
    Empty,
    /// A `<` alone, which only opens a key name.
    #[error("a lone < opens a key name: write <lt> for the < key")]
    LoneLt,
    /// A `<…` without its closing `>`.
    #[error("{0:?} has no closing >")]
    Unclosed(String),
    /// Several characters outside `<…>`.
    #[error("{0:?} is more than one key (write a sequence as a list, e.g. [\"g\", \"g\"])")]
    NotOneKey(String),
    /// A `<Name>` that names no key.
    #[error("unknown key name <{0}>")]
    UnknownName(String),
    /// A modifier with nothing after it, as in `<C->`.
    #[error("{0:?} has a modifier but no key")]
    MissingKey(String),
    /// The same modifier twice, as in `<C-C-x>`.
    #[error("{0:?} repeats a modifier")]
    RepeatedModifier(String),
    /// Shift with a character, as in `<S-g>`: the shifted character is written instead.
    #[error("{0:?}: Shift is part of the character, write it as typed (G, ?, …)")]
    ShiftedChar(String),
    /// Ctrl with an uppercase letter, which terminals cannot tell from the lowercase one.
    #[error("{0:?}: terminals cannot tell Ctrl with an uppercase letter, write it lowercase")]
    CtrlUppercase(String),
    /// A control character written directly instead of by name.
    #[error("control character {0:?}: use a key name such as <Tab> or <Enter>")]
    ControlChar(char),
}

/// Named keys, as they print; parsing ignores case.
const NAMES: &[(&str, KeyCode)] = &[
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Tab", KeyCode::Tab),
    ("BackTab", KeyCode::BackTab),
    ("Backspace", KeyCode::Backspace),
    ("Delete", KeyCode::Delete),
    ("Insert", KeyCode::Insert),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("Space", KeyCode::Char(' ')),
    ("lt", KeyCode::Char('<')),
];

fn named(name: &str) -> Option<KeyCode> {
    if let Some((_, code)) = NAMES.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        return Some(*code);
    }
    let digits = name.strip_prefix(['F', 'f'])?;
    let n: u8 = digits.parse().ok()?;
    // `F01` would print back as `F1`; one spelling keeps the round trip exact.
    ((1..=12).contains(&n) && n.to_string() == digits).then_some(KeyCode::F(n))
}

impl FromStr for Key {
    type Err = KeyError;

    /// Parses one key: a character (`j`, `G`, `é`) or `<[C-][A-][S-]name>`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut chars = s.chars();
        let (first, rest) = match (chars.next(), chars.as_str()) {
            (None, _) => return Err(KeyError::Empty),
            (Some('<'), "") => return Err(KeyError::LoneLt),
            (Some(c), "") => {
                if c.is_control() {
                    return Err(KeyError::ControlChar(c));
                }
                return Ok(Key::char(c));
            }
            (Some(c), rest) => (c, rest),
        };
        if first != '<' {
            return Err(KeyError::NotOneKey(s.to_owned()));
        }
        let Some(mut inner) = rest.strip_suffix('>') else {
            return Err(KeyError::Unclosed(s.to_owned()));
        };
        if inner.is_empty() {
            return Err(KeyError::UnknownName(String::new()));
        }
        let mut mods = Mods::NONE;
        // A modifier is one letter and a dash with something after it, so `<C-->` is
        // Ctrl with `-` and `<C->` has no key.
        while let [m, b'-', _, ..] = inner.as_bytes() {
            let flag = match m.to_ascii_uppercase() {
                b'C' => &mut mods.ctrl,
                b'A' => &mut mods.alt,
                b'S' => &mut mods.shift,
                _ => break,
            };
            if *flag {
                return Err(KeyError::RepeatedModifier(s.to_owned()));
            }
            *flag = true;
            inner = &inner[2..];
        }
        if let [m, b'-'] = inner.as_bytes()
            && matches!(m.to_ascii_uppercase(), b'C' | b'A' | b'S')
        {
            return Err(KeyError::MissingKey(s.to_owned()));
        }
        let mut it = inner.chars();
        let code = match (it.next(), it.next()) {
            (Some(c), None) if c.is_control() => return Err(KeyError::ControlChar(c)),
            (Some(c), None) => KeyCode::Char(c),
            _ => named(inner).ok_or_else(|| KeyError::UnknownName(inner.to_owned()))?,
        };
        if let KeyCode::Char(c) = code {
            if mods.shift {
                return Err(KeyError::ShiftedChar(s.to_owned()));
            }
            if mods.ctrl && ctrl_fold(c) != c {
                return Err(KeyError::CtrlUppercase(s.to_owned()));
            }
        }
        Ok(Key::new(code, mods))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.code {
            KeyCode::Char(c) if c.is_control() => format!("U+{:04X}", u32::from(c)),
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char('<') => "lt".to_owned(),
            KeyCode::Char(c) if self.mods.is_empty() => return write!(f, "{c}"),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Unknown => "Unknown".to_owned(),
            code => NAMES
                .iter()
                .find(|(_, c)| *c == code)
                .map_or("Unknown", |(n, _)| n)
                .to_owned(),
        };
        f.write_str("<")?;
        for (held, prefix) in [
            (self.mods.ctrl, "C-"),
            (self.mods.alt, "A-"),
            (self.mods.shift, "S-"),
        ] {
            if held {
                f.write_str(prefix)?;
            }
        }
        write!(f, "{name}>")
    }
}

/// Parses keys written one after another, as tests and the docs write them:
/// `gg<C-r>` is `g`, `g`, `<C-r>`.
///
/// # Errors
/// The first key that does not parse, or an empty text.
pub fn parse_keys(text: &str) -> Result<Vec<Key>, KeyError> {
    if text.is_empty() {
        return Err(KeyError::Empty);
    }
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c != '<' || rest.len() == 1 {
            keys.push(rest[..c.len_utf8()].parse()?);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        // `<C->>` holds a `>` of its own: take the shortest `<…>` that parses.
        let mut first_error = None;
        let mut found = None;
        for (i, _) in rest.match_indices('>').filter(|(i, _)| *i > 1) {
            match rest[..=i].parse::<Key>() {
                Ok(key) => {
                    found = Some((key, i));
                    break;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let Some((key, end)) = found else {
            return Err(first_error.unwrap_or_else(|| KeyError::Unclosed(rest.to_owned())));
        };
        keys.push(key);
        rest = &rest[end + 1..];
    }
    Ok(keys)
}

/// Writes keys one after another, the form [`parse_keys`] reads.
#[must_use]
pub fn display_keys(keys: &[Key]) -> String {
    keys.iter().map(ToString::to_string).collect()
}

impl From<crossterm::event::KeyEvent> for Key {
    /// Converts a terminal key event; the caller drops releases (`kind`), which this
    /// ignores. Super, Hyper and Meta are dropped: only the kitty protocol reports them.
    fn from(event: crossterm::event::KeyEvent) -> Key {
        use crossterm::event::{KeyCode as C, KeyModifiers as M};
        let mods = Mods {
            ctrl: event.modifiers.contains(M::CONTROL),
            alt: event.modifiers.contains(M::ALT),
            shift: event.modifiers.contains(M::SHIFT),
        };
        let code = match event.code {
            C::Char(c) => KeyCode::Char(c),
            C::Enter => KeyCode::Enter,
            C::Esc => KeyCode::Esc,
            C::Tab => KeyCode::Tab,
            C::BackTab => KeyCode::BackTab,
            C::Backspace => KeyCode::Backspace,
            C::Delete => KeyCode::Delete,
            C::Insert => KeyCode::Insert,
            C::Up => KeyCode::Up,
            C::Down => KeyCode::Down,
            C::Left => KeyCode::Left,
            C::Right => KeyCode::Right,
            C::Home => KeyCode::Home,
            C::End => KeyCode::End,
            C::PageUp => KeyCode::PageUp,
            C::PageDown => KeyCode::PageDown,
            C::F(n) if (1..=12).contains(&n) => KeyCode::F(n),
            _ => KeyCode::Unknown,
        };
        Key::new(code, mods)
    }
}

#[cfg(test)]
mod tests {
    use super::KeyCode::{
        BackTab, Backspace, Char, Delete, Down, End, Enter, Esc, F, Home, Insert, Left, PageDown,
        PageUp, Right, Tab, Up,
    };
    use super::*;
    use crossterm::event::{KeyCode as Ct, KeyEvent, KeyModifiers as Km};
    use proptest::prelude::*;

    fn k(code: KeyCode, mods: Mods) -> Key {
        Key { code, mods }
    }

    const N: Mods = Mods::NONE;
    const C: Mods = Mods::CTRL;
    const A: Mods = Mods::ALT;
    const S: Mods = Mods::SHIFT;
    const CS: Mods = Mods {
        ctrl: true,
        alt: false,
        shift: true,
    };
    const CA: Mods = Mods {
        ctrl: true,
        alt: true,
        shift: false,
    };

    #[test]
    fn valid_keys() {
        // (written, parsed, printed back)
        let table = [
            ("j", k(Char('j'), N), "j"),
            ("G", k(Char('G'), N), "G"),
            ("?", k(Char('?'), N), "?"),
            (":", k(Char(':'), N), ":"),
            ("é", k(Char('é'), N), "é"),
            (">", k(Char('>'), N), ">"),
            ("-", k(Char('-'), N), "-"),
            ("<lt>", k(Char('<'), N), "<lt>"),
            ("<LT>", k(Char('<'), N), "<lt>"),
            ("<Space>", k(Char(' '), N), "<Space>"),
            (" ", k(Char(' '), N), "<Space>"),
            ("<Enter>", k(Enter, N), "<Enter>"),
            ("<enter>", k(Enter, N), "<Enter>"),
            ("<Esc>", k(Esc, N), "<Esc>"),
            ("<Tab>", k(Tab, N), "<Tab>"),
            ("<BackTab>", k(BackTab, N), "<BackTab>"),
            ("<S-Tab>", k(BackTab, N), "<BackTab>"),
            ("<Backspace>", k(Backspace, N), "<Backspace>"),
            ("<Delete>", k(Delete, N), "<Delete>"),
            ("<Insert>", k(Insert, N), "<Insert>"),
            ("<Up>", k(Up, N), "<Up>"),
            ("<Down>", k(Down, N), "<Down>"),
            ("<Left>", k(Left, N), "<Left>"),
            ("<Right>", k(Right, N), "<Right>"),
            ("<Home>", k(Home, N), "<Home>"),
            ("<End>", k(End, N), "<End>"),
            ("<PageUp>", k(PageUp, N), "<PageUp>"),
            ("<PageDown>", k(PageDown, N), "<PageDown>"),
            ("<F1>", k(F(1), N), "<F1>"),
            ("<f12>", k(F(12), N), "<F12>"),
            ("<C-x>", k(Char('x'), C), "<C-x>"),
            ("<c-x>", k(Char('x'), C), "<C-x>"),
            ("<A-x>", k(Char('x'), A), "<A-x>"),
            ("<A-G>", k(Char('G'), A), "<A-G>"),
            ("<C-->", k(Char('-'), C), "<C-->"),
            ("<C->>", k(Char('>'), C), "<C->>"),
            ("<C-lt>", k(Char('<'), C), "<C-lt>"),
            ("<C-<>", k(Char('<'), C), "<C-lt>"),
            ("<C-Space>", k(Char(' '), C), "<C-Space>"),
            ("<C-é>", k(Char('é'), C), "<C-é>"),
            ("<S-Left>", k(Left, S), "<S-Left>"),
            ("<C-S-Left>", k(Left, CS), "<C-S-Left>"),
            ("<S-C-Left>", k(Left, CS), "<C-S-Left>"),
            ("<C-S-Tab>", k(BackTab, C), "<C-BackTab>"),
            ("<C-A-Delete>", k(Delete, CA), "<C-A-Delete>"),
            ("<x>", k(Char('x'), N), "x"),
        ];
        for (text, want, shown) in table {
            let got: Key = text.parse().unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(got, want, "{text:?}");
            assert_eq!(got.to_string(), shown, "{text:?} prints");
        }
    }

    #[test]
    fn nonsensical_keys_fail() {
        let table = [
            ("", KeyError::Empty),
            ("<", KeyError::LoneLt),
            ("<C->", KeyError::MissingKey("<C->".into())),
            ("<Foo>", KeyError::UnknownName("Foo".into())),
            ("<C-xx>", KeyError::UnknownName("xx".into())),
            ("<>", KeyError::UnknownName(String::new())),
            ("<C-x", KeyError::Unclosed("<C-x".into())),
            ("gg", KeyError::NotOneKey("gg".into())),
            ("C-x", KeyError::NotOneKey("C-x".into())),
            ("<C-C-x>", KeyError::RepeatedModifier("<C-C-x>".into())),
            ("<S-g>", KeyError::ShiftedChar("<S-g>".into())),
            ("<C-S-a>", KeyError::ShiftedChar("<C-S-a>".into())),
            ("<C-A>", KeyError::CtrlUppercase("<C-A>".into())),
            ("<F0>", KeyError::UnknownName("F0".into())),
            ("<F13>", KeyError::UnknownName("F13".into())),
            ("<F01>", KeyError::UnknownName("F01".into())),
            ("<Unknown>", KeyError::UnknownName("Unknown".into())),
            ("\t", KeyError::ControlChar('\t')),
            ("<C-\u{1b}>", KeyError::ControlChar('\u{1b}')),
            ("<X-y>", KeyError::UnknownName("X-y".into())),
        ];
        for (text, want) in table {
            assert_eq!(text.parse::<Key>(), Err(want), "{text:?} must fail");
        }
    }

    #[test]
    fn sequences() {
        assert_eq!(
            parse_keys("gg<C-r>"),
            Ok(vec![Key::char('g'), Key::char('g'), Key::ctrl('r')])
        );
        assert_eq!(
            parse_keys("<C->><lt>>"),
            Ok(vec![k(Char('>'), C), Key::char('<'), Key::char('>')])
        );
        assert_eq!(parse_keys(""), Err(KeyError::Empty));
        assert_eq!(parse_keys("a<"), Err(KeyError::LoneLt));
        assert_eq!(
            parse_keys("<Foo>x"),
            Err(KeyError::UnknownName("Foo".into()))
        );
        assert_eq!(parse_keys("<C-x"), Err(KeyError::Unclosed("<C-x".into())));
    }

    #[test]
    fn crossterm_events_are_normalised() {
        let table = [
            (KeyEvent::new(Ct::Char('G'), Km::SHIFT), "G"),
            (KeyEvent::new(Ct::Char('?'), Km::SHIFT), "?"),
            (KeyEvent::new(Ct::Char('g'), Km::NONE), "g"),
            (
                KeyEvent::new(Ct::Char('A'), Km::CONTROL | Km::SHIFT),
                "<C-a>",
            ),
            (KeyEvent::new(Ct::Char('c'), Km::CONTROL), "<C-c>"),
            (KeyEvent::new(Ct::BackTab, Km::SHIFT), "<BackTab>"),
            (KeyEvent::new(Ct::Tab, Km::SHIFT), "<BackTab>"),
            (
                KeyEvent::new(Ct::Left, Km::CONTROL | Km::SHIFT),
                "<C-S-Left>",
            ),
            (KeyEvent::new(Ct::Char(' '), Km::NONE), "<Space>"),
            (KeyEvent::new(Ct::Char('<'), Km::NONE), "<lt>"),
            (KeyEvent::new(Ct::Enter, Km::NONE), "<Enter>"),
            (KeyEvent::new(Ct::Char('x'), Km::ALT), "<A-x>"),
            (KeyEvent::new(Ct::Char('x'), Km::SUPER), "x"),
            (KeyEvent::new(Ct::F(5), Km::NONE), "<F5>"),
            (KeyEvent::new(Ct::F(13), Km::NONE), "<Unknown>"),
            (KeyEvent::new(Ct::CapsLock, Km::NONE), "<Unknown>"),
        ];
        for (event, want) in table {
            assert_eq!(Key::from(event).to_string(), want, "{event:?}");
        }
    }

    #[test]
    fn printable_and_digit() {
        assert_eq!(Key::char('é').printable(), Some('é'));
        assert_eq!(Key::char(' ').printable(), Some(' '));
        assert_eq!(Key::ctrl('a').printable(), None);
        assert_eq!(Key::plain(Enter).printable(), None);
        assert_eq!(Key::char('7').digit(), Some(7));
        assert_eq!(Key::ctrl('7').digit(), None);
        assert_eq!(Key::char('x').digit(), None);
    }

    fn any_key() -> impl Strategy<Value = Key> {
        let code = prop_oneof![
            any::<char>()
                .prop_filter("a control character has no notation", |c| !c.is_control())
                .prop_map(KeyCode::Char),
            (0..NAMES.len()).prop_map(|i| NAMES[i].1),
            (1u8..=12).prop_map(KeyCode::F),
        ];
        let mods = (any::<bool>(), any::<bool>(), any::<bool>())
            .prop_map(|(ctrl, alt, shift)| Mods { ctrl, alt, shift });
        (code, mods).prop_map(|(code, mods)| Key::new(code, mods))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Every canonical key prints in a form that parses back to the same key.
        #[test]
        fn display_round_trips(k in any_key()) {
            let shown = k.to_string();
            prop_assert_eq!(shown.parse::<Key>(), Ok(k), "{}", shown);
        }

        /// A sequence written end to end parses back to the same keys.
        #[test]
        fn sequences_round_trip(keys in proptest::collection::vec(any_key(), 1..6)) {
            let shown = display_keys(&keys);
            prop_assert_eq!(parse_keys(&shown), Ok(keys), "{}", shown);
        }
    }
}
