//! One IMAP sync pass: connect, log in, and bring every configured folder's new mail into
//! the store through `ingest`, acknowledging upstream (progress, `\Seen`) only after the
//! store has committed.
//!
//! [`sync_once`] holds no state between calls besides what it records in the store, so a
//! supervising loop (reconnect with backoff, IDLE) can call it again after any error.
//!
//! Progress: later syncs record the folder's `last_uid` after each committed batch, so a
//! dropped connection loses nothing and refetches at most one batch. The first sync of a
//! folder goes newest first (so the most recent mail shows up soonest) and records its
//! `last_uid` only once it has finished; a first sync cut short starts over and ingest's
//! dedupe by Message-ID absorbs what was already stored.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_imap::error::Error as ProtocolError;
use async_imap::imap_proto::{AttributeValue, MailboxDatum, Response, Status};
use async_imap::{Client, Session};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::{mime, tls};
use crate::channels::Inbound;
use crate::config::{EmailAccount, TlsMode};
use crate::ingest::{self, Outcome};
use crate::model::Channel;
use crate::store::{SharedStore, StoreError};

/// How many days of existing mail a folder's first sync imports when the account does not
/// say (`first_sync_days`).
pub const DEFAULT_FIRST_SYNC_DAYS: u32 = 90;

/// Whether imported messages get `\Seen` when the account does not say (`mark_seen`):
/// no, so that comptoir leaves a shared mailbox as people's own mail clients see it.
pub const DEFAULT_MARK_SEEN: bool = false;

/// Messages fetched, parsed and committed together.
pub const DEFAULT_BATCH_SIZE: usize = 200;

/// How a sync pass talks to the server; the account itself comes from the config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncOptions {
    /// Messages per `UID FETCH` and per store transaction; at least 1 is used.
    pub batch_size: usize,
    /// Limit on TCP connect plus TLS handshake.
    pub connect_timeout: Duration,
    /// Limit on waiting for any one answer from the server (a greeting, a command's
    /// completion, the next message of a fetch).
    pub command_timeout: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            batch_size: DEFAULT_BATCH_SIZE,
            connect_timeout: Duration::from_secs(15),
            command_timeout: Duration::from_secs(60),
        }
    }
}

/// What one [`sync_once`] pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// One entry per configured folder, in config order.
    pub folders: Vec<FolderReport>,
}

/// What a sync pass did in one folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderReport {
    /// The folder's name as configured.
    pub folder: String,
    /// Messages downloaded.
    pub fetched: usize,
    /// Messages stored for the first time.
    pub stored: usize,
    /// Messages the store already had (same Message-ID).
    pub duplicates: usize,
    /// Messages set aside in the dead-letter list.
    pub dead_letters: usize,
    /// The folder's UIDVALIDITY differed from the recorded one, so it was read afresh.
    pub uidvalidity_changed: bool,
}

/// Why a sync pass stopped. Every message is one line; none contains the password.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The server could not be reached, or the connection dropped.
    #[error("IMAP server {server}: {reason}")]
    Connect {
        /// `host:port`.
        server: String,
        /// What went wrong.
        reason: String,
    },
    /// The TLS setup or handshake failed (an untrusted certificate, a bad `ca_file`).
    #[error("IMAP server {server}: TLS: {reason}")]
    Tls {
        /// `host:port`.
        server: String,
        /// What went wrong.
        reason: String,
    },
    /// The server rejected the login.
    #[error("IMAP server {server} refused the login of {user}: {reason}")]
    Auth {
        /// `host:port`.
        server: String,
        /// The user name sent.
        user: String,
        /// The server's answer, with the password blanked out should it echo it.
        reason: String,
    },
    /// The server answered something unexpected, refused a command, or went silent.
    #[error("IMAP server {server}: {reason}")]
    Protocol {
        /// `host:port`.
        server: String,
        /// What went wrong.
        reason: String,
    },
    /// The store failed; nothing of the current batch was acknowledged upstream.
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// Syncs every folder of `account` once: new mail is stored (or dead-lettered), the
/// folder's progress recorded, and, with `mark_seen`, the messages flagged `\Seen`.
///
/// # Errors
/// The first failure ends the pass. What was committed before it stays committed and
/// recorded, so calling again continues from there.
pub async fn sync_once(
    account: &EmailAccount,
    password: &str,
    store: &SharedStore,
    options: &SyncOptions,
) -> Result<SyncReport, ImapError> {
    let conn = Conn {
        server: format!("{}:{}", account.imap.host, account.imap.port),
        options,
    };
    let client = conn.connect(account).await?;
    let mut session = conn.login(client, &account.username, password).await?;
    let mut report = SyncReport::default();
    for folder in &account.folders {
        report
            .folders
            .push(sync_folder(&conn, &mut session, account, folder, store).await?);
    }
    // Everything is committed by now; a server that fumbles the goodbye costs nothing.
    if let Err(e) = conn.step("LOGOUT", session.logout()).await {
        tracing::debug!(account = %account.name, "IMAP logout: {e}");
    }
    Ok(report)
}

