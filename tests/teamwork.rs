//! Several agents on one store: the status compare-and-set and its notice, the change
//! log, assigning by name, labels, the overdue filter, who is viewing or replying, the
//! warning before a reply that crosses another agent's, snoozes that wake by themselves,
//! file modes for a shared data dir, and two real TUIs in tmux on one store.
//!
//! The in-process tests run each agent as the real TUI does without a terminal: their own
//! `Store` connection to one file, an `App`, and the runner's own `apply` and `reload`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use comptoir::config::WorkflowConfig;
use comptoir::ingest::{Outcome, ingest};
use comptoir::model::{Channel, ConversationId, Status, StatusName};
use comptoir::store::{Cutoffs, EventKind, QueueFilter, StatusChange, StatusOutcome, Store};
use comptoir::tui::activity::Teamwork;
use comptoir::tui::app::{App, Effect, Marker, Write};
use comptoir::tui::key::parse_keys;
use comptoir::tui::{load_keymap, runner, view};
use jiff::{SignedDuration, Timestamp, tz::TimeZone};

/// One agent at their terminal, without the terminal.
struct Desk {
    store: Store,
    app: App,
    team: Teamwork,
}

impl Desk {
    fn open(path: &Path, name: &str) -> Desk {
        let mut store = Store::open(path).unwrap();
        let me = store.ensure_agent(name).unwrap();
        let km = load_keymap(Some("default"), None).unwrap();
        let mut app = App::new(me, name, Arc::new(km), TimeZone::UTC, Timestamp::now());
        app.resize(120, 40);
        runner::reload(&mut store, &mut app).unwrap();
        Desk {
            store,
            app,
            team: Teamwork::new(),
        }
    }

    /// Keys in keymap notation; the effects are carried out as the runner does.
    fn press(&mut self, keys: &str) -> Vec<Effect> {
        let mut all = Vec::new();
        for key in parse_keys(keys).unwrap() {
            for effect in self.app.key(key) {
                runner::apply(&mut self.store, &mut self.app, &effect, None).unwrap();
                all.push(effect);
            }
        }
        all
    }

    /// What the runner does when another process changed the store.
    fn reload(&mut self) {
        runner::reload(&mut self.store, &mut self.app).unwrap();
    }

    /// One poll of the runner.
    fn tick(&mut self) {
        let now = Timestamp::now();
        self.app.tick(now);
        self.team.tick(&mut self.store, &mut self.app, now);
    }

    fn flash(&self) -> String {
        self.app
            .flash
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default()
    }

    fn screen(&self) -> String {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        terminal.draw(|f| view::draw(&self.app, f)).unwrap();
        terminal.backend().to_string()
    }
}

fn shop() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    (dir, path)
}

/// A chat from `visitor`, sent now; returns its conversation.
fn chat_now(store: &mut Store, id: &str, visitor: &str, text: &str) -> ConversationId {
    let mut inbound = common::chat(id, visitor, text);
    inbound.from.display_name = Some(visitor.to_owned());
    inbound.sent_at = Timestamp::now();
    match ingest(store, &inbound, Timestamp::now()).unwrap() {
        Outcome::New { conversation, .. } => conversation,
        other => panic!("not stored: {other:?}"),
    }
}

