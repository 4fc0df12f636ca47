//! The chat's optional automatic acknowledgement (`[[chat]] away_message`): a visitor who
//! writes while nobody is available hears it once per away period, through the real
//! outbox and chat channel, and still waits for an answer; nobody hears it while an
//! agent is available or when the inbox has none.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use comptoir::channels::relay::channel::ChatChannel;
use comptoir::channels::relay::server::{RelayState, router, serve};
use comptoir::channels::relay::signature::WebhookSecret;
use comptoir::model::{Availability, ConversationId, Delivery, Message, MessageKind};
use comptoir::outbox::{Outbox, RetryPolicy};
use comptoir::store::{AWAY_PERIOD, QueueFilter, SharedStore, Store};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

const SECRET: &str = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
const AWAY: &str = "Thanks! We're away right now; we'll answer by email as soon as we're back.";
const DEADLINE: Duration = Duration::from_secs(20);

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
    shared: SharedStore,
    state: RelayState,
}

impl Fixture {
    /// An inbox `site` with the away message, or without it.
    fn new(away: bool) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        let shared = SharedStore::new(Store::open(&path).unwrap());
        let mut state = RelayState::new(shared.clone())
            .with_inbox("site", WebhookSecret::parse(SECRET).unwrap());
        if away {
            state = state.with_away_message("site", AWAY);
        }
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

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response: Response<Body> = router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
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

    /// A visitor's message through the widget's route: its conversation and message ids.
    async fn say(&self, visitor: &str, token: &str, text: &str) -> (ConversationId, i64) {
        let (status, body) = self
            .send(post(
                &format!("/chat/site/visitors/{visitor}/messages"),
                Some(token),
                &json!({ "text": text }).to_string(),
            ))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        (
            ConversationId(body["conversation_id"].as_i64().unwrap()),
            body["message_id"].as_i64().unwrap(),
        )
    }

    /// The automated outbound messages of `conversation`.
    fn acknowledgements(&self, conversation: ConversationId) -> Vec<Message> {
        self.store()
            .thread(conversation)
            .unwrap()
            .into_iter()
            .filter(|m| m.kind == MessageKind::Outbound && m.automated)
            .collect()
    }

    /// An agent at their desk: the chat is live.
    fn agent_available(&self) {
        let mut store = self.store();
        let agent = store.ensure_agent("Camille").unwrap();
        let now = Timestamp::now();
        store
            .set_availability_at(agent, Availability::Available, now)
            .unwrap();
        store.record_input(agent, now).unwrap();
        store.touch_agent(agent, now).unwrap();
    }
}

