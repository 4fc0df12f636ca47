//! Store benchmarks on a big synthetic shop (100,000 conversations, about 1,000,000
//! messages): ingest throughput with the FTS index, the queue page, the status line,
//! thread and customer history loads, search, and opening the store.
//!
//! `cargo bench --bench store` builds the store once under
//! `target/bench-data/store-100k-v3/` (reused while its `complete` marker is there),
//! then prints p50 / p99 / max per operation beside the targets of the issue. It is a
//! report: it exits 0 even when a target is missed, and says `MISSED` in the table.
//!
//! `COMPTOIR_BENCH_CONVERSATIONS=2000 cargo bench --bench store` is a quick smoke run on
//! a small store (cached separately).
//!
//! `COMPTOIR_BENCH_ONLY=search` runs only the search benchmarks (each filter kind,
//! customer and handle lookups), `COMPTOIR_BENCH_ONLY=ingest` skips the read benchmarks, and
//! `COMPTOIR_BENCH_INGEST_RUNS=5` repeats the ingest run on a fresh copy each time and
//! prints every rate and their median: the figure to compare two builds by on a busy
//! machine.

#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

#[path = "common/data.rs"]
mod data;

use data::synth;

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use comptoir::ingest;
use comptoir::model::{Channel, ConversationId, CustomerId, StatusName};
use comptoir::store::{QueueFilter, SearchQuery, SearchResults, Store};
use fastrand::Rng;

/// Messages ingested into a copy of the big store.
const FRESH_MESSAGES: usize = 50_000;

fn main() {
    let conversations = data::conversations_from_env();
    let dir = data::store_dir(conversations);
    let path = dir.join("store.sqlite");

    println!("comptoir store benchmark: {conversations} conversations");
    println!("store: {}", path.display());
    let build = data::build_or_reuse(&dir, &path, conversations);
    print_build(&build);
    let only_ingest = std::env::var("COMPTOIR_BENCH_ONLY").is_ok_and(|v| v.trim() == "ingest");
    let only_search = std::env::var("COMPTOIR_BENCH_ONLY").is_ok_and(|v| v.trim() == "search");
    if !only_ingest {
        print_contents(&path);
    }

    let mut results: Vec<Row> = Vec::new();
    let mut rng = Rng::with_seed(data::SEED ^ 0xBE7C);
    if !only_ingest {
        let mut store = Store::open(&path).expect("open the bench store");
        let conversation_count = max_id(&path, "conversations");
        let customer_count = max_id(&path, "customers");

        if !only_search {
            bench_queue(&mut store, &mut results);
            results.push(measure(
                "stats() (status line counts)",
                Target::None,
                5,
                500,
                |_| {
                    black_box(store.stats().expect("stats"));
                },
            ));
            results.push(measure(
                "thread(id), random conversation",
                Target::P99Below(ms(5)),
                20,
                1_000,
                |_| {
                    let id = ConversationId(rng.i64(1..=conversation_count));
                    black_box(store.thread(id).expect("thread"));
                },
            ));
            results.push(measure(
                "customer_history(id), random customer",
                Target::None,
                20,
                1_000,
                |_| {
                    let id = CustomerId(rng.i64(1..=customer_count));
                    black_box(store.customer_history(id).expect("customer history"));
                },
            ));
        }
        bench_search(&mut store, &path, &mut results);
        bench_search_filters(&mut store, &path, &mut results);
    }

    if !only_ingest && !only_search {
        bench_open(&path, &mut results);
    }
    let ingest_rate = if only_search {
        None
    } else {
        bench_ingest_runs(&dir, &path, &mut results)
    };

    print_table(&results);
    println!();
    let build_ok = build.ingest_rate() >= 20_000.0;
    println!(
        "ingest while building ({} batches of up to {}): {:.0} messages/s (target >= 20,000/s) {}",
        build.batches,
        synth::BATCH,
        build.ingest_rate(),
        verdict(build_ok)
    );
    if let Some(rate) = ingest_rate {
        println!(
            "ingest into a copy of the built store ({FRESH_MESSAGES} messages, batches of {}): \
             {rate:.0} messages/s (target >= 20,000/s) {}",
            synth::BATCH,
            verdict(rate >= 20_000.0)
        );
    }
    let missed = results.iter().filter(|r| r.ok() == Some(false)).count()
        + usize::from(!build_ok && !only_search)
        + usize::from(ingest_rate.is_some_and(|r| r < 20_000.0));
    if missed == 0 {
        println!("all targets met");
    } else {
        println!("{missed} target(s) MISSED");
    }
}

