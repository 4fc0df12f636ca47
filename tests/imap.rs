//! The IMAP sync against a real Dovecot per test (see tests/common/dovecot.rs).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

#[path = "common/dovecot.rs"]
mod dovecot;

use std::collections::BTreeSet;
use std::path::Path;

use comptoir::channels::email::imap::{ImapError, SyncOptions, SyncReport, sync_once};
use comptoir::config::{EmailAccount, ServerConfig, TlsMode};
use comptoir::store::{QueueFilter, SharedStore, Store};
use dovecot::{Dovecot, PASSWORD};

const ACCOUNT: &str = "boutique";

fn account(server: &Dovecot, tls: TlsMode, host: &str) -> EmailAccount {
    let port = match tls {
        TlsMode::Implicit => server.tls_port,
        TlsMode::Starttls | TlsMode::None => server.plain_port,
    };
    EmailAccount {
        imap: ServerConfig {
            host: host.into(),
            port,
            tls,
        },
        ..server.account()
    }
}

fn store() -> (tempfile::TempDir, SharedStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.sqlite")).unwrap();
    (dir, SharedStore::new(store))
}

fn options() -> SyncOptions {
    SyncOptions {
        // Small batches, so the tests go through several.
        batch_size: 2,
        max_batch_size: 2,
        ..SyncOptions::default()
    }
}

