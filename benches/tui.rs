//! TUI benchmarks on the big synthetic store (100,000 conversations, ~1,000,000 messages):
//! cold start to first frame, a full redraw at 200x60, key to frame, resident memory,
//! and how long a message written by another process takes to show.
//!
//! `cargo bench --bench tui` (after, or instead of, `cargo bench --bench store`: both
//! share the cached store). The real binary runs in a private tmux server for the
//! cold-start, memory and other-process figures; redraw and key-to-frame are measured
//! in-process with ratatui's TestBackend, so they hold comptoir's own work only.

#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

#[path = "common/data.rs"]
mod data;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use comptoir::channels::{Contact, Inbound};
use comptoir::model::Channel;
use comptoir::store::Store;
use comptoir::tui::app::App;
use comptoir::tui::key::Key;
use comptoir::tui::{load_keymap, runner, view};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn main() {
    let conversations = data::conversations_from_env();
    let dir = data::store_dir(conversations);
    let path = dir.join("store.sqlite");
    println!("comptoir TUI benchmark on {}", path.display());
    data::build_or_reuse(&dir, &path, conversations);

    let mut rows = Vec::new();
    rows.push(in_process_start(&path));
    rows.push(redraw(&path, 200, 60));
    rows.push(key_to_frame(&path));

    let work = tempfile::tempdir().expect("tempdir");
    // A copy, so the other-process writes don't change the cached store.
    let copy = work.path().join("data");
    std::fs::create_dir_all(&copy).expect("dir");
    checkpoint(&path);
    std::fs::copy(&path, copy.join("store.sqlite")).expect("copy the store");
    let config = work.path().join("config.toml");
    std::fs::write(&config, "[agent]\nname = \"Bench\"\ntimezone = \"UTC\"\n").expect("config");
    let tmux = Tmux::new(work.path());
    let (start, baseline, rss_first, rss_after, visible) = real_binary(&tmux, &config, &copy);
    rows.push(start);
    rows.push(baseline);
    rows.push(visible);

    println!();
    println!(
        "{:<52} {:>5} {:>10} {:>10} {:>10}  target",
        "operation", "n", "p50", "p99", "max"
    );
    println!("{}", "-".repeat(100));
    for r in &rows {
        r.print();
    }
    println!();
    let rss_ok = rss_after < 60.0;
    println!("resident memory after the first frame: {rss_first:.1} MB");
    println!(
        "resident memory after walking 500 conversations: {rss_after:.1} MB (target < 60 MB) {}",
        if rss_ok { "OK" } else { "MISSED" }
    );
}

struct Row {
    name: &'static str,
    samples: Vec<Duration>,
    target: Option<Duration>,
}

impl Row {
    fn quantile(&self, q: f64) -> Duration {
        let mut s = self.samples.clone();
        s.sort();
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index"
        )]
        let i = ((s.len() as f64 - 1.0) * q).round() as usize;
        s.get(i).copied().unwrap_or_default()
    }

    fn print(&self) {
        let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1000.0);
        let target = match self.target {
            Some(t) => format!(
                "p99 < {} {}",
                ms(t),
                if self.quantile(0.99) < t {
                    "OK"
                } else {
                    "MISSED"
                }
            ),
            None => "-".to_owned(),
        };
        println!(
            "{:<52} {:>5} {:>10} {:>10} {:>10}  {target}",
            self.name,
            self.samples.len(),
            ms(self.quantile(0.5)),
            ms(self.quantile(0.99)),
            ms(self.quantile(1.0))
        );
    }
}

fn app_on(store: &mut Store, width: u16, height: u16) -> App {
    let me = store.ensure_agent("Bench").expect("agent");
    let keymap = load_keymap(None, None).expect("keymap");
    let mut app = App::new(
        me,
        "Bench",
        Arc::new(keymap),
        jiff::tz::TimeZone::UTC,
        Timestamp::now(),
    );
    app.resize(width, height);
    runner::reload(store, &mut app).expect("reload");
    app
}

/// Open the store, load the keymap, load the first screen, draw it: comptoir's own part
/// of a cold start (the process and terminal set-up are in the tmux figure).
fn in_process_start(path: &Path) -> Row {
    let mut samples = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let mut store = Store::open(path).expect("open");
        let app = app_on(&mut store, 200, 60);
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
        terminal.draw(|f| view::draw(&app, f)).expect("draw");
        samples.push(t.elapsed());
    }
    Row {
        name: "start in-process: open + load + first frame",
        samples,
        target: Some(Duration::from_millis(150)),
    }
}

fn redraw(path: &Path, w: u16, h: u16) -> Row {
    let mut store = Store::open(path).expect("open");
    let mut app = app_on(&mut store, w, h);
    // A thread with some length, in the three-pane layout.
    app.key(Key::char('j'));
    runner::reload(&mut store, &mut app).expect("reload");
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    let mut samples = Vec::new();
    for i in 0..600 {
        // Alternate two states so every draw repaints the queue selection.
        app.queue.selected = i % 2;
        let t = Instant::now();
        terminal.draw(|f| view::draw(&app, f)).expect("draw");
        if i >= 100 {
            samples.push(t.elapsed());
        }
    }
    Row {
        name: "full redraw at 200x60 (TestBackend)",
        samples,
        target: Some(Duration::from_millis(2)),
    }
}

