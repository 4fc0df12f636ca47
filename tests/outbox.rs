//! The outbox against a real store and the test channel: retries with backoff, permanent
//! failures, timeouts, the agent's retry, and replies a killed process left `sending`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{Mode, TestChannel, chat, delivery, drive_until};
use comptoir::ingest;
use comptoir::model::{Delivery, MessageId};
use comptoir::outbox::{Outbox, RetryPolicy};
use comptoir::store::{SharedStore, Store};
use jiff::Timestamp;

struct Fixture {
    _dir: tempfile::TempDir,
    store: SharedStore,
    reply: MessageId,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("store.sqlite")).expect("open");
    let agent = store.ensure_agent("Camille").expect("agent");
    let outcome = ingest::ingest(
        &mut store,
        &chat("m1", "visitor-1", "Bonjour"),
        Timestamp::now(),
    )
    .expect("ingest");
    let ingest::Outcome::New { conversation, .. } = outcome else {
        panic!("expected new");
    };
    let reply = store
        .queue_reply(conversation, agent, "Bonjour, on regarde", Timestamp::now())
        .expect("reply");
    Fixture {
        _dir: dir,
        store: SharedStore::new(store),
        reply,
    }
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(100),
        max_attempts: 4,
        send_timeout: Duration::from_millis(200),
    }
}

