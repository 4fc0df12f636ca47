//! Response-report benchmark on the big synthetic shop (100,000 conversations, about
//! 1,000,000 messages; `benches/common/synth.rs`): the report over the last 7, 30, 90,
//! 365 and 730 days (p50 and max of several runs; the target is < 500 ms), and
//! what the report's triggers and indexes (migration 0008) cost ingest.
//!
//! `cargo bench --bench report` reuses (or builds once) the store the store benchmark
//! caches, and works on a copy of it in `report-copy/`, so the shared store is never
//! migrated or changed here. Opening the copy migrates it: that time, the one-off cost of
//! 0008's backfill on a store that predates it (with the other new migrations), is shown.
//!
//! The ingest comparison feeds the same fresh messages (`FRESH_MESSAGES`, in batches of
//! `synth::BATCH`) into two copies of the migrated store, one with 0008's triggers and
//! indexes and one without, and prints both rates. `COMPTOIR_BENCH_INGEST_RUNS=3` repeats
//! the pair; `COMPTOIR_BENCH_REPORT_DROP=index` compares with a copy that lacks only the
//! messages' index (so the rest is the triggers'); `COMPTOIR_BENCH_ONLY=report` skips it. It is a report: it exits 0 even when
//! the target is missed, and says `MISSED`.
//!
//! "p50 busy" is the median with the time the thread waited for a core taken out (Linux
//! schedstat): on a machine shared with other builds, that wait is their doing.

#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

#[path = "common/data.rs"]
mod data;

use data::synth;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use comptoir::ingest;
use comptoir::report::{self, Period, human_duration};
use comptoir::store::Store;
use jiff::tz::TimeZone;

/// Messages ingested into each copy for the ingest comparison.
const FRESH_MESSAGES: usize = 50_000;
/// Measured report runs per period (after one warm-up).
const RUNS: usize = 10;
/// The target for one report.
const TARGET: Duration = Duration::from_millis(500);
/// The periods measured, in days.
const PERIODS: [u32; 5] = [7, 30, 90, 365, 730];
/// What 0008 adds that ingest maintains: dropped in the comparison's copy without it.
const REPORT_OBJECTS: &str = "
    DROP TRIGGER messages_report_inbound;
    DROP TRIGGER messages_report_reply;
    DROP TRIGGER conversation_events_report;
    DROP INDEX messages_report;
    DROP INDEX conversations_report_started;
    DROP INDEX conversations_report_resolved;";

fn main() {
    let conversations = data::conversations_from_env();
    let dir = data::store_dir(conversations);
    let shared = dir.join("store.sqlite");
    println!("comptoir report benchmark: {conversations} conversations");
    data::build_or_reuse(&dir, &shared, conversations);

    let copy = copy_store(&shared, &dir.join("report-copy"));
    let opened = Instant::now();
    let mut store = Store::open(&copy).expect("open (and migrate) the copy");
    println!(
        "opening the copy (migrating it, 0008's backfill included): {:.1} s",
        opened.elapsed().as_secs_f64()
    );
    println!(
        "messages: {}",
        store.message_count().expect("count the messages")
    );

    let tz = TimeZone::UTC;
    let end = synth::end_of_history();
    let mut missed = 0;
    println!();
    println!(
        "{:<26} {:>10} {:>10} {:>10}  target: max < {} ms",
        "report over",
        "p50",
        "max",
        "p50 busy",
        TARGET.as_millis()
    );
    for days in PERIODS {
        let period = Period::last_days(days, end);
        let run = |store: &mut Store| {
            let waited = run_queue_wait();
            let t = Instant::now();
            let r = report::compute(store, period, &tz, end).expect("compute a report");
            let took = t.elapsed();
            // On a shared machine the thread also waits for a core: the other programs'
            // doing, shown apart.
            let busy = match (waited, run_queue_wait()) {
                (Some(before), Some(after)) => took.saturating_sub(after.saturating_sub(before)),
                _ => took,
            };
            (took, busy, r)
        };
        let (_, _, first) = run(&mut store);
        let mut times: Vec<(Duration, Duration)> = (0..RUNS)
            .map(|_| {
                let (took, busy, r) = run(&mut store);
                black_box(r);
                (took, busy)
            })
            .collect();
        times.sort_unstable();
        let (p50, max) = (times[(times.len() - 1) / 2].0, times[times.len() - 1].0);
        let mut busy: Vec<Duration> = times.iter().map(|t| t.1).collect();
        busy.sort_unstable();
        let ok = max < TARGET;
        missed += usize::from(!ok);
        println!(
            "{:<26} {:>10} {:>10} {:>10}  {}",
            format!("the last {days} days"),
            fmt(p50),
            fmt(max),
            fmt(busy[(busy.len() - 1) / 2]),
            if ok { "ok" } else { "MISSED" }
        );
        let t = &first.total;
        eprintln!(
            "  {days} days: {} conversations, {} in, {} replies, first response p50 {} p90 {}, \
             {} resolved p50 {}, {} never answered, {} waiting now",
            t.conversations,
            t.inbound_messages.unwrap_or(0),
            t.outbound_messages,
            t.first_response.p50.map_or("-".into(), human_duration),
            t.first_response.p90.map_or("-".into(), human_duration),
            t.resolution.count,
            t.resolution.p50.map_or("-".into(), human_duration),
            t.never_answered.unwrap_or(0),
            t.waiting_now,
        );
    }
    drop(store);

    let only_report = std::env::var("COMPTOIR_BENCH_ONLY").is_ok_and(|v| v.trim() == "report");
    if !only_report {
        ingest_comparison(&dir, &copy);
    }
    if let Err(e) = std::fs::remove_dir_all(dir.join("report-copy")) {
        eprintln!("  could not remove the copy: {e}");
    }
    println!();
    if missed == 0 {
        println!("all targets met");
    } else {
        println!("{missed} target(s) MISSED");
    }
}

