//! Customer identity on a real SQLite file: a claim never merges anyone, suggestions
//! from a shared email, phone or order number, `link` / `unlink` from the kept log
//! (proptest: unlink after link gives back the same customers whichever survives), the
//! customer card's counts, and the history timeline across channels.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use common::{at, chat, email, open_store as open};
use comptoir::channels::Inbound;
use comptoir::ingest::{self, Outcome};
use comptoir::model::{Channel, ConversationId, CustomerId, HandleKind, MessageKind};
use comptoir::store::{Shared, Source, Store, StoreError};
use proptest::prelude::*;

fn customer_of(store: &mut Store, inbound: &Inbound, t: i64) -> CustomerId {
    match ingest::ingest(store, inbound, at(t)).expect("ingest") {
        Outcome::New { conversation, .. } => store.conversation(conversation).unwrap().unwrap(),
        other => panic!("expected a new message, got {other:?}"),
    }
    .customer_id
}

fn whatsapp(id: &str, phone: &str, text: &str) -> Inbound {
    let mut w = chat(id, phone, text);
    w.channel = Channel::Whatsapp;
    w.account = "boutique".into();
    w
}

#[test]
fn a_chat_visitor_claiming_a_known_email_is_a_suggestion_not_a_merge() {
    let (_dir, mut store) = open();
    let mut mail = email("<e1@x>", "jeanne@example.com", "<e1@x>", "Bonjour");
    mail.from.display_name = Some("Jeanne Martin".into());
    let jeanne = customer_of(&mut store, &mail, 0);
    for (i, t) in [1, 2].iter().enumerate() {
        let m = email(
            &format!("<e{t}0@x>"),
            "jeanne@example.com",
            &format!("<t{i}@x>"),
            "Re",
        );
        assert_eq!(customer_of(&mut store, &m, *t), jeanne);
    }

    let mut visit = chat("c1", "visitor-1", "C'est Jeanne, ma commande ?");
    visit.from.email = Some("Jeanne@Example.com".into());
    visit.from.display_name = Some("J. M.".into());
    let visitor = customer_of(&mut store, &visit, 10);
    assert_ne!(visitor, jeanne, "an unproven claim never merges");
    let card = store.customer_card(visitor).unwrap();
    assert!(
        !card
            .customer
            .handles
            .iter()
            .any(|h| h.value == "jeanne@example.com"),
        "the address stays Jeanne's: {:?}",
        card.customer.handles
    );
    assert_eq!(card.claims.len(), 1, "the claim is kept");
    assert_eq!(card.suggestions.len(), 1);
    let s = &card.suggestions[0];
    assert_eq!(s.customer, jeanne);
    assert_eq!(
        s.describe(),
        "Jeanne Martin (email, 3 conversations) — shared: jeanne@example.com (claimed)"
    );
    // Both ways: Jeanne's card points at the visitor too.
    let theirs = store.customer_card(jeanne).unwrap().suggestions;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].customer, visitor);
    assert_eq!(theirs[0].reasons[0].source, Source::Claim);
}

#[test]
fn a_claimed_address_is_taken_over_by_its_real_sender_and_suggested() {
    let (_dir, mut store) = open();
    let mut visit = chat("c1", "visitor-1", "Bonjour");
    visit.from.email = Some("anne@example.com".into());
    let visitor = customer_of(&mut store, &visit, 0);
    let card = store.customer_card(visitor).unwrap();
    assert_eq!(card.claimed.len(), 1, "linked, but marked claimed");

    let mail = email("<e1@x>", "anne@example.com", "<e1@x>", "Toujours rien");
    let anne = customer_of(&mut store, &mail, 60);
    assert_ne!(anne, visitor, "the claim made nobody join the visitor");
    let anne_card = store.customer_card(anne).unwrap();
    assert!(
        anne_card
            .customer
            .handles
            .iter()
            .any(|h| h.kind == HandleKind::Email && h.value == "anne@example.com")
    );
    assert!(anne_card.claimed.is_empty(), "proven by the email channel");
    assert_eq!(anne_card.suggestions[0].customer, visitor);
    // Her next email finds her, not the visitor.
    let again = email("<e2@x>", "anne@example.com", "<e2@x>", "Allô ?");
    assert_eq!(customer_of(&mut store, &again, 70), anne);
}

