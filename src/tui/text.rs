//! The one door for untrusted text into the terminal.
//!
//! Everything a customer, a channel or a file name gives us may try to drive the
//! terminal (clear the screen, set the title, write to the clipboard through OSC 52,
//! hide a link behind OSC 8) or to lie about what it says (a right-to-left override
//! that turns `gpj.exe` into `exe.jpg`, invisible characters in a name). Views accept
//! only [`Clean`] text, and the only way to get one is through this module.
//!
//! Widths are measured grapheme by grapheme with `unicode-width`, which is how ratatui
//! places symbols in its buffer, so what [`truncate`] and [`wrap`] promise is what the
//! screen shows.

use std::fmt;

use ratatui::text::Span;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// Text known to be safe to put on the terminal: no escape sequences, no control
/// characters but `\n`, no bidi controls, no invisible spoofing characters, and none of
/// the noncharacters the search module uses as match markers.
///
/// Only [`clean`], [`clean_line`], [`truncate`] and [`wrap`] make one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Clean(String);

impl Clean {
    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when there is no text at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Appends other clean text: two safe texts side by side are still safe, since
    /// nothing either holds can start a sequence that reaches into the other.
    pub fn push(&mut self, other: &Clean) {
        self.0.push_str(&other.0);
    }

    /// The text, for a caller that needs to own it.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Clean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Clean {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Clean> for Span<'static> {
    fn from(c: Clean) -> Self {
        Span::raw(c.0)
    }
}

impl<'a> From<&'a Clean> for Span<'a> {
    fn from(c: &'a Clean) -> Self {
        Span::raw(c.0.as_str())
    }
}

/// Makes untrusted text safe for the terminal, keeping its lines.
///
/// Removes escape sequences whole (CSI, OSC, DCS, SOS, PM, APC and two-character
/// escapes, in their 7-bit and 8-bit forms), every other control character but `\n`
/// (a tab becomes four spaces, `\r` goes, so `\r\n` becomes `\n`), bidi embeddings,
/// overrides and isolates, invisible format characters that can hide or disguise text,
/// and Unicode noncharacters. Right-to-left letters, combining marks, ZWJ emoji
/// sequences and variation selectors pass through.
#[must_use]
pub fn clean(raw: &str) -> Clean {
    Clean(sanitise(raw))
}

/// [`clean`] for one-line places (queue previews, names, subjects): line breaks become
/// spaces, runs of whitespace become one space, and the ends are trimmed.
#[must_use]
pub fn clean_line(raw: &str) -> Clean {
    let safe = sanitise(raw);
    let mut out = String::with_capacity(safe.len());
    let mut gap = false;
    for c in safe.chars() {
        if c.is_whitespace() {
            gap = true;
        } else {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(c);
        }
    }
    Clean(out)
}

/// The columns `s` takes on the terminal, summed grapheme by grapheme as ratatui lays
/// them out. A line break takes none.
#[must_use]
pub fn width(s: &str) -> usize {
    s.graphemes(true).map(grapheme_width).sum()
}

/// Cuts `c` to at most `max_width` columns on a grapheme boundary, ending with `…` when
/// anything was cut. A wide character that would straddle the edge is left out whole.
#[must_use]
pub fn truncate(c: &Clean, max_width: usize) -> Clean {
    if width(&c.0) <= max_width {
        return c.clone();
    }
    let Some(budget) = max_width.checked_sub(1) else {
        return Clean::default();
    };
    let mut out = String::with_capacity(c.0.len().min(max_width.saturating_mul(4) + 3));
    let mut used = 0;
    for g in c.0.graphemes(true) {
        let w = grapheme_width(g);
        if used + w > budget {
            break;
        }
        out.push_str(g);
        used += w;
    }
    // "Bonjour …" reads as if a word were missing; "Bonjour…" does not.
    out.truncate(out.trim_end().len());
    out.push(ELLIPSIS);
    Clean(out)
}

/// Word-wraps `c` into lines of at most `width` columns. Each `\n` starts a new line;
/// words longer than a line are broken between graphemes (which is also how CJK text,
/// written without spaces, wraps). Leading indentation of a paragraph is kept, spaces at
/// a break are dropped. A width of 0 has room for nothing and gives no lines.
#[must_use]
pub fn wrap(c: &Clean, width: usize) -> Vec<Clean> {
    if width == 0 {
        return Vec::new();
    }
    let mut lines = Vec::new();
    for paragraph in c.0.split('\n') {
        Wrapper::new(width, &mut lines).paragraph(paragraph);
    }
    lines
}

const ELLIPSIS: char = '…';

fn grapheme_width(g: &str) -> usize {
    if g == "\n" || g == "\r\n" {
        0
    } else {
        UnicodeWidthStr::width(g)
    }
}

/// Greedy word wrapping of one paragraph.
struct Wrapper<'a> {
    width: usize,
    lines: &'a mut Vec<Clean>,
    line: String,
    used: usize,
    /// Whether the current line is the paragraph's first, where indentation counts.
    first: bool,
}

