//! Relay benchmark: signed chat POSTs over loopback into a fresh store, each committed
//! before its 202, at 1 and at 16 clients in flight. Prints requests per second and
//! p50 / p99 / max latency (connect, send, 202 read) per level.
//!
//! `cargo bench --bench relay`; `COMPTOIR_BENCH_POSTS=500` for a quick run. It is a
//! report and exits 0; each answer must be a 202, or it panics.

#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use comptoir::channels::relay::server::{RelayState, serve};
use comptoir::channels::relay::signature::WebhookSecret;
use comptoir::store::{SharedStore, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const SECRET: &str = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

fn main() {
    let posts: usize = std::env::var("COMPTOIR_BENCH_POSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(posts));
}

async fn run(posts: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("store.sqlite")).expect("store");
    let secret = WebhookSecret::parse(SECRET).expect("secret");
    let state = RelayState::new(SharedStore::new(store)).with_inbox("site", secret.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(serve(listener, state, stopped));

    println!("comptoir relay benchmark: {posts} signed POSTs per level, loopback, fresh store");
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>10}",
        "clients", "posts/s", "p50 ms", "p99 ms", "max ms"
    );
    let next = Arc::new(AtomicUsize::new(0));
    for clients in [1, 16] {
        let start = Instant::now();
        let end = next.load(Ordering::Relaxed) + posts;
        let mut workers = Vec::new();
        for _ in 0..clients {
            let next = Arc::clone(&next);
            let secret = secret.clone();
            workers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= end {
                        break;
                    }
                    let request = signed_request(&secret, n);
                    let sent = Instant::now();
                    let status = post(addr, &request).await;
                    latencies.push(sent.elapsed());
                    assert_eq!(status, 202, "post {n}");
                }
                latencies
            }));
        }
        let mut latencies: Vec<Duration> = Vec::with_capacity(posts);
        for worker in workers {
            latencies.extend(worker.await.expect("worker"));
        }
        let elapsed = start.elapsed();
        // Workers overshoot the shared counter by one each; keep it past this level.
        next.store(end, Ordering::Relaxed);
        latencies.sort();
        let pick = |q: f64| {
            let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
            latencies[i].as_secs_f64() * 1000.0
        };
        println!(
            "{:<10} {:>10.0} {:>10.2} {:>10.2} {:>10.2}",
            clients,
            latencies.len() as f64 / elapsed.as_secs_f64(),
            pick(0.5),
            pick(0.99),
            pick(1.0),
        );
    }
    stop.send(true).expect("stop");
    server.await.expect("server");
}

/// A signed POST from one of 200 visitors, over a connection of its own.
fn signed_request(secret: &WebhookSecret, n: usize) -> Vec<u8> {
    let body = format!(
        r#"{{"visitor":{{"id":"visitor-{}","name":"Visitor {}"}},"text":"Message {n}: is the blue mug in stock?"}}"#,
        n % 200,
        n % 200
    );
    let id = format!("bench_{n}");
    let ts = jiff::Timestamp::now().as_second();
    format!(
        "POST /chat/site/messages HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nwebhook-id: {id}\r\n\
         webhook-timestamp: {ts}\r\nwebhook-signature: {}\r\n\r\n{body}",
        body.len(),
        secret.sign(&id, ts, body.as_bytes()),
    )
    .into_bytes()
}

async fn post(addr: std::net::SocketAddr, request: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("send");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    std::str::from_utf8(&response)
        .ok()
        .and_then(|r| r.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