// ---------------------------------------------------------------------------------------
// The data
// ---------------------------------------------------------------------------------------

fn print_build(b: &synth::BuildReport) {
    println!();
    println!("build:");
    println!(
        "  {} conversations planned, {} opened, {} reopened by a customer message",
        b.conversations, b.opened, b.reopened
    );
    println!(
        "  {} messages: {} inbound, {} replies, {} notes; {} status changes",
        b.messages, b.inbound, b.replies, b.notes, b.status_changes
    );
    if b.dead_letters + b.duplicates > 0 {
        println!(
            "  WARNING: {} dead letters, {} duplicates (the generator should make none)",
            b.dead_letters, b.duplicates
        );
    }
    println!(
        "  ingest_batch: {} batches in {:.1} s = {:.0} messages/s (slowest batch {} ms)",
        b.batches,
        b.ingest_time.as_secs_f64(),
        b.ingest_rate(),
        b.slowest_batch.as_millis()
    );
    println!(
        "  agent calls (replies, notes, statuses): {:.1} s; whole build {:.1} s",
        b.agent_time.as_secs_f64(),
        b.total_time.as_secs_f64()
    );
}

/// File sizes and a few figures straight from SQLite, to show what the store holds.
fn print_contents(path: &Path) {
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let attachments = path.with_file_name("attachments");
    let attachment_bytes: u64 = walk_size(&attachments);
    println!();
    println!(
        "store file: {:.1} MiB (+ WAL {:.1} MiB, attachments/ {:.1} MiB)",
        mib(size(path)),
        mib(size(Path::new(&wal))),
        mib(attachment_bytes)
    );
    let conn = read_only(path);
    let one = |sql: &str| -> i64 {
        conn.query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
            .expect("a summary query")
            .unwrap_or(0)
    };
    println!(
        "contents: {} customers ({} linked across several kinds of handle), {} handles, \
         {} conversations, {} messages (avg {} chars, max {}), {} attachments, {} outbox rows",
        one("SELECT count(*) FROM customers"),
        one(
            "SELECT count(*) FROM (SELECT customer_id FROM handles GROUP BY customer_id
             HAVING count(DISTINCT kind) > 1)"
        ),
        one("SELECT count(*) FROM handles"),
        one("SELECT count(*) FROM conversations"),
        one("SELECT count(*) FROM messages"),
        one("SELECT CAST(avg(length(body)) AS INTEGER) FROM messages"),
        one("SELECT max(length(body)) FROM messages"),
        one("SELECT count(*) FROM attachments"),
        one("SELECT count(*) FROM outbox"),
    );
    let mut stmt = conn
        .prepare("SELECT status, count(*), sum(waiting_since IS NOT NULL) FROM conversations GROUP BY status")
        .expect("a summary query");
    let rows = stmt
        .query_map([], |r| {
            Ok(format!(
                "{} {} ({} waiting)",
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?
            ))
        })
        .expect("a summary query")
        .collect::<Result<Vec<_>, _>>()
        .expect("a summary query");
    println!("statuses: {}", rows.join(", "));
    let mut stmt = conn
        .prepare("SELECT channel, count(*) FROM conversations GROUP BY channel ORDER BY 2 DESC")
        .expect("a summary query");
    let rows = stmt
        .query_map([], |r| {
            Ok(format!(
                "{} {}",
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?
            ))
        })
        .expect("a summary query")
        .collect::<Result<Vec<_>, _>>()
        .expect("a summary query");
    println!("channels: {}", rows.join(", "));
}

