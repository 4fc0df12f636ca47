//! MIME parse throughput: the test corpus (RFC, malformed and hostile messages) parsed
//! over and over, plus one synthetic 10 MB attachment, as messages/s and MB/s.
//!
//! `cargo bench --bench mime`

#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

use std::path::Path;
use std::time::{Duration, Instant};

use comptoir::channels::email::mime;

fn corpus() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/eml");
    let mut files = Vec::new();
    for dir in ["rfc", "malformed", "hostile"] {
        let mut entries: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("the corpus folder")
            .map(|e| e.expect("an entry").path())
            .collect();
        entries.sort();
        for path in entries {
            files.push(std::fs::read(&path).expect("a corpus file"));
        }
    }
    assert!(!files.is_empty(), "the corpus is empty");
    files
}

fn big_attachment() -> Vec<u8> {
    use std::fmt::Write as _;
    let mut b64 = String::new();
    let chunk = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx";
    while b64.len() < 13_700_000 {
        let _ = writeln!(b64, "{chunk}");
    }
    format!(
        "From: Big <big@example.com>\r\nTo: shop@example.com\r\nSubject: photos\r\nMessage-ID: <big@example.com>\r\n\
         Date: Mon, 9 Mar 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nVoici les photos.\r\n--b\r\nContent-Type: image/jpeg; name=p.jpg\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--b--\r\n"
    )
    .into_bytes()
}

fn run(name: &str, messages: &[Vec<u8>], rounds: usize) {
    let bytes: usize = messages.iter().map(Vec::len).sum::<usize>() * rounds;
    let own = vec!["contact@boutique.example".to_owned()];
    let start = Instant::now();
    let mut parsed = 0usize;
    for _ in 0..rounds {
        for raw in messages {
            let mail = mime::parse(raw, "boutique", &own);
            parsed += usize::from(std::hint::black_box(mail).inbound.is_some());
        }
    }
    let elapsed: Duration = start.elapsed();
    let n = messages.len() * rounds;
    #[allow(clippy::cast_precision_loss, reason = "figures for a report")]
    let (per_s, mb_s) = (
        n as f64 / elapsed.as_secs_f64(),
        bytes as f64 / 1_048_576.0 / elapsed.as_secs_f64(),
    );
    println!(
        "{name:<40} {n:>7} messages ({parsed} with an inbound) in {:>7.1} ms: {per_s:>9.0} messages/s, {mb_s:>7.1} MB/s",
        elapsed.as_secs_f64() * 1000.0
    );
}

fn main() {
    let corpus = corpus();
    println!(
        "comptoir MIME parse throughput ({} corpus files)",
        corpus.len()
    );
    run("warm-up", &corpus, 20);
    run("corpus (rfc + malformed + hostile)", &corpus, 400);
    run("10 MB attachment", &[big_attachment()], 5);
}
