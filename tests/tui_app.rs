//! `App::update` and key handling as plain values: no terminal, no store. Keys are
//! written in keymap notation and fed through the real default (or vim) keymap.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use std::sync::Arc;

use comptoir::model::{
    AgentId, Channel, Conversation, ConversationId, CustomerId, Delivery, Message, MessageId,
    MessageKind, Status, StatusName,
};
use comptoir::store::QueueStats;
use comptoir::tui::app::{App, Confirm, Effect, Write};
use comptoir::tui::key::parse_keys;
use comptoir::tui::load_keymap;
use jiff::{SignedDuration, Timestamp, tz::TimeZone};

fn now() -> Timestamp {
    Timestamp::from_second(1_790_000_000).unwrap()
}

fn conversation(id: i64, name: &str) -> Conversation {
    Conversation {
        id: ConversationId(id),
        channel: Channel::Chat,
        account: "site".into(),
        thread_key: format!("v{id}"),
        customer_id: CustomerId(id),
        customer_name: Some(name.into()),
        peer: format!("v{id}"),
        subject: None,
        status: Status::Open,
        assignee: None,
        labels: Vec::new(),
        created_at: now(),
        last_message_at: now(),
        waiting_since: Some(now()),
        preview: "hello".into(),
        message_count: 1,
    }
}

fn app_with(keymap: &str, n: i64) -> App {
    let km = load_keymap(Some(keymap), None).expect("keymap");
    let mut app = App::new(AgentId(1), "Camille", Arc::new(km), TimeZone::UTC, now());
    app.resize(80, 24);
    let items = (1..=n)
        .map(|i| conversation(i, &format!("Customer {i}")))
        .collect();
    app.loaded_queue(items, QueueStats::default(), None);
    app
}

/// Feeds keys written in keymap notation; returns every effect they produced.
fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    parse_keys(keys)
        .expect("keys parse")
        .into_iter()
        .flat_map(|k| app.key(k))
        .collect()
}

#[test]
fn moving_in_the_queue_reloads_the_thread_of_the_new_selection() {
    let mut app = app_with("default", 10);
    assert_eq!(press(&mut app, "j"), vec![Effect::Reload]);
    assert_eq!(app.queue.selected, 1);
    press(&mut app, "G");
    assert_eq!(app.queue.selected, 9);
    assert!(
        press(&mut app, "j").is_empty(),
        "no move past the end, no reload"
    );
    press(&mut app, "k");
    assert_eq!(app.queue.selected, 8);
}

#[test]
fn a_pending_sequence_shows_hints_and_completes_or_cancels() {
    let mut app = app_with("default", 10);
    press(&mut app, "G");
    assert!(press(&mut app, "g").is_empty());
    let hints = app.hints().expect("a sequence is pending");
    assert!(hints.iter().any(|h| h.key.to_string() == "g"), "{hints:?}");
    press(&mut app, "g");
    assert_eq!(app.queue.selected, 0, "gg goes to the first");
    assert!(app.hints().is_none());

    press(&mut app, "f");
    assert!(app.hints().is_some());
    press(&mut app, "<Esc>");
    assert!(
        app.pending.is_empty() && app.hints().is_none(),
        "Esc ends the sequence"
    );
    assert_eq!(app.queue.selected, 0);
}

#[test]
fn counts_repeat_movement_in_the_vim_map_only() {
    let mut vim = app_with("vim", 20);
    press(&mut vim, "5j");
    assert_eq!(vim.queue.selected, 5);
    press(&mut vim, "12j");
    assert_eq!(vim.queue.selected, 17);
    let mut default = app_with("default", 20);
    press(&mut default, "3");
    assert_eq!(
        default.count, None,
        "digits are not counts in the default map"
    );
}

#[test]
fn a_reply_is_typed_sent_and_becomes_a_write() {
    let mut app = app_with("default", 3);
    press(&mut app, "j");
    press(&mut app, "r");
    assert!(app.compose.is_some());
    press(&mut app, "Bonjour q");
    assert!(!app.quit, "q types a q in the composer");
    press(&mut app, "<Enter>Merci<Backspace><Backspace>");
    let effects = press(&mut app, "<C-s>");
    assert_eq!(
        effects,
        vec![Effect::Write(Write::Reply {
            conversation: ConversationId(2),
            text: "Bonjour q\nMer".into()
        })]
    );
    assert!(app.compose.is_none());
    assert_eq!(
        app.flash.as_ref().map(|f| f.text.as_str()),
        Some("Reply queued")
    );
}