/// The IMAP session's transport: TLS for `implicit` and `starttls`, bare TCP for `none`.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stream::Plain(_) => "Stream::Plain",
            Stream::Tls(_) => "Stream::Tls",
        })
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// One connection's server name and limits, to turn every failure into an [`ImapError`].
struct Conn<'a> {
    server: String,
    options: &'a SyncOptions,
}

impl Conn<'_> {
    fn connect_error(&self, reason: impl fmt::Display) -> ImapError {
        ImapError::Connect {
            server: self.server.clone(),
            reason: one_line(&reason.to_string()),
        }
    }

    fn tls_error(&self, reason: impl fmt::Display) -> ImapError {
        ImapError::Tls {
            server: self.server.clone(),
            reason: one_line(&reason.to_string()),
        }
    }

    fn protocol_error(&self, reason: impl fmt::Display) -> ImapError {
        ImapError::Protocol {
            server: self.server.clone(),
            reason: one_line(&reason.to_string()),
        }
    }

    /// A lost connection is a [`ImapError::Connect`] (worth a reconnect), anything else the
    /// server said a [`ImapError::Protocol`].
    fn imap_error(&self, what: &str, e: ProtocolError) -> ImapError {
        match e {
            ProtocolError::Io(e) => self.connect_error(format_args!("{what}: {e}")),
            ProtocolError::ConnectionLost => {
                self.connect_error(format_args!("{what}: connection lost"))
            }
            ProtocolError::No(text) => {
                self.protocol_error(format_args!("{what} refused: {}", server_text(&text)))
            }
            ProtocolError::Bad(text) => {
                self.protocol_error(format_args!("{what} rejected: {}", server_text(&text)))
            }
            other => self.protocol_error(format_args!("{what}: {other}")),
        }
    }

    /// Runs one command under the command timeout.
    async fn step<T>(
        &self,
        what: &str,
        command: impl Future<Output = async_imap::error::Result<T>>,
    ) -> Result<T, ImapError> {
        match tokio::time::timeout(self.options.command_timeout, command).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.imap_error(what, e)),
            Err(_) => Err(self.silent(what)),
        }
    }

    fn silent(&self, what: &str) -> ImapError {
        self.protocol_error(format_args!(
            "{what}: no answer within {}s",
            self.options.command_timeout.as_secs()
        ))
    }

    /// TCP, then TLS as the account asks, then the server's greeting.
    async fn connect(&self, account: &EmailAccount) -> Result<Client<Stream>, ImapError> {
        let tls = match account.imap.tls {
            TlsMode::None => None,
            TlsMode::Implicit | TlsMode::Starttls => Some(
                tls::client_config(account.ca_file.as_deref()).map_err(|e| self.tls_error(e))?,
            ),
        };
        let host = account.imap.host.as_str();
        let tcp = match tokio::time::timeout(
            self.options.connect_timeout,
            TcpStream::connect((host, account.imap.port)),
        )
        .await
        {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => return Err(self.connect_error(e)),
            Err(_) => {
                return Err(self.connect_error(format_args!(
                    "no connection within {}s",
                    self.options.connect_timeout.as_secs()
                )));
            }
        };
        // Commands are small and answered one at a time; Nagle would only add latency.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(server = %self.server, "TCP_NODELAY: {e}");
        }
        match (account.imap.tls, tls) {
            (TlsMode::Implicit, Some(config)) => {
                let stream = self.handshake(tcp, host, config).await?;
                let mut client = Client::new(Stream::Tls(Box::new(stream)));
                self.greeting(&mut client).await?;
                Ok(client)
            }
            (TlsMode::Starttls, Some(config)) => {
                let mut client = Client::new(Stream::Plain(tcp));
                self.greeting(&mut client).await?;
                self.step(
                    "STARTTLS",
                    client.run_command_and_check_ok("STARTTLS", None),
                )
                .await
                .map_err(|e| self.tls_error(format_args!("STARTTLS refused: {e}")))?;
                let Stream::Plain(tcp) = client.into_inner() else {
                    return Err(self.tls_error("STARTTLS on a connection already encrypted"));
                };
                let stream = self.handshake(tcp, host, config).await?;
                // No second greeting: the session goes on where STARTTLS left it.
                Ok(Client::new(Stream::Tls(Box::new(stream))))
            }
            _ => {
                let mut client = Client::new(Stream::Plain(tcp));
                self.greeting(&mut client).await?;
                Ok(client)
            }
        }
    }

    async fn handshake(
        &self,
        tcp: TcpStream,
        host: &str,
        config: Arc<rustls::ClientConfig>,
    ) -> Result<TlsStream<TcpStream>, ImapError> {
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| self.tls_error(format_args!("{host:?} is not a server name: {e}")))?;
        match tokio::time::timeout(
            self.options.connect_timeout,
            TlsConnector::from(config).connect(name, tcp),
        )
        .await
        {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(e)) => Err(self.tls_error(e)),
            Err(_) => Err(self.tls_error(format_args!(
                "no handshake within {}s",
                self.options.connect_timeout.as_secs()
            ))),
        }
    }

    async fn greeting(&self, client: &mut Client<Stream>) -> Result<(), ImapError> {
        let greeting = tokio::time::timeout(self.options.command_timeout, client.read_response())
            .await
            .map_err(|_| self.silent("greeting"))?
            .map_err(|e| self.connect_error(format_args!("greeting: {e}")))?
            .ok_or_else(|| self.connect_error("closed the connection before its greeting"))?;
        match greeting.parsed() {
            Response::Data {
                status: Status::Ok, ..
            } => Ok(()),
            Response::Data {
                status, outcome, ..
            } => Err(self.protocol_error(format_args!(
                "greeting {status:?}: {}",
                outcome.information.as_deref().unwrap_or("")
            ))),
            other => Err(self.protocol_error(format_args!("unexpected greeting {other:?}"))),
        }
    }

    async fn login(
        &self,
        client: Client<Stream>,
        user: &str,
        password: &str,
    ) -> Result<Session<Stream>, ImapError> {
        let refused = |reason: String| ImapError::Auth {
            server: self.server.clone(),
            user: user.to_owned(),
            reason: one_line(&redact(&reason, password)),
        };
        match tokio::time::timeout(self.options.command_timeout, client.login(user, password)).await
        {
            Ok(Ok(session)) => Ok(session),
            Ok(Err((ProtocolError::No(reason), _))) => Err(refused(server_text(&reason))),
            Ok(Err((ProtocolError::Validate(_), _))) => Err(refused(
                "the user name or password contains a line break".into(),
            )),
            Ok(Err((ProtocolError::Bad(reason), _))) => Err(self.protocol_error(format_args!(
                "LOGIN: {}",
                redact(&server_text(&reason), password)
            ))),
            Ok(Err((e, _))) => Err(self.imap_error("LOGIN", e)),
            Err(_) => Err(self.silent("LOGIN")),
        }
    }

    /// Sends `command` and hands every untagged response to `each` until the command's
    /// own completion, which must be OK.
    ///
    /// async-imap's streaming commands (`uid_fetch`, `uid_search`, `uid_store`) end quietly
    /// when the connection drops and ignore a tagged NO, so a cut-off FETCH would look like
    /// a short, successful one and its UIDs would be recorded as done. Reading to the
    /// tagged answer ourselves makes a lost connection an error. The timeout applies per
    /// response, so a large batch may take as long as it keeps arriving.
    async fn command(
        &self,
        session: &mut Session<Stream>,
        what: &str,
        command: &str,
        mut each: impl FnMut(&Response<'_>),
    ) -> Result<(), ImapError> {
        let tag = self.step(what, session.run_command(command)).await?;
        loop {
            let response =
                tokio::time::timeout(self.options.command_timeout, session.read_response())
                    .await
                    .map_err(|_| self.silent(what))?
                    .map_err(|e| self.connect_error(format_args!("{what}: {e}")))?
                    .ok_or_else(|| self.connect_error(format_args!("{what}: connection lost")))?;
            match response.parsed() {
                Response::Done {
                    tag: done,
                    status,
                    outcome,
                } if *done == tag => {
                    let text = outcome.information.as_deref().unwrap_or("");
                    return match status {
                        Status::Ok => Ok(()),
                        Status::No => {
                            Err(self.protocol_error(format_args!("{what} refused: {text}")))
                        }
                        _ => Err(self.protocol_error(format_args!("{what} rejected: {text}"))),
                    };
                }
                Response::Data {
                    status: Status::Bye,
                    outcome,
                } => {
                    return Err(self.connect_error(format_args!(
                        "{what}: server said BYE: {}",
                        outcome.information.as_deref().unwrap_or("")
                    )));
                }
                other => each(other),
            }
        }
    }

    /// `UID SEARCH query`: the matching UIDs.
    async fn search(
        &self,
        session: &mut Session<Stream>,
        query: &str,
    ) -> Result<Vec<u32>, ImapError> {
        let mut uids = Vec::new();
        self.command(session, "UID SEARCH", &format!("UID SEARCH {query}"), |r| {
            if let Response::MailboxData(MailboxDatum::Search(found)) = r {
                uids.extend_from_slice(found);
            }
        })
        .await?;
        Ok(uids)
    }

    /// `UID FETCH set (UID BODY.PEEK[])`: `(uid, raw message)` of each asked-for message
    /// the server still has.
    async fn fetch(
        &self,
        session: &mut Session<Stream>,
        uids: &[u32],
    ) -> Result<Vec<(u32, Vec<u8>)>, ImapError> {
        let command = format!("UID FETCH {} (UID BODY.PEEK[])", uid_set(uids));
        let mut messages = Vec::with_capacity(uids.len());
        self.command(session, "UID FETCH", &command, |r| {
            let Response::Fetch(_, attributes) = r else {
                return;
            };
            let mut uid = None;
            let mut body = None;
            for attribute in attributes {
                match attribute {
                    AttributeValue::Uid(u) => uid = Some(*u),
                    AttributeValue::BodySection {
                        section: None,
                        data: Some(data),
                        ..
                    }
                    | AttributeValue::Rfc822(Some(data)) => body = Some(data),
                    _ => {}
                }
            }
            // A server may slip in FETCH responses about other messages (flag changes);
            // only the ones asked for, with a body, count.
            if let (Some(uid), Some(body)) = (uid, body)
                && uids.contains(&uid)
            {
                messages.push((uid, body.to_vec()));
            }
        })
        .await?;
        Ok(messages)
    }

    async fn mark_seen(
        &self,
        session: &mut Session<Stream>,
        uids: &[u32],
    ) -> Result<(), ImapError> {
        let command = format!(r"UID STORE {} +FLAGS.SILENT (\Seen)", uid_set(uids));
        self.command(session, "UID STORE", &command, |_| {}).await
    }
}

