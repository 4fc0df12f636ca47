//! The store: one SQLite file (WAL, FTS5) plus content-addressed attachment files.
//!
//! Everything above this module sees [`Store`] and the value types in [`crate::model`];
//! no SQL leaves `store/`. That is the boundary a PostgreSQL backend would sit behind.
//! Writes that must be atomic together (an inbound message, its customer and its
//! conversation) go through [`Store::write`], which hands out a [`Tx`].

mod activity;
mod agents;
mod blobs;
mod checkpoint;
mod continuity;
mod conversations;
mod customers;
mod dead_letters;
mod email_sync;
mod events;
mod export;
mod health;
mod identity;
mod mentions;
mod messages;
mod migrations;
mod outbox;
mod report;
mod search;
mod sharing;
mod suggestions;
mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jiff::Timestamp;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

pub use activity::{ACTIVITY_REFRESH, ACTIVITY_STALE, Activity};
pub use blobs::BlobStore;
pub use continuity::FollowUpTarget;
pub use conversations::{
    Cutoffs, QueueFilter, QueueStats, StatusChange, StatusOutcome, WaitingSummary,
};
pub use customers::{CustomerHistory, TIMELINE_PAGE, TimelineEntry};
pub use dead_letters::DeadLetter;
pub use email_sync::EmailHorizon;
pub use events::{ConversationEvent, EventKind};
pub use export::{ExportCounts, ExportError, ExportFilter, ExportRecord};
pub use identity::{Claim, CustomerCard, CustomerNote, IdentityChange, LinkRecord};
pub use mentions::Mentions;
pub use migrations::SCHEMA_VERSION;
pub use outbox::AWAY_PERIOD;
pub use report::{MessageCount, ReportRows, ResolvedRow, SliceCount, StartedRow, WaitingRow};
pub use search::{CustomerHit, QueryError, SearchHit, SearchQuery, SearchResults, Snippet, Term};
pub use sharing::{is_shared, share_file};
pub use suggestions::{Reason, SCANNED_MESSAGES, Shared, Source, Suggestion};
pub use webhooks::WebhookReceipt;

pub(crate) use conversations::NewConversation;
pub(crate) use messages::NewMessage;

/// How long a writer waits for another process's write to finish before giving up.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Marks a SQLite file as a comptoir store ("cmpt"), so a stranger's database is refused.
const APPLICATION_ID: i64 = 0x636d_7074;

/// How to open a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// How long a write waits for another process's write to finish.
    pub busy_timeout: Duration,
    /// A cap on the store file's size: past it, writes fail as on a full disk and
    /// nothing half-written is kept. `None` is no cap but the disk's.
    pub max_bytes: Option<u64>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
            max_bytes: None,
        }
    }
}

