#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]
//! Continuity between the chat and email: a reply to a visitor who has left (no event
//! stream open) and gave an address also goes by email through the inbox's
//! `email_account`, and the customer's email answer comes back to the same chat
//! conversation. A real relay (its visitor routes and a real event stream on a socket),
//! a real Dovecot and a real SMTP sink delivering into its Maildir, a real store.

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;
#[path = "common/smtp.rs"]
mod smtp;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use comptoir::channels::email::imap::{SyncOptions, sync_once};
use comptoir::channels::email::smtp::SmtpChannel;
use comptoir::channels::relay::channel::ChatChannel;
use comptoir::channels::relay::continuity::EmailFollowUp;
use comptoir::channels::relay::server::{RelayState, router, serve};
use comptoir::channels::relay::signature::WebhookSecret;
use comptoir::config::{self, EmailAccount, ServerConfig, TlsMode};
use comptoir::model::{self, ConversationId, Delivery, HandleKind, MessageId};
use comptoir::outbox::{Outbox, RetryPolicy};
use comptoir::secret::SecretString;
use comptoir::store::{QueueFilter, SharedStore, Store};
use futures::TryStreamExt;
use jiff::Timestamp;
use mail_parser::MessageParser;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use common::drive_until;
use dovecot::Dovecot;
use smtp::SmtpSink;

const SECRET: &str = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
const HOST: &str = "127.0.0.1";
const DEADLINE: Duration = Duration::from_secs(20);

struct Fixture {
    dovecot: Dovecot,
    sink: SmtpSink,
    _dir: tempfile::TempDir,
    store: SharedStore,
    account: EmailAccount,
    agent: model::AgentId,
    state: RelayState,
    relay: std::net::SocketAddr,
    _stop: watch::Sender<bool>,
}

impl Fixture {
    async fn start() -> Fixture {
        let dovecot = Dovecot::start();
        // Dovecot makes the Maildir at the first login; the sink then only adds files.
        dovecot.create("Sent").await;
        let sink = SmtpSink::start(&dovecot.maildir(), &dovecot.cert(), &dovecot.key());
        let account = EmailAccount {
            smtp: ServerConfig {
                host: HOST.into(),
                port: sink.tls_port,
                tls: TlsMode::Implicit,
            },
            sent_folder: Some("Sent".into()),
            ..dovecot.account()
        };
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        let agent = store.ensure_agent("Camille").unwrap();
        let store = SharedStore::new(store);
        let state = RelayState::new(store.clone())
            .with_inbox("site", WebhookSecret::parse(SECRET).unwrap());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let relay = listener.local_addr().unwrap();
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(serve(listener, state.clone(), stopped));
        Fixture {
            dovecot,
            sink,
            _dir: dir,
            store,
            account,
            agent,
            state,
            relay,
            _stop: stop,
        }
    }

    fn smtp(&self) -> Arc<SmtpChannel> {
        Arc::new(
            SmtpChannel::new(&self.account, SecretString::new(dovecot::PASSWORD))
                .unwrap()
                .with_time_zone(jiff::tz::TimeZone::UTC),
        )
    }

