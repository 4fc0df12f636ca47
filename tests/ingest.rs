//! Ingest against a real SQLite file: dedupe, customer linking, reopening, threading by
//! references, dead letters, attachments, and the queries the TUI reads afterwards.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use common::{at, chat, email, open_store as open};
use comptoir::channels::{Contact, InboundAttachment};
use comptoir::ingest::{self, MAX_TEXT_BYTES, Outcome};
use comptoir::model::{Channel, HandleKind, MessageKind, Status, StatusName};
use comptoir::store::QueueFilter;
use proptest::prelude::*;

fn new_ids(outcome: Outcome) -> (comptoir::model::ConversationId, comptoir::model::MessageId) {
    match outcome {
        Outcome::New {
            conversation,
            message,
            ..
        } => (conversation, message),
        other => panic!("expected a new message, got {other:?}"),
    }
}

#[test]
fn the_same_message_twice_is_stored_once() {
    let (_dir, mut store) = open();
    let m = chat("m1", "visitor-1", "Bonjour, où est mon colis ?");
    let (conv, msg) = new_ids(ingest::ingest(&mut store, &m, at(1)).expect("ingest"));
    assert_eq!(
        ingest::ingest(&mut store, &m, at(2)).expect("ingest"),
        Outcome::Duplicate { message: msg }
    );
    assert_eq!(store.message_count().expect("count"), 1);
    let thread = store.thread(conv).expect("thread");
    assert_eq!(thread.len(), 1);
    assert_eq!(thread[0].body, "Bonjour, où est mon colis ?");
    // The same external id on another account is another message.
    let mut other = m.clone();
    other.account = "shop2".into();
    assert!(matches!(
        ingest::ingest(&mut store, &other, at(3)).expect("ingest"),
        Outcome::New { opened: true, .. }
    ));
}

#[test]
fn an_email_address_claimed_on_chat_is_a_suggestion_not_a_link() {
    let (_dir, mut store) = open();
    let mut c = chat("c1", "visitor-9", "Ma commande 1042 n'est pas arrivée");
    c.from.display_name = Some("Anne Martin".into());
    c.from.email = Some("Anne.Martin@Example.com".into());
    let (chat_conv, _) = new_ids(ingest::ingest(&mut store, &c, at(0)).expect("ingest"));
    let e = email(
        "<e1@example.com>",
        "anne.martin@example.com",
        "<e1@example.com>",
        "Toujours rien",
    );
    let (mail_conv, _) = new_ids(ingest::ingest(&mut store, &e, at(60)).expect("ingest"));
    assert_ne!(chat_conv, mail_conv, "two channels, two conversations");
    let a = store.conversation(chat_conv).expect("q").expect("exists");
    let b = store.conversation(mail_conv).expect("q").expect("exists");
    // The pre-chat email is the visitor's unproven claim: the email's sender is not
    // joined to them behind the agent's back; the card suggests the link instead.
    assert_ne!(a.customer_id, b.customer_id, "a claim never merges");
    let history = store.customer_history(b.customer_id).expect("history");
    let kinds: Vec<_> = history
        .customer
        .handles
        .iter()
        .map(|h| h.kind.clone())
        .collect();
    assert_eq!(
        kinds,
        [HandleKind::Email],
        "the address went to its real sender"
    );
    let suggested = store.suggestions(b.customer_id).expect("suggestions");
    assert_eq!(suggested.len(), 1);
    assert_eq!(suggested[0].customer, a.customer_id);
    assert_eq!(suggested[0].name.as_deref(), Some("Anne Martin"));
    assert!(kinds.contains(&HandleKind::Email));
    assert!(
        !store
            .customer(a.customer_id)
            .expect("q")
            .expect("exists")
            .handles
            .iter()
            .any(|h| h.kind == HandleKind::Email)
    );
    assert!(
        store
            .customer(a.customer_id)
            .expect("q")
            .expect("exists")
            .handles
            .iter()
            .any(|h| h.kind == HandleKind::On(Channel::Chat))
    );
}

