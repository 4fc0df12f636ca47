//! Shared test fixtures: inbound message builders and a test channel that can succeed,
//! fail, time out or hang on command. Not shipped: it lives under `tests/`.
#![allow(dead_code, reason = "each test crate uses a different part")]
#![allow(clippy::expect_used, reason = "a test fails loudly")]

pub mod http;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use comptoir::channels::{Channel, Contact, Delivered, Inbound, Outbound, SendError};
use comptoir::model;
use futures::future::BoxFuture;
use jiff::Timestamp;

/// An inbound chat message from `visitor` with id `id`.
pub fn chat(id: &str, visitor: &str, text: &str) -> Inbound {
    Inbound {
        channel: model::Channel::Chat,
        account: "site".into(),
        thread_key: visitor.into(),
        external_id: id.into(),
        references: Vec::new(),
        reply_to: None,
        from: Contact {
            handle: visitor.into(),
            display_name: None,
            email: None,
            phone: None,
        },
        subject: None,
        text: text.into(),
        attachments: Vec::new(),
        sent_at: at(0),
        automated: false,
        raw: None,
    }
}

/// An inbound email from `from`.
pub fn email(id: &str, from: &str, thread: &str, text: &str) -> Inbound {
    Inbound {
        channel: model::Channel::Email,
        account: "boutique".into(),
        thread_key: thread.into(),
        external_id: id.into(),
        references: Vec::new(),
        reply_to: None,
        from: Contact {
            handle: from.into(),
            display_name: None,
            email: None,
            phone: None,
        },
        subject: Some("Commande".into()),
        text: text.into(),
        attachments: Vec::new(),
        sent_at: at(0),
        automated: false,
        raw: None,
    }
}

/// A fixed instant plus `secs` seconds, so tests don't depend on the clock.
pub fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_790_000_000 + secs).expect("in range")
}

/// A fresh store in a temporary directory, which lives as long as the returned guard.
pub fn open_store() -> (tempfile::TempDir, comptoir::store::Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = comptoir::store::Store::open(&dir.path().join("store.sqlite")).expect("open");
    (dir, store)
}

/// Waits for `cond` with a deadline, polling; panics with `what` if it never holds.
pub fn wait_for(what: &str, deadline: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How the test channel answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Confirms every reply.
    Succeed,
    /// Fails this many attempts transiently, then confirms.
    FailFirst(u32),
    /// Always fails transiently.
    AlwaysTransient,
    /// Always fails permanently.
    Permanent,
    /// Never answers.
    Hang,
}

/// A channel for outbox tests. Like a real API with idempotency keys, it delivers a key
/// once: a repeat gets the first delivery's id back. It logs every attempt, and, given a
/// journal path, appends each attempt to that file so another process can check it.
pub struct TestChannel {
    pub mode: Mutex<Mode>,
    pub attempts: AtomicU32,
    /// key → (channel message id, reply text) of the first delivery.
    pub delivered: Mutex<HashMap<String, (String, String)>>,
    /// Every attempt: (key, message id, attempt number).
    pub log: Mutex<Vec<(String, i64, u32)>>,
    journal: Option<PathBuf>,
}

impl TestChannel {
    pub fn new(mode: Mode) -> Arc<Self> {
        Arc::new(Self::with_journal(mode, None))
    }

    pub fn with_journal(mode: Mode, journal: Option<&Path>) -> Self {
        let delivered = journal
            .map(|p| {
                read_journal(p)
                    .into_iter()
                    .filter(|l| l.delivered)
                    .map(|l| (l.key, (l.channel_id, l.text)))
                    .collect()
            })
            .unwrap_or_default();
        TestChannel {
            mode: Mutex::new(mode),
            attempts: AtomicU32::new(0),
            delivered: Mutex::new(delivered),
            log: Mutex::new(Vec::new()),
            journal: journal.map(Path::to_path_buf),
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().expect("lock") = mode;
    }

    pub fn deliveries(&self) -> usize {
        self.delivered.lock().expect("lock").len()
    }
}

/// One line of a test channel's journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalLine {
    pub key: String,
    pub message_id: i64,
    pub channel_id: String,
    /// The key was new: this attempt delivered.
    pub delivered: bool,
    pub text: String,
}