/// A key press through the keymap, `update`, the store reload it asks for, and a draw.
fn key_to_frame(path: &Path) -> Row {
    let mut store = Store::open(path).expect("open");
    let mut app = app_on(&mut store, 200, 60);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    let mut samples = Vec::new();
    for i in 0..500 {
        let key = if (i / 50) % 2 == 0 { 'j' } else { 'k' };
        let t = Instant::now();
        for effect in app.key(Key::char(key)) {
            if effect == comptoir::tui::app::Effect::Reload {
                runner::reload(&mut store, &mut app).expect("reload");
            }
        }
        terminal.draw(|f| view::draw(&app, f)).expect("draw");
        samples.push(t.elapsed());
    }
    Row {
        name: "key to frame: j/k, reload, draw (200x60)",
        samples,
        target: None,
    }
}

/// Folds the WAL into the main file, so a plain file copy is the whole store.
fn checkpoint(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("open for checkpoint");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
}

/// A private tmux server; each start gets a socket of its own, so a new session never
/// races the previous server's shutdown.
struct Tmux {
    dir: PathBuf,
    socket: std::cell::RefCell<PathBuf>,
    starts: std::cell::Cell<u32>,
}

impl Tmux {
    fn new(dir: &Path) -> Tmux {
        Tmux {
            dir: dir.to_path_buf(),
            socket: std::cell::RefCell::new(dir.join("tmux-0.sock")),
            starts: std::cell::Cell::new(0),
        }
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&*self.socket.borrow())
            // -u: UTF-8 whatever the locale, so wide and accented text is captured as is.
            .args(["-u", "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux (apt-get install tmux)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn start(&self, program: &str) -> Instant {
        let n = self.starts.get() + 1;
        self.starts.set(n);
        *self.socket.borrow_mut() = self.dir.join(format!("tmux-{n}.sock"));
        let t = Instant::now();
        self.run(&[
            "new-session",
            "-d",
            "-s",
            "b",
            "-x",
            "200",
            "-y",
            "60",
            "-e",
            "TERM=tmux-256color",
            program,
        ]);
        t
    }

    fn wait(&self, deadline: Duration, cond: impl Fn(&str) -> bool) -> Option<Instant> {
        let end = Instant::now() + deadline;
        while Instant::now() < end {
            if cond(&self.run(&["capture-pane", "-p", "-t", "b"])) {
                return Some(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        None
    }

    fn kill(&self) {
        self.run(&["kill-server"]);
    }

    fn rss_mb(&self) -> f64 {
        let pid = self.run(&["display", "-p", "-t", "b", "#{pane_pid}"]);
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", pid.trim())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}

impl Drop for Tmux {
    /// A failed measurement must not leave comptoir running in a detached server.
    fn drop(&mut self) {
        self.kill();
    }
}

fn real_binary(tmux: &Tmux, config: &Path, data: &Path) -> (Row, Row, f64, f64, Row) {
    let bin = env!("CARGO_BIN_EXE_comptoir");
    let program = format!(
        "{bin} --config {} --data-dir {}",
        config.display(),
        data.display()
    );
    let mut start = Vec::new();
    let mut baseline = Vec::new();
    for _ in 0..10 {
        let t = tmux.start("sh -c 'echo tmux-ready; sleep 30'");
        let seen = tmux
            .wait(Duration::from_secs(10), |s| s.contains("tmux-ready"))
            .expect("tmux baseline");
        baseline.push(seen - t);
        tmux.kill();
        let t = tmux.start(&program);
        let seen = tmux
            .wait(Duration::from_secs(30), |s| {
                s.contains("Queue ·") && s.contains("unanswered")
            })
            .expect("comptoir's first frame");
        start.push(seen - t);
        tmux.kill();
    }

    tmux.start(&program);
    tmux.wait(Duration::from_secs(30), |s| s.contains("Queue ·"))
        .expect("first frame");
    let rss_first = tmux.rss_mb();
    for _ in 0..500 {
        tmux.run(&["send-keys", "-t", "b", "j"]);
    }
    tmux.wait(Duration::from_secs(30), |s| s.contains("Queue ·"))
        .expect("still drawing");
    std::thread::sleep(Duration::from_millis(500));
    let rss_after = tmux.rss_mb();
    // Back to the top, where a long-waiting newcomer appears.
    tmux.run(&["send-keys", "-t", "b", "g", "g"]);

    // Another process writes; how long until the TUI shows it.
    let mut store = Store::open(&data.join("store.sqlite")).expect("open the copy");
    let mut visible = Vec::new();
    for i in 0..30 {
        let name = format!("Zz Visitor {i:03}");
        let inbound = Inbound {
            channel: Channel::Chat,
            account: "site".into(),
            thread_key: format!("bench-visitor-{i}"),
            external_id: format!("bench-{i}-{}", Timestamp::now().as_millisecond()),
            references: Vec::new(),
            reply_to: None,
            from: Contact {
                handle: format!("bench-visitor-{i}"),
                display_name: Some(name.clone()),
                ..Contact::default()
            },
            subject: None,
            text: "Is my order on its way?".into(),
            attachments: Vec::new(),
            // Waiting for a long time puts it first in the queue, so it is on screen.
            sent_at: Timestamp::from_second(1_000_000_000).expect("valid"),
            automated: false,
            raw: None,
        };
        comptoir::ingest::ingest(&mut store, &inbound, Timestamp::now()).expect("ingest");
        // From the commit: what the other process sees.
        let t = Instant::now();
        let seen = tmux
            .wait(Duration::from_secs(10), |s| s.contains(&name))
            .expect("the other process's message on screen");
        visible.push(seen - t);
    }
    tmux.kill();
    (
        Row {
            name: "cold start to first frame (real binary in tmux)",
            samples: start,
            target: Some(Duration::from_millis(150)),
        },
        Row {
            name: "  of which tmux itself (a shell's first output)",
            samples: baseline,
            target: None,
        },
        rss_first,
        rss_after,
        Row {
            name: "another process's commit to on screen",
            samples: visible,
            target: Some(Duration::from_millis(250)),
        },
    )
}