async fn sync_folder(
    conn: &Conn<'_>,
    session: &mut Session<Stream>,
    account: &EmailAccount,
    folder: &str,
    store: &SharedStore,
) -> Result<FolderReport, ImapError> {
    let mailbox = conn.step("SELECT", session.select(folder)).await?;
    let uidvalidity = mailbox.uid_validity.ok_or_else(|| {
        conn.protocol_error(format_args!("SELECT {folder:?} gave no UIDVALIDITY"))
    })?;
    let state = {
        let (name, folder) = (account.name.clone(), folder.to_owned());
        store
            .call(move |s| s.email_sync_state(&name, &folder))
            .await?
    };
    let mut report = FolderReport {
        folder: folder.to_owned(),
        ..FolderReport::default()
    };
    let batch_size = conn.options.batch_size.max(1);
    let mark_seen = account.mark_seen.unwrap_or(DEFAULT_MARK_SEEN);

    if let Some((recorded, last_uid)) = state
        && recorded == uidvalidity
    {
        // Nothing new: spares a SEARCH on every pass of an idle folder.
        if mailbox
            .uid_next
            .is_some_and(|next| next <= last_uid.saturating_add(1))
        {
            return Ok(report);
        }
        let query = format!("UID {}:*", last_uid.saturating_add(1));
        let found = conn.search(session, &query).await?;
        // `n:*` always matches the highest UID, even when it is below n.
        let mut uids: Vec<u32> = found.into_iter().filter(|&u| u > last_uid).collect();
        uids.sort_unstable();
        for batch in uids.chunks(batch_size) {
            sync_batch(conn, session, account, store, batch, mark_seen, &mut report).await?;
            let highest = batch.iter().copied().max().unwrap_or(last_uid);
            let (name, folder) = (account.name.clone(), folder.to_owned());
            store
                .call(move |s| s.set_email_sync_state(&name, &folder, uidvalidity, highest))
                .await?;
        }
        return Ok(report);
    }

    // A first sync, or a renumbered folder read afresh under the same bound: the UIDs
    // recorded before mean nothing now, and what was stored dedupes by Message-ID.
    report.uidvalidity_changed = state.is_some();
    let days = account.first_sync_days.unwrap_or(DEFAULT_FIRST_SYNC_DAYS);
    let query = format!("SINCE {}", imap_date(Timestamp::now(), days));
    let mut uids = conn.search(session, &query).await?;
    uids.sort_unstable_by(|a, b| b.cmp(a));
    // Mail older than the bound must not come in later as "new", so the recorded mark is
    // the top of the folder, not just the newest message imported.
    let mut top = uids.first().copied().unwrap_or(0);
    match mailbox.uid_next {
        Some(next) => top = top.max(next.saturating_sub(1)),
        None => {
            let all = conn.search(session, "ALL").await?;
            top = top.max(all.into_iter().max().unwrap_or(0));
        }
    }
    for batch in uids.chunks(batch_size) {
        sync_batch(conn, session, account, store, batch, mark_seen, &mut report).await?;
    }
    let (name, folder) = (account.name.clone(), folder.to_owned());
    store
        .call(move |s| s.set_email_sync_state(&name, &folder, uidvalidity, top))
        .await?;
    Ok(report)
}