fn walk_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => walk_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn read_only(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("open the bench store read-only")
}

/// The largest row id of a table (ids are dense: the builder deletes nothing).
fn max_id(path: &Path, table: &str) -> i64 {
    read_only(path)
        .query_row(&format!("SELECT max(id) FROM {table}"), [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .expect("read a max id")
        .unwrap_or(1)
        .max(1)
}

// ---------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Target {
    None,
    P99Below(Duration),
}

struct Row {
    name: String,
    times: Vec<Duration>,
    target: Target,
    /// Extra words for the table, e.g. how many rows a call returned.
    note: String,
}

impl Row {
    fn sorted(&self) -> Vec<Duration> {
        let mut t = self.times.clone();
        t.sort_unstable();
        t
    }

    fn pct(&self, q: f64) -> Duration {
        let t = self.sorted();
        if t.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((q * t.len() as f64).ceil() as usize).clamp(1, t.len());
        t[rank - 1]
    }

    fn max(&self) -> Duration {
        self.times.iter().copied().max().unwrap_or_default()
    }

    fn ok(&self) -> Option<bool> {
        match self.target {
            Target::None => None,
            Target::P99Below(limit) => Some(self.pct(0.99) < limit),
        }
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Runs `f` `warmup` times unmeasured, then `iterations` times measured.
fn measure(
    name: &str,
    target: Target,
    warmup: usize,
    iterations: usize,
    mut f: impl FnMut(usize),
) -> Row {
    for i in 0..warmup {
        f(i);
    }
    let times = (0..iterations)
        .map(|i| {
            let t = Instant::now();
            f(i);
            t.elapsed()
        })
        .collect();
    let row = Row {
        name: name.to_owned(),
        times,
        target,
        note: String::new(),
    };
    eprintln!("  measured {name}: p50 {}", fmt(row.pct(0.5)));
    row
}

fn fmt(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1_000.0;
    if ms < 1.0 {
        format!("{ms:.3} ms")
    } else if ms < 100.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "OK" } else { "MISSED" }
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<46} {:>5} {:>10} {:>10} {:>10}  {:<18} note",
        "operation", "n", "p50", "p99", "max", "target (p99)"
    );
    println!("{}", "-".repeat(120));
    for r in rows {
        let target = match (r.target, r.ok()) {
            (Target::P99Below(limit), Some(ok)) => {
                format!("< {} {}", fmt(limit).replace(".00", ""), verdict(ok))
            }
            _ => "-".to_owned(),
        };
        println!(
            "{:<46} {:>5} {:>10} {:>10} {:>10}  {:<18} {}",
            r.name,
            r.times.len(),
            fmt(r.pct(0.5)),
            fmt(r.pct(0.99)),
            fmt(r.max()),
            target,
            r.note
        );
    }
}

// ---------------------------------------------------------------------------------------
// The operations
// ---------------------------------------------------------------------------------------

fn bench_queue(store: &mut Store, results: &mut Vec<Row>) {
    let me = store.ensure_agent(synth::AGENTS[0]).expect("an agent");
    let pages: [(&str, QueueFilter); 5] = [
        ("queue: open, first page (100)", QueueFilter::default()),
        (
            "queue: email + unanswered, first page",
            QueueFilter {
                channel: Some(Channel::Email),
                unanswered: true,
                ..QueueFilter::default()
            },
        ),
        (
            "queue: open, deep page (offset 5000)",
            QueueFilter {
                offset: 5_000,
                ..QueueFilter::default()
            },
        ),
        (
            "queue: mine (assignee), open",
            QueueFilter {
                assignee: Some(me),
                ..QueueFilter::default()
            },
        ),
        (
            "queue: open + pending, first page",
            QueueFilter {
                statuses: vec![StatusName::Open, StatusName::Pending],
                ..QueueFilter::default()
            },
        ),
    ];
    for (name, filter) in pages {
        let rows = store.queue(&filter).expect("a queue page").len();
        let mut row = measure(name, Target::P99Below(ms(5)), 10, 500, |_| {
            black_box(store.queue(&filter).expect("a queue page"));
        });
        row.note = format!("{rows} rows");
        results.push(row);
    }
}