#[test]
fn a_phone_number_claimed_on_chat_suggests_the_whatsapp_customer() {
    let (_dir, mut store) = open();
    let mut c = chat("c1", "visitor-3", "Bonjour");
    c.from.phone = Some("+33 6 12 34 56 78".into());
    let (a, _) = new_ids(ingest::ingest(&mut store, &c, at(0)).expect("ingest"));
    let mut w = chat("wamid.1", "33612345678", "C'est encore moi");
    w.channel = Channel::Whatsapp;
    w.account = "boutique".into();
    let (b, _) = new_ids(ingest::ingest(&mut store, &w, at(5)).expect("ingest"));
    let a = store.conversation(a).expect("q").expect("exists");
    let b = store.conversation(b).expect("q").expect("exists");
    assert_ne!(a.customer_id, b.customer_id, "a claim never merges");
    let suggested = store.suggestions(a.customer_id).expect("suggestions");
    assert_eq!(suggested.len(), 1);
    assert_eq!(suggested[0].customer, b.customer_id);
    // Strangers stay apart, and nobody suggests them.
    let (s, _) = new_ids(
        ingest::ingest(&mut store, &chat("c9", "visitor-4", "Salut"), at(9)).expect("ingest"),
    );
    let s = store.conversation(s).expect("q").expect("exists");
    assert_ne!(s.customer_id, a.customer_id);
    assert!(store.suggestions(s.customer_id).expect("s").is_empty());
}

#[test]
fn a_new_message_reopens_a_resolved_or_snoozed_conversation() {
    let (_dir, mut store) = open();
    let (conv, _) =
        new_ids(ingest::ingest(&mut store, &chat("m1", "v", "one"), at(0)).expect("ingest"));
    store
        .set_status(conv, Status::Resolved, at(1))
        .expect("resolve");
    let mut m2 = chat("m2", "v", "two");
    m2.sent_at = at(10);
    assert!(matches!(
        ingest::ingest(&mut store, &m2, at(10)).expect("ingest"),
        Outcome::New {
            reopened: true,
            opened: false,
            ..
        }
    ));
    assert_eq!(
        store.conversation(conv).expect("q").expect("c").status,
        Status::Open
    );

    store
        .set_status(conv, Status::Snoozed { until: at(3600) }, at(20))
        .expect("snooze");
    // An auto-reply does not bring it back, nor make anyone wait.
    let mut auto = chat("m3", "v", "Je suis absente");
    auto.automated = true;
    auto.sent_at = at(30);
    assert!(matches!(
        ingest::ingest(&mut store, &auto, at(30)).expect("ingest"),
        Outcome::New {
            reopened: false,
            ..
        }
    ));
    assert!(matches!(
        store.conversation(conv).expect("q").expect("c").status,
        Status::Snoozed { .. }
    ));
    let mut m4 = chat("m4", "v", "three");
    m4.sent_at = at(40);
    assert!(matches!(
        ingest::ingest(&mut store, &m4, at(40)).expect("ingest"),
        Outcome::New { reopened: true, .. }
    ));
}

#[test]
fn snoozes_end_on_time() {
    let (_dir, mut store) = open();
    let (conv, _) =
        new_ids(ingest::ingest(&mut store, &chat("m1", "v", "one"), at(0)).expect("ingest"));
    assert!(
        store
            .set_status(conv, Status::Snoozed { until: at(0) }, at(5))
            .is_err(),
        "past snooze"
    );
    store
        .set_status(conv, Status::Snoozed { until: at(100) }, at(5))
        .expect("snooze");
    assert_eq!(store.wake_snoozed(at(99)).expect("wake"), 0);
    assert_eq!(store.wake_snoozed(at(100)).expect("wake"), 1);
    assert_eq!(
        store.conversation(conv).expect("q").expect("c").status,
        Status::Open
    );
}

#[test]
fn an_email_answering_a_stored_message_joins_its_conversation() {
    let (_dir, mut store) = open();
    let first = email("<a@x>", "bob@example.com", "<a@x>", "Question");
    let (conv, _) = new_ids(ingest::ingest(&mut store, &first, at(0)).expect("ingest"));
    let mut answer = email("<b@x>", "bob@example.com", "<b@x>", "Précision");
    answer.references = vec!["<zzz@elsewhere>".into(), "<a@x>".into()];
    let (conv2, _) = new_ids(ingest::ingest(&mut store, &answer, at(5)).expect("ingest"));
    assert_eq!(conv, conv2);
}

/// An email from `from` with `subject`, sent `days` days after the first, with no
/// threading headers of its own.
fn headerless(id: &str, from: &str, subject: &str, days: i64) -> comptoir::channels::Inbound {
    let mut mail = email(id, from, id, "texte");
    mail.subject = Some(subject.into());
    mail.sent_at = at(days * 86_400);
    mail
}

