//! How soon one agent's change shows in another agent's TUI, on the big synthetic shop
//! (100,000 conversations, about 1,000,000 messages): the issue asks for 250 ms.
//!
//! Two connections to one store file, as two TUIs on one host have. Agent A (Karim)
//! writes; agent B (Camille) runs what her TUI's runner does, in a thread: every 50 ms
//! (`runner::POLL`) one `PRAGMA data_version`, and on a change the runner's own `reload`
//! into her `App`. Measured: from A's commit to the moment B's `App` holds the change
//! (a status change of the conversation she has open, Karim's "replying" marker on it,
//! and his note in her thread), plus the reload itself. A run on a copy of the store, so
//! the cached one is not changed.
//!
//! `cargo bench --bench teamwork` (builds or reuses `target/bench-data/store-100k-v3/`);
//! `COMPTOIR_BENCH_CONVERSATIONS=2000 cargo bench --bench teamwork` for a quick run.

#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

#[path = "common/data.rs"]
mod data;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use comptoir::model::{ConversationId, MessageKind, Status, StatusName};
use comptoir::store::{StatusChange, Store};
use comptoir::tui::action::Action;
use comptoir::tui::app::App;
use comptoir::tui::{load_keymap, runner};
use jiff::{Timestamp, tz::TimeZone};

/// The runner's poll.
const POLL: Duration = Duration::from_millis(50);
/// Changes of each kind.
const ROUNDS: usize = 40;
/// The target.
const TARGET: Duration = Duration::from_millis(250);

/// What B waits to see, and when A committed it.
#[derive(Clone, Copy, Debug)]
enum Change {
    Status(StatusName),
    Replying(bool),
    Message(i64),
}

fn main() {
    let conversations = data::conversations_from_env();
    let dir = data::store_dir(conversations);
    let cached = dir.join("store.sqlite");
    data::build_or_reuse(&dir, &cached, conversations);
    let work = tempfile::tempdir().expect("tempdir");
    let path = work.path().join("store.sqlite");
    // A copy: the runs change statuses and add replies.
    {
        let source = Store::open(&cached).expect("open the cached store");
        drop(source);
        std::fs::copy(&cached, &path).expect("copy the store");
    }

    let mut a = Store::open(&path).expect("open A");
    let karim = a.ensure_agent("Karim").expect("Karim");
    let camille_id = a.ensure_agent("Camille").expect("Camille");

    let (tx, rx) = mpsc::channel::<(Change, Instant)>();
    let (seen_tx, seen_rx) = mpsc::channel::<Duration>();
    let (ready_tx, ready_rx) = mpsc::channel::<(ConversationId, StatusName)>();
    let stop = Arc::new(AtomicBool::new(false));
    let b_path = path.clone();
    let b_stop = Arc::clone(&stop);
    let reloads =
        std::thread::spawn(move || camille(&b_path, camille_id, &rx, &seen_tx, &ready_tx, &b_stop));
    let (conversation, mut status) = ready_rx.recv().expect("B is ready");

    let mut figures: Vec<(&str, Vec<Duration>)> = Vec::new();
    let mut rng = fastrand::Rng::with_seed(7);
    let mut measure = |name: &'static str, f: &mut dyn FnMut(&mut Store) -> Change| {
        let mut lags = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            // A different phase against B's poll each time.
            std::thread::sleep(Duration::from_millis(rng.u64(0..50)));
            let change = f(&mut a);
            if std::env::var_os("COMPTOIR_BENCH_TRACE").is_some() {
                eprintln!("{name}: {change:?}");
            }
            tx.send((change, Instant::now())).expect("B listens");
            lags.push(seen_rx.recv().expect("B saw it"));
        }
        figures.push((name, lags));
    };
    measure("status change → her open thread", &mut |a: &mut Store| {
        let next = if status == StatusName::Open {
            Status::Pending
        } else {
            Status::Open
        };
        let change = StatusChange {
            status: next,
            seen: status,
            by: karim,
            now: Timestamp::now(),
        };
        a.change_status(conversation, change).expect("status");
        status = next.name();
        Change::Status(status)
    });
    let mut replying = false;
    measure("\"Karim is replying…\" marker", &mut |a: &mut Store| {
        replying = !replying;
        a.record_activity(
            karim,
            "bench",
            Some(conversation),
            replying,
            Timestamp::now(),
        )
        .expect("activity");
        Change::Replying(replying)
    });
    let mut n = 0;
    // A note, not a reply: a reply moves the conversation out of the waiting rows at the
    // top of her queue page (the synthetic shop has 75,000 waiting), so her selection
    // would move on; a note travels the same way (commit, poll, reload of her thread).
    measure("his note → her open thread", &mut |a: &mut Store| {
        n += 1;
        let id = a
            .add_note(conversation, karim, &format!("Note {n}"), Timestamp::now())
            .expect("note");
        Change::Message(id.0)
    });
    stop.store(true, Ordering::Relaxed);
    drop(tx);
    let reload_times = reloads.join().expect("B's thread");

    println!(
        "\nteamwork on {conversations} conversations: commit by one agent → visible in another's TUI (poll {} ms)",
        POLL.as_millis()
    );
    println!("{:<36} {:>8} {:>8} {:>8}  target", "", "p50", "p99", "max");
    for (name, lags) in &mut figures {
        row(name, lags, Some(TARGET));
    }
    let mut reload_times = reload_times;
    row(
        "her reload (queue, counts, thread, …)",
        &mut reload_times,
        None,
    );
}