#[test]
fn a_phone_number_written_in_a_message_suggests_the_whatsapp_customer() {
    let (_dir, mut store) = open();
    let wa = customer_of(&mut store, &whatsapp("w1", "33612345678", "Bonjour"), 0);
    let mail = email(
        "<e1@x>",
        "paul@example.com",
        "<e1@x>",
        "Vous pouvez m'appeler au 06 12 34 56 78.",
    );
    let paul = customer_of(&mut store, &mail, 5);
    let s = store.suggestions(paul).unwrap();
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0].customer, wa);
    assert_eq!(
        (s[0].reasons[0].shared, s[0].reasons[0].source),
        (Shared::Phone, Source::Message)
    );
    // A claimed phone on the chat meets the WhatsApp number as well.
    let mut visit = chat("c1", "visitor-3", "Salut");
    visit.from.phone = Some("+33 6 12 34 56 78".into());
    let visitor = customer_of(&mut store, &visit, 9);
    assert_ne!(visitor, wa, "a phone number given in a form is a claim");
    let s = store.suggestions(visitor).unwrap();
    assert!(s.iter().any(|s| s.customer == wa), "{s:?}");
}

#[test]
fn a_shared_order_number_and_a_mentioned_email_suggest_a_link() {
    let (_dir, mut store) = open();
    let a = customer_of(
        &mut store,
        &email(
            "<a1@x>",
            "a@example.com",
            "<a1@x>",
            "Où est ma commande #48213 ?",
        ),
        0,
    );
    let b = customer_of(
        &mut store,
        &chat("c1", "visitor-7", "Hello, order 48213 never came"),
        5,
    );
    let c = customer_of(
        &mut store,
        &chat("c2", "visitor-8", "I paid 48213 dollars for nothing"),
        6,
    );
    let s = store.suggestions(a).unwrap();
    assert_eq!(s.len(), 1, "a bare number is no order number: {s:?}");
    assert_eq!(s[0].customer, b);
    assert_eq!(s[0].reasons[0].describe(), "order 48213 (in a message)");
    assert!(store.suggestions(c).unwrap().is_empty());

    // Someone who writes a's address in a message.
    let d = customer_of(
        &mut store,
        &chat("c3", "visitor-9", "Mon email: A@example.com"),
        7,
    );
    let from_d = store.suggestions(d).unwrap();
    assert!(from_d.iter().any(|s| s.customer == a), "{from_d:?}");
    let from_a = store.suggestions(a).unwrap();
    assert!(from_a.iter().any(|s| s.customer == d), "{from_a:?}");
}

#[test]
fn the_card_counts_a_known_store() {
    let (_dir, mut store) = open();
    let me = store.ensure_agent("Camille").unwrap();
    let mut first = email("<e1@x>", "lea@example.com", "<e1@x>", "Un");
    first.sent_at = at(100);
    let lea = customer_of(&mut store, &first, 100);
    let mut second = email("<e2@x>", "lea@example.com", "<e1@x>", "Deux");
    second.sent_at = at(200);
    ingest::ingest(&mut store, &second, at(200)).unwrap();
    let mut other = email("<e3@x>", "lea@example.com", "<e3@x>", "Trois");
    other.sent_at = at(300);
    let conv = match ingest::ingest(&mut store, &other, at(300)).unwrap() {
        Outcome::New { conversation, .. } => conversation,
        o => panic!("{o:?}"),
    };
    store.queue_reply(conv, me, "Bien reçu", at(400)).unwrap();
    store.add_note(conv, me, "VIP", at(450)).unwrap();
    // The same person by chat, linked by an agent.
    let mut visit = chat("c1", "visitor-1", "Coucou");
    visit.sent_at = at(500);
    let visitor = customer_of(&mut store, &visit, 500);
    let link = store.link(lea, visitor, Some(me), at(600)).unwrap();
    store.tag_customer(lea, " vip ").unwrap();
    store.tag_customer(lea, "vip").unwrap();
    store
        .add_customer_note(lea, Some(me), "Prefers email", at(700))
        .unwrap();
    store.rename_customer(lea, "Léa Petit").unwrap();

    let card = store.customer_card(lea).unwrap();
    assert_eq!(card.customer.display_name.as_deref(), Some("Léa Petit"));
    assert_eq!(card.conversations, 3);
    assert_eq!(
        card.messages_per_channel,
        vec![(Channel::Email, 4), (Channel::Chat, 1)],
        "three emails and a reply; the note is not a message"
    );
    assert_eq!(card.first_seen, at(100));
    assert_eq!(card.last_contact, Some(at(500)));
    assert_eq!(card.tags, ["vip"]);
    assert_eq!(card.notes.len(), 1);
    assert_eq!(card.notes[0].agent.as_deref(), Some("Camille"));
    assert_eq!(card.links.len(), 1);
    assert_eq!(card.links[0].id, link);
    assert_eq!(card.links[0].agent.as_deref(), Some("Camille"));
    assert_eq!(card.customer.handles.len(), 2, "email and chat visitor");
    let merged = store.customer_card(visitor).unwrap();
    assert_eq!(merged.merged_into, Some(lea), "the merged row is kept");
    assert_eq!(merged.conversations, 0);

    // The history pane's timeline: every channel, oldest first, notes included.
    let h = store.customer_history(lea).unwrap();
    let kinds: Vec<(Channel, MessageKind)> =
        h.timeline.iter().map(|e| (e.channel, e.kind)).collect();
    assert_eq!(kinds.len(), 6);
    assert_eq!(
        kinds[5],
        (Channel::Chat, MessageKind::Inbound),
        "newest last"
    );
    assert!(h.timeline.windows(2).all(|w| w[0].sent_at <= w[1].sent_at));
    assert_eq!(h.messages_total, 6);
    let page = store.customer_history_page(lea, 2).unwrap();
    assert_eq!(page.timeline.len(), 2);
    assert_eq!(page.timeline[1].text, "Coucou");
}