#[test]
fn a_reply_that_lost_its_headers_joins_by_subject_and_sender_within_30_days() {
    let (_dir, mut store) = open();
    let first = headerless("<a@x>", "bob@example.com", "[Boutique] Commande 1234", 0);
    let (conv, _) = new_ids(ingest::ingest(&mut store, &first, at(0)).expect("ingest"));

    // A reply prefix in any of the usual forms, 29 days later: same conversation.
    let reply = headerless("<b@x>", "bob@example.com", "RE: Re[2]: Commande  1234", 29);
    let (joined, _) = new_ids(ingest::ingest(&mut store, &reply, at(0)).expect("ingest"));
    assert_eq!(joined, conv);

    // The window counts from the conversation's last message, not its first.
    let later = headerless("<c@x>", "bob@example.com", "AW: commande 1234", 58);
    let (joined, _) = new_ids(ingest::ingest(&mut store, &later, at(0)).expect("ingest"));
    assert_eq!(joined, conv);

    // Unknown References also fall back to the subject.
    let mut referenced = headerless("<d@x>", "bob@example.com", "Commande 1234", 60);
    referenced.references = vec!["<never-seen@elsewhere>".into()];
    let (joined, _) = new_ids(ingest::ingest(&mut store, &referenced, at(0)).expect("ingest"));
    assert_eq!(joined, conv);
}

#[test]
fn subject_threading_needs_the_same_sender_a_reply_marker_and_the_window() {
    let (_dir, mut store) = open();
    let first = headerless("<a@x>", "bob@example.com", "Commande 1234", 0);
    let (conv, _) = new_ids(ingest::ingest(&mut store, &first, at(0)).expect("ingest"));

    let stranger = headerless("<b@x>", "eve@example.com", "Re: Commande 1234", 1);
    let fresh_question = headerless("<c@x>", "bob@example.com", "Commande 1234", 2);
    let too_late = headerless("<d@x>", "bob@example.com", "Re: Commande 1234", 40);
    let other_subject = headerless("<e@x>", "bob@example.com", "Re: Facture", 3);
    for mail in [stranger, fresh_question, too_late, other_subject] {
        let (other, _) = new_ids(ingest::ingest(&mut store, &mail, at(0)).expect("ingest"));
        assert_ne!(
            other, conv,
            "{:?} must open its own conversation",
            mail.subject
        );
    }
    // A chat has no subject: never threaded this way.
    let visitor = chat("m1", "bob@example.com", "Re: Commande 1234");
    let (other, _) = new_ids(ingest::ingest(&mut store, &visitor, at(0)).expect("ingest"));
    assert_ne!(other, conv);
}

#[test]
fn what_cannot_be_a_message_is_dead_lettered_and_the_rest_flows_on() {
    let (_dir, mut store) = open();
    let huge = chat("big", "v", &"x".repeat(MAX_TEXT_BYTES + 1));
    let no_id = chat("", "v", "no id");
    let mut raw = chat("rawone", "", "no sender");
    raw.thread_key = "thread".into();
    raw.raw = Some(b"\x00\xffbroken bytes".to_vec());
    let good = chat("ok", "v", "fine");
    let outcomes =
        ingest::ingest_batch(&mut store, &[huge.clone(), no_id, raw, good], at(0)).expect("batch");
    assert!(matches!(outcomes[0], Outcome::DeadLettered { .. }));
    assert!(matches!(outcomes[1], Outcome::DeadLettered { .. }));
    assert!(matches!(outcomes[2], Outcome::DeadLettered { .. }));
    assert!(matches!(outcomes[3], Outcome::New { .. }));
    assert_eq!(store.message_count().expect("count"), 1);
    let letters = store.dead_letters().expect("letters");
    assert_eq!(letters.len(), 3);
    let raw_letter = letters
        .iter()
        .find(|l| l.external_id.as_deref() == Some("rawone"))
        .expect("raw kept");
    assert_eq!(raw_letter.reason, "no sender");
    assert_eq!(
        store
            .dead_letter_raw(raw_letter.id)
            .expect("raw")
            .expect("present"),
        b"\x00\xffbroken bytes"
    );
    let big = letters
        .iter()
        .find(|l| l.external_id.as_deref() == Some("big"))
        .expect("big kept");
    assert!(big.reason.contains("over the"), "{}", big.reason);
    assert!(big.size > MAX_TEXT_BYTES as u64, "the whole text is kept");
    // A channel that redelivers the bad message does not fill the list.
    let again = ingest::ingest(&mut store, &huge, at(1)).expect("ingest");
    assert_eq!(again, Outcome::DeadLettered { id: big.id });
    assert_eq!(store.dead_letters().expect("letters").len(), 3);
    // A message that cannot be parsed at all.
    let id = ingest::dead_letter(
        &mut store,
        Channel::Email,
        "boutique",
        None,
        b"garbage",
        "unparseable MIME",
        at(2),
    )
    .expect("dead letter");
    assert!(store.remove_dead_letter(id).expect("remove"));
}

