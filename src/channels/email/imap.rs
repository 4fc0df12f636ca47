//! IMAP sessions: connect, log in, and bring every configured folder's new mail into the
//! store through `ingest`, acknowledging upstream (progress, `\Seen`) only after the store
//! has committed; then IDLE until the server has news.
//!
//! A [`Connection`] plans a pass (`SELECT` and `UID SEARCH` per folder, so its size is
//! known before any download), runs it batch by batch, and idles in between; it holds no
//! sync state besides what it records in the store, so after any error a new connection
//! resumes where the store says. [`sync_once`] is one pass on a fresh connection. The
//! account's life around it (backoff, health, renewals) is `account`'s.
//!
//! Progress: later syncs record the folder's `last_uid` after each committed batch, so a
//! dropped connection loses nothing and refetches at most one batch. The first sync of a
//! folder goes newest first (so the most recent mail shows up soonest) and records its
//! `last_uid` only once it has finished; a first sync cut short starts over and ingest's
//! dedupe by Message-ID absorbs what was already stored.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use async_imap::error::Error as ProtocolError;
use async_imap::imap_proto::{AttributeValue, Capability, MailboxDatum, Response, Status};
use async_imap::{Client, Session};
use jiff::civil::Date;
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
    let mut connection = Connection::open(account, password, options).await?;
    let plan = connection.plan_new(account, store).await?;
    let report = connection.run(account, store, plan, &mut ()).await?;
    // Everything is committed by now; a server that fumbles the goodbye costs nothing.
    connection.logout(options.command_timeout).await;
    Ok(report)
}

/// Told after each committed batch of a sync pass, so a caller can show progress.
pub trait Progress {
    /// `messages` more UIDs of the pass are committed (stored, deduplicated or set aside).
    fn committed(&mut self, messages: u64) -> impl Future<Output = ()> + Send;
}

/// No one is watching.
impl Progress for () {
    async fn committed(&mut self, _messages: u64) {}
}

/// Why [`Connection::idle`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// The server said something about the mailbox (new mail, an expunge, a flag), or
    /// had said so before the IDLE began: worth a sync.
    Changed,
    /// The caller's `stop` future completed (renewal, a poll of other folders, a
    /// request in the store).
    Stopped,
}

/// What a sync pass will fetch, found by `SELECT` and `UID SEARCH` in each folder before
/// any message is downloaded, so the whole pass's size is known up front.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncPlan {
    folders: Vec<FolderPlan>,
}

impl SyncPlan {
    /// How many messages the pass will fetch, across folders.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.folders.iter().map(|f| f.uids.len() as u64).sum()
    }

    /// The pass has nothing to fetch and nothing to record.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.folders.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct FolderPlan {
    folder: String,
    uidvalidity: u32,
    /// In fetch order.
    uids: Vec<u32>,
    kind: PlanKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum PlanKind {
    /// Mail above `last_uid`, recorded after each batch.
    New,
    /// Nothing new; listed so the report has every folder.
    Nothing,
    /// A bounded first read, newest first, recorded once whole.
    First {
        top: u32,
        since: Timestamp,
        uidvalidity_changed: bool,
    },
    /// An agent's "fetch older": back to `since` (`None`: nothing older to read),
    /// serving `days` of the request.
    Older { since: Option<Timestamp>, days: u32 },
}

/// A logged-in IMAP session that syncs pass after pass and idles in between, so a
/// running account keeps one connection instead of reconnecting for every sync.
pub struct Connection<'o> {
    conn: Conn<'o>,
    session: Session<Stream>,
    idle: bool,
    /// The selected folder and its UIDVALIDITY.
    selected: Option<(String, u32)>,
    /// Each folder's UIDNEXT when it was last planned, to notice mail that arrived
    /// before an IDLE could report it.
    uid_next: HashMap<String, u32>,
    /// An IDLE was sent and its completion not yet read (a cancelled [`Connection::idle`]).
    in_idle: bool,
}

impl fmt::Debug for Connection<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("server", &self.conn.server)
            .field("idle", &self.idle)
            .field("selected", &self.selected)
            .finish_non_exhaustive()
    }
}

