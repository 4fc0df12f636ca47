//! `comptoir serve` as a systemd unit runs it: the real binary against a real Dovecot
//! (see tests/common/dovecot.rs), stopped with SIGTERM.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use comptoir::store::Store;
use dovecot::{Dovecot, PASSWORD};

/// A private home, config and data dir for one `serve`.
struct Setup {
    home: tempfile::TempDir,
}

impl Setup {
    fn new(server: &Dovecot, password: &str) -> Setup {
        let home = tempfile::tempdir().unwrap();
        let config = format!(
            r#"[[email]]
name = "boutique"
address = "contact@boutique.example"
username = "{user}"
password_command = "printf {password}"
imap = {{ host = "127.0.0.1", port = {port}, tls = "implicit" }}
smtp = {{ host = "127.0.0.1", port = 1, tls = "none" }}
ca_file = "{cert}"
poll_seconds = 5
"#,
            user = dovecot::USER,
            port = server.tls_port,
            cert = server.cert().display(),
        );
        std::fs::write(home.path().join("config.toml"), config).unwrap();
        Setup { home }
    }

    fn data_dir(&self) -> PathBuf {
        self.home.path().join("store")
    }

    fn log_dir(&self) -> PathBuf {
        self.home.path().join("state").join("comptoir").join("logs")
    }

    /// `comptoir --config C --data-dir D serve` with a home of its own.
    fn serve(&self) -> Command {
        let home = self.home.path();
        let mut cmd = common::comptoir_in(home);
        cmd.arg("--config")
            .arg(home.join("config.toml"))
            .arg("--data-dir")
            .arg(self.data_dir())
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    fn start(&self) -> Child {
        self.serve().spawn().expect("start comptoir serve")
    }

    /// How many messages the store holds; 0 while it does not exist yet (or is being
    /// created by `serve`).
    fn messages(&self) -> u64 {
        let file = self.data_dir().join("store.sqlite");
        if !file.exists() {
            return 0;
        }
        Store::open(&file)
            .and_then(|mut s| s.message_count())
            .unwrap_or(0)
    }

    /// Everything logged so far, every daily file.
    fn log(&self) -> String {
        let Ok(entries) = std::fs::read_dir(self.log_dir()) else {
            return String::new();
        };
        let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap_or_default())
            .collect()
    }
}

/// Polls `condition` every 50 ms until it holds; panics with `what` after `limit`.
fn wait_until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM, then the exit status and output, within a deadline.
fn terminate(mut child: Child) -> (i32, String, String) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -TERM failed");
    let mut exited = false;
    wait_until(
        "serve to exit after SIGTERM",
        Duration::from_secs(20),
        || {
            exited = child.try_wait().unwrap().is_some();
            exited
        },
    );
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn mail(n: u32) -> Vec<u8> {
    format!(
        "From: Alice <alice{n}@example.com>\r\nTo: contact@boutique.example\r\n\
         Subject: Order {n}\r\nDate: Mon, 23 Nov 2026 10:{n:02}:00 +0000\r\n\
         Message-ID: <serve-{n}@shop.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nWhere is order {n}?\r\n"
    )
    .into_bytes()
}

fn log_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| entries.count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_syncs_on_start_and_every_poll_and_stops_cleanly_on_sigterm() {
    let server = Dovecot::start();
    server.append("INBOX", &mail(1), None).await;
    server.append("INBOX", &mail(2), None).await;
    let setup = Setup::new(&server, PASSWORD);
    let mut child = setup.start();

    wait_until(
        "the messages appended before start",
        Duration::from_secs(20),
        || setup.messages() == 2,
    );

    // A second serve on the same data dir is refused, naming the lock.
    let second = setup.serve().output().unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(second.stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(
        stderr.starts_with("comptoir: another `comptoir serve`"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&setup.data_dir().join("serve.lock").display().to_string()),
        "{stderr}"
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first serve still runs"
    );

    server.append("INBOX", &mail(3), None).await;
    wait_until(
        "the message appended after start, on the next poll",
        Duration::from_secs(20),
        || setup.messages() == 3,
    );

    let (code, stdout, stderr) = terminate(child);
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(stdout, "");
    assert_eq!(stderr, "");
    assert!(log_files(&setup.log_dir()) > 0, "no log file");
    let log = setup.log();
    assert!(log.contains("email sync done"), "{log}");
    assert!(log.contains("serve stopped"), "{log}");
    assert!(!log.contains(PASSWORD), "the log holds the password: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_logged_and_serve_keeps_running() {
    const WRONG: &str = "not-the-pw-4711";
    let server = Dovecot::start();
    let setup = Setup::new(&server, WRONG);
    let mut child = setup.start();

    wait_until(
        "the refused login in the log",
        Duration::from_secs(20),
        || setup.log().contains("refused the login"),
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "serve must keep running after a failed sync"
    );

    let (code, stdout, stderr) = terminate(child);
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(stdout, "");
    assert_eq!(stderr, "");
    let log = setup.log();
    assert!(log.contains("email login refused"), "{log}");
    assert!(!log.contains(WRONG), "the log holds the password: {log}");
    assert_eq!(setup.messages(), 0);
}

#[test]
fn invalid_config_exits_2_with_one_line_and_takes_no_lock() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[[email]]\nname = \"b\"\naddress = \"a@b.example\"\nusername = \"u\"\n\
         password_command = \"printf x\"\nimap = { host = \"h\", port = 993, tls = \"implicit\" }\n\
         smtp = { host = \"h\", port = 465, tls = \"implicit\" }\npoll_seconds = 1\n",
    )
    .unwrap();
    let setup = Setup { home };
    let output = setup.serve().output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains("email[0].poll_seconds"), "{stderr}");
    assert!(!setup.data_dir().join("serve.lock").exists());
}