#[test]
fn a_status_change_made_meanwhile_is_never_overwritten_silently() {
    let (_dir, path) = shop();
    let mut store = Store::open(&path).unwrap();
    let c = chat_now(&mut store, "m1", "Ana", "Bonjour");
    let mut karim = Desk::open(&path, "Karim");
    let mut camille = Desk::open(&path, "Camille");
    // Camille lists every status, so the conversation stays in her queue when resolved.
    camille.press("fa");
    assert_eq!(camille.app.selected().map(|c| c.id), Some(c));

    karim.press("d");
    assert_eq!(karim.flash(), "Conversation resolved");
    // Camille saw it open and marks it pending before her TUI noticed Karim's change.
    let effects = camille.press("p");
    assert_eq!(
        effects,
        vec![Effect::Write(Write::Status {
            conversation: c,
            status: Status::Pending,
            seen: StatusName::Open,
        })]
    );
    let flash = camille.app.flash.clone().unwrap();
    assert!(flash.error, "{flash:?}");
    assert!(
        flash.text.starts_with("Karim resolved this at ")
            && flash
                .text
                .ends_with("your change (pending) was not applied; press again to apply it"),
        "{}",
        flash.text
    );
    assert_eq!(
        store.conversation(c).unwrap().unwrap().status,
        Status::Resolved,
        "Karim's change stands"
    );
    // Pressing again, having seen "resolved", applies hers.
    camille.press("p");
    assert_eq!(camille.flash(), "Conversation pending");
    assert_eq!(
        store.conversation(c).unwrap().unwrap().status,
        Status::Pending
    );
    let log = store.events_after(c, 0, 10).unwrap();
    let statuses: Vec<_> = log
        .iter()
        .filter(|e| e.kind == EventKind::Status)
        .map(|e| {
            (
                e.agent_name.as_deref(),
                e.old_value.as_deref(),
                e.new_value.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (Some("Karim"), Some("open"), Some("resolved")),
            (Some("Camille"), Some("resolved"), Some("pending")),
        ]
    );
}

#[test]
fn the_store_compares_and_sets_and_logs_every_change_with_its_agent() {
    let (_dir, path) = shop();
    let mut store = Store::open(&path).unwrap();
    let c = chat_now(&mut store, "m1", "Ana", "Bonjour");
    let karim = store.ensure_agent("Karim").unwrap();
    let camille = store.ensure_agent("Camille").unwrap();
    let base = Timestamp::now();
    let t = |s: i64| base + SignedDuration::from_secs(s);
    let change = |status, seen, by, now| StatusChange {
        status,
        seen,
        by,
        now,
    };

    assert_eq!(
        store
            .change_status(c, change(Status::Resolved, StatusName::Open, karim, t(1)))
            .unwrap(),
        StatusOutcome::Applied
    );
    let refused = store
        .change_status(c, change(Status::Pending, StatusName::Open, camille, t(2)))
        .unwrap();
    assert_eq!(
        refused,
        StatusOutcome::Conflict {
            current: Status::Resolved,
            by: Some("Karim".into()),
            at: Some(Timestamp::from_millisecond(t(1).as_millisecond()).unwrap()),
        }
    );
    store
        .assign_by(c, Some(camille), Some(karim), t(3))
        .unwrap();
    store
        .assign_by(c, Some(camille), Some(karim), t(3))
        .unwrap();
    store.label_by(c, "vip", true, Some(camille), t(4)).unwrap();
    store.label_by(c, "vip", true, Some(camille), t(4)).unwrap();
    store.label_by(c, "vip", false, Some(karim), t(5)).unwrap();
    // A customer writing into the resolved conversation reopens it: comptoir's change.
    let mut again = common::chat("m2", "Ana", "Encore moi");
    again.sent_at = t(6);
    ingest(&mut store, &again, t(6)).unwrap();
    store
        .change_status(
            c,
            change(
                Status::Snoozed { until: t(7) },
                StatusName::Open,
                camille,
                t(6),
            ),
        )
        .unwrap();
    assert_eq!(
        store.next_wake().unwrap().map(|w| w.as_second()),
        Some(t(7).as_second())
    );
    assert_eq!(store.wake_snoozed(t(8)).unwrap(), 1);
    assert_eq!(store.next_wake().unwrap(), None);

    let log: Vec<_> = store
        .events_after(c, 0, 50)
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.kind,
                e.agent_name,
                e.old_value.unwrap_or_default(),
                e.new_value.unwrap_or_default(),
            )
        })
        .collect();
    let row = |k, who: Option<&str>, old: &str, new: &str| {
        (k, who.map(str::to_owned), old.to_owned(), new.to_owned())
    };
    assert_eq!(
        log,
        [
            row(EventKind::Status, Some("Karim"), "open", "resolved"),
            row(EventKind::Assignee, Some("Karim"), "", "Camille"),
            row(EventKind::Label, Some("Camille"), "", "vip"),
            row(EventKind::Label, Some("Karim"), "vip", ""),
            row(EventKind::Status, None, "resolved", "open"),
            row(EventKind::Status, Some("Camille"), "open", "snoozed"),
            row(EventKind::Status, None, "snoozed", "open"),
        ],
        "no event for a change that changed nothing"
    );
    let last = store.last_event_id(c).unwrap();
    assert!(store.events_after(c, last, 10).unwrap().is_empty());
}

