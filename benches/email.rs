//! Email benchmarks on a 20,000-message folder of a real local Dovecot, with neomutt
//! (Debian's package, no header cache) side by side in the same run:
//!
//! - spawn → the newest conversations on screen, comptoir's inbox against neomutt's first
//!   open of the folder (target: no slower than neomutt);
//! - spawn → comptoir's whole first sync done, bodies parsed and FTS indexed (target:
//!   within 3× neomutt's header-only open);
//! - APPEND → visible in the store under `comptoir serve` (p50, p99; target p99 < 1 s).
//!
//! To tell where a first sync's time goes, each run also times the same sync in `serve`
//! (no TUI) and, in-process, each step alone: fetching, parsing, writing attachment
//! files, and ingest's SQL and FTS.
//!
//! `cargo bench --bench email`. Knobs: `COMPTOIR_BENCH_EMAIL_MESSAGES` (20000),
//! `COMPTOIR_BENCH_EMAIL_RUNS` (5), `COMPTOIR_BENCH_APPENDS` (50). Both contenders speak
//! plain IMAP to Dovecot on 127.0.0.1, so neither pays for TLS. Both run in a private tmux
//! server at 160x48, and each run starts cold: a fresh neomutt (no header or body cache)
//! and a comptoir with a fresh, empty data dir. Exits 1 if any run timed out.

#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

#[path = "../tests/common/dovecot.rs"]
mod dovecot;
#[path = "common/mailgen.rs"]
mod mailgen;
#[path = "common/pane.rs"]
mod pane;

use std::io::ErrorKind;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use comptoir::channels::email::imap::{DEFAULT_BATCH_SIZE, DEFAULT_MAX_BATCH_SIZE};
use futures::TryStreamExt;
use pane::Pane;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

/// The generator's seed: the same mailbox every run.
const SEED: u64 = 0x0E3A_1120;
/// The pane both contenders draw in.
const COLUMNS: u16 = 160;
const ROWS: u16 = 48;
/// Days the mail is spread over: inside comptoir's 90-day first-sync bound.
const DAYS: u64 = 80;
/// The account name in comptoir's config.
const ACCOUNT: &str = "boutique";
/// How often a screen is read while waiting for it: often enough for a figure in
/// hundreds of milliseconds, rare enough to leave the contenders the CPU.
const SCREEN_EVERY: Duration = Duration::from_millis(5);

fn main() {
    let messages = env_count("COMPTOIR_BENCH_EMAIL_MESSAGES", 20_000);
    let runs = env_count("COMPTOIR_BENCH_EMAIL_RUNS", 5);
    let appends = env_count("COMPTOIR_BENCH_APPENDS", 50);
    match Command::new("neomutt").arg("-v").output() {
        Err(e) if e.kind() == ErrorKind::NotFound => {
            eprintln!("neomutt is missing: apt-get install neomutt");
            std::process::exit(1);
        }
        other => {
            other.expect("neomutt -v");
        }
    }
    pane::require_tmux();
    let failures = run(messages, runs, appends);
    if !failures.is_empty() {
        eprintln!();
        for f in &failures {
            eprintln!("FAILED: {f}");
        }
        std::process::exit(1);
    }
}

