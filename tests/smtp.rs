#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]
//! Replies out over SMTP: a real Dovecot and a real SMTP sink (aiosmtpd) per test, the
//! sink delivering into Dovecot's Maildir, so each test reads what was sent back over IMAP.

mod common;
#[path = "common/dovecot.rs"]
mod dovecot;
#[path = "common/smtp.rs"]
mod smtp;

use std::sync::Arc;
use std::time::Duration;

use comptoir::channels::email::imap::{SyncOptions, sync_once};
use comptoir::channels::email::mime;
use comptoir::channels::email::smtp::SmtpChannel;
use comptoir::channels::{Channel, Outbound, SendError};
use comptoir::config::{EmailAccount, ServerConfig, TlsMode};
use comptoir::model::{self, ConversationId, Delivery, MessageId};
use comptoir::outbox::{Outbox, RetryPolicy};
use comptoir::secret::SecretString;
use comptoir::store::{QueueFilter, SharedStore, Store};
use futures::TryStreamExt;
use jiff::Timestamp;
use mail_parser::MessageParser;

use common::drive_until;
use dovecot::Dovecot;
use smtp::SmtpSink;

const HOST: &str = "127.0.0.1";

struct Fixture {
    dovecot: Dovecot,
    sink: SmtpSink,
    _dir: tempfile::TempDir,
    store: SharedStore,
    account: EmailAccount,
    agent: model::AgentId,
}

impl Fixture {
    async fn start(tls: TlsMode) -> Fixture {
        let dovecot = Dovecot::start();
        // Dovecot makes the Maildir at the first login; the sink then only adds files.
        dovecot.create("Sent").await;
        let sink = SmtpSink::start(&dovecot.maildir(), &dovecot.cert(), &dovecot.key());
        let smtp_port = match tls {
            TlsMode::Implicit => sink.tls_port,
            TlsMode::Starttls | TlsMode::None => sink.starttls_port,
        };
        let account = EmailAccount {
            smtp: ServerConfig {
                host: HOST.into(),
                port: smtp_port,
                tls,
            },
            sent_folder: Some("Sent".into()),
            ..dovecot.account()
        };
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        let agent = store
            .ensure_agent("Camille \"Cam\" Dupré, Support")
            .unwrap();
        Fixture {
            dovecot,
            sink,
            _dir: dir,
            store: SharedStore::new(store),
            account,
            agent,
        }
    }

    fn channel(&self) -> SmtpChannel {
        SmtpChannel::new(&self.account, SecretString::new(dovecot::PASSWORD))
            .unwrap()
            .with_time_zone(jiff::tz::TimeZone::UTC)
    }

    fn outbox(&self) -> Outbox {
        let mut outbox = Outbox::new(
            self.store.clone(),
            RetryPolicy {
                base: Duration::from_millis(20),
                cap: Duration::from_millis(100),
                max_attempts: 3,
                send_timeout: Duration::from_secs(30),
            },
        );
        outbox.add_channel(Arc::new(self.channel()));
        outbox
    }

    /// Puts `raw` in INBOX and syncs it into the store: the conversation it opened.
    async fn receive(&self, raw: &[u8]) -> ConversationId {
        self.dovecot.append("INBOX", raw, None).await;
        let options = SyncOptions::default();
        sync_once(&self.account, dovecot::PASSWORD, &self.store, &options)
            .await
            .unwrap_or_else(|e| panic!("sync failed: {e}"));
        let queue = self
            .store
            .call(|s| s.queue(&QueueFilter::default()))
            .await
            .unwrap();
        assert_eq!(queue.len(), 1, "one conversation: {queue:?}");
        queue[0].id
    }

    async fn reply(&self, conversation: ConversationId, text: &str) -> MessageId {
        let (agent, text) = (self.agent, text.to_owned());
        self.store
            .call(move |s| s.queue_reply(conversation, agent, &text, Timestamp::now()))
            .await
            .unwrap()
    }

