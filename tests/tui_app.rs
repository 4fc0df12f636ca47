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
            }
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
            status: Status::Resolved
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
