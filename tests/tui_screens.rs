//! Screen snapshots of every view at 80x24 and 160x48, drawn with ratatui's TestBackend
//! from the demo store and an injected clock, so the text is stable.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use std::sync::Arc;

use comptoir::demo;
use comptoir::store::Store;
use comptoir::tui::app::App;
use comptoir::tui::key::parse_keys;
use comptoir::tui::{load_keymap, runner, view};
use jiff::{Timestamp, tz::TimeZone};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// A Monday morning in late November.
fn now() -> Timestamp {
    "2026-11-23T09:30:00Z".parse().unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    app: App,
}

fn fixture(size: (u16, u16)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
    let seed = demo::seed(&mut store, now()).unwrap();
    let keymap = load_keymap(None, None).unwrap();
    let mut app = App::new(
        seed.agent,
        demo::DEMO_AGENT,
        Arc::new(keymap),
        TimeZone::get("Europe/Paris").unwrap(),
        now(),
    );
    app.resize(size.0, size.1);
    runner::reload(&mut store, &mut app).unwrap();
    Fixture {
        _dir: dir,
        store,
        app,
    }
}

fn press(f: &mut Fixture, keys: &str) {
    if keys.is_empty() {
        return;
    }
    for key in parse_keys(keys).unwrap() {
        let effects = f.app.key(key);
        if !effects.is_empty() {
            runner::reload(&mut f.store, &mut f.app).unwrap();
        }
    }
}

fn screen(app: &App) -> String {
    let (w, h) = app.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| view::draw(app, f)).unwrap();
    terminal.backend().to_string()
}

/// Each named state, reached by keys from the start screen.
const STATES: &[(&str, &str)] = &[
    ("queue", ""),
    ("thread", "jj<Enter>"),
    ("thread_quotes", "jj<Enter>t"),
    ("history", "jj<Enter><Tab>"),
    (
        "compose",
        "jjr Bonjour Lukas,<Enter><Enter>la facture corrigée part aujourd'hui.",
    ),
    ("help", "?"),
    ("help_filtered", "?snooze"),
    ("which_key", "z"),
    ("cmdline", ":status.snooze 2h"),
    ("filtered_pending", "fp"),
    ("filtered_nothing", "fucx"),
];

#[test]
fn every_view_at_80x24_and_160x48() {
    for size in [(80u16, 24u16), (160, 48)] {
        for (name, keys) in STATES {
            let mut f = fixture(size);
            press(&mut f, keys);
            insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen(&f.app));
        }
    }
}

#[test]
fn hostile_text_never_reaches_the_terminal() {
    let mut f = fixture((160, 48));
    // Walk the whole queue with every status shown, drawing each thread and history.
    press(&mut f, "fa");
    let n = f.app.queue.items.len();
    assert!(n >= 100, "the demo has every conversation: {n}");
    for _ in 0..n {
        let s = screen(&f.app);
        assert!(!s.contains('\u{1b}'), "an escape reached the screen:\n{s}");
        assert!(
            !s.chars()
                .any(|c| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
            "a bidi control reached the screen"
        );
        assert!(
            !s.chars().any(|c| c.is_control() && c != '\n'),
            "a control character reached the screen"
        );
        press(&mut f, "j");
    }
}

#[test]
fn any_size_draws_without_a_panic() {
    let mut f = fixture((80, 24));
    press(&mut f, "jj<Enter>r hello");
    // (TestBackend itself can't print a zero-width screen; a terminal never has one.)
    for w in (1..=300u16).step_by(7) {
        for h in [0u16, 1, 2, 3, 4, 5, 6, 10, 24, 60, 100] {
            f.app.resize(w, h);
            let _ = screen(&f.app);
        }
    }
    f.app.resize(20, 5);
    assert!(!screen(&f.app).trim().is_empty());
}
