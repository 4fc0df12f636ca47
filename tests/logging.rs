//! Logging setup. Its own test binary because it installs the process-wide subscriber.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use comptoir::logging::{self, LoggingError};

#[test]
fn init_writes_to_a_daily_file_and_refuses_a_second_init() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log_dir = dir.path().join("state").join("logs");

    let guard = logging::init(&log_dir).expect("first init");
    tracing::info!(marker = "comptoir-log-test", "hello from the test");
    tracing::debug!("below the default filter");

    let second = logging::init(&log_dir);
    assert!(matches!(
        second,
        Err(LoggingError::AlreadyInitialised { .. })
    ));

    // Dropping the guard flushes the background writer.
    drop(guard);

    let files: Vec<_> = std::fs::read_dir(&log_dir)
        .expect("log dir created")
        .map(|entry| entry.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0]
        .file_name()
        .and_then(|n| n.to_str())
        .expect("utf-8 name");
    assert!(
        name.starts_with("comptoir.") && name.ends_with(".log"),
        "{name}"
    );

    let content = std::fs::read_to_string(&files[0]).expect("read log");
    assert!(content.contains("hello from the test"), "{content}");
    assert!(content.contains("comptoir-log-test"), "{content}");
    if std::env::var_os(logging::FILTER_ENV).is_none() {
        assert!(!content.contains("below the default filter"), "{content}");
    }
    assert!(!content.contains('\u{1b}'), "ANSI escapes in log file");
}