fn bench_search(store: &mut Store, path: &Path, results: &mut Vec<Row>) {
    let vocab = synth::Vocab::new();
    let mut rng = Rng::with_seed(data::SEED ^ 0x5EA2C);
    let rare: Vec<String> = (0..8)
        .map(|_| format!("{} ", vocab.tail[rng.usize(..vocab.tail.len())]))
        .chain(["xylophonique ".to_owned()])
        .collect();
    let orders = order_numbers(path, &mut rng, 10);
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let categories: Vec<(&str, Vec<String>)> = vec![
        (
            "search: common word",
            owned(&[
                "commande ",
                "colis ",
                "merci ",
                "order ",
                "livraison ",
                "remboursement ",
            ]),
        ),
        ("search: rare word", rare),
        (
            "search: two words",
            owned(&[
                "colis abîmé ",
                "refund order ",
                "taille robe ",
                "remboursement colissimo ",
                "parcel damaged ",
                "commande annulation ",
            ]),
        ),
        (
            "search: prefix (as typed)",
            owned(&["rembour", "livr", "échan", "colis ab", "refu", "transp"]),
        ),
        ("search: order number", orders),
    ];
    let mut all: Vec<Duration> = Vec::new();
    for (name, queries) in &categories {
        let hits: Vec<usize> = queries
            .iter()
            .map(|q| store.search(q, 50).expect("search").len())
            .collect();
        let mut row = measure(name, Target::P99Below(ms(50)), queries.len(), 200, |i| {
            black_box(
                store
                    .search(&queries[i % queries.len()], 50)
                    .expect("search"),
            );
        });
        row.note = format!(
            "{} queries, hits {}..{} (limit 50)",
            queries.len(),
            hits.iter().min().unwrap_or(&0),
            hits.iter().max().unwrap_or(&0)
        );
        all.extend(&row.times);
        results.push(row);
    }
    results.push(Row {
        name: "search: all of the above".to_owned(),
        times: all,
        target: Target::P99Below(ms(50)),
        note: "limit 50".to_owned(),
    });
    // While typing, the first letters are searched as a prefix too: the worst case.
    let typing = owned(&["c", "co", "re", "li", "m"]);
    let mut row = measure("search: 1-2 letters (typing)", Target::None, 5, 50, |i| {
        black_box(store.search(&typing[i % typing.len()], 50).expect("search"));
    });
    row.note = "not in the target; shows the cost of search-as-you-type".to_owned();
    results.push(row);
}