#[test]
fn pasted_text_lands_in_the_composer_with_its_line_breaks() {
    let mut app = app_with("default", 1);
    press(&mut app, "n");
    app.paste("ligne 1\r\nligne 2");
    let effects = press(&mut app, "<C-s>");
    assert_eq!(
        effects,
        vec![Effect::Write(Write::Note {
            conversation: ConversationId(1),
            text: "ligne 1\nligne 2".into()
        })]
    );
}

#[test]
fn an_empty_reply_is_not_sent_and_a_draft_is_not_lost_without_asking() {
    let mut app = app_with("default", 1);
    press(&mut app, "r");
    assert!(press(&mut app, "<C-s>").is_empty());
    assert!(app.flash.as_ref().is_some_and(|f| f.error));

    press(&mut app, "draft");
    press(&mut app, "<Esc>");
    assert_eq!(app.confirm, Some(Confirm::DiscardDraft));
    press(&mut app, "n");
    assert!(app.compose.is_some(), "n keeps the draft");
    assert_eq!(app.compose.as_ref().unwrap().editor.text(), "draft");
    press(&mut app, "<Esc>y");
    assert!(app.compose.is_none(), "y discards it");

    press(&mut app, "rmore<C-c>");
    assert_eq!(app.confirm, Some(Confirm::QuitWithDraft));
    press(&mut app, "y");
    assert!(app.quit);
}

#[test]
fn every_binding_is_also_a_command() {
    let mut app = app_with("default", 3);
    let effects = press(&mut app, ":status.snooze 2h<Enter>");
    assert_eq!(
        effects,
        vec![Effect::Write(Write::Status {
            conversation: ConversationId(1),
            status: Status::Snoozed {
                until: now() + SignedDuration::from_hours(2)
            },
            seen: StatusName::Open,
        })]
    );
    press(&mut app, ":frobnicate<Enter>");
    let flash = app.flash.clone().expect("an error is shown");
    assert!(
        flash.error && flash.text.contains("frobnicate"),
        "{flash:?}"
    );
    // The command line remembers: <Up> brings the last command back.
    press(&mut app, ":<Up>");
    assert_eq!(
        app.cmdline.as_ref().map(|c| c.text()),
        Some("frobnicate".into())
    );
    press(&mut app, "<Esc>");
    assert!(app.cmdline.is_none());
    assert_eq!(
        press(&mut app, ":keymap vim<Enter>"),
        vec![Effect::LoadKeymap("vim".into())]
    );
}

#[test]
fn filters_reset_the_selection_and_reload() {
    let mut app = app_with("default", 5);
    press(&mut app, "jj");
    assert_eq!(press(&mut app, "fp"), vec![Effect::Reload]);
    assert_eq!(app.queue.filter.statuses, vec![StatusName::Pending]);
    assert_eq!(app.queue.selected, 0);
    press(&mut app, "ce");
    assert_eq!(app.queue.filter.channel, Some(Channel::Email));
    press(&mut app, "fm");
    assert_eq!(app.queue_filter().assignee, Some(AgentId(1)));
    press(&mut app, "fc");
    assert_eq!(app.queue_filter(), {
        let fresh = app_with("default", 0);
        fresh.queue_filter()
    });
}

#[test]
fn status_keys_act_on_the_selection_and_retry_needs_a_failed_reply() {
    let mut app = app_with("default", 2);
    assert_eq!(
        press(&mut app, "d"),
        vec![Effect::Write(Write::Status {
            conversation: ConversationId(1),
            status: Status::Resolved,
            seen: StatusName::Open,
        })]
    );
    assert!(press(&mut app, "R").is_empty(), "nothing failed");
    let failed = Message {
        id: MessageId(9),
        conversation_id: ConversationId(1),
        kind: MessageKind::Outbound,
        author: "Camille".into(),
        agent_id: Some(AgentId(1)),
        external_id: None,
        body: "hello".into(),
        sent_at: now(),
        automated: false,
        delivery: Some(Delivery::Failed {
            reason: "550".into(),
        }),
        attachments: Vec::new(),
    };
    app.loaded_thread(Some((conversation(1, "Customer 1"), vec![failed])), None);
    assert_eq!(
        press(&mut app, "R"),
        vec![Effect::Write(Write::RetryFailed {
            conversation: ConversationId(1)
        })]
    );
    assert_eq!(
        press(&mut app, "A"),
        vec![Effect::Write(Write::Assign {
            conversation: ConversationId(1),
            agent: Some(AgentId(1))
        })]
    );
}

