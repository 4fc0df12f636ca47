//! The demo inbox: what the seeded history holds, the demo channels' deliveries through
//! the real outbox (the failing customer's reply included), and the live traffic.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::drive_until;
use comptoir::channels::relay::signature::WebhookSecret;
use comptoir::channels::{Channel as _, Outbound};
use comptoir::demo::{
    self, COLLEAGUE, DEMO_AGENT, DEMO_INBOX, DemoChannel, DemoRelay, DemoSeed, FAILING_CUSTOMER,
    RelayPoster, RelayedChat, demo_channels, live_traffic, relayed_channels,
};
use comptoir::model::{Channel, Conversation, Delivery, MessageId, MessageKind, StatusName};
use comptoir::outbox::{Outbox, RetryPolicy};
use comptoir::store::{QueueFilter, SharedStore, Store};
use comptoir::tui::text::clean_line;
use jiff::{SignedDuration, Timestamp};

fn seeded(now: Timestamp) -> (tempfile::TempDir, Store, DemoSeed) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("store.sqlite")).expect("open");
    let seed = demo::seed(&mut store, now).expect("seed");
    (dir, store, seed)
}

fn everything() -> QueueFilter {
    QueueFilter {
        statuses: Vec::new(),
        limit: 10_000,
        ..QueueFilter::default()
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}')
}

fn is_rtl(c: char) -> bool {
    matches!(c, '\u{0590}'..='\u{05ff}' | '\u{0600}'..='\u{06ff}')
}

#[test]
fn the_seed_is_a_believable_small_shop() {
    let now = Timestamp::now();
    let (_dir, mut store, seed) = seeded(now);

    assert!(
        (35..=45).contains(&seed.customers),
        "{} customers",
        seed.customers
    );
    assert!(
        (110..=130).contains(&seed.conversations),
        "{} conversations",
        seed.conversations
    );
    let all = store.queue(&everything()).expect("queue");
    assert_eq!(all.len(), seed.conversations);
    let customers: BTreeSet<_> = all.iter().map(|c| c.customer_id).collect();
    assert_eq!(customers.len(), seed.customers);

    let channels: BTreeSet<Channel> = all.iter().map(|c| c.channel).collect();
    assert_eq!(
        channels,
        Channel::ALL.into_iter().collect(),
        "every channel"
    );
    assert_eq!(seed.accounts.len(), 8);

    let statuses: HashSet<StatusName> = all.iter().map(|c| c.status.name()).collect();
    assert_eq!(statuses.len(), 4, "every status: {statuses:?}");
    for c in &all {
        if let comptoir::model::Status::Snoozed { until } = c.status {
            assert!(until > now && until < now + SignedDuration::from_hours(12));
        }
    }

    let agents = store.agents().expect("agents");
    let names: Vec<&str> = agents.iter().map(|a| a.name.as_str()).collect();
    assert!(names.contains(&DEMO_AGENT) && names.contains(&COLLEAGUE));
    let assignees: HashSet<_> = all.iter().map(|c| c.assignee).collect();
    assert!(assignees.contains(&Some(seed.agent)), "Camille has some");
    assert!(assignees.contains(&None), "some are nobody's yet");
    assert!(assignees.len() >= 3, "Yanis has some");

    // Spread over the last three weeks, nothing in the future.
    let three_weeks_ago = now - SignedDuration::from_hours(22 * 24);
    for c in &all {
        assert!(c.created_at >= three_weeks_ago, "{c:?}");
        assert!(c.last_message_at <= now, "{c:?}");
    }

    // Some customers wait, a few for minutes, some for hours.
    let stats = store.stats().expect("stats");
    assert!(stats.unanswered >= 5, "{stats:?}");
    let waits: Vec<SignedDuration> = all
        .iter()
        .filter(|c| c.status.name() == StatusName::Open)
        .filter_map(|c| c.waiting_since)
        .map(|w| now.duration_since(w))
        .collect();
    assert!(waits.iter().any(|w| *w < SignedDuration::from_mins(10)));
    assert!(waits.iter().any(|w| *w > SignedDuration::from_hours(2)));
}