/// Fetches, parses and commits one batch, then flags it `\Seen` if asked. Recording the
/// folder's progress is the caller's, since first and later syncs do it differently.
async fn sync_batch(
    conn: &Conn<'_>,
    session: &mut Session<Stream>,
    account: &EmailAccount,
    store: &SharedStore,
    uids: &[u32],
    mark_seen: bool,
    report: &mut FolderReport,
) -> Result<(), ImapError> {
    let messages = conn.fetch(session, uids).await?;
    report.fetched += messages.len();
    let fetched: Vec<u32> = messages.iter().map(|(uid, _)| *uid).collect();

    let name = account.name.clone();
    let own = vec![account.address.clone()];
    // Parsing is CPU work on untrusted input; it stays off the async workers.
    let parsed = tokio::task::spawn_blocking(move || {
        let mut inbound: Vec<Inbound> = Vec::new();
        let mut unreadable: Vec<(String, Vec<u8>, String)> = Vec::new();
        for (_, raw) in messages {
            let mail = mime::parse(&raw, &name, &own);
            match mail.inbound {
                Some(message) => inbound.push(message),
                None => {
                    let reason = if mail.problems.is_empty() {
                        "not a readable email".to_owned()
                    } else {
                        mail.problems.join("; ")
                    };
                    unreadable.push((mail.message_id, raw, reason));
                }
            }
        }
        (inbound, unreadable)
    })
    .await
    .map_err(|e| StoreError::Invalid(format!("parsing fetched mail failed: {e}")))?;

    let (inbound, unreadable) = parsed;
    let name = account.name.clone();
    let (outcomes, dead) = store
        .call(move |s| {
            let now = Timestamp::now();
            let outcomes = ingest::ingest_batch(s, &inbound, now)?;
            for (id, raw, reason) in &unreadable {
                ingest::dead_letter(s, Channel::Email, &name, Some(id), raw, reason, now)?;
            }
            Ok((outcomes, unreadable.len()))
        })
        .await?;
    for outcome in outcomes {
        match outcome {
            Outcome::New { .. } => report.stored += 1,
            Outcome::Duplicate { .. } => report.duplicates += 1,
            Outcome::DeadLettered { .. } => report.dead_letters += 1,
        }
    }
    report.dead_letters += dead;

    if mark_seen && !fetched.is_empty() {
        conn.mark_seen(session, &fetched).await?;
    }
    Ok(())
}

