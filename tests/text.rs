//! The terminal's one door for untrusted text: a table of hostile inputs, then properties
//! that hold for any string (after atuin's `ansi.rs` tests).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use comptoir::tui::text::{Clean, clean, clean_line, truncate, width, wrap};
use proptest::prelude::*;
use unicode_segmentation::UnicodeSegmentation;

/// (what, raw input, what `clean` must give).
const HOSTILE: &[(&str, &str, &str)] = &[
    (
        "CSI clear screen",
        "Bonjour\x1b[2J tout le monde",
        "Bonjour tout le monde",
    ),
    ("CSI colours", "\x1b[1;31mrouge\x1b[0m", "rouge"),
    ("CSI private mode", "\x1b[?1049hx\x1b[?25l", "x"),
    ("OSC title, BEL", "\x1b]0;pwned\x07texte", "texte"),
    (
        "OSC 52 clipboard, ST",
        "\x1b]52;c;cm0gLXJmIH4=\x1b\\texte",
        "texte",
    ),
    (
        "OSC 8 hyperlink",
        "\x1b]8;;http://evil.example\x1b\\https://laposte.fr\x1b]8;;\x1b\\",
        "https://laposte.fr",
    ),
    ("DCS", "a\x1bPq#0;2;0;0;0#0~~@@vv\x1b\\b", "ab"),
    ("APC", "a\x1b_Gf=100;AAAA\x1b\\b", "ab"),
    ("SOS and PM", "a\x1bXsos\x1b\\b\x1b^pm\x1b\\c", "abc"),
    ("two-char escapes", "\x1bc\x1b(0a\x1b)Bb\x1b#8c", "abc"),
    ("8-bit CSI", "a\u{9b}2Jb", "ab"),
    ("8-bit OSC", "a\u{9d}0;title\u{9c}b", "ab"),
    ("8-bit DCS, BEL-ended", "a\u{90}payload\x07b", "ab"),
    ("other C1", "a\u{85}b\u{8d}c", "abc"),
    ("lone ESC at the end", "fin\x1b", "fin"),
    ("ESC then text", "\x1b\u{e9}t\u{e9}", "\u{e9}t\u{e9}"),
    (
        "bidi override",
        "Service Colis \u{202e}rf.omissiloc",
        "Service Colis rf.omissiloc",
    ),
    (
        "bidi isolates",
        "\u{2066}a\u{2067}b\u{2068}c\u{2069}",
        "abc",
    ),
    ("LRM and RLM", "a\u{200e}b\u{200f}c", "abc"),
    ("BOM", "\u{feff}Bonjour", "Bonjour"),
    ("NUL and BEL", "a\0b\x07c", "abc"),
    ("CR LF", "un\r\ndeux\r\n", "un\ndeux\n"),
    (
        "lone CR overwrite trick",
        "Total: 100 €\rTotal: 1 €",
        "Total: 100 €Total: 1 €",
    ),
    ("tab", "a\tb", "a    b"),
    ("backspace and DEL", "ab\x08\x08cd\x7f", "abcd"),
    ("search markers", "un \u{fdd0}mot\u{fdd1}", "un mot"),
    ("noncharacters", "a\u{fffe}b\u{1ffff}c", "abc"),
    ("zero width space", "pay\u{200b}pal", "paypal"),
    ("tag characters", "ok\u{e0001}\u{e0041}", "ok"),
    (
        "RTL Arabic unchanged",
        "مرحبا، أين طلبي؟",
        "مرحبا، أين طلبي؟",
    ),
    (
        "RTL Hebrew unchanged",
        "שלום, איפה ההזמנה שלי?",
        "שלום, איפה ההזמנה שלי?",
    ),
    ("ZWJ emoji kept", "👩\u{200d}💻", "👩\u{200d}💻"),
    ("ZWNJ kept (Persian)", "می\u{200c}خواهم", "می\u{200c}خواهم"),
    ("combining marks kept", "e\u{301}", "e\u{301}"),
    (
        "emoji variation selector kept",
        "\u{2764}\u{fe0f}",
        "\u{2764}\u{fe0f}",
    ),
];

#[test]
fn hostile_inputs_are_made_safe() {
    for (what, raw, want) in HOSTILE {
        assert_eq!(clean(raw).as_str(), *want, "{what}");
        assert_no_controls(&clean(raw), what);
    }
}

#[test]
fn one_line_text_has_no_line_breaks() {
    assert_eq!(
        clean_line("  Re:\tVotre\r\ncommande\x1b[2J  \n ").as_str(),
        "Re: Votre commande"
    );
    assert_eq!(clean_line("\u{2028}").as_str(), "");
}

#[test]
fn widths_count_terminal_columns() {
    assert_eq!(width("abc"), 3);
    assert_eq!(width("日本語"), 6, "CJK takes two columns each");
    assert_eq!(width("ｈｅｌｌｏ"), 10, "fullwidth Latin too");
    assert_eq!(
        width("👩\u{200d}👩\u{200d}👧"),
        2,
        "a ZWJ family is one emoji"
    );
    assert_eq!(width("👍🏽"), 2, "a skin tone modifier adds nothing");
    assert_eq!(width("🇫🇷"), 2, "a flag is one emoji");
    assert_eq!(width("e\u{301}"), 1, "a combining mark adds nothing");
    assert_eq!(width("שלום"), 4);
    assert_eq!(width("a\nb"), 2, "a line break takes no column");
}