fn post(path: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

fn signed_post(id: &str, body: &str) -> Request<Body> {
    let secret = WebhookSecret::parse(SECRET).unwrap();
    let ts = Timestamp::now().as_second();
    Request::post("/chat/site/messages")
        .header(header::CONTENT_TYPE, "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", secret.sign(id, ts, body.as_bytes()))
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// The `message` events' data read from one visitor's event stream, over a real socket.
struct Events {
    stream: TcpStream,
    raw: String,
    seen: usize,
}

impl Events {
    async fn open(addr: std::net::SocketAddr, visitor: &str, token: &str) -> Events {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "GET /chat/site/visitors/{visitor}/events?token={token} HTTP/1.1\r\n\
             Host: relay\r\nAccept: text/event-stream\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        Events {
            stream,
            raw: String::new(),
            seen: 0,
        }
    }

    /// The data of every `message` event so far (chunk sizes are lines of their own and
    /// never start with `data:`, so the chunked framing can be read through).
    fn messages(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut in_message = false;
        for line in self.raw.lines() {
            if let Some(kind) = line.strip_prefix("event:") {
                in_message = kind.trim() == "message";
            } else if let Some(data) = line.strip_prefix("data:")
                && in_message
            {
                out.push(serde_json::from_str(data.trim_start()).unwrap());
            }
        }
        out
    }

    /// The next `message` event not returned before, waiting for it with a deadline.
    async fn next(&mut self) -> Value {
        loop {
            let messages = self.messages();
            if let Some(m) = messages.get(self.seen) {
                self.seen += 1;
                return m.clone();
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(DEADLINE, self.stream.read(&mut chunk))
                .await
                .expect("the stream sends in time")
                .unwrap();
            assert!(n > 0, "the stream closed");
            self.raw.push_str(std::str::from_utf8(&chunk[..n]).unwrap());
        }
    }
}

async fn start(state: RelayState) -> (std::net::SocketAddr, watch::Sender<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(serve(listener, state, stopped));
    (addr, stop)
}

#[tokio::test]
async fn nobody_available_the_visitor_hears_it_once_live_and_still_waits() {
    let f = Fixture::new(true);
    let (addr, _stop) = start(f.state.clone()).await;
    let (visitor, token) = f.visitor().await;
    let (conversation, first) = f.say(&visitor, &token, "Bonjour ?").await;

    let acks = f.acknowledgements(conversation);
    assert_eq!(acks.len(), 1, "{acks:?}");
    let ack = &acks[0];
    assert_eq!((ack.body.as_str(), ack.author.as_str()), (AWAY, "site"));
    assert_eq!(ack.agent_id, None);
    assert!(matches!(ack.delivery, Some(Delivery::Queued { .. })));

    // Still waiting since the visitor's message, and unanswered everywhere it is counted.
    let mut store = f.store();
    let c = store.conversation(conversation).unwrap().unwrap();
    let asked = store
        .message(comptoir::model::MessageId(first))
        .unwrap()
        .unwrap()
        .sent_at;
    assert_eq!(c.waiting_since, Some(asked));
    assert_eq!(store.stats().unwrap().unanswered, 1);
    let unanswered = store
        .queue(&QueueFilter {
            unanswered: true,
            ..QueueFilter::default()
        })
        .unwrap();
    assert_eq!(
        unanswered.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![conversation]
    );

    // Delivered by a real outbox through the chat channel, onto the open stream.
    let mut events = Events::open(addr, &visitor, &token).await;
    assert_eq!(events.next().await["id"], first);
    let mut outbox = Outbox::new(f.shared.clone(), RetryPolicy::default());
    outbox.add_channel(Arc::new(ChatChannel::new(
        "site",
        f.state.hub().clone(),
        f.shared.clone(),
    )));
    assert_eq!(outbox.deliver_due().await.unwrap(), 1);
    let live = events.next().await;
    assert_eq!(live["id"], ack.id.0);
    assert_eq!(live["text"], AWAY);
    assert_eq!(live["author"], "site");
    assert!(matches!(
        store.message(ack.id).unwrap().unwrap().delivery,
        Some(Delivery::Sent { .. })
    ));

    // A second message in the same away period: no second acknowledgement, and the
    // stream's next event is that message.
    let (_, second) = f.say(&visitor, &token, "Allô ?").await;
    assert_eq!(f.acknowledgements(conversation).len(), 1);
    assert_eq!(outbox.deliver_due().await.unwrap(), 0);
    assert_eq!(events.next().await["id"], second);
    let c = store.conversation(conversation).unwrap().unwrap();
    assert_eq!(c.waiting_since, Some(asked));
    assert_eq!(store.stats().unwrap().unanswered, 1);
}

#[tokio::test]
async fn the_signed_route_and_the_offline_form_acknowledge_too() {
    let f = Fixture::new(true);
    let body = json!({"visitor": {"id": "v-1", "name": "Ana"}, "text": "Bonjour"}).to_string();
    let (status, answer) = f.send(signed_post("msg_1", &body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let conversation = ConversationId(answer["conversation_id"].as_i64().unwrap());
    assert_eq!(f.acknowledgements(conversation).len(), 1);
    // A backend's retry of the same webhook, and its next message: still one.
    let (status, _) = f.send(signed_post("msg_1", &body)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let next = json!({"visitor": {"id": "v-1"}, "text": "Encore moi"}).to_string();
    let (status, _) = f.send(signed_post("msg_2", &next)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(f.acknowledgements(conversation).len(), 1);

    let form = json!({"name": "Léa", "email": "lea@example.com", "text": "Rappelez-moi"});
    let (status, answer) = f
        .send(post("/chat/site/offline", None, &form.to_string()))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let offline = ConversationId(answer["conversation_id"].as_i64().unwrap());
    assert_ne!(offline, conversation);
    assert_eq!(f.acknowledgements(offline).len(), 1);
}

#[tokio::test]
async fn an_available_agent_means_no_acknowledgement() {
    let f = Fixture::new(true);
    f.agent_available();
    let (visitor, token) = f.visitor().await;
    let (conversation, _) = f.say(&visitor, &token, "Bonjour").await;
    let thread = f.store().thread(conversation).unwrap();
    assert_eq!(thread.len(), 1, "{thread:?}");
    assert_eq!(thread[0].kind, MessageKind::Inbound);
}

#[tokio::test]
async fn an_inbox_without_away_message_sends_nothing() {
    let f = Fixture::new(false);
    let (visitor, token) = f.visitor().await;
    let (conversation, _) = f.say(&visitor, &token, "Bonjour").await;
    assert_eq!(f.store().thread(conversation).unwrap().len(), 1);
    let body = json!({"visitor": {"id": "v-2"}, "text": "Bonjour"}).to_string();
    let (status, answer) = f.send(signed_post("msg_9", &body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let signed = ConversationId(answer["conversation_id"].as_i64().unwrap());
    assert_eq!(f.store().thread(signed).unwrap().len(), 1);
}

#[tokio::test]
async fn an_agent_reply_or_the_end_of_the_period_starts_a_new_away_period() {
    let f = Fixture::new(false);
    let (visitor, token) = f.visitor().await;
    let (conversation, _) = f.say(&visitor, &token, "Bonjour").await;
    let mut store = f.store();
    let now = Timestamp::now();
    let first = store
        .queue_auto_reply(conversation, "site", AWAY, now)
        .unwrap();
    assert!(first.is_some());
    let later = now + SignedDuration::from_mins(1);
    assert_eq!(
        store
            .queue_auto_reply(conversation, "site", AWAY, later)
            .unwrap(),
        None
    );
    // It is no reply: nothing in the conversation says it was answered.
    let c = store.conversation(conversation).unwrap().unwrap();
    assert!(c.waiting_since.is_some());

    // Past the period, a visitor who is still waiting hears it again.
    let period = SignedDuration::try_from(AWAY_PERIOD).unwrap();
    let next_day = now + period + SignedDuration::from_secs(1);
    assert!(
        store
            .queue_auto_reply(conversation, "site", AWAY, next_day)
            .unwrap()
            .is_some()
    );

    // After an agent's reply, the next time nobody is there is a new away period.
    let agent = store.ensure_agent("Camille").unwrap();
    let replied = next_day + SignedDuration::from_mins(5);
    store
        .queue_reply(conversation, agent, "Voilà", replied)
        .unwrap();
    let after = replied + SignedDuration::from_mins(5);
    assert!(
        store
            .queue_auto_reply(conversation, "site", AWAY, after)
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .queue_auto_reply(conversation, "site", " ", after)
            .is_err()
    );
}

#[test]
fn the_away_message_is_read_checked_and_shown_by_config_check() {
    let path = std::path::Path::new("/etc/comptoir.toml");
    let chat =
        "[relay]\nlisten = \"127.0.0.1:1\"\n[[chat]]\nname = \"site\"\nsecret_file = \"/s\"\n";
    let cfg = comptoir::config::parse(&format!("{chat}away_message = \"{AWAY}\"\n"), path).unwrap();
    assert_eq!(cfg.chat[0].away_message.as_deref(), Some(AWAY));
    let shown: Vec<String> = cfg.accounts().into_iter().map(|a| a.detail).collect();
    assert!(shown.iter().any(|d| d.contains(AWAY)), "{shown:?}");
    let none = comptoir::config::parse(chat, path).unwrap();
    assert_eq!(none.chat[0].away_message, None);

    let longest = "é".repeat(1000);
    let cfg =
        comptoir::config::parse(&format!("{chat}away_message = \"{longest}\"\n"), path).unwrap();
    assert_eq!(cfg.chat[0].away_message.as_deref(), Some(longest.as_str()));
    for (bad, says) in [
        ("\"\"".to_owned(), "must not be empty"),
        ("\"  \"".to_owned(), "must not be empty"),
        (format!("\"{}\"", "a".repeat(1001)), "1000 character limit"),
    ] {
        let err = comptoir::config::parse(&format!("{chat}away_message = {bad}\n"), path)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("away_message") && err.contains(says) && err.contains(":6:"),
            "{bad}: {err}"
        );
    }
}

#[tokio::test]
async fn the_relay_takes_each_inboxs_away_message_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, SECRET).unwrap();
    let text = format!(
        "[relay]\nlisten = \"127.0.0.1:1\"\n\
         [[chat]]\nname = \"site\"\nsecret_file = {secret:?}\naway_message = \"{AWAY}\"\n\
         [[chat]]\nname = \"shop\"\nsecret_file = {secret:?}\n"
    );
    let cfg = comptoir::config::parse(&text, &dir.path().join("config.toml")).unwrap();
    let shared = SharedStore::new(Store::open(&dir.path().join("store.sqlite")).unwrap());
    let state = RelayState::from_config(shared, &cfg.chat).await;
    assert_eq!(state.away_message("site"), Some(AWAY));
    assert_eq!(state.away_message("shop"), None);
}