/// The whole benchmark; returns what failed. Everything it starts (Dovecot, tmux, serve,
/// temp dirs) is dropped before it returns, so a failure exits without leaking any.
fn run(messages: usize, runs: usize, appends: usize) -> Vec<String> {
    let load_before = loadavg();
    let server = dovecot::Dovecot::start();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");

    let t = Instant::now();
    let mailbox = mailgen::write_maildir(
        &server.maildir(),
        messages,
        DAYS,
        SystemTime::now(),
        SEED,
        DEFAULT_BATCH_SIZE,
    );
    println!(
        "wrote {} messages ({:.1} MB) into Dovecot's Maildir in {:.1} s",
        mailbox.messages,
        mailbox.bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    rt.block_on(warm(&server, messages));
    println!(
        "Dovecot indexed the folder in {:.1} s (a throw-away SELECT + FETCH 1:* (FLAGS))",
        t.elapsed().as_secs_f64()
    );

    let work = tempfile::tempdir().expect("tempdir");
    let home = work.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let muttrc = write_muttrc(work.path(), server.plain_port);
    let config = write_config(work.path(), server.plain_port);
    let pane = Pane::new(work.path(), COLUMNS, ROWS);
    let bin = env!("CARGO_BIN_EXE_comptoir");
    let tokens = &mailbox.newest_tokens;
    println!(
        "newest message: {:?}; {} threads among the newest {DEFAULT_BATCH_SIZE} messages",
        mailbox.newest_subject,
        tokens.len()
    );

    let mut failures: Vec<String> = Vec::new();
    let mut tmux_alone = Vec::new();
    let mut neomutt = Vec::new();
    let mut first_commit = Vec::new();
    let mut on_screen = Vec::new();
    let mut synced = Vec::new();
    let mut headless = Vec::new();
    let mut profiles = Vec::new();
    let mut last_data: Option<PathBuf> = None;

    // neomutt's first open also makes Dovecot cache the header fields it asks for; that
    // one is not counted, so every counted run finds Dovecot equally warm.
    if let Err(e) = neomutt_run(&pane, &muttrc, &home, tokens) {
        failures.push(format!("neomutt warm-up: {e}"));
    }
    for run in 0..runs {
        let t = pane.start("sh -c 'echo tmux-ready; sleep 30'", &[]);
        match pane.wait(Duration::from_secs(10), Duration::from_millis(1), |s| {
            s.contains("tmux-ready")
        }) {
            Some(seen) => tmux_alone.push(seen - t),
            None => failures.push("tmux baseline: no shell output within 10 s".into()),
        }
        pane.kill();
        // Alternate who goes first, so neither always follows the other's leftovers.
        for turn in 0..2 {
            if (run + turn) % 2 == 0 {
                match neomutt_run(&pane, &muttrc, &home, tokens) {
                    Ok(d) => neomutt.push(d),
                    Err(e) => failures.push(format!("neomutt run {run}: {e}")),
                }
            } else {
                let data = work.path().join(format!("data-{run}"));
                match comptoir_run(&pane, bin, &config, &data, &home, tokens, messages) {
                    Ok(r) => {
                        first_commit.push(r.first_commit);
                        on_screen.push(r.on_screen);
                        synced.push(r.synced);
                        println!(
                            "comptoir run {run}: first batch committed {:.0} ms, newest on screen {:.0} ms, first sync done {:.1} s ({} messages)",
                            ms(r.first_commit),
                            ms(r.on_screen),
                            r.synced.as_secs_f64(),
                            r.messages
                        );
                    }
                    Err(e) => failures.push(format!("comptoir run {run}: {e}")),
                }
                // Only the last store is kept, for the APPEND part.
                if let Some(old) = last_data.replace(data) {
                    let _ = std::fs::remove_dir_all(old);
                }
            }
        }
        if let Some(d) = neomutt.last() {
            println!(
                "neomutt run {run}: index with the newest messages {:.0} ms",
                ms(*d)
            );
        }
        // The same first sync with no TUI drawing: what the inbox's redraws cost it.
        let data = work.path().join(format!("serve-{run}"));
        match headless_sync(bin, &config, &data, &home, messages) {
            Ok(d) => {
                println!("serve run {run}: first sync done {:.1} s", d.as_secs_f64());
                headless.push(d);
            }
            Err(e) => failures.push(format!("serve first sync {run}: {e}")),
        }
        let _ = std::fs::remove_dir_all(&data);
        let scratch = work.path().join(format!("profile-{run}"));
        profiles.push(rt.block_on(profile_first_sync(&server, &scratch)));
        let _ = std::fs::remove_dir_all(&scratch);
    }

    let mut append = Vec::new();
    match &last_data {
        Some(data) => match append_to_visible(&rt, &server, bin, &config, data, &home, appends) {
            Ok(samples) => append = samples,
            Err(e) => failures.push(format!("APPEND to visible: {e}")),
        },
        None => failures.push("APPEND to visible: no synced store to run serve on".into()),
    }

    print_report(&Report {
        profiles,
        messages,
        tmux_alone,
        neomutt,
        first_commit,
        on_screen,
        synced,
        headless,
        append,
        load_before,
        load_after: loadavg(),
    });
    failures
}

/// A positive count from the environment, else `default`; exits 2 on a bad value.
fn env_count(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Err(_) => default,
        Ok(v) => match v.trim().replace('_', "").parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("{name}={v:?} is not a positive number");
                std::process::exit(2);
            }
        },
    }
}