#[test]
fn truncation_cuts_between_graphemes() {
    let family = clean("ab👩\u{200d}👩\u{200d}👧cd");
    assert_eq!(
        truncate(&family, 4).as_str(),
        "ab…",
        "the emoji does not fit"
    );
    assert_eq!(truncate(&family, 5).as_str(), "ab👩\u{200d}👩\u{200d}👧…");
    assert_eq!(truncate(&family, 6).as_str(), family.as_str());
    assert_eq!(truncate(&clean("日本語"), 4).as_str(), "日…");
    assert_eq!(truncate(&clean("日本語"), 0).as_str(), "");
    assert_eq!(truncate(&clean("abc"), 3).as_str(), "abc");
    assert_eq!(truncate(&clean("abcd"), 3).as_str(), "ab…");
}

#[test]
fn wrapping_respects_width_and_paragraphs() {
    let text = clean("Bonjour Marie,\n\n> Le 3 mars, La Petite Épicerie a écrit :\n> merci");
    let lines = strings(wrap(&text, 16));
    assert_eq!(
        lines,
        [
            "Bonjour Marie,",
            "",
            "> Le 3 mars, La",
            "Petite Épicerie",
            "a écrit :",
            "> merci"
        ]
    );
    let cjk = strings(wrap(&clean("ご注文ありがとうございます"), 7));
    assert_eq!(cjk, ["ご注文", "ありが", "とうご", "ざいま", "す"]);
    assert!(wrap(&clean("abc"), 0).is_empty());
    assert_eq!(strings(wrap(&clean(""), 5)), [""]);
}

fn strings(lines: Vec<Clean>) -> Vec<String> {
    lines.into_iter().map(Clean::into_string).collect()
}

fn assert_no_controls(c: &Clean, what: &str) {
    for ch in c.as_str().chars() {
        assert!(
            ch == '\n' || !ch.is_control(),
            "{what}: control {ch:?} left in {c:?}"
        );
        assert!(
            !matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'),
            "{what}: bidi or BOM {ch:?} left in {c:?}"
        );
        assert!(
            !matches!(ch, '\u{fdd0}'..='\u{fdef}'),
            "{what}: noncharacter {ch:?} left in {c:?}"
        );
    }
}

/// Strings rich in what terminals and layout find hard: escapes and their pieces, C1,
/// bidi controls, wide and zero-width characters, emoji parts, spaces and line breaks.
fn nasty() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\x1b".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("\\".to_owned()),
        Just("P".to_owned()),
        Just("\x07".to_owned()),
        Just("\u{9b}".to_owned()),
        Just("\u{9c}".to_owned()),
        Just("\u{9d}".to_owned()),
        Just("\r".to_owned()),
        Just("\n".to_owned()),
        Just("\t".to_owned()),
        Just(" ".to_owned()),
        Just("  ".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("\u{200d}".to_owned()),
        Just("\u{301}".to_owned()),
        Just("\u{fe0f}".to_owned()),
        Just("\u{fdd0}".to_owned()),
        Just("👩".to_owned()),
        Just("🇫".to_owned()),
        Just("日本".to_owned()),
        Just("ש".to_owned()),
        Just("a".to_owned()),
        Just("mot".to_owned()),
        "[0-9;?]{0,3}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), nasty()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `clean` never panics, leaves no control character but `\n` and no ESC, and is
    /// idempotent; `clean_line` also leaves no line break.
    #[test]
    fn clean_is_safe_and_idempotent(raw in any_text()) {
        let c = clean(&raw);
        assert_no_controls(&c, "clean");
        prop_assert!(!c.as_str().contains('\x1b'));
        prop_assert_eq!(clean(c.as_str()), c.clone());

        let line = clean_line(&raw);
        assert_no_controls(&line, "clean_line");
        prop_assert!(!line.as_str().contains('\n'));
        prop_assert_eq!(clean_line(line.as_str()), line.clone());
        prop_assert_eq!(clean(line.as_str()), line);
    }

    /// `truncate` never exceeds the width, keeps short text whole, and marks a cut.
    #[test]
    fn truncate_fits(raw in any_text(), max in 0usize..40) {
        let c = clean_line(&raw);
        let t = truncate(&c, max);
        prop_assert!(width(t.as_str()) <= max, "{:?} is wider than {}", t, max);
        if width(c.as_str()) <= max {
            prop_assert_eq!(&t, &c);
        } else if max > 0 {
            prop_assert!(t.as_str().ends_with('…'));
        }
        prop_assert_eq!(clean(t.as_str()), t);
    }

    /// `wrap` never exceeds the width, and loses no visible character but spaces.
    #[test]
    fn wrap_fits(raw in any_text(), w in 1usize..30) {
        let c = clean(&raw);
        let lines = wrap(&c, w);
        for line in &lines {
            prop_assert!(width(line.as_str()) <= w, "{:?} is wider than {}", line, w);
            prop_assert!(!line.as_str().contains('\n'));
        }
        // Only a grapheme wider than the whole line (a wide character in one column, a
        // run of Hangul jamo) has to be replaced; everything else is kept.
        if c.as_str().graphemes(true).all(|g| width(g) <= w) {
            let kept: String = lines
                .iter()
                .flat_map(|l| l.as_str().chars())
                .filter(|ch| *ch != ' ')
                .collect();
            let given: String = c.as_str().chars().filter(|ch| *ch != ' ' && *ch != '\n').collect();
            prop_assert_eq!(kept, given);
        }
    }
}