impl<'a> Wrapper<'a> {
    fn new(width: usize, lines: &'a mut Vec<Clean>) -> Self {
        Wrapper {
            width,
            lines,
            line: String::new(),
            used: 0,
            first: true,
        }
    }

    fn paragraph(mut self, text: &str) {
        let mut rest = text;
        while !rest.is_empty() {
            let word_start = rest.len() - rest.trim_start_matches(' ').len();
            let (spaces, after) = rest.split_at(word_start);
            let word_end = after.find(' ').unwrap_or(after.len());
            let (word, after) = after.split_at(word_end);
            rest = after;
            if !word.is_empty() {
                self.word(spaces, word);
            }
        }
        self.flush();
    }

    fn word(&mut self, spaces: &str, word: &str) {
        // At the start of a wrapped line the spaces were the break itself.
        let spaces = if self.used == 0 && !self.first {
            ""
        } else {
            spaces
        };
        let gap = spaces.len();
        let w = width(word);
        if self.used + gap + w <= self.width {
            self.line.push_str(spaces);
            self.line.push_str(word);
            self.used += gap + w;
            return;
        }
        if w <= self.width {
            self.flush();
            self.line.push_str(word);
            self.used = w;
            return;
        }
        // Longer than any line: start it here if there is room, then break it.
        if self.used > 0 || gap > 0 {
            if self.used + gap < self.width {
                self.line.push_str(spaces);
                self.used += gap;
            } else {
                self.flush();
            }
        }
        for g in word.graphemes(true) {
            let gw = grapheme_width(g);
            if self.used > 0 && self.used + gw > self.width {
                self.flush();
            }
            if gw > self.width {
                // Only a wide character in a one-column space: say something is there.
                self.line.push(ELLIPSIS);
                self.used += 1;
            } else {
                self.line.push_str(g);
                self.used += gw;
            }
        }
    }

    fn flush(&mut self) {
        let line = std::mem::take(&mut self.line);
        self.lines
            .push(Clean(line.trim_end_matches(' ').to_owned()));
        self.used = 0;
        self.first = false;
    }
}

/// The sanitiser: a small escape-sequence parser after the VT500 state machine
/// (vt100.net/emu/dec_ansi_parser), which only ever drops what it recognises.
fn sanitise(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' => out.push('\n'),
            '\t' => out.push_str("    "),
            // Line and paragraph separators are line breaks some terminals ignore and
            // others honour: make them the one line break every terminal agrees on.
            '\u{2028}' | '\u{2029}' => out.push('\n'),
            c if is_dropped(c) => {}
            c => out.push(c),
        }
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After an ESC: the rest of the sequence it starts. An ESC followed by anything that
/// cannot continue a sequence is dropped alone, and that character is read as text.
fn skip_escape(chars: &mut Chars<'_>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string(chars);
        }
        Some('\u{20}'..='\u{2f}') => {
            while chars
                .next_if(|c| matches!(c, '\u{20}'..='\u{2f}'))
                .is_some()
            {}
            chars.next_if(|c| matches!(c, '\u{30}'..='\u{7e}'));
        }
        Some('\u{30}'..='\u{7e}') => {
            chars.next();
        }
        _ => {}
    }
}

/// A control sequence: parameter and intermediate bytes, then one final byte. Anything
/// else ends it early; that character is then read as text (or dropped as a control).
fn skip_csi(chars: &mut Chars<'_>) {
    while let Some(&c) = chars.peek() {
        match c {
            '\u{20}'..='\u{3f}' => {
                chars.next();
            }
            '\u{40}'..='\u{7e}' => {
                chars.next();
                return;
            }
            _ => return,
        }
    }
}

/// A control string (OSC, DCS, SOS, PM, APC) up to its terminator: BEL, ST (`ESC \` or
/// U+009C), or CAN/SUB which cancel it. A line break ends it too: no real sequence holds
/// one, and without that an unterminated OSC would hide the rest of the message from the
/// agent.
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(&c) = chars.peek() {
        match c {
            '\n' => return,
            '\u{07}' | '\u{9c}' | '\u{18}' | '\u{1a}' => {
                chars.next();
                return;
            }
            '\u{1b}' => {
                chars.next();
                if chars.next_if_eq(&'\\').is_none() {
                    // Any other escape ends the string and starts a sequence of its own.
                    skip_escape(chars);
                }
                return;
            }
            _ => {
                chars.next();
            }
        }
    }
}

