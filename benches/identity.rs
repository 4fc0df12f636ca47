//! Customer identity benchmarks: a customer with 5,000 messages on four channels among
//! 3,000 others who share order numbers, claimed addresses and phone numbers with them.
//!
//! `cargo bench --bench identity` builds that store in a temporary directory (about a
//! minute), then prints p50 / p99 / max of what the TUI does when the customer is shown:
//! the history pane's first page of the timeline (200 messages, the default), the whole
//! timeline at once (for comparison: the pane never loads it so), the customer card with
//! its suggestions, and a link and its undo between this customer and a 1,000-message
//! one. It is a report: it exits 0 and says `MISSED` beside a missed target.

#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

use std::hint::black_box;
use std::time::{Duration, Instant};

use comptoir::channels::{Contact, Inbound};
use comptoir::ingest;
use comptoir::model::{Channel, CustomerId};
use comptoir::store::{Store, TIMELINE_PAGE};
use jiff::Timestamp;

/// The customer the bench is about writes this many messages.
const BIG: usize = 5_000;
/// Other customers.
const OTHERS: usize = 3_000;
/// What one interaction may take: well under a frame at 60 Hz.
const TARGET: Duration = Duration::from_millis(16);

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_780_000_000 + secs).expect("in range")
}

fn message(
    channel: Channel,
    sender: &str,
    thread: &str,
    id: &str,
    text: String,
    t: i64,
) -> Inbound {
    Inbound {
        channel,
        account: "shop".into(),
        thread_key: thread.into(),
        external_id: id.into(),
        references: Vec::new(),
        from: Contact {
            handle: sender.into(),
            display_name: Some(format!("Customer {sender}")),
            email: (channel == Channel::Chat).then(|| format!("{sender}@claims.example")),
            phone: None,
        },
        reply_to: None,
        subject: (channel == Channel::Email).then(|| "Commande".into()),
        text,
        attachments: Vec::new(),
        sent_at: at(t),
        automated: false,
        raw: None,
    }
}

/// The big customer's messages: emails from jeanne@, chats from a visitor who claims
/// that address, WhatsApp from her number; some mention orders and a second address.
fn big_customer() -> Vec<Inbound> {
    let mut out = Vec::with_capacity(BIG);
    for i in 0..BIG {
        let t = i64::try_from(i).expect("small") * 60;
        let text = format!(
            "Message {i}: où en est ma commande #{} ? Écrivez aussi à jeanne.pro{}@work.example, \
             ou appelez le 06 12 34 {:02} {:02}. Lorem ipsum dolor sit amet, consectetur.",
            40_000 + i % 400,
            i % 7,
            i % 90,
            i % 60
        );
        out.push(match i % 4 {
            0 | 1 => message(
                Channel::Email,
                "jeanne@example.com",
                &format!("<t{}@example.com>", i / 10),
                &format!("<m{i}@example.com>"),
                text,
                t,
            ),
            2 => {
                let mut m = message(
                    Channel::Chat,
                    "visitor-jeanne",
                    "visitor-jeanne",
                    &format!("c{i}"),
                    text,
                    t,
                );
                m.from.email = Some("jeanne@example.com".into());
                m
            }
            _ => message(
                Channel::Whatsapp,
                "33611111111",
                "33611111111",
                &format!("w{i}"),
                text,
                t,
            ),
        });
    }
    out
}

fn others() -> Vec<Inbound> {
    let mut out = Vec::new();
    for k in 0..OTHERS {
        let n = if k == 0 { 1_000 } else { 3 };
        for j in 0..n {
            let t = i64::try_from(k * 10 + j).expect("small");
            let channel = [Channel::Email, Channel::Chat, Channel::Whatsapp][k % 3];
            let sender = match channel {
                Channel::Email => format!("c{k}@example.org"),
                Channel::Whatsapp => format!("4477009{k:05}"),
                _ => format!("visitor-{k}"),
            };
            let thread = if channel == Channel::Email {
                format!("<o{k}-{}@example.org>", j / 5)
            } else {
                sender.clone()
            };
            out.push(message(
                channel,
                &sender,
                &thread,
                &format!("o{k}-{j}"),
                format!(
                    "Bonjour, commande {} reçue abîmée, merci de me rappeler",
                    40_000 + k
                ),
                t,
            ));
        }
    }
    out
}