/// Search with each filter kind, filters alone, and the customer and handle lookups of
/// the TUI's search (`search_query`: customers first, then messages), on words common
/// and rare. Dates are relative to now, as the agent types them; the store's history
/// ends at the build day.
fn bench_search_filters(store: &mut Store, path: &Path, results: &mut Vec<Row>) {
    let mut rng = Rng::with_seed(data::SEED ^ 0xF117);
    let names = customer_names(path, &mut rng, 6);
    let emails = handle_prefixes(path, &mut rng, "email", 6);
    let phones = handle_prefixes(path, &mut rng, "phone", 4);
    let from_customer: Vec<String> = names
        .iter()
        .zip(
            [
                "commande",
                "colis",
                "merci",
                "livraison",
                "bonjour",
                "taille",
            ]
            .iter()
            .cycle(),
        )
        .map(|(n, w)| format!("{w} from:\"{n}\""))
        .chain(emails.iter().take(3).map(|e| format!("from:{e}")))
        // A common first name alone: a thousand customers.
        .chain([
            "merci from:Camille".to_owned(),
            "colis from:Hugo".to_owned(),
        ])
        .collect();
    let owned = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let categories: Vec<(&str, Vec<String>)> = vec![
        (
            "search: word + channel:",
            owned(&[
                "commande channel:email",
                "colis channel:chat",
                "merci channel:instagram",
                "livraison channel:whatsapp",
                "remboursement channel:messenger",
                "taille channel:telegram",
            ]),
        ),
        (
            "search: word + status:",
            owned(&[
                "commande status:resolved",
                "colis status:open",
                "merci status:pending",
                "livraison status:snoozed",
                "remboursement status:open",
            ]),
        ),
        (
            "search: word + after:/before:",
            owned(&[
                "commande after:30d",
                "colis after:7d",
                "merci before:90d",
                "livraison after:2026-01-01 before:2026-03-01",
                "remboursement before:2025-06-01",
            ]),
        ),
        ("search: word + from: customer", from_customer),
        (
            "search: word + from: agent",
            owned(&[
                "commande from:Léa",
                "colis from:karim",
                "merci from:Sophie",
                "remboursement from:thomas",
            ]),
        ),
        (
            "search: is:note",
            owned(&[
                "is:note remboursement",
                "is:note transporteur",
                "is:note colis",
                "is:note",
            ]),
        ),
        (
            "search: filters only",
            owned(&[
                "channel:telegram status:pending",
                "status:snoozed",
                "is:note after:7d",
                "channel:email before:2025-01-01",
                "from:Camille",
            ]),
        ),
    ];
    let mut all: Vec<Duration> = Vec::new();
    for (name, queries) in &categories {
        let row = bench_queries(
            store,
            name,
            queries,
            |r| r.messages.len(),
            "hits",
            " (limit 50)",
        );
        all.extend(&row.times);
        results.push(row);
    }
    results.push(Row {
        name: "search: every filter kind together".to_owned(),
        times: all,
        target: Target::P99Below(ms(50)),
        note: "limit 50".to_owned(),
    });

    // The TUI's search: customers by name and by handle prefix, then the messages.
    let lookups: Vec<(&str, Vec<String>)> = vec![
        (
            "search: customer names (+ messages)",
            names.iter().map(|n| format!("{n} ")).collect(),
        ),
        (
            "search: name as typed (prefix)",
            names
                .iter()
                .filter_map(|n| n.split_whitespace().next())
                .map(|first| first.chars().take(4).collect::<String>())
                .collect(),
        ),
        (
            "search: email / phone prefix",
            emails
                .iter()
                .map(|e| e.chars().take(8).collect::<String>())
                .chain(phones.iter().map(|p| p.chars().take(7).collect::<String>()))
                .collect(),
        ),
    ];
    for (name, queries) in &lookups {
        let row = bench_queries(store, name, queries, |r| r.customers.len(), "customers", "");
        results.push(row);
    }
}

/// Times `queries` (parsed once, in the agent's zone) round robin, 200 runs against the
/// 50 ms p99 target; the note gives the range of `count` over them, as `what`.
fn bench_queries<Q: AsRef<str>>(
    store: &mut Store,
    name: &str,
    queries: &[Q],
    count: impl Fn(&SearchResults) -> usize,
    what: &str,
    suffix: &str,
) -> Row {
    let now = jiff::Timestamp::now();
    let tz = jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC);
    let parsed: Vec<SearchQuery> = queries
        .iter()
        .map(|q| SearchQuery::parse(q.as_ref(), now, &tz).expect("a valid bench query"))
        .collect();
    let found: Vec<usize> = parsed
        .iter()
        .map(|q| count(&store.search_query(q, 50).expect("search")))
        .collect();
    let mut row = measure(name, Target::P99Below(ms(50)), parsed.len(), 200, |i| {
        black_box(
            store
                .search_query(&parsed[i % parsed.len()], 50)
                .expect("search"),
        );
    });
    row.note = format!(
        "{} queries, {what} {}..{}{suffix}",
        parsed.len(),
        found.iter().min().unwrap_or(&0),
        found.iter().max().unwrap_or(&0)
    );
    row
}

