//! Flag changes made in another mail client, through CONDSTORE and QRESYNC (RFC 7162),
//! against a real Dovecot per test (Debian's Dovecot offers both): a message answered
//! elsewhere stops waiting, a deletion upstream is noted while the history stays, the
//! folder's mod-sequence survives a restart so the next sync asks only for what changed,
//! and a server without CONDSTORE syncs new mail as before.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

#[path = "common/dovecot.rs"]
mod dovecot;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use comptoir::channels::email::account::{AccountOptions, run_with};
use comptoir::channels::email::imap::{FolderReport, SyncOptions, sync_once};
use comptoir::config::EmailAccount;
use comptoir::secret::SecretString;
use comptoir::store::{QueueFilter, SharedStore, Store};
use dovecot::{Dovecot, PASSWORD};
use tokio::sync::watch;

const ACCOUNT: &str = "boutique";
/// Long enough for a loaded machine, short enough that a wake-up that never comes fails.
const DEADLINE: Duration = Duration::from_secs(15);
/// Dovecot's capabilities without CONDSTORE and QRESYNC (ENABLE and IDLE kept).
const NO_CONDSTORE: &str = "imap_capability = IMAP4rev1 LITERAL+ UIDPLUS ENABLE IDLE\n";
/// CONDSTORE alone: flag changes, but no VANISHED.
const CONDSTORE_ONLY: &str = "imap_capability = IMAP4rev1 LITERAL+ UIDPLUS ENABLE IDLE CONDSTORE\n";

/// Customer `n`'s first email: each customer writes from their own address, so each
/// message opens its own conversation, keyed here by that address.
fn mail(n: u32) -> Vec<u8> {
    format!(
        "From: customer{n}@example.com\r\nTo: contact@boutique.example\r\n\
         Subject: Order {n}\r\nDate: Mon, 09 Nov 2026 10:{n:02}:00 +0000\r\n\
         Message-ID: <order-{n}@shop.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nWhere is order {n}?\r\n"
    )
    .into_bytes()
}

fn open(path: &Path) -> SharedStore {
    SharedStore::new(Store::open(path).unwrap())
}

async fn sync(account: &EmailAccount, store: &SharedStore) -> FolderReport {
    let options = SyncOptions {
        batch_size: 2,
        ..SyncOptions::default()
    };
    let mut report = sync_once(account, PASSWORD, store, &options)
        .await
        .unwrap_or_else(|e| panic!("sync failed: {e}"));
    assert_eq!(report.folders.len(), 1, "{report:?}");
    report.folders.remove(0)
}

/// Every conversation as customer address → (whether it waits, how many messages).
async fn conversations(store: &SharedStore) -> BTreeMap<String, (bool, u32)> {
    store
        .call(|s| {
            let filter = QueueFilter {
                statuses: Vec::new(),
                limit: 10_000,
                ..QueueFilter::default()
            };
            Ok(s.queue(&filter)?
                .into_iter()
                .map(|c| (c.peer, (c.waiting_since.is_some(), c.message_count)))
                .collect())
        })
        .await
        .unwrap()
}

async fn waiting(store: &SharedStore, n: u32) -> bool {
    conversations(store)
        .await
        .get(&format!("customer{n}@example.com"))
        .unwrap_or_else(|| panic!("no conversation with customer {n}"))
        .0
}

