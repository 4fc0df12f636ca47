//! Opening, migrating and refusing store files; locks, full disks, change detection.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use std::time::Duration;

use common::{at, chat};
use comptoir::ingest;
use comptoir::store::{SCHEMA_VERSION, Store, StoreError, StoreOptions};

fn path(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("data").join("store.sqlite")
}

#[test]
fn a_new_store_is_created_migrated_and_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = path(&dir);
    drop(Store::open(&p).expect("create"));
    let raw = rusqlite::Connection::open(&p).expect("raw");
    let version: i64 = raw
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("version");
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = raw
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .expect("wal");
    assert_eq!(mode, "wal");
    let tables: Vec<String> = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    for t in [
        "conversations",
        "customers",
        "dead_letters",
        "handles",
        "messages",
        "messages_fts",
        "outbox",
    ] {
        assert!(
            tables.iter().any(|n| n == t),
            "missing table {t}: {tables:?}"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "customer data is private");
    // Opening again changes nothing and keeps the data.
    let mut store = Store::open(&p).expect("reopen");
    ingest::ingest(&mut store, &chat("m1", "v", "hello"), at(0)).expect("ingest");
    drop(store);
    let mut store = Store::open(&p).expect("reopen");
    assert_eq!(store.message_count().expect("count"), 1);
    assert!(
        store
            .conversation(comptoir::model::ConversationId(1))
            .expect("q")
            .is_some()
    );
}

#[test]
fn a_store_from_a_newer_comptoir_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = path(&dir);
    drop(Store::open(&p).expect("create"));
    {
        let raw = rusqlite::Connection::open(&p).expect("raw");
        raw.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("bump");
        raw.pragma_update(None, "journal_mode", "delete")
            .expect("leave wal");
    }
    let before = std::fs::read(&p).expect("bytes");
    match Store::open(&p) {
        Err(e @ StoreError::TooNew { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("newer than this comptoir knows"), "{msg}");
            assert!(!msg.contains('\n'));
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    assert_eq!(
        std::fs::read(&p).expect("bytes"),
        before,
        "the file was altered"
    );
}

#[test]
fn files_that_are_not_comptoir_stores_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.sqlite");
    std::fs::write(&junk, b"this is a text file, not a database at all").expect("write");
    assert!(matches!(Store::open(&junk), Err(StoreError::NotAStore(_))));
    assert_eq!(
        std::fs::read(&junk).expect("bytes"),
        b"this is a text file, not a database at all"
    );

    let foreign = dir.path().join("foreign.sqlite");
    rusqlite::Connection::open(&foreign)
        .expect("raw")
        .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .expect("foreign");
    assert!(matches!(Store::open(&foreign), Err(StoreError::Foreign(_))));

    // A damaged store: a valid header, then garbage.
    let damaged = dir.path().join("damaged.sqlite");
    drop(Store::open(&damaged).expect("create"));
    {
        let raw = rusqlite::Connection::open(&damaged).expect("raw");
        raw.pragma_update(None, "journal_mode", "delete")
            .expect("checkpoint");
    }
    let mut bytes = std::fs::read(&damaged).expect("bytes");
    for b in bytes.iter_mut().skip(100) {
        *b = 0xA5;
    }
    std::fs::write(&damaged, &bytes).expect("write");
    let err = Store::open(&damaged).and_then(|mut s| s.message_count());
    assert!(err.is_err(), "a damaged store must not open quietly");
}

#[test]
fn a_writer_held_past_the_busy_timeout_is_a_clear_error_and_nothing_is_half_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = path(&dir);
    drop(Store::open(&p).expect("create"));
    let holder = rusqlite::Connection::open(&p).expect("raw");
    holder
        .execute_batch("BEGIN IMMEDIATE")
        .expect("hold the write lock");
    let mut store = Store::open_with(
        &p,
        StoreOptions {
            busy_timeout: Duration::from_millis(100),
            ..StoreOptions::default()
        },
    )
    .expect("open while another holds the lock");
    let err = ingest::ingest(&mut store, &chat("m1", "v", "hello"), at(0)).expect_err("busy");
    assert!(matches!(err, StoreError::Busy), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the store is locked by another process; try again"
    );
    holder.execute_batch("ROLLBACK").expect("release");
    assert_eq!(store.message_count().expect("count"), 0);
    ingest::ingest(&mut store, &chat("m1", "v", "hello"), at(0)).expect("works once released");
}

#[test]
fn a_full_disk_fails_the_whole_batch_and_keeps_what_was_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = path(&dir);
    let mut store = Store::open_with(
        &p,
        StoreOptions {
            max_bytes: Some(400 * 1024),
            ..StoreOptions::default()
        },
    )
    .expect("open");
    ingest::ingest(&mut store, &chat("first", "v", "small"), at(0)).expect("fits");
    let batch: Vec<_> = (0..200)
        .map(|i| chat(&format!("big{i}"), "v", &"lorem ipsum dolor ".repeat(400)))
        .collect();
    let err = ingest::ingest_batch(&mut store, &batch, at(1)).expect_err("disk full");
    assert!(matches!(err, StoreError::DiskFull), "{err:?}");
    assert_eq!(err.to_string(), "the disk is full; nothing was written");
    assert_eq!(store.message_count().expect("count"), 1, "all or nothing");
    assert!(
        store.dead_letters().expect("letters").is_empty(),
        "a full disk is not the message's fault"
    );
}

#[test]
fn another_connections_commit_changes_the_data_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = path(&dir);
    let reader = Store::open(&p).expect("open");
    let mut writer = Store::open(&p).expect("open");
    let v1 = reader.data_version().expect("version");
    assert_eq!(
        reader.data_version().expect("version"),
        v1,
        "stable without writes"
    );
    ingest::ingest(&mut writer, &chat("m1", "v", "hello"), at(0)).expect("ingest");
    assert_ne!(reader.data_version().expect("version"), v1);
}