/// Makes Dovecot build its index of the folder once, and checks that every message is
/// inside the first-sync bound comptoir will search with.
async fn warm(server: &dovecot::Dovecot, messages: usize) {
    let mut session = server.session().await;
    let mailbox = session.select("INBOX").await.expect("SELECT");
    assert_eq!(
        mailbox.exists as usize, messages,
        "Dovecot sees another number of messages than were written"
    );
    let flags: Vec<_> = session
        .fetch("1:*", "(FLAGS)")
        .await
        .expect("FETCH")
        .try_collect()
        .await
        .expect("FETCH");
    assert_eq!(flags.len(), messages);
    let since = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(90 * 24))
        .expect("a date")
        .strftime("%-d-%b-%Y")
        .to_string();
    let found = session
        .uid_search(format!("SINCE {since}"))
        .await
        .expect("SEARCH");
    assert_eq!(
        found.len(),
        messages,
        "some messages fall outside the 90-day first-sync bound"
    );
    session.logout().await.expect("LOGOUT");
}

fn write_muttrc(dir: &Path, port: u16) -> PathBuf {
    let path = dir.join("muttrc");
    let rc = format!(
        "set folder=\"imap://127.0.0.1:{port}/\"\n\
         set spoolfile=\"+INBOX\"\n\
         set imap_user=\"{user}\"\n\
         set imap_pass=\"{password}\"\n\
         set ssl_starttls=no\n\
         set ssl_force_tls=no\n\
         set header_cache=\"\"\n\
         set message_cachedir=\"\"\n\
         set mailcap_path=\"\"\n\
         set sort=reverse-date\n\
         set imap_check_subscribed=no\n\
         set record=\"\"\n\
         set postponed=\"\"\n",
        user = dovecot::USER,
        password = dovecot::PASSWORD,
    );
    std::fs::write(&path, rc).expect("muttrc");
    path
}

fn write_config(dir: &Path, port: u16) -> PathBuf {
    let path = dir.join("config.toml");
    let config = format!(
        "[agent]\nname = \"Bench\"\ntimezone = \"UTC\"\n\n\
         [[email]]\nname = \"{ACCOUNT}\"\naddress = \"contact@boutique.example\"\n\
         username = \"{user}\"\npassword_command = \"printf {password}\"\n\
         imap = {{ host = \"127.0.0.1\", port = {port}, tls = \"none\" }}\n\
         smtp = {{ host = \"127.0.0.1\", port = 1, tls = \"none\" }}\n\
         poll_seconds = 5\n",
        user = dovecot::USER,
        password = dovecot::PASSWORD,
    );
    std::fs::write(&path, config).expect("config");
    path
}

/// One of the threads of the newest `DEFAULT_BATCH_SIZE` messages (comptoir's first
/// batch) is on screen. The same test for both: neomutt sorted by reverse date puts the
/// newest on top, but comptoir's queue puts the longest waiting first, so of its first
/// batch it shows the oldest, and the very newest message is not on its first screen.
fn shows_newest(screen: &str, tokens: &[String]) -> bool {
    tokens.iter().any(|t| screen.contains(t.as_str()))
}