#[test]
fn the_selection_follows_its_conversation_when_the_queue_reorders() {
    let mut app = app_with("default", 3);
    press(&mut app, "j");
    assert_eq!(app.selected().map(|c| c.id), Some(ConversationId(2)));
    let reordered = vec![
        conversation(3, "c"),
        conversation(1, "a"),
        conversation(2, "b"),
    ];
    app.loaded_queue(reordered, QueueStats::default(), None);
    assert_eq!(app.selected().map(|c| c.id), Some(ConversationId(2)));
    assert_eq!(app.queue.selected, 2);
    app.loaded_queue(vec![conversation(3, "c")], QueueStats::default(), None);
    assert_eq!(app.queue.selected, 0, "clamped when it left the queue");
}

#[test]
fn help_opens_filters_and_closes() {
    let mut app = app_with("default", 1);
    press(&mut app, "?");
    assert!(app.help.is_some());
    press(&mut app, "snooze");
    assert_eq!(
        app.help.as_ref().map(|h| h.query.text()),
        Some("snooze".into())
    );
    press(&mut app, "<Esc>");
    assert!(app.help.is_none());
}

#[test]
fn the_mouse_selects_and_scrolls_unless_turned_off() {
    let mut app = app_with("default", 10);
    app.resize(160, 48);
    // Row 0 is the border; the third conversation is on row 3.
    assert_eq!(app.click(5, 3), vec![Effect::Reload]);
    assert_eq!(app.queue.selected, 2);
    app.scroll(5, 5, true);
    assert_eq!(app.queue.selected, 3);
    app.mouse = false;
    assert!(app.click(5, 1).is_empty());
    assert_eq!(app.queue.selected, 3);
}

#[test]
fn focus_cycles_and_escape_returns_to_the_queue() {
    let mut app = app_with("default", 1);
    press(&mut app, "<Enter>");
    assert_eq!(app.focus, comptoir::tui::action::Pane::Thread);
    press(&mut app, "<Tab>");
    assert_eq!(app.focus, comptoir::tui::action::Pane::History);
    press(&mut app, "<Esc>");
    assert_eq!(app.focus, comptoir::tui::action::Pane::Queue);
}

/// My row as my TUI writes it: toggled `availability`, heartbeat and input at these times.
fn me_at(
    availability: comptoir::model::Availability,
    seen: Timestamp,
    input: Timestamp,
) -> comptoir::model::Agent {
    comptoir::model::Agent {
        id: AgentId(1),
        name: "Camille".into(),
        availability,
        last_seen_at: Some(seen),
        last_input_at: Some(input),
        left_available_at: None,
    }
}

fn status_line(app: &App) -> String {
    let (w, h) = app.size;
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| comptoir::tui::view::draw(app, f))
        .unwrap();
    let screen = terminal.backend().to_string();
    screen.lines().rev().nth(1).unwrap().to_owned()
}

#[test]
fn the_status_line_follows_the_chat_and_my_idleness() {
    use comptoir::config::PresenceConfig;
    use comptoir::model::Availability::{Available, Away};
    use comptoir::presence::{AgentPresence, BusinessHours, ChatState};

    let mut app = app_with("default", 3);
    app.resize(120, 24);
    app.loaded_agents(&[me_at(Available, now(), now())]);
    assert_eq!(app.presence.chat, None, "no chat inbox, no chat state");
    assert!(!status_line(&app).contains("chat"), "{}", status_line(&app));

    app.set_presence(Some(BusinessHours::always()), PresenceConfig::default());
    app.loaded_agents(&[me_at(Available, now(), now())]);
    assert_eq!(
        app.presence.chat,
        Some(ChatState {
            live: true,
            agents: 1,
            next_available: None,
            grace_until: None
        })
    );
    assert_eq!(app.presence.me, Some(AgentPresence::Available));
    let line = status_line(&app);
    assert!(
        line.contains("● available │ chat: live · 1 agent │"),
        "{line}"
    );

    // The toggle is a command (and a key), written by the runner.
    assert_eq!(
        press(&mut app, ":away<Enter>"),
        [Effect::Write(Write::Availability(Away))]
    );
    assert_eq!(
        press(&mut app, ":available<Enter>"),
        [Effect::Write(Write::Availability(Available))]
    );

    // Eleven minutes on, the TUI still beating but untouched: idle, and the chat has
    // gone to messages once the grace period after the idle allowance ran out.
    let later = now() + SignedDuration::from_mins(11);
    app.tick(later);
    app.loaded_agents(&[me_at(Available, later, now())]);
    assert_eq!(app.presence.me, Some(AgentPresence::Idle));
    let line = status_line(&app);
    assert!(
        line.contains("◐ away (idle) │ chat: messages only │"),
        "{line}"
    );

    // Ten and a half minutes on: idle, but the chat is live for the grace period.
    let grace = now() + SignedDuration::from_secs(10 * 60 + 30);
    app.tick(grace);
    app.loaded_agents(&[me_at(Available, grace, now())]);
    let line = status_line(&app);
    assert!(line.contains("chat: live · grace period"), "{line}");
}

