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

/// Three dead letters (one hostile) and an account in each kind of health, written at
/// the injected clock.
fn with_email_trouble(f: &mut Fixture) {
    use comptoir::model::{Channel, ChannelHealth, HealthState};
    let minutes = |m: i64| now() - jiff::SignedDuration::from_mins(m);
    /// Channel, account, external id, raw bytes, reason, minutes ago.
    type Letter<'a> = (Channel, &'a str, Option<&'a str>, &'a [u8], &'a str, i64);
    let letters: [Letter<'_>; 3] = [
        (
            Channel::Email,
            "boutique",
            Some("<8f2@mailer.example>"),
            b"Return-Path: <x@mailer.example>\r\nFrom: =?utf-8?Q?broken\r\nSubject: \x1b[2J\x1b]0;owned\x07Facture impay\xe9e\r\nContent-Type: multipart/mixed; boundary=\r\n\r\nbody",
            "the MIME parser failed on this message",
            95,
        ),
        (
            Channel::Email,
            "boutique",
            None,
            b"just bytes\n",
            "not a mail message: no From, Subject, Message-ID or Date header",
            40,
        ),
        (
            Channel::Chat,
            "site",
            None,
            b"{\"visitor\":",
            "body is not JSON \u{1b}]52;c;cHduZWQ=\u{7}\u{202e}(truncated)",
            3,
        ),
    ];
    for (channel, account, id, raw, reason, ago) in letters {
        comptoir::ingest::dead_letter(
            &mut f.store,
            channel,
            account,
            id,
            raw,
            reason,
            minutes(ago),
        )
        .unwrap();
    }
    let base = ChannelHealth {
        channel: Channel::Email,
        account: String::new(),
        state: HealthState::Idle,
        done: None,
        total: None,
        until: None,
        last_error: None,
        updated_at: minutes(1),
    };
    let accounts = [
        ChannelHealth {
            account: "boutique".into(),
            state: HealthState::Syncing,
            done: Some(120),
            total: Some(800),
            ..base.clone()
        },
        ChannelHealth {
            account: "atelier".into(),
            state: HealthState::Backoff,
            until: Some(now() + jiff::SignedDuration::from_mins(2)),
            last_error: Some("connection refused (os error 111)".into()),
            ..base.clone()
        },
        ChannelHealth {
            account: "compta".into(),
            state: HealthState::AuthFailed,
            ..base.clone()
        },
        ChannelHealth {
            account: "archives".into(),
            updated_at: minutes(180),
            ..base.clone()
        },
        ChannelHealth {
            channel: Channel::Chat,
            account: "site".into(),
            ..base
        },
    ];
    for h in &accounts {
        f.store.set_channel_health(h).unwrap();
    }
    runner::reload(&mut f.store, &mut f.app).unwrap();
}

/// The dead-letter view, and the status line with every account's health, reached by
/// keys after the store has had email trouble.
const TROUBLE_STATES: &[(&str, &str)] = &[
    ("status_health", ""),
    ("deadletters", "D"),
    ("deadletters_second", "Dj"),
    ("deadletters_delete", "Djjd"),
];

#[test]
fn email_trouble_at_80x24_and_160x48() {
    for size in [(80u16, 24u16), (160, 48)] {
        for (name, keys) in TROUBLE_STATES {
            let mut f = fixture(size);
            with_email_trouble(&mut f);
            press(&mut f, keys);
            let s = screen(&f.app);
            assert!(!s.contains('\u{1b}'), "an escape reached the screen:\n{s}");
            insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), s);
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

/// The agents' rows for a chat state, written at the injected clock: (name, toggle,
/// minutes since the last heartbeat, minutes since the last input).
fn with_agents(f: &mut Fixture, agents: &[(&str, comptoir::model::Availability, i64, i64)]) {
    let ago = |m: i64| now() - jiff::SignedDuration::from_mins(m);
    for &(name, toggle, beat, input) in agents {
        let id = f.store.ensure_agent(name).unwrap();
        f.store.record_input(id, ago(input)).unwrap();
        f.store.touch_agent(id, ago(beat)).unwrap();
        f.store.set_availability_at(id, toggle, ago(input)).unwrap();
    }
    runner::reload(&mut f.store, &mut f.app).unwrap();
}

#[test]
fn chat_states_on_the_status_line_at_80x24_and_160x48() {
    use comptoir::config::{HoursConfig, PresenceConfig};
    use comptoir::model::Availability::{Available, Away};
    use comptoir::presence::BusinessHours;
    let closed_all_week = BusinessHours::from_config(Some(&HoursConfig {
        timezone: "Europe/Paris".to_owned(),
        week: Default::default(),
        holidays: Vec::new(),
    }));
    type Agents<'a> = &'a [(&'a str, comptoir::model::Availability, i64, i64)];
    let states: [(&str, BusinessHours, Agents<'_>, &str); 3] = [
        (
            "chat_live",
            BusinessHours::always(),
            &[
                (demo::DEMO_AGENT, Available, 0, 1),
                ("Yanis", Available, 0, 3),
            ],
            "chat: live · 2 agents",
        ),
        (
            "chat_messages_only",
            closed_all_week,
            &[(demo::DEMO_AGENT, Available, 0, 1)],
            "chat: messages only",
        ),
        (
            "chat_idle",
            BusinessHours::always(),
            &[(demo::DEMO_AGENT, Available, 0, 15), ("Yanis", Away, 0, 0)],
            "chat: messages only",
        ),
    ];
    for size in [(80u16, 24u16), (160, 48)] {
        for (name, hours, agents, line) in &states {
            let mut f = fixture(size);
            f.app
                .set_presence(Some(hours.clone()), PresenceConfig::default());
            with_agents(&mut f, agents);
            let s = screen(&f.app);
            if size.0 == 160 {
                assert!(s.contains(line), "{name}: no {line:?} in\n{s}");
                assert_eq!(
                    s.contains("away (idle)"),
                    *name == "chat_idle",
                    "{name}\n{s}"
                );
            }
            insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), s);
        }
    }
    // Without a chat inbox the status line says nothing of a chat.
    let mut f = fixture((160, 48));
    with_agents(&mut f, &[(demo::DEMO_AGENT, Available, 0, 1)]);
    let s = screen(&f.app);
    let status = s.lines().rev().nth(1).unwrap();
    assert!(status.contains("● available"), "{status}");
    assert!(!status.contains("chat"), "{status}");
}