#[test]
fn one_customer_is_known_on_several_channels() {
    let (_dir, mut store, _seed) = seeded(Timestamp::now());
    let all = store.queue(&everything()).expect("queue");
    let customers: BTreeSet<_> = all.iter().map(|c| c.customer_id).collect();
    let mut most = 0;
    let mut linked = 0;
    for id in customers {
        let history = store.customer_history(id).expect("history");
        let channels: BTreeSet<Channel> = history.conversations.iter().map(|c| c.channel).collect();
        if channels.len() >= 2 {
            linked += 1;
        }
        most = most.max(channels.len());
    }
    assert!(linked >= 5, "{linked} customers on 2+ channels");
    assert!(
        most >= 3,
        "someone wrote by chat, mail and WhatsApp: best is {most}"
    );
}

#[test]
fn the_history_shows_every_delivery_state_and_a_varied_text() {
    let (_dir, mut store, _seed) = seeded(Timestamp::now());
    let all = store.queue(&everything()).expect("queue");
    let mut states = HashSet::new();
    let mut retrying = false;
    let mut notes = 0;
    let mut attachments = 0;
    let mut quoted = false;
    let mut cjk = false;
    let mut rtl = false;
    let mut emoji = false;
    for c in &all {
        cjk |= c.customer_name.iter().flat_map(|n| n.chars()).any(is_cjk);
        rtl |= c.customer_name.iter().flat_map(|n| n.chars()).any(is_rtl);
        for m in store.thread(c.id).expect("thread") {
            match (&m.kind, &m.delivery) {
                (MessageKind::Outbound, Some(d)) => {
                    states.insert(std::mem::discriminant(d));
                    if let Delivery::Queued {
                        last_error: Some(_),
                        ..
                    } = d
                    {
                        retrying = true;
                    }
                }
                (MessageKind::Outbound, None) => panic!("a reply without a delivery state"),
                (MessageKind::Note, _) => notes += 1,
                (MessageKind::Inbound, _) => {}
            }
            attachments += m.attachments.len();
            quoted |= m.body.contains("a écrit :\n> ");
            cjk |= m.body.chars().any(is_cjk);
            rtl |= m.body.chars().any(is_rtl);
            emoji |= m.body.contains('🙂');
        }
    }
    for d in [
        Delivery::Sent {
            channel_message_id: String::new(),
        },
        Delivery::Failed {
            reason: String::new(),
        },
        Delivery::Queued {
            attempts: 0,
            last_error: None,
        },
    ] {
        assert!(
            states.contains(&std::mem::discriminant(&d)),
            "no reply is {d:?}"
        );
    }
    assert!(retrying, "one reply waits for a retry");
    assert!(notes >= 5, "{notes} notes");
    assert!(attachments >= 3, "{attachments} attachments");
    assert!(quoted, "mail replies quote the shop");
    assert!(cjk && rtl && emoji);
}

#[test]
fn hostile_text_is_there_for_the_sanitiser_to_show() {
    let (_dir, mut store, _seed) = seeded(Timestamp::now());
    let all = store.queue(&everything()).expect("queue");
    let phish = all
        .iter()
        .find(|c| c.subject.as_deref().is_some_and(|s| s.contains('\x1b')))
        .expect("a subject with an escape sequence");
    assert!(
        phish
            .customer_name
            .as_deref()
            .is_some_and(|n| n.contains('\u{202e}')),
        "and a name with a bidi override"
    );
    let shown = clean_line(phish.subject.as_deref().unwrap_or_default());
    assert!(!shown.as_str().contains('\x1b'));
    assert_eq!(shown.as_str(), "Votre colis est bloqué — action requise");
}

#[test]
fn the_seed_is_deterministic_and_wants_an_empty_store() {
    let now = Timestamp::now();
    let (_a, mut first, _) = seeded(now);
    let (_b, mut second, _) = seeded(now);
    assert_eq!(
        first.queue(&everything()).unwrap(),
        second.queue(&everything()).unwrap()
    );
    assert_eq!(
        first.message_count().unwrap(),
        second.message_count().unwrap()
    );
    assert!(
        demo::seed(&mut first, now).is_err(),
        "a second seed would mix two histories"
    );
}

fn outbound(to: &str, key: &str, channel: Channel) -> Outbound {
    Outbound {
        message_id: MessageId(1),
        idempotency_key: key.into(),
        channel,
        account: "site".into(),
        thread_key: "t".into(),
        to: to.into(),
        to_name: None,
        subject: None,
        in_reply_to: None,
        references: Vec::new(),
        quote: None,
        author: DEMO_AGENT.into(),
        text: "Bonjour".into(),
        attempt: 1,
    }
}

