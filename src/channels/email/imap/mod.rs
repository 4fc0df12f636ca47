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
//!
//! The parts: `connection` connects (TCP, TLS or STARTTLS), logs in, selects and logs
//! out; `commands` sends the commands whose answers must be read to their tagged
//! completion; `plan` finds what a pass will fetch and `sync` fetches it into the
//! store; `changes` brings in flag changes made elsewhere (CONDSTORE, QRESYNC); `idle`
//! waits for news; `sent` is what SMTP needs of the Sent folder; `stream` is the
//! transport and `error` how every failure becomes an [`ImapError`].

mod changes;
mod commands;
mod connection;
mod error;
mod idle;
mod plan;
mod sent;
mod stream;
mod sync;

pub use connection::Connection;
pub use error::ImapError;
pub use idle::Wake;
pub use plan::{DEFAULT_FIRST_SYNC_DAYS, SyncPlan};
pub use sync::{
    DEFAULT_BATCH_SIZE, DEFAULT_MARK_SEEN, DEFAULT_MAX_BATCH_SIZE, FolderReport, Progress,
    SyncOptions, SyncReport, sync_once,
};
