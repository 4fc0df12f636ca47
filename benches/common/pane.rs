//! A program in a private tmux server (its own socket, no user config), for timing what
//! a terminal program shows. Each start gets a socket of its own, so a new session never
//! races the previous server's shutdown; dropping it kills the server and the program.
//!
//! Include it with `#[path = "common/pane.rs"] mod pane;`.

#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A private tmux server that runs one program at a time in a pane of a fixed size.
pub struct Pane {
    dir: PathBuf,
    socket: RefCell<PathBuf>,
    starts: Cell<u32>,
    columns: u16,
    rows: u16,
}

/// Exits 1 saying how to install tmux when it is missing; call it before starting
/// anything that an exit would leak.
pub fn require_tmux() {
    let probe = Command::new("tmux").arg("-V").output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("tmux is missing: apt-get install tmux");
        std::process::exit(1);
    }
}

impl Pane {
    /// A server whose sockets live in `dir`, with panes of `columns` x `rows`.
    pub fn new(dir: &Path, columns: u16, rows: u16) -> Pane {
        Pane {
            dir: dir.to_path_buf(),
            socket: RefCell::new(dir.join("tmux-0.sock")),
            starts: Cell::new(0),
            columns,
            rows,
        }
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&*self.socket.borrow())
            // -u: UTF-8 whatever the locale, so accented text is captured as is.
            .args(["-u", "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts `program` (a shell command line) with `env` set; returns the instant just
    /// before the spawn.
    pub fn start(&self, program: &str, env: &[(&str, &Path)]) -> Instant {
        let n = self.starts.get() + 1;
        self.starts.set(n);
        *self.socket.borrow_mut() = self.dir.join(format!("tmux-{n}.sock"));
        let (columns, rows) = (self.columns.to_string(), self.rows.to_string());
        let vars: Vec<String> = env
            .iter()
            .map(|(k, v)| format!("{k}={}", v.display()))
            .collect();
        let mut args = vec![
            "new-session",
            "-d",
            "-s",
            "b",
            "-x",
            &columns,
            "-y",
            &rows,
            "-e",
            "TERM=tmux-256color",
        ];
        for v in &vars {
            args.extend_from_slice(&["-e", v]);
        }
        args.push(program);
        let t = Instant::now();
        self.run(&args);
        t
    }

    /// The pane's text now.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "b"])
    }

    /// Polls the screen every `every` until `cond` holds: the instant it was seen, or
    /// `None` at the deadline.
    pub fn wait(
        &self,
        deadline: Duration,
        every: Duration,
        mut cond: impl FnMut(&str) -> bool,
    ) -> Option<Instant> {
        let end = Instant::now() + deadline;
        while Instant::now() < end {
            if cond(&self.screen()) {
                return Some(Instant::now());
            }
            std::thread::sleep(every);
        }
        None
    }

    /// Types `keys` into the pane, in tmux's key names (`Home`, `C-r`, or plain text).
    #[allow(
        dead_code,
        reason = "not every bench that includes this file presses keys"
    )]
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "b"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Ends the server and with it the program.
    pub fn kill(&self) {
        self.run(&["kill-server"]);
    }
}

impl Drop for Pane {
    /// A failed measurement must not leave a program running in a detached server.
    fn drop(&mut self) {
        self.kill();
    }
}