#[tokio::test]
async fn a_demo_channel_confirms_after_its_delay() {
    let delay = Duration::from_millis(120);
    let channel = DemoChannel::new(Channel::Chat, "site").with_delay(delay);
    assert_eq!(channel.kind(), Channel::Chat);
    assert_eq!(channel.account(), "site");
    assert_eq!(
        DemoChannel::new(Channel::Chat, "site").delay(),
        DemoChannel::DEFAULT_DELAY
    );
    let reply = outbound("v_someone", "k1", Channel::Chat);
    let started = Instant::now();
    let first = channel.send(&reply).await.expect("sent");
    assert!(started.elapsed() >= delay, "took {:?}", started.elapsed());
    let again = channel.send(&reply).await.expect("sent");
    assert_eq!(first, again, "one key, one id");
    let other = channel
        .send(&outbound("v_someone", "k2", Channel::Chat))
        .await
        .expect("sent");
    assert_ne!(first, other);
}

#[tokio::test]
async fn the_failing_customers_reply_fails_once_then_goes_through_on_retry() {
    let (_dir, mut store, seed) = seeded(Timestamp::now());
    let bruno = store
        .queue(&everything())
        .unwrap()
        .into_iter()
        .find(|c| {
            c.customer_name.as_deref() == Some(FAILING_CUSTOMER) && c.channel == Channel::Email
        })
        .expect("Bruno wrote by mail");
    assert!(bruno.waiting_since.is_some(), "Bruno waits for an answer");
    assert_eq!(bruno.assignee, Some(seed.agent));
    let queued_before: Vec<MessageId> = store
        .queue(&everything())
        .unwrap()
        .iter()
        .flat_map(|c| store.thread(c.id).unwrap())
        .filter(|m| {
            matches!(
                m.delivery,
                Some(Delivery::Queued {
                    last_error: None,
                    ..
                })
            )
        })
        .map(|m| m.id)
        .collect();
    assert!(!queued_before.is_empty());
    let reply = store
        .queue_reply(
            bruno.id,
            seed.agent,
            "Bonjour Bruno, voici le lien de suivi.",
            Timestamp::now(),
        )
        .unwrap();
    let key = store.idempotency_key(reply).unwrap().expect("a key");

    // The demo's own channels, only faster.
    assert_eq!(demo_channels(&seed).len(), 8);
    let store = SharedStore::new(store);
    let policy = RetryPolicy {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(100),
        max_attempts: 4,
        send_timeout: Duration::from_secs(5),
    };
    let mut outbox = Outbox::new(store.clone(), policy);
    for (kind, account) in &seed.accounts {
        outbox.add_channel(Arc::new(
            DemoChannel::new(*kind, account).with_delay(Duration::from_millis(30)),
        ));
    }

    let failed = drive_until(&outbox, &store, reply, |d| {
        matches!(d, Delivery::Failed { .. })
    })
    .await;
    let Delivery::Failed { reason } = failed else {
        unreachable!()
    };
    assert!(
        reason.starts_with("550 5.1.1") && reason.contains("mailbox unavailable"),
        "{reason}"
    );

    // The seeded replies still in the outbox went out on the way: queued, then sent.
    for id in queued_before {
        let d = drive_until(&outbox, &store, id, |d| matches!(d, Delivery::Sent { .. })).await;
        assert!(matches!(d, Delivery::Sent { .. }));
    }

    store
        .call(move |s| s.retry_reply(reply, Timestamp::now()))
        .await
        .expect("retry");
    let sent = drive_until(&outbox, &store, reply, |d| {
        matches!(d, Delivery::Sent { .. })
    })
    .await;
    assert_eq!(
        store
            .call(move |s| s.idempotency_key(reply))
            .await
            .unwrap()
            .as_deref(),
        Some(key.as_str()),
        "the retry used the same key"
    );
    let Delivery::Sent { channel_message_id } = sent else {
        unreachable!()
    };
    assert!(channel_message_id.contains(&key), "{channel_message_id}");
}