impl<'o> Connection<'o> {
    /// Connects as the account says, logs in and asks what the server can do.
    ///
    /// # Errors
    /// [`ImapError::Auth`] when the login is refused; any other failure to connect.
    pub async fn open(
        account: &EmailAccount,
        password: &str,
        options: &'o SyncOptions,
    ) -> Result<Connection<'o>, ImapError> {
        let conn = Conn::new(account, options);
        let client = conn.connect(account).await?;
        let mut session = conn.login(client, &account.username, password).await?;
        let mut idle = false;
        conn.command(&mut session, "CAPABILITY", "CAPABILITY", |r| {
            if let Response::Capabilities(caps) = r {
                idle |= caps
                    .iter()
                    .any(|c| matches!(c, Capability::Atom(a) if a.eq_ignore_ascii_case("IDLE")));
            }
        })
        .await?;
        Ok(Connection {
            conn,
            session,
            idle,
            selected: None,
            uid_next: HashMap::new(),
            in_idle: false,
        })
    }

    /// The server advertises IDLE (RFC 2177).
    #[must_use]
    pub fn supports_idle(&self) -> bool {
        self.idle
    }

    /// SELECTs `folder`, returning its UIDVALIDITY. Outside planning (`planning` false),
    /// a UIDNEXT other than the one the last plan saw means mail arrived since: the next
    /// IDLE must not wait for it.
    async fn select(&mut self, folder: &str, planning: bool) -> Result<u32, ImapError> {
        self.selected = None;
        let mailbox = self
            .conn
            .step("SELECT", self.session.select(folder))
            .await?;
        let uidvalidity = mailbox.uid_validity.ok_or_else(|| {
            self.conn
                .protocol_error(format_args!("SELECT {folder:?} gave no UIDVALIDITY"))
        })?;
        self.selected = Some((folder.to_owned(), uidvalidity));
        if let Some(next) = mailbox.uid_next {
            if planning {
                self.uid_next.insert(folder.to_owned(), next);
            } else if self.uid_next.get(folder).is_some_and(|&seen| seen != next) {
                self.conn.changed.store(true, Ordering::Relaxed);
            }
        }
        Ok(uidvalidity)
    }

    /// Finds what is new in every folder of the account since the recorded state: mail
    /// above the last stored UID, or for a folder never read (or renumbered), the mail of
    /// the last `first_sync_days`.
    ///
    /// # Errors
    /// A server or store failure.
    pub async fn plan_new(
        &mut self,
        account: &EmailAccount,
        store: &SharedStore,
    ) -> Result<SyncPlan, ImapError> {
        // Mail that arrives from here on is found by this plan or announced later.
        self.conn.changed.store(false, Ordering::Relaxed);
        let mut plan = SyncPlan::default();
        for folder in &account.folders {
            let uidvalidity = self.select(folder, true).await?;
            let uid_next = self.uid_next.get(folder.as_str()).copied();
            let state = {
                let (name, folder) = (account.name.clone(), folder.clone());
                store
                    .call(move |s| s.email_sync_state(&name, &folder))
                    .await?
            };
            if let Some((recorded, last_uid)) = state
                && recorded == uidvalidity
            {
                // Nothing new: spares a SEARCH on every pass of an idle folder.
                if uid_next.is_some_and(|next| next <= last_uid.saturating_add(1)) {
                    plan.folders.push(FolderPlan {
                        folder: folder.clone(),
                        uidvalidity,
                        uids: Vec::new(),
                        kind: PlanKind::Nothing,
                    });
                    continue;
                }
                let query = format!("UID {}:*", last_uid.saturating_add(1));
                let found = self.conn.search(&mut self.session, &query).await?;
                // `n:*` always matches the highest UID, even when it is below n.
                let mut uids: Vec<u32> = found.into_iter().filter(|&u| u > last_uid).collect();
                uids.sort_unstable();
                plan.folders.push(FolderPlan {
                    folder: folder.clone(),
                    uidvalidity,
                    uids,
                    kind: PlanKind::New,
                });
                continue;
            }
            // A first sync, or a renumbered folder read afresh under the same bound: the
            // UIDs recorded before mean nothing now, and what was stored dedupes by
            // Message-ID.
            let days = account.first_sync_days.unwrap_or(DEFAULT_FIRST_SYNC_DAYS);
            let since = since_day(Timestamp::now(), days);
            let query = format!("SINCE {}", imap_date_of(since));
            let mut uids = self.conn.search(&mut self.session, &query).await?;
            uids.sort_unstable_by(|a, b| b.cmp(a));
            // Mail older than the bound must not come in later as "new", so the recorded
            // mark is the top of the folder, not just the newest message imported.
            let mut top = uids.first().copied().unwrap_or(0);
            match uid_next {
                Some(next) => top = top.max(next.saturating_sub(1)),
                None => {
                    let all = self.conn.search(&mut self.session, "ALL").await?;
                    top = top.max(all.into_iter().max().unwrap_or(0));
                }
            }
            plan.folders.push(FolderPlan {
                folder: folder.clone(),
                uidvalidity,
                uids,
                kind: PlanKind::First {
                    top,
                    since: day_start(since),
                    uidvalidity_changed: state.is_some(),
                },
            });
        }
        Ok(plan)
    }

    /// Finds the older mail agents asked for ("fetch older") in the folders where a
    /// request is pending: the days before the folder's recorded horizon. A folder read
    /// whole has nothing older; its request is simply served. A folder whose UIDVALIDITY
    /// changed is left to the next [`Connection::plan_new`], which reads it afresh.
    ///
    /// # Errors
    /// A server or store failure.
    pub async fn plan_older(
        &mut self,
        account: &EmailAccount,
        store: &SharedStore,
    ) -> Result<SyncPlan, ImapError> {
        let mut plan = SyncPlan::default();
        for folder in &account.folders {
            let horizon = {
                let (name, folder) = (account.name.clone(), folder.clone());
                store.call(move |s| s.email_horizon(&name, &folder)).await?
            };
            let Some(horizon) = horizon.filter(|h| h.older_days_requested > 0) else {
                continue;
            };
            let days = horizon.older_days_requested;
            let Some(until) = horizon.synced_since else {
                plan.folders.push(FolderPlan {
                    folder: folder.clone(),
                    uidvalidity: horizon.uidvalidity,
                    uids: Vec::new(),
                    kind: PlanKind::Older { since: None, days },
                });
                continue;
            };
            let uidvalidity = self.select(folder, false).await?;
            if uidvalidity != horizon.uidvalidity {
                continue;
            }
            let before = until.to_zoned(TimeZone::UTC).date();
            let since = before
                .checked_sub(jiff::Span::new().days(i64::from(days)))
                .unwrap_or(jiff::civil::Date::MIN);
            let query = format!(
                "SINCE {} BEFORE {}",
                imap_date_of(since),
                imap_date_of(before)
            );
            let mut uids = self.conn.search(&mut self.session, &query).await?;
            uids.sort_unstable_by(|a, b| b.cmp(a));
            plan.folders.push(FolderPlan {
                folder: folder.clone(),
                uidvalidity,
                uids,
                kind: PlanKind::Older {
                    since: Some(day_start(since)),
                    days,
                },
            });
        }
        Ok(plan)
    }

    /// Fetches what `plan` found, batch by batch: each batch is parsed and committed
    /// (then flagged `\Seen` if the account asks) before the folder's progress is
    /// recorded, and `progress` hears of it.
    ///
    /// # Errors
    /// The first failure ends the pass; what was committed stays committed and recorded.
    pub async fn run(
        &mut self,
        account: &EmailAccount,
        store: &SharedStore,
        plan: SyncPlan,
        progress: &mut impl Progress,
    ) -> Result<SyncReport, ImapError> {
        let batch_size = self.conn.options.batch_size.max(1);
        let mark_seen = account.mark_seen.unwrap_or(DEFAULT_MARK_SEEN);
        let mut report = SyncReport::default();
        for planned in plan.folders {
            let mut folder = FolderReport {
                folder: planned.folder.clone(),
                uidvalidity_changed: matches!(
                    planned.kind,
                    PlanKind::First {
                        uidvalidity_changed: true,
                        ..
                    }
                ),
                ..FolderReport::default()
            };
            if !planned.uids.is_empty() {
                let current = self.selected.as_ref().map(|(f, v)| (f.as_str(), *v));
                let uidvalidity = match current {
                    Some((f, v)) if f == planned.folder => v,
                    _ => self.select(&planned.folder, false).await?,
                };
                if uidvalidity != planned.uidvalidity {
                    return Err(self.conn.protocol_error(format_args!(
                        "the UIDVALIDITY of {:?} changed during the sync",
                        planned.folder
                    )));
                }
            }
            for batch in planned.uids.chunks(batch_size) {
                sync_batch(
                    &self.conn,
                    &mut self.session,
                    account,
                    store,
                    batch,
                    mark_seen,
                    &mut folder,
                )
                .await?;
                if planned.kind == PlanKind::New {
                    let highest = batch.iter().copied().max().unwrap_or(0);
                    let (name, f, v) = (
                        account.name.clone(),
                        planned.folder.clone(),
                        planned.uidvalidity,
                    );
                    store
                        .call(move |s| s.set_email_sync_state(&name, &f, v, highest))
                        .await?;
                }
                progress.committed(batch.len() as u64).await;
            }
            let (name, f, v) = (
                account.name.clone(),
                planned.folder.clone(),
                planned.uidvalidity,
            );
            match planned.kind {
                PlanKind::New | PlanKind::Nothing => {}
                PlanKind::First { top, since, .. } => {
                    store
                        .call(move |s| s.set_email_first_sync(&name, &f, v, top, Some(since)))
                        .await?;
                }
                PlanKind::Older { since, days } => {
                    store
                        .call(move |s| s.finish_older_email(&name, &f, since, days))
                        .await?;
                }
            }
            report.folders.push(folder);
        }
        Ok(report)
    }

    /// Waits in IDLE on `folder` until the server reports a change or `stop` completes,
    /// then ends the IDLE. Returns at once with [`Wake::Changed`] when a change was
    /// announced since the last plan (during a fetch, or by a different UIDNEXT).
    ///
    /// Unlike async-imap's own IDLE, a dropped connection is an error here, never a quiet
    /// wake-up. Cancelling the future mid-IDLE is safe for [`Connection::logout`], which
    /// ends the IDLE first.
    ///
    /// # Errors
    /// The connection dropped, the server refused IDLE or DONE, or went silent.
    pub async fn idle(
        &mut self,
        folder: &str,
        stop: impl Future<Output = ()>,
    ) -> Result<Wake, ImapError> {
        if self.selected.as_ref().is_none_or(|(f, _)| f != folder) {
            self.select(folder, false).await?;
        }
        if self.conn.changed.swap(false, Ordering::Relaxed) {
            return Ok(Wake::Changed);
        }
        let tag = self
            .conn
            .step("IDLE", self.session.run_command("IDLE"))
            .await?;
        self.in_idle = true;
        let mut wake = None;
        loop {
            let answer = self
                .conn
                .next(&mut self.session, "IDLE", |response| match response {
                    Response::Continue(_) => Some(Ok(())),
                    Response::Done {
                        tag: done,
                        status,
                        outcome,
                    } if *done == tag => Some(Err(format!(
                        "IDLE {}: {}",
                        if *status == Status::No {
                            "refused"
                        } else {
                            "rejected"
                        },
                        outcome.information.as_deref().unwrap_or("")
                    ))),
                    Response::Data {
                        status: Status::Ok, ..
                    } => None,
                    _ => {
                        wake = Some(Wake::Changed);
                        None
                    }
                })
                .await?;
            match answer {
                Some(Ok(())) => break,
                Some(Err(reason)) => {
                    self.in_idle = false;
                    return Err(self.conn.protocol_error(reason));
                }
                None => {}
            }
        }
        let wake = match wake {
            Some(wake) => wake,
            None => {
                tokio::pin!(stop);
                loop {
                    tokio::select! {
                        response = self.session.read_response() => {
                            let response = response
                                .map_err(|e| self.conn.connect_error(format_args!("IDLE: {e}")))?
                                .ok_or_else(|| self.conn.connect_error("IDLE: connection lost"))?;
                            let parsed = response.parsed();
                            self.conn.check_bye("IDLE", parsed)?;
                            // Keep-alives ("* OK Still here") say nothing new.
                            if !matches!(parsed, Response::Data { status: Status::Ok, .. }) {
                                break Wake::Changed;
                            }
                        }
                        () = &mut stop => break Wake::Stopped,
                    }
                }
            }
        };
        self.conn
            .step("DONE", self.session.run_command_untagged("DONE"))
            .await?;
        loop {
            let done = self
                .conn
                .next(&mut self.session, "DONE", |response| match response {
                    Response::Done {
                        tag: done,
                        status,
                        outcome,
                    } if *done == tag => Some((
                        Completion::of(status),
                        outcome.information.as_deref().unwrap_or("").to_owned(),
                    )),
                    _ => None,
                })
                .await?;
            if let Some((status, text)) = done {
                self.in_idle = false;
                return match status {
                    Completion::Ok => Ok(wake),
                    _ => Err(self
                        .conn
                        .protocol_error(format_args!("IDLE ended with {status:?}: {text}"))),
                };
            }
        }
    }

    /// Says goodbye within `limit`, ending an interrupted IDLE first; best effort, since
    /// everything is committed by the time anyone logs out.
    pub async fn logout(mut self, limit: Duration) {
        let server = self.conn.server.clone();
        let goodbye = async {
            if self.in_idle {
                self.session.run_command_untagged("DONE").await?;
            }
            self.session.logout().await
        };
        match tokio::time::timeout(limit, goodbye).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(%server, "IMAP logout: {e}"),
            Err(_) => tracing::debug!(%server, "IMAP logout: no answer in time"),
        }
    }
}