#[test]
fn assign_takes_a_unique_prefix_of_a_name_and_lists_the_names_otherwise() {
    let (_dir, path) = shop();
    let mut store = Store::open(&path).unwrap();
    let c = chat_now(&mut store, "m1", "Ana", "Bonjour");
    for name in ["Karima", "Karim", "Zoé"] {
        store.ensure_agent(name).unwrap();
    }
    let mut camille = Desk::open(&path, "Camille");

    camille.press("@");
    assert_eq!(
        camille.app.cmdline.as_ref().map(|l| l.text()),
        Some("assign ".into()),
        "@ asks for the name"
    );
    camille.press("<Esc>");
    assert!(camille.press(":assign kar<Enter>").is_empty());
    assert_eq!(
        camille.flash(),
        "\"kar\" could be Karim, Karima; type more of the name"
    );
    assert!(camille.press(":assign bob<Enter>").is_empty());
    assert_eq!(
        camille.flash(),
        "No agent named \"bob\"; agents: Camille, Karim, Karima, Zoé"
    );
    // An exact name wins over the longer one it begins.
    let karim = store.ensure_agent("Karim").unwrap();
    camille.press(":assign KARIM<Enter>");
    assert_eq!(camille.flash(), "Assigned to Karim");
    assert_eq!(
        store.conversation(c).unwrap().unwrap().assignee,
        Some(karim)
    );
    camille.press(":assign zo<Enter>");
    assert_eq!(camille.flash(), "Assigned to Zoé");
    camille.press(":unassign<Enter>");
    assert_eq!(store.conversation(c).unwrap().unwrap().assignee, None);
    camille.press(":assign camille<Enter>");
    camille.press("fm");
    assert_eq!(camille.app.queue.items.len(), 1, "mine: assigned to me");
}

#[test]
fn labels_show_on_the_row_and_the_thread_and_filter_the_queue() {
    let (_dir, path) = shop();
    let mut store = Store::open(&path).unwrap();
    let ana = chat_now(&mut store, "m1", "Ana", "Bonjour");
    let _bruno = chat_now(&mut store, "m2", "Bruno", "Salut");
    let mut camille = Desk::open(&path, "Camille");
    let row = camille
        .app
        .queue
        .items
        .iter()
        .position(|c| c.id == ana)
        .unwrap();
    camille.app.queue.selected = row;
    camille.reload();

    camille.press("#");
    assert_eq!(
        camille.app.cmdline.as_ref().map(|l| l.text()),
        Some("label ".into())
    );
    camille.press("remboursement<Enter>");
    assert_eq!(camille.flash(), "Label #remboursement added");
    camille.press(":label vip<Enter>");
    assert_eq!(
        store.conversation(ana).unwrap().unwrap().labels,
        ["remboursement", "vip"]
    );
    let screen = camille.screen();
    let ana_row = screen.lines().find(|l| l.contains("Ana")).unwrap();
    assert!(ana_row.contains("#remboursement"), "{screen}");
    assert!(
        screen
            .lines()
            .next()
            .unwrap()
            .contains("#remboursement #vip"),
        "thread title: {screen}"
    );

    camille.press("_");
    camille.press("vip<Enter>");
    assert_eq!(
        store.conversation(ana).unwrap().unwrap().labels,
        ["remboursement"]
    );
    camille.press("fl");
    camille.press("remboursement<Enter>");
    let names: Vec<_> = camille
        .app
        .queue
        .items
        .iter()
        .map(|c| c.customer_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["Ana"]);
    assert!(
        camille.screen().contains("#remboursement · 1"),
        "title says so"
    );
    camille.press(":filter.label all<Enter>");
    assert_eq!(camille.app.queue.items.len(), 2);
}