    /// The raw message in `folder` whose Message-ID is `id`, waiting for it to show up.
    async fn fetch(&self, folder: &str, id: &str) -> (Vec<u8>, bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let mut session = self.dovecot.session().await;
            session.select(folder).await.unwrap();
            let uids = session
                .uid_search(format!("HEADER Message-ID \"{id}\""))
                .await
                .unwrap();
            if let Some(uid) = uids.into_iter().next() {
                let fetched: Vec<_> = session
                    .uid_fetch(uid.to_string(), "(FLAGS BODY.PEEK[])")
                    .await
                    .unwrap()
                    .try_collect()
                    .await
                    .unwrap();
                let message = fetched.first().expect("the message");
                let seen = message.flags().any(|f| f == async_imap::types::Flag::Seen);
                let raw = message.body().expect("a body").to_vec();
                session.logout().await.unwrap();
                return (raw, seen);
            }
            session.logout().await.unwrap();
            assert!(
                tokio::time::Instant::now() < deadline,
                "{id} never reached {folder}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn customer_mail() -> Vec<u8> {
    b"From: \"Alice Martin\" <alice@customer.test>\r\n\
      Reply-To: orders-alice@customer.test\r\n\
      To: contact@boutique.example\r\n\
      Subject: Commande 42\r\n\
      Date: Mon, 09 Nov 2026 10:07:00 +0000\r\n\
      Message-ID: <m2@customer.test>\r\n\
      In-Reply-To: <m1@boutique.example>\r\n\
      References: <m0@customer.test> <m1@boutique.example>\r\n\
      MIME-Version: 1.0\r\n\
      Content-Type: text/plain; charset=utf-8\r\n\
      \r\n\
      Bonjour,\r\n\
      \r\n\
      o\xc3\xb9 en est ma commande ?\r\n\
      \r\n\
      Alice\r\n"
        .to_vec()
}

/// The delivered reply's header, as one string, or nothing.
fn header(message: &mail_parser::Message<'_>, name: &str) -> String {
    message
        .header_raw(name)
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[tokio::test]
async fn a_reply_goes_out_threaded_quoted_and_flowed_and_is_filed_in_sent() {
    let f = Fixture::start(TlsMode::Implicit).await;
    let conversation = f.receive(&customer_mail()).await;
    let long = "Votre commande est partie ce matin par colissimo, le numéro de suivi \
                vous arrive dans un autre courriel, et la livraison prend deux à trois jours.";
    let text = format!("Bonjour Alice,\n\n{long}\n\nCamille");
    let reply = f.reply(conversation, &text).await;
    let outbox = f.outbox();
    let delivery = drive_until(&outbox, &f.store, reply, |d| {
        !matches!(d, Delivery::Queued { .. } | Delivery::Sending { .. })
    })
    .await;
    let Delivery::Sent { channel_message_id } = delivery else {
        panic!("not sent: {delivery:?}");
    };
    assert!(
        channel_message_id.starts_with('<') && channel_message_id.ends_with("@boutique.example>"),
        "{channel_message_id}"
    );
    let deliveries = f.sink.deliveries();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(deliveries[0]["port"], f.sink.tls_port);
    assert_eq!(deliveries[0]["auth"], dovecot::USER);
    assert_eq!(deliveries[0]["to"][0], "orders-alice@customer.test");

    let (raw, _) = f.fetch("INBOX", &channel_message_id).await;
    let message = MessageParser::default().parse(&raw).expect("parses");
    let to = message.to().and_then(|a| a.first()).expect("To");
    assert_eq!(to.address(), Some("orders-alice@customer.test"));
    let from = message.from().and_then(|a| a.first()).expect("From");
    assert_eq!(from.address(), Some("contact@boutique.example"));
    assert_eq!(from.name(), Some("Camille \"Cam\" Dupré, Support"));
    assert_eq!(message.subject(), Some("Re: Commande 42"));
    assert_eq!(header(&message, "Message-ID"), channel_message_id);
    assert_eq!(header(&message, "In-Reply-To"), "<m2@customer.test>");
    assert_eq!(
        header(&message, "References"),
        "<m0@customer.test> <m2@customer.test>",
        "the thread's root, then the message answered"
    );
    let content_type = header(&message, "Content-Type").to_ascii_lowercase();
    assert!(content_type.contains("text/plain"), "{content_type}");
    assert!(content_type.contains("format=flowed"), "{content_type}");
    assert!(content_type.contains("charset=utf-8"), "{content_type}");
    assert!(message.date().is_some());

    // On the wire the long line is cut; read as flowed it is whole again.
    let wire = message.body_text(0).expect("a text body").to_string();
    assert!(!wire.contains(long), "the long line is wrapped: {wire}");
    assert!(wire.lines().all(|l| l.chars().count() <= 78), "{wire}");
    let read = mime::unflow(&wire.replace("\r\n", "\n"), false);
    assert!(read.starts_with(&text), "{read}");
    assert!(
        read.contains(", Alice Martin wrote:\n> Bonjour,\n>"),
        "{read}"
    );
    assert!(read.contains("> où en est ma commande ?"), "{read}");
    // comptoir's own parser, as the other side would read it, gets the same text.
    let parsed = mime::parse(&raw, "boutique", &[]);
    let inbound = parsed.inbound.expect("readable");
    assert!(inbound.text.starts_with(&text), "{}", inbound.text);
    assert_eq!(
        inbound.thread_key, "<m0@customer.test>",
        "a reply read back lands in the same thread"
    );

    let (copy, seen) = f.fetch("Sent", &channel_message_id).await;
    // The SMTP hop may take the last line end as part of its end-of-data mark.
    let trimmed = |b: &[u8]| b.trim_ascii_end().to_vec();
    assert!(
        trimmed(&copy) == trimmed(&raw),
        "Sent holds the bytes that were sent:\n{}\n---\n{}",
        String::from_utf8_lossy(&copy),
        String::from_utf8_lossy(&raw)
    );
    assert!(seen, "the Sent copy is marked read");

    // The customer answers the reply; the next reply threads under that answer, with our
    // own reply in the chain. (Stored straight away: a sync would also read our reply,
    // which the sink delivered to the same INBOX.)
    let answer = format!(
        "From: \"Alice Martin\" <alice@customer.test>\r\nTo: contact@boutique.example\r\n\
         Subject: Re: Commande 42\r\nDate: Mon, 09 Nov 2026 11:00:00 +0000\r\n\
         Message-ID: <m3@customer.test>\r\nIn-Reply-To: {channel_message_id}\r\n\
         References: <m0@customer.test> <m2@customer.test> {channel_message_id}\r\n\r\n\
         Merci !\r\n"
    );
    let inbound = mime::parse(answer.as_bytes(), "boutique", &[])
        .inbound
        .expect("readable");
    let outcome = f
        .store
        .call(move |s| comptoir::ingest::ingest(s, &inbound, Timestamp::now()))
        .await
        .unwrap();
    let comptoir::ingest::Outcome::New {
        conversation: same, ..
    } = outcome
    else {
        panic!("not stored: {outcome:?}");
    };
    assert_eq!(same, conversation, "the answer joins the conversation");
    let second = f.reply(conversation, "Avec plaisir.").await;
    let Delivery::Sent {
        channel_message_id: second_id,
    } = drive_until(&outbox, &f.store, second, |d| {
        !matches!(d, Delivery::Queued { .. } | Delivery::Sending { .. })
    })
    .await
    else {
        panic!("the second reply was not sent");
    };
    let (raw, _) = f.fetch("INBOX", &second_id).await;
    let message = MessageParser::default().parse(&raw).expect("parses");
    assert_eq!(header(&message, "In-Reply-To"), "<m3@customer.test>");
    assert_eq!(
        header(&message, "References"),
        format!("<m0@customer.test> <m2@customer.test> {channel_message_id} <m3@customer.test>")
    );
    let to = message.to().and_then(|a| a.first()).expect("To");
    assert_eq!(
        to.address(),
        Some("alice@customer.test"),
        "the newest message had no Reply-To"
    );
    assert_eq!(to.name(), Some("Alice Martin"));
}

#[tokio::test]
async fn a_resend_finds_the_reply_in_sent_and_does_not_send_it_again() {
    let f = Fixture::start(TlsMode::Implicit).await;
    let conversation = f.receive(&customer_mail()).await;
    let reply = f.reply(conversation, "Elle part demain.").await;
    let key = f
        .store
        .call(move |s| s.idempotency_key(reply))
        .await
        .unwrap()
        .unwrap();
    let message_id = format!("<{key}@boutique.example>");
    // A previous run sent it and filed it, then died before recording it.
    let copy = format!(
        "From: contact@boutique.example\r\nTo: orders-alice@customer.test\r\n\
         Subject: Re: Commande 42\r\nMessage-ID: {message_id}\r\n\r\nElle part demain.\r\n"
    );
    f.dovecot.append("Sent", copy.as_bytes(), None).await;
    let claimed = f
        .store
        .call(|s| s.claim_due(Timestamp::now(), Duration::from_secs(60), 10))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].attempt, 1);
    let requeued = f
        .store
        .call(|s| s.requeue_interrupted(Timestamp::now()))
        .await
        .unwrap();
    assert_eq!(requeued, 1);

    let outbox = f.outbox();
    let delivery = drive_until(&outbox, &f.store, reply, |d| {
        !matches!(d, Delivery::Queued { .. } | Delivery::Sending { .. })
    })
    .await;
    assert_eq!(
        delivery,
        Delivery::Sent {
            channel_message_id: message_id
        }
    );
    assert!(
        f.sink.deliveries().is_empty(),
        "sent again: {:?}",
        f.sink.deliveries()
    );
}

#[tokio::test]
async fn a_retry_without_a_copy_in_sent_sends() {
    let f = Fixture::start(TlsMode::Starttls).await;
    let conversation = f.receive(&customer_mail()).await;
    let reply = f.reply(conversation, "Elle part demain.").await;
    f.store
        .call(|s| {
            s.claim_due(Timestamp::now(), Duration::from_secs(60), 10)?;
            s.requeue_interrupted(Timestamp::now())
        })
        .await
        .unwrap();
    let outbox = f.outbox();
    let delivery = drive_until(&outbox, &f.store, reply, |d| {
        !matches!(d, Delivery::Queued { .. } | Delivery::Sending { .. })
    })
    .await;
    assert!(matches!(delivery, Delivery::Sent { .. }), "{delivery:?}");
    let deliveries = f.sink.deliveries();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(deliveries[0]["port"], f.sink.starttls_port, "over STARTTLS");
}

#[tokio::test]
async fn a_retry_waits_while_the_sent_folder_cannot_be_checked() {
    let mut f = Fixture::start(TlsMode::Implicit).await;
    let conversation = f.receive(&customer_mail()).await;
    let reply = f.reply(conversation, "Elle part demain.").await;
    let channel = f.channel();
    let mut outbound = f
        .store
        .call(|s| s.claim_due(Timestamp::now(), Duration::from_secs(60), 10))
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(outbound.message_id, reply);
    outbound.attempt = 2;
    f.dovecot.stop();
    let result = channel.send(&outbound).await;
    let Err(SendError::Transient { reason, .. }) = result else {
        panic!("expected a transient error: {result:?}");
    };
    assert!(reason.contains("Sent folder"), "{reason}");
    assert!(f.sink.deliveries().is_empty(), "sent without the check");
}

/// An outbound reply built by hand, for the channel alone.
fn outbound(to: &str) -> Outbound {
    Outbound {
        message_id: MessageId(1),
        idempotency_key: "0123456789abcdef0123456789abcdef".into(),
        channel: model::Channel::Email,
        account: "boutique".into(),
        thread_key: "<m0@customer.test>".into(),
        to: to.into(),
        to_name: Some("Alice".into()),
        subject: Some("Commande".into()),
        in_reply_to: Some("<m2@customer.test>".into()),
        references: vec!["<m0@customer.test>".into(), "<m2@customer.test>".into()],
        quote: None,
        author: "Camille".into(),
        text: "Bonjour".into(),
        attempt: 1,
    }
}

#[tokio::test]
async fn a_wrong_password_is_transient_with_the_servers_reason_and_no_password() {
    let f = Fixture::start(TlsMode::Starttls).await;
    let channel = SmtpChannel::new(&f.account, SecretString::new("hunter2-wrong")).unwrap();
    let result = channel.send(&outbound("alice@customer.test")).await;
    let Err(SendError::Transient { reason, .. }) = result else {
        panic!("expected a transient error: {result:?}");
    };
    assert!(reason.contains("535"), "{reason}");
    assert!(reason.contains("credentials invalid"), "{reason}");
    assert!(!reason.contains("hunter2"), "{reason}");
    assert!(!reason.contains('\n'), "{reason}");
    assert!(f.sink.deliveries().is_empty());
}

#[tokio::test]
async fn a_rejected_recipient_fails_the_reply_for_good() {
    let f = Fixture::start(TlsMode::Implicit).await;
    let mail = String::from_utf8(customer_mail())
        .unwrap()
        .replace("Reply-To: orders-alice@customer.test\r\n", "")
        .replace("alice@customer.test", "reject-alice@customer.test");
    let conversation = f.receive(mail.as_bytes()).await;
    let reply = f.reply(conversation, "Bonjour").await;
    let outbox = f.outbox();
    let delivery = drive_until(&outbox, &f.store, reply, |d| {
        !matches!(d, Delivery::Queued { .. } | Delivery::Sending { .. })
    })
    .await;
    let Delivery::Failed { reason } = delivery else {
        panic!("expected failed: {delivery:?}");
    };
    assert!(reason.contains("550"), "{reason}");
    assert!(reason.contains("mailbox unavailable"), "{reason}");
    assert!(f.sink.deliveries().is_empty());
}

#[tokio::test]
async fn line_breaks_in_names_and_subjects_cannot_add_headers() {
    let f = Fixture::start(TlsMode::Implicit).await;
    let channel = f.channel();
    let mut reply = outbound("alice@customer.test");
    reply.subject = Some("Commande\r\nBcc: evil@attacker.test".into());
    reply.author = "Camille\r\nBcc: evil@attacker.test".into();
    reply.to_name = Some("Alice\nX-Injected: yes".into());
    reply.in_reply_to = Some("<m2@customer.test>\r\nBcc: evil@attacker.test".into());
    reply
        .references
        .push("<x@y>\r\nBcc: evil@attacker.test".into());

    let raw = channel.compose(&reply).unwrap().formatted();
    let text = String::from_utf8_lossy(&raw);
    let head = text.split("\r\n\r\n").next().unwrap();
    for line in head.split("\r\n") {
        let name = line.split(':').next().unwrap_or("").to_ascii_lowercase();
        assert!(
            !matches!(name.as_str(), "bcc" | "x-injected"),
            "an injected header: {line:?} in\n{head}"
        );
    }
    let message = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(
        message.subject(),
        Some("Re: Commande Bcc: evil@attacker.test")
    );
    assert!(
        header(&message, "In-Reply-To").is_empty(),
        "a bad id is dropped"
    );

    channel.send(&reply).await.unwrap();
    let deliveries = f.sink.deliveries();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(
        deliveries[0]["to"],
        serde_json::json!(["alice@customer.test"]),
        "one recipient only"
    );
}

/// A customer email in thread `<root@customer.test>`, `secs` into the fixed clock.
fn email_in_thread(n: u32, secs: i64, reply_to: Option<&str>) -> comptoir::channels::Inbound {
    let mut mail = common::email(
        &format!("<m{n}@customer.test>"),
        "alice@customer.test",
        "<root@customer.test>",
        &format!("message {n}"),
    );
    mail.from.display_name = Some("Alice Martin".into());
    mail.sent_at = common::at(secs);
    mail.reply_to = reply_to.map(str::to_owned);
    mail
}

#[tokio::test]
async fn a_reply_is_built_from_the_thread_root_recent_ids_reply_to_and_quote() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
    let agent = store.ensure_agent("Camille").unwrap();
    let mut conversation = None;
    for n in 1..=15 {
        let reply_to = (n == 15).then_some("orders@customer.test");
        let outcome = comptoir::ingest::ingest(
            &mut store,
            &email_in_thread(n, i64::from(n) * 60, reply_to),
            common::at(1000),
        )
        .unwrap();
        if let comptoir::ingest::Outcome::New {
            conversation: c, ..
        } = outcome
        {
            conversation = Some(c);
        }
    }
    let conversation = conversation.unwrap();
    store
        .queue_reply(conversation, agent, "Bonjour", common::at(2000))
        .unwrap();
    let reply = store
        .claim_due(Timestamp::now(), Duration::from_secs(60), 10)
        .unwrap()
        .pop()
        .unwrap();
    let mut expected = vec!["<root@customer.test>".to_owned()];
    expected.extend((6..=15).map(|n| format!("<m{n}@customer.test>")));
    assert_eq!(reply.references, expected, "the root, then the last ten");
    assert_eq!(reply.in_reply_to.as_deref(), Some("<m15@customer.test>"));
    assert_eq!(reply.to, "orders@customer.test", "Reply-To honoured");
    assert_eq!(reply.to_name, None, "the name is not the Reply-To's");
    let quote = reply.quote.unwrap();
    assert_eq!(quote.text, "message 15");
    assert_eq!(quote.sent_at, common::at(15 * 60));