/// The IMAP session's transport: TLS for `implicit` and `starttls`, bare TCP for `none`.
pub(crate) enum Stream {
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
pub(crate) struct Conn<'a> {
    server: String,
    options: &'a SyncOptions,
    /// The server announced new mail (EXISTS, RECENT) in passing, during another
    /// command: the next IDLE must not wait for it.
    changed: AtomicBool,
}

impl<'a> Conn<'a> {
    /// The connection to the account's IMAP server, under `options`' limits.
    pub(crate) fn new(account: &EmailAccount, options: &'a SyncOptions) -> Conn<'a> {
        Conn {
            server: format!("{}:{}", account.imap.host, account.imap.port),
            options,
            changed: AtomicBool::new(false),
        }
    }

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
    pub(crate) async fn step<T>(
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
            let done = self
                .next(session, what, |response| match response {
                    Response::Done {
                        tag: done,
                        status,
                        outcome,
                    } if *done == tag => Some((
                        Completion::of(status),
                        outcome.information.as_deref().unwrap_or("").to_owned(),
                    )),
                    other => {
                        if matches!(
                            other,
                            Response::MailboxData(
                                MailboxDatum::Exists(_) | MailboxDatum::Recent(_)
                            )
                        ) {
                            self.changed.store(true, Ordering::Relaxed);
                        }
                        each(other);
                        None
                    }
                })
                .await?;
            if let Some((status, text)) = done {
                return match status {
                    Completion::Ok => Ok(()),
                    Completion::No => {
                        Err(self.protocol_error(format_args!("{what} refused: {text}")))
                    }
                    Completion::Bad => {
                        Err(self.protocol_error(format_args!("{what} rejected: {text}")))
                    }
                };
            }
        }
    }

