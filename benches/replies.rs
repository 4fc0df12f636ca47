//! The canned-reply picker over 5,000 generated replies: how long one keystroke's
//! filtering takes, typed as an agent types. Target: p99 under 1 ms per keystroke.
//!
//! `cargo bench --bench replies`. Three figures: the keystroke through `App::key` with
//! the real keymap (the picker narrows the previous keystroke's matches, as it does
//! live), a fresh search of the whole library (the first keystroke, or a deleted
//! character), and loading the library (parsing 5,000 files' text).

#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use comptoir::model::{AgentId, Channel, Conversation, ConversationId, CustomerId, Status};
use comptoir::replies::Library;
use comptoir::store::QueueStats;
use comptoir::tui::app::App;
use comptoir::tui::key::parse_keys;
use comptoir::tui::load_keymap;
use jiff::{Timestamp, tz::TimeZone};

const REPLIES: usize = 5_000;
const ROUNDS: usize = 200;

const WORDS: [&str; 40] = [
    "refund",
    "order",
    "delivery",
    "late",
    "parcel",
    "return",
    "exchange",
    "size",
    "colour",
    "voucher",
    "discount",
    "gift",
    "card",
    "payment",
    "invoice",
    "address",
    "damaged",
    "missing",
    "allergen",
    "gluten",
    "organic",
    "cheese",
    "bread",
    "wine",
    "coffee",
    "tea",
    "opening",
    "hours",
    "holiday",
    "closing",
    "welcome",
    "thanks",
    "apology",
    "stock",
    "preorder",
    "subscription",
    "cancel",
    "account",
    "password",
    "newsletter",
];

/// A deterministic generator, so every run searches the same library.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % 1_000_003).unwrap_or(0)
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.next() % WORDS.len()]
    }
}

fn library() -> (Library, Duration) {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let files: Vec<(String, String)> = (0..REPLIES)
        .map(|i| {
            let name = format!("{} {} {} {i}", rng.word(), rng.word(), rng.word());
            let tags = format!("[{}, {}, {}]", rng.word(), rng.word(), rng.word());
            let text = format!(
                "---\nname: {name}\nshortcut: s{i}\ntags: {tags}\n---\nHello {{{{customer.first_name}}}},\n\n\
                 About your **{}**: see the [page](https://shop.example/{i}).\n\n- one\n- two\n",
                rng.word()
            );
            (format!("reply-{i:05}.md"), text)
        })
        .collect();
    let start = Instant::now();
    let lib = Library::from_texts(
        files.iter().map(|(n, t)| (n.as_str(), t.as_str())),
        Path::new("replies"),
        "replies",
        false,
    );
    let took = start.elapsed();
    assert!(lib.errors().is_empty(), "{:?}", lib.errors().first());
    assert_eq!(lib.replies().len(), REPLIES);
    (lib, took)
}

fn app(lib: Arc<Library>) -> App {
    let now = Timestamp::from_second(1_790_000_000).expect("time");
    let km = load_keymap(Some("default"), None).expect("keymap");
    let mut app = App::new(AgentId(1), "Camille", Arc::new(km), TimeZone::UTC, now);
    let c = Conversation {
        id: ConversationId(1),
        channel: Channel::Chat,
        account: "site".into(),
        thread_key: "v1".into(),
        customer_id: CustomerId(1),
        customer_name: Some("Ada Lovelace".into()),
        peer: "v1".into(),
        subject: None,
        status: Status::Open,
        assignee: None,
        labels: Vec::new(),
        created_at: now,
        last_message_at: now,
        waiting_since: Some(now),
        preview: "hello".into(),
        message_count: 1,
    };
    app.loaded_queue(vec![c.clone()], QueueStats::default(), None);
    app.loaded_thread(Some((c, Vec::new())), None);
    app.set_replies(lib, Some("Shop".into()), Vec::new());
    app
}

/// Times `f` by the wall clock.
fn timed(wall: &mut Vec<Duration>, f: impl FnOnce()) {
    let start = Instant::now();
    f();
    wall.push(start.elapsed());
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round();
    sorted[rank as usize]
}

fn report(what: &str, mut samples: Vec<Duration>) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort_unstable();
    let p50 = percentile(&samples, 50.0);
    let p99 = percentile(&samples, 99.0);
    let max = samples.last().copied().unwrap_or_default();
    println!(
        "{what:<52} {:>7} {:>10.3?} {:>10.3?} {:>10.3?}",
        samples.len(),
        p50,
        p99,
        max
    );
    p99
}

fn main() {
    let (lib, load) = library();
    let lib = Arc::new(lib);
    println!("comptoir canned-reply picker over {REPLIES} replies");
    println!("loading {REPLIES} reply texts: {load:.1?}");
    println!();
    println!(
        "{:<52} {:>7} {:>10} {:>10} {:>10}",
        "operation", "n", "p50", "p99", "max"
    );
    println!("{}", "-".repeat(94));

    let queries = [
        "refund order",
        "late parcel",
        "gift card 12",
        "s4999",
        "orgnic chese",
    ];
    let ctrl_r = parse_keys("<C-r>").expect("keys");
    let mut keystroke = Vec::new();
    let mut by_position: Vec<Vec<Duration>> = vec![Vec::new(); 4];
    let mut matches = 0usize;
    for _ in 0..ROUNDS {
        for q in queries {
            let mut a = app(Arc::clone(&lib));
            a.update("reply".parse().expect("command"));
            for k in &ctrl_r {
                a.key(*k);
            }
            for (n, k) in parse_keys(q).expect("keys").into_iter().enumerate() {
                let before = keystroke.len();
                timed(&mut keystroke, || {
                    a.key(k);
                });
                if let Some(t) = keystroke.get(before) {
                    let last = by_position.len() - 1;
                    by_position[n.min(last)].push(*t);
                }
            }
            matches += a.picker.as_ref().map_or(0, |p| p.matches.len());
        }
    }
    let p99 = report("keystroke in the picker (App::key, narrowing)", keystroke);
    for (n, samples) in by_position.into_iter().enumerate() {
        let label = if n == 3 {
            "  4th keystroke and later".to_owned()
        } else {
            format!("  keystroke {} of the query", n + 1)
        };
        report(&label, samples);
    }

    let mut fresh = Vec::new();
    for _ in 0..ROUNDS {
        for q in queries {
            let start = Instant::now();
            matches += lib.search(q, Some(Channel::Chat), None).len();
            fresh.push(start.elapsed());
        }
    }
    report("search of all replies (no narrowing)", fresh);
    println!();
    println!("(matches seen: {matches})");
    let target = Duration::from_millis(1);
    println!(
        "target p99 < {target:?} per keystroke: {}",
        if p99 < target { "met" } else { "MISSED" }
    );
}