#[tokio::test]
async fn live_traffic_adds_messages_until_shutdown() {
    let started = Timestamp::now();
    let (_dir, store, _seed) = seeded(started);
    let store = SharedStore::new(store);
    let before = store.call(|s| s.message_count()).await.unwrap();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(live_traffic(
        store.clone(),
        rx,
        Duration::from_millis(15),
        None,
    ));

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = store.call(|s| s.message_count()).await.unwrap();
        if now >= before + 6 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {} new messages",
            now - before
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("live traffic stops on shutdown")
        .expect("no panic");
    let after = store.call(|s| s.message_count()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_eq!(store.call(|s| s.message_count()).await.unwrap(), after);

    // Visitors arrive by chat and social channels, never by mail, and wait for an answer.
    let fresh: Vec<Conversation> = store
        .call(|s| s.queue(&everything()))
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.last_message_at >= started)
        .collect();
    assert!(!fresh.is_empty());
    for c in &fresh {
        assert_ne!(c.channel, Channel::Email, "{c:?}");
        assert!(c.waiting_since.is_some(), "{c:?}");
    }

    // A dropped sender stops it too.
    let (tx, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(live_traffic(
        store.clone(),
        rx,
        Duration::from_secs(3600),
        None,
    ));
    drop(tx);
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("live traffic stops when its sender goes")
        .expect("no panic");
}

/// The demo relay on a seeded store, with its secret; the relay stops when the sender
/// is dropped or sends true.
async fn demo_relay(
    store: &SharedStore,
) -> (DemoRelay, WebhookSecret, tokio::sync::watch::Sender<bool>) {
    let secret = demo::new_secret().expect("random secret");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let relay = demo::start_relay(store.clone(), secret.clone(), stopped)
        .await
        .expect("relay starts");
    (relay, secret, stop)
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().expect("client")
}

/// Another connection on the demo's store file, for what the store's API does not list.
fn sql(dir: &tempfile::TempDir) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.path().join("store.sqlite")).expect("open")
}

#[tokio::test]
async fn the_demo_relay_takes_a_signed_post_and_refuses_an_unsigned_one() {
    let (dir, store, _seed) = seeded(Timestamp::now());
    let store = SharedStore::new(store);
    let (relay, secret, stop) = demo_relay(&store).await;
    assert!(relay.addr.ip().is_loopback(), "{}", relay.addr);
    assert_eq!(
        relay.widget_url(),
        format!("http://{}/chat/site/widget", relay.addr)
    );
    let client = http();
    let page = client.get(relay.widget_url()).send().await.unwrap();
    assert_eq!(page.status(), 200, "the widget's test page is served");

    let body = r#"{"visitor":{"id":"v_test","name":"Ana"},"text":"Signed hello"}"#;
    let unsigned = client
        .post(relay.messages_url())
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let forged = WebhookSecret::from_bytes(vec![7; 32]);
    let now = Timestamp::now().as_second();
    let wrong = client
        .post(relay.messages_url())
        .header("webhook-id", "msg_forged")
        .header("webhook-timestamp", now.to_string())
        .header(
            "webhook-signature",
            forged.sign("msg_forged", now, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401, "a signature with another secret");
    let signed = client
        .post(relay.messages_url())
        .header("webhook-id", "msg_1")
        .header("webhook-timestamp", now.to_string())
        .header(
            "webhook-signature",
            secret.sign("msg_1", now, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 202);

    let stored: Vec<String> = sql(&dir)
        .prepare("SELECT body FROM messages WHERE channel = 'chat' AND account = 'site' AND external_id = ?1")
        .unwrap()
        .query_map(["msg_1"], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        stored,
        ["Signed hello"],
        "stored once, the refused ones not at all"
    );

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), relay.task)
        .await
        .expect("the relay stops on shutdown")
        .expect("no panic");
}

