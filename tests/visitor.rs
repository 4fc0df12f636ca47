//! The chat relay's browser side: visitor tokens, the widget's POSTs with their limits
//! (400, 401, 413, 429), CORS, the offline form, and the event stream over a real
//! socket (replay, Last-Event-ID, a reply delivered live by the outbox, slots freed,
//! availability as status events).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use comptoir::channels::relay::channel::ChatChannel;
use comptoir::channels::relay::limits::{Bucket, RateLimits};
use comptoir::channels::relay::server::{MAX_BODY_BYTES, RelayState, router, serve};
use comptoir::channels::relay::signature::WebhookSecret;
use comptoir::channels::relay::sse::StreamLimits;
use comptoir::config::PresenceConfig;
use comptoir::model::{Availability, Channel, ConversationId, Delivery};
use comptoir::outbox::{Outbox, RetryPolicy};
use comptoir::presence::BusinessHours;
use comptoir::store::{SharedStore, Store};
use jiff::Timestamp;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

const SECRET: &str = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
const SHOP: &str = "https://boutique.example";

fn secret() -> WebhookSecret {
    WebhookSecret::parse(SECRET).unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    shared: SharedStore,
    state: RelayState,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        let shared = SharedStore::new(Store::open(&path).unwrap());
        let state = RelayState::new(shared.clone())
            .with_inbox("site", secret())
            .with_origins("site", vec![SHOP.to_owned()]);
        Fixture {
            _dir: dir,
            path,
            shared,
            state,
        }
    }

    fn store(&self) -> Store {
        Store::open(&self.path).unwrap()
    }

    fn messages(&self) -> u64 {
        self.store().message_count().unwrap()
    }

    async fn raw(&self, request: Request<Body>) -> Response<Body> {
        router(self.state.clone()).oneshot(request).await.unwrap()
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.raw(request).await;
        let status = response.status();
        (status, json_body(response).await)
    }

    async fn visitor(&self) -> (String, String) {
        let (status, body) = self
            .send(post("/chat/site/visitors", None, r#"{"name":"Ana"}"#))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (
            body["visitor_id"].as_str().unwrap().to_owned(),
            body["token"].as_str().unwrap().to_owned(),
        )
    }

    async fn say(&self, visitor: &str, token: &str, body: &Value) -> (StatusCode, Value) {
        self.send(post(
            &format!("/chat/site/visitors/{visitor}/messages"),
            Some(token),
            &body.to_string(),
        ))
        .await
    }
}