/// Ingests the same fresh messages into a copy without 0008's triggers and indexes and
/// into one with them, `COMPTOIR_BENCH_INGEST_RUNS` times (default 1), alternating.
fn ingest_comparison(dir: &Path, migrated: &Path) {
    let runs = std::env::var("COMPTOIR_BENCH_INGEST_RUNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    println!();
    println!(
        "ingest of {FRESH_MESSAGES} fresh messages (batches of {}) into a copy of the migrated store:",
        synth::BATCH
    );
    let only_index = std::env::var("COMPTOIR_BENCH_REPORT_DROP").is_ok_and(|v| v == "index");
    let missing = if only_index {
        "without the messages' index"
    } else {
        "without 0008's triggers and indexes"
    };
    let mut without = Vec::new();
    let mut with = Vec::new();
    for _ in 0..runs {
        for report_objects in [false, true] {
            let copy = copy_store(migrated, &dir.join("report-ingest"));
            if !report_objects {
                // `COMPTOIR_BENCH_REPORT_DROP=index` drops only the messages' index, to
                // tell its cost from the triggers'.
                let drop = if only_index {
                    "DROP INDEX messages_report;"
                } else {
                    REPORT_OBJECTS
                };
                rusqlite::Connection::open(&copy)
                    .and_then(|c| c.execute_batch(drop))
                    .expect("drop the report's triggers and indexes");
            }
            let rate = ingest_into(&copy);
            println!(
                "  {}: {rate:.0} messages/s",
                if report_objects {
                    "with 0008's triggers and indexes"
                } else {
                    missing
                }
            );
            if report_objects {
                with.push(rate);
            } else {
                without.push(rate);
            }
            if let Err(e) = std::fs::remove_dir_all(dir.join("report-ingest")) {
                eprintln!("  could not remove the ingest copy: {e}");
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[(v.len() - 1) / 2]
    };
    let (a, b) = (median(&mut without), median(&mut with));
    println!(
        "  median: {a:.0} {missing}, {b:.0} with them: they cost ingest {:.1}%",
        (a - b) / a * 100.0
    );
}

/// Ingests [`FRESH_MESSAGES`] new messages (a share continuing existing conversations)
/// into `path`; returns messages per second, waits for a core left out (the machine is
/// shared, and those waits are other programs' doing).
fn ingest_into(path: &Path) -> f64 {
    let mut store = Store::open(path).expect("open the ingest copy");
    let max = store_max_conversation(path);
    let existing = synth::ExistingThread::sample(&mut store, data::SEED ^ 0xC0FF, max, 2_000);
    let end = synth::end_of_history();
    let mut generator = synth::Synth::new(data::SEED ^ 0xF2E5, end, 10_000_000);
    let messages = generator.fresh_inbound(FRESH_MESSAGES, &existing, end);
    let waited_before = run_queue_wait();
    let mut total = Duration::ZERO;
    for chunk in messages.chunks(synth::BATCH) {
        let t = Instant::now();
        ingest::ingest_batch(&mut store, chunk, chunk[0].sent_at).expect("ingest a batch");
        total += t.elapsed();
    }
    let busy = match (waited_before, run_queue_wait()) {
        (Some(before), Some(after)) => total.saturating_sub(after.saturating_sub(before)),
        _ => total,
    };
    messages.len() as f64 / busy.as_secs_f64().max(1e-9)
}

fn store_max_conversation(path: &Path) -> i64 {
    rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| {
            c.query_row("SELECT max(id) FROM conversations", [], |r| {
                r.get::<_, Option<i64>>(0)
            })
        })
        .expect("read the last conversation id")
        .unwrap_or(1)
        .max(1)
}

/// How long this thread has waited for a core so far (Linux schedstat), if known.
fn run_queue_wait() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let waited: u64 = text.split_whitespace().nth(1)?.parse().ok()?;
    Some(Duration::from_nanos(waited))
}

/// Copies a closed store (and its WAL, if any) into a fresh `dir`; returns the copy.
fn copy_store(from: &Path, dir: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("create the copy folder");
    let to = dir.join("store.sqlite");
    std::fs::copy(from, &to).expect("copy the store");
    let mut wal = from.as_os_str().to_owned();
    wal.push("-wal");
    if Path::new(&wal).exists() {
        let mut to_wal = to.as_os_str().to_owned();
        to_wal.push("-wal");
        std::fs::copy(&wal, &to_wal).expect("copy the WAL");
    }
    to
}

fn fmt(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1_000.0)
}
