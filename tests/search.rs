//! Search: the query language, filters on a real store, ranking, customers and handles,
//! highlights, and opening a hit from the TUI's search overlay.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use common::{at, chat, email};
use comptoir::channels::{Contact, Inbound};
use comptoir::ingest::{self, Outcome};
use comptoir::model::{Channel, ConversationId, MessageKind, Status, StatusName};
use comptoir::store::{SearchHit, SearchQuery, SearchResults, Store};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("store.sqlite")).expect("open");
    (dir, store)
}

fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").expect("tzdata")
}

fn parse(input: &str) -> Result<SearchQuery, String> {
    SearchQuery::parse(input, at(0), &paris()).map_err(|e| e.to_string())
}

fn ingest_one(store: &mut Store, m: &Inbound, secs: i64) -> ConversationId {
    let mut m = m.clone();
    m.sent_at = at(secs);
    match ingest::ingest(store, &m, at(secs)).expect("ingest") {
        Outcome::New { conversation, .. } => conversation,
        other => panic!("expected a new message, got {other:?}"),
    }
}

fn named(mut m: Inbound, name: &str) -> Inbound {
    m.from = Contact {
        display_name: Some(name.into()),
        ..m.from
    };
    m
}

fn search(store: &mut Store, input: &str) -> SearchResults {
    let q = SearchQuery::parse(input, at(100 * HOUR), &TimeZone::UTC).expect("a valid query");
    store.search_query(&q, 50).expect("search")
}