/// With `COMPTOIR_BENCH_EMAIL_SHOW` set, prints the screen a contender was timed on, to
/// check by eye what "the newest on screen" matched.
fn show(who: &str, screen: &str) {
    if std::env::var_os("COMPTOIR_BENCH_EMAIL_SHOW").is_some() {
        println!("--- {who}'s screen when timed ---\n{screen}---");
    }
}

/// A fresh neomutt: spawn → its index shows the newest messages.
fn neomutt_run(
    pane: &Pane,
    muttrc: &Path,
    home: &Path,
    tokens: &[String],
) -> Result<Duration, String> {
    let program = format!("neomutt -n -F {}", muttrc.display());
    let t = pane.start(&program, &[("HOME", home)]);
    let seen = pane.wait(Duration::from_secs(120), SCREEN_EVERY, |s| {
        shows_newest(s, tokens)
    });
    let screen = pane.screen();
    show("neomutt", &screen);
    pane.kill();
    seen.map(|s| s - t)
        .ok_or_else(|| format!("no index within 120 s; screen:\n{screen}"))
}

struct ComptoirRun {
    first_commit: Duration,
    on_screen: Duration,
    synced: Duration,
    messages: u64,
}

/// comptoir's inbox on a fresh data dir: spawn → first batch committed, → the newest
/// conversations on screen, → the first sync recorded as done.
fn comptoir_run(
    pane: &Pane,
    bin: &str,
    config: &Path,
    data: &Path,
    home: &Path,
    tokens: &[String],
    messages: usize,
) -> Result<ComptoirRun, String> {
    let program = format!(
        "{bin} --config {} --data-dir {}",
        config.display(),
        data.display()
    );
    let env = [
        ("HOME", home.to_path_buf()),
        ("XDG_CONFIG_HOME", home.join("config")),
        ("XDG_DATA_HOME", home.join("data")),
        ("XDG_STATE_HOME", home.join("state")),
    ];
    let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let mut probe = StoreProbe::new(data.join("store.sqlite"));
    let t = pane.start(&program, &env);
    let mut first_commit = None;
    let mut on_screen = None;
    let end = t + Duration::from_secs(120);
    while on_screen.is_none() && Instant::now() < end {
        if first_commit.is_none() && probe.has_messages() {
            first_commit = Some(Instant::now());
        }
        let screen = pane.screen();
        if shows_newest(&screen, tokens) {
            on_screen = Some(Instant::now());
            show("comptoir", &screen);
        } else {
            std::thread::sleep(SCREEN_EVERY);
        }
    }
    let Some(on_screen) = on_screen else {
        let screen = pane.screen();
        pane.kill();
        return Err(format!(
            "the newest conversations not on screen within 120 s; screen:\n{screen}"
        ));
    };
    // The first commit is seen before the screen shows it, unless both came in one poll.
    let first_commit = first_commit.unwrap_or(on_screen);
    let end = t + Duration::from_secs(900);
    let mut synced = None;
    while Instant::now() < end {
        if probe.first_sync_done() {
            synced = Some(Instant::now());
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let count = probe.message_count();
    pane.kill();
    let synced = synced.ok_or("the first sync not done within 900 s")?;
    if count != messages as u64 {
        return Err(format!(
            "the first sync ended with {count} messages in the store, not {messages}"
        ));
    }
    Ok(ComptoirRun {
        first_commit: first_commit - t,
        on_screen: on_screen - t,
        synced: synced - t,
        messages: count,
    })
}

/// `comptoir serve` on a fresh data dir: spawn → its first sync recorded as done.
fn headless_sync(
    bin: &str,
    config: &Path,
    data: &Path,
    home: &Path,
    messages: usize,
) -> Result<Duration, String> {
    std::fs::create_dir_all(data).map_err(|e| format!("{e}"))?;
    let stderr = data.with_extension("serve-stderr");
    let t = Instant::now();
    let mut serve = Serve::start(bin, config, data, home, &stderr)?;
    let mut probe = StoreProbe::new(data.join("store.sqlite"));
    let end = t + Duration::from_secs(900);
    while !probe.first_sync_done() {
        if let Some(why) = serve.exited(&stderr) {
            return Err(why);
        }
        if Instant::now() > end {
            return Err("not done within 900 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let done = t.elapsed();
    let count = probe.message_count();
    drop(serve);
    if count == messages as u64 {
        Ok(done)
    } else {
        Err(format!("{count} messages in the store, not {messages}"))
    }
}

/// Reads a store another process is writing, read-only; before the store exists (or
/// has its tables) every answer is "nothing yet".
struct StoreProbe {
    path: PathBuf,
    conn: Option<Connection>,
}

impl StoreProbe {
    fn new(path: PathBuf) -> StoreProbe {
        StoreProbe { path, conn: None }
    }

    fn conn(&mut self) -> Option<&Connection> {
        if self.conn.is_none() && self.path.exists() {
            self.conn = Connection::open_with_flags(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .ok();
        }
        self.conn.as_ref()
    }

    fn query_i64(&mut self, sql: &str) -> Option<i64> {
        self.conn()?
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .optional()
            .ok()
            .flatten()
    }

    fn has_messages(&mut self) -> bool {
        self.query_i64("SELECT EXISTS (SELECT 1 FROM messages)") == Some(1)
    }

    /// The folder's progress is recorded only once its first sync has finished.
    fn first_sync_done(&mut self) -> bool {
        self.query_i64("SELECT count(*) FROM email_sync")
            .is_some_and(|n| n > 0)
    }

    fn message_count(&mut self) -> u64 {
        self.query_i64("SELECT count(*) FROM messages")
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0)
    }

    fn data_version(&mut self) -> Option<i64> {
        self.query_i64("PRAGMA data_version")
    }

    fn has_message_id(&mut self, id: &str) -> bool {
        let Some(conn) = self.conn() else {
            return false;
        };
        conn.query_row(
            "SELECT 1 FROM messages WHERE channel = 'email' AND account = ?1 AND external_id = ?2",
            [ACCOUNT, id],
            |_| Ok(()),
        )
        .optional()
        .ok()
        .flatten()
        .is_some()
    }
}

/// The three steps of a first sync, each timed alone.
struct Profile {
    fetch: Duration,
    parse: Duration,
    files: Duration,
    files_together: Duration,
    attachments: usize,
    ingest: Duration,
    /// The same ingest with comptoir's growing batches (first 200, doubling to 1600).
    ingest_grown: Duration,
    bytes: usize,
}

/// Fetches the folder newest first in comptoir's batches, then parses every message with
/// comptoir's parser, then ingests them into a fresh store: how long each step takes
/// without the others, to tell where a first sync's time goes.
async fn profile_first_sync(server: &dovecot::Dovecot, dir: &Path) -> Profile {
    let mut session = server.session().await;
    session.select("INBOX").await.expect("SELECT");
    let mut uids: Vec<u32> = session
        .uid_search("ALL")
        .await
        .expect("SEARCH")
        .into_iter()
        .collect();
    uids.sort_unstable_by(|a, b| b.cmp(a));
    let t = Instant::now();
    let mut raws: Vec<Vec<u8>> = Vec::with_capacity(uids.len());
    for batch in uids.chunks(DEFAULT_BATCH_SIZE) {
        let set = batch
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let fetches: Vec<_> = session
            .uid_fetch(set, "(UID BODY.PEEK[])")
            .await
            .expect("FETCH")
            .try_collect()
            .await
            .expect("FETCH");
        raws.extend(fetches.iter().filter_map(|f| f.body().map(<[u8]>::to_vec)));
    }
    let fetch = t.elapsed();
    session.logout().await.expect("LOGOUT");
    let bytes = raws.iter().map(Vec::len).sum();

    let own = vec!["contact@boutique.example".to_owned()];
    let t = Instant::now();
    let inbound: Vec<_> = raws
        .iter()
        .filter_map(|raw| comptoir::channels::email::mime::parse(raw, ACCOUNT, &own).inbound)
        .collect();
    let parse = t.elapsed();
    assert_eq!(inbound.len(), raws.len(), "some messages did not parse");

    let mut store =
        comptoir::store::Store::open(&dir.join("store").join("store.sqlite")).expect("store");
    // Attachment files first, as ingest writes them; ingest then finds them there and
    // does only its SQL.
    let t = Instant::now();
    let mut attachments = 0;
    for a in inbound.iter().flat_map(|m| &m.attachments) {
        store.blobs().put(&a.bytes).expect("an attachment file");
        attachments += 1;
    }
    let files = t.elapsed();
    let files_together = write_and_sync_together(&dir.join("files"), &inbound);
    let t = Instant::now();
    for batch in inbound.chunks(DEFAULT_BATCH_SIZE) {
        comptoir::ingest::ingest_batch(&mut store, batch, jiff::Timestamp::now()).expect("ingest");
    }
    let ingest = t.elapsed();
    let mut store =
        comptoir::store::Store::open(&dir.join("grown").join("store.sqlite")).expect("store");
    // Its attachment files first too, so both rows time only the SQL.
    let all: Vec<&[u8]> = inbound
        .iter()
        .flat_map(|m| m.attachments.iter().map(|a| a.bytes.as_slice()))
        .collect();
    store.blobs().put_all(&all).expect("attachment files");
    let t = Instant::now();
    let (mut rest, mut size) = (inbound.as_slice(), DEFAULT_BATCH_SIZE);
    while !rest.is_empty() {
        let (batch, after) = rest.split_at(size.min(rest.len()));
        comptoir::ingest::ingest_batch(&mut store, batch, jiff::Timestamp::now()).expect("ingest");
        rest = after;
        size = (size * 2).min(DEFAULT_MAX_BATCH_SIZE);
    }
    let ingest_grown = t.elapsed();
    Profile {
        fetch,
        parse,
        files,
        files_together,
        attachments,
        ingest,
        ingest_grown,
        bytes,
    }
}

/// The attachment files of each batch written, then all fsync'd at once from threads
/// of their own, so the file system can fold them into one journal commit: what
/// `BlobStore::put`'s one fsync per file, in turn, would cost if done that way.
fn write_and_sync_together(dir: &Path, inbound: &[comptoir::channels::Inbound]) -> Duration {
    use std::io::Write as _;
    std::fs::create_dir_all(dir).expect("scratch dir");
    let t = Instant::now();
    for (b, batch) in inbound.chunks(DEFAULT_BATCH_SIZE).enumerate() {
        let files: Vec<std::fs::File> = batch
            .iter()
            .flat_map(|m| &m.attachments)
            .enumerate()
            .map(|(i, a)| {
                let mut f = std::fs::File::create(dir.join(format!("{b}-{i}"))).expect("create");
                f.write_all(&a.bytes).expect("write");
                f
            })
            .collect();
        std::thread::scope(|s| {
            for f in &files {
                s.spawn(move || f.sync_all().expect("fsync"));
            }
        });
    }
    t.elapsed()
}

/// `comptoir serve`, stopped with SIGTERM (then killed) when dropped.
struct Serve {
    child: Child,
}

impl Serve {
    /// Starts serve once no other process (the inbox of the last run, still exiting)
    /// holds the data dir's lock; its stderr goes to `stderr`.
    fn start(
        bin: &str,
        config: &Path,
        data: &Path,
        home: &Path,
        stderr: &Path,
    ) -> Result<Serve, String> {
        let lock = std::fs::File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(data.join("serve.lock"))
            .map_err(|e| format!("open the lock file: {e}"))?;
        let end = Instant::now() + Duration::from_secs(30);
        while lock.try_lock().is_err() {
            if Instant::now() > end {
                return Err("the last inbox still holds the store after 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(lock);
        let child = Command::new(bin)
            .arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(data)
            .arg("serve")
            .env("HOME", home)
            .env("XDG_STATE_HOME", home.join("state"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(stderr).map_err(|e| format!("{e}"))?)
            .process_group(0)
            .spawn()
            .map_err(|e| format!("spawn comptoir serve: {e}"))?;
        Ok(Serve { child })
    }

    /// Why serve is not running any more, if it is not.
    fn exited(&mut self, stderr: &Path) -> Option<String> {
        let status = self.child.try_wait().ok()??;
        let text = std::fs::read_to_string(stderr).unwrap_or_default();
        Some(format!("comptoir serve exited ({status}): {}", text.trim()))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let end = Instant::now() + Duration::from_secs(10);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `comptoir serve` on a store whose first sync is done: APPEND a message over IMAP,
/// then time until the store has it. The first APPEND warms up (serve's start, its
/// first pass) and is not counted.
fn append_to_visible(
    rt: &tokio::runtime::Runtime,
    server: &dovecot::Dovecot,
    bin: &str,
    config: &Path,
    data: &Path,
    home: &Path,
    n: usize,
) -> Result<Vec<Duration>, String> {
    let stderr = data.with_extension("serve-stderr");
    let mut serve = Serve::start(bin, config, data, home, &stderr)?;
    let mut probe = StoreProbe::new(data.join("store.sqlite"));
    let mut session = rt.block_on(server.session());
    let mut rng = fastrand::Rng::with_seed(SEED);
    let nonce = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut samples = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..=n {
        let id = format!("<append-{i}-{nonce}@bench.example>");
        let raw = format!(
            "From: Nouvelle Cliente <nouvelle{i}@example.org>\r\nTo: contact@boutique.example\r\n\
             Subject: Commande #{} : toujours rien\r\nDate: {}\r\nMessage-ID: {id}\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
             Bonjour, où en est ma commande ?\r\n",
            9_000_000 + i,
            jiff::Timestamp::now().strftime("%a, %d %b %Y %H:%M:%S +0000"),
        );
        let before = probe.data_version();
        let t = Instant::now();
        rt.block_on(session.append("INBOX", None, None, raw.as_bytes()))
            .map_err(|e| format!("APPEND: {e}"))?;
        let end = t + Duration::from_secs(30);
        let mut version = before;
        let seen = loop {
            // The lookup only when the store changed: a commit by serve.
            let now = probe.data_version();
            if now != version {
                version = now;
                if probe.has_message_id(&id) {
                    break Some(Instant::now());
                }
            }
            if Instant::now() > end {
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let Some(seen) = seen else {
            let why = serve
                .exited(&stderr)
                .unwrap_or_else(|| "serve still runs".into());
            return Err(format!("APPEND {i} not in the store within 30 s; {why}"));
        };
        if i > 0 {
            samples.push(seen - t);
        }
        // A random gap, so the samples don't lock onto the phase of a poll.
        std::thread::sleep(Duration::from_millis(rng.u64(0..500)));
    }
    println!(
        "APPEND to visible: {n} samples in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let _ = rt.block_on(session.logout());
    drop(serve);
    Ok(samples)
}

struct Report {
    profiles: Vec<Profile>,
    messages: usize,
    tmux_alone: Vec<Duration>,
    neomutt: Vec<Duration>,
    first_commit: Vec<Duration>,
    on_screen: Vec<Duration>,
    synced: Vec<Duration>,
    headless: Vec<Duration>,
    append: Vec<Duration>,
    load_before: String,
    load_after: String,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn quantile(samples: &[Duration], q: f64) -> Option<Duration> {
    let mut s = samples.to_vec();
    s.sort();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index"
    )]
    let i = ((s.len() as f64 - 1.0) * q).round() as usize;
    s.get(i).copied()
}

fn row(name: &str, samples: &[Duration]) {
    let f = |q: f64| quantile(samples, q).map_or("-".to_owned(), |d| format!("{:.0} ms", ms(d)));
    println!(
        "{name:<62} {:>3} {:>10} {:>10} {:>10}",
        samples.len(),
        f(0.5),
        f(0.0),
        f(1.0)
    );
}

fn ratio(name: &str, ours: &[Duration], theirs: &[Duration], target: f64) {
    match (quantile(ours, 0.5), quantile(theirs, 0.5)) {
        (Some(a), Some(b)) if !b.is_zero() => {
            let r = a.as_secs_f64() / b.as_secs_f64();
            println!(
                "{name:<62} {r:>6.2}x  (target <= {target}x) {}",
                if r <= target { "OK" } else { "MISS" }
            );
        }
        _ => println!("{name:<62}      -  (no samples)"),
    }
}

fn print_report(r: &Report) {
    println!();
    println!(
        "{} messages over {DAYS} days; pane {COLUMNS}x{ROWS}; plain IMAP on 127.0.0.1; {} cores; load average before {} / after {}",
        r.messages,
        std::thread::available_parallelism().map_or(0, usize::from),
        r.load_before,
        r.load_after
    );
    println!(
        "{:<62} {:>3} {:>10} {:>10} {:>10}",
        "from spawn", "n", "p50", "min", "max"
    );
    println!("{}", "-".repeat(100));
    row("tmux alone: a shell's first output", &r.tmux_alone);
    row(
        "neomutt: index showing the newest messages (no header cache)",
        &r.neomutt,
    );
    row(
        "comptoir: first batch of newest mail committed",
        &r.first_commit,
    );
    row("comptoir: newest conversations on screen", &r.on_screen);
    row("comptoir: whole first sync done (bodies, FTS)", &r.synced);
    row(
        "  the same in `comptoir serve`, no TUI (profile)",
        &r.headless,
    );
    println!();
    ratio(
        "newest on screen: comptoir / neomutt (p50)",
        &r.on_screen,
        &r.neomutt,
        1.0,
    );
    ratio(
        "whole first sync: comptoir / neomutt's open (p50)",
        &r.synced,
        &r.neomutt,
        3.0,
    );
    println!();
    let step = |f: fn(&Profile) -> Duration| r.profiles.iter().map(f).collect::<Vec<_>>();
    let (files, bytes) = r
        .profiles
        .first()
        .map_or((0, 0), |p| (p.attachments, p.bytes));
    println!(
        "where a first sync's time goes: each step alone, in-process, batches of {DEFAULT_BATCH_SIZE} \
         ({:.1} MB, {files} attachment files)",
        bytes as f64 / 1e6
    );
    row(
        "  UID FETCH (UID BODY.PEEK[]) newest first",
        &step(|p| p.fetch),
    );
    row("  mime::parse", &step(|p| p.parse));
    row(
        "  attachment files: BlobStore::put, one fsync after another",
        &step(|p| p.files),
    );
    row(
        "    the same, fsync'd all at once per batch (a possible fix)",
        &step(|p| p.files_together),
    );
    row(
        "  ingest_batch: SQL and FTS into a fresh store",
        &step(|p| p.ingest),
    );
    row(
        &format!(
            "    the same in batches growing from {DEFAULT_BATCH_SIZE} to {DEFAULT_MAX_BATCH_SIZE}"
        ),
        &step(|p| p.ingest_grown),
    );
    row(
        "  the four steps as comptoir runs them, one after another",
        &step(|p| p.fetch + p.parse + p.files + p.ingest),
    );
    println!();
    let f = |q: f64| quantile(&r.append, q).map_or("-".to_owned(), |d| format!("{:.0} ms", ms(d)));
    let ok = quantile(&r.append, 0.99).is_some_and(|d| d < Duration::from_secs(1));
    println!(
        "{:<62} {:>3} {:>10} {:>10} {:>10}  target p99 < 1000 ms {}",
        "APPEND → in the store (comptoir serve)",
        r.append.len(),
        format!("p50 {}", f(0.5)),
        format!("p99 {}", f(0.99)),
        format!("max {}", f(1.0)),
        if ok { "OK" } else { "MISS" }
    );
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
