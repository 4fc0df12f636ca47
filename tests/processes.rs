//! Real processes on one store: a child killed with SIGKILL at random points while it
//! ingests and delivers, then checked; and two processes writing at once.
//!
//! The children are this test binary run again on its ignored `child` test, told what
//! to do through the environment.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Mode, TestChannel, chat, read_journal};
use comptoir::ingest::{self, Outcome};
use comptoir::outbox::{Outbox, RetryPolicy};
use comptoir::store::{SharedStore, Store};
use jiff::Timestamp;

const MESSAGES: usize = 10_000;
const BATCH: usize = 50;
const REPLIES: usize = 1_000;
const REPLIES_PER_BATCH: usize = REPLIES / (MESSAGES / BATCH);

fn spawn_child(mode: &str, dir: &Path, tag: &str) -> Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "child",
            "--ignored",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("COMPTOIR_CHILD", mode)
        .env("COMPTOIR_CHILD_DIR", dir)
        .env("COMPTOIR_CHILD_TAG", tag)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child")
}

/// The child: does what `COMPTOIR_CHILD` says, on the store in `COMPTOIR_CHILD_DIR`.
#[test]
#[ignore = "run as a child process by the tests of this file"]
fn child() {
    let mode = std::env::var("COMPTOIR_CHILD").expect("only run as a child");
    let dir = PathBuf::from(std::env::var("COMPTOIR_CHILD_DIR").expect("dir"));
    let tag = std::env::var("COMPTOIR_CHILD_TAG").unwrap_or_default();
    match mode.as_str() {
        "crash" => crash_child(&dir),
        "writer" => writer_child(&dir, &tag),
        other => panic!("unknown child mode {other}"),
    }
}

fn message(i: usize) -> comptoir::channels::Inbound {
    chat(
        &format!("m{i}"),
        &format!("v{}", i % 500),
        &format!("message {i}: où est ma commande {}", i * 7),
    )
}

/// Ingests every message in batches, journaling each batch once `ingest` returned, and
/// queues replies as it goes, while an outbox delivers them through a journaled channel.
fn crash_child(dir: &Path) {
    let store_path = dir.join("store.sqlite");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let outbox_store = SharedStore::new(Store::open(&store_path).expect("open"));
    let channel = Arc::new(TestChannel::with_journal(
        Mode::Succeed,
        Some(&dir.join("channel.log")),
    ));
    let mut outbox = Outbox::new(outbox_store, RetryPolicy::default());
    outbox.add_channel(channel);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let runner = runtime.spawn(async move { outbox.run(stopped).await });

    let mut store = Store::open(&store_path).expect("open");
    let agent = store.ensure_agent("Camille").expect("agent");
    let raw = rusqlite::Connection::open(&store_path).expect("raw");
    let mut journal = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("ingested.log"))
        .expect("journal");
    let all: Vec<_> = (0..MESSAGES).map(message).collect();
    for (k, batch) in all.chunks(BATCH).enumerate() {
        let outcomes = ingest::ingest_batch(&mut store, batch, Timestamp::now()).expect("ingest");
        assert!(
            outcomes
                .iter()
                .all(|o| !matches!(o, Outcome::DeadLettered { .. }))
        );
        let ids: Vec<_> = batch.iter().map(|m| m.external_id.as_str()).collect();
        journal
            .write_all(format!("{}\tend\n", ids.join(",")).as_bytes())
            .expect("journal write");
        for j in 0..REPLIES_PER_BATCH {
            let n = k * REPLIES_PER_BATCH + j;
            let text = format!("reply {n}");
            let exists: i64 = raw
                .query_row(
                    "SELECT count(*) FROM messages WHERE kind = 'outbound' AND body = ?1",
                    [&text],
                    |r| r.get(0),
                )
                .expect("query");
            if exists == 0 {
                let conv: i64 = raw
                    .query_row(
                        "SELECT conversation_id FROM messages WHERE external_id = ?1",
                        [format!("m{}", n * 10)],
                        |r| r.get(0),
                    )
                    .expect("target conversation");
                store
                    .queue_reply(
                        comptoir::model::ConversationId(conv),
                        agent,
                        &text,
                        Timestamp::now(),
                    )
                    .expect("reply");
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let unsent: i64 = raw
            .query_row(
                "SELECT count(*) FROM outbox WHERE status != 'sent'",
                [],
                |r| r.get(0),
            )
            .expect("query");
        if unsent == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{unsent} replies never sent");
        std::thread::sleep(Duration::from_millis(20));
    }
    stop.send(true).expect("stop");
    runtime.block_on(runner).expect("join").expect("outbox");
}

fn journaled_ids(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("ingested.log")).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.strip_suffix("\tend"))
        .flat_map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