#[tokio::test]
async fn live_chat_visitors_arrive_through_the_relay() {
    let started = Timestamp::now();
    let (dir, store, _seed) = seeded(started);
    let store = SharedStore::new(store);
    let (relay, secret, stop) = demo_relay(&store).await;
    let poster = RelayPoster::new(&relay, secret).unwrap();
    let (tx, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(live_traffic(
        store.clone(),
        rx,
        Duration::from_millis(15),
        Some(poster),
    ));

    let db = sql(&dir);
    let live = |channel: &str| -> Vec<(String, Option<u16>)> {
        db.prepare(
            "SELECT m.external_id, r.status FROM messages m
             LEFT JOIN webhook_receipts r
               ON r.channel = m.channel AND r.account = m.account AND r.webhook_id = m.external_id
             WHERE m.channel = ?1 AND m.external_id LIKE 'live-%'",
        )
        .unwrap()
        .query_map([channel], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let social = ["instagram", "messenger", "whatsapp"];
    while live("chat").len() < 4 || social.iter().all(|c| live(c).is_empty()) {
        assert!(
            Instant::now() < deadline,
            "chat {:?}, social {:?}",
            live("chat"),
            social.map(|c| live(c).len())
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("live traffic stops on shutdown")
        .expect("no panic");

    // Every chat message went through the relay: the relay's receipt for its
    // webhook-id says 202. The social channels' messages were ingested directly.
    for (id, status) in live("chat") {
        assert_eq!(status, Some(202), "{id}");
    }
    for channel in social {
        for (id, status) in live(channel) {
            assert_eq!(status, None, "{channel} {id}");
        }
    }
    stop.send(true).unwrap();
}

#[tokio::test]
async fn the_relayed_chat_sender_tells_the_visitors_streams_and_keeps_the_demo_failure() {
    let now = Timestamp::now();
    let (dir, store, seed) = seeded(now);
    let store = SharedStore::new(store);
    let (relay, _secret, _stop) = demo_relay(&store).await;

    let channels = relayed_channels(&seed, &relay, &store);
    assert_eq!(
        channels.len(),
        8,
        "one sender per account, the chat's replaced"
    );
    assert_eq!(
        channels
            .iter()
            .filter(|c| c.kind() == Channel::Chat && c.account() == DEMO_INBOX)
            .count(),
        1
    );

    let chat = RelayedChat::new(&relay, store.clone()).with_delay(Duration::from_millis(10));
    let mut streams = relay.hub.subscribe(DEMO_INBOX);
    let mut reply = outbound("v_browser", "key-browser", Channel::Chat);
    reply.thread_key = "v_browser".into();
    let sent = chat.send(&reply).await.expect("delivered");
    assert!(!sent.channel_message_id.is_empty());
    let told = tokio::time::timeout(Duration::from_secs(5), streams.recv())
        .await
        .expect("the visitor's streams are told")
        .unwrap();
    assert_eq!(&*told, "v_browser");

    // The failing customer's chat handle, from the seeded history.
    let handle: String = sql(&dir)
        .query_row(
            "SELECT cv.peer FROM conversations cv JOIN customers c ON c.id = cv.customer_id
             WHERE cv.channel = 'chat' AND c.display_name = ?1",
            [FAILING_CUSTOMER],
            |r| r.get(0),
        )
        .expect("the failing customer has a chat");
    let refused = outbound(&handle, "key-bruno", Channel::Chat);
    assert!(chat.send(&refused).await.is_err(), "refused the first time");
    assert!(chat.send(&refused).await.is_ok(), "through on retry");
}

#[tokio::test]
async fn a_post_the_relay_refuses_or_cannot_take_is_one_line_with_the_reason() {
    let (_dir, store, _seed) = seeded(Timestamp::now());
    let store = SharedStore::new(store);
    let (relay, _secret, stop) = demo_relay(&store).await;
    let visitor = comptoir::channels::Inbound {
        channel: Channel::Chat,
        account: DEMO_INBOX.into(),
        thread_key: "v_x".into(),
        external_id: "live-test-1".into(),
        references: Vec::new(),
        reply_to: None,
        from: comptoir::channels::Contact {
            handle: "v_x".into(),
            display_name: Some("Ana".into()),
            email: None,
            phone: None,
        },
        subject: None,
        text: "Bonjour".into(),
        attachments: Vec::new(),
        sent_at: Timestamp::now(),
        automated: false,
        raw: None,
    };

    let wrong = RelayPoster::new(&relay, WebhookSecret::from_bytes(vec![9; 32])).unwrap();
    let refused = wrong.post(&visitor).await.unwrap_err();
    assert!(refused.contains("401"), "{refused}");
    assert!(!refused.contains('\n'), "{refused}");

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), relay.task)
        .await
        .unwrap()
        .unwrap();
    let gone = wrong.post(&visitor).await.unwrap_err();
    assert!(gone.starts_with("POST http://127.0.0.1:"), "{gone}");
}