async fn json_body(response: Response<Body>) -> Value {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn post(path: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test]
async fn a_visitor_gets_an_id_and_a_token_that_speaks_for_it_only() {
    let f = Fixture::new();
    let (visitor, token) = f.visitor().await;
    assert!(
        visitor.starts_with("v_") && visitor.len() == 24,
        "{visitor}"
    );
    assert!(!token.contains(SECRET) && !token.is_empty());

    let (status, body) = f.say(&visitor, &token, &json!({"text": "Bonjour"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(body["conversation_id"].is_i64() && body["message_id"].is_i64());

    // Another visitor's token, a forged one, and none at all.
    let (other, other_token) = f.visitor().await;
    for (who, token) in [
        (visitor.as_str(), other_token.as_str()),
        (other.as_str(), token.as_str()),
        (
            visitor.as_str(),
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ),
    ] {
        let (status, body) = f.say(who, token, &json!({"text": "x"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body["error"].as_str().unwrap().contains("token"), "{body}");
    }
    let (status, _) = f
        .send(post(
            &format!("/chat/site/visitors/{visitor}/messages"),
            None,
            r#"{"text":"x"}"#,
        ))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The same secret on a restarted relay accepts the same token.
    let restarted = RelayState::new(f.shared.clone()).with_inbox("site", secret());
    let response = router(restarted)
        .oneshot(post(
            &format!("/chat/site/visitors/{visitor}/messages"),
            Some(&token),
            r#"{"text":"encore"}"#,
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let (status, _) = f.send(post("/chat/nope/visitors", None, "{}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(f.messages(), 2);
}

#[tokio::test]
async fn a_retried_post_with_its_client_id_is_stored_once_in_the_visitors_conversation() {
    let f = Fixture::new();
    let (visitor, token) = f.visitor().await;
    let body = json!({"text": "Où est ma commande ?", "name": "Ana", "email": "ana@example.com", "client_id": "c-1"});
    let (s1, first) = f.say(&visitor, &token, &body).await;
    let (s2, again) = f.say(&visitor, &token, &body).await;
    assert_eq!((s1, s2), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    assert_eq!(first, again, "the retry gets the first answer");
    // Another visitor using the same client_id is a different message.
    let (other, other_token) = f.visitor().await;
    let (_, theirs) = f.say(&other, &other_token, &body).await;
    assert_ne!(theirs["message_id"], first["message_id"]);
    // Without a client_id every POST is a message.
    f.say(&visitor, &token, &json!({"text": "a"})).await;
    f.say(&visitor, &token, &json!({"text": "a"})).await;
    assert_eq!(f.messages(), 4);

    let mut store = f.store();
    let conversation = ConversationId(first["conversation_id"].as_i64().unwrap());
    let c = store.conversation(conversation).unwrap().unwrap();
    assert_eq!((c.channel, c.account.as_str()), (Channel::Chat, "site"));
    assert_eq!(c.thread_key, visitor);
    assert_eq!(c.customer_name.as_deref(), Some("Ana"));
    assert_eq!(store.thread(conversation).unwrap().len(), 3);
}

#[tokio::test]
async fn bad_bodies_are_400_naming_the_field_and_oversized_ones_413() {
    let f = Fixture::new();
    let (visitor, token) = f.visitor().await;
    for (body, field) in [
        ("{", "JSON"),
        ("{}", "text"),
        (r#"{"text":"  "}"#, "text"),
        (r#"{"text":"x","email":"nope"}"#, "email"),
        (r#"{"text":"x","client_id":"<script>"}"#, "client_id"),
    ] {
        let (status, answer) = f
            .send(post(
                &format!("/chat/site/visitors/{visitor}/messages"),
                Some(&token),
                body,
            ))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            answer["error"].as_str().unwrap().contains(field),
            "{body}: {answer}"
        );
    }
    let (status, answer) = f
        .send(post("/chat/site/visitors", None, r#"{"email":"nope"}"#))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    // A fresh visitor: five refusals used up the first one's burst.
    let (visitor, token) = f.visitor().await;
    let huge = json!({"text": "x".repeat(MAX_BODY_BYTES)});
    let (status, _) = f.say(&visitor, &token, &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(f.messages(), 0);
}

fn retry_after(response: &Response<Body>) -> u64 {
    response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_visitor_over_their_burst_gets_429_with_retry_after_and_others_do_not() {
    let mut f = Fixture::new();
    f.state = f.state.clone().with_rate_limits(RateLimits {
        visitor: Bucket {
            burst: 3.0,
            per_second: 0.1,
        },
        inbox: Bucket {
            burst: 100.0,
            per_second: 100.0,
        },
    });
    let (visitor, token) = f.visitor().await;
    for i in 0..3 {
        let (status, _) = f
            .say(&visitor, &token, &json!({"text": i.to_string()}))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    let response = f
        .raw(post(
            &format!("/chat/site/visitors/{visitor}/messages"),
            Some(&token),
            r#"{"text":"too fast"}"#,
        ))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // One token comes back every 10 s: the wait is rounded up to whole seconds.
    let wait = retry_after(&response);
    assert!((9..=10).contains(&wait), "{wait}");
    let body = json_body(response).await;
    assert!(
        body["error"].as_str().unwrap().contains("visitor"),
        "{body}"
    );
    let (other, other_token) = f.visitor().await;
    let (status, _) = f.say(&other, &other_token, &json!({"text": "me"})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(f.messages(), 4);
}

#[tokio::test]
async fn the_inbox_limit_holds_every_visitor_together() {
    let mut f = Fixture::new();
    f.state = f.state.clone().with_rate_limits(RateLimits {
        visitor: Bucket {
            burst: 10.0,
            per_second: 10.0,
        },
        inbox: Bucket {
            burst: 3.0,
            per_second: 0.1,
        },
    });
    // Issuing ids counts against the inbox too: two ids and one message fill it.
    let (a, token_a) = f.visitor().await;
    let (_b, _) = f.visitor().await;
    let (status, _) = f.say(&a, &token_a, &json!({"text": "1"})).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let response = f.raw(post("/chat/site/visitors", None, "{}")).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&response);
    assert!((9..=10).contains(&wait), "{wait}");
    let body = json_body(response).await;
    assert!(body["error"].as_str().unwrap().contains("inbox"), "{body}");
    let response = f
        .raw(post(
            &format!("/chat/site/visitors/{a}/messages"),
            Some(&token_a),
            r#"{"text":"2"}"#,
        ))
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // The signed backend route is the shop's own server: never rate limited here.
    let body = json!({"visitor": {"id": "shop-1"}, "text": "from the backend"}).to_string();
    let ts = Timestamp::now().as_second();
    let request = Request::post("/chat/site/messages")
        .header("webhook-id", "b1")
        .header("webhook-timestamp", ts.to_string())
        .header(
            "webhook-signature",
            secret().sign("b1", ts, body.as_bytes()),
        )
        .body(Body::from(body))
        .unwrap();
    assert_eq!(f.raw(request).await.status(), StatusCode::ACCEPTED);
}

fn with_origin(mut request: Request<Body>, origin: &str) -> Request<Body> {
    request
        .headers_mut()
        .insert(header::ORIGIN, origin.parse().unwrap());
    request
}

fn preflight(path: &str, origin: &str) -> Request<Body> {
    Request::options(path)
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization, content-type",
        )
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn cors_answers_listed_origins_only_and_never_on_the_signed_route() {
    let f = Fixture::new();
    let (visitor, token) = f.visitor().await;
    let messages = format!("/chat/site/visitors/{visitor}/messages");

    let response = f.raw(preflight(&messages, SHOP)).await;
    assert!(response.status().is_success(), "{}", response.status());
    let h = response.headers();
    assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], SHOP);
    assert!(
        h[header::ACCESS_CONTROL_ALLOW_METHODS]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    let allowed = h[header::ACCESS_CONTROL_ALLOW_HEADERS].to_str().unwrap();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));

    let response = f
        .raw(with_origin(
            post(&messages, Some(&token), r#"{"text":"hi"}"#),
            SHOP,
        ))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        SHOP
    );
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_EXPOSE_HEADERS],
        "retry-after"
    );
    let response = f
        .raw(with_origin(post("/chat/site/visitors", None, "{}"), SHOP))
        .await;
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        SHOP
    );

    // Another origin: answered, but without a header that would let its page read it.
    let evil = "https://evil.example";
    let response = f.raw(preflight(&messages, evil)).await;
    assert!(
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
    assert!(
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_METHODS)
            .is_none()
    );
    let response = f
        .raw(with_origin(post("/chat/site/visitors", None, "{}"), evil))
        .await;
    assert!(
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
    // An inbox with no origins configured is same-origin only.
    let bare = RelayState::new(f.shared.clone()).with_inbox("site", secret());
    let response = router(bare)
        .oneshot(with_origin(post("/chat/site/visitors", None, "{}"), SHOP))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );

    // The signed backend route never gets CORS headers, even from a listed origin.
    let response = f.raw(preflight("/chat/site/messages", SHOP)).await;
    assert!(
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
    let response = f
        .raw(with_origin(
            post("/chat/site/messages", None, r#"{"text":"x"}"#),
            SHOP,
        ))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response
            .headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .is_none()
    );
}

#[tokio::test]
async fn the_offline_form_lands_in_the_queue_as_a_chat_conversation() {
    let f = Fixture::new();
    let form = json!({"name": "Léa", "email": "lea@example.com", "text": "Rappelez-moi", "client_id": "off-1"});
    let (status, answer) = f
        .send(post("/chat/site/offline", None, &form.to_string()))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    // A new visitor: their id and token come back so the widget can keep them.
    let visitor = answer["visitor_id"].as_str().unwrap().to_owned();
    let token = answer["token"].as_str().unwrap().to_owned();
    let conversation = ConversationId(answer["conversation_id"].as_i64().unwrap());
    let mut store = f.store();
    let c = store.conversation(conversation).unwrap().unwrap();
    assert_eq!(
        (c.channel, c.thread_key.as_str()),
        (Channel::Chat, visitor.as_str())
    );
    assert_eq!(c.customer_name.as_deref(), Some("Léa"));
    let customer = store.customer(c.customer_id).unwrap().unwrap();
    let handles = format!("{:?}", customer.handles);
    assert!(handles.contains("lea@example.com"), "{handles}");

    // A returning visitor's note joins their conversation.
    let again = json!({"name": "Léa", "email": "lea@example.com", "text": "Toujours là ?", "visitor_id": visitor});
    let (status, answer) = f
        .send(post("/chat/site/offline", Some(&token), &again.to_string()))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(
        answer["conversation_id"].as_i64(),
        Some(conversation.0),
        "{answer}"
    );
    assert!(answer.get("token").is_none());
    // Naming a visitor without their token is refused; so is a form without an email.
    let (status, _) = f
        .send(post("/chat/site/offline", None, &again.to_string()))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, answer) = f
        .send(post(
            "/chat/site/offline",
            None,
            r#"{"name":"Léa","text":"x"}"#,
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["error"].as_str().unwrap().contains("email"));
    assert_eq!(f.messages(), 2);
}

// ---- the event stream, over a real socket ----

/// A raw HTTP/1.1 client reading one `text/event-stream` response.
struct EventClient {
    stream: TcpStream,
    buffer: Vec<u8>,
    /// The decoded body not yet parsed into events.
    body: String,
    status: u16,
}

/// One server-sent event.
#[derive(Debug)]
struct Sse {
    event: String,
    id: String,
    data: Value,
}

const DEADLINE: Duration = Duration::from_secs(20);

impl EventClient {
    async fn connect(
        addr: std::net::SocketAddr,
        visitor: &str,
        token: &str,
        last_event_id: Option<i64>,
    ) -> EventClient {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut request = format!(
            "GET /chat/site/visitors/{visitor}/events?token={token} HTTP/1.1\r\n\
             Host: relay\r\nAccept: text/event-stream\r\n"
        );
        if let Some(id) = last_event_id {
            request.push_str(&format!("Last-Event-ID: {id}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut client = EventClient {
            stream,
            buffer: Vec::new(),
            body: String::new(),
            status: 0,
        };
        let head = client.read_until(b"\r\n\r\n").await;
        let head = String::from_utf8(head).unwrap();
        client.status = head.split(' ').nth(1).unwrap().parse().unwrap();
        if client.status == 200 {
            assert!(head.contains("text/event-stream"), "{head}");
            let head = head.to_ascii_lowercase();
            assert!(head.contains("transfer-encoding: chunked"), "{head}");
            assert!(head.contains("x-accel-buffering: no"), "{head}");
        }
        client
    }

    async fn fill(&mut self) {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(DEADLINE, self.stream.read(&mut chunk))
            .await
            .expect("the stream sends in time")
            .unwrap();
        assert!(n > 0, "the stream closed");
        self.buffer.extend_from_slice(&chunk[..n]);
    }

    /// Bytes up to and including `end`.
    async fn read_until(&mut self, end: &[u8]) -> Vec<u8> {
        loop {
            if let Some(at) = self.buffer.windows(end.len()).position(|w| w == end) {
                return self.buffer.drain(..at + end.len()).collect();
            }
            self.fill().await;
        }
    }

    async fn read_exact(&mut self, n: usize) -> Vec<u8> {
        while self.buffer.len() < n {
            self.fill().await;
        }
        self.buffer.drain(..n).collect()
    }

    /// The next event, comments (keep-alives) skipped.
    async fn next(&mut self) -> Sse {
        loop {
            if let Some(at) = self.body.find("\n\n") {
                let block: String = self.body.drain(..at + 2).collect();
                let mut event = Sse {
                    event: String::new(),
                    id: String::new(),
                    data: Value::Null,
                };
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event.event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        event.id = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                    }
                }
                if event.event.is_empty() && data.is_empty() {
                    continue;
                }
                event.data = serde_json::from_str(&data).unwrap_or(Value::String(data));
                return event;
            }
            // One chunk of the chunked body.
            let size = self.read_until(b"\r\n").await;
            let size = std::str::from_utf8(&size).unwrap().trim();
            let size = usize::from_str_radix(size, 16).unwrap();
            assert!(size > 0, "the stream ended");
            let chunk = self.read_exact(size + 2).await;
            self.body
                .push_str(std::str::from_utf8(&chunk[..size]).unwrap());
        }
    }

    /// The next `message` event's data.
    async fn message(&mut self) -> Value {
        loop {
            let e = self.next().await;
            if e.event == "message" {
                assert_eq!(e.id, e.data["id"].to_string(), "{e:?}");
                return e.data;
            }
        }
    }
}

async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

struct Running {
    addr: std::net::SocketAddr,
    _stop: watch::Sender<bool>,
}

async fn start(state: RelayState) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(serve(listener, state, stopped));
    Running { addr, _stop: stop }
}

#[tokio::test]
async fn the_stream_replays_the_conversation_without_notes_then_follows_it_live() {
    let f = Fixture::new();
    let running = start(f.state.clone()).await;
    let (visitor, token) = f.visitor().await;
    let (_, first) = f
        .say(&visitor, &token, &json!({"text": "Bonjour", "name": "Ana"}))
        .await;
    let conversation = ConversationId(first["conversation_id"].as_i64().unwrap());
    let (_, second) = f
        .say(
            &visitor,
            &token,
            &json!({"text": "<script>alert(1)</script>"}),
        )
        .await;
    let mut store = f.store();
    let agent = store.ensure_agent("Camille").unwrap();
    store
        .add_note(
            conversation,
            agent,
            "secret: VIP customer",
            Timestamp::now(),
        )
        .unwrap();

    let mut client = EventClient::connect(running.addr, &visitor, &token, None).await;
    assert_eq!(client.status, 200);
    let m1 = client.message().await;
    assert_eq!(m1["id"], first["message_id"]);
    assert_eq!(m1["from"], "visitor");
    assert_eq!(m1["author"], "Ana");
    assert_eq!(m1["text"], "Bonjour");
    assert!(m1["sent_at"].as_str().unwrap().parse::<Timestamp>().is_ok());
    let m2 = client.message().await;
    assert_eq!(m2["id"], second["message_id"]);
    assert_eq!(m2["text"], "<script>alert(1)</script>");

    // Reconnecting with Last-Event-ID replays only what is newer.
    let first_id = first["message_id"].as_i64().unwrap();
    let mut resumed = EventClient::connect(running.addr, &visitor, &token, Some(first_id)).await;
    assert_eq!(resumed.message().await["id"], second["message_id"]);

    // An agent's reply, queued and delivered by a real outbox with the chat channel,
    // arrives live on both open streams, once.
    let reply = store
        .queue_reply(conversation, agent, "Bonjour Ana !", Timestamp::now())
        .unwrap();
    let mut outbox = Outbox::new(f.shared.clone(), RetryPolicy::default());
    outbox.add_channel(Arc::new(ChatChannel::new(
        "site",
        f.state.hub().clone(),
        f.shared.clone(),
    )));
    assert_eq!(outbox.deliver_due().await.unwrap(), 1);
    for stream in [&mut client, &mut resumed] {
        let live = stream.message().await;
        assert_eq!(live["id"], reply.0);
        assert_eq!(live["from"], "agent");
        assert_eq!(live["author"], "Camille");
        assert_eq!(live["text"], "Bonjour Ana !");
    }
    let delivered = store.message(reply).unwrap().unwrap().delivery;
    assert_eq!(
        delivered,
        Some(Delivery::Sent {
            channel_message_id: format!("chat:{}", reply.0)
        })
    );
    // The next event is the visitor's next message, not the reply again, and never the note.
    let (_, third) = f.say(&visitor, &token, &json!({"text": "Merci"})).await;
    let next = client.message().await;
    assert_eq!(next["id"], third["message_id"]);
    assert_eq!(next["text"], "Merci");
    assert!(!client.body.contains("VIP") && !resumed.body.contains("VIP"));
}

#[tokio::test]
async fn a_reply_queued_before_a_visitor_message_is_not_lost_to_the_ordering() {
    let f = Fixture::new();
    let running = start(f.state.clone()).await;
    let (visitor, token) = f.visitor().await;
    let (_, first) = f.say(&visitor, &token, &json!({"text": "Allô"})).await;
    let conversation = ConversationId(first["conversation_id"].as_i64().unwrap());
    let mut client = EventClient::connect(running.addr, &visitor, &token, None).await;
    assert_eq!(client.message().await["id"], first["message_id"]);
    // The reply is queued (an older id) and the visitor writes before it is delivered.
    let mut store = f.store();
    let agent = store.ensure_agent("Camille").unwrap();
    let reply = store
        .queue_reply(conversation, agent, "Oui ?", Timestamp::now())
        .unwrap();
    let (_, later) = f
        .say(&visitor, &token, &json!({"text": "Vous êtes là ?"}))
        .await;
    assert_eq!(client.message().await["id"], reply.0);
    assert_eq!(client.message().await["id"], later["message_id"]);
    // Delivering the reply now sends nothing twice: the next event is the next message.
    let mut outbox = Outbox::new(f.shared.clone(), RetryPolicy::default());
    outbox.add_channel(Arc::new(ChatChannel::new(
        "site",
        f.state.hub().clone(),
        f.shared.clone(),
    )));
    outbox.deliver_due().await.unwrap();
    let (_, last) = f.say(&visitor, &token, &json!({"text": "Ah, merci"})).await;
    assert_eq!(client.message().await["id"], last["message_id"]);
}

#[tokio::test]
async fn streams_need_the_token_are_bounded_and_free_their_slot_when_the_client_goes() {
    let mut f = Fixture::new();
    f.state = f.state.clone().with_stream_limits(StreamLimits {
        per_visitor: 1,
        total: 2,
    });
    let running = start(f.state.clone()).await;
    let (visitor, token) = f.visitor().await;
    let (other, other_token) = f.visitor().await;

    let wrong = EventClient::connect(running.addr, &visitor, &other_token, None).await;
    assert_eq!(wrong.status, 401);
    let client = EventClient::connect(running.addr, &visitor, &token, None).await;
    assert_eq!(client.status, 200);
    assert_eq!(f.state.open_streams(), 1);
    // A second tab of the same visitor is over their limit.
    let second = EventClient::connect(running.addr, &visitor, &token, None).await;
    assert_eq!(second.status, 429);
    let theirs = EventClient::connect(running.addr, &other, &other_token, None).await;
    assert_eq!(theirs.status, 200);
    // The relay is full.
    let (third, third_token) = f.visitor().await;
    let full = EventClient::connect(running.addr, &third, &third_token, None).await;
    assert_eq!(full.status, 503);

    // A client that goes frees its slot at once, not at the next keep-alive.
    drop(client);
    let state = f.state.clone();
    wait_until("the dropped stream's slot is freed", || {
        state.open_streams() == 1
    })
    .await;
    let back = EventClient::connect(running.addr, &visitor, &token, None).await;
    assert_eq!(back.status, 200);
    drop(theirs);
    drop(back);
    wait_until("every slot is freed", || state.open_streams() == 0).await;
}

#[tokio::test]
async fn a_status_event_comes_first_and_again_when_availability_changes() {
    let mut f = Fixture::new();
    f.state = f.state.clone().with_presence(
        BusinessHours::always(),
        PresenceConfig {
            idle_minutes: 10,
            grace_seconds: 0,
        },
    );
    let running = start(f.state.clone()).await;
    let (visitor, token) = f.visitor().await;
    let (_, first) = f
        .say(&visitor, &token, &json!({"text": "Quelqu'un ?"}))
        .await;
    let mut client = EventClient::connect(running.addr, &visitor, &token, None).await;
    let status = client.next().await;
    assert_eq!(status.event, "status");
    assert_eq!(status.data, json!({"available": false}));
    assert_eq!(client.message().await["id"], first["message_id"]);

    // An agent at their desk: the open stream hears it without reconnecting.
    let mut store = f.store();
    let agent = store.ensure_agent("Camille").unwrap();
    let now = Timestamp::now();
    store
        .set_availability_at(agent, Availability::Available, now)
        .unwrap();
    store.record_input(agent, now).unwrap();
    store.touch_agent(agent, now).unwrap();
    let status = client.next().await;
    assert_eq!(status.event, "status");
    assert_eq!(status.data, json!({"available": true}));
    // And when they step away (no grace configured).
    store
        .set_availability_at(agent, Availability::Away, Timestamp::now())
        .unwrap();
    let status = client.next().await;
    assert_eq!(status.event, "status");
    assert_eq!(status.data, json!({"available": false}));
}

// ---- through the `comptoir serve` binary ----

/// One request over a fresh connection that closes after it: status, head, body.
async fn http(addr: std::net::SocketAddr, request: &str) -> (u16, String, String) {
    let answer = common::http::exchange(addr, request).await;
    (answer.status, answer.head, answer.body)
}

fn request(method: &str, path: &str, headers: &str, body: &str) -> String {
    format!(
        "{method} {path} HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n{headers}\r\n{body}",
        body.len()
    )
}

/// The shop's backend: keeps the bodies POSTed to its callback.
async fn callback_sink() -> (Arc<std::sync::Mutex<Vec<Value>>>, String) {
    let received: Arc<std::sync::Mutex<Vec<Value>>> = Arc::default();
    let keep = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let keep = Arc::clone(&keep);
            async move {
                keep.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (received, url)
}

#[tokio::test]
async fn comptoir_serve_relays_a_visitor_chat_both_ways() {
    let home = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let (callbacks, callback_url) = callback_sink().await;
    std::fs::write(home.path().join("chat-secret"), format!("{SECRET}\n")).unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            r#"[relay]
listen = "127.0.0.1:{port}"

[[chat]]
name = "site"
secret_file = "{secret}"
callback_url = "{callback_url}"
origins = ["{SHOP}"]
"#,
            secret = home.path().join("chat-secret").display(),
        ),
    )
    .unwrap();
    let data_dir = home.path().join("store");
    let mut child = common::comptoir_in(home.path())
        .arg("--config")
        .arg(home.path().join("config.toml"))
        .arg("--data-dir")
        .arg(&data_dir)
        .arg("serve")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + DEADLINE;
    loop {
        if TcpStream::connect(addr).await.is_ok()
            && http(
                addr,
                "GET /healthz HTTP/1.1\r\nHost: r\r\nConnection: close\r\n\r\n",
            )
            .await
            .0 == 200
        {
            break;
        }
        assert!(Instant::now() < deadline, "the relay never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (status, head, body) = http(
        addr,
        &request(
            "POST",
            "/chat/site/visitors",
            &format!("Origin: {SHOP}\r\n"),
            "{}",
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert!(
        head.contains(&format!("access-control-allow-origin: {SHOP}")),
        "{head}"
    );
    let visitor: Value = serde_json::from_str(&body).unwrap();
    let (id, token) = (
        visitor["visitor_id"].as_str().unwrap(),
        visitor["token"].as_str().unwrap(),
    );
    let (status, _, body) = http(
        addr,
        &request(
            "POST",
            &format!("/chat/site/visitors/{id}/messages"),
            &format!("Authorization: Bearer {token}\r\n"),
            r#"{"text":"Bonjour","name":"Ana"}"#,
        ),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    let posted: Value = serde_json::from_str(&body).unwrap();
    let mut stream = EventClient::connect(addr, id, token, None).await;
    assert_eq!(stream.message().await["text"], "Bonjour");

    // An agent replies from another process (a TUI): serve's outbox delivers it to the
    // open stream and to the shop's callback.
    let mut store = Store::open(&data_dir.join("store.sqlite")).unwrap();
    let agent = store.ensure_agent("Camille").unwrap();
    let conversation = ConversationId(posted["conversation_id"].as_i64().unwrap());
    let reply = store
        .queue_reply(conversation, agent, "Bonjour Ana", Timestamp::now())
        .unwrap();
    let live = stream.message().await;
    assert_eq!(
        (live["id"].as_i64(), &live["from"]),
        (Some(reply.0), &json!("agent"))
    );
    wait_until("the callback got the reply", || {
        !callbacks.lock().unwrap().is_empty()
    })
    .await;
    let got = callbacks.lock().unwrap()[0].clone();
    assert_eq!(got["visitor"]["id"], id);
    assert_eq!(got["text"], "Bonjour Ana");
    let deadline = Instant::now() + DEADLINE;
    while !matches!(
        store.message(reply).unwrap().unwrap().delivery,
        Some(Delivery::Sent { .. })
    ) {
        assert!(Instant::now() < deadline, "the reply is not marked sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(code) = child.try_wait().unwrap() {
            assert!(code.success(), "serve exit {code:?}");
            break;
        }
        assert!(Instant::now() < deadline, "serve did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn chat_origins_are_read_from_the_config_and_a_bad_one_names_its_line() {
    let path = std::path::Path::new("/etc/comptoir.toml");
    let good = format!(
        "[relay]\nlisten = \"127.0.0.1:1\"\n[[chat]]\nname = \"site\"\nsecret_file = \"/s\"\norigins = [\"{SHOP}\", \"http://localhost:8080\"]\n"
    );
    let cfg = comptoir::config::parse(&good, path).unwrap();
    assert_eq!(cfg.chat[0].origins, vec![SHOP, "http://localhost:8080"]);
    let none = comptoir::config::parse(
        "[relay]\nlisten = \"127.0.0.1:1\"\n[[chat]]\nname = \"site\"\nsecret_file = \"/s\"\n",
        path,
    )
    .unwrap();
    assert!(none.chat[0].origins.is_empty());
    for bad in [
        "https://boutique.example/",
        "boutique.example",
        "https://a b",
    ] {
        let text = format!(
            "[relay]\nlisten = \"127.0.0.1:1\"\n[[chat]]\nname = \"site\"\nsecret_file = \"/s\"\norigins = [\"{bad}\"]\n"
        );
        let err = comptoir::config::parse(&text, path)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("origins") && err.contains(":6:"),
            "{bad}: {err}"
        );
    }
}