#[test]
fn conversations_past_their_channels_target_are_overdue() {
    let (_dir, path) = shop();
    let mut store = Store::open(&path).unwrap();
    let ago = |mins: i64| Timestamp::now() - SignedDuration::from_mins(mins);
    let mut chat = common::chat("c1", "Ana", "Vite !");
    chat.sent_at = ago(3);
    ingest(&mut store, &chat, Timestamp::now()).unwrap();
    let mut mail = common::email("e1", "bruno@example.com", "t1", "Ma commande");
    mail.sent_at = ago(30);
    ingest(&mut store, &mail, Timestamp::now()).unwrap();
    let mut late = common::email("e2", "chloe@example.com", "t2", "Toujours rien");
    late.sent_at = ago(90);
    ingest(&mut store, &late, Timestamp::now()).unwrap();

    // Chat due in a minute, email in an hour: the chat (3 min) and Chloé (90 min) are late.
    let cutoffs = Cutoffs {
        default: Some(ago(60)),
        channels: vec![(Channel::Chat, ago(1))],
    };
    let summary = store.waiting_summary(&cutoffs).unwrap();
    assert_eq!(summary.overdue, 2);
    assert_eq!(summary.oldest.map(|(c, _)| c), Some(Channel::Email));
    let overdue = store
        .queue(&QueueFilter {
            overdue: Some(cutoffs),
            ..QueueFilter::default()
        })
        .unwrap();
    assert_eq!(overdue.len(), 2);
    assert!(overdue.iter().all(|c| c.peer != "bruno@example.com"));

    let mut camille = Desk::open(&path, "Camille");
    camille.press("fd");
    assert!(camille.app.flash.as_ref().unwrap().error, "no target set");
    camille.app.set_workflow(WorkflowConfig {
        first_response_target: Some(SignedDuration::from_hours(1)),
        channel_targets: vec![(Channel::Chat, SignedDuration::from_mins(1))],
    });
    camille.reload();
    assert_eq!(camille.app.teamwork.waiting.overdue, 2);
    camille.press("fd");
    assert_eq!(camille.app.queue.items.len(), 2);
    assert!(camille.screen().contains("2 overdue"), "status line");
    camille.press("fc");
    assert_eq!(camille.app.queue.items.len(), 3, "filter.clear lifts it");
    let screen = camille.screen();
    let row = |who: &str| {
        screen
            .lines()
            .find(|l| l.contains("● mail") && l.contains(who))
            .unwrap()
            .to_owned()
    };
    let (bruno, chloe) = (row("bruno"), row("chloe"));
    assert!(chloe.contains("!1h") && !bruno.contains('!'), "{screen}");
}

#[test]
fn who_views_and_who_replies_shows_on_the_row_and_in_the_thread_until_their_tui_goes() {
    let (_dir, path) = shop();
    let mut store = Store::open(&path).unwrap();
    let c = chat_now(&mut store, "m1", "Ana", "Bonjour");
    let mut karim = Desk::open(&path, "Karim");
    let mut camille = Desk::open(&path, "Camille");
    let mut zoe = Desk::open(&path, "Zoé");

    // Moving through the queue is not opening: no marker yet.
    karim.tick();
    camille.reload();
    assert!(camille.app.markers(c).is_empty());

    karim.press("<Enter>r");
    karim.tick();
    zoe.press("<Enter>");
    zoe.tick();
    camille.reload();
    assert_eq!(
        camille.app.markers(c),
        [
            Marker {
                name: "Karim".into(),
                replying: true
            },
            Marker {
                name: "Zoé".into(),
                replying: false
            },
        ]
    );
    camille.press("<Enter>");
    let screen = camille.screen();
    let row = screen
        .lines()
        .find(|l| l.contains("Ana") && l.contains("✎"))
        .unwrap();
    assert!(row.contains("✎ Karim") && row.contains("👁 Zoé"), "{screen}");
    assert!(screen.contains("✎ Karim is replying…"), "{screen}");
    assert!(screen.contains("👁 Zoé is viewing"), "{screen}");
    // Camille starting a reply too is told that Karim is writing.
    camille.press("r");
    assert_eq!(
        camille.flash(),
        "Karim is already replying to this conversation"
    );
    camille.press("<Esc>");

    // Zoé quits: her marker goes at once. Karim's TUI is killed: his goes stale.
    zoe.team.leave(&mut zoe.store, zoe.app.me);
    camille.reload();
    assert_eq!(camille.app.markers(c).len(), 1);
    let later = Timestamp::now() + SignedDuration::from_secs(7);
    assert!(
        camille
            .app
            .expire_markers(later, SignedDuration::from_secs(6))
    );
    assert!(camille.app.markers(c).is_empty());
    assert!(store.activity(later).unwrap().is_empty());
}