/// A UID set for a command: single UIDs and runs, `1:3,7,9:12`, so a batch of
/// consecutive UIDs stays short.
fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end.saturating_add(1) {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

/// The date `days` before `now` in SEARCH's `d-Mon-yyyy` form (RFC 3501 `date`), in UTC.
fn imap_date(now: Timestamp, days: u32) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let since = now
        .checked_sub(SignedDuration::from_hours(i64::from(days) * 24))
        .unwrap_or(Timestamp::MIN);
    let date = since.to_zoned(TimeZone::UTC).date();
    let month = usize::try_from(date.month() - 1)
        .ok()
        .and_then(|m| MONTHS.get(m))
        .unwrap_or(&"Jan");
    format!("{}-{month}-{}", date.day(), date.year())
}

/// Server text may quote what it was sent; the password must not reach a log or a screen.
fn redact(text: &str, password: &str) -> String {
    if password.is_empty() {
        text.to_owned()
    } else {
        text.replace(password, "********")
    }
}

/// The server's own words from async-imap's `code: …, info: Some("…")` rendering of a
/// NO or BAD, which is all it keeps of them; anything else is returned whole.
fn server_text(reason: &str) -> String {
    const START: &str = "info: Some(\"";
    match (reason.find(START), reason.rfind("\")")) {
        (Some(start), Some(end)) if start + START.len() <= end => reason[start + START.len()..end]
            .replace("\\\"", "\"")
            .replace("\\\\", "\\"),
        _ => reason.to_owned(),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[5, 1, 2, 3, 9, 10, 7]), "1:3,5,7,9:10");
        assert_eq!(uid_set(&[42]), "42");
        assert_eq!(
            uid_set(&[u32::MAX, u32::MAX - 1]),
            format!("{}:{}", u32::MAX - 1, u32::MAX)
        );
    }

    #[test]
    fn search_dates_are_rfc3501() {
        let now: Timestamp = "2026-03-05T10:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(imap_date(now, 0), "5-Mar-2026");
        assert_eq!(imap_date(now, 90), "5-Dec-2025");
    }

    #[test]
    fn redaction_hides_an_echoed_password() {
        assert_eq!(redact("bad pw hunter2", "hunter2"), "bad pw ********");
        assert_eq!(one_line("a\r\n b"), "a b");
        assert_eq!(
            server_text(r#"code: None, info: Some("[AUTHENTICATIONFAILED] Say \"no\".")"#),
            r#"[AUTHENTICATIONFAILED] Say "no"."#
        );
        assert_eq!(server_text("connection lost"), "connection lost");
    }
}
