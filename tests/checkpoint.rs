//! The WAL is checkpointed by the store's own background thread, not by the writer's
//! commit, and that thread ends with the store.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use std::time::Duration;

use common::{at, chat, wait_for};
use comptoir::ingest;
use comptoir::store::Store;

/// Threads of this process named like the store's checkpoint thread.
fn checkpoint_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("list this process's threads")
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm"))
                .is_ok_and(|name| name.trim() == "comptoir-ckpt")
        })
        .count()
}

fn size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn a_big_write_is_checkpointed_in_the_background_and_the_thread_ends_with_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.sqlite");
    let wal = dir.path().join("store.sqlite-wal");
    let mut store = Store::open(&path).expect("open");
    assert_eq!(checkpoint_threads(), 0, "no thread before it is needed");

    // Small writes stay in the WAL; nothing starts the thread.
    ingest::ingest(&mut store, &chat("small", "visitor-0", "Bonjour"), at(0)).expect("ingest");
    assert_eq!(checkpoint_threads(), 0, "a small write needs no checkpoint");

    // About 45 MiB of text: past the 32 MiB at which the thread is woken, far below the
    // 128 MiB at which the writer would checkpoint itself.
    let text = "colis livraison remboursement commande ".repeat(12_000);
    let batch: Vec<_> = (0..90)
        .map(|i| chat(&format!("big{i}"), &format!("visitor-{}", i % 4), &text))
        .collect();
    let before = size(&path);
    for chunk in batch.chunks(8) {
        ingest::ingest_batch(&mut store, chunk, at(1)).expect("ingest a batch");
    }
    assert!(size(&wal) > 32 << 20, "the batches went to the WAL");
    assert_eq!(checkpoint_threads(), 1, "the big write started the thread");
    // The writer is idle now: only the background thread can copy the WAL into the
    // database file.
    wait_for(
        "the background checkpoint to fill the database file",
        Duration::from_secs(30),
        || size(&path) > before + (32 << 20),
    );

    drop(store);
    assert_eq!(
        checkpoint_threads(),
        0,
        "closing the store ended the thread"
    );
    let mut store = Store::open(&path).expect("reopen");
    assert_eq!(store.message_count().expect("count"), 91);
}