/// Reads a journal, ignoring a torn last line (the writer may be killed mid-write).
pub fn read_journal(path: &Path) -> Vec<JournalLine> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 6 || f[5] != "end" {
                return None;
            }
            Some(JournalLine {
                key: f[0].to_owned(),
                message_id: f[1].parse().ok()?,
                channel_id: f[2].to_owned(),
                delivered: f[3] == "new",
                text: f[4].to_owned(),
            })
        })
        .collect()
}

impl Channel for TestChannel {
    fn kind(&self) -> model::Channel {
        model::Channel::Chat
    }

    fn account(&self) -> &str {
        "site"
    }

    fn send<'a>(&'a self, reply: &'a Outbound) -> BoxFuture<'a, Result<Delivered, SendError>> {
        Box::pin(async move {
            let n = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
            self.log.lock().expect("lock").push((
                reply.idempotency_key.clone(),
                reply.message_id.0,
                reply.attempt,
            ));
            let mode = *self.mode.lock().expect("lock");
            match mode {
                Mode::Hang => std::future::pending().await,
                Mode::Permanent => {
                    return Err(SendError::Permanent("recipient blocked the page".into()));
                }
                Mode::AlwaysTransient => {
                    return Err(SendError::Transient {
                        reason: format!("503 on attempt {n}"),
                        retry_after: None,
                    });
                }
                Mode::FailFirst(k) if n <= k => {
                    return Err(SendError::Transient {
                        reason: format!("503 on attempt {n}"),
                        retry_after: None,
                    });
                }
                _ => {}
            }
            let (channel_id, new) = {
                let mut delivered = self.delivered.lock().expect("lock");
                match delivered.get(&reply.idempotency_key) {
                    Some((id, _)) => (id.clone(), false),
                    None => {
                        let id = format!("cm-{}", reply.message_id.0);
                        delivered.insert(
                            reply.idempotency_key.clone(),
                            (id.clone(), reply.text.clone()),
                        );
                        (id, true)
                    }
                }
            };
            if let Some(path) = &self.journal {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .expect("journal");
                let line = format!(
                    "{}\t{}\t{}\t{}\t{}\tend\n",
                    reply.idempotency_key,
                    reply.message_id.0,
                    channel_id,
                    if new { "new" } else { "repeat" },
                    reply.text
                );
                f.write_all(line.as_bytes()).expect("journal write");
            }
            Ok(Delivered {
                channel_message_id: channel_id,
            })
        })
    }
}

/// A reply's delivery state.
pub async fn delivery(
    store: &comptoir::store::SharedStore,
    id: comptoir::model::MessageId,
) -> comptoir::model::Delivery {
    store
        .call(move |s| s.message(id))
        .await
        .expect("read")
        .and_then(|m| m.delivery)
        .expect("an outbound reply has a delivery state")
}

/// Runs outbox passes until `done` holds for the reply, with a deadline.
pub async fn drive_until(
    outbox: &comptoir::outbox::Outbox,
    store: &comptoir::store::SharedStore,
    id: comptoir::model::MessageId,
    done: impl Fn(&comptoir::model::Delivery) -> bool,
) -> comptoir::model::Delivery {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        outbox.deliver_due().await.expect("pass");
        let d = delivery(store, id).await;
        if done(&d) {
            return d;
        }
        assert!(tokio::time::Instant::now() < deadline, "stuck at {d:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The `comptoir` binary with a home of its own (HOME and the XDG dirs under `home`), so
/// no test reads or writes the developer's real config, store or logs.
pub fn comptoir_in(home: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_comptoir"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .stdin(std::process::Stdio::null());
    cmd
}
