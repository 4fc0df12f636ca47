//! WAL checkpoints off the writer's thread.
//!
//! SQLite's own automatic checkpoint runs inside the commit that crosses its threshold:
//! the writer (ingest, in the middle of a first sync) stops while the WAL is copied into
//! the database file and the file is synced, which on a store of a million messages was
//! a fifth of ingest's time. Here a commit that leaves the WAL past [`BACKGROUND_AT`]
//! only wakes a thread of the store's own, which checkpoints on a connection of its own
//! while the writer goes on. A WAL that still reaches [`INLINE_AT`] (that thread cannot
//! keep up, or could not start) is checkpointed by the writer as before, so it stays
//! bounded either way.

use std::ffi::c_int;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;
use rusqlite::{Connection, OpenFlags};

use super::Result;

/// WAL pages (4 KiB each) after a commit past which the background thread is woken: the
/// 32 MiB at which the writer used to checkpoint itself, so the copying is no more
/// frequent than before, only elsewhere.
pub const BACKGROUND_AT: c_int = 8_192;

/// WAL pages after a commit past which the writer checkpoints itself.
pub const INLINE_AT: c_int = 32_768;

/// The background checkpointer of one store connection; dropping it stops the thread
/// and waits for it, so no checkpoint outlives the store.
#[derive(Debug)]
pub(super) struct Checkpointer {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    path: PathBuf,
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// A commit left the WAL long since the last checkpoint started.
    wanted: bool,
    /// The store is being closed.
    stop: bool,
    /// The thread, started by the first commit that needs it.
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Takes over checkpointing for `conn`, the store at `path`.
    ///
    /// # Errors
    /// A store failure.
    pub(super) fn install(conn: &mut Connection, path: &Path) -> Result<Checkpointer> {
        let shared = Arc::new(Shared {
            path: path.to_path_buf(),
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        });
        let hook = Arc::clone(&shared);
        conn.wal_hook(Some(move |wal: &mut Wal, pages: c_int| {
            if pages >= INLINE_AT || (pages >= BACKGROUND_AT && !hook.nudge()) {
                // As SQLite's own automatic checkpoint: the commit stands whatever
                // happens here, and a checkpoint that cannot run now runs next time.
                if let Err(e) = wal.checkpoint() {
                    tracing::debug!(error = %e, "checkpoint by the writer did not run");
                }
            }
            Ok(())
        }))?;
        Ok(Checkpointer { shared })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let thread = {
            let mut state = self
                .shared
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            state.stop = true;
            state.thread.take()
        };
        self.shared.wake.notify_all();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::warn!("the checkpoint thread panicked");
        }
    }
}

impl Shared {
    /// Wakes the thread, starting it the first time; false when it cannot run, so the
    /// writer checkpoints itself.
    fn nudge(self: &Arc<Self>) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.stop {
            return false;
        }
        if state.thread.as_ref().is_some_and(JoinHandle::is_finished) {
            // It ended (its connection failed): the writer takes over for good.
            return false;
        }
        if state.thread.is_none() {
            let shared = Arc::clone(self);
            match std::thread::Builder::new()
                .name("comptoir-ckpt".into())
                .spawn(move || shared.run())
            {
                Ok(handle) => state.thread = Some(handle),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot start the checkpoint thread");
                    return false;
                }
            }
        }
        state.wanted = true;
        drop(state);
        self.wake.notify_one();
        true
    }

    /// The thread: one passive checkpoint per wake-up (wake-ups during one coalesce),
    /// until the store is closed.
    fn run(&self) {
        let conn = match open(&self.path) {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "the checkpoint thread cannot open the store");
                return;
            }
        };
        loop {
            {
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                while !state.wanted && !state.stop {
                    state = self
                        .wake
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                if state.stop {
                    return;
                }
                state.wanted = false;
            }
            // Passive: it copies what no reader still needs and never waits on the
            // writer; what it leaves is copied next time.
            if let Err(e) = conn.wal_checkpoint_v2(None::<&str>, CheckpointMode::PASSIVE) {
                tracing::debug!(error = %e, "background checkpoint did not run");
            }
        }
    }
}

fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.pragma_update(None, "synchronous", "normal")?;
    // Its own commits (none) must never checkpoint; only what it is asked to do.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(conn)
}
