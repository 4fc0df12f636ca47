//! Website chat to an agent's screen: a shop backend's signed `POST /chat/site/messages`
//! to `comptoir serve` (release binary, relay on a free loopback port), timed until its
//! text is on the screen of the inbox TUI, another process on the same data dir (it sees
//! serve's lock and leaves the channels to it, so the message crosses processes through
//! the store). Also the POST's own latency, to its 202 (committed before it is sent).
//!
//! Each POST is from a new visitor, so it opens a new conversation that must appear in
//! the queue. It carries a `sent_at` in the past, each earlier than the last, so the new
//! conversation is the longest waiting and sorts first: on screen however many came
//! before. Its text starts with a unique token, which the queue row's preview shows.
//! Once seen (outside the timing), Home selects it, as an agent would, so that the queue,
//! which keeps its selected row in view, stays scrolled to its top.
//! Posts start at a random moment (0–100 ms apart), so the TUI's store poll is met at
//! every phase. The pane is read with `tmux capture-pane` every 5 ms; one capture's own
//! cost is printed too, since it bounds the resolution.
//!
//! `cargo bench --bench chat`; `COMPTOIR_BENCH_CHAT_POSTS` (50). It is a report: it exits
//! 0 whether or not the target is met, and 1 if a POST is refused or a token never shows.

#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

#[path = "common/pane.rs"]
mod pane;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use comptoir::channels::relay::signature::WebhookSecret;
use pane::Pane;

const SECRET: &str = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
/// The pane the TUI draws in.
const COLUMNS: u16 = 160;
const ROWS: u16 = 48;
/// How often the screen is read while waiting for a token.
const SCREEN_EVERY: Duration = Duration::from_millis(5);
/// Longest wait for anything: a start, an answer, a token on screen.
const DEADLINE: Duration = Duration::from_secs(15);
/// The issue's target for POST → visible.
const TARGET: Duration = Duration::from_millis(250);

fn main() {
    let posts = match std::env::var("COMPTOIR_BENCH_CHAT_POSTS") {
        Err(_) => 50,
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("COMPTOIR_BENCH_CHAT_POSTS={v:?} is not a positive number");
                std::process::exit(2);
            }
        },
    };
    pane::require_tmux();
    if let Err(e) = run(posts) {
        eprintln!("FAILED: {e}");
        std::process::exit(1);
    }
}

/// `comptoir serve`, killed when dropped.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The whole benchmark. Everything it starts (serve, tmux, the temp dir) is dropped
/// before it returns, so a failure exits without leaking any of them.
fn run(posts: usize) -> Result<(), String> {
    let load_before = loadavg();
    let work = tempfile::tempdir().expect("tempdir");
    let home = work.path();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    std::fs::write(home.join("secret"), SECRET).expect("secret");
    let config = home.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[agent]\nname = \"Bench\"\ntimezone = \"UTC\"\n\n[relay]\nlisten = \"127.0.0.1:{port}\"\n\n\
             [[chat]]\nname = \"site\"\nsecret_file = \"{}\"\n",
            home.join("secret").display()
        ),
    )
    .expect("config");
    let data = home.join("store");
    let env = [
        ("HOME", home.to_path_buf()),
        ("XDG_CONFIG_HOME", home.join("config")),
        ("XDG_DATA_HOME", home.join("data")),
        ("XDG_STATE_HOME", home.join("state")),
    ];
    let bin = env!("CARGO_BIN_EXE_comptoir");

    let _serve = Serve(
        Command::new(bin)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(&data)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("start comptoir serve: {e}"))?,
    );
    until_healthy(port)?;

    let pane = Pane::new(home, COLUMNS, ROWS);
    let program = format!(
        "{bin} --config {} --data-dir {}",
        config.display(),
        data.display()
    );
    let env_refs: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
    pane.start(&program, &env_refs);
    // Both on one screen: the first frame, and the notice that serve runs the channels
    // (else this TUI would be the one receiving the POSTs, in-process).
    pane.wait(DEADLINE, SCREEN_EVERY, |s| {
        s.contains("Queue ·") && s.contains("Channels are run by `comptoir serve`")
    })
    .ok_or_else(|| {
        format!(
            "the TUI never showed its queue with serve's notice; its screen:\n{}",
            pane.screen()
        )
    })?;

    let secret = WebhookSecret::parse(SECRET).expect("secret");
    let run_id = jiff::Timestamp::now().as_millisecond();
    // Uncounted: the first one warms serve's and the TUI's paths (statement caches, pages).
    one_post(&pane, &secret, port, run_id, 0)?;
    let mut to_202 = Vec::with_capacity(posts);
    let mut to_screen = Vec::with_capacity(posts);
    for i in 1..=posts {
        std::thread::sleep(Duration::from_millis(fastrand::u64(0..100)));
        let (answered, seen) = one_post(&pane, &secret, port, run_id, i)?;
        to_202.push(answered);
        to_screen.push(seen);
    }

    let mut captures = Vec::with_capacity(50);
    for _ in 0..50 {
        let t = Instant::now();
        let _ = pane.screen();
        captures.push(t.elapsed());
    }
    let load_after = loadavg();
    drop(pane);

    println!(
        "comptoir chat benchmark: {posts} signed POSTs, each from a new visitor, to \
         `comptoir serve` on 127.0.0.1:{port}; the inbox TUI in tmux at {COLUMNS}x{ROWS} on \
         the same data dir"
    );
    println!("load average before: {load_before}; after: {load_after}");
    println!();
    println!(
        "{:<46} {:>4} {:>10} {:>10} {:>10}  target",
        "operation", "n", "p50", "p99", "max"
    );
    println!("{}", "-".repeat(100));
    print_row("signed POST -> 202 (committed)", &to_202, None);
    print_row(
        "signed POST -> on the other process's screen",
        &to_screen,
        Some(TARGET),
    );
    print_row("  one tmux capture-pane (resolution)", &captures, None);
    println!();
    println!(
        "p99 is the nearest rank: with n = {posts} it is sample {} of {posts} in ascending order.",
        nearest_rank(posts, 0.99) + 1
    );
    Ok(())
}