#[tokio::test]
async fn a_reply_is_sent_once_with_the_channels_id() {
    let f = fixture().await;
    let channel = TestChannel::new(Mode::Succeed);
    let mut outbox = Outbox::new(f.store.clone(), fast_policy());
    outbox.add_channel(channel.clone());
    let d = drive_until(&outbox, &f.store, f.reply, |d| {
        matches!(d, Delivery::Sent { .. })
    })
    .await;
    assert_eq!(
        d,
        Delivery::Sent {
            channel_message_id: format!("cm-{}", f.reply.0)
        }
    );
    assert_eq!(
        outbox.deliver_due().await.expect("pass"),
        0,
        "nothing left to send"
    );
    assert_eq!(channel.attempts.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn transient_failures_are_retried_on_a_backoff_schedule_with_one_key() {
    let f = fixture().await;
    let channel = TestChannel::new(Mode::FailFirst(2));
    let policy = fast_policy();
    let mut outbox = Outbox::new(f.store.clone(), policy);
    outbox.add_channel(channel.clone());

    // First attempt fails: queued again, with its reason, no later than the ceiling.
    // The store keeps milliseconds.
    let before = Timestamp::from_millisecond(Timestamp::now().as_millisecond()).expect("now");
    assert_eq!(outbox.deliver_due().await.expect("pass"), 1);
    match delivery(&f.store, f.reply).await {
        Delivery::Queued {
            attempts,
            last_error,
        } => {
            assert_eq!(attempts, 1);
            assert_eq!(last_error.as_deref(), Some("503 on attempt 1"));
        }
        other => panic!("expected queued, got {other:?}"),
    }
    let due = f
        .store
        .call(|s| s.next_due())
        .await
        .expect("due")
        .expect("a reply is due");
    let wait = due.duration_since(before);
    assert!(
        wait >= jiff::SignedDuration::ZERO,
        "never in the past: {wait:?}"
    );
    let ceiling = jiff::SignedDuration::try_from(policy.ceiling(1)).expect("small")
        + jiff::SignedDuration::from_millis(50);
    assert!(wait <= ceiling, "{wait:?} over the first ceiling");

    let d = drive_until(&outbox, &f.store, f.reply, |d| {
        matches!(d, Delivery::Sent { .. })
    })
    .await;
    assert!(matches!(d, Delivery::Sent { .. }));
    let log = channel.log.lock().expect("lock").clone();
    assert_eq!(log.len(), 3, "two failures then a success");
    assert!(
        log.iter().all(|(key, _, _)| *key == log[0].0),
        "one idempotency key across attempts"
    );
    assert_eq!(
        log.iter().map(|l| l.2).collect::<Vec<_>>(),
        vec![1, 2, 3],
        "attempts are numbered"
    );
    let key = f
        .store
        .call(move |s| s.idempotency_key(f.reply))
        .await
        .expect("key");
    assert_eq!(key.as_deref(), Some(log[0].0.as_str()));
}

#[tokio::test]
async fn permanent_failures_stop_at_once_and_the_agent_can_retry() {
    let f = fixture().await;
    let channel = TestChannel::new(Mode::Permanent);
    let mut outbox = Outbox::new(f.store.clone(), fast_policy());
    outbox.add_channel(channel.clone());
    outbox.deliver_due().await.expect("pass");
    assert_eq!(
        delivery(&f.store, f.reply).await,
        Delivery::Failed {
            reason: "recipient blocked the page".into()
        }
    );
    assert_eq!(
        outbox.deliver_due().await.expect("pass"),
        0,
        "a failed reply is not retried by itself"
    );

    channel.set_mode(Mode::Succeed);
    let id = f.reply;
    f.store
        .call(move |s| s.retry_reply(id, Timestamp::now()))
        .await
        .expect("retry");
    let d = drive_until(&outbox, &f.store, f.reply, |d| {
        matches!(d, Delivery::Sent { .. })
    })
    .await;
    assert!(matches!(d, Delivery::Sent { .. }));
    assert!(
        f.store
            .call(move |s| s.retry_reply(id, Timestamp::now()))
            .await
            .is_err(),
        "a sent reply can't be retried"
    );
}

#[tokio::test]
async fn a_channel_that_keeps_failing_is_given_up_after_max_attempts() {
    let f = fixture().await;
    let channel = TestChannel::new(Mode::AlwaysTransient);
    let mut outbox = Outbox::new(f.store.clone(), fast_policy());
    outbox.add_channel(channel.clone());
    let d = drive_until(&outbox, &f.store, f.reply, |d| {
        matches!(d, Delivery::Failed { .. })
    })
    .await;
    assert_eq!(
        d,
        Delivery::Failed {
            reason: "gave up after 4 attempts: 503 on attempt 4".into()
        }
    );
    assert_eq!(channel.attempts.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_hanging_channel_times_out_and_does_not_hold_up_other_threads() {
    let f = fixture().await;
    let hang = TestChannel::new(Mode::Hang);
    let mut outbox = Outbox::new(f.store.clone(), fast_policy());
    outbox.add_channel(hang.clone());
    let started = tokio::time::Instant::now();
    outbox.deliver_due().await.expect("pass");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the send timeout bounds a pass"
    );
    match delivery(&f.store, f.reply).await {
        Delivery::Queued { last_error, .. } => {
            assert!(
                last_error.unwrap_or_default().contains("no answer"),
                "timeout reason kept"
            );
        }
        other => panic!("expected queued after a timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn a_reply_without_a_configured_channel_fails_with_a_reason() {
    let f = fixture().await;
    let outbox = Outbox::new(f.store.clone(), fast_policy());
    outbox.deliver_due().await.expect("pass");
    match delivery(&f.store, f.reply).await {
        Delivery::Failed { reason } => assert!(reason.contains("no chat account"), "{reason}"),
        other => panic!("expected failed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_reply_left_sending_by_a_killed_process_is_resent_with_the_same_key() {
    let f = fixture().await;
    // A process claims the reply, then dies before recording anything.
    let claimed = f
        .store
        .call(|s| s.claim_due(Timestamp::now(), Duration::from_secs(600), 10))
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let key = claimed[0].idempotency_key.clone();
    assert!(matches!(
        delivery(&f.store, f.reply).await,
        Delivery::Sending { attempts: 1 }
    ));

    // Its lease has not run out, so a plain pass leaves it alone...
    let channel = TestChannel::new(Mode::Succeed);
    let mut outbox = Outbox::new(f.store.clone(), fast_policy());
    outbox.add_channel(channel.clone());
    assert_eq!(outbox.deliver_due().await.expect("pass"), 0);

    // ...but a starting outbox knows it is the only one and takes it back.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let outbox = Arc::new(outbox);
    let runner = {
        let outbox = Arc::clone(&outbox);
        tokio::spawn(async move { outbox.run(stopped).await })
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !matches!(delivery(&f.store, f.reply).await, Delivery::Sent { .. }) {
        assert!(tokio::time::Instant::now() < deadline, "never resent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send(true).expect("stop");
    runner.await.expect("join").expect("run");
    let log = channel.log.lock().expect("lock").clone();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].0, key, "same idempotency key");
    assert_eq!(log[0].2, 2, "counted as the second attempt");
}