    // A newer message without Reply-To: back to the customer's own address and name.
    comptoir::ingest::ingest(
        &mut store,
        &email_in_thread(16, 3000, None),
        common::at(3000),
    )
    .unwrap();
    store
        .queue_reply(conversation, agent, "Encore", common::at(4000))
        .unwrap();
    let reply = store
        .claim_due(Timestamp::now(), Duration::from_secs(60), 10)
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(reply.to, "alice@customer.test");
    assert_eq!(reply.to_name.as_deref(), Some("Alice Martin"));
    assert_eq!(reply.references.len(), 11);
    assert_eq!(
        reply.references.last().map(String::as_str),
        Some("<m16@customer.test>")
    );
    assert_eq!(reply.quote.unwrap().text, "message 16");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comptoir_serve_sends_the_replies_queued_in_its_store() {
    let f = Fixture::start(TlsMode::Starttls).await;
    let dir = tempfile::tempdir().unwrap();
    let paths = comptoir::config::Paths {
        config_file: dir.path().join("config.toml"),
        data_dir: dir.path().join("data"),
        state_dir: dir.path().join("state"),
    };
    std::fs::create_dir_all(&paths.data_dir).unwrap();
    let reply = {
        let mut store = Store::open(&paths.store_file()).unwrap();
        let agent = store.ensure_agent("Camille").unwrap();
        let inbound = mime::parse(&customer_mail(), "boutique", &[])
            .inbound
            .unwrap();
        let comptoir::ingest::Outcome::New { conversation, .. } =
            comptoir::ingest::ingest(&mut store, &inbound, Timestamp::now()).unwrap()
        else {
            panic!("not stored");
        };
        // Written as a TUI in another process would, before serve starts.
        store
            .queue_reply(conversation, agent, "Elle part demain.", Timestamp::now())
            .unwrap()
    };
    let cfg = comptoir::config::Config {
        email: vec![f.account.clone()],
        ..comptoir::config::Config::default()
    };
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let serve_paths = paths.clone();
    let serve =
        tokio::spawn(async move { comptoir::serve::run(&cfg, &serve_paths, shutdown).await });

    let store = SharedStore::new(Store::open(&paths.store_file()).unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let d = common::delivery(&store, reply).await;
        if let Delivery::Sent { channel_message_id } = &d {
            assert!(channel_message_id.ends_with("@boutique.example>"));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not sent: {d:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deliveries = f.sink.deliveries();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(deliveries[0]["to"][0], "orders-alice@customer.test");

    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(30), serve)
        .await
        .expect("serve stops")
        .unwrap()
        .unwrap();
}
