//! The chat relay's first slice: `POST /chat/{name}/messages` and `GET /healthz`, driven
//! with tower's `oneshot` on the router for every status code, over a real socket for
//! `serve` and a stalling client, and through the `comptoir serve` binary.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use comptoir::channels::relay::server::{
    MAX_BODY_BYTES, MAX_HEADER_BYTES, RelayState, router, serve,
};
use comptoir::channels::relay::signature::WebhookSecret;
use comptoir::ingest::MAX_TEXT_BYTES;
use comptoir::model::{Channel, ConversationId};
use comptoir::store::{SharedStore, Store, StoreOptions};
use jiff::Timestamp;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

const SECRET: &str = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

fn secret() -> WebhookSecret {
    WebhookSecret::parse(SECRET).unwrap()
}

/// A store in a temp dir, the relay's state on it serving inbox `site`, and a second
/// connection to check what was stored.
struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    state: RelayState,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::with_options(StoreOptions::default())
    }

    fn with_options(options: StoreOptions) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        let store = Store::open_with(&path, options).unwrap();
        let state = RelayState::new(SharedStore::new(store)).with_inbox("site", secret());
        Fixture {
            _dir: dir,
            path,
            state,
        }
    }

    fn store(&self) -> Store {
        Store::open(&self.path).unwrap()
    }

    fn messages(&self) -> u64 {
        self.store().message_count().unwrap()
    }

    /// Sends one request through the router; the status and the body as JSON.
    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        send_to(self.state.clone(), request).await
    }
}

async fn send_to(state: RelayState, request: Request<Body>) -> (StatusCode, Value) {
    let response = router(state).oneshot(request).await.unwrap();
    let status = response.status();
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/json",
        "every answer is JSON ({status})"
    );
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

fn now() -> i64 {
    Timestamp::now().as_second()
}

