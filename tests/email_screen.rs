//! Every message of the MIME corpus (RFC samples, malformed and hostile mail: header
//! injection, escape sequences in subjects and names, HTML with scripts, bidi tricks),
//! parsed and ingested as the email channel does, then drawn in the queue, the thread and
//! the history: nothing raw reaches the terminal. (An injected "Bcc:" shows as words of
//! the subject, which is what it is once its line breaks are gone.)

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use std::sync::Arc;

use comptoir::channels::email::mime;
use comptoir::ingest::{self, Outcome};
use comptoir::store::Store;
use comptoir::tui::app::App;
use comptoir::tui::key::parse_keys;
use comptoir::tui::{load_keymap, runner, view};
use jiff::{Timestamp, tz::TimeZone};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn now() -> Timestamp {
    "2026-11-23T09:30:00Z".parse().unwrap()
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/eml");
    let mut files = Vec::new();
    for kind in ["rfc", "malformed", "hostile"] {
        let mut names: Vec<_> = std::fs::read_dir(root.join(kind))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for path in names {
            files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    files
}

fn screen(app: &App) -> String {
    let (w, h) = app.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| view::draw(app, f)).unwrap();
    terminal.backend().to_string()
}

fn assert_clean(s: &str, at: &str) {
    assert!(
        !s.contains('\u{1b}'),
        "an escape reached the screen at {at}:\n{s}"
    );
    assert!(
        !s.chars()
            .any(|c| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
        "a bidi control reached the screen at {at}"
    );
    assert!(
        !s.chars().any(|c| c.is_control() && c != '\n'),
        "a control character reached the screen at {at}"
    );
}

#[test]
fn the_whole_corpus_is_stored_and_drawn_sanitised() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
    let agent = store.ensure_agent("Camille").unwrap();
    let files = corpus();
    assert!(files.len() >= 25, "the corpus is there: {}", files.len());
    let mut stored = 0;
    for (name, raw) in &files {
        let parsed = mime::parse(raw, "boutique", &["contact@boutique.example".to_owned()]);
        let Some(inbound) = parsed.inbound else {
            continue;
        };
        match ingest::ingest(&mut store, &inbound, now()).unwrap() {
            Outcome::New { .. } | Outcome::Duplicate { .. } => stored += 1,
            Outcome::DeadLettered { .. } => eprintln!("{name}: dead letter"),
        }
    }
    assert!(
        stored >= files.len() - 3,
        "{stored} of {} stored",
        files.len()
    );

    let keymap = load_keymap(None, None).unwrap();
    let mut app = App::new(
        agent,
        "Camille",
        Arc::new(keymap),
        TimeZone::get("Europe/Paris").unwrap(),
        now(),
    );
    for (w, h) in [(160u16, 48u16), (80, 24)] {
        app.resize(w, h);
        runner::reload(&mut store, &mut app).unwrap();
        for key in parse_keys("fa").unwrap() {
            app.key(key);
        }
        runner::reload(&mut store, &mut app).unwrap();
        let n = app.queue.items.len();
        assert!(n >= 10, "the corpus makes conversations: {n}");
        for i in 0..n {
            // The queue beside the thread and history (wide), then the thread alone.
            assert_clean(&screen(&app), &format!("{w}x{h} row {i}"));
            for key in parse_keys("<Enter>").unwrap() {
                app.key(key);
            }
            runner::reload(&mut store, &mut app).unwrap();
            assert_clean(&screen(&app), &format!("{w}x{h} thread {i}"));
            for key in parse_keys("<Esc>j").unwrap() {
                app.key(key);
            }
            runner::reload(&mut store, &mut app).unwrap();
        }
    }
}
