//! One email account's life (`channels::email::account`) against a real Dovecot per test:
//! IDLE delivery and renewal, reconnection after the server dies, a refused login, the
//! first sync's progress, "fetch older", shutdown, and our own replies coming back.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

#[path = "common/dovecot.rs"]
mod dovecot;

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use comptoir::channels::email::account::{AccountOptions, run_with};
use comptoir::channels::email::imap::SyncOptions;
use comptoir::config::EmailAccount;
use comptoir::ingest;
use comptoir::model::{ChannelHealth, HealthState};
use comptoir::outbox::RetryPolicy;
use comptoir::secret::SecretString;
use comptoir::store::{QueueFilter, SharedStore, Store};
use dovecot::{Dovecot, PASSWORD};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

const ACCOUNT: &str = "boutique";
const ADDRESS: &str = "contact@boutique.example";
/// Long enough for a loaded machine, short enough that a wake-up that never comes fails.
const DEADLINE: Duration = Duration::from_secs(15);

fn account(server: &Dovecot) -> EmailAccount {
    EmailAccount {
        // An hour: whatever arrives within a test came through IDLE, not a poll.
        poll_seconds: 3600,
        ..server.account()
    }
}

fn options() -> AccountOptions {
    AccountOptions {
        sync: SyncOptions {
            // Small batches, so a sync goes through several.
            batch_size: 2,
            max_batch_size: 2,
            ..SyncOptions::default()
        },
        store_check: Duration::from_millis(200),
        retry: RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
            ..RetryPolicy::default()
        },
        ..AccountOptions::default()
    }
}

fn store() -> (tempfile::TempDir, SharedStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.sqlite")).unwrap();
    (dir, SharedStore::new(store))
}

fn mail(n: u32, from: &str, body: &str) -> Vec<u8> {
    mail_with_id(&format!("<order-{n}@shop.test>"), from, body)
}

fn mail_with_id(id: &str, from: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {ADDRESS}\r\nSubject: {body}\r\n\
         Date: Mon, 09 Nov 2026 10:00:00 +0000\r\nMessage-ID: {id}\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// An IMAP internal date `days` ago.
fn days_ago(days: i64) -> String {
    Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(days * 24))
        .unwrap()
        .to_zoned(TimeZone::UTC)
        .strftime("%d-%b-%Y %H:%M:%S +0000")
        .to_string()
}

/// A running account: its task, its stop switch and its health transitions.
struct Running {
    task: JoinHandle<()>,
    stop: watch::Sender<bool>,
    events: broadcast::Receiver<ChannelHealth>,
}

fn start(
    account: EmailAccount,
    password: &str,
    store: &SharedStore,
    options: AccountOptions,
) -> Running {
    let (stop, shutdown) = watch::channel(false);
    let (tx, events) = broadcast::channel(4096);
    let options = AccountOptions {
        health: Some(tx),
        ..options
    };
    let task = tokio::spawn(run_with(
        account,
        SecretString::new(password),
        store.clone(),
        shutdown,
        options,
    ));
    Running { task, stop, events }
}

impl Running {
    /// Stops the account and checks that it stops promptly, recording `Stopped`.
    async fn stop(self, store: &SharedStore) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .expect("the account stops within 5 s")
            .unwrap();
        assert_eq!(health(store).await.unwrap().state, HealthState::Stopped);
    }
}

async fn health(store: &SharedStore) -> Option<ChannelHealth> {
    store
        .call(|s| s.channel_health())
        .await
        .unwrap()
        .into_iter()
        .find(|h| h.account == ACCOUNT)
}

