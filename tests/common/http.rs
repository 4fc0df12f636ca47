//! A bare HTTP/1.1 client for the relay tests: one request on a connection that closes
//! after its answer, read to the end with a deadline. Raw bytes on purpose, so a test
//! controls every header (or leaves one out) and sees the answer as the relay wrote it.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long an answer may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(20);

/// One answer: the status, the head (lowercased, for header checks) and the body.
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The status line and headers, lowercased.
    pub head: String,
    /// The body as text.
    pub body: String,
}

/// Sends `request` (which must ask for `Connection: close`) on a new connection and
/// reads the whole answer.
pub async fn exchange(addr: std::net::SocketAddr, request: &str) -> Answer {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request.as_bytes()).await.expect("send");
    read_answer(&mut stream).await
}

/// Reads a whole answer from a connection that closes after it.
pub async fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut raw = Vec::new();
    tokio::time::timeout(DEADLINE, stream.read_to_end(&mut raw))
        .await
        .expect("an answer in time")
        .expect("read");
    let text = String::from_utf8(raw).expect("UTF-8");
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    Answer {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}