/// Names of random customers who have one with two words.
fn customer_names(path: &Path, rng: &mut Rng, count: usize) -> Vec<String> {
    let conn = read_only(path);
    let max = max_id(path, "customers");
    let mut stmt = conn
        .prepare(
            "SELECT display_name FROM customers WHERE id >= ?1 AND display_name LIKE '% %'
             ORDER BY id LIMIT 1",
        )
        .expect("a customer query");
    let mut out: Vec<String> = Vec::new();
    for _ in 0..count * 4 {
        if out.len() == count {
            break;
        }
        if let Ok(name) = stmt.query_row([rng.i64(1..=max)], |r| r.get::<_, String>(0))
            && !out.contains(&name)
        {
            out.push(name);
        }
    }
    if out.is_empty() {
        out.push("Camille Thomas".to_owned());
    }
    out
}

/// Values of random handles of one kind.
fn handle_prefixes(path: &Path, rng: &mut Rng, kind: &str, count: usize) -> Vec<String> {
    let conn = read_only(path);
    let mut stmt = conn
        .prepare("SELECT value FROM handles WHERE kind = ?1 AND customer_id >= ?2 LIMIT 1")
        .expect("a handle query");
    let max = max_id(path, "customers");
    let mut out = Vec::new();
    for _ in 0..count * 4 {
        if out.len() == count {
            break;
        }
        if let Ok(v) = stmt.query_row(rusqlite::params![kind, rng.i64(1..=max)], |r| {
            r.get::<_, String>(0)
        }) {
            out.push(v);
        }
    }
    out
}

/// Order numbers (`#123456`) that the store holds, taken from random notes (every note
/// names its conversation's order).
fn order_numbers(path: &Path, rng: &mut Rng, count: usize) -> Vec<String> {
    let conn = read_only(path);
    let max = max_id(path, "messages");
    let mut stmt = conn
        .prepare("SELECT body FROM messages WHERE id >= ?1 AND kind = 'note' ORDER BY id LIMIT 1")
        .expect("a note query");
    let mut out = Vec::new();
    for _ in 0..count * 4 {
        if out.len() == count {
            break;
        }
        let body: Option<String> = stmt.query_row([rng.i64(1..=max)], |r| r.get(0)).ok();
        let number = body.as_deref().and_then(|b| {
            let at = b.find('#')?;
            let digits: String = b[at + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            (digits.len() == 6).then(|| format!("#{digits}"))
        });
        out.extend(number);
    }
    if out.is_empty() {
        out.push("#123456".to_owned());
    }
    out
}

fn bench_open(path: &Path, results: &mut Vec<Row>) {
    results.push(measure(
        "Store::open on the big store",
        Target::P99Below(ms(20)),
        5,
        200,
        |_| {
            black_box(Store::open(path).expect("open the store"));
        },
    ));
    results.push(measure(
        "open + first queue page + stats (first screen)",
        Target::None,
        5,
        100,
        |_| {
            let mut store = Store::open(path).expect("open the store");
            black_box(store.queue(&QueueFilter::default()).expect("a queue page"));
            black_box(store.stats().expect("stats"));
        },
    ));
}

/// How long this thread has waited for a core so far (Linux schedstat), if known.
fn run_queue_wait() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let waited: u64 = text.split_whitespace().nth(1)?.parse().ok()?;
    Some(Duration::from_nanos(waited))
}

fn sync(path: &Path) {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .expect("sync the copy to disk");
}