fn time(runs: usize, mut f: impl FnMut()) -> (Duration, Duration, Duration) {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort_unstable();
    let pick = |q: f64| {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index into a short list"
        )]
        let i = ((times.len() - 1) as f64 * q).round() as usize;
        times[i]
    };
    (pick(0.5), pick(0.99), times[times.len() - 1])
}

fn row(name: &str, (p50, p99, max): (Duration, Duration, Duration), target: Option<Duration>) {
    let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
    let verdict = match target {
        Some(t) if p99 < t => format!("p99 < {} ms ok", t.as_millis()),
        Some(t) => format!("p99 < {} ms MISSED", t.as_millis()),
        None => String::new(),
    };
    println!(
        "{name:<48} {:>10} {:>10} {:>10}  {verdict}",
        ms(p50),
        ms(p99),
        ms(max)
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("store.sqlite")).expect("open");
    let built = Instant::now();
    for chunk in others().chunks(2_000) {
        ingest::ingest_batch(&mut store, chunk, at(0)).expect("ingest others");
    }
    for chunk in big_customer().chunks(2_000) {
        ingest::ingest_batch(&mut store, chunk, at(0)).expect("ingest the customer");
    }
    let all = store
        .queue(&comptoir::store::QueueFilter {
            statuses: Vec::new(),
            limit: 20_000,
            ..comptoir::store::QueueFilter::default()
        })
        .expect("queue");
    let by_peer = |peer: &str| {
        all.iter()
            .find(|c| c.peer == peer)
            .expect("her conversation")
            .customer_id
    };
    // Her chat visitor only claimed her address, so it is another customer until an
    // agent links them; her WhatsApp number is a third. Linked here, as an agent would.
    let jeanne = by_peer("jeanne@example.com");
    for other in [by_peer("visitor-jeanne"), by_peer("33611111111")] {
        store
            .link(jeanne, other, None, at(0))
            .expect("link her records");
    }
    let emails = store.customer_history(jeanne).expect("history");
    println!(
        "store: {} messages, built in {:.1} s; the customer: {} messages, {} conversations",
        store.message_count().expect("count"),
        built.elapsed().as_secs_f64(),
        emails.messages_total,
        emails.conversations.len()
    );
    let card = store.customer_card(jeanne).expect("card");
    println!(
        "her card: {} suggestions, e.g. {}",
        card.suggestions.len(),
        card.suggestions
            .first()
            .map(comptoir::store::Suggestion::describe)
            .unwrap_or_default()
    );
    println!();
    println!(
        "{:<48} {:>10} {:>10} {:>10}",
        "operation", "p50", "p99", "max"
    );
    row(
        &format!("history pane, first page ({TIMELINE_PAGE} messages)"),
        time(200, || {
            black_box(store.customer_history(jeanne).expect("history"));
        }),
        Some(TARGET),
    );
    row(
        "history, all 5,000 messages at once (not done)",
        time(50, || {
            black_box(
                store
                    .customer_history_page(jeanne, 10_000)
                    .expect("history"),
            );
        }),
        None,
    );
    row(
        "customer card with suggestions",
        time(100, || {
            black_box(store.customer_card(jeanne).expect("card"));
        }),
        Some(Duration::from_millis(50)),
    );
    let other = CustomerId(1);
    row(
        "link (5,000 + 1,000 messages) and unlink",
        time(30, || {
            let link = store.link(jeanne, other, None, at(1)).expect("link");
            store.unlink(link, at(2)).expect("unlink");
        }),
        Some(Duration::from_millis(100)),
    );
}
