//! A canned reply end to end: the real binary in a private tmux server on a config with
//! a `[shop]` name, whose replies folder the inbox fills with the shipped examples. The
//! agent opens a reply, picks one with `<C-r>` and a few letters, sends it, and the
//! reply, its variables filled, lands in the store's outbox.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use comptoir::channels::{Contact, Inbound};
use comptoir::model::{Channel, MessageKind};
use comptoir::store::Store;

/// A tmux server of our own (its own socket, no user config), killed on drop.
struct Tmux {
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    fn start(program: &str, home: &Path) -> Tmux {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("tmux.sock");
        let probe = Command::new("tmux").arg("-V").output();
        assert!(
            probe.is_ok_and(|o| o.status.success()),
            "tmux is missing: install it with `apt-get install tmux` (scripts/test does)"
        );
        let t = Tmux { socket, _dir: dir };
        let env = |k: &str, v: &Path| format!("{k}={}", v.display());
        let out = t.run(&[
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            "120",
            "-y",
            "40",
            "-e",
            "TERM=tmux-256color",
            "-e",
            &env("HOME", home),
            "-e",
            &env("XDG_CONFIG_HOME", &home.join("config")),
            "-e",
            &env("XDG_DATA_HOME", &home.join("data")),
            "-e",
            &env("XDG_STATE_HOME", &home.join("state")),
            program,
        ]);
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.run(&["set-option", "-g", "remain-on-exit", "on"]);
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-u", "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success());
    }

    fn type_text(&self, text: &str) {
        assert!(
            self.run(&["send-keys", "-t", "t", "-l", text])
                .status
                .success()
        );
    }

    /// Waits until the screen satisfies `cond`; on timeout, fails with the screen.
    fn wait(&self, what: &str, seconds: u64, cond: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        loop {
            let screen = self.screen();
            if cond(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[test]
fn a_canned_reply_is_picked_with_ctrl_r_sent_and_stored() {
    let home = tempfile::tempdir().expect("tempdir");
    let data = home.path().join("shop");
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[agent]\nname = \"Camille\"\ntimezone = \"Europe/Paris\"\n\n[shop]\nname = \"La Petite Épicerie\"\n",
    )
    .expect("config");
    let mut store = Store::open(&data.join("store.sqlite")).expect("store");
    let inbound = Inbound {
        channel: Channel::Chat,
        account: "site".into(),
        thread_key: "visitor-ada".into(),
        external_id: "m1".into(),
        references: Vec::new(),
        reply_to: None,
        from: Contact {
            handle: "visitor-ada".into(),
            display_name: Some("Ada Lovelace".into()),
            ..Contact::default()
        },
        subject: None,
        text: "Bonjour, une question".into(),
        attachments: Vec::new(),
        sent_at: jiff::Timestamp::now(),
        automated: false,
        raw: None,
    };
    let conversation = match comptoir::ingest::ingest(&mut store, &inbound, jiff::Timestamp::now())
        .expect("ingest")
    {
        comptoir::ingest::Outcome::New { conversation, .. } => conversation,
        other => panic!("not stored: {other:?}"),
    };
    let program = format!(
        "{} --config {} --data-dir {}",
        env!("CARGO_BIN_EXE_comptoir"),
        config.display(),
        data.display()
    );
    let tmux = Tmux::start(&program, home.path());
    tmux.wait("the inbox", 20, |s| s.contains("Ada Lovelace"));
    assert!(
        home.path().join("replies/greeting.md").is_file(),
        "the examples were written beside the config"
    );

    tmux.keys(&["r"]);
    tmux.wait("the composer", 5, |s| s.contains("Reply to"));
    tmux.keys(&["C-r"]);
    tmux.wait("the picker", 5, |s| s.contains("Canned replies"));
    tmux.type_text("greet");
    let screen = tmux.wait("the preview, variables filled", 5, |s| {
        s.contains("Thank you for writing to La Petite") && s.contains("Hello Ada,")
    });
    assert!(screen.contains("as sent on chat"), "{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait("the reply in the draft", 5, |s| {
        !s.contains("Canned replies") && s.contains("Inserted “Greeting”")
    });
    tmux.keys(&["C-s"]);
    tmux.wait("the reply queued", 5, |s| s.contains("Reply queued"));

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let thread = store.thread(conversation).expect("thread");
        if let Some(reply) = thread.iter().find(|m| m.kind == MessageKind::Outbound) {
            assert_eq!(
                reply.body,
                "Hello Ada,\n\nThank you for writing to La Petite Épicerie. I'm Camille and I'll help you with this."
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reply never reached the store; screen:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.keys(&["q"]);
}