#[test]
fn unlink_puts_back_what_moved_and_keeps_what_came_after() {
    let (_dir, mut store) = open();
    let a = customer_of(&mut store, &email("<e1@x>", "a@x.com", "<e1@x>", "A"), 0);
    let b = customer_of(&mut store, &email("<b1@x>", "b@x.com", "<b1@x>", "B"), 1);
    let link = store.link(a, b, None, at(5)).unwrap();
    assert!(matches!(
        store.link(a, b, None, at(6)),
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.link(a, a, None, at(6)),
        Err(StoreError::Invalid(_))
    ));
    // After the link, b's address finds a.
    let later = customer_of(
        &mut store,
        &email("<b2@x>", "b@x.com", "<b2@x>", "new thread"),
        10,
    );
    assert_eq!(later, a);
    let undone = store.unlink_last(a, at(20)).unwrap();
    assert_eq!(undone.id, link);
    let history_b = store.customer_history(b).unwrap();
    assert_eq!(history_b.conversations.len(), 1, "b's own conversation");
    let history_a = store.customer_history(a).unwrap();
    assert_eq!(
        history_a.conversations.len(),
        2,
        "a keeps the conversation that came after the link"
    );
    assert!(matches!(
        store.unlink(link, at(21)),
        Err(StoreError::Invalid(_))
    ));
    assert!(
        store.unlink_last(a, at(22)).is_err(),
        "nothing left to undo"
    );
}

#[test]
fn a_chain_of_links_is_undone_from_the_last() {
    let (_dir, mut store) = open();
    let a = customer_of(&mut store, &chat("c1", "v-a", "A"), 0);
    let b = customer_of(&mut store, &chat("c2", "v-b", "B"), 1);
    let c = customer_of(&mut store, &chat("c3", "v-c", "C"), 2);
    let first = store.link(a, b, None, at(5)).unwrap();
    store.link(c, a, None, at(6)).unwrap();
    let err = store.unlink(first, at(7)).unwrap_err().to_string();
    assert!(err.contains("undo that link first"), "{err}");
    store.unlink_last(c, at(8)).unwrap();
    store.unlink(first, at(9)).unwrap();
    for id in [a, b, c] {
        assert_eq!(store.customer_history(id).unwrap().conversations.len(), 1);
    }
}

/// What a customer is, as the proptest compares it.
#[derive(Debug, PartialEq, Eq)]
struct Snapshot {
    name: Option<String>,
    merged_into: Option<CustomerId>,
    handles: Vec<(String, String)>,
    claimed: usize,
    claims: Vec<String>,
    conversations: Vec<ConversationId>,
    tags: Vec<String>,
    notes: Vec<(i64, String)>,
}

