//! Visitor event streams benchmark, against the real `comptoir serve` binary:
//! - the relay's resident memory (VmRSS) before and with N open streams (default
//!   1,000: 200 visitors × 5, the per-visitor limit), then after they close;
//! - a visitor's POST → its event on the visitor's own open stream (the in-process hub),
//!   p50 / p99 / max;
//! - an agent's reply queued from another process (as a TUI does) → its event on the
//!   stream, through serve's outbox and the chat channel, p50 / p99 / max: bounded by the
//!   outbox's 500 ms poll for other processes' replies, so queued at random moments.
//!
//! `cargo bench --bench sse`; `COMPTOIR_BENCH_STREAMS=200` for a quick run. It is a
//! report and exits 0; a refused request or a lost event panics.

#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use comptoir::model::ConversationId;
use comptoir::store::Store;
use jiff::Timestamp;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
const PER_VISITOR: usize = 5;
const SAMPLES: usize = 200;
const DEADLINE: Duration = Duration::from_secs(30);

fn main() {
    let streams: usize = std::env::var("COMPTOIR_BENCH_STREAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(streams));
}

/// `comptoir serve` with a relay and inbox `site`, killed when dropped.
struct Serve {
    child: Child,
    port: u16,
    home: tempfile::TempDir,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Serve {
    let home = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    std::fs::write(home.path().join("secret"), SECRET).expect("secret");
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[relay]\nlisten = \"127.0.0.1:{port}\"\n\n[[chat]]\nname = \"site\"\nsecret_file = \"{}\"\n",
            home.path().join("secret").display()
        ),
    )
    .expect("config");
    let h = home.path();
    let child = Command::new(env!("CARGO_BIN_EXE_comptoir"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", h)
        .env("XDG_CONFIG_HOME", h.join("config"))
        .env("XDG_DATA_HOME", h.join("data"))
        .env("XDG_STATE_HOME", h.join("state"))
        .arg("--config")
        .arg(h.join("config.toml"))
        .arg("--data-dir")
        .arg(h.join("store"))
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start comptoir serve");
    Serve { child, port, home }
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("proc status")
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS")
}

/// One request on a fresh connection: status, `Retry-After`, body.
async fn request(
    port: u16,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &str,
) -> (u16, u64, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let auth = auth
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: r\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n{auth}\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a response");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let retry = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("retry-after:")
                .map(|v| v.trim().to_owned())
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    (status, retry, body.to_owned())
}

async fn until_healthy(port: u16) {
    let deadline = Instant::now() + DEADLINE;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok()
            && request(port, "GET", "/healthz", None, "").await.0 == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the relay never answered");
}

/// A new visitor, waiting out the inbox's rate limit when it answers 429.
async fn visitor(port: u16) -> (String, String) {
    loop {
        let (status, retry, body) = request(port, "POST", "/chat/site/visitors", None, "{}").await;
        if status == 201 {
            let v: Value = serde_json::from_str(&body).expect("json");
            return (
                v["visitor_id"].as_str().expect("id").to_owned(),
                v["token"].as_str().expect("token").to_owned(),
            );
        }
        assert_eq!(status, 429, "{body}");
        tokio::time::sleep(Duration::from_secs(retry)).await;
    }
}

/// An open event stream, read raw; `ids` finds message ids in what came so far.
struct Stream {
    socket: TcpStream,
    seen: String,
}

impl Stream {
    async fn open(port: u16, id: &str, token: &str) -> Stream {
        let mut socket = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        let head = format!(
            "GET /chat/site/visitors/{id}/events?token={token} HTTP/1.1\r\nHost: r\r\nAccept: text/event-stream\r\n\r\n"
        );
        socket.write_all(head.as_bytes()).await.expect("send");
        let mut stream = Stream {
            socket,
            seen: String::new(),
        };
        stream.until(" 200 ").await;
        stream
    }

    async fn until(&mut self, needle: &str) {
        let mut buffer = [0u8; 8192];
        let deadline = Instant::now() + DEADLINE;
        while !self.seen.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            let n = tokio::time::timeout(left, self.socket.read(&mut buffer))
                .await
                .expect("the event in time")
                .expect("read");
            assert!(n > 0, "the stream closed");
            self.seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    }
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!(
        "{what}: n={} p50={:.1} ms p99={:.1} ms max={:.1} ms",
        samples.len(),
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3,
    );
}

async fn run(streams: usize) {
    let serve = start();
    let port = serve.port;
    until_healthy(port).await;
    let pid = serve.child.id();

    let visitors_needed = streams.div_ceil(PER_VISITOR);
    let mut visitors = Vec::with_capacity(visitors_needed);
    for _ in 0..visitors_needed {
        visitors.push(visitor(port).await);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = rss_kib(pid);
    let mut open = Vec::with_capacity(streams);
    for (id, token) in &visitors {
        for _ in 0..PER_VISITOR {
            if open.len() < streams {
                open.push(Stream::open(port, id, token).await);
            }
        }
    }
    // One availability poll (5 s) with every stream listening.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let with = rss_kib(pid);
    println!(
        "{} open streams: VmRSS {before} KiB before, {with} KiB with them: {:.1} KiB per stream",
        open.len(),
        (with.saturating_sub(before)) as f64 / open.len() as f64
    );

    // POST → the visitor's own stream, with every other stream open.
    let (id, token) = &visitors[0];
    let mut probe = Stream::open_after_close(&mut open, port, id, token).await;
    let mut post_to_event = Vec::with_capacity(SAMPLES);
    let mut conversation = None;
    for i in 0..SAMPLES {
        let started = Instant::now();
        let (status, retry, body) = request(
            port,
            "POST",
            &format!("/chat/site/visitors/{id}/messages"),
            Some(token),
            &format!("{{\"text\":\"m{i}\"}}"),
        )
        .await;
        if status == 429 {
            tokio::time::sleep(Duration::from_secs(retry)).await;
            continue;
        }
        assert_eq!(status, 202, "{body}");
        let answer: Value = serde_json::from_str(&body).expect("json");
        conversation = answer["conversation_id"].as_i64();
        probe
            .until(&format!("id: {}\n", answer["message_id"]))
            .await;
        post_to_event.push(started.elapsed());
        // Within the per-visitor limit (1 a second after a burst of 5).
        tokio::time::sleep(Duration::from_millis(1_000)).await;
        if post_to_event.len() >= 20 {
            break;
        }
    }
    report("visitor POST -> event on the open stream", post_to_event);

    // A reply queued from another process → the stream, through serve's outbox.
    let conversation = ConversationId(conversation.expect("a conversation"));
    let mut store =
        Store::open(&serve.home.path().join("store").join("store.sqlite")).expect("store");
    let agent = store.ensure_agent("Camille").expect("agent");
    let mut reply_to_event = Vec::with_capacity(SAMPLES);
    for i in 0..20 {
        // At a random moment relative to the outbox's poll, as an agent's reply comes.
        tokio::time::sleep(Duration::from_millis(fastrand::u64(0..600))).await;
        let started = Instant::now();
        let reply = store
            .queue_reply(conversation, agent, &format!("r{i}"), Timestamp::now())
            .expect("reply");
        probe.until(&format!("id: {}\n", reply.0)).await;
        reply_to_event.push(started.elapsed());
    }
    report(
        "reply queued in another process -> event on the stream",
        reply_to_event,
    );

    drop(open);
    drop(probe);
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("after closing them: VmRSS {} KiB", rss_kib(pid));
}

impl Stream {
    /// Frees one slot of `id` (the per-visitor limit) and opens a stream there.
    async fn open_after_close(open: &mut Vec<Stream>, port: u16, id: &str, token: &str) -> Stream {
        if !open.is_empty() {
            drop(open.remove(0));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Stream::open(port, id, token).await
    }
}