/// Polls `cond` until it holds; panics naming `what` after [`DEADLINE`].
async fn wait_for<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = tokio::time::Instant::now();
    while !cond().await {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_for_state(store: &SharedStore, state: HealthState) -> ChannelHealth {
    wait_for(&format!("health {state:?}"), || async {
        health(store).await.is_some_and(|h| h.state == state)
    })
    .await;
    health(store).await.unwrap()
}

/// Every stored message as (conversation peer, body, external id), sorted.
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
                    out.push((
                        c.peer.clone(),
                        m.body.trim().to_owned(),
                        m.external_id.unwrap_or_default(),
                    ));
                }
            }
            Ok(out)
        })
        .await
        .unwrap();
    all.sort();
    all
}

async fn wait_for_count(store: &SharedStore, n: usize) {
    wait_for(&format!("{n} stored messages"), || async {
        stored(store).await.len() >= n
    })
    .await;
    let all = stored(store).await;
    assert_eq!(all.len(), n, "{all:?}");
    let ids: BTreeSet<_> = all.iter().map(|m| m.2.as_str()).collect();
    assert_eq!(ids.len(), n, "each message once: {all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_delivers_a_new_message_within_seconds() {
    let server = Dovecot::start();
    server
        .append("INBOX", &mail(1, "alice@example.com", "before"), None)
        .await;
    let (_dir, store) = store();
    let running = start(
        account(&server),
        PASSWORD,
        &store,
        AccountOptions {
            // The defaults: no renewal or poll can stand in for the push within the test.
            store_check: AccountOptions::default().store_check,
            ..options()
        },
    );
    wait_for_state(&store, HealthState::Idle).await;
    wait_for_count(&store, 1).await;

    server
        .append("INBOX", &mail(2, "bob@example.org", "pushed"), None)
        .await;
    wait_for_count(&store, 2).await;
    assert!(stored(&store).await.iter().any(|m| m.1 == "pushed"));
    wait_for_state(&store, HealthState::Idle).await;
    running.stop(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewed_idles_still_deliver_and_duplicate_nothing() {
    let server = Dovecot::start();
    let (_dir, store) = store();
    let renew = Duration::from_millis(700);
    let running = start(
        account(&server),
        PASSWORD,
        &store,
        AccountOptions {
            idle_renew: renew,
            ..options()
        },
    );
    wait_for_state(&store, HealthState::Idle).await;
    for i in 1..=3 {
        // Time has to pass for renewals to happen: several of them before each message.
        tokio::time::sleep(renew * 3).await;
        server
            .append(
                "INBOX",
                &mail(i, "alice@example.com", &format!("after renewals {i}")),
                None,
            )
            .await;
        wait_for_count(&store, i as usize).await;
    }
    assert_eq!(health(&store).await.unwrap().last_error, None);
    running.stop(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_while_idling_is_backed_off_then_resumed() {
    let mut server = Dovecot::start();
    server
        .append("INBOX", &mail(1, "alice@example.com", "before"), None)
        .await;
    let (_dir, store) = store();
    let running = start(account(&server), PASSWORD, &store, options());
    wait_for_state(&store, HealthState::Idle).await;
    wait_for_count(&store, 1).await;

    let server = tokio::task::spawn_blocking(move || {
        server.stop();
        server
    })
    .await
    .unwrap();
    let backoff = wait_for_state(&store, HealthState::Backoff).await;
    eprintln!("{backoff:?}");
    let error = backoff.last_error.clone().expect("the error is shown");
    assert!(!error.contains(PASSWORD), "{error}");
    assert!(!error.contains('\n'), "{error}");
    assert!(error.contains("IMAP server"), "{error}");
    assert!(backoff.until.is_some(), "{backoff:?}");

    let mut server = tokio::task::spawn_blocking(move || {
        let mut server = server;
        server.restart();
        server
    })
    .await
    .unwrap();
    server
        .append("INBOX", &mail(2, "bob@example.org", "while away"), None)
        .await;
    wait_for_count(&store, 2).await;
    wait_for_state(&store, HealthState::Idle).await;
    running.stop(&store).await;
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_auth_failed_without_showing_it() {
    let server = Dovecot::start();
    let (_dir, store) = store();
    let password = "Wr0ng-Pa55word";
    let options = AccountOptions {
        // A transient failure would be retried within milliseconds; a refused login
        // must wait the cap instead.
        retry: RetryPolicy {
            base: Duration::from_millis(10),
            cap: Duration::from_secs(60),
            ..RetryPolicy::default()
        },
        ..options()
    };
    let mut running = start(account(&server), password, &store, options);
    let failed = wait_for_state(&store, HealthState::AuthFailed).await;
    let error = failed.last_error.expect("the error is shown");
    eprintln!("{error}");
    assert!(error.contains("AUTHENTICATIONFAILED"), "{error}");
    assert!(!error.contains(password), "{error}");
    // Past the first attempt's transitions, up to its failure.
    while running.events.recv().await.unwrap().state != HealthState::AuthFailed {}
    let attempts = async {
        loop {
            let h = running.events.recv().await.unwrap();
            if h.state == HealthState::Connecting {
                break;
            }
        }
    };
    // A second login within a second would be hammering.
    let retried = tokio::time::timeout(Duration::from_secs(1), attempts).await;
    assert!(retried.is_err(), "the login was retried at once");
    running.stop(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sync_shows_its_progress_batch_by_batch() {
    let server = Dovecot::start();
    let batch: Vec<Vec<u8>> = (1..=7)
        .map(|i| mail(i, &format!("c{i}@example.com"), &format!("body {i}")))
        .collect();
    server.append_all("INBOX", &batch).await;
    let (_dir, store) = store();
    let mut running = start(account(&server), PASSWORD, &store, options());
    wait_for_state(&store, HealthState::Idle).await;
    wait_for_count(&store, 7).await;

    let mut seen = Vec::new();
    while let Ok(h) = running.events.try_recv() {
        seen.push((h.state, h.done, h.total));
    }
    eprintln!("{seen:?}");
    let syncing = |done| (HealthState::Syncing, Some(done), Some(7));
    assert_eq!(
        seen,
        vec![
            (HealthState::Connecting, None, None),
            syncing(0),
            syncing(2),
            syncing(4),
            syncing(6),
            syncing(7),
            (HealthState::Idle, None, None),
        ]
    );
    running.stop(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_mail_is_fetched_on_request() {
    let server = Dovecot::start();
    let old = [(1, 40), (2, 100)];
    for (i, days) in old {
        server
            .append(
                "INBOX",
                &mail(i, "old@example.com", &format!("{days} days old")),
                Some(&days_ago(days)),
            )
            .await;
    }
    server
        .append("INBOX", &mail(3, "new@example.com", "today"), None)
        .await;
    let (_dir, store) = store();
    let mut account = account(&server);
    account.first_sync_days = Some(30);
    let running = start(account, PASSWORD, &store, options());
    wait_for_state(&store, HealthState::Idle).await;
    wait_for_count(&store, 1).await;
    let first = store
        .call(|s| s.email_horizon(ACCOUNT, "INBOX"))
        .await
        .unwrap()
        .unwrap();
    let first_since = first.synced_since.expect("a bounded first sync");

    let asked = store
        .call(|s| s.request_older_email(Some(ACCOUNT), 30))
        .await
        .unwrap();
    assert_eq!(asked, 1);
    wait_for_count(&store, 2).await;
    let bodies: BTreeSet<_> = stored(&store).await.into_iter().map(|m| m.1).collect();
    assert_eq!(
        bodies,
        BTreeSet::from(["40 days old".into(), "today".into()])
    );
    wait_for("the request to be served", || async {
        let h = store
            .call(|s| s.email_horizon(ACCOUNT, "INBOX"))
            .await
            .unwrap()
            .unwrap();
        h.older_days_requested == 0
    })
    .await;
    let after = store
        .call(|s| s.email_horizon(ACCOUNT, "INBOX"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        first_since.duration_since(after.synced_since.unwrap()),
        jiff::SignedDuration::from_hours(30 * 24)
    );
    assert_eq!(after.last_uid, first.last_uid, "new mail's mark untouched");

    store
        .call(|s| s.request_older_email(Some(ACCOUNT), 80))
        .await
        .unwrap();
    wait_for_count(&store, 3).await;
    // Later new mail still arrives, once.
    server
        .append("INBOX", &mail(4, "new@example.com", "later"), None)
        .await;
    wait_for_count(&store, 4).await;
    running.stop(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_while_idling_is_prompt() {
    let server = Dovecot::start();
    let (_dir, store) = store();
    let running = start(
        account(&server),
        PASSWORD,
        &store,
        AccountOptions::default(),
    );
    wait_for_state(&store, HealthState::Idle).await;
    // `stop` asserts that the account stops within seconds, though it is idling with
    // the default 25-minute renewal.
    running.stop(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_own_reply_coming_back_is_not_a_new_message() {
    let server = Dovecot::start();
    let (_dir, store) = store();
    let reply_id = "<reply-1@boutique.example>";
    store
        .call(move |s| {
            let now = Timestamp::now();
            let agent = s.ensure_agent("Camille")?;
            let raw = mail(1, "alice@example.com", "where is my order");
            let parsed = comptoir::channels::email::mime::parse(&raw, ACCOUNT, &[ADDRESS.into()]);
            let ingest::Outcome::New { conversation, .. } =
                ingest::ingest(s, &parsed.inbound.expect("a message"), now)?
            else {
                panic!("expected a new conversation");
            };
            let reply = s.queue_reply(conversation, agent, "on its way", now)?;
            s.record_sent(reply, reply_id, now)
        })
        .await
        .unwrap();
    let before = stored(&store).await;
    assert_eq!(before.len(), 2, "{before:?}");

    // The copy of our reply, then a customer message that tells the sync got past it.
    server
        .append(
            "INBOX",
            &mail_with_id(reply_id, ADDRESS, "on its way"),
            None,
        )
        .await;
    server
        .append("INBOX", &mail(2, "bob@example.org", "hello"), None)
        .await;
    let running = start(account(&server), PASSWORD, &store, options());
    wait_for_state(&store, HealthState::Idle).await;
    wait_for_count(&store, 3).await;
    let peers: BTreeSet<_> = stored(&store).await.into_iter().map(|m| m.0).collect();
    assert_eq!(
        peers,
        BTreeSet::from(["alice@example.com".into(), "bob@example.org".into()])
    );
    running.stop(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_folders_are_polled_while_the_first_idles() {
    let server = Dovecot::start();
    server.create("Support").await;
    let (_dir, store) = store();
    let mut account = account(&server);
    account.folders = vec!["INBOX".into(), "Support".into()];
    account.poll_seconds = 1;
    let running = start(account, PASSWORD, &store, options());
    wait_for_state(&store, HealthState::Idle).await;
    server
        .append("Support", &mail(1, "alice@example.com", "in support"), None)
        .await;
    wait_for_count(&store, 1).await;
    server
        .append("INBOX", &mail(2, "bob@example.org", "in the inbox"), None)
        .await;
    wait_for_count(&store, 2).await;
    wait_for_state(&store, HealthState::Idle).await;
    running.stop(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_idle_is_polled() {
    // The capabilities Dovecot would advertise, minus IDLE.
    let server = Dovecot::start_with("imap_capability = IMAP4rev1 LITERAL+ UIDPLUS\n");
    let (_dir, store) = store();
    let mut account = account(&server);
    account.poll_seconds = 1;
    let running = start(account, PASSWORD, &store, options());
    wait_for_state(&store, HealthState::Polling).await;
    server
        .append("INBOX", &mail(1, "alice@example.com", "polled"), None)
        .await;
    wait_for_count(&store, 1).await;
    wait_for_state(&store, HealthState::Polling).await;
    running.stop(&store).await;
}