async fn modseq(store: &SharedStore) -> Option<(u32, u64)> {
    store
        .call(|s| s.email_modseq(ACCOUNT, "INBOX"))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_from_another_client_stops_waiting_within_the_idle_wake() {
    let server = Dovecot::start();
    server.append("INBOX", &mail(1), None).await;
    server.append("INBOX", &mail(2), None).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store.sqlite"));
    let account = EmailAccount {
        // An hour: whatever changes within the test came through IDLE, not a poll.
        poll_seconds: 3600,
        ..server.account()
    };
    let (stop, shutdown) = watch::channel(false);
    let task = tokio::spawn(run_with(
        account,
        SecretString::new(PASSWORD),
        store.clone(),
        shutdown,
        AccountOptions::default(),
    ));
    let start = tokio::time::Instant::now();
    while modseq(&store).await.is_none() {
        assert!(start.elapsed() < DEADLINE, "the first sync never finished");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(waiting(&store, 1).await && waiting(&store, 2).await);

    // The shop owner answers customer 1 from their phone.
    server.add_flags("INBOX", 1, r"(\Answered)").await;
    let start = tokio::time::Instant::now();
    while waiting(&store, 1).await {
        assert!(
            start.elapsed() < DEADLINE,
            "customer 1 still waits after being answered elsewhere"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(waiting(&store, 2).await, "only the answered customer stops");
    assert_eq!(conversations(&store).await.len(), 2);

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the account stops")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_a_sync_fetches_only_what_changed() {
    let server = Dovecot::start();
    for n in 1..=5 {
        server.append("INBOX", &mail(n), None).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    let account = server.account();
    let uidvalidity = server.uidvalidity("INBOX").await;

    let store = open(&path);
    let first = sync(&account, &store).await;
    assert_eq!((first.stored, first.flag_changes), (5, 0), "{first:?}");
    let (validity, mark) = modseq(&store).await.expect("a mod-sequence recorded");
    assert_eq!(validity, uidvalidity);
    drop(store);

    // Elsewhere, meanwhile: customer 2 answered, customer 4's message deleted.
    server.add_flags("INBOX", 2, r"(\Answered)").await;
    server.expunge("INBOX", 4).await;

    // A new process on the same store.
    let store = open(&path);
    let second = sync(&account, &store).await;
    assert_eq!(second.fetched, 0, "no message is downloaded again");
    assert_eq!(
        second.flag_changes, 1,
        "only the answered message is reported; the others did not change: {second:?}"
    );
    assert_eq!(second.answered_elsewhere, 1, "{second:?}");
    assert_eq!(second.deleted_upstream, 1, "VANISHED: {second:?}");
    let after = conversations(&store).await;
    assert_eq!(
        after.len(),
        5,
        "the deleted message's history stays: {after:?}"
    );
    let still: Vec<bool> = (1..=5)
        .map(|n| after[&format!("customer{n}@example.com")].0)
        .collect();
    assert_eq!(still, [true, false, true, true, true]);
    let (_, later) = modseq(&store).await.unwrap();
    assert!(later > mark, "the mark moves on: {mark} -> {later}");

    // Nothing changed since: not even a flag fetch.
    let third = sync(&account, &store).await;
    assert_eq!(
        (third.fetched, third.flag_changes, third.answered_elsewhere),
        (0, 0, 0)
    );
    assert_eq!(modseq(&store).await.unwrap().1, later);

    // A new message goes on arriving as new mail, and its later answer is seen too.
    server.append("INBOX", &mail(6), None).await;
    let fourth = sync(&account, &store).await;
    assert_eq!(fourth.stored, 1);
    assert!(waiting(&store, 6).await);
    server.add_flags("INBOX", 6, r"(\Answered)").await;
    let fifth = sync(&account, &store).await;
    assert_eq!((fifth.flag_changes, fifth.answered_elsewhere), (1, 1));
    assert!(!waiting(&store, 6).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_answered_before_the_first_sync_does_not_wait() {
    let server = Dovecot::start();
    server.append("INBOX", &mail(1), None).await;
    server
        .append_flagged("INBOX", &mail(2), r"(\Answered \Seen)")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store.sqlite"));
    let report = sync(&server.account(), &store).await;
    assert_eq!((report.stored, report.answered_elsewhere), (2, 1));
    assert!(waiting(&store, 1).await);
    assert!(!waiting(&store, 2).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_condstore_new_mail_syncs_as_before() {
    let server = Dovecot::start_with(NO_CONDSTORE);
    server.append("INBOX", &mail(1), None).await;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store.sqlite"));
    let account = server.account();
    let first = sync(&account, &store).await;
    assert_eq!(first.stored, 1);
    assert_eq!(modseq(&store).await, None, "no mark without CONDSTORE");

    server.add_flags("INBOX", 1, r"(\Answered)").await;
    server.append("INBOX", &mail(2), None).await;
    let second = sync(&account, &store).await;
    assert_eq!((second.fetched, second.stored), (1, 1), "{second:?}");
    assert_eq!(second.flag_changes, 0);
    assert!(
        waiting(&store, 1).await,
        "without CONDSTORE a change of flags is not looked for"
    );
    assert!(waiting(&store, 2).await);
    assert_eq!(modseq(&store).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn condstore_without_qresync_sees_answers_and_deleted_flags() {
    let server = Dovecot::start_with(CONDSTORE_ONLY);
    for n in 1..=3 {
        server.append("INBOX", &mail(n), None).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store.sqlite"));
    let account = server.account();
    sync(&account, &store).await;
    assert!(modseq(&store).await.is_some());
    server.add_flags("INBOX", 1, r"(\Answered)").await;
    server.add_flags("INBOX", 3, r"(\Deleted)").await;
    let report = sync(&account, &store).await;
    assert_eq!(
        (
            report.flag_changes,
            report.answered_elsewhere,
            report.deleted_upstream
        ),
        (2, 1, 1),
        "{report:?}"
    );
    assert!(!waiting(&store, 1).await);
    assert!(waiting(&store, 2).await);
    assert!(
        waiting(&store, 3).await,
        "a deleted message's customer still waits"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renumbered_folder_starts_its_mark_over() {
    let server = Dovecot::start();
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir.path().join("store.sqlite"));
    let account = EmailAccount {
        folders: vec!["Support".into()],
        ..server.account()
    };
    server.create("Support").await;
    server.append("Support", &mail(1), None).await;
    sync(&account, &store).await;
    let before = store
        .call(|s| s.email_modseq(ACCOUNT, "Support"))
        .await
        .unwrap()
        .expect("a mark");

    server.recreate("Support").await;
    server.append("Support", &mail(2), None).await;
    server.add_flags("Support", 1, r"(\Answered)").await;
    let renumbered = server.uidvalidity("Support").await;
    assert_ne!(renumbered, before.0);
    let report = sync(&account, &store).await;
    assert!(report.uidvalidity_changed);
    assert_eq!(report.flag_changes, 0, "a first read compares nothing");
    assert_eq!(report.answered_elsewhere, 1, "its first fetch saw the flag");
    let after = store
        .call(|s| s.email_modseq(ACCOUNT, "Support"))
        .await
        .unwrap()
        .expect("a mark");
    assert_eq!(after.0, renumbered);
    assert!(
        waiting(&store, 1).await,
        "customer 1's first message was not answered"
    );
    assert!(!waiting(&store, 2).await);
}