fn mail(n: u32, from: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: contact@boutique.example\r\nSubject: Order {n}\r\n\
         Date: Mon, 09 Nov 2026 10:{n:02}:00 +0000\r\nMessage-ID: <order-{n}@shop.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// Every stored message as (customer handle, body, external id), sorted.
async fn stored(store: &SharedStore) -> Vec<(String, String, String)> {
    let mut all = store
        .call(|s| {
            let filter = QueueFilter {
                statuses: Vec::new(),
                limit: 10_000,
                ..QueueFilter::default()
            };
            let mut out = Vec::new();
            for c in s.queue(&filter)? {
                for m in s.thread(c.id)? {
                    out.push((c.peer.clone(), m.body, m.external_id.unwrap_or_default()));
                }
            }
            Ok(out)
        })
        .await
        .unwrap();
    all.sort();
    all
}

fn only(report: &SyncReport) -> &comptoir::channels::email::imap::FolderReport {
    assert_eq!(report.folders.len(), 1, "{report:?}");
    &report.folders[0]
}

async fn sync(account: &EmailAccount, store: &SharedStore) -> SyncReport {
    sync_once(account, PASSWORD, store, &options())
        .await
        .unwrap_or_else(|e| panic!("sync failed: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_tls_stores_each_message_once_then_only_new_ones() {
    let server = Dovecot::start();
    let senders = [
        "Alice Martin <alice@example.com>",
        "bob@example.org",
        "Chloé <chloe@example.net>",
        "alice@example.com",
        "dan@example.com",
    ];
    for (i, from) in (1..).zip(senders) {
        server
            .append("INBOX", &mail(i, from, &format!("Hello {i}")), None)
            .await;
    }
    let (_dir, store) = store();
    let account = account(&server, TlsMode::Implicit, "127.0.0.1");

    let first = sync(&account, &store).await;
    let f = only(&first);
    assert_eq!(
        (f.fetched, f.stored, f.duplicates, f.dead_letters),
        (5, 5, 0, 0),
        "{f:?}"
    );
    assert!(!f.uidvalidity_changed);
    let messages = stored(&store).await;
    let texts: Vec<_> = messages.iter().map(|m| m.1.trim().to_owned()).collect();
    assert_eq!(
        texts.iter().collect::<BTreeSet<_>>(),
        (1..=5)
            .map(|i| format!("Hello {i}"))
            .collect::<Vec<_>>()
            .iter()
            .collect::<BTreeSet<_>>()
    );
    let customers: BTreeSet<_> = messages.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(
        customers,
        BTreeSet::from([
            "alice@example.com",
            "bob@example.org",
            "chloe@example.net",
            "dan@example.com"
        ])
    );
    let ids: BTreeSet<_> = messages.iter().map(|m| m.2.as_str()).collect();
    assert_eq!(ids.len(), 5, "each message exactly once: {messages:?}");
    // The default leaves the mailbox as the people reading it left it.
    assert!(server.seen("INBOX").await.iter().all(|(_, seen)| !seen));

    let again = sync(&account, &store).await;
    assert_eq!(only(&again).fetched, 0, "{again:?}");
    assert_eq!(stored(&store).await.len(), 5);

    for i in 6..=8 {
        server
            .append(
                "INBOX",
                &mail(i, "erin@example.com", &format!("Hello {i}")),
                None,
            )
            .await;
    }
    let third = sync(&account, &store).await;
    let f = only(&third);
    assert_eq!(
        (f.fetched, f.stored, f.duplicates),
        (3, 3, 0),
        "only the new ones: {f:?}"
    );
    assert_eq!(stored(&store).await.len(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_works() {
    let server = Dovecot::start();
    server
        .append(
            "INBOX",
            &mail(1, "alice@example.com", "over STARTTLS"),
            None,
        )
        .await;
    let (_dir, store) = store();
    let report = sync(&account(&server, TlsMode::Starttls, "localhost"), &store).await;
    assert_eq!(only(&report).stored, 1, "{report:?}");
    assert_eq!(stored(&store).await[0].1.trim(), "over STARTTLS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_tls_on_the_plain_port_works() {
    let server = Dovecot::start();
    server
        .append("INBOX", &mail(1, "alice@example.com", "in the clear"), None)
        .await;
    let (_dir, store) = store();
    let mut account = account(&server, TlsMode::None, "127.0.0.1");
    account.ca_file = None;
    let report = sync(&account, &store).await;
    assert_eq!(only(&report).stored, 1, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_an_auth_error_that_does_not_show_it() {
    let server = Dovecot::start();
    let (_dir, store) = store();
    let account = account(&server, TlsMode::Implicit, "127.0.0.1");
    let password = "Wr0ng-Pa55word";
    let err = sync_once(&account, password, &store, &options())
        .await
        .expect_err("login must fail");
    eprintln!("{err}");
    assert!(matches!(err, ImapError::Auth { .. }), "{err:?}");
    let text = err.to_string();
    assert!(!text.contains(password), "{text}");
    assert!(!text.contains('\n'), "{text}");
    assert!(text.contains(dovecot::USER), "{text}");
    assert!(text.contains("AUTHENTICATIONFAILED"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_a_tls_error() {
    let server = Dovecot::start();
    let (_dir, store) = store();
    let mut account = account(&server, TlsMode::Implicit, "127.0.0.1");
    account.ca_file = None;
    let err = sync_once(&account, PASSWORD, &store, &options())
        .await
        .expect_err("must not trust a self-signed certificate by default");
    eprintln!("{err}");
    assert!(matches!(err, ImapError::Tls { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_uidvalidity_change_resyncs_without_duplicates() {
    let server = Dovecot::start();
    server.create("Support").await;
    for i in 1..=3 {
        server
            .append("Support", &mail(i, "alice@example.com", "first"), None)
            .await;
    }
    let (_dir, store) = store();
    let mut account = account(&server, TlsMode::Implicit, "127.0.0.1");
    account.folders = vec!["Support".into()];
    assert_eq!(only(&sync(&account, &store).await).stored, 3);

    let before = server.uidvalidity("Support").await;
    server.recreate("Support").await;
    assert_ne!(server.uidvalidity("Support").await, before);
    for i in 1..=4 {
        server
            .append("Support", &mail(i, "alice@example.com", "first"), None)
            .await;
    }
    let report = sync(&account, &store).await;
    let f = only(&report);
    assert!(f.uidvalidity_changed, "{f:?}");
    assert_eq!(
        (f.fetched, f.stored, f.duplicates),
        (4, 1, 3),
        "the old three dedupe: {f:?}"
    );
    assert_eq!(stored(&store).await.len(), 4);
    let after = sync(&account, &store).await;
    assert_eq!(only(&after).fetched, 0, "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sync_skips_mail_older_than_the_bound() {
    let server = Dovecot::start();
    server
        .append(
            "INBOX",
            &mail(1, "old@example.com", "from long ago"),
            Some("01-Jan-2020 10:00:00 +0000"),
        )
        .await;
    server
        .append("INBOX", &mail(2, "new@example.com", "recent"), None)
        .await;
    let (_dir, store) = store();
    let mut account = account(&server, TlsMode::Implicit, "127.0.0.1");
    account.first_sync_days = Some(30);
    let report = sync(&account, &store).await;
    assert_eq!(only(&report).fetched, 1, "{report:?}");
    assert_eq!(stored(&store).await[0].0, "new@example.com");

    // The old message must not come in later as "new" either.
    server
        .append("INBOX", &mail(3, "newer@example.com", "later"), None)
        .await;
    let report = sync(&account, &store).await;
    assert_eq!(only(&report).fetched, 1, "{report:?}");
    let handles: Vec<_> = stored(&store).await.into_iter().map(|m| m.0).collect();
    assert_eq!(handles, ["new@example.com", "newer@example.com"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_seen_flags_stored_messages() {
    let server = Dovecot::start();
    for i in 1..=3 {
        server
            .append("INBOX", &mail(i, "alice@example.com", "read me"), None)
            .await;
    }
    let (_dir, store) = store();
    let mut account = account(&server, TlsMode::Implicit, "127.0.0.1");
    account.mark_seen = Some(true);
    let report = sync(&account, &store).await;
    assert_eq!(only(&report).stored, 3);
    let flags = server.seen("INBOX").await;
    assert_eq!(flags.len(), 3);
    assert!(flags.iter().all(|(_, seen)| *seen), "{flags:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_corpus_is_stored_or_dead_lettered() {
    let server = Dovecot::start();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/eml");
    let mut files = dovecot::corpus(&root.join("hostile"));
    files.extend(dovecot::corpus(&root.join("malformed")));
    assert!(files.len() >= 10);
    // Not a message at all: no header the parser can hold on to.
    files.push(("words".into(), b"just some words\r\nand more\r\n".to_vec()));
    for (_, raw) in &files {
        server.append("INBOX", raw, None).await;
    }
    let (_dir, store) = store();
    let account = account(&server, TlsMode::Implicit, "127.0.0.1");
    let report = sync(&account, &store).await;
    let f = only(&report);
    eprintln!("{f:?}");
    assert_eq!(f.fetched, files.len(), "{f:?}");
    assert_eq!(f.stored + f.duplicates + f.dead_letters, f.fetched, "{f:?}");
    assert!(f.dead_letters >= 1, "{f:?}");
    let messages = stored(&store).await.len();
    let letters = store.call(|s| s.dead_letters()).await.unwrap().len();
    assert_eq!(messages, f.stored, "{f:?}");
    assert_eq!(letters, f.dead_letters, "{f:?}");
    let again = sync(&account, &store).await;
    assert_eq!(only(&again).fetched, 0, "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_resumes_without_loss_or_duplicates() {
    let mut server = Dovecot::start();
    for i in 1..=3 {
        server
            .append("INBOX", &mail(i, "alice@example.com", "before"), None)
            .await;
    }
    let (_dir, store) = store();
    let account = account(&server, TlsMode::Implicit, "127.0.0.1");
    assert_eq!(only(&sync(&account, &store).await).stored, 3);

    server.stop();
    let err = sync_once(&account, PASSWORD, &store, &options())
        .await
        .expect_err("nobody listens");
    eprintln!("{err}");
    assert!(matches!(err, ImapError::Connect { .. }), "{err:?}");
    server.restart();
    for i in 4..=6 {
        server
            .append("INBOX", &mail(i, "bob@example.com", "after"), None)
            .await;
    }
    let report = sync(&account, &store).await;
    let f = only(&report);
    assert_eq!((f.fetched, f.stored, f.duplicates), (3, 3, 0), "{f:?}");
    let ids: BTreeSet<_> = stored(&store).await.into_iter().map(|m| m.2).collect();
    assert_eq!(ids.len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_sync_loses_nothing_and_refetches_at_most_a_batch() {
    let server = Dovecot::start();
    server
        .append("INBOX", &mail(0, "alice@example.com", "seed"), None)
        .await;
    let (_dir, store) = store();
    let account = account(&server, TlsMode::Implicit, "127.0.0.1");
    assert_eq!(only(&sync(&account, &store).await).stored, 1);
    let batch: Vec<Vec<u8>> = (1..=300)
        .map(|i| mail(i, &format!("c{i}@example.com"), &format!("body {i}")))
        .collect();
    server.append_all("INBOX", &batch).await;

    // Kill the server as soon as the sync has committed some batch of the new mail.
    let server = std::sync::Arc::new(std::sync::Mutex::new(server));
    let killer = {
        let (server, store) = (server.clone(), store.clone());
        tokio::spawn(async move {
            loop {
                let state = store
                    .call(|s| s.email_sync_state(ACCOUNT, "INBOX"))
                    .await
                    .unwrap();
                if state.is_some_and(|(_, last)| last > 1) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
            tokio::task::spawn_blocking(move || server.lock().unwrap().stop())
                .await
                .unwrap();
        })
    };
    let interrupted = sync_once(&account, PASSWORD, &store, &options()).await;
    killer.await.unwrap();
    let before = stored(&store).await.len();
    match &interrupted {
        Err(e) => {
            eprintln!("interrupted after {before} messages: {e}");
            assert!(matches!(e, ImapError::Connect { .. }), "{e:?}");
        }
        // The sync may win the race; the resume below still has to hold.
        Ok(report) => eprintln!("the sync finished before the kill: {report:?}"),
    }

    tokio::task::spawn_blocking({
        let server = server.clone();
        move || server.lock().unwrap().restart()
    })
    .await
    .unwrap();
    let report = sync(&account, &store).await;
    let f = only(&report);
    assert!(f.duplicates <= options().batch_size, "{f:?}");
    assert_eq!(f.stored, 301 - before, "{f:?}");
    let ids: BTreeSet<_> = stored(&store).await.into_iter().map(|m| m.2).collect();
    assert_eq!(ids.len(), 301);
}
