//! A private tmux server for end-to-end TUI tests: its own socket and no user config,
//! one session per program (agent), HOME and the XDG dirs under the test's home, read
//! with capture-pane and driven with send-keys. Killed on drop.
#![allow(dead_code, reason = "each test crate uses a different part")]
#![allow(clippy::expect_used, reason = "a test fails loudly")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The session [`Tmux::start`] opens, which the one-session helpers address.
const MAIN: &str = "t";

/// A tmux server of our own.
pub struct Tmux {
    socket: PathBuf,
    home: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    /// A server with no session yet; sessions get `home` as HOME.
    pub fn new(home: &Path) -> Tmux {
        let probe = Command::new("tmux").arg("-V").output();
        assert!(
            probe.is_ok_and(|o| o.status.success()),
            "tmux is missing: install it with `apt-get install tmux` (scripts/test does)"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        Tmux {
            socket: dir.path().join("tmux.sock"),
            home: home.to_path_buf(),
            _dir: dir,
        }
    }

    /// A server running `program` in one session of `columns` x `rows`, whose pane stays
    /// after the program exits so its exit status can be read.
    pub fn start(program: &str, home: &Path, columns: u16, rows: u16) -> Tmux {
        let t = Tmux::new(home);
        t.session(MAIN, program, columns, rows);
        t.run(&["set-option", "-g", "remain-on-exit", "on"]);
        t
    }

    /// Runs `program` in a new session named `name`.
    pub fn session(&self, name: &str, program: &str, columns: u16, rows: u16) {
        let env = |k: &str, v: &Path| format!("{k}={}", v.display());
        let out = self.run(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            &columns.to_string(),
            "-y",
            &rows.to_string(),
            "-e",
            "TERM=tmux-256color",
            "-e",
            &env("HOME", &self.home),
            "-e",
            &env("XDG_CONFIG_HOME", &self.home.join("config")),
            "-e",
            &env("XDG_DATA_HOME", &self.home.join("data")),
            "-e",
            &env("XDG_STATE_HOME", &self.home.join("state")),
            program,
        ]);
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// One tmux command on this server.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            // -u: UTF-8 whatever the locale, so wide and accented text is captured as is.
            .args(["-u", "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// What session `name` shows.
    pub fn screen_of(&self, name: &str) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", name]).stdout).into_owned()
    }

    /// Sends keys (tmux key names) to session `name`.
    pub fn keys_to(&self, name: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", name];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }

    /// Types `text` literally into session `name`.
    pub fn type_into(&self, name: &str, text: &str) {
        assert!(
            self.run(&["send-keys", "-t", name, "-l", text])
                .status
                .success()
        );
    }

    /// Waits until session `name`'s screen satisfies `cond`; on timeout, fails with it.
    pub fn wait_on(
        &self,
        name: &str,
        what: &str,
        limit: Duration,
        cond: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.screen_of(name);
            if cond(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen of {name}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The screen of the [`Tmux::start`] session.
    pub fn screen(&self) -> String {
        self.screen_of(MAIN)
    }

    /// Sends keys to the [`Tmux::start`] session.
    pub fn keys(&self, keys: &[&str]) {
        self.keys_to(MAIN, keys);
    }

    /// Types into the [`Tmux::start`] session.
    pub fn type_text(&self, text: &str) {
        self.type_into(MAIN, text);
    }

    /// Waits on the [`Tmux::start`] session's screen for up to `seconds`.
    pub fn wait(&self, what: &str, seconds: u64, cond: impl Fn(&str) -> bool) -> String {
        self.wait_on(MAIN, what, Duration::from_secs(seconds), cond)
    }

    /// The exit status of the [`Tmux::start`] session's program once it has ended.
    pub fn pane_dead(&self) -> Option<i32> {
        let out = self.run(&[
            "display",
            "-p",
            "-t",
            MAIN,
            "#{pane_dead} #{pane_dead_status}",
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        let mut parts = text.split_whitespace();
        // tmux leaves the status empty for a clean exit.
        match (parts.next(), parts.next()) {
            (Some("1"), Some(code)) => code.parse().ok(),
            (Some("1"), None) => Some(0),
            _ => None,
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