/// Request headers as (name, value).
type Headers = Vec<(&'static str, String)>;

/// The three Standard Webhooks headers for `body`, signed with `secret` at `ts`.
fn signed_with(
    secret: &WebhookSecret,
    id: &str,
    ts: i64,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    vec![
        ("webhook-id", id.to_owned()),
        ("webhook-timestamp", ts.to_string()),
        ("webhook-signature", secret.sign(id, ts, body)),
    ]
}

fn post(path: &str, headers: &[(&'static str, String)], body: impl Into<Vec<u8>>) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.body(Body::from(body.into())).unwrap()
}

/// A message signed by the right secret, now.
fn signed_post(id: &str, body: &str) -> Request<Body> {
    let headers = signed_with(&secret(), id, now(), body.as_bytes());
    post("/chat/site/messages", &headers, body)
}

fn chat_body(visitor: &str, text: &str) -> String {
    json!({"visitor": {"id": visitor, "name": "Ana <b>", "email": "ana@example.com"}, "text": text})
        .to_string()
}

#[tokio::test]
async fn a_signed_message_is_committed_and_answered_202_with_its_ids() {
    let f = Fixture::new();
    let body = json!({
        "visitor": {"id": "visitor-1", "name": "Ana", "email": "ana@example.com"},
        "text": "Is the blue mug in stock?",
        "sent_at": "2026-11-23T09:30:00+01:00",
        "page": "/mugs/blue"
    })
    .to_string();
    let (status, answer) = f.send(signed_post("msg_1", &body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let conversation = ConversationId(answer["conversation_id"].as_i64().unwrap());
    let message = answer["message_id"].as_i64().unwrap();
    assert_eq!(answer.as_object().unwrap().len(), 2, "{answer}");

    // Committed before the answer: another connection sees it at once.
    let mut store = f.store();
    let c = store
        .conversation(conversation)
        .unwrap()
        .expect("conversation");
    assert_eq!(c.channel, Channel::Chat);
    assert_eq!(c.account, "site");
    assert_eq!(c.thread_key, "visitor-1");
    assert_eq!(c.peer, "visitor-1");
    assert_eq!(c.customer_name.as_deref(), Some("Ana"));
    let thread = store.thread(conversation).unwrap();
    assert_eq!(thread.len(), 1);
    assert_eq!(thread[0].id.0, message);
    assert_eq!(thread[0].body, "Is the blue mug in stock?");
    assert_eq!(thread[0].external_id.as_deref(), Some("msg_1"));
    assert_eq!(
        thread[0].sent_at,
        "2026-11-23T08:30:00Z".parse::<Timestamp>().unwrap()
    );

    // The same visitor's next message joins the conversation.
    let (status, answer) = f
        .send(signed_post("msg_2", &chat_body("visitor-1", "Hello?")))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["conversation_id"].as_i64(), Some(conversation.0));
    assert_eq!(f.messages(), 2);
}

#[tokio::test]
async fn malformed_bodies_are_400_naming_the_field_and_store_nothing() {
    let f = Fixture::new();
    let long_id = "v".repeat(300);
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), "not JSON"),
        ("[1,2]".into(), "JSON object"),
        (json!({"text": "hi"}).to_string(), "visitor is missing"),
        (
            json!({"visitor": {"name": "Ana"}, "text": "hi"}).to_string(),
            "visitor.id is missing",
        ),
        (
            json!({"visitor": {"id": 42}, "text": "hi"}).to_string(),
            "visitor.id must be a string",
        ),
        (
            json!({"visitor": {"id": long_id}, "text": "hi"}).to_string(),
            "visitor.id is over",
        ),
        (
            json!({"visitor": {"id": "v"}, "text": ""}).to_string(),
            "text is empty",
        ),
        (
            json!({"visitor": {"id": "v"}, "text": ["hi"]}).to_string(),
            "text must be a string",
        ),
        (
            json!({"visitor": {"id": "v"}}).to_string(),
            "text is missing",
        ),
        (
            json!({"visitor": {"id": "v"}, "text": "hi", "sent_at": "last tuesday"}).to_string(),
            "sent_at",
        ),
        (
            json!({"visitor": {"id": "v", "email": "no-at-sign"}, "text": "hi"}).to_string(),
            "visitor.email",
        ),
    ];
    for (i, (body, reason)) in cases.iter().enumerate() {
        let (status, answer) = f.send(signed_post(&format!("bad_{i}"), body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(reason), "{body}: {error:?} lacks {reason:?}");
    }
    assert_eq!(f.messages(), 0);
}

#[tokio::test]
async fn text_over_the_ingest_limit_is_400_even_when_the_body_limit_allows_it() {
    let f = Fixture::new();
    let state = f.state.clone().with_body_limit(MAX_TEXT_BYTES + 4096);
    let body = chat_body("v", &"x".repeat(MAX_TEXT_BYTES + 1));
    let (status, answer) = send_to(state.clone(), signed_post("big", &body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("text is over"));
    let body = chat_body("v", &"x".repeat(MAX_TEXT_BYTES));
    let (status, answer) = send_to(state, signed_post("just_fits", &body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(f.messages(), 1);
}

#[tokio::test]
async fn bad_or_missing_signatures_are_401_with_the_reason_and_store_nothing() {
    let f = Fixture::new();
    let body = chat_body("v", "hi");
    let ts = now();
    let good = signed_with(&secret(), "sig_1", ts, body.as_bytes());
    let without = |name: &str| -> Vec<(&'static str, String)> {
        good.iter().filter(|(n, _)| *n != name).cloned().collect()
    };
    let wrong_secret = WebhookSecret::from_bytes(vec![9; 32]);
    let cases: Vec<(&str, Headers, String, &str)> = vec![
        (
            "tampered body",
            good.clone(),
            chat_body("v", "hi!"),
            "no matching signature",
        ),
        (
            "wrong secret",
            signed_with(&wrong_secret, "sig_1", ts, body.as_bytes()),
            body.clone(),
            "no matching signature",
        ),
        (
            "stale",
            signed_with(&secret(), "sig_1", ts - 301, body.as_bytes()),
            body.clone(),
            "too old",
        ),
        (
            "future",
            signed_with(&secret(), "sig_1", ts + 301, body.as_bytes()),
            body.clone(),
            "future",
        ),
        (
            "no id",
            without("webhook-id"),
            body.clone(),
            "missing header webhook-id",
        ),
        (
            "no timestamp",
            without("webhook-timestamp"),
            body.clone(),
            "missing header webhook-timestamp",
        ),
        (
            "no signature",
            without("webhook-signature"),
            body.clone(),
            "missing header webhook-signature",
        ),
        (
            "timestamp not a number",
            vec![
                ("webhook-id", "sig_1".into()),
                ("webhook-timestamp", "yesterday".into()),
                ("webhook-signature", good[2].1.clone()),
            ],
            body.clone(),
            "not a Unix time",
        ),
        (
            "only other versions",
            vec![
                ("webhook-id", "sig_1".into()),
                ("webhook-timestamp", ts.to_string()),
                ("webhook-signature", good[2].1.replacen("v1,", "v1a,", 1)),
            ],
            body.clone(),
            "no matching signature",
        ),
    ];
    for (what, headers, body, reason) in cases {
        let (status, answer) = f.send(post("/chat/site/messages", &headers, body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(error.contains(reason), "{what}: {error:?} lacks {reason:?}");
    }
    assert_eq!(f.messages(), 0);

    // Key rotation: several signatures, one of them valid, is accepted.
    let rotated = format!(
        "v1,{} {} v1a,ignored",
        wrong_secret.sign("sig_1", ts, body.as_bytes())[3..].to_owned(),
        good[2].1
    );
    let headers = vec![
        ("webhook-id", "sig_1".to_owned()),
        ("webhook-timestamp", ts.to_string()),
        ("webhook-signature", rotated),
    ];
    let (status, answer) = f.send(post("/chat/site/messages", &headers, body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(f.messages(), 1);
}

#[tokio::test]
async fn unknown_inboxes_and_routes_are_404_in_json() {
    let f = Fixture::new();
    let body = chat_body("v", "hi");
    let headers = signed_with(&secret(), "x_1", now(), body.as_bytes());
    let (status, answer) = f
        .send(post("/chat/elsewhere/messages", &headers, body.clone()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["error"], "no such chat inbox");
    let (status, answer) = f.send(post("/chat/site/nothing", &headers, body)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["error"], "not found");
    assert_eq!(f.messages(), 0);
}

#[tokio::test]
async fn healthz_answers_200() {
    let f = Fixture::new();
    let request = Request::get("/healthz").body(Body::empty()).unwrap();
    let (status, answer) = f.send(request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["status"], "ok");
}

#[tokio::test]
async fn an_oversized_body_is_413_whether_or_not_it_declares_its_length() {
    let f = Fixture::new();
    let body = chat_body("v", &"x".repeat(MAX_BODY_BYTES));
    let (status, answer) = f.send(signed_post("huge_1", &body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("65536"));

    // Streamed without a Content-Length: refused once the limit is passed, and the
    // stream is not read to its end (it would never end).
    let headers = signed_with(&secret(), "huge_2", now(), b"");
    let chunk = axum::body::Bytes::from(vec![b'x'; 8192]);
    let endless = futures::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
    let mut request = Request::post("/chat/site/messages");
    for (name, value) in &headers {
        request = request.header(*name, value);
    }
    let request = request.body(Body::from_stream(endless)).unwrap();
    let (status, _) = tokio::time::timeout(Duration::from_secs(10), f.send(request))
        .await
        .expect("an endless body is cut off");
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(f.messages(), 0);
}

#[tokio::test]
async fn a_replayed_webhook_id_gets_the_first_answer_and_is_stored_once() {
    let f = Fixture::new();
    let body = chat_body("visitor-9", "Where is my parcel?");
    let first = signed_with(&secret(), "msg_replay", now() - 60, body.as_bytes());
    let (status, answer) = f
        .send(post("/chat/site/messages", &first, body.clone()))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");

    // The same request again, a retry signed at a new time, and even a retry whose body
    // changed: all get the first answer, and only the first message is stored.
    let retry = signed_with(&secret(), "msg_replay", now(), body.as_bytes());
    let changed = chat_body("visitor-9", "Where is my parcel??");
    let changed_headers = signed_with(&secret(), "msg_replay", now(), changed.as_bytes());
    let malformed = "{}";
    let malformed_headers = signed_with(&secret(), "msg_replay", now(), malformed.as_bytes());
    for (headers, body) in [
        (&first, body.clone()),
        (&retry, body.clone()),
        (&changed_headers, changed),
        (&malformed_headers, malformed.to_owned()),
    ] {
        let (again, replay) = f.send(post("/chat/site/messages", headers, body)).await;
        assert_eq!((again, &replay), (status, &answer));
    }
    assert_eq!(f.messages(), 1);
    let mut store = f.store();
    let conversation = ConversationId(answer["conversation_id"].as_i64().unwrap());
    assert_eq!(
        store.thread(conversation).unwrap()[0].body,
        "Where is my parcel?"
    );

    // The same id in another inbox is another message.
    let state = f.state.clone().with_inbox("other", secret());
    let headers = signed_with(&secret(), "msg_replay", now(), body.as_bytes());
    let (status, other) = send_to(state, post("/chat/other/messages", &headers, body)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_ne!(other, answer);
    assert_eq!(f.messages(), 2);
}

#[tokio::test]
async fn a_store_that_cannot_take_the_message_is_503_with_retry_after_and_the_retry_lands() {
    let f = Fixture::with_options(StoreOptions {
        busy_timeout: Duration::from_millis(200),
        ..StoreOptions::default()
    });
    // Another process holds the write lock past the relay's busy timeout.
    let blocker = rusqlite::Connection::open(&f.path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let body = chat_body("v", "hi");
    let response = router(f.state.clone())
        .oneshot(signed_post("busy_1", &body))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::RETRY_AFTER], "5");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(answer["error"].as_str().unwrap().contains("try again"));
    blocker.execute_batch("ROLLBACK").unwrap();
    assert_eq!(f.messages(), 0);

    let (status, answer) = f.send(signed_post("busy_1", &body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(f.messages(), 1);
}

/// One HTTP/1.1 exchange over a fresh connection: the status and the body.
async fn exchange(stream: &mut TcpStream, request: &[u8]) -> (u16, String) {
    stream.write_all(request).await.unwrap();
    let answer = common::http::read_answer(stream).await;
    (answer.status, answer.body)
}

fn raw_post(id: &str, body: &str) -> Vec<u8> {
    let mut request = format!(
        "POST /chat/site/messages HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in signed_with(&secret(), id, now(), body.as_bytes()) {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    request.into_bytes()
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n";

#[tokio::test]
async fn serve_answers_on_a_real_socket_and_stops_on_shutdown() {
    let f = Fixture::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(serve(listener, f.state.clone(), stopped));

    let mut conn = TcpStream::connect(addr).await.unwrap();
    let (status, body) = exchange(&mut conn, HEALTHZ).await;
    assert_eq!(status, 200, "{body}");
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let (status, body) = exchange(&mut conn, &raw_post("sock_1", &chat_body("v", "hi"))).await;
    assert_eq!(status, 202, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert!(answer["message_id"].is_i64(), "{body}");
    assert_eq!(f.messages(), 1);
    // An oversized request head is refused before any handler runs.
    let huge_head = format!(
        "GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\nX-Pad: {}\r\n\r\n",
        "p".repeat(MAX_HEADER_BYTES)
    );
    let mut conn = TcpStream::connect(addr).await.unwrap();
    assert_eq!(exchange(&mut conn, huge_head.as_bytes()).await.0, 431);

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("serve returns after shutdown")
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the port is closed"
    );
}

#[tokio::test]
async fn stalled_clients_are_cut_off_and_do_not_block_others() {
    let f = Fixture::new();
    let state = f.state.clone().with_read_timeout(Duration::from_secs(3));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_stop, stopped) = watch::channel(false);
    tokio::spawn(serve(listener, state, stopped));

    // Headers and half the body, then nothing.
    let body = chat_body("slow", "I type slowly");
    let full = raw_post("slow_1", &body);
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(&full[..full.len() - body.len() / 2])
        .await
        .unwrap();

    // Half a request head, then nothing; and a connection that never says a word.
    let mut mute = TcpStream::connect(addr).await.unwrap();
    mute.write_all(b"POST /chat/site/messages HTTP/1.1\r\nHost: relay\r\n")
        .await
        .unwrap();
    let mut silent = TcpStream::connect(addr).await.unwrap();

    // Meanwhile others are served: several messages and a health check.
    for i in 0..3 {
        let mut conn = TcpStream::connect(addr).await.unwrap();
        let (status, answer) = exchange(
            &mut conn,
            &raw_post(&format!("fast_{i}"), &chat_body("fast", "hi")),
        )
        .await;
        assert_eq!(status, 202, "{answer}");
    }
    let mut conn = TcpStream::connect(addr).await.unwrap();
    assert_eq!(exchange(&mut conn, HEALTHZ).await.0, 200);
    // ...while the stalled one is still waiting for its answer.
    for (what, conn) in [("slow", &slow), ("mute", &mute), ("silent", &silent)] {
        let mut probe = [0u8; 1];
        assert!(
            matches!(conn.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "the {what} client was answered before the others were served"
        );
    }

    let common::http::Answer {
        status,
        body: answer,
        ..
    } = common::http::read_answer(&mut slow).await;
    assert_eq!(status, 408, "{answer}");
    assert!(answer.contains("did not arrive"), "{answer}");
    // A head that never ends is cut off too, the connection closed.
    for (what, conn) in [("mute", &mut mute), ("silent", &mut silent)] {
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(20), conn.read_to_end(&mut rest))
            .await
            .unwrap_or_else(|_| panic!("the {what} connection was left open"))
            .unwrap();
    }
    assert_eq!(f.messages(), 3);
}

/// `comptoir serve` with only a relay and a chat inbox, in a home of its own.
struct ServeSetup {
    home: tempfile::TempDir,
    port: u16,
}

impl ServeSetup {
    fn new() -> ServeSetup {
        // A free port, released for serve to bind (the window for another process to
        // take it is the few milliseconds before serve starts).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        ServeSetup::on_port(port)
    }

    fn on_port(port: u16) -> ServeSetup {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("chat-secret"), format!("{SECRET}\n")).unwrap();
        std::fs::write(home.path().join("bad-secret"), "whsec_tooshort\n").unwrap();
        let config = format!(
            r#"[relay]
listen = "127.0.0.1:{port}"

[[chat]]
name = "site"
secret_file = "{good}"

[[chat]]
name = "broken"
secret_file = "{bad}"
"#,
            good = home.path().join("chat-secret").display(),
            bad = home.path().join("bad-secret").display(),
        );
        std::fs::write(home.path().join("config.toml"), config).unwrap();
        ServeSetup { home, port }
    }

    fn data_dir(&self) -> PathBuf {
        self.home.path().join("store")
    }

    fn start(&self) -> Child {
        let home = self.home.path();
        common::comptoir_in(home)
            .arg("--config")
            .arg(home.join("config.toml"))
            .arg("--data-dir")
            .arg(self.data_dir())
            .arg("serve")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start comptoir serve")
    }

    fn log(&self) -> String {
        log_text(&self.home.path().join("state").join("comptoir").join("logs"))
    }
}

fn log_text(dir: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return String::new();
    };
    entries
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect()
}

async fn until_healthy(port: u16) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(mut conn) = TcpStream::connect(("127.0.0.1", port)).await
            && exchange(&mut conn, HEALTHZ).await.0 == 200
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relay never answered /healthz"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn comptoir_serve_runs_the_relay_for_each_chat_inbox_with_a_usable_secret() {
    let setup = ServeSetup::new();
    let mut child = setup.start();
    until_healthy(setup.port).await;

    let mut conn = TcpStream::connect(("127.0.0.1", setup.port)).await.unwrap();
    let (status, body) = exchange(&mut conn, &raw_post("bin_1", &chat_body("v", "hi"))).await;
    assert_eq!(status, 202, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    let mut store = Store::open(&setup.data_dir().join("store.sqlite")).unwrap();
    let thread = store
        .thread(ConversationId(answer["conversation_id"].as_i64().unwrap()))
        .unwrap();
    assert_eq!(thread[0].body, "hi");

    // The inbox whose secret is malformed is not served, and the log says why without
    // the secret.
    let request = for_inbox(raw_post("bin_2", &chat_body("v", "hi")), "broken");
    let mut conn = TcpStream::connect(("127.0.0.1", setup.port)).await.unwrap();
    assert_eq!(exchange(&mut conn, &request).await.0, 404);
    let log = setup.log();
    assert!(log.contains("chat inbox not served"), "{log}");
    assert!(!log.contains("tooshort"), "the log holds a secret: {log}");

    terminate(&mut child).await;
}

/// SIGTERM, then a clean exit within a deadline.
async fn terminate(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(code) = child.try_wait().unwrap() {
            break code;
        }
        assert!(std::time::Instant::now() < deadline, "serve did not exit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(code.success(), "serve exit {code:?}");
}

#[tokio::test]
async fn a_relay_address_in_use_is_logged_and_serve_keeps_running() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let setup = ServeSetup::on_port(taken.local_addr().unwrap().port());
    let mut child = setup.start();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let log = loop {
        let log = setup.log();
        if log.contains("the relay is not running") {
            break log;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "serve exited: {}",
            setup.log()
        );
        assert!(tokio::time::Instant::now() < deadline, "no log line: {log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        log.contains(&format!("cannot listen on 127.0.0.1:{}", setup.port)),
        "{log}"
    );
    assert!(child.try_wait().unwrap().is_none(), "serve exited");
    terminate(&mut child).await;
}

/// The same request sent to another inbox's path.
fn for_inbox(request: Vec<u8>, inbox: &str) -> Vec<u8> {
    String::from_utf8(request)
        .unwrap()
        .replacen("/chat/site/", &format!("/chat/{inbox}/"), 1)
        .into_bytes()
}

#[test]
fn config_check_reports_a_chat_secret_that_reads_but_is_not_a_webhook_secret() {
    let setup = ServeSetup::new();
    let home = setup.home.path();
    let output = common::comptoir_in(home)
        .arg("--config")
        .arg(home.join("config.toml"))
        .args(["config", "check"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains("chat.site.secret: ok"), "{out}");
    assert!(
        out.contains("chat.broken.secret: FAILED: a webhook secret must hold 24 to 64 bytes"),
        "{out}"
    );
    assert!(
        !out.contains("tooshort") && !out.contains("AQIDBAUG"),
        "{out}"
    );
}