fn bodies(hits: &[SearchHit], store: &mut Store) -> Vec<String> {
    hits.iter()
        .map(|h| {
            store
                .thread(h.conversation_id)
                .expect("thread")
                .into_iter()
                .find(|m| m.id == h.message_id)
                .expect("the hit's message")
                .body
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The language
// ---------------------------------------------------------------------------------------

#[test]
fn every_filter_parses() {
    let q = parse("colis from:camille channel:email status:pending is:note before:2026-11-01 after:2026-10-01 ")
        .expect("valid");
    assert_eq!(q.terms.len(), 1);
    assert_eq!(q.terms[0].text, "colis");
    assert!(!q.terms[0].prefix, "a finished word is whole");
    assert_eq!(q.from.as_deref(), Some("camille"));
    assert_eq!(q.channels, vec![Channel::Email]);
    assert_eq!(q.statuses, vec![StatusName::Pending]);
    assert_eq!(q.kinds, vec![MessageKind::Note]);
    // Dates are midnight in the agent's zone: Paris is UTC+1 in November, +2 in October.
    assert_eq!(
        q.before,
        Some("2026-10-31T23:00:00Z".parse::<Timestamp>().unwrap())
    );
    assert_eq!(
        q.after,
        Some("2026-09-30T22:00:00Z".parse::<Timestamp>().unwrap())
    );
    let q = parse("kind:inbound channel:chat channel:telegram status:resolved").expect("valid");
    assert_eq!(q.kinds, vec![MessageKind::Inbound]);
    assert_eq!(q.channels, vec![Channel::Chat, Channel::Telegram]);
    assert!(q.terms.is_empty(), "filters alone are a query");
    assert!(!q.is_empty());
}

#[test]
fn relative_dates_count_back_from_now() {
    let q = parse("after:7d before:36h").expect("valid");
    assert_eq!(q.after, Some(at(0) - SignedDuration::from_hours(7 * 24)));
    assert_eq!(q.before, Some(at(0) - SignedDuration::from_hours(36)));
    let q = parse("after:2w").expect("valid");
    assert_eq!(q.after, Some(at(0) - SignedDuration::from_hours(14 * 24)));
    assert!(parse("after:yesterday before:today").is_ok());
}

#[test]
fn a_bad_filter_value_is_a_clear_error() {
    for (input, says) in [
        ("channel:emial", "channel:emial is not a channel"),
        ("status:closed", "unknown status \"closed\""),
        ("before:2026-13-01", "before:2026-13-01 is not a date"),
        ("after:soon", "after:soon is not a date"),
        ("after:7y", "after:7y is not a date"),
        ("is:urgent", "is:urgent is not a kind"),
        ("colis from:", "from: needs a value"),
        (
            "after:2026-11-02 before:2026-11-01",
            "before: is not later than after:",
        ),
    ] {
        let err = parse(input).expect_err(input);
        assert!(err.contains(says), "{input}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
}

#[test]
fn quotes_make_phrases_and_quoted_filter_values() {
    let q = parse("\"colis abîmé\" from:\"Camille Thomas\" remb").expect("valid");
    assert_eq!(q.terms.len(), 2);
    assert!(q.terms[0].phrase);
    assert_eq!(q.terms[0].text, "colis abîmé");
    assert_eq!(q.from.as_deref(), Some("Camille Thomas"));
    assert!(q.terms[1].prefix, "the word being typed is a prefix");
    assert_eq!(q.fts().unwrap(), "\"colis abîmé\" \"remb\"*");
    // Unknown keys are words: a URL or "re:" is not a filter.
    let q = parse("http://shop.example re:commande").expect("valid");
    assert_eq!(q.terms.len(), 2);
    assert!(!q.has_filters());
    // Two letters are too short for a prefix.
    assert_eq!(parse("co").unwrap().fts().unwrap(), "\"co\"");
}

#[test]
fn hostile_fts_syntax_is_never_an_error() {
    let (_dir, mut store) = open();
    ingest_one(
        &mut store,
        &chat("m1", "v1", "Bonjour, mon colis AND ma commande"),
        0,
    );
    for input in [
        "\"unbalanced AND (",
        "NEAR(colis commande, 2)",
        "colis OR commande -merci",
        "body:colis",
        "* ^ \" \" ) ( : ",
        "\"\"",
        "'; DROP TABLE messages; --",
        "colis\"",
        "#1042",
        "-",
        "AND",
    ] {
        let q = SearchQuery::parse(input, at(0), &TimeZone::UTC).expect(input);
        store
            .search_query(&q, 10)
            .unwrap_or_else(|e| panic!("{input:?}: {e}"));
        store.search(input, 10).expect(input);
    }
    assert_eq!(
        search(&mut store, "colis AND").messages.len(),
        1,
        "AND is only a word"
    );
}

// ---------------------------------------------------------------------------------------
// On a store
// ---------------------------------------------------------------------------------------

/// A small shop: Camille Thomas on email and (as another customer) on chat, Jean Dupont on Telegram, replies by
/// two agents, a note, and statuses, each message at a known time (hours from `at(0)`).
struct Shop {
    store: Store,
    _dir: tempfile::TempDir,
    camille_mail: ConversationId,
    camille_chat: ConversationId,
    jean: ConversationId,
}

const HOUR: i64 = 3_600;

fn shop() -> Shop {
    let (dir, mut store) = open();
    let lea = store.ensure_agent("Léa").unwrap();
    let karim = store.ensure_agent("Karim").unwrap();
    let camille_mail = ingest_one(
        &mut store,
        &named(
            email(
                "e1",
                "camille.thomas@example.org",
                "t1",
                "Mon colis est arrivé abîmé",
            ),
            "Camille Thomas",
        ),
        0,
    );
    // The same person on the chat, not linked (no shared handle): another customer.
    let camille_chat = ingest_one(
        &mut store,
        &named(
            chat(
                "c1",
                "visitor-7",
                "Toujours rien pour le remboursement du colis",
            ),
            "Camille Thomas",
        ),
        10 * HOUR,
    );
    let mut t = chat("tg1", "5551234", "Bonjour, je voudrais échanger ma robe");
    t.channel = Channel::Telegram;
    t.account = "boutique_bot".into();
    t.from.display_name = Some("Jean Dupont".into());
    let jean = ingest_one(&mut store, &t, 20 * HOUR);
    store
        .queue_reply(
            camille_mail,
            lea,
            "Désolée pour le colis, je lance le remboursement",
            at(30 * HOUR),
        )
        .unwrap();
    store
        .queue_reply(
            jean,
            karim,
            "Bien sûr, quelle taille pour la robe ?",
            at(40 * HOUR),
        )
        .unwrap();
    store
        .add_note(
            camille_mail,
            karim,
            "Colis 1042 perdu par le transporteur",
            at(50 * HOUR),
        )
        .unwrap();
    store
        .set_status(jean, Status::Resolved, at(60 * HOUR))
        .unwrap();
    Shop {
        store,
        _dir: dir,
        camille_mail,
        camille_chat,
        jean,
    }
}

#[test]
fn filters_filter() {
    let mut s = shop();
    let store = &mut s.store;
    let all = search(store, "colis").messages;
    assert_eq!(all.len(), 4, "{all:?}");

    let email_only = search(store, "colis channel:email").messages;
    assert_eq!(email_only.len(), 3);
    assert!(email_only.iter().all(|h| h.channel == Channel::Email));

    let notes = search(store, "colis is:note").messages;
    assert_eq!(
        bodies(&notes, store),
        vec!["Colis 1042 perdu par le transporteur"]
    );
    assert_eq!(notes[0].kind, MessageKind::Note);

    let resolved = search(store, "status:resolved").messages;
    assert_eq!(resolved.len(), 2, "filters alone: Jean's two messages");
    assert!(resolved.iter().all(|h| h.conversation_id == s.jean));
    assert_eq!(
        resolved[0].snippet.text(),
        "Bien sûr, quelle taille pour la robe ?",
        "newest first, the message's start as snippet"
    );

    // Dates: the chat at 10 h and the note at 50 h bracket the window.
    let after = search(store, "colis after:90h").messages;
    assert!(
        after.iter().all(|h| h.sent_at >= at(10 * HOUR)),
        "{after:?}"
    );
    assert_eq!(after.len(), 3);
    let before_q = SearchQuery {
        before: Some(at(10 * HOUR)),
        ..SearchQuery::parse("colis", at(0), &TimeZone::UTC).unwrap()
    };
    let before = store.search_query(&before_q, 50).unwrap().messages;
    assert_eq!(bodies(&before, store), vec!["Mon colis est arrivé abîmé"]);

    assert!(search(store, "robe channel:email").messages.is_empty());
    assert_eq!(search(store, "robe channel:telegram").messages.len(), 2);
}

#[test]
fn from_finds_customers_by_name_handle_or_email_and_agents_by_name() {
    let mut s = shop();
    let store = &mut s.store;
    for who in [
        "from:camille",
        "from:\"Camille Thomas\"",
        "from:thomas",
        "from:camille.thomas@example.org",
        "from:CAMILLE.THOMAS@",
        "from:visitor-7",
    ] {
        let hits = search(store, &format!("colis {who}")).messages;
        assert!(!hits.is_empty(), "{who}");
        assert!(
            hits.iter().all(|h| h.kind == MessageKind::Inbound
                && [s.camille_mail, s.camille_chat].contains(&h.conversation_id)),
            "{who}: {hits:?}"
        );
    }
    // Filters alone: everything Camille wrote, newest first.
    let hits = search(store, "from:camille").messages;
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].conversation_id, s.camille_chat);
    // An agent: the replies and notes they wrote.
    let karim = search(store, "from:karim").messages;
    assert_eq!(karim.len(), 2);
    assert!(karim.iter().all(|h| h.author == "Karim"));
    let lea = search(store, "colis from:léa").messages;
    assert_eq!(
        bodies(&lea, store),
        vec!["Désolée pour le colis, je lance le remboursement"]
    );
    assert!(search(store, "from:nobody").messages.is_empty());
}

#[test]
fn customers_are_found_by_name_and_by_handle_with_highlights() {
    let mut s = shop();
    let store = &mut s.store;
    let r = search(store, "camil");
    assert_eq!(r.customers.len(), 2, "{:?}", r.customers);
    let c = &r.customers[0];
    assert_eq!(
        c.name.as_ref().unwrap().matches(),
        vec!["Camille"],
        "the name's matched word is marked"
    );
    assert_eq!(
        c.conversation,
        Some(s.camille_mail),
        "most recently in touch first (the note at 50 h), with their newest conversation"
    );
    assert_eq!(c.channel, Some(Channel::Email));
    assert_eq!(c.handles[0].text(), "email:camille.thomas@example.org");
    assert_eq!(
        c.handles[0].matches(),
        vec!["camil"],
        "the typed prefix of the handle"
    );
    assert_eq!(r.customers[1].conversation, Some(s.camille_chat));

    let by_handle = search(store, "5551234");
    assert_eq!(by_handle.customers.len(), 1);
    assert_eq!(by_handle.customers[0].conversation, Some(s.jean));
    assert_eq!(by_handle.customers[0].handles[0].matches(), vec!["5551234"]);

    let surname = search(store, "dupont");
    assert_eq!(surname.customers.len(), 1);
    assert_eq!(
        surname.customers[0].name.as_ref().unwrap().text(),
        "Jean Dupont"
    );

    // A filter is about messages: no customer list then.
    assert!(search(store, "camille channel:email").customers.is_empty());
}

#[test]
fn notes_on_the_customer_card_find_the_customer_and_a_linked_customer_is_left_out() {
    let mut s = shop();
    let store = &mut s.store;
    let camille = store
        .conversation(s.camille_mail)
        .unwrap()
        .unwrap()
        .customer_id;
    let camille_chat = store
        .conversation(s.camille_chat)
        .unwrap()
        .unwrap()
        .customer_id;
    store
        .add_customer_note(
            camille,
            None,
            "Cliente fidèle, préfère Colissimo",
            at(70 * HOUR),
        )
        .unwrap();
    let r = search(store, "colissimo");
    assert_eq!(r.customers.len(), 1, "{:?}", r.customers);
    assert_eq!(r.customers[0].customer_id, camille);
    assert_eq!(
        r.customers[0].note.as_ref().unwrap().matches(),
        vec!["Colissimo"]
    );
    assert!(r.messages.is_empty(), "a card note is not a message");
    // is:note alone lists the customers whose card notes match too.
    assert_eq!(search(store, "colissimo is:note").customers.len(), 1);
    assert!(
        search(store, "colissimo channel:email")
            .customers
            .is_empty()
    );

    // The chat's Camille linked into the email's: one customer left to find.
    assert_eq!(search(store, "camille").customers.len(), 2);
    store
        .link(camille, camille_chat, None, at(80 * HOUR))
        .unwrap();
    let r = search(store, "camille");
    assert_eq!(r.customers.len(), 1, "{:?}", r.customers);
    assert_eq!(r.customers[0].customer_id, camille);
    assert!(
        r.customers[0]
            .handles
            .iter()
            .any(|h| h.text() == "chat:visitor-7"),
        "the linked customer's handles moved to the survivor"
    );
}

#[test]
fn a_customer_named_later_is_found_by_that_name() {
    let (_dir, mut store) = open();
    // Two messages in one batch: the first makes a nameless customer, the second names
    // them, all in one write transaction.
    let first = chat("a1", "visitor-9", "Bonjour");
    let second = named(chat("a2", "visitor-9", "Vous êtes là ?"), "Zoé Martin");
    ingest::ingest_batch(&mut store, &[first, second], at(0)).expect("ingest");
    let r = search(&mut store, "zoé");
    assert_eq!(r.customers.len(), 1);
    // And a customer named in a later transaction.
    let third = named(chat("b1", "visitor-10", "Allô"), "Ines Roux");
    ingest_one(&mut store, &chat("b0", "visitor-10", "Allô ?"), 5);
    ingest_one(&mut store, &third, 6);
    assert_eq!(search(&mut store, "ines").customers.len(), 1);
}

#[test]
fn matches_are_highlighted_in_the_snippet() {
    let mut s = shop();
    let hits = search(&mut s.store, "abime").messages;
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].snippet.matches(),
        vec!["abîmé"],
        "diacritics are folded"
    );
    assert_eq!(hits[0].snippet.text(), "Mon colis est arrivé abîmé");
    assert_eq!(hits[0].customer_name.as_deref(), Some("Camille Thomas"));
}

#[test]
fn close_and_rare_words_rank_above_a_newer_weak_match() {
    let (_dir, mut store) = open();
    // Filler so that "colis" is common and "fissuré" rare.
    for i in 0..30 {
        ingest_one(
            &mut store,
            &chat(&format!("f{i}"), &format!("v{i}"), "Où en est mon colis ?"),
            i,
        );
    }
    // The strong matches are older than the weak ones.
    ingest_one(
        &mut store,
        &chat("strong", "vs", "Le carton du colis est fissuré"),
        HOUR,
    );
    ingest_one(
        &mut store,
        &chat("close", "vc", "Votre livraison express est arrivée"),
        2 * HOUR,
    );
    ingest_one(
        &mut store,
        &chat(
            "far",
            "vf",
            "La livraison a eu lieu hier soir chez ma voisine, mais je voulais un envoi express",
        ),
        3 * HOUR,
    );
    ingest_one(
        &mut store,
        &chat(
            "weak",
            "vw",
            "Bonjour, j'ai commandé une robe la semaine dernière, le colis est arrivé hier soir \
             chez ma voisine, et franchement la boîte était un peu fissuré sur le côté, merci",
        ),
        4 * HOUR,
    );
    let hits = store.search("colis fissuré ", 50).unwrap();
    assert_eq!(
        bodies(&hits, &mut store),
        vec![
            "Le carton du colis est fissuré",
            "Bonjour, j'ai commandé une robe la semaine dernière, le colis est arrivé hier soir \
             chez ma voisine, et franchement la boîte était un peu fissuré sur le côté, merci"
        ]
    );

    let hits = store.search("livraison express ", 50).unwrap();
    assert_eq!(
        bodies(&hits, &mut store),
        vec![
            "Votre livraison express est arrivée",
            "La livraison a eu lieu hier soir chez ma voisine, mais je voulais un envoi express"
        ],
        "words side by side above words far apart, though older"
    );
    // Between equal matches, the newer comes first.
    let hits = store.search("où en est ", 50).unwrap();
    assert_eq!(hits.len(), 30);
    assert!(hits.windows(2).all(|w| w[0].sent_at >= w[1].sent_at));
}

/// Old mail synced late: 5,000 chats sent recently stored first, then 5,000 sent long
/// before them stored newest first (so rowids run against time), two per second.
fn late_synced_store() -> (tempfile::TempDir, Store) {
    let (dir, mut store) = open();
    let recent: Vec<Inbound> = (0..5_000)
        .map(|i| {
            let mut m = chat(&format!("r{i}"), &format!("v{}", i % 40), "colis récent");
            m.sent_at = at(100 * HOUR + i);
            m
        })
        .collect();
    ingest::ingest_batch(&mut store, &recent, at(200 * HOUR)).unwrap();
    let old: Vec<Inbound> = (0..5_000)
        .rev()
        .map(|i| {
            let mut m = chat(&format!("o{i}"), &format!("w{}", i % 40), "colis ancien");
            m.sent_at = at(i / 2);
            m
        })
        .collect();
    ingest::ingest_batch(&mut store, &old, at(200 * HOUR)).unwrap();
    (dir, store)
}

fn dated(input: &str, after: Option<i64>, before: Option<i64>) -> SearchQuery {
    SearchQuery {
        after: after.map(at),
        before: before.map(at),
        ..SearchQuery::parse(input, at(0), &TimeZone::UTC).unwrap()
    }
}

#[test]
fn a_date_window_finds_late_synced_mail_by_when_it_was_sent() {
    let (_dir, mut store) = late_synced_store();
    // More than one index chunk, with messages sharing a second at their edges.
    let window = dated("colis", Some(100), Some(2_400));
    let all = store.search_query(&window, 10_000).unwrap().messages;
    assert_eq!(all.len(), 4_600, "every message sent in [100 s, 2400 s)");
    assert!(
        all.iter()
            .all(|h| h.sent_at >= at(100) && h.sent_at < at(2_400))
    );

    // The best of the newest sent before the bound, not the newest stored.
    let before = store
        .search_query(&dated("colis", None, Some(2_400)), 50)
        .unwrap()
        .messages;
    assert_eq!(before.len(), 50);
    assert!(
        before
            .iter()
            .all(|h| h.sent_at >= at(2_300) && h.sent_at < at(2_400)),
        "{:?}",
        before.iter().map(|h| h.sent_at).collect::<Vec<_>>()
    );

    // Filters alone: newest sent first.
    let filters = store
        .search_query(&dated("channel:chat", None, Some(2_400)), 50)
        .unwrap()
        .messages;
    assert_eq!(filters.len(), 50);
    assert_eq!(filters[0].sent_at, at(2_399));
    assert!(filters.windows(2).all(|w| w[0].sent_at >= w[1].sent_at));
}

#[test]
fn a_customer_scattered_among_others_has_every_matching_message_found() {
    let (_dir, mut store) = open();
    let mut batch = Vec::new();
    for i in 0..120 {
        let text = if i % 2 == 0 {
            "colis en retard"
        } else {
            "merci"
        };
        batch.push(named(chat(&format!("z{i}"), "zoe", text), "Zoé Lambert"));
        for j in 0..20 {
            batch.push(chat(&format!("o{i}-{j}"), &format!("v{j}"), "colis"));
        }
    }
    for (i, m) in batch.iter_mut().enumerate() {
        m.sent_at = at(i64::try_from(i).unwrap());
    }
    ingest::ingest_batch(&mut store, &batch, at(HOUR)).unwrap();
    let q = SearchQuery::parse("colis from:zoé", at(HOUR), &TimeZone::UTC).unwrap();
    let hits = store.search_query(&q, 500).unwrap().messages;
    assert_eq!(
        hits.len(),
        60,
        "every one of Zoé's sixty messages with the word"
    );
    assert!(
        hits.iter()
            .all(|h| h.customer_name.as_deref() == Some("Zoé Lambert"))
    );
    assert!(hits.iter().all(|h| h.snippet.matches() == vec!["colis"]));
}

// ---------------------------------------------------------------------------------------
// The TUI
// ---------------------------------------------------------------------------------------

mod tui {
    use std::sync::Arc;

    use comptoir::tui::action::Pane;
    use comptoir::tui::app::{App, DEBOUNCE, Effect, SearchRow};
    use comptoir::tui::key::parse_keys;
    use comptoir::tui::keymap::Mode;
    use comptoir::tui::{load_keymap, runner};

    use super::*;

    fn app(store: &mut Store, keymap: &str) -> App {
        let km = load_keymap(Some(keymap), None).expect("keymap");
        let me = store.ensure_agent("Léa").unwrap();
        let mut app = App::new(me, "Léa", Arc::new(km), TimeZone::UTC, at(100 * HOUR));
        app.resize(120, 40);
        runner::reload(store, &mut app).unwrap();
        app
    }

    fn press(app: &mut App, keys: &str) -> Vec<Effect> {
        parse_keys(keys)
            .expect("keys parse")
            .into_iter()
            .flat_map(|k| app.key(k))
            .collect()
    }

    /// Lets the debounce run out and carries out the search the way the runner does.
    fn settle(app: &mut App, store: &mut Store) {
        app.tick(app.now + DEBOUNCE);
        let effects = app.search_due();
        assert!(
            matches!(effects.as_slice(), [Effect::Search(_)]),
            "one search once typing paused: {effects:?}"
        );
        runner::apply(store, app, &effects[0], None).unwrap();
    }

    #[test]
    fn typing_searches_after_a_pause_and_enter_opens_a_resolved_conversation() {
        let mut s = shop();
        let mut app = app(&mut s.store, "default");
        assert!(
            !app.queue.items.iter().any(|c| c.id == s.jean),
            "Jean's conversation is resolved: the queue (open only) does not list it"
        );
        assert!(press(&mut app, "/").is_empty());
        assert_eq!(app.mode(), Mode::Picker);
        assert!(
            press(&mut app, "robe").is_empty(),
            "typing searches nothing yet"
        );
        assert!(app.search_due().is_empty(), "not before the pause");
        settle(&mut app, &mut s.store);
        let overlay = app.search.overlay.as_ref().unwrap();
        assert_eq!(overlay.results.messages.len(), 2);
        assert!(!overlay.is_stale());
        assert_eq!(overlay.row(0), Some(SearchRow::Message(0)));

        assert_eq!(press(&mut app, "<Enter>"), vec![Effect::Reload]);
        assert!(app.search.overlay.is_none(), "opening closes the search");
        assert_eq!(app.focus, Pane::Thread);
        runner::reload(&mut s.store, &mut app).unwrap();
        assert_eq!(app.selected().map(|c| c.id), Some(s.jean));
        assert_eq!(
            app.thread.conversation.as_ref().map(|c| c.id),
            Some(s.jean),
            "the thread shows the hit's conversation"
        );
        assert_eq!(app.thread.messages.len(), 2);

        // Moving on drops the pinned row from the queue.
        press(&mut app, "h");
        press(&mut app, "j");
        runner::reload(&mut s.store, &mut app).unwrap();
        assert!(!app.queue.items.iter().any(|c| c.id == s.jean));
        assert!(app.search.pinned.is_none());
    }

    #[test]
    fn a_customer_hit_opens_their_newest_conversation_with_the_history_in_front() {
        let mut s = shop();
        let mut app = app(&mut s.store, "vim");
        press(&mut app, "/dupont");
        settle(&mut app, &mut s.store);
        let overlay = app.search.overlay.as_ref().unwrap();
        assert_eq!(overlay.results.customers.len(), 1);
        assert_eq!(overlay.row(0), Some(SearchRow::Customer(0)));
        press(&mut app, "<Enter>");
        assert_eq!(app.focus, Pane::History);
        runner::reload(&mut s.store, &mut app).unwrap();
        assert_eq!(app.thread.conversation.as_ref().map(|c| c.id), Some(s.jean));
    }

    #[test]
    fn moving_selects_among_customers_then_messages() {
        let mut s = shop();
        let mut app = app(&mut s.store, "default");
        press(&mut app, "/colis");
        settle(&mut app, &mut s.store);
        let overlay = app.search.overlay.as_ref().unwrap();
        assert!(overlay.results.customers.is_empty());
        assert_eq!(overlay.results.messages.len(), 4);
        press(&mut app, "<Down><Down>");
        let overlay = app.search.overlay.as_ref().unwrap();
        assert_eq!(overlay.selected, 2);
        let hit = overlay.results.messages[2].conversation_id;
        press(&mut app, "<Enter>");
        runner::reload(&mut s.store, &mut app).unwrap();
        assert_eq!(app.thread.conversation.as_ref().map(|c| c.id), Some(hit));
    }

    #[test]
    fn the_overlay_draws_customers_then_messages_with_matches_highlighted() {
        use ratatui::Terminal;
        use ratatui::backend::TestBackend;
        use ratatui::style::Color;

        let mut s = shop();
        ingest_one(
            &mut s.store,
            &chat("c9", "visitor-8", "Bonjour, c'est la sœur de Camille"),
            90 * HOUR,
        );
        let mut app = app(&mut s.store, "default");
        press(&mut app, "/camille");
        settle(&mut app, &mut s.store);
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal
            .draw(|f| comptoir::tui::view::draw(&app, f))
            .unwrap();
        let buf = terminal.backend().buffer().clone();
        let rows: Vec<String> = (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_owned())
                    .collect()
            })
            .collect();
        let find = |needle: &str| {
            rows.iter()
                .position(|r| r.contains(needle))
                .unwrap_or_else(|| panic!("{needle:?} on screen:\n{}", rows.join("\n")))
        };
        let customers = find("Customers");
        let messages = find("Messages");
        assert!(customers < messages, "customers first");
        assert!(
            rows[find("/ camille")].contains("/ camille"),
            "the query line"
        );
        // The matched word of the first customer's name is highlighted, the rest not.
        let y = customers + 1;
        let x = rows[y]
            .find("Camille Thomas")
            .map(|b| rows[y][..b].chars().count())
            .unwrap();
        let x = u16::try_from(x).unwrap();
        let y = u16::try_from(y).unwrap();
        assert_eq!(buf[(x, y)].fg, Color::Yellow, "Camille is a match");
        assert_ne!(buf[(x + 8, y)].fg, Color::Yellow, "Thomas is not");
        assert!(
            buf[(x, y)].bg == Color::DarkGray,
            "the first row is selected"
        );

        // Any size draws without a panic.
        for (w, h) in [(1, 1), (2, 2), (10, 3), (20, 5), (40, 8), (80, 24)] {
            app.resize(w, h);
            let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
            terminal
                .draw(|f| comptoir::tui::view::draw(&app, f))
                .unwrap();
        }
    }

    #[test]
    fn a_bad_filter_shows_its_error_and_searches_nothing() {
        let mut s = shop();
        let mut app = app(&mut s.store, "default");
        press(&mut app, "/colis channel:emial");
        app.tick(app.now + DEBOUNCE);
        assert!(app.search_due().is_empty());
        let error = app.search.overlay.as_ref().unwrap().error.clone().unwrap();
        assert!(error.contains("channel:emial is not a channel"), "{error}");
        // Fixing it searches again.
        press(&mut app, "<Backspace><Backspace><Backspace>ail");
        settle(&mut app, &mut s.store);
        let overlay = app.search.overlay.as_ref().unwrap();
        assert!(overlay.error.is_none());
        assert_eq!(overlay.results.messages.len(), 3);
    }

    #[test]
    fn results_for_an_older_input_are_dropped() {
        let mut s = shop();
        let mut app = app(&mut s.store, "default");
        press(&mut app, "/robe");
        app.tick(app.now + DEBOUNCE);
        let effects = app.search_due();
        // The agent types on before the results come back.
        press(&mut app, "s");
        runner::apply(&mut s.store, &mut app, &effects[0], None).unwrap();
        let overlay = app.search.overlay.as_ref().unwrap();
        assert!(
            overlay.results.messages.is_empty(),
            "not the results of \"robe\""
        );
        assert!(overlay.is_stale());
        settle(&mut app, &mut s.store);
        assert!(!app.search.overlay.as_ref().unwrap().is_stale());
    }

    #[test]
    fn the_search_command_runs_its_query_at_once_and_esc_closes() {
        let mut s = shop();
        let mut app = app(&mut s.store, "emacs");
        let effects = press(&mut app, ":search from:karim<Enter>");
        assert!(
            matches!(effects.as_slice(), [Effect::Search(_)]),
            "{effects:?}"
        );
        runner::apply(&mut s.store, &mut app, &effects[0], None).unwrap();
        assert_eq!(
            app.search.overlay.as_ref().unwrap().results.messages.len(),
            2
        );
        press(&mut app, "<Esc>");
        assert!(app.search.overlay.is_none());
        // emacs opens search with C-s, as isearch.
        press(&mut app, "<C-s>");
        assert!(app.search.overlay.is_some());
    }
}
