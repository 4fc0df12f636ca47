//! A real SMTP server per test: tests/support/smtpsink.py (aiosmtpd), which delivers every
//! accepted message into a Maildir (the test Dovecot's, so a test reads it back over
//! IMAP) and logs each delivery as a JSON line. Dropping it kills its process group.
#![allow(dead_code, reason = "each test uses a different part")]
#![allow(clippy::expect_used, reason = "a test fails loudly")]

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The login the sink accepts: the test Dovecot's, since an account uses one for both.
pub const USER: &str = "test";
/// Its password.
pub const PASSWORD: &str = "secret";

/// Debian's interpreter, which is the one `python3-aiosmtpd` installs into (a `python3`
/// earlier on the PATH, such as pyenv's, would not see it).
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// A running sink.
pub struct SmtpSink {
    dir: tempfile::TempDir,
    /// Plain SMTP; STARTTLS is required before AUTH, and AUTH before mail.
    pub starttls_port: u16,
    /// SMTP over implicit TLS.
    pub tls_port: u16,
    child: Option<Child>,
}

impl SmtpSink {
    /// Starts a sink delivering into `maildir`, serving TLS with `cert` and `key`; panics
    /// saying why if it cannot.
    pub fn start(maildir: &Path, cert: &Path, key: &Path) -> SmtpSink {
        let probe = Command::new(python())
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("python3 is missing: install it with `apt-get install python3`");
        assert!(
            probe.success(),
            "aiosmtpd is missing: install it with `apt-get install python3-aiosmtpd` (scripts/test does)"
        );
        let dir = tempfile::tempdir().expect("temp dir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtpsink.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(cert)
            .arg(key)
            .args([USER, PASSWORD])
            .arg(maildir)
            .arg(dir.path().join("deliveries.jsonl"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(dir.path().join("stderr.txt")).expect("stderr file"))
            .process_group(0)
            .spawn()
            .expect("spawn the SMTP sink");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut sink = SmtpSink {
            dir,
            starttls_port: 0,
            tls_port: 0,
            child: Some(child),
        };
        // Each line, or the end of output (the script died), comes within the deadline.
        let ready = rx.recv_timeout(Duration::from_secs(20));
        let ports: Option<(u16, u16)> = ready.as_deref().ok().and_then(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("ready")).then_some(())?;
            Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?))
        });
        match ports {
            Some((starttls, tls)) => {
                sink.starttls_port = starttls;
                sink.tls_port = tls;
                sink
            }
            None => {
                sink.stop();
                panic!(
                    "the SMTP sink did not start ({ready:?}): {}",
                    std::fs::read_to_string(sink.dir.path().join("stderr.txt")).unwrap_or_default()
                );
            }
        }
    }

    /// Every delivery so far, one JSON object each: `port`, `from`, `to` (a list),
    /// `auth` (the login used) and `file` (its name in the Maildir's `new/`).
    pub fn deliveries(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.dir.path().join("deliveries.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    /// The sink's own log (its stderr), for a failing test's message.
    pub fn stderr(&self) -> PathBuf {
        self.dir.path().join("stderr.txt")
    }

    /// Kills the sink (its whole process group) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}