    /// An outbox whose chat inbox `site` emails visitors who left when `follow_up`.
    fn outbox(&self, follow_up: bool) -> Outbox {
        let mut outbox = Outbox::new(
            self.store.clone(),
            RetryPolicy {
                base: Duration::from_millis(20),
                cap: Duration::from_millis(100),
                max_attempts: 3,
                send_timeout: Duration::from_secs(30),
            },
        );
        let mut chat = ChatChannel::new("site", self.state.hub().clone(), self.store.clone());
        if follow_up {
            chat = chat.with_email_follow_up(EmailFollowUp::new(
                self.smtp(),
                self.state.stream_slots(),
                self.store.clone(),
            ));
        }
        outbox.add_channel(Arc::new(chat));
        outbox
    }

    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Value {
        let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request.body(Body::from(body.to_string())).unwrap();
        let response = router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::ACCEPTED,
            "{path}: {status} {body}"
        );
        body
    }

    /// A visitor who writes `text` through the widget's routes, giving `email` in the
    /// pre-chat form: their id, token and conversation.
    async fn visitor(&self, email: Option<&str>, text: &str) -> (String, String, ConversationId) {
        let mut contact = serde_json::json!({ "name": "Alice Martin" });
        if let Some(email) = email {
            contact["email"] = Value::from(email);
        }
        let created = self.post("/chat/site/visitors", None, &contact).await;
        let visitor = created["visitor_id"].as_str().unwrap().to_owned();
        let token = created["token"].as_str().unwrap().to_owned();
        let mut message = contact;
        message["text"] = Value::from(text);
        let stored = self
            .post(
                &format!("/chat/site/visitors/{visitor}/messages"),
                Some(&token),
                &message,
            )
            .await;
        let conversation = ConversationId(stored["conversation_id"].as_i64().unwrap());
        (visitor, token, conversation)
    }

    async fn reply(&self, conversation: ConversationId, text: &str) -> MessageId {
        let (agent, text) = (self.agent, text.to_owned());
        self.store
            .call(move |s| s.queue_reply(conversation, agent, &text, Timestamp::now()))
            .await
            .unwrap()
    }

    async fn key(&self, reply: MessageId) -> String {
        self.store
            .call(move |s| s.idempotency_key(reply))
            .await
            .unwrap()
            .unwrap()
    }

    /// The raw message in `folder` whose Message-ID is `id`, waiting for it to show up.
    async fn fetch(&self, folder: &str, id: &str) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let mut session = self.dovecot.session().await;
            session.select(folder).await.unwrap();
            let uids = session
                .uid_search(format!("HEADER Message-ID \"{id}\""))
                .await
                .unwrap();
            if let Some(uid) = uids.into_iter().next() {
                let fetched: Vec<_> = session
                    .uid_fetch(uid.to_string(), "BODY.PEEK[]")
                    .await
                    .unwrap()
                    .try_collect()
                    .await
                    .unwrap();
                let raw = fetched[0].body().expect("a body").to_vec();
                session.logout().await.unwrap();
                return raw;
            }
            session.logout().await.unwrap();
            assert!(
                tokio::time::Instant::now() < deadline,
                "{id} never reached {folder}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn sync(&self) {
        sync_once(
            &self.account,
            dovecot::PASSWORD,
            &self.store,
            &SyncOptions::default(),
        )
        .await
        .unwrap_or_else(|e| panic!("sync failed: {e}"));
    }

    async fn follow_ups(&self, conversation: ConversationId) -> Vec<String> {
        self.store
            .call(move |s| s.follow_ups(conversation))
            .await
            .unwrap()
    }

    /// Opens the visitor's event stream on the relay's socket and waits until the relay
    /// counts it; the stream stays open while the returned socket lives.
    async fn open_stream(&self, visitor: &str, token: &str) -> TcpStream {
        let mut stream = TcpStream::connect(self.relay).await.unwrap();
        let request = format!(
            "GET /chat/site/visitors/{visitor}/events?token={token} HTTP/1.1\r\n\
             Host: relay\r\nAccept: text/event-stream\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            let n = tokio::time::timeout(DEADLINE, stream.read(&mut byte))
                .await
                .expect("the relay answers in time")
                .unwrap();
            assert!(n > 0, "the relay closed the stream");
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let slots = self.state.stream_slots();
        let deadline = tokio::time::Instant::now() + DEADLINE;
        while slots.open_for("site", visitor) == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the stream is never counted"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stream
    }
}

/// A reply's delivery, once the outbox has settled it.
async fn settle(outbox: &Outbox, store: &SharedStore, reply: MessageId) -> Delivery {
    drive_until(outbox, store, reply, |d| {
        !matches!(d, Delivery::Queued { .. } | Delivery::Sending { .. })
    })
    .await
}

