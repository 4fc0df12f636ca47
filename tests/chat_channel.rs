//! The chat's outbound channel driven by a real outbox: a reply POSTed to the inbox's
//! `callback_url` (a local server on 127.0.0.1) signed per Standard Webhooks, retried
//! with the same `webhook-id` after a 500, given up after a 400, and told to the
//! visitor's streams either way.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::{chat, delivery, drive_until};
use comptoir::channels::relay::channel::ChatChannel;
use comptoir::channels::relay::hub::Hub;
use comptoir::channels::relay::signature::{SignedHeaders, WebhookSecret};
use comptoir::ingest;
use comptoir::model::{Delivery, MessageId};
use comptoir::outbox::{Outbox, RetryPolicy};
use comptoir::store::{SharedStore, Store};
use jiff::Timestamp;
use serde_json::Value;
use tokio::net::TcpListener;

const SECRET: &str = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

fn secret() -> WebhookSecret {
    WebhookSecret::parse(SECRET).unwrap()
}

/// One POST the shop's backend received.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

/// A shop backend on 127.0.0.1 that answers the statuses it is given, in order, then
/// 200, and keeps what it received.
#[derive(Clone, Default)]
struct Backend {
    answers: Arc<Mutex<VecDeque<u16>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Backend {
    async fn start(answers: &[u16]) -> (Backend, String) {
        let backend = Backend {
            answers: Arc::new(Mutex::new(answers.iter().copied().collect())),
            received: Arc::default(),
        };
        let app = Router::new()
            .route("/hooks/comptoir", post(receive))
            .with_state(backend.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/comptoir", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (backend, url)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

async fn receive(State(backend): State<Backend>, headers: HeaderMap, body: Bytes) -> StatusCode {
    backend
        .received
        .lock()
        .unwrap()
        .push(Received { headers, body });
    let status = backend.answers.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    store: SharedStore,
    conversation: i64,
    reply: MessageId,
    key: String,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
    let agent = store.ensure_agent("Camille").unwrap();
    let ingest::Outcome::New { conversation, .. } = ingest::ingest(
        &mut store,
        &chat("m1", "visitor-1", "Bonjour"),
        Timestamp::now(),
    )
    .unwrap() else {
        panic!("a new message");
    };
    let reply = store
        .queue_reply(conversation, agent, "Bonjour, on regarde", Timestamp::now())
        .unwrap();
    let key = store.idempotency_key(reply).unwrap().unwrap();
    Fixture {
        _dir: dir,
        store: SharedStore::new(store),
        conversation: conversation.0,
        reply,
        key,
    }
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(100),
        max_attempts: 4,
        send_timeout: Duration::from_secs(10),
    }
}

fn outbox(f: &Fixture, hub: &Hub, url: &str) -> Outbox {
    // `chat()` posts to inbox "site".
    let channel = ChatChannel::new("site", hub.clone(), f.store.clone())
        .with_callback(url, secret())
        .unwrap();
    let mut outbox = Outbox::new(f.store.clone(), fast_policy());
    outbox.add_channel(Arc::new(channel));
    outbox
}

/// Checks one received POST as the shop would: the signature over the raw body.
fn verified(received: &Received) -> Value {
    let header = |name: &str| received.headers.get(name).map(|v| v.to_str().unwrap());
    secret()
        .verify(
            SignedHeaders {
                id: header("webhook-id"),
                timestamp: header("webhook-timestamp"),
                signature: header("webhook-signature"),
            },
            &received.body,
            Timestamp::now(),
        )
        .expect("a valid Standard Webhooks signature");
    assert_eq!(header("content-type"), Some("application/json"));
    serde_json::from_slice(&received.body).unwrap()
}

#[tokio::test]
async fn a_reply_is_posted_signed_to_the_callback_and_told_to_the_visitors_streams() {
    let f = fixture().await;
    let (backend, url) = Backend::start(&[]).await;
    let hub = Hub::new();
    let mut notices = hub.subscribe("site");
    let outbox = outbox(&f, &hub, &url);
    let d = drive_until(&outbox, &f.store, f.reply, |d| {
        matches!(d, Delivery::Sent { .. })
    })
    .await;
    assert_eq!(
        d,
        Delivery::Sent {
            channel_message_id: format!("chat:{}", f.reply.0)
        }
    );
    assert_eq!(&*notices.try_recv().unwrap(), "visitor-1");
    let received = backend.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].headers["webhook-id"], f.key.as_str());
    let body = verified(&received[0]);
    assert_eq!(body["type"], "message.sent");
    assert_eq!(body["conversation_id"], f.conversation);
    assert_eq!(body["visitor"]["id"], "visitor-1");
    assert_eq!(body["text"], "Bonjour, on regarde");
    assert_eq!(body["author"], "Camille");
    assert!(
        body["sent_at"]
            .as_str()
            .unwrap()
            .parse::<Timestamp>()
            .is_ok()
    );
    // A tampered copy would not verify: the check above can fail.
    let mut forged = received[0].clone();
    forged.body = Bytes::from(
        String::from_utf8(forged.body.to_vec())
            .unwrap()
            .replace("Bonjour", "Adieu"),
    );
    let header = |name: &str| forged.headers.get(name).map(|v| v.to_str().unwrap());
    assert!(
        secret()
            .verify(
                SignedHeaders {
                    id: header("webhook-id"),
                    timestamp: header("webhook-timestamp"),
                    signature: header("webhook-signature"),
                },
                &forged.body,
                Timestamp::now(),
            )
            .is_err()
    );
}

#[tokio::test]
async fn a_500_is_retried_with_the_same_webhook_id_until_the_backend_takes_it() {
    let f = fixture().await;
    let (backend, url) = Backend::start(&[500, 503]).await;
    let outbox = outbox(&f, &Hub::new(), &url);
    let d = drive_until(&outbox, &f.store, f.reply, |d| {
        matches!(d, Delivery::Sent { .. })
    })
    .await;
    assert!(matches!(d, Delivery::Sent { .. }), "{d:?}");
    let received = backend.received();
    assert_eq!(received.len(), 3, "two failures, then the one that worked");
    for r in &received {
        assert_eq!(r.headers["webhook-id"], f.key.as_str());
        let body = verified(r);
        assert_eq!(body["text"], "Bonjour, on regarde");
    }
}

#[tokio::test]
async fn a_400_fails_the_reply_for_good_with_the_reason() {
    let f = fixture().await;
    let (backend, url) = Backend::start(&[400]).await;
    let outbox = outbox(&f, &Hub::new(), &url);
    let d = drive_until(&outbox, &f.store, f.reply, |d| {
        matches!(d, Delivery::Failed { .. })
    })
    .await;
    let Delivery::Failed { reason } = d else {
        unreachable!()
    };
    assert!(reason.contains("400"), "{reason}");
    // Nothing more is tried.
    assert_eq!(outbox.deliver_due().await.unwrap(), 0);
    assert_eq!(backend.received().len(), 1);
    assert!(matches!(
        delivery(&f.store, f.reply).await,
        Delivery::Failed { .. }
    ));
}

#[tokio::test]
async fn a_callback_that_cannot_be_reached_is_retried() {
    let f = fixture().await;
    // A port nobody listens on: bind one, then free it.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    drop(listener);
    let outbox = outbox(&f, &Hub::new(), &url);
    let d = drive_until(&outbox, &f.store, f.reply, |d| {
        matches!(d, Delivery::Queued { attempts: 1.., .. })
    })
    .await;
    let Delivery::Queued { last_error, .. } = d else {
        unreachable!()
    };
    let reason = last_error.unwrap_or_default();
    assert!(reason.contains("did not answer"), "{reason}");
    assert!(!reason.contains('\n'));
}