/// `COMPTOIR_BENCH_INGEST_RUNS` ingest runs (default 1), each on a fresh copy; returns
/// the median rate.
fn bench_ingest_runs(dir: &Path, path: &Path, results: &mut Vec<Row>) -> Option<f64> {
    let runs = std::env::var("COMPTOIR_BENCH_INGEST_RUNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let mut rates: Vec<f64> = (0..runs)
        .filter_map(|_| bench_ingest_copy(dir, path, results))
        .collect();
    eprintln!(
        "  ingest runs (messages/s): {}",
        rates
            .iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    rates.sort_by(f64::total_cmp);
    rates.get(rates.len() / 2).copied()
}

/// Ingests fresh messages in batches into a copy of the built store; returns messages/s.
fn bench_ingest_copy(dir: &Path, path: &Path, results: &mut Vec<Row>) -> Option<f64> {
    // Every connection is closed here, so SQLite has checkpointed the WAL into the file.
    let copy_dir = dir.join("ingest-copy");
    let _ = std::fs::remove_dir_all(&copy_dir);
    std::fs::create_dir_all(&copy_dir).expect("create the copy folder");
    let copy = copy_dir.join("store.sqlite");
    let started = Instant::now();
    std::fs::copy(path, &copy).expect("copy the store");
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if Path::new(&wal).exists() {
        let mut to = copy.as_os_str().to_owned();
        to.push("-wal");
        std::fs::copy(&wal, &to).expect("copy the WAL");
        sync(Path::new(&to));
    }
    // The fresh copy's gigabyte of dirty pages would otherwise be written back during
    // the run, by the first checkpoint's fsync: a cost of the copy, not of ingest.
    sync(&copy);
    eprintln!(
        "  copied the store for the ingest run in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut store = Store::open(&copy).expect("open the copy");
    let conversations = max_id(&copy, "conversations");
    let existing =
        synth::ExistingThread::sample(&mut store, data::SEED ^ 0xC0FF, conversations.max(1), 2_000);
    let end = synth::end_of_history();
    let mut generator = synth::Synth::new(data::SEED ^ 0xF2E5, end, 10_000_000);
    let messages = generator.fresh_inbound(FRESH_MESSAGES, &existing, end);
    let mut times = Vec::new();
    let mut stored = 0usize;
    let waited_before = run_queue_wait();
    for chunk in messages.chunks(synth::BATCH) {
        let now = chunk[0].sent_at;
        let t = Instant::now();
        let outcomes = ingest::ingest_batch(&mut store, chunk, now).expect("ingest a batch");
        times.push(t.elapsed());
        stored += outcomes
            .iter()
            .filter(|o| matches!(o, ingest::Outcome::New { .. }))
            .count();
    }
    let total: Duration = times.iter().sum();
    let rate = messages.len() as f64 / total.as_secs_f64().max(1e-9);
    // On a shared machine the thread also waits for a core; that wait is the other
    // programs' doing, so the rate without it is printed beside the plain one.
    let unloaded = match (waited_before, run_queue_wait()) {
        (Some(before), Some(after)) => {
            let busy = total.saturating_sub(after.saturating_sub(before));
            format!(
                ", {:.0} messages/s without waits for a core",
                messages.len() as f64 / busy.as_secs_f64().max(1e-9)
            )
        }
        _ => String::new(),
    };
    eprintln!("  ingest run: {rate:.0} messages/s{unloaded}");
    results.push(Row {
        name: format!("ingest_batch of {} into the copy", synth::BATCH),
        times,
        target: Target::None,
        note: format!(
            "{stored} of {} stored, {rate:.0} messages/s{unloaded}",
            messages.len()
        ),
    });
    // Closing waits for the background checkpoint and copies what is left of the WAL:
    // work the run put off, shown so the rate above can be weighed against it.
    let closing = Instant::now();
    drop(store);
    let closing = closing.elapsed();
    eprintln!(
        "  closing the store (the last checkpoint) took {:.2} s; with it, {:.0} messages/s",
        closing.as_secs_f64(),
        messages.len() as f64 / (total + closing).as_secs_f64().max(1e-9)
    );
    if let Err(e) = std::fs::remove_dir_all(&copy_dir) {
        eprintln!("  could not remove {}: {e}", copy_dir.display());
    }
    Some(rate)
}