#[test]
fn a_reply_sent_while_another_agent_wrote_theirs_is_a_warning_first() {
    let (_dir, path) = shop();
    let mut store = Store::open(&path).unwrap();
    let c = chat_now(&mut store, "m1", "Ana", "Où est mon colis ?");
    let mut karim = Desk::open(&path, "Karim");
    let mut camille = Desk::open(&path, "Camille");
    camille.press("<Enter>rIl arrive demain.");
    karim.press("<Enter>rIl est parti ce matin.<C-s>");
    assert_eq!(karim.flash(), "Reply queued");
    camille.reload();

    assert!(camille.press("<C-s>").is_empty(), "not sent yet");
    let flash = camille.app.flash.clone().unwrap();
    assert!(
        flash.error
            && flash.text.starts_with("Karim replied at ")
            && flash.text.contains("send again to send yours anyway"),
        "{flash:?}"
    );
    assert!(camille.app.compose.is_some(), "the draft is kept");
    let sent = camille.press("<C-s>");
    assert_eq!(
        sent,
        vec![Effect::Write(Write::Reply {
            conversation: c,
            text: "Il arrive demain.".into()
        })]
    );
    // Without a crossing reply, <C-s> sends at once.
    camille.press("rMerci !<C-s>");
    assert_eq!(camille.flash(), "Reply queued");
}

#[test]
fn a_change_another_agent_makes_to_my_open_conversation_is_told() {
    let (_dir, path) = shop();
    let mut store = Store::open(&path).unwrap();
    chat_now(&mut store, "m1", "Ana", "Bonjour");
    chat_now(&mut store, "m2", "Bruno", "Salut");
    let mut karim = Desk::open(&path, "Karim");
    let mut camille = Desk::open(&path, "Camille");
    camille.press("<Enter>");
    let mine = camille.app.selected().unwrap().id;
    let name = camille
        .app
        .selected()
        .unwrap()
        .customer_name
        .clone()
        .unwrap();
    let row = karim
        .app
        .queue
        .items
        .iter()
        .position(|c| c.id == mine)
        .unwrap();
    karim.app.queue.selected = row;
    // Karim's TUI learns of Camille, who joined after it started, at its next reload.
    karim.reload();

    karim.press(":assign camille<Enter>");
    camille.reload();
    assert!(
        camille
            .flash()
            .starts_with("Karim assigned this conversation to Camille at "),
        "{}",
        camille.flash()
    );
    karim.press(":label urgent<Enter>");
    camille.reload();
    assert!(
        camille
            .flash()
            .starts_with("Karim labelled this conversation #urgent")
    );
    // Resolved, it leaves Camille's open queue: she is still told, by the customer's name.
    karim.press("d");
    camille.reload();
    assert!(
        camille
            .flash()
            .starts_with(&format!("Karim resolved the conversation with {name} at ")),
        "{}",
        camille.flash()
    );
    // Her own changes are no news to her.
    camille.press("d");
    camille.reload();
    assert_eq!(camille.flash(), "Conversation resolved");
}

#[test]
fn a_snooze_runs_out_by_itself_in_an_open_tui() {
    let (_dir, path) = shop();
    let mut store = Store::open(&path).unwrap();
    let c = chat_now(&mut store, "m1", "Ana", "Bonjour");
    let until = Timestamp::now() + SignedDuration::from_millis(300);
    store
        .set_status(c, Status::Snoozed { until }, Timestamp::now())
        .unwrap();
    let mut camille = Desk::open(&path, "Camille");
    assert!(camille.app.queue.items.is_empty(), "hidden while snoozed");
    let start = Instant::now();
    while camille.app.queue.items.is_empty() {
        assert!(start.elapsed() < Duration::from_secs(5), "never woke");
        std::thread::sleep(Duration::from_millis(50));
        camille.tick();
    }
    assert!(Timestamp::now() >= until);
    let woke = store.events_after(c, 0, 10).unwrap().pop().unwrap();
    assert_eq!(
        (woke.agent, woke.new_value.as_deref()),
        (None, Some("open"))
    );
}

// ---------------------------------------------------------------------------------------
// Processes

fn wait_until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn agent_config(dir: &Path, name: &str) -> PathBuf {
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(
        &config,
        format!("[agent]\nname = \"{name}\"\ntimezone = \"Europe/Paris\"\n"),
    )
    .unwrap();
    config
}

