//! A batch stores exactly what the same messages stored one by one would: the batch
//! path remembers senders and threads within its transaction and writes each
//! conversation's queue columns once, and none of that may show.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use common::{at, chat, email};
use comptoir::channels::Inbound;
use comptoir::ingest::{self, Outcome};
use comptoir::model::{ConversationId, CustomerId, Status};
use comptoir::store::{QueueFilter, Store};
use proptest::prelude::*;

/// One generated message: which sender and thread, when, and what it carries.
#[derive(Clone, Debug)]
struct Spec {
    id: usize,
    sender: usize,
    offset: i64,
    automated: bool,
    name: Option<usize>,
    email: Option<usize>,
    by_mail: bool,
}

const NAMES: [&str; 3] = ["Anne Martin", "Bruno Petit", "Chloé Durand"];
const EMAILS: [&str; 2] = ["anne@example.com", "shared@example.com"];

fn spec() -> impl Strategy<Value = Spec> {
    (
        0usize..24,
        0usize..5,
        // Coarse times, so that two messages of one thread are often written at once.
        -4i64..20,
        proptest::bool::weighted(0.2),
        proptest::option::weighted(0.4, 0usize..NAMES.len()),
        proptest::option::weighted(0.3, 0usize..EMAILS.len()),
        proptest::bool::weighted(0.3),
    )
        .prop_map(
            |(id, sender, offset, automated, name, email, by_mail)| Spec {
                id,
                sender,
                offset,
                automated,
                name,
                email,
                by_mail,
            },
        )
}

/// The message a spec stands for. The same id always gives the same message, so a
/// repeated id is a redelivery. Mail with a new thread key and a "Re:" subject joins an
/// earlier conversation by subject, which reads the queue columns mid-batch.
fn inbound(s: &Spec) -> Inbound {
    let key = s.id;
    let sender = s.sender;
    let mut m = if s.by_mail {
        let mut m = email(
            &format!("<m{key}@example.com>"),
            &format!("client{sender}@example.com"),
            &format!("<t{key}@example.com>"),
            &format!("Mail {key}\n> quoted line\nstill waiting"),
        );
        m.subject = Some(
            if key.is_multiple_of(2) {
                "Re: Commande"
            } else {
                "Commande"
            }
            .into(),
        );
        m
    } else {
        chat(
            &format!("c{key}"),
            &format!("visitor-{sender}"),
            &format!("Message {key} from {sender}"),
        )
    };
    m.sent_at = at(s.offset * 10);
    m.automated = s.automated;
    m.from.display_name = s.name.map(|n| NAMES[n].to_owned());
    m.from.email = s.email.map(|e| EMAILS[e].to_owned());
    m
}

/// The same history in any store: conversations waiting, answered, resolved, snoozed.
fn seeded(dir: &tempfile::TempDir, name: &str) -> Store {
    let mut store = Store::open(&dir.path().join(name)).expect("open");
    let agent = store.ensure_agent("Camille").expect("agent");
    let conversation = |store: &mut Store, sender: usize, secs: i64| -> ConversationId {
        let mut m = chat(
            &format!("seed{sender}"),
            &format!("visitor-{sender}"),
            "Bonjour",
        );
        m.sent_at = at(secs);
        match ingest::ingest(store, &m, at(secs)).expect("seed") {
            Outcome::New { conversation, .. } => conversation,
            other => panic!("seed stored as {other:?}"),
        }
    };
    let answered = conversation(&mut store, 0, -100);
    store
        .queue_reply(answered, agent, "Nous regardons", at(60))
        .expect("reply");
    let resolved = conversation(&mut store, 1, -90);
    store
        .set_status(resolved, Status::Resolved, at(-80))
        .expect("resolve");
    let snoozed = conversation(&mut store, 2, -70);
    store
        .set_status(snoozed, Status::Snoozed { until: at(10_000) }, at(-60))
        .expect("snooze");
    let mut mail = email(
        "<seed-mail@example.com>",
        "client3@example.com",
        "<seed-thread@example.com>",
        "Ma commande",
    );
    mail.sent_at = at(-50);
    ingest::ingest(&mut store, &mail, at(-50)).expect("seed mail");
    store
}

fn everything(store: &mut Store) -> (Vec<comptoir::model::Conversation>, Vec<String>) {
    let conversations = store
        .queue(&QueueFilter {
            statuses: vec![],
            limit: 1_000,
            ..QueueFilter::default()
        })
        .expect("queue");
    let mut customers = Vec::new();
    for id in 1..=64 {
        if let Some(c) = store.customer(CustomerId(id)).expect("customer") {
            customers.push(format!("{c:?}"));
        }
    }
    (conversations, customers)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The same messages in one batch and one by one give the same outcomes, the same
    /// conversations (status, preview, waiting time, counts, queue order) and the same
    /// customers.
    #[test]
    fn a_batch_stores_what_one_by_one_would(specs in proptest::collection::vec(spec(), 1..40)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let messages: Vec<Inbound> = specs.iter().map(inbound).collect();

        let mut batched = seeded(&dir, "batched.sqlite");
        let batch_outcomes = ingest::ingest_batch(&mut batched, &messages, at(300)).expect("batch");

        let mut single = seeded(&dir, "single.sqlite");
        let single_outcomes: Vec<Outcome> = messages
            .iter()
            .map(|m| ingest::ingest(&mut single, m, at(300)).expect("ingest"))
            .collect();

        prop_assert_eq!(batch_outcomes, single_outcomes);
        let (batch_conversations, batch_customers) = everything(&mut batched);
        let (single_conversations, single_customers) = everything(&mut single);
        prop_assert_eq!(batch_conversations, single_conversations);
        prop_assert_eq!(batch_customers, single_customers);
    }
}