/// Posts message `i` as a new visitor and waits until its token is on screen: the
/// durations from just before the request to its 202 and to the screen.
fn one_post(
    pane: &Pane,
    secret: &WebhookSecret,
    port: u16,
    run_id: i64,
    i: usize,
) -> Result<(Duration, Duration), String> {
    let token = format!("tok{run_id}n{i:03}");
    // Earlier for each post, so the newest conversation is the longest waiting: first.
    let offset = i64::try_from(i).expect("a small count");
    let sent_at = jiff::Timestamp::from_second(1_600_000_000 - 60 * offset)
        .expect("a valid time")
        .to_string();
    let body = format!(
        r#"{{"visitor":{{"id":"bench-visitor-{run_id}-{i}","name":"Visitor {i}"}},"text":"{token} is the blue mug in stock?","sent_at":"{sent_at}"}}"#
    );
    let id = format!("bench_{run_id}_{i}");
    let started = Instant::now();
    let ts = jiff::Timestamp::now().as_second();
    let request = format!(
        "POST /chat/site/messages HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nwebhook-id: {id}\r\n\
         webhook-timestamp: {ts}\r\nwebhook-signature: {}\r\n\r\n{body}",
        body.len(),
        secret.sign(&id, ts, body.as_bytes()),
    );
    let (status, answer) = http(port, &request)?;
    let answered = started.elapsed();
    if status != 202 {
        return Err(format!("POST {i} answered {status}: {answer}"));
    }
    let seen = pane
        .wait(DEADLINE, SCREEN_EVERY, |s| s.contains(&token))
        .ok_or_else(|| {
            format!(
                "message {i} not on screen after {DEADLINE:?}; the screen:\n{}",
                pane.screen()
            )
        })?;
    // Select the newcomer, as an agent would, so the queue stays scrolled to its top
    // (it keeps the selected conversation in view) and the next one shows there too.
    pane.keys(&["Home"]);
    pane.wait(DEADLINE, SCREEN_EVERY, |s| {
        s.contains(&format!("Visitor {i} · chat site"))
    })
    .ok_or_else(|| format!("Home never selected message {i}'s conversation"))?;
    Ok((answered, seen - started))
}

/// One request on a fresh connection, read until the server closes it: status and body.
fn http(port: u16, request: &str) -> Result<(u16, String), String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(DEADLINE))
        .map_err(|e| format!("timeout: {e}"))?;
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {head:?}"))?;
    Ok((status, body.to_owned()))
}

fn until_healthy(port: u16) -> Result<(), String> {
    let end = Instant::now() + DEADLINE;
    while Instant::now() < end {
        let request = "GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n";
        if matches!(http(port, request), Ok((200, _))) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("comptoir serve never answered on port {port}"))
}

fn nearest_rank(n: usize, q: f64) -> usize {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index into a short list"
    )]
    let i = ((n.saturating_sub(1)) as f64 * q).round() as usize;
    i
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted
        .get(nearest_rank(sorted.len(), q))
        .copied()
        .unwrap_or_default()
}

fn print_row(name: &str, samples: &[Duration], target: Option<Duration>) {
    let mut s = samples.to_vec();
    s.sort();
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let p99 = quantile(&s, 0.99);
    let target = target.map_or_else(
        || "-".to_owned(),
        |t| format!("p99 < {} {}", ms(t), if p99 < t { "OK" } else { "MISS" }),
    );
    println!(
        "{name:<46} {:>4} {:>10} {:>10} {:>10}  {target}",
        s.len(),
        ms(quantile(&s, 0.5)),
        ms(p99),
        ms(quantile(&s, 1.0)),
    );
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