// ---------------------------------------------------------------------------------------
// Email in the TUI: dead letters, attachments, older mail and each account's health,
// against a real store, with the effects carried out by the runner's own `apply`.

mod with_store {
    use super::*;

    use comptoir::channels::{Contact, Inbound, InboundAttachment};
    use comptoir::ingest;
    use comptoir::model::{ChannelHealth, HealthState};
    use comptoir::store::Store;
    use comptoir::tui::runner;
    use comptoir::tui::view;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    struct Desk {
        dir: tempfile::TempDir,
        store: Store,
        app: App,
    }

    fn desk(keymap: &str) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        let km = load_keymap(Some(keymap), None).unwrap();
        let mut app = App::new(
            AgentId(1),
            "Camille",
            Arc::new(km),
            TimeZone::get("Europe/Paris").unwrap(),
            now(),
        );
        app.resize(160, 48);
        let saves = dir.path().join("saves");
        std::fs::create_dir(&saves).unwrap();
        app.save_dir = saves;
        let mut d = Desk { dir, store, app };
        runner::reload(&mut d.store, &mut d.app).unwrap();
        d
    }

    impl Desk {
        /// Feeds keys one by one, carrying out each key's effects as the runner does.
        fn press(&mut self, keys: &str) -> Vec<Effect> {
            let mut all = Vec::new();
            for key in parse_keys(keys).expect("keys parse") {
                for effect in self.app.key(key) {
                    runner::apply(&mut self.store, &mut self.app, &effect, None).unwrap();
                    all.push(effect);
                }
            }
            all
        }

        fn flash(&self) -> (String, bool) {
            let f = self.app.flash.clone().expect("a message is shown");
            (f.text, f.error)
        }

        fn saves(&self) -> std::path::PathBuf {
            self.app.save_dir.clone()
        }

        fn dead(&self, channel: Channel, external: Option<&str>, raw: &[u8], reason: &str) -> i64 {
            let mut store = Store::open(&self.dir.path().join("store.sqlite")).unwrap();
            ingest::dead_letter(
                &mut store,
                channel,
                "boutique",
                external,
                raw,
                reason,
                now(),
            )
            .unwrap()
        }

        fn dead_count(&mut self) -> usize {
            self.store.dead_letters().unwrap().len()
        }
    }

    fn screen(app: &App) -> String {
        let (w, h) = app.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        terminal.draw(|f| view::draw(app, f)).unwrap();
        terminal.backend().to_string()
    }

    fn assert_safe(s: &str) {
        assert!(!s.contains('\u{1b}'), "an escape reached the screen:\n{s}");
        assert!(
            !s.contains('\u{9b}'),
            "an 8-bit CSI reached the screen:\n{s}"
        );
        assert!(
            !s.chars()
                .any(|c| matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')),
            "a bidi control reached the screen:\n{s}"
        );
        assert!(
            !s.chars().any(|c| c.is_control() && c != '\n'),
            "a control character reached the screen:\n{s}"
        );
    }

    const GOOD_MAIL: &[u8] = b"From: Alice Martin <alice@example.com>\r\n\
To: contact@boutique.example\r\n\
Subject: Ma commande 1042\r\n\
Message-ID: <retry-1@example.com>\r\n\
Date: Mon, 21 Sep 2026 09:00:00 +0000\r\n\
\r\n\
Bonjour, ma commande n'est pas arrivee.\r\n";

    #[test]
    fn the_dead_letter_view_opens_from_each_keymap_moves_and_closes() {
        for (map, open, down, back) in [
            ("default", "D", "j", "<Esc>"),
            ("vim", "gD", "j", "q"),
            ("emacs", "<C-x>d", "n", "q"),
        ] {
            let mut d = desk(map);
            let first = d.dead(
                Channel::Email,
                Some("<a@x>"),
                b"Subject: first\r\n\r\nbody",
                "one",
            );
            let second = d.dead(
                Channel::Email,
                Some("<b@x>"),
                b"Subject: second\r\nX-A: 1\r\n\r\nbody",
                "two",
            );
            d.press(open);
            let view = d.app.dead_letters.as_ref().expect("open");
            assert_eq!(view.items.len(), 2, "{map}");
            assert_eq!(
                d.app.selected_dead_letter().map(|l| l.id),
                Some(second),
                "newest first"
            );
            assert_eq!(
                view.headers,
                Some((second, vec!["Subject: second".into(), "X-A: 1".into()])),
                "{map}: the raw header block, not the body"
            );
            assert_eq!(d.press(down), vec![Effect::Reload], "{map}");
            assert_eq!(d.app.selected_dead_letter().map(|l| l.id), Some(first));
            assert_eq!(
                d.app.dead_letters.as_ref().unwrap().headers,
                Some((first, vec!["Subject: first".into()]))
            );
            assert!(d.press(down).is_empty(), "{map}: no move past the end");
            let s = screen(&d.app);
            assert!(s.contains("Dead letters · 2"), "{map}:\n{s}");
            assert!(s.contains("Subject: first"), "{map}:\n{s}");
            d.press(back);
            assert!(d.app.dead_letters.is_none(), "{map}: {back} goes back");
            assert!(!d.app.quit);
        }
    }

    #[test]
    fn a_retried_dead_letter_that_parses_now_is_stored_and_leaves_the_list() {
        let mut d = desk("default");
        d.dead(
            Channel::Email,
            Some("<retry-1@example.com>"),
            GOOD_MAIL,
            "the MIME parser failed on this message",
        );
        runner::reload(&mut d.store, &mut d.app).unwrap();
        assert_eq!(d.app.dead_letter_count, 1);
        d.press("D");
        let effects = d.press("r");
        assert!(
            matches!(effects.as_slice(), [Effect::DeadLetter(_)]),
            "{effects:?}"
        );
        let (text, error) = d.flash();
        assert!(!error && text.starts_with("Stored"), "{text}");
        assert_eq!(d.dead_count(), 0);
        assert_eq!(d.app.dead_letter_count, 0);
        assert!(d.app.dead_letters.as_ref().unwrap().items.is_empty());
        let stored = d
            .app
            .queue
            .items
            .iter()
            .find(|c| c.customer_name.as_deref() == Some("Alice Martin"));
        assert!(
            stored.is_some(),
            "the message is in the queue: {:?}",
            d.app.queue.items
        );

        // The same bytes dead-lettered again (a redelivery) are a duplicate now.
        d.dead(Channel::Email, Some("<other-id>"), GOOD_MAIL, "again");
        d.press("<Esc>Dr");
        let (text, _) = d.flash();
        assert!(text.starts_with("Already stored"), "{text}");
        assert_eq!(d.dead_count(), 0);
    }

    #[test]
    fn a_retry_that_still_fails_says_why_and_keeps_one_dead_letter() {
        let mut d = desk("default");
        // Not mail at all: the parser still gives nothing.
        d.dead(
            Channel::Email,
            Some("<junk@x>"),
            b"just some bytes\n",
            "not mail",
        );
        d.press("Dr");
        let (text, error) = d.flash();
        assert!(
            error && text.starts_with("still fails: not a mail message"),
            "{text}"
        );
        assert_eq!(d.dead_count(), 1);

        // Mail that parses but is too large to store: ingest sets it aside again, under
        // its Message-ID; the old entry (kept without an id) goes, so one is listed.
        let mut big =
            b"From: big@example.com\r\nSubject: big\r\nMessage-ID: <big@example.com>\r\n\r\n"
                .to_vec();
        for _ in 0..16_000 {
            big.extend_from_slice(&[b'a'; 76]);
            big.extend_from_slice(b"\r\n");
        }
        let junk = d.store.dead_letters().unwrap()[0].id;
        d.store.remove_dead_letter(junk).unwrap();
        d.dead(Channel::Email, None, &big, "too big");
        d.press("<Esc>D");
        for round in 0..2 {
            d.press("r");
            let (text, error) = d.flash();
            assert!(
                error && text.contains("still fails") && text.contains("over the"),
                "{round}: {text}"
            );
            let left = d.store.dead_letters().unwrap();
            assert_eq!(left.len(), 1, "round {round}: one dead letter, not two");
            assert_eq!(left[0].external_id.as_deref(), Some("<big@example.com>"));
            assert_eq!(
                d.store.dead_letter_raw(left[0].id).unwrap().as_deref(),
                Some(big.as_slice()),
                "the bytes as received"
            );
        }
    }

    #[test]
    fn other_channels_cannot_be_retried_yet() {
        let mut d = desk("default");
        d.dead(Channel::Chat, None, b"{not json", "body is not JSON");
        d.press("Dr");
        let (text, error) = d.flash();
        assert!(error && text.contains("not supported for chat"), "{text}");
        assert_eq!(d.dead_count(), 1);
    }

    #[test]
    fn saving_the_raw_bytes_never_overwrites() {
        let mut d = desk("default");
        let id = d.dead(Channel::Email, Some("<s@x>"), GOOD_MAIL, "x");
        d.press("Ds");
        let first = d.saves().join(format!("dead-letter-{id}.eml"));
        assert_eq!(std::fs::read(&first).unwrap(), GOOD_MAIL);
        let (text, error) = d.flash();
        assert!(
            !error && text.contains(&first.display().to_string()),
            "{text}"
        );
        std::fs::write(&first, b"the agent's edits").unwrap();
        d.press("s");
        let second = d.saves().join(format!("dead-letter-{id}-1.eml"));
        assert_eq!(std::fs::read(&second).unwrap(), GOOD_MAIL);
        assert_eq!(
            std::fs::read(&first).unwrap(),
            b"the agent's edits",
            "not overwritten"
        );
        let named = d.dir.path().join("named.eml");
        d.press(&format!(":save-raw {}<Enter>", named.display()));
        assert_eq!(std::fs::read(&named).unwrap(), GOOD_MAIL);
        d.press(&format!(":save-raw {}<Enter>", named.display()));
        assert_eq!(
            std::fs::read(d.dir.path().join("named-1.eml")).unwrap(),
            GOOD_MAIL
        );
        assert_eq!(d.dead_count(), 1, "saving keeps the dead letter");
    }

    #[test]
    fn deleting_a_dead_letter_asks_first() {
        let mut d = desk("default");
        d.dead(Channel::Email, Some("<d@x>"), b"x", "x");
        d.press("Dd");
        assert!(matches!(d.app.confirm, Some(Confirm::DeleteDeadLetter(_))));
        assert!(screen(&d.app).contains("Delete this dead letter for good? (y/n)"));
        d.press("n");
        assert_eq!(d.dead_count(), 1, "n keeps it");
        assert!(d.app.dead_letters.is_some(), "and the view stays open");
        d.press("dy");
        assert_eq!(d.dead_count(), 0);
        assert_eq!(d.flash(), ("Dead letter deleted".into(), false));
        assert!(d.app.dead_letters.as_ref().unwrap().items.is_empty());
        assert!(screen(&d.app).contains("No dead letters"));
    }

    #[test]
    fn hostile_dead_letters_never_reach_the_screen_raw() {
        let mut d = desk("default");
        d.dead(
            Channel::Email,
            Some("<\u{1b}[31mid>"),
            b"Subject: \x1b[2J\x1b]0;title\x07hi\r\nX-Evil: \xc2\x9b31m red\r\nX-Bidi: gpj\xe2\x80\xaeexe.txt\r\n\r\nbody",
            "bad \u{1b}]52;c;cHduZWQ=\u{7} clipboard \u{202e}txt.exe",
        );
        d.press("D");
        for w in (1..=200u16).step_by(13) {
            for h in [1u16, 2, 3, 4, 5, 8, 24] {
                d.app.resize(w, h);
                assert_safe(&screen(&d.app));
            }
        }
        for size in [(160, 48), (80, 24), (40, 10)] {
            d.app.resize(size.0, size.1);
            let s = screen(&d.app);
            assert_safe(&s);
            if size.0 == 160 {
                assert!(s.contains("Subject: hi"), "{s}");
                assert!(s.contains("bad clipboard txt.exe"), "{s}");
            }
        }
    }

    fn email_with_attachments(files: Vec<(&str, Vec<u8>)>) -> Inbound {
        Inbound {
            channel: Channel::Email,
            account: "boutique".into(),
            thread_key: "<att@x>".into(),
            external_id: "<att@x>".into(),
            references: Vec::new(),
            from: Contact {
                handle: "bob@example.com".into(),
                display_name: Some("Bob".into()),
                email: Some("bob@example.com".into()),
                phone: None,
            },
            reply_to: None,
            subject: Some("Facture".into()),
            text: "Ci-joint.".into(),
            attachments: files
                .into_iter()
                .map(|(name, bytes)| InboundAttachment {
                    name: name.into(),
                    mime: "application/octet-stream".into(),
                    bytes,
                })
                .collect(),
            sent_at: now(),
            automated: false,
            raw: None,
        }
    }

    #[test]
    fn save_writes_the_attachment_bytes_and_never_overwrites() {
        let mut d = desk("default");
        let pdf: Vec<u8> = (0..=255u8).cycle().take(12 * 1024 + 7).collect();
        let hostile = "\u{1b}]0;pwn\u{7}../../.evil\u{202e}fdp.sh";
        ingest::ingest(
            &mut d.store,
            &email_with_attachments(vec![
                ("facture.pdf", pdf.clone()),
                (hostile, b"#!/bin/sh\n".to_vec()),
            ]),
            now(),
        )
        .unwrap();
        runner::reload(&mut d.store, &mut d.app).unwrap();
        d.press("<Enter>");
        let s = screen(&d.app);
        assert!(s.contains("📎 1 facture.pdf"), "{s}");
        assert!(s.contains("📎 2 "), "{s}");
        assert_safe(&s);

        assert!(d.press("S").is_empty());
        let (text, error) = d.flash();
        assert!(error && text.starts_with("2 attachments here"), "{text}");

        d.press(":save 1<Enter>");
        let saved = d.saves().join("facture.pdf");
        assert_eq!(std::fs::read(&saved).unwrap(), pdf, "identical bytes");
        assert_eq!(
            d.flash(),
            (
                format!("saved facture.pdf (12 KB) to {}", saved.display()),
                false
            )
        );
        d.press(":save 1<Enter>");
        assert_eq!(std::fs::read(d.saves().join("facture-1.pdf")).unwrap(), pdf);
        assert_eq!(std::fs::read(&saved).unwrap(), pdf);

        let elsewhere = d.dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        d.press(&format!(":save 2 {}<Enter>", elsewhere.display()));
        let names: Vec<String> = std::fs::read_dir(&elsewhere)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        let name = &names[0];
        assert!(
            !name.starts_with('.')
                && !name.contains('/')
                && !name.contains('\u{1b}')
                && !name.contains('\u{202e}'),
            "{name:?}"
        );
        assert_eq!(std::fs::read(elsewhere.join(name)).unwrap(), b"#!/bin/sh\n");
        assert_safe(&screen(&d.app));

        d.press(":save 3<Enter>");
        assert_eq!(
            d.flash(),
            ("No attachment 3: the thread has 2".into(), true)
        );
    }

    #[test]
    fn the_only_attachment_is_saved_without_a_number() {
        let mut d = desk("vim");
        ingest::ingest(
            &mut d.store,
            &email_with_attachments(vec![("a.txt", b"hello".to_vec())]),
            now(),
        )
        .unwrap();
        runner::reload(&mut d.store, &mut d.app).unwrap();
        d.press("<Enter>S");
        assert_eq!(std::fs::read(d.saves().join("a.txt")).unwrap(), b"hello");
    }

    #[test]
    fn fetch_older_writes_the_request_for_every_synced_folder() {
        let mut d = desk("default");
        d.press(":fetch-older<Enter>");
        let (text, error) = d.flash();
        assert!(
            error && text.contains("No email folder has synced yet"),
            "{text}"
        );
        d.store
            .set_email_sync_state("boutique", "INBOX", 7, 42)
            .unwrap();
        d.store
            .set_email_sync_state("boutique", "Support", 7, 9)
            .unwrap();
        let effects = d.press(":fetch-older 30<Enter>");
        assert_eq!(effects, vec![Effect::Write(Write::FetchOlder { days: 30 })]);
        let (text, error) = d.flash();
        assert!(
            !error && text.starts_with("Asked 2 folders for 30 more days"),
            "{text}"
        );
        d.press(":fetch-older<Enter>");
        let conn = rusqlite::Connection::open(d.dir.path().join("store.sqlite")).unwrap();
        let requested: i64 = conn
            .query_row(
                "SELECT sum(older_days_requested) FROM email_sync",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            requested,
            2 * (30 + 90),
            "30 days, then the default 90, for both folders"
        );
    }

    fn health(state: HealthState) -> ChannelHealth {
        ChannelHealth {
            channel: Channel::Email,
            account: "boutique".into(),
            state,
            done: None,
            total: None,
            until: None,
            last_error: None,
            updated_at: now() - SignedDuration::from_mins(1),
        }
    }

    fn status_line(app: &App) -> String {
        let s = screen(app);
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len() - 2].to_owned()
    }

    #[test]
    fn the_status_line_shows_each_accounts_health() {
        let mut d = desk("default");
        let in_19_min = now() + SignedDuration::from_mins(19);
        let cases: Vec<(ChannelHealth, &str)> = vec![
            (
                ChannelHealth {
                    done: Some(120),
                    total: Some(800),
                    ..health(HealthState::Syncing)
                },
                "boutique ⟳ 120/800",
            ),
            (health(HealthState::Syncing), "boutique ⟳ syncing"),
            (health(HealthState::Connecting), "boutique connecting…"),
            (health(HealthState::Idle), "boutique IDLE"),
            (health(HealthState::Polling), "boutique polling"),
            // 14:13 UTC plus 19 minutes, in Paris (UTC+2 in September).
            (
                ChannelHealth {
                    until: Some(in_19_min),
                    last_error: Some("connection refused".into()),
                    ..health(HealthState::Backoff)
                },
                "boutique ⚠ retry 16:32: connection refused",
            ),
            (health(HealthState::AuthFailed), "boutique ✗ auth failed"),
            (health(HealthState::Stopped), "boutique stopped"),
            (
                ChannelHealth {
                    updated_at: now() - SignedDuration::from_hours(3),
                    ..health(HealthState::Idle)
                },
                "boutique ? IDLE, 3h ago",
            ),
            (
                ChannelHealth {
                    updated_at: now() - SignedDuration::from_hours(3),
                    done: Some(1),
                    total: Some(9),
                    ..health(HealthState::Syncing)
                },
                "boutique ? 1/9, 3h ago",
            ),
            (
                ChannelHealth {
                    until: Some(now() - SignedDuration::from_hours(2)),
                    updated_at: now() - SignedDuration::from_hours(2),
                    ..health(HealthState::Backoff)
                },
                "boutique ? retry 14:13, 2h ago",
            ),
        ];
        for (h, want) in cases {
            d.store.set_channel_health(&h).unwrap();
            runner::reload(&mut d.store, &mut d.app).unwrap();
            let line = status_line(&d.app);
            assert!(
                line.contains(want),
                "{:?}: want {want:?} in\n{line}",
                h.state
            );
        }
        assert!(!status_line(&d.app).contains("dead letter"));
        for i in 0..3 {
            d.dead(Channel::Email, Some(&format!("<{i}@x>")), b"x", "x");
        }
        runner::reload(&mut d.store, &mut d.app).unwrap();
        assert!(status_line(&d.app).contains("3 dead letters"));
    }

    #[test]
    fn a_narrow_status_line_keeps_problems_and_drops_healthy_accounts_first() {
        let mut d = desk("default");
        d.store
            .set_channel_health(&ChannelHealth {
                last_error: Some(format!(
                    "refused \u{1b}[2J\u{1b}]0;x\u{7}{}",
                    "very long error ".repeat(10)
                )),
                until: Some(now() + SignedDuration::from_mins(5)),
                ..health(HealthState::Backoff)
            })
            .unwrap();
        d.store
            .set_channel_health(&ChannelHealth {
                channel: Channel::Chat,
                account: "site".into(),
                ..health(HealthState::Idle)
            })
            .unwrap();
        runner::reload(&mut d.store, &mut d.app).unwrap();
        let wide = status_line(&d.app);
        assert!(
            wide.contains("site IDLE") && wide.contains("boutique ⚠ retry"),
            "{wide}"
        );
        assert!(
            wide.contains("refused very long"),
            "the error, sanitised: {wide}"
        );
        assert!(wide.contains('…'), "a long error is cut: {wide}");
        for width in [100u16, 80, 60] {
            d.app.resize(width, 24);
            let line = status_line(&d.app);
            assert!(line.contains("boutique ⚠ retry"), "{width}: {line}");
            assert!(
                !line.contains("site IDLE"),
                "{width}: the healthy account went first: {line}"
            );
            assert!(line.contains("unanswered"), "{width}: {line}");
            assert_safe(&line);
        }
    }

    #[test]
    fn away_and_available_reach_the_store_and_the_chat_state() {
        use comptoir::config::PresenceConfig;
        use comptoir::model::Availability;
        use comptoir::presence::BusinessHours;

        let mut d = desk("default");
        let me = d.store.ensure_agent("Camille").unwrap();
        d.app.me = me;
        d.app
            .set_presence(Some(BusinessHours::always()), PresenceConfig::default());
        d.store.record_input(me, now()).unwrap();
        d.store
            .set_availability_at(me, Availability::Available, now())
            .unwrap();
        runner::reload(&mut d.store, &mut d.app).unwrap();
        assert!(d.app.presence.chat.is_some_and(|c| c.live && c.agents == 1));

        d.press(":away<Enter>");
        let row = d
            .store
            .agents()
            .unwrap()
            .into_iter()
            .find(|a| a.id == me)
            .unwrap();
        assert_eq!(row.availability, Availability::Away);
        assert!(
            row.left_available_at.is_some(),
            "leaving available is dated"
        );
        let chat = d.app.presence.chat.unwrap();
        assert!(
            chat.live && chat.agents == 0 && chat.grace_until.is_some(),
            "live for the grace period only: {chat:?}"
        );

        d.press(":available<Enter>");
        let chat = d.app.presence.chat.unwrap();
        assert!(chat.live && chat.agents == 1, "{chat:?}");
    }
}