/// B: polls like the runner, reloads like the runner, and reports each awaited change
/// when her `App` holds it. Returns the reload times.
fn camille(
    path: &std::path::Path,
    me: comptoir::model::AgentId,
    rx: &mpsc::Receiver<(Change, Instant)>,
    seen: &mpsc::Sender<Duration>,
    ready: &mpsc::Sender<(ConversationId, StatusName)>,
    stop: &AtomicBool,
) -> Vec<Duration> {
    let mut store = Store::open(path).expect("open B");
    let keymap = load_keymap(Some("default"), None).expect("keymap");
    let mut app = App::new(
        me,
        "Camille",
        Arc::new(keymap),
        TimeZone::UTC,
        Timestamp::now(),
    );
    app.resize(160, 48);
    // Every status, so her conversation stays open in front of her whatever its status.
    app.update(Action::FilterStatus(None));
    runner::reload(&mut store, &mut app).expect("reload");
    let open = app.selected().expect("an open conversation").clone();
    ready
        .send((open.id, open.status.name()))
        .expect("A listens");
    let mut version = store.data_version().expect("data_version");
    let mut waiting: Option<(Change, Instant)> = None;
    let mut reloads = Vec::new();
    let mut next = Instant::now();
    let mut loaded = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        next += POLL;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if waiting.is_none() {
            match rx.try_recv() {
                Ok(w) => waiting = Some(w),
                Err(mpsc::TryRecvError::Disconnected) => break,
                Err(mpsc::TryRecvError::Empty) => {}
            }
        }
        app.tick(Timestamp::now());
        let v = store.data_version().expect("data_version");
        if v != version {
            version = v;
            let start = Instant::now();
            runner::reload(&mut store, &mut app).expect("reload");
            loaded = Instant::now();
            reloads.push(loaded - start);
        }
        // The reload that brought the change may have run before its message arrived:
        // the lag is from the commit to the end of that reload.
        if let Some((change, at)) = waiting
            && holds(&app, open.id, change)
        {
            seen.send(loaded.saturating_duration_since(at))
                .expect("A listens");
            waiting = None;
        }
    }
    reloads
}

fn holds(app: &App, id: ConversationId, change: Change) -> bool {
    let thread = app.thread.conversation.as_ref().filter(|c| c.id == id);
    match change {
        Change::Status(s) => thread.is_some_and(|c| c.status.name() == s),
        Change::Replying(r) => {
            let marker = app.markers(id).iter().any(|m| m.replying);
            marker == r
        }
        Change::Message(m) => app
            .thread
            .messages
            .iter()
            .any(|x| x.id.0 == m && x.kind == MessageKind::Note),
    }
}

#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a percentile's index in a list of a few dozen"
)]
fn row(name: &str, values: &mut [Duration], target: Option<Duration>) {
    values.sort_unstable();
    if values.is_empty() {
        println!("{name:<36} no samples");
        return;
    }
    let at = |q: f64| {
        let i = ((values.len() as f64 - 1.0) * q).round() as usize;
        values[i.min(values.len() - 1)]
    };
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let max = values[values.len() - 1];
    let verdict = match target {
        Some(t) if max <= t => format!("< {} ms ok", t.as_millis()),
        Some(t) => format!("< {} ms MISSED", t.as_millis()),
        None => String::new(),
    };
    println!(
        "{name:<36} {:>8} {:>8} {:>8}  {verdict}",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(max)
    );
}