/// What must hold after any crash: every journaled message stored exactly once, no
/// message twice, every reply sent or still queued, and the channel never delivered one
/// reply under two keys nor one key twice.
fn check_invariants(dir: &Path) -> (usize, usize) {
    let store_path = dir.join("store.sqlite");
    // Opening must work after any crash (WAL recovery, no half-applied migration).
    drop(Store::open(&store_path).expect("reopen after crash"));
    let raw = rusqlite::Connection::open(&store_path).expect("raw");
    let journaled = journaled_ids(dir);
    let mut stmt = raw
        .prepare("SELECT count(*) FROM messages WHERE channel = 'chat' AND account = 'site' AND external_id = ?1")
        .expect("prepare");
    for id in &journaled {
        let n: i64 = stmt.query_row([id], |r| r.get(0)).expect("query");
        assert_eq!(
            n, 1,
            "message {id} returned from ingest but is stored {n} times"
        );
    }
    let dupes: i64 = raw
        .query_row(
            "SELECT count(*) FROM (SELECT external_id FROM messages WHERE kind = 'inbound'
              GROUP BY external_id HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(dupes, 0);
    let bad_states: i64 = raw
        .query_row(
            "SELECT count(*) FROM outbox WHERE status NOT IN ('queued', 'sending', 'sent')",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(bad_states, 0, "a reply failed or vanished");
    let replies: i64 = raw
        .query_row(
            "SELECT count(DISTINCT body) FROM messages WHERE kind = 'outbound'",
            [],
            |r| r.get(0),
        )
        .expect("query");
    let reply_rows: i64 = raw
        .query_row(
            "SELECT count(*) FROM messages WHERE kind = 'outbound'",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(replies, reply_rows, "a reply was queued twice");

    let journal = read_journal(&dir.join("channel.log"));
    let mut first_key_of_text = std::collections::HashMap::new();
    let mut delivered_keys = std::collections::HashSet::new();
    for line in &journal {
        let key = first_key_of_text
            .entry(line.text.clone())
            .or_insert_with(|| line.key.clone());
        assert_eq!(
            *key, line.key,
            "reply {:?} went out under two keys",
            line.text
        );
        if line.delivered {
            assert!(
                delivered_keys.insert(line.key.clone()),
                "key {} delivered twice",
                line.key
            );
        }
    }
    let mut sent = raw
        .prepare(
            "SELECT o.idempotency_key, o.channel_message_id FROM outbox o WHERE o.status = 'sent'",
        )
        .expect("prepare");
    let sent: Vec<(String, String)> = sent
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    for (key, channel_id) in &sent {
        let line = journal.iter().find(|l| &l.key == key && l.delivered);
        assert_eq!(
            line.map(|l| &l.channel_id),
            Some(channel_id),
            "sent without a delivery"
        );
    }
    (journaled.len(), sent.len())
}

#[test]
fn killed_at_random_points_nothing_is_lost_or_sent_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A random seed each run (printed, and settable, to replay a failure).
    let seed = std::env::var("COMPTOIR_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("COMPTOIR_CRASH_SEED={seed}");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut kills = 0;
    for round in 0..8 {
        let (before, _) = check_invariants(dir.path());
        let mut child = spawn_child("crash", dir.path(), "");
        // Kill once it has made some random amount of progress, or at a random moment of
        // the reply phase once ingest is done.
        let target = before + rng.usize(1..=2_500);
        let started = Instant::now();
        let deadline = started + Duration::from_secs(120);
        let reply_phase_delay = Duration::from_millis(rng.u64(1..200));
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                assert!(
                    status.success(),
                    "child failed in round {round}: {}",
                    stderr(&mut child)
                );
                break;
            }
            let progress = journaled_ids(dir.path()).len();
            if progress >= target.min(MESSAGES)
                && (progress < MESSAGES || started.elapsed() > reply_phase_delay)
            {
                child.kill().expect("SIGKILL");
                child.wait().expect("reap");
                eprintln!("round {round}: SIGKILL after {progress} messages journaled");
                kills += 1;
                break;
            }
            assert!(
                Instant::now() < deadline,
                "child made no progress in round {round}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        check_invariants(dir.path());
    }
    assert!(kills >= 1, "no kill happened: the test proved nothing");

    // Then a run to completion: everything is there exactly once, everything sent.
    let mut child = spawn_child("crash", dir.path(), "");
    let status = child.wait().expect("wait");
    assert!(status.success(), "final run failed: {}", stderr(&mut child));
    let (ingested, sent) = check_invariants(dir.path());
    assert!(ingested >= MESSAGES);
    assert_eq!(sent, REPLIES);
    let mut store = Store::open(&dir.path().join("store.sqlite")).expect("open");
    assert_eq!(
        store.message_count().expect("count"),
        (MESSAGES + REPLIES) as u64
    );
}

fn stderr(child: &mut Child) -> String {
    use std::io::Read;
    let mut text = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut text);
    }
    text
}

/// Writes messages, replies and status changes as fast as it can.
fn writer_child(dir: &Path, tag: &str) {
    let mut store = Store::open(&dir.join("store.sqlite")).expect("open");
    let agent = store.ensure_agent(&format!("agent-{tag}")).expect("agent");
    for k in 0..100 {
        let batch: Vec<_> = (0..20)
            .map(|i| {
                chat(
                    &format!("{tag}-{k}-{i}"),
                    &format!("{tag}-v{i}"),
                    "concurrent",
                )
            })
            .collect();
        let outcomes = ingest::ingest_batch(&mut store, &batch, Timestamp::now())
            .expect("ingest under contention");
        if let Some(Outcome::New { conversation, .. }) = outcomes.first() {
            store
                .queue_reply(*conversation, agent, "ok", Timestamp::now())
                .expect("reply under contention");
            store
                .add_label(*conversation, tag)
                .expect("label under contention");
        }
    }
}

#[test]
fn two_processes_write_one_store_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Create the store first so both children race on writes, not on creation.
    drop(Store::open(&dir.path().join("store.sqlite")).expect("create"));
    let mut a = spawn_child("writer", dir.path(), "a");
    let mut b = spawn_child("writer", dir.path(), "b");
    let sa = a.wait().expect("wait a");
    let sb = b.wait().expect("wait b");
    assert!(sa.success(), "writer a failed: {}", stderr(&mut a));
    assert!(sb.success(), "writer b failed: {}", stderr(&mut b));
    let mut store = Store::open(&dir.path().join("store.sqlite")).expect("open");
    assert_eq!(store.message_count().expect("count"), 2 * (100 * 20 + 100));
    let stats = store.stats().expect("stats");
    assert_eq!(stats.open, 40);
}