fn header(message: &mail_parser::Message<'_>, name: &str) -> String {
    message
        .header_raw(name)
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_reply_to_a_visitor_who_left_goes_by_email_and_the_answer_threads_back() {
    let f = Fixture::start().await;
    let (visitor, _token, conversation) = f
        .visitor(Some("Alice@Customer.test"), "Où en est ma commande 42 ?")
        .await;
    assert_eq!(f.state.stream_slots().open_for("site", &visitor), 0);
    let reply = f.reply(conversation, "Elle part demain matin.").await;
    let outbox = f.outbox(true);
    let delivery = settle(&outbox, &f.store, reply).await;
    assert!(
        matches!(&delivery, Delivery::Sent { channel_message_id } if channel_message_id.starts_with("chat:")),
        "the chat delivery stays what it is: {delivery:?}"
    );

    let message_id = format!("<{}@boutique.example>", f.key(reply).await);
    let deliveries = f.sink.deliveries();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(deliveries[0]["to"][0], "alice@customer.test");
    assert_eq!(f.follow_ups(conversation).await, vec![message_id.clone()]);

    let raw = f.fetch("INBOX", &message_id).await;
    let email = MessageParser::default().parse(&raw).expect("parses");
    let to = email.to().and_then(|a| a.first()).expect("To");
    assert_eq!(to.address(), Some("alice@customer.test"));
    assert_eq!(to.name(), Some("Alice Martin"));
    let from = email.from().and_then(|a| a.first()).expect("From");
    assert_eq!(from.address(), Some("contact@boutique.example"));
    assert_eq!(header(&email, "Message-ID"), message_id);
    assert_eq!(
        header(&email, "In-Reply-To"),
        "",
        "a chat message's id is not a Message-ID"
    );
    let body = email
        .body_text(0)
        .expect("a text body")
        .replace("\r\n", "\n");
    assert!(body.starts_with("Elle part demain matin."), "{body}");
    assert!(body.contains("Alice Martin wrote:"), "{body}");
    assert!(body.contains("> Où en est ma commande 42 ?"), "{body}");
    // The copy in Sent is what a resend after a crash looks for.
    f.fetch("Sent", &message_id).await;

    // The customer answers the email. The INBOX also holds our own email (the sink
    // delivers there): it is the chat reply, and must not open a conversation.
    // A Date has whole seconds: the next one, so the answer comes after the reply.
    let written = Timestamp::from_second(Timestamp::now().as_second() + 1).unwrap();
    let date = jiff::fmt::rfc2822::to_string(&written.to_zoned(jiff::tz::TimeZone::UTC)).unwrap();
    let answer = format!(
        "From: \"Alice Martin\" <alice@customer.test>\r\nTo: contact@boutique.example\r\n\
         Subject: Re: your message\r\nDate: {date}\r\n\
         Message-ID: <a1@customer.test>\r\nIn-Reply-To: {message_id}\r\n\
         References: {message_id}\r\n\r\nParfait, merci ! Et la facture ?\r\n"
    );
    f.dovecot.append("INBOX", answer.as_bytes(), None).await;
    f.sync().await;

    let queue = f
        .store
        .call(|s| s.queue(&QueueFilter::default()))
        .await
        .unwrap();
    assert_eq!(queue.len(), 1, "one conversation: {queue:?}");
    assert_eq!(queue[0].id, conversation, "the answer joins the chat");
    assert_eq!(queue[0].channel, model::Channel::Chat);
    let thread = f.store.call(move |s| s.thread(conversation)).await.unwrap();
    let texts: Vec<&str> = thread.iter().map(|m| m.body.trim()).collect();
    assert_eq!(
        texts,
        [
            "Où en est ma commande 42 ?",
            "Elle part demain matin.",
            "Parfait, merci ! Et la facture ?"
        ],
        "our own email copy is not stored again"
    );
    // The answer keeps its channel and account, and the customer is the visitor.
    let answer_id = f
        .store
        .call(|s| {
            s.write(|tx| {
                tx.message_by_external(model::Channel::Email, "boutique", "<a1@customer.test>")
            })
        })
        .await
        .unwrap()
        .expect("stored as an email of the account");
    assert_eq!(thread[2].id, answer_id);
    let customer = f
        .store
        .call(move |s| s.customer(queue[0].customer_id))
        .await
        .unwrap()
        .unwrap();
    let kinds: Vec<(HandleKind, &str)> = customer
        .handles
        .iter()
        .map(|h| (h.kind.clone(), h.value.as_str()))
        .collect();
    assert!(
        kinds.contains(&(HandleKind::On(model::Channel::Chat), visitor.as_str()))
            && kinds.contains(&(HandleKind::Email, "alice@customer.test")),
        "one customer, known by both: {kinds:?}"
    );

    // The next reply goes through the chat again and, the visitor still away, by email
    // under the customer's answer.
    // A reply answers the newest customer message written before it.
    while Timestamp::now() <= written {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let second = f
        .reply(conversation, "La facture est jointe à votre compte.")
        .await;
    let delivery = settle(&outbox, &f.store, second).await;
    assert!(matches!(delivery, Delivery::Sent { .. }), "{delivery:?}");
    let second_id = format!("<{}@boutique.example>", f.key(second).await);
    assert_eq!(f.sink.deliveries().len(), 2);
    let raw = f.fetch("INBOX", &second_id).await;
    let email = MessageParser::default().parse(&raw).expect("parses");
    assert_eq!(header(&email, "In-Reply-To"), "<a1@customer.test>");
    assert_eq!(
        header(&email, "References"),
        format!("{message_id} <a1@customer.test>")
    );
    let body = email
        .body_text(0)
        .expect("a text body")
        .replace("\r\n", "\n");
    assert!(
        body.contains("> Parfait, merci ! Et la facture ?"),
        "{body}"
    );
}

#[tokio::test]
async fn a_visitor_with_an_open_stream_gets_no_email() {
    let f = Fixture::start().await;
    let (visitor, token, conversation) = f
        .visitor(Some("alice@customer.test"), "Vous êtes là ?")
        .await;
    let stream = f.open_stream(&visitor, &token).await;
    let reply = f.reply(conversation, "Oui, je vous écoute.").await;
    let outbox = f.outbox(true);
    let delivery = settle(&outbox, &f.store, reply).await;
    assert!(matches!(delivery, Delivery::Sent { .. }), "{delivery:?}");
    assert!(f.sink.deliveries().is_empty(), "{:?}", f.sink.deliveries());
    assert!(f.follow_ups(conversation).await.is_empty());
    drop(stream);

    // Once the stream is gone, the next reply goes by email as well.
    let slots = f.state.stream_slots();
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while slots.open_for("site", &visitor) > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slot is never freed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = f
        .reply(conversation, "Vous êtes parti ? Je vous écris.")
        .await;
    let delivery = settle(&outbox, &f.store, second).await;
    assert!(matches!(delivery, Delivery::Sent { .. }), "{delivery:?}");
    assert_eq!(f.sink.deliveries().len(), 1, "{:?}", f.sink.deliveries());
}

#[tokio::test]
async fn no_email_without_an_address_or_without_an_email_account() {
    let f = Fixture::start().await;
    let (_, _, anonymous) = f.visitor(None, "Bonjour").await;
    let reply = f.reply(anonymous, "Bonjour, que puis-je pour vous ?").await;
    let delivery = settle(&f.outbox(true), &f.store, reply).await;
    assert!(matches!(delivery, Delivery::Sent { .. }), "{delivery:?}");
    assert!(f.sink.deliveries().is_empty(), "{:?}", f.sink.deliveries());

    let (_, _, known) = f.visitor(Some("alice@customer.test"), "Bonjour").await;
    let reply = f.reply(known, "Bonjour Alice.").await;
    let delivery = settle(&f.outbox(false), &f.store, reply).await;
    assert!(matches!(delivery, Delivery::Sent { .. }), "{delivery:?}");
    assert!(f.sink.deliveries().is_empty(), "{:?}", f.sink.deliveries());
    assert!(f.follow_ups(known).await.is_empty());
}

#[tokio::test]
async fn a_resend_after_a_crash_finds_the_email_in_sent_and_sends_no_second() {
    let f = Fixture::start().await;
    let (_, _, conversation) = f
        .visitor(Some("alice@customer.test"), "Ma commande ?")
        .await;
    let reply = f.reply(conversation, "Elle part demain.").await;
    let message_id = format!("<{}@boutique.example>", f.key(reply).await);
    // A previous run emailed it and filed it, then died before recording the delivery.
    let copy = format!(
        "From: contact@boutique.example\r\nTo: alice@customer.test\r\n\
         Subject: Re: your message\r\nMessage-ID: {message_id}\r\n\r\nElle part demain.\r\n"
    );
    f.dovecot.append("Sent", copy.as_bytes(), None).await;
    f.store
        .call(|s| {
            let claimed = s.claim_due(Timestamp::now(), Duration::from_secs(60), 10)?;
            assert_eq!(claimed.len(), 1);
            s.requeue_interrupted(Timestamp::now())
        })
        .await
        .unwrap();

    let delivery = settle(&f.outbox(true), &f.store, reply).await;
    assert!(matches!(delivery, Delivery::Sent { .. }), "{delivery:?}");
    assert!(
        f.sink.deliveries().is_empty(),
        "emailed again: {:?}",
        f.sink.deliveries()
    );
    assert_eq!(f.follow_ups(conversation).await, vec![message_id]);
}

#[test]
fn email_account_must_name_an_email_account() {
    let base = r#"
[[email]]
name = "boutique"
address = "contact@boutique.example"
username = "contact@boutique.example"
password_command = "pass show boutique/mail"
imap = { host = "imap.example.net", port = 993, tls = "implicit" }
smtp = { host = "smtp.example.net", port = 465, tls = "implicit" }

[relay]
listen = "127.0.0.1:8780"

[[chat]]
name = "site"
secret_command = "pass show boutique/chat-secret"
"#;
    let path = Path::new("/etc/comptoir/config.toml");
    let good = config::parse(&format!("{base}email_account = \"boutique\"\n"), path).unwrap();
    assert_eq!(good.chat[0].email_account.as_deref(), Some("boutique"));
    let shown: Vec<String> = good
        .accounts()
        .into_iter()
        .filter(|a| a.kind == "chat")
        .map(|a| a.detail)
        .collect();
    assert!(shown[0].contains("\"boutique\""), "{shown:?}");
    let none = config::parse(base, path).unwrap();
    assert_eq!(none.chat[0].email_account, None);

    let text = format!("{base}email_account = \"shop\"\n");
    let err = config::parse(&text, path).unwrap_err().to_string();
    let line = text
        .lines()
        .position(|l| l.starts_with("email_account"))
        .unwrap()
        + 1;
    assert!(
        err.starts_with(&format!("/etc/comptoir/config.toml:{line}:")),
        "{err}"
    );
    assert!(
        err.contains("email_account") && err.contains("\"shop\"") && err.contains("\"boutique\""),
        "{err}"
    );
}

#[tokio::test]
async fn an_email_that_fails_for_now_fails_the_attempt_so_the_outbox_retries() {
    let mut f = Fixture::start().await;
    let (_, _, conversation) = f
        .visitor(Some("alice@customer.test"), "Ma commande ?")
        .await;
    f.sink.stop();
    let reply = f.reply(conversation, "Elle part demain.").await;
    let outbox = f.outbox(true);
    let delivery = drive_until(&outbox, &f.store, reply, |d| {
        matches!(d, Delivery::Queued { attempts, .. } if *attempts >= 1)
            || !matches!(d, Delivery::Queued { .. } | Delivery::Sending { .. })
    })
    .await;
    let Delivery::Queued {
        last_error: Some(reason),
        ..
    } = &delivery
    else {
        panic!("expected a retry: {delivery:?}");
    };
    assert!(reason.contains("email"), "{reason}");
    assert!(!reason.contains(dovecot::PASSWORD), "{reason}");
    // Recorded before the attempt: had the server taken it, an answer would thread.
    assert_eq!(f.follow_ups(conversation).await.len(), 1);
}

/// One HTTP/1.1 request on its own connection: the status and the body.
async fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    extra: &str,
    body: &str,
) -> (u16, Value) {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n{body}",
        body.len()
    );
    let answer = common::http::exchange(addr, &request).await;
    (
        answer.status,
        serde_json::from_str(&answer.body).unwrap_or(Value::Null),
    )
}