/// Characters that never reach the terminal.
fn is_dropped(c: char) -> bool {
    c.is_control()
        || matches!(c,
            // Soft hyphen: some terminals draw it, others do not, and columns drift.
            '\u{ad}'
            // Arabic letter mark, Mongolian vowel separator.
            | '\u{61c}' | '\u{180e}'
            // Zero width space, LRM, RLM: invisible, so they can split a word that
            // looks whole ("pay\u{200b}pal"). ZWNJ and ZWJ stay: Persian and emoji need them.
            | '\u{200b}' | '\u{200e}' | '\u{200f}'
            // Bidi embeddings and overrides: they reorder what follows on the screen.
            | '\u{202a}'..='\u{202e}'
            // Word joiner, invisible operators, bidi isolates, deprecated format controls.
            | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206f}'
            // Byte order mark, interlinear annotations.
            | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
            // Shorthand format controls, musical format controls.
            | '\u{1bca0}'..='\u{1bca3}' | '\u{1d173}'..='\u{1d17a}'
            // Tag characters: invisible text that some tools read (and flags of England or
            // Scotland lose their subdivision, which is the price).
            | '\u{e0000}'..='\u{e007f}'
            // Noncharacters, which search uses as match markers.
            | '\u{fdd0}'..='\u{fdef}')
        || (u32::from(c) & 0xfffe) == 0xfffe
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_untouched() {
        for s in [
            "Bonjour, ma commande EP-1234 n'est pas arrivée 📦",
            "سلام، أين طلبي؟",
            "שלום, איפה ההזמנה שלי?",
            "ご注文ありがとうございます",
            "👩\u{200d}💻 and 👨\u{200d}👩\u{200d}👧",
            "e\u{301}te\u{301}",
            "",
        ] {
            assert_eq!(clean(s).as_str(), s);
        }
    }

    #[test]
    fn escape_sequences_go_whole() {
        assert_eq!(clean("a\x1b[2Jb").as_str(), "ab");
        assert_eq!(clean("a\x1b[38;5;196mred\x1b[0m").as_str(), "ared");
        assert_eq!(clean("\x1b]0;pwned\x07title").as_str(), "title");
        assert_eq!(clean("\x1b]52;c;aGVsbG8=\x1b\\x").as_str(), "x");
        assert_eq!(
            clean("\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\").as_str(),
            "click"
        );
        assert_eq!(clean("\x1bP1$r0m\x1b\\ok").as_str(), "ok");
        assert_eq!(clean("\x1b(Bok\x1b7\x1b8").as_str(), "ok");
        assert_eq!(clean("\u{9b}31mred").as_str(), "red");
        assert_eq!(clean("\u{9d}0;title\u{9c}x").as_str(), "x");
        assert_eq!(clean("trailing\x1b").as_str(), "trailing");
        assert_eq!(clean("\x1b[").as_str(), "");
    }

    #[test]
    fn an_unterminated_string_hides_one_line_at_most() {
        assert_eq!(clean("\x1b]0;title\nrest").as_str(), "\nrest");
    }

    #[test]
    fn controls_go_and_tabs_become_spaces() {
        assert_eq!(clean("a\tb").as_str(), "a    b");
        assert_eq!(clean("a\r\nb\rc\0d\x7f\x08e").as_str(), "a\nbcde");
        assert_eq!(clean("a\u{2028}b").as_str(), "a\nb");
    }

    #[test]
    fn spoofing_characters_go() {
        assert_eq!(clean("invoice\u{202e}fdp.exe").as_str(), "invoicefdp.exe");
        assert_eq!(clean("\u{feff}\u{2067}x\u{2069}").as_str(), "x");
        assert_eq!(clean("a\u{fdd0}b\u{fdd1}c\u{ffff}").as_str(), "abc");
    }

    #[test]
    fn lines_collapse() {
        assert_eq!(clean_line("  Anne \n\n Martin\t ").as_str(), "Anne Martin");
        assert_eq!(clean_line("\u{3000}x\u{a0} y").as_str(), "x y");
    }

    #[test]
    fn truncation_respects_width() {
        let c = clean("日本語のテキスト");
        assert_eq!(truncate(&c, 5).as_str(), "日本…");
        assert_eq!(truncate(&c, 6).as_str(), "日本…");
        assert_eq!(truncate(&c, 0).as_str(), "");
        assert_eq!(truncate(&c, 1).as_str(), "…");
        assert_eq!(truncate(&c, 16).as_str(), c.as_str());
        assert_eq!(truncate(&clean("Bonjour tout"), 9).as_str(), "Bonjour…");
    }

    #[test]
    fn wrapping_keeps_paragraphs_and_breaks_long_words() {
        let lines: Vec<String> = wrap(&clean("> un deux trois\n\nquatre"), 8)
            .into_iter()
            .map(Clean::into_string)
            .collect();
        assert_eq!(lines, ["> un", "deux", "trois", "", "quatre"]);
        let lines: Vec<String> = wrap(&clean("ab abcdefghij"), 4)
            .into_iter()
            .map(Clean::into_string)
            .collect();
        assert_eq!(lines, ["ab a", "bcde", "fghi", "j"]);
        assert!(wrap(&clean("x"), 0).is_empty());
        assert_eq!(wrap(&clean("日本"), 1).len(), 2);
    }
}