#[test]
fn attachments_are_stored_once_on_disk_by_content() {
    let (dir, mut store) = open();
    let photo = InboundAttachment {
        name: "colis abîmé.jpg".into(),
        mime: "image/jpeg".into(),
        bytes: vec![0xff, 0xd8, 0xff, 0xe0, 1, 2, 3],
    };
    let mut a = chat("a1", "v", "Voici la photo");
    a.attachments = vec![photo.clone()];
    let mut b = chat("a2", "v", "La même, encore");
    b.attachments = vec![photo.clone()];
    let (conv, _) = new_ids(ingest::ingest(&mut store, &a, at(0)).expect("ingest"));
    ingest::ingest(&mut store, &b, at(1)).expect("ingest");
    let thread = store.thread(conv).expect("thread");
    assert_eq!(thread.len(), 2);
    let att = &thread[0].attachments[0];
    assert_eq!(att.name, "colis abîmé.jpg");
    assert_eq!(att.size, 7);
    assert_eq!(thread[1].attachments[0].sha256, att.sha256);
    assert_eq!(store.blobs().get(&att.sha256).expect("bytes"), photo.bytes);
    let files: Vec<_> = walk(&dir.path().join("attachments"));
    assert_eq!(files.len(), 1, "one file for two copies: {files:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_queue_puts_the_longest_waiting_first_and_a_reply_ends_the_wait() {
    let (_dir, mut store) = open();
    let agent = store.ensure_agent("Camille").expect("agent");
    let mut ids = Vec::new();
    for (i, v) in ["v1", "v2", "v3"].iter().enumerate() {
        let mut m = chat(&format!("m{i}"), v, &format!("question {i}"));
        m.sent_at = at(100 - i64::try_from(i).expect("small") * 10);
        ids.push(new_ids(ingest::ingest(&mut store, &m, at(200)).expect("ingest")).0);
    }
    let order: Vec<_> = store
        .queue(&QueueFilter::default())
        .expect("queue")
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(order, vec![ids[2], ids[1], ids[0]], "oldest wait first");
    let stats = store.stats().expect("stats");
    assert_eq!((stats.open, stats.unanswered), (3, 3));
    assert_eq!(stats.oldest_waiting, Some(at(80)));

    let reply = store
        .queue_reply(ids[2], agent, "On regarde !", at(300))
        .expect("reply");
    let queue = store.queue(&QueueFilter::default()).expect("queue");
    assert_eq!(
        queue.last().map(|c| c.id),
        Some(ids[2]),
        "answered goes after the waiting"
    );
    assert_eq!(queue.last().and_then(|c| c.waiting_since), None);
    let unanswered = store
        .queue(&QueueFilter {
            unanswered: true,
            ..QueueFilter::default()
        })
        .expect("queue");
    assert_eq!(unanswered.len(), 2);
    assert_eq!(store.stats().expect("stats").unanswered, 2);
    let thread = store.thread(ids[2]).expect("thread");
    assert_eq!(thread[1].id, reply);
    assert_eq!(thread[1].kind, MessageKind::Outbound);
    assert_eq!(thread[1].author, "Camille");
    assert!(matches!(
        thread[1].delivery,
        Some(comptoir::model::Delivery::Queued { attempts: 0, .. })
    ));

    // A message older than the reply (a late sync) does not make the customer wait again.
    let mut late = chat("late", "v3", "old news");
    late.sent_at = at(250);
    ingest::ingest(&mut store, &late, at(400)).expect("ingest");
    assert_eq!(
        store
            .conversation(ids[2])
            .expect("q")
            .expect("c")
            .waiting_since,
        None
    );

    // Filters: status, channel, assignee.
    store
        .set_status(ids[0], Status::Pending, at(500))
        .expect("pending");
    store.assign(ids[1], Some(agent)).expect("assign");
    store.add_label(ids[1], "livraison").expect("label");
    let pending = store
        .queue(&QueueFilter {
            statuses: vec![StatusName::Pending],
            ..QueueFilter::default()
        })
        .expect("queue");
    assert_eq!(
        pending.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![ids[0]]
    );
    let mine = store
        .queue(&QueueFilter {
            statuses: vec![],
            assignee: Some(agent),
            ..QueueFilter::default()
        })
        .expect("queue");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].labels, vec!["livraison".to_owned()]);
    let email_only = store
        .queue(&QueueFilter {
            statuses: vec![],
            channel: Some(Channel::Email),
            ..QueueFilter::default()
        })
        .expect("queue");
    assert!(email_only.is_empty());
    let page2 = store
        .queue(&QueueFilter {
            statuses: vec![],
            offset: 1,
            limit: 1,
            ..QueueFilter::default()
        })
        .expect("queue");
    assert_eq!(page2.len(), 1);
}