/// A `comptoir serve` child, killed if a test fails before stopping it.
struct Serve(std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Polls `condition` until it holds; panics with `what` after the deadline.
async fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn comptoir_serve_emails_a_visitor_who_left_and_threads_the_answer_back() {
    let f = Fixture::start().await;
    let home = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    std::fs::write(home.path().join("chat-secret"), format!("{SECRET}\n")).unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            r#"[[email]]
name = "boutique"
address = "contact@boutique.example"
username = "{user}"
password_command = "printf {password}"
imap = {{ host = "127.0.0.1", port = {imap}, tls = "implicit" }}
smtp = {{ host = "127.0.0.1", port = {smtp}, tls = "implicit" }}
ca_file = "{cert}"
folders = ["INBOX"]
sent_folder = "Sent"

[relay]
listen = "127.0.0.1:{port}"

[[chat]]
name = "site"
secret_file = "{secret}"
email_account = "boutique"
"#,
            user = dovecot::USER,
            password = dovecot::PASSWORD,
            imap = f.dovecot.tls_port,
            smtp = f.sink.tls_port,
            cert = f.dovecot.cert().display(),
            secret = home.path().join("chat-secret").display(),
        ),
    )
    .unwrap();
    let data_dir = home.path().join("store");
    let mut serve = Serve(
        common::comptoir_in(home.path())
            .arg("--config")
            .arg(home.path().join("config.toml"))
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("serve")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while TcpStream::connect(addr).await.is_err()
        || http(addr, "GET", "/healthz", "", "").await.0 != 200
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the relay never answered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A visitor writes, giving their email, and leaves (no event stream).
    let (status, visitor) = http(addr, "POST", "/chat/site/visitors", "", "{}").await;
    assert_eq!(status, 201, "{visitor}");
    let (id, token) = (
        visitor["visitor_id"].as_str().unwrap(),
        visitor["token"].as_str().unwrap(),
    );
    let (status, posted) = http(
        addr,
        "POST",
        &format!("/chat/site/visitors/{id}/messages"),
        &format!("Authorization: Bearer {token}\r\n"),
        r#"{"text":"Ma commande 42 ?","name":"Ana","email":"ana@customer.test"}"#,
    )
    .await;
    assert_eq!(status, 202, "{posted}");
    let conversation = ConversationId(posted["conversation_id"].as_i64().unwrap());

    // An agent replies from another process: serve's outbox emails it as well.
    let mut store = Store::open(&data_dir.join("store.sqlite")).unwrap();
    let agent = store.ensure_agent("Camille").unwrap();
    let reply = store
        .queue_reply(conversation, agent, "Elle part demain.", Timestamp::now())
        .unwrap();
    wait_until("the email to the visitor", || {
        f.sink.deliveries().len() == 1
    })
    .await;
    assert_eq!(f.sink.deliveries()[0]["to"][0], "ana@customer.test");
    let key = store.idempotency_key(reply).unwrap().unwrap();
    let message_id = format!("<{key}@boutique.example>");
    wait_until("the reply marked sent", || {
        matches!(
            store.message(reply).unwrap().unwrap().delivery,
            Some(Delivery::Sent { .. })
        )
    })
    .await;

    // Ana answers the email; serve's IMAP side brings it into the chat conversation.
    let written = Timestamp::from_second(Timestamp::now().as_second() + 1).unwrap();
    let date = jiff::fmt::rfc2822::to_string(&written.to_zoned(jiff::tz::TimeZone::UTC)).unwrap();
    let answer = format!(
        "From: Ana <ana@customer.test>\r\nTo: contact@boutique.example\r\n\
         Subject: Re: your message\r\nDate: {date}\r\nMessage-ID: <ana-1@customer.test>\r\n\
         In-Reply-To: {message_id}\r\nReferences: {message_id}\r\n\r\nMerci !\r\n"
    );
    f.dovecot.append("INBOX", answer.as_bytes(), None).await;
    wait_until("the answer in the chat conversation", || {
        store
            .thread(conversation)
            .unwrap()
            .iter()
            .any(|m| m.body.trim() == "Merci !")
    })
    .await;
    let queue = store.queue(&QueueFilter::default()).unwrap();
    assert_eq!(queue.len(), 1, "{queue:?}");

    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &serve.0.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(code) = serve.0.try_wait().unwrap() {
            assert!(code.success(), "serve exit {code:?}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "serve did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