/// Why a store operation failed. Each message is one line, fit for the status bar.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file exists but is not a SQLite database.
    #[error("{0} is not a comptoir store (not a SQLite database)")]
    NotAStore(PathBuf),
    /// A SQLite database that some other program owns.
    #[error("{0} is a SQLite database of another program, not a comptoir store")]
    Foreign(PathBuf),
    /// Written by a newer comptoir; we refuse rather than risk damaging it.
    #[error(
        "{path} has schema version {found}, newer than this comptoir knows ({known}); upgrade comptoir"
    )]
    TooNew {
        /// The store file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest version this binary knows.
        known: i64,
    },
    /// Another process held the write lock past the busy timeout.
    #[error("the store is locked by another process; try again")]
    Busy,
    /// SQLite could not grow the file.
    #[error("the disk is full; nothing was written")]
    DiskFull,
    /// SQLite found the file damaged.
    #[error("the store file is damaged: {0}")]
    Corrupt(String),
    /// The file or its folder could not be opened or created.
    #[error("cannot open {path}: {source}")]
    Io {
        /// What we tried to open.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// A row the caller named does not exist.
    #[error("no such {0}")]
    NotFound(&'static str),
    /// The caller asked for something the data does not allow.
    #[error("{0}")]
    Invalid(String),
    /// Any other SQLite error.
    #[error("store error: {0}")]
    Sqlite(rusqlite::Error),
}

impl StoreError {
    /// True when the error is about this one write (a constraint it breaks), not about
    /// the store as a whole: such an inbound goes to the dead-letter list, while a busy,
    /// full or broken store must make the channel stop and retry later.
    #[must_use]
    pub fn is_about_the_data(&self) -> bool {
        match self {
            StoreError::Invalid(_) => true,
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                ErrorCode::ConstraintViolation | ErrorCode::TooBig | ErrorCode::TypeMismatch
            ),
            StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(_)) => true,
            _ => false,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(e, ref msg) = err {
            match e.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => return StoreError::Busy,
                ErrorCode::DiskFull => return StoreError::DiskFull,
                ErrorCode::DatabaseCorrupt => {
                    return StoreError::Corrupt(msg.clone().unwrap_or_else(|| e.to_string()));
                }
                _ => {}
            }
        }
        StoreError::Sqlite(err)
    }
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open store.
pub struct Store {
    /// Held for its `Drop`, and declared first so it is dropped first: its thread stops
    /// before the connection closes, and the close checkpoints what is left as always.
    _checkpointer: checkpoint::Checkpointer,
    conn: Connection,
    path: PathBuf,
    blobs: BlobStore,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the store at `path`, with its attachments in an
    /// `attachments/` folder beside it, and brings its schema up to date.
    ///
    /// # Errors
    /// A file that is not a comptoir store, a store newer than this binary, a locked or
    /// unreadable file: each is a [`StoreError`] and the file is left as it was.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, StoreOptions::default())
    }

    /// [`Store::open`] with chosen options.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_with(path: &Path, options: StoreOptions) -> Result<Store> {
        check_header(path)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let existed = path.exists();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::CannotOpen => {
                StoreError::Io {
                    path: path.to_path_buf(),
                    source: std::io::Error::other("cannot open the file"),
                }
            }
            other => other.into(),
        })?;
        if !existed {
            restrict_permissions(path);
        }
        conn.busy_timeout(options.busy_timeout)?;
        conn.set_prepared_statement_cache_capacity(64);
        let checkpointer = checkpoint::Checkpointer::install(&mut conn, path)?;
        let mut store = Store {
            _checkpointer: checkpointer,
            conn,
            path: path.to_path_buf(),
            blobs: BlobStore::new(dir.join("attachments")),
        };
        store.check_identity()?;
        store.conn.pragma_update(None, "journal_mode", "wal")?;
        store.conn.pragma_update(None, "synchronous", "normal")?;
        // Savepoint journals and sorts stay in memory rather than in temporary files.
        store.conn.pragma_update(None, "temp_store", "memory")?;
        // 32 MiB of page cache at most (negative: KiB): the hot index pages of a big store
        // while ingesting, and still within the TUI's memory budget (it fills lazily).
        store.conn.pragma_update(None, "cache_size", -32_768)?;
        // No `wal_autocheckpoint`: `checkpoint::Checkpointer` replaced SQLite's (setting
        // that pragma would remove it).
        store.conn.pragma_update(None, "foreign_keys", true)?;
        migrations::migrate(&mut store.conn, &store.path)?;
        if let Some(max) = options.max_bytes {
            let page_size: u64 = store
                .conn
                .pragma_query_value(None, "page_size", |r| r.get::<_, i64>(0))?
                .try_into()
                .unwrap_or(4096);
            store.conn.pragma_update(
                None,
                "max_page_count",
                i64::try_from((max / page_size.max(1)).max(1)).unwrap_or(i64::MAX),
            )?;
        }
        Ok(store)
    }

    /// Refuses a database that is someone else's or newer than us, before anything
    /// (even switching to WAL) writes to it.
    fn check_identity(&self) -> Result<()> {
        let map_open_err = |e: rusqlite::Error| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::NotADatabase => {
                StoreError::NotAStore(self.path.clone())
            }
            other => other.into(),
        };
        let app_id: i64 = self
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(map_open_err)?;
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(map_open_err)?;
        let tables: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(map_open_err)?;
        if app_id != APPLICATION_ID && (app_id != 0 || tables > 0) {
            return Err(StoreError::Foreign(self.path.clone()));
        }
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known: SCHEMA_VERSION,
            });
        }
        Ok(())
    }

    /// The store file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The attachment files.
    #[must_use]
    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// A number that changes whenever another connection commits a change: polling it is
    /// how a TUI notices what another process wrote, at the cost of one tiny query.
    ///
    /// # Errors
    /// A store failure.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    /// Runs `f` in one write transaction (taken at once, so two writers queue on the busy
    /// timeout instead of failing half-way), committing only if it succeeds.
    ///
    /// # Errors
    /// Whatever `f` returns, or a store failure; nothing is committed then.
    pub fn write<T>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before: i64 = tx
            .prepare_cached("SELECT coalesce(max(id), 0) FROM messages")?
            .query_row([], |r| r.get(0))?;
        let customers_before = search::customers_high_water(&tx)?;
        let value = f(&mut Tx { conn: &tx })?;
        // Every message this transaction added goes into the full-text index in one
        // statement, so search is in step with the commit and FTS5 builds one segment.
        tx.prepare_cached(
            "INSERT INTO messages_fts(rowid, body) SELECT id, body FROM messages WHERE id > ?1",
        )?
        .execute([before])?;
        search::index_new_customers(&tx, customers_before)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` on one consistent snapshot of the store.
    fn read<T>(&mut self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)?;
        let value = f(&tx)?;
        tx.finish()?;
        Ok(value)
    }
}

/// A write transaction opened by [`Store::write`]. Its methods are the building blocks
/// `ingest` composes; they commit together or not at all.
pub struct Tx<'a> {
    conn: &'a Connection,
}

impl Tx<'_> {
    /// Runs `f` inside a savepoint: if it fails, only its own changes are undone and the
    /// rest of the transaction goes on. This is how one bad message in a batch is set
    /// aside without losing the others.
    ///
    /// # Errors
    /// Whatever `f` returns (after rolling its changes back), or a store failure.
    pub fn savepoint<T>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T>) -> Result<T> {
        self.conn.prepare_cached("SAVEPOINT item")?.execute([])?;
        match f(self) {
            Ok(v) => {
                self.conn.prepare_cached("RELEASE item")?.execute([])?;
                Ok(v)
            }
            Err(e) => {
                self.conn.prepare_cached("ROLLBACK TO item")?.execute([])?;
                self.conn.prepare_cached("RELEASE item")?.execute([])?;
                Err(e)
            }
        }
    }
}

/// A store shared by async tasks: calls run on tokio's blocking pool, one at a time,
/// since a SQLite connection must not be used from two threads at once.
#[derive(Clone, Debug)]
pub struct SharedStore(Arc<Mutex<Store>>);

impl SharedStore {
    /// Wraps an open store.
    #[must_use]
    pub fn new(store: Store) -> Self {
        SharedStore(Arc::new(Mutex::new(store)))
    }

    /// Runs `f` on the store without blocking the async runtime.
    ///
    /// # Errors
    /// Whatever `f` returns; a task that panicked is reported as a store error.
    pub async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.0);
        tokio::task::spawn_blocking(move || {
            let mut store = inner.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut store)
        })
        .await
        .map_err(|e| StoreError::Invalid(format!("store task failed: {e}")))?
    }
}

/// A non-empty file that does not start with SQLite's magic string is refused before
/// SQLite sees it, so the error says what is wrong instead of "file is not a database".
fn check_header(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(source) => {
                return Err(StoreError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    }
    if read == 0 || header == *b"SQLite format 3\0" {
        Ok(())
    } else {
        Err(StoreError::NotAStore(path.to_path_buf()))
    }
}

/// The store holds customers' messages: only its owner may read it, or its group when the
/// data dir is shared with one (see `sharing`).
fn restrict_permissions(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = sharing::file_mode(path.parent().unwrap_or(Path::new(".")));
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
            tracing::warn!(path = %path.display(), error = %e, "cannot restrict store permissions");
        }
    }
}

/// Unix milliseconds, the store's time unit.
pub(crate) fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

/// Back from Unix milliseconds; the store only holds values it wrote, so an out-of-range
/// one means damage and reads as the epoch rather than failing a whole page.
pub(crate) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}