fn snapshot(store: &mut Store, id: CustomerId) -> Snapshot {
    let card = store.customer_card(id).unwrap();
    let history = store.customer_history(id).unwrap();
    let mut handles: Vec<(String, String)> = card
        .customer
        .handles
        .iter()
        .map(|h| (h.kind.as_str().to_owned(), h.value.clone()))
        .collect();
    handles.sort();
    let mut claims: Vec<String> = card.claims.iter().map(|c| c.handle.value.clone()).collect();
    claims.sort();
    let mut conversations: Vec<ConversationId> =
        history.conversations.iter().map(|c| c.id).collect();
    conversations.sort();
    Snapshot {
        name: card.customer.display_name,
        merged_into: card.merged_into,
        handles,
        claimed: card.claimed.len(),
        claims,
        conversations,
        tags: card.tags,
        notes: card.notes.iter().map(|n| (n.id, n.body.clone())).collect(),
    }
}

/// One message of the generated store: who sends it on which channel, and what they
/// claim.
#[derive(Clone, Debug)]
struct Spec {
    person: usize,
    channel: u8,
    claim: Option<usize>,
    named: bool,
    thread: u8,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..5usize,
        0..3u8,
        proptest::option::of(0..5usize),
        any::<bool>(),
        0..3u8,
    )
        .prop_map(|(person, channel, claim, named, thread)| Spec {
            person,
            channel,
            claim,
            named,
            thread,
        })
}

fn inbound(i: usize, s: &Spec) -> Inbound {
    let mut m = match s.channel {
        0 => email(
            &format!("<m{i}@x>"),
            &format!("p{}@example.com", s.person),
            &format!("<t{}-{}@x>", s.person, s.thread),
            "mail",
        ),
        1 => chat(&format!("c{i}"), &format!("visitor-{}", s.person), "chat"),
        _ => whatsapp(&format!("w{i}"), &format!("3361000000{}", s.person), "wa"),
    };
    if s.channel == 1
        && let Some(c) = s.claim
    {
        m.from.email = Some(format!("p{c}@example.com"));
    }
    if s.named {
        m.from.display_name = Some(format!("Person {}", s.person));
    }
    m.sent_at = at(i64::try_from(i).unwrap());
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whichever record survives, undoing a link gives back every customer as it was:
    /// name, handles (claimed or not), claims, conversations, tags and notes.
    #[test]
    fn unlink_after_link_gives_back_the_same_customers(
        specs in proptest::collection::vec(spec(), 2..24),
        tags in proptest::collection::vec((0..6i64, 0..3u8), 0..8),
        notes in proptest::collection::vec(0..6i64, 0..4),
        pick in (0..6i64, 0..6i64),
        earlier in proptest::option::of((0..6i64, 0..6i64)),
    ) {
        let (_dir, mut store) = open();
        for (i, s) in specs.iter().enumerate() {
            ingest::ingest(&mut store, &inbound(i, s), at(1_000)).unwrap();
        }
        let ids: Vec<CustomerId> = (1..=20)
            .map(CustomerId)
            .filter(|id| store.customer_card(*id).is_ok())
            .collect();
        prop_assume!(ids.len() >= 2);
        let nth = |k: i64| ids[usize::try_from(k).unwrap() % ids.len()];
        for (who, tag) in &tags {
            store.tag_customer(nth(*who), &format!("tag{tag}")).unwrap();
        }
        for (k, who) in notes.iter().enumerate() {
            store.add_customer_note(nth(*who), None, &format!("note {k}"), at(2_000)).unwrap();
        }
        // A link made before, still in force, must not disturb this one's undo.
        if let Some((x, y)) = earlier
            && nth(x) != nth(y)
        {
            store.link(nth(x), nth(y), None, at(2_500)).unwrap();
        }
        let (survivor, merged) = (nth(pick.0), nth(pick.1));
        let live = |store: &mut Store, id| store.customer_card(id).unwrap().merged_into.is_none();
        prop_assume!(survivor != merged && live(&mut store, survivor) && live(&mut store, merged));

        let before: Vec<Snapshot> = ids.iter().map(|id| snapshot(&mut store, *id)).collect();
        let link = store.link(survivor, merged, None, at(3_000)).unwrap();
        let merged_now = snapshot(&mut store, merged);
        prop_assert!(merged_now.conversations.is_empty() && merged_now.handles.is_empty());
        prop_assert_eq!(merged_now.merged_into, Some(survivor));
        store.unlink(link, at(4_000)).unwrap();
        let after: Vec<Snapshot> = ids.iter().map(|id| snapshot(&mut store, *id)).collect();
        prop_assert_eq!(before, after);
    }
}