    /// Reads the next response under the command timeout and hands it to `f`; a lost
    /// connection or a BYE is an error. (async-imap does not export the response type,
    /// hence the visitor.)
    async fn next<R>(
        &self,
        session: &mut Session<Stream>,
        what: &str,
        f: impl FnOnce(&Response<'_>) -> R,
    ) -> Result<R, ImapError> {
        let response = tokio::time::timeout(self.options.command_timeout, session.read_response())
            .await
            .map_err(|_| self.silent(what))?
            .map_err(|e| self.connect_error(format_args!("{what}: {e}")))?
            .ok_or_else(|| self.connect_error(format_args!("{what}: connection lost")))?;
        let parsed = response.parsed();
        self.check_bye(what, parsed)?;
        Ok(f(parsed))
    }

    fn check_bye(&self, what: &str, response: &Response<'_>) -> Result<(), ImapError> {
        match response {
            Response::Data {
                status: Status::Bye,
                outcome,
            } => Err(self.connect_error(format_args!(
                "{what}: server said BYE: {}",
                outcome.information.as_deref().unwrap_or("")
            ))),
            _ => Ok(()),
        }
    }

    /// `UID SEARCH query`: the matching UIDs.
    pub(crate) async fn search(
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
        // Each with whether it came from our own address (maybe a copy of our reply).
        let mut inbound: Vec<(Inbound, bool)> = Vec::new();
        let mut unreadable: Vec<(String, Vec<u8>, String)> = Vec::new();
        for (_, raw) in messages {
            let mail = mime::parse(&raw, &name, &own);
            match mail.inbound {
                Some(message) => inbound.push((message, mail.from_us)),
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
    let (outcomes, dead, echoes) = store
        .call(move |s| {
            let now = Timestamp::now();
            // Our own sent reply, back through a folder (a Bcc to ourselves, a server
            // that files a copy): it is stored already as the outbound message, and
            // ingesting it would open a conversation with ourselves.
            let mut fresh = Vec::with_capacity(inbound.len());
            let mut echoes = 0;
            for (message, from_us) in inbound {
                if from_us && s.is_sent_reply(&message.external_id)? {
                    echoes += 1;
                } else {
                    fresh.push(message);
                }
            }
            let outcomes = ingest::ingest_batch(s, &fresh, now)?;
            for (id, raw, reason) in &unreadable {
                ingest::dead_letter(s, Channel::Email, &name, Some(id), raw, reason, now)?;
            }
            Ok((outcomes, unreadable.len(), echoes))
        })
        .await?;
    report.duplicates += echoes;
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

/// How a tagged command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Completion {
    Ok,
    No,
    Bad,
}

impl Completion {
    fn of(status: &Status) -> Completion {
        match status {
            Status::Ok => Completion::Ok,
            Status::No => Completion::No,
            _ => Completion::Bad,
        }
    }
}

/// What the SMTP side needs of a session: the Sent folder, searched and appended to.
impl Connection<'_> {
    /// Whether `folder` holds a message whose `Message-ID` header contains `message_id`
    /// (a hand-sent `UID SEARCH`, like the sync's, so a dropped connection is an error
    /// and not "not found").
    pub(crate) async fn has_message_id(
        &mut self,
        folder: &str,
        message_id: &str,
    ) -> Result<bool, ImapError> {
        self.selected = None;
        self.conn
            .step("EXAMINE", self.session.examine(folder))
            .await?;
        let quoted = format!(
            "\"{}\"",
            message_id.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let found = self
            .conn
            .search(&mut self.session, &format!("HEADER Message-ID {quoted}"))
            .await?;
        Ok(!found.is_empty())
    }

    /// APPENDs `raw` to `folder` with `flags` (e.g. `(\Seen)`).
    pub(crate) async fn append(
        &mut self,
        folder: &str,
        flags: &str,
        raw: &[u8],
    ) -> Result<(), ImapError> {
        self.conn
            .step(
                "APPEND",
                self.session.append(folder, Some(flags), None, raw),
            )
            .await
    }
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
#[cfg(test)]
fn imap_date(now: Timestamp, days: u32) -> String {
    imap_date_of(since_day(now, days))
}

/// The UTC day `days` before `now`.
fn since_day(now: Timestamp, days: u32) -> Date {
    now.checked_sub(SignedDuration::from_hours(i64::from(days) * 24))
        .unwrap_or(Timestamp::MIN)
        .to_zoned(TimeZone::UTC)
        .date()
}

/// Midnight UTC at the start of `date`: what the store records as a folder's horizon.
fn day_start(date: Date) -> Timestamp {
    date.to_zoned(TimeZone::UTC)
        .map_or(Timestamp::MIN, |z| z.timestamp())
}

/// `date` in SEARCH's `d-Mon-yyyy` form (RFC 3501 `date`).
fn imap_date_of(date: Date) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
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