#[test]
fn notes_show_in_the_customer_history_and_are_searchable() {
    let (_dir, mut store) = open();
    let agent = store.ensure_agent("Camille").expect("agent");
    let (conv, _) = new_ids(
        ingest::ingest(
            &mut store,
            &chat("m1", "v", "Le colis 1042 est arrivé abîmé"),
            at(0),
        )
        .expect("ingest"),
    );
    store
        .add_note(conv, agent, "Remboursement accordé, voir Zoé", at(10))
        .expect("note");
    let customer = store.conversation(conv).expect("q").expect("c").customer_id;
    let history = store.customer_history(customer).expect("history");
    let notes: Vec<_> = history
        .timeline
        .iter()
        .filter(|e| e.kind == MessageKind::Note)
        .collect();
    assert_eq!(notes.len(), 1, "the note is in the customer's timeline");
    assert_eq!(notes[0].text, "Remboursement accordé, voir Zoé");
    // A note is not a reply: the customer still waits.
    assert!(
        store
            .conversation(conv)
            .expect("q")
            .expect("c")
            .waiting_since
            .is_some()
    );

    let hits = store.search("abime", 10).expect("search");
    assert_eq!(hits.len(), 1, "diacritics are folded");
    assert_eq!(hits[0].conversation_id, conv);
    assert!(
        hits[0]
            .snippet
            .parts
            .iter()
            .any(|(t, hit)| *hit && t == "abîmé"),
        "{:?}",
        hits[0].snippet
    );
    assert_eq!(
        store.search("rembourse", 10).expect("search").len(),
        1,
        "prefix match"
    );
    assert!(
        store.search("\"unbalanced AND (", 10).is_ok(),
        "any input is a valid query"
    );
    assert!(store.search("introuvable", 10).expect("search").is_empty());
}

#[test]
fn contact_details_fill_in_a_nameless_customer() {
    let (_dir, mut store) = open();
    let (conv, _) =
        new_ids(ingest::ingest(&mut store, &chat("m1", "v", "hi"), at(0)).expect("ingest"));
    let mut named = chat("m2", "v", "it's me");
    named.from = Contact {
        handle: "v".into(),
        display_name: Some("Zoé".into()),
        ..Contact::default()
    };
    ingest::ingest(&mut store, &named, at(1)).expect("ingest");
    assert_eq!(
        store
            .conversation(conv)
            .expect("q")
            .expect("c")
            .customer_name
            .as_deref(),
        Some("Zoé")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Any interleaving and repetition of the same inbound messages, in batches of any
    /// size, stores each message exactly once, in the right conversation.
    #[test]
    fn any_interleaving_stores_each_message_exactly_once(
        order in proptest::collection::vec(0usize..12, 1..60),
        batch in 1usize..8,
    ) {
        let (_dir, mut store) = open();
        let messages: Vec<_> = (0..12)
            .map(|i| chat(&format!("m{i}"), &format!("visitor-{}", i % 3), &format!("message {i}")))
            .collect();
        let sequence: Vec<_> = order.iter().map(|&i| messages[i].clone()).collect();
        for chunk in sequence.chunks(batch) {
            ingest::ingest_batch(&mut store, chunk, at(0)).expect("batch");
        }
        let mut distinct = order.clone();
        distinct.sort_unstable();
        distinct.dedup();
        prop_assert_eq!(store.message_count().expect("count"), distinct.len() as u64);
        let conversations = store
            .queue(&QueueFilter { statuses: vec![], limit: 100, ..QueueFilter::default() })
            .expect("queue");
        let visitors: std::collections::BTreeSet<_> = distinct.iter().map(|i| i % 3).collect();
        prop_assert_eq!(conversations.len(), visitors.len());
        for c in conversations {
            let thread = store.thread(c.id).expect("thread");
            prop_assert_eq!(thread.len() as u32, c.message_count);
            for m in thread {
                let i: usize = m.external_id.as_deref().expect("id")[1..].parse().expect("n");
                prop_assert_eq!(format!("visitor-{}", i % 3), c.thread_key.clone());
            }
        }
    }
}