mod app {
    //! `App::update` for the identity commands, against a real store: keys in, effects
    //! out, the runner's `apply` and `reload` in between.

    use std::sync::Arc;

    use comptoir::model::{Channel, CustomerId, MessageKind};
    use comptoir::store::{IdentityChange, Store};
    use comptoir::tui::app::{App, CardStep, Effect, Write};
    use comptoir::tui::key::parse_keys;
    use comptoir::tui::keymap::Mode;
    use comptoir::tui::{load_keymap, runner, view};
    use jiff::tz::TimeZone;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::{at, chat, customer_of, email, open};

    struct Desk {
        _dir: tempfile::TempDir,
        store: Store,
        app: App,
        jeanne: CustomerId,
        visitor: CustomerId,
    }

    /// Jeanne by email (two conversations), and a chat visitor who claims her address,
    /// with the visitor's conversation selected.
    fn desk() -> Desk {
        let (dir, mut store) = open();
        let me = store.ensure_agent("Camille").unwrap();
        let mut m = email("<e1@x>", "jeanne@example.com", "<e1@x>", "Bonjour");
        m.from.display_name = Some("Jeanne Martin".into());
        let jeanne = customer_of(&mut store, &m, 0);
        customer_of(
            &mut store,
            &email("<e2@x>", "jeanne@example.com", "<e2@x>", "Re"),
            1,
        );
        let mut v = chat("c1", "visitor-1", "Où est ma commande ?");
        v.from.email = Some("jeanne@example.com".into());
        v.sent_at = at(2);
        let visitor = customer_of(&mut store, &v, 2);
        let keymap = load_keymap(None, None).unwrap();
        let mut app = App::new(me, "Camille", Arc::new(keymap), TimeZone::UTC, at(100));
        app.resize(120, 40);
        runner::reload(&mut store, &mut app).unwrap();
        let i = app
            .queue
            .items
            .iter()
            .position(|c| c.customer_id == visitor)
            .unwrap();
        app.queue.selected = i;
        runner::reload(&mut store, &mut app).unwrap();
        Desk {
            _dir: dir,
            store,
            app,
            jeanne,
            visitor,
        }
    }

    fn press(d: &mut Desk, keys: &str) -> Vec<Effect> {
        let mut all = Vec::new();
        for key in parse_keys(keys).unwrap() {
            let effects = d.app.key(key);
            all.extend(effects.iter().cloned());
            for e in &effects {
                runner::apply(&mut d.store, &mut d.app, e, None).unwrap();
            }
        }
        all
    }

    fn screen(app: &App) -> String {
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal.draw(|f| view::draw(app, f)).unwrap();
        terminal.backend().to_string()
    }

    #[test]
    fn the_card_shows_the_suggestion_and_links_in_two_choices() {
        let mut d = desk();
        assert_eq!(press(&mut d, "C"), vec![Effect::Reload]);
        assert_eq!(d.app.mode(), Mode::Picker, "the card takes the picker keys");
        let card = d.app.customer.card.as_ref().unwrap();
        assert_eq!(card.customer, d.visitor);
        let data = card.data.as_ref().expect("loaded by the reload");
        assert_eq!(data.suggestions.len(), 1);
        let shown = screen(&d.app);
        assert!(shown.contains("Possibly the same person"), "{shown}");
        assert!(
            shown.contains("Jeanne Martin (email, 2 conversations) — shared: jeanne@example.com"),
            "{shown}"
        );

        // Enter picks the suggestion, then which record survives: Jeanne's, below.
        assert!(press(&mut d, "<Enter>").is_empty());
        assert!(matches!(
            d.app.customer.card.as_ref().unwrap().step,
            CardStep::Survivor { .. }
        ));
        assert!(screen(&d.app).contains("which record survives?"));
        let effects = press(&mut d, "<Down><Enter>");
        assert_eq!(
            effects,
            vec![Effect::Write(Write::Identity(IdentityChange::Link {
                survivor: d.jeanne,
                merged: d.visitor,
            }))]
        );
        let card = d.app.customer.card.as_ref().unwrap();
        assert_eq!(card.customer, d.jeanne, "the card follows the survivor");
        assert_eq!(card.data.as_ref().unwrap().conversations, 3);
        assert!(d.app.flash.as_ref().unwrap().text.contains(":unlink"));

        // `:` over the card opens the command line; :unlink undoes the link.
        let effects = press(&mut d, ":unlink<Enter>");
        assert_eq!(
            effects,
            vec![Effect::Write(Write::Identity(IdentityChange::Unlink {
                customer: d.jeanne,
                link: None,
            }))]
        );
        assert_eq!(
            d.store.customer_card(d.visitor).unwrap().conversations,
            1,
            "the visitor's conversation is back"
        );
        press(&mut d, "<Esc>");
        assert!(d.app.customer.card.is_none());
        assert_ne!(d.app.mode(), Mode::Picker);
    }

