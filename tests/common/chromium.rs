//! A real headless Chromium driven over WebDriver, as shared/notes/test-servers.md
//! section 3 describes: Debian's chromedriver on a port it picks itself (`--port=0`, read
//! back from its banner, so parallel tests never clash), a Chromium with a temp profile
//! per session, and the whole process group killed on drop, so a failed test leaves no
//! browser behind.
#![allow(dead_code, reason = "each test uses a different part")]
#![allow(clippy::expect_used, reason = "a test fails loudly")]

use std::io::{BufRead, BufReader, ErrorKind};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// Debian's Chromium binary.
const CHROMIUM: &str = "/usr/bin/chromium";

/// How long chromedriver gets to print its port.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running chromedriver; each [`Chromium::session`] starts a browser under it.
pub struct Chromium {
    child: Child,
    dir: tempfile::TempDir,
    /// The port chromedriver listens on, on 127.0.0.1.
    pub port: u16,
}

impl Chromium {
    /// Starts chromedriver, or panics saying why (and how to install it when missing).
    pub fn start() -> Chromium {
        Chromium::start_with_env(&[])
    }

    /// Starts chromedriver, whose browsers run in time zone `tz` (an IANA name), as a
    /// visitor abroad would.
    pub fn start_in_timezone(tz: &str) -> Chromium {
        Chromium::start_with_env(&[("TZ", tz)])
    }

    fn start_with_env(env: &[(&str, &str)]) -> Chromium {
        for (binary, package) in [("chromedriver", "chromium-driver"), (CHROMIUM, "chromium")] {
            if let Err(e) = Command::new(binary).arg("--version").output() {
                if e.kind() == ErrorKind::NotFound {
                    panic!(
                        "{binary} is missing: install it with `apt-get install chromium chromium-driver` \
                         (scripts/test does); the {package} package provides it"
                    );
                }
                panic!("{binary} --version: {e}");
            }
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new("chromedriver")
            .arg("--port=0")
            .arg(format!(
                "--log-path={}",
                dir.path().join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .envs(env.iter().copied())
            // Its own process group: dropping kills chromedriver and every browser it
            // started in one signal.
            .process_group(0)
            .spawn()
            .expect("spawn chromedriver");
        let stdout = child.stdout.take().expect("chromedriver stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("started successfully on port ").nth(1) {
                    let port = rest.trim_end_matches('.').trim().parse::<u16>().ok();
                    let _ = tx.send(port);
                }
                // Keep reading so chromedriver never blocks on a full pipe.
            }
        });
        let port = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Some(port)) => port,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromedriver did not report its port within {START_TIMEOUT:?}: {other:?}");
            }
        };
        Chromium { child, dir, port }
    }

    /// A new browser session: headless, its own temp profile, a desktop-sized window.
    pub async fn session(&self) -> Client {
        let profile = tempfile::tempdir_in(self.dir.path()).expect("profile dir");
        let args = [
            "--headless=new".to_owned(),
            // The tests run as root in a container, where the sandbox cannot start.
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1024,768".to_owned(),
            // Dates and times are asserted as an English-speaking browser shows them.
            "--lang=en-US".to_owned(),
            format!("--user-data-dir={}", profile.keep().display()),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session on chromedriver")
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

/// Presses and releases `key` (a character or a `fantoccini::key::Key`) on whatever has
/// the focus, as a keyboard would.
pub async fn press(client: &Client, key: impl Into<char>) {
    let key = key.into();
    let actions = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    client.perform_actions(actions).await.expect("key press");
}

/// Types `text` into whatever has the focus, one key at a time.
pub async fn type_text(client: &Client, text: &str) {
    let mut actions = KeyActions::new("keyboard".to_owned());
    for c in text.chars() {
        actions = actions
            .then(KeyAction::Down { value: c })
            .then(KeyAction::Up { value: c });
    }
    client.perform_actions(actions).await.expect("typing");
}