#[cfg(unix)]
#[test]
fn serve_wakes_snoozes_with_no_tui_open_and_shares_its_files_with_the_group() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("shop");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o2770)).unwrap();
    let config = agent_config(home.path(), "Camille");
    // A umask that would keep every file private: the shared data dir wins over it.
    let program = format!(
        "umask 077; exec {} serve --config {} --data-dir {}",
        env!("CARGO_BIN_EXE_comptoir"),
        config.display(),
        data.display()
    );
    let mut child = Command::new("sh")
        .args(["-c", &program])
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .spawn()
        .unwrap();
    let store_file = data.join("store.sqlite");
    let lock = data.join("serve.lock");
    wait_until("serve to open the store", Duration::from_secs(20), || {
        lock.exists() && data.join("store.sqlite-shm").exists()
    });
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let group = std::fs::metadata(&data).unwrap().gid();
    for file in [
        store_file.clone(),
        data.join("store.sqlite-wal"),
        data.join("store.sqlite-shm"),
        lock.clone(),
    ] {
        assert_eq!(mode(&file), 0o660, "{}", file.display());
        assert_eq!(std::fs::metadata(&file).unwrap().gid(), group);
    }

    let mut store = Store::open(&store_file).unwrap();
    let c = chat_now(&mut store, "m1", "Ana", "Bonjour");
    let until = Timestamp::now() + SignedDuration::from_millis(500);
    store
        .set_status(c, Status::Snoozed { until }, Timestamp::now())
        .unwrap();
    wait_until("the snooze to run out", Duration::from_secs(10), || {
        store.conversation(c).unwrap().unwrap().status == Status::Open
    });
    let woke = store.events_after(c, 0, 10).unwrap().pop().unwrap();
    assert_eq!(
        (woke.agent, woke.old_value.as_deref(), woke.at.as_second()),
        (None, Some("snoozed"), until.as_second()),
        "logged as comptoir's, at the snooze's end"
    );
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut exited = None;
    wait_until("serve to stop", Duration::from_secs(20), || {
        exited = child.try_wait().unwrap();
        exited.is_some()
    });
    assert!(exited.unwrap().success());
}

#[path = "common/tmux.rs"]
mod tmux;
use tmux::Tmux;

#[test]
fn two_tuis_on_one_store_see_each_other_reply_and_conflict() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("shop");
    let mut store = Store::open(&data.join("store.sqlite")).unwrap();
    chat_now(&mut store, "m1", "Ana", "Mon colis n'est pas arrivé");
    let tmux = Tmux::new(home.path());
    for name in ["Camille", "Karim"] {
        let config = agent_config(home.path(), name);
        let program = format!(
            "{} --config {} --data-dir {}",
            env!("CARGO_BIN_EXE_comptoir"),
            config.display(),
            data.display()
        );
        tmux.session(name, &program, 140, 30);
    }
    for name in ["Camille", "Karim"] {
        tmux.wait_on(name, "the inbox", Duration::from_secs(20), |s| {
            s.contains("Ana") && s.contains(name)
        });
        // Every status, so a resolved conversation stays on screen.
        tmux.keys_to(name, &["f", "a"]);
    }

    // Camille opens the conversation and starts replying: Karim sees it on the row and
    // in the thread.
    tmux.keys_to("Camille", &["Enter", "r"]);
    tmux.type_into("Camille", "Je regarde");
    let screen = tmux.wait_on("Karim", "Camille's marker", Duration::from_secs(5), |s| {
        s.contains("Camille is replying…")
    });
    let row = screen
        .lines()
        .find(|l| l.contains("Ana") && l.contains('✎'))
        .unwrap_or_default();
    assert!(row.contains("✎ Camille"), "the queue row: {screen}");

    // She sends: Karim sees her reply, and her marker turn to viewing.
    tmux.type_into("Camille", ", il part ce soir.");
    tmux.keys_to("Camille", &["C-s"]);
    tmux.wait_on("Camille", "sent", Duration::from_secs(5), |s| {
        s.contains("Reply queued")
    });
    tmux.wait_on("Karim", "Camille's reply", Duration::from_secs(5), |s| {
        s.contains("Je regarde, il part ce soir.") && s.contains("Camille is viewing")
    });

    // Both change the status at the same moment (one tmux command, both keys): whoever
    // commits second is refused and told, and the other is told of the change made to
    // the conversation they have open. Never silent.
    assert!(
        tmux.run(&[
            "send-keys",
            "-t",
            "Karim",
            "d",
            ";",
            "send-keys",
            "-t",
            "Camille",
            "p"
        ])
        .status
        .success()
    );
    let told = |s: &str| {
        s.contains("was not applied; press again")
            || s.contains("Karim resolved this conversation at")
            || s.contains("Camille marked this conversation pending at")
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (c, k) = (tmux.screen_of("Camille"), tmux.screen_of("Karim"));
        if told(&c) || told(&k) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no notice on either screen:\n{c}\n{k}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    tmux.keys_to("Camille", &["q"]);
    tmux.keys_to("Karim", &["q"]);
}