    #[test]
    fn tag_untag_note_rename_and_link_by_id_become_writes() {
        let mut d = desk();
        let c = d.visitor;
        let w = |change| vec![Effect::Write(Write::Identity(change))];
        assert_eq!(
            press(&mut d, ":tag vip<Enter>"),
            w(IdentityChange::Tag {
                customer: c,
                tag: "vip".into()
            })
        );
        assert_eq!(
            press(&mut d, ":customer-note Prefers chat<Enter>"),
            w(IdentityChange::Note {
                customer: c,
                text: "Prefers chat".into()
            })
        );
        assert_eq!(
            press(&mut d, ":rename Jeanne M.<Enter>"),
            w(IdentityChange::Rename {
                customer: c,
                name: "Jeanne M.".into()
            })
        );
        assert_eq!(
            press(&mut d, ":untag vip<Enter>"),
            w(IdentityChange::Untag {
                customer: c,
                tag: "vip".into()
            })
        );
        let card = d.store.customer_card(c).unwrap();
        assert_eq!(card.customer.display_name.as_deref(), Some("Jeanne M."));
        assert!(card.tags.is_empty());
        assert_eq!(card.notes[0].body, "Prefers chat");

        assert!(press(&mut d, ":tag<Enter>").is_empty());
        assert!(d.app.flash.as_ref().unwrap().error, "tag needs a name");
        let keep = format!(":link {} keep={}<Enter>", d.jeanne, d.jeanne);
        assert_eq!(
            press(&mut d, &keep),
            w(IdentityChange::Link {
                survivor: d.jeanne,
                merged: c
            })
        );
        // The selected conversation now belongs to Jeanne: linking with 99 and keeping
        // a third customer is refused without a write.
        assert!(press(&mut d, ":link 99 keep=5<Enter>").is_empty());
        assert!(d.app.flash.as_ref().unwrap().error);
        // A link that the store refuses shows its reason.
        let again = format!(":link {c} keep={}<Enter>", d.jeanne);
        let effects = d.app.key(parse_keys(":").unwrap()[0]);
        assert!(effects.is_empty());
        for k in parse_keys(&again[1..]).unwrap() {
            for e in d.app.key(k) {
                let err = runner::apply(&mut d.store, &mut d.app, &e, None).unwrap_err();
                assert!(err.to_string().contains("already linked"), "{err}");
            }
        }
    }

    #[test]
    fn the_history_pane_is_one_timeline_and_opens_the_selected_conversation() {
        let mut d = desk();
        d.store.link(d.jeanne, d.visitor, None, at(50)).unwrap();
        runner::reload(&mut d.store, &mut d.app).unwrap();
        let h = d.app.history.data.as_ref().unwrap();
        let kinds: Vec<(Channel, MessageKind)> =
            h.timeline.iter().map(|e| (e.channel, e.kind)).collect();
        assert_eq!(
            kinds,
            [
                (Channel::Email, MessageKind::Inbound),
                (Channel::Email, MessageKind::Inbound),
                (Channel::Chat, MessageKind::Inbound),
            ]
        );
        let chat_conv = d.app.thread.conversation.as_ref().unwrap().id;
        press(&mut d, "3");
        assert_eq!(
            d.app.history_conversation(),
            Some(chat_conv),
            "newest first"
        );
        let shown = screen(&d.app);
        assert!(shown.contains("chat "), "{shown}");
        assert!(shown.contains("mail "), "{shown}");
        // Up goes to older messages; Enter opens the oldest one's conversation.
        press(&mut d, "kk");
        let oldest = d.app.history_conversation().unwrap();
        assert_ne!(oldest, chat_conv);
        press(&mut d, "k");
        assert_eq!(
            d.app.history_conversation(),
            Some(oldest),
            "it stops at the top"
        );
        press(&mut d, "<Enter>");
        assert_eq!(d.app.thread.conversation.as_ref().unwrap().id, oldest);
    }
}
