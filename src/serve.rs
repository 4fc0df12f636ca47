//! `comptoir serve`: the channels, headless, for a team host or a systemd unit.
//!
//! What runs today: one task per `[[email]]` account ([`account::run`]: sync, then IMAP
//! IDLE renewed before the server's timeout, reconnecting with full-jitter backoff, its
//! health recorded in the store for every TUI's status line), and the outbox, which sends the replies agents queue (from any
//! TUI on the store) through each account's SMTP server; and, with `[relay]`, the chat
//! relay on `relay.listen` for every `[[chat]]` inbox whose secret reads
//! ([`relay::server`]), whose replies the outbox hands to the visitors' event streams
//! and the inbox's `callback_url` ([`relay::channel`]). The social channels are not run yet.
//!
//! While it runs, `serve` holds the store's lock ([`ServeLock`] on
//! [`Paths::lock_file`]), so a second `serve` (or an inbox that would run the channels
//! itself) on the same data dir is refused instead of syncing the same mailboxes twice.

use std::collections::HashMap;
use std::fs::{File, TryLockError};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;

use crate::channels::email::account;
use crate::channels::email::smtp::SmtpChannel;
use crate::channels::relay::channel::ChatChannel;
use crate::channels::relay::continuity::EmailFollowUp;
use crate::channels::relay::{self, server::RelayState};
use crate::config::{Config, Paths, RelayConfig};
use crate::outbox::{Outbox, RetryPolicy};
use crate::store::{SharedStore, Store, StoreError};

/// Why `serve` could not start. Every message is one line and never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {}: {source}", path.display())]
    DataDir {
        /// The data directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The lock file could not be opened or locked for a reason other than another holder.
    #[error("cannot lock {}: {source}", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Another process holds the lock.
    #[error(
        "another `comptoir serve` (or an inbox running channels) holds {} (lock file {})",
        data_dir.display(),
        lock_file.display()
    )]
    Held {
        /// The data directory both processes want.
        data_dir: PathBuf,
        /// The lock file.
        lock_file: PathBuf,
    },
    /// The store could not be opened.
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// The exclusive lock on a data directory that the process running the channels holds.
/// It is released when the value is dropped (or the process ends, however it ends).
#[derive(Debug)]
pub struct ServeLock {
    _file: File,
}

impl ServeLock {
    /// Creates the data directory if needed and takes the lock on [`Paths::lock_file`]
    /// without waiting.
    ///
    /// # Errors
    /// [`ServeError::Held`] when another process has it; [`ServeError::DataDir`] or
    /// [`ServeError::Lock`] when the file system refuses.
    pub fn acquire(paths: &Paths) -> Result<ServeLock, ServeError> {
        std::fs::create_dir_all(&paths.data_dir).map_err(|source| ServeError::DataDir {
            path: paths.data_dir.clone(),
            source,
        })?;
        let lock_file = paths.lock_file();
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_file)
            .map_err(|source| ServeError::Lock {
                path: lock_file.clone(),
                source,
            })?;
        // Every agent's inbox opens it to see whether a serve runs (see `store::sharing`).
        crate::store::share_file(&lock_file, &paths.data_dir);
        match file.try_lock() {
            Ok(()) => Ok(ServeLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(ServeError::Held {
                data_dir: paths.data_dir.clone(),
                lock_file,
            }),
            Err(TryLockError::Error(source)) => Err(ServeError::Lock {
                path: lock_file,
                source,
            }),
        }
    }
}

/// Runs the channels until `shutdown` turns true (or its sender is dropped).
///
/// Opens the store, reads each email account's password once (an account whose secret
/// cannot be read is logged and skipped), runs every account in its own task and runs
/// the outbox with an SMTP sender per account, polling for replies other processes queue.
/// On shutdown each account leaves IDLE at once and a sync under way stops at its next
/// batch, bounded by its own timeouts. Returns when every task has ended. With no account to run it simply
/// waits for the shutdown.
///
/// # Errors
/// Only when the store cannot be opened; sync failures are logged and retried.
pub async fn run(
    cfg: &Config,
    paths: &Paths,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ServeError> {
    let store_file = paths.store_file();
    let open_path = store_file.clone();
    let store = tokio::task::spawn_blocking(move || Store::open(&open_path))
        .await
        .map_err(|e| StoreError::Invalid(format!("store task failed: {e}")))??;
    let store = SharedStore::new(store);
    tracing::info!(store = %store_file.display(), "serve started");
    let waker = tokio::spawn(crate::snooze::run(store.clone(), shutdown.clone()));

    let mut tasks = Vec::new();
    let mut outbox = Outbox::new(store.clone(), RetryPolicy::default());
    let mut senders = 0;
    // Each account's sender, shared with the chat inboxes that email through it.
    let mut smtp_senders: HashMap<String, Arc<SmtpChannel>> = HashMap::new();
    for account in &cfg.email {
        let what = format!("email {:?} password", account.name);
        let source = account.password.clone();
        let resolved = tokio::task::spawn_blocking(move || source.resolve(&what)).await;
        let password = match resolved {
            Ok(Ok(password)) => password,
            Ok(Err(e)) => {
                tracing::error!(account = %account.name, "account skipped: {e}");
                continue;
            }
            Err(e) => {
                tracing::error!(account = %account.name, "account skipped: {e}");
                continue;
            }
        };
        match SmtpChannel::new(account, password.clone()) {
            Ok(channel) => {
                let channel = Arc::new(channel.with_time_zone(cfg.agent.time_zone()));
                outbox.add_channel(channel.clone());
                smtp_senders.insert(account.name.clone(), channel);
                senders += 1;
            }
            Err(e) => tracing::error!(account = %account.name, "replies not sent: {e}"),
        }
        tasks.push(tokio::spawn(account::run(
            account.clone(),
            password,
            store.clone(),
            shutdown.clone(),
        )));
    }
    if let Some(relay) = &cfg.relay {
        let state = RelayState::from_config(store.clone(), &cfg.chat)
            .await
            .with_presence(
                crate::presence::BusinessHours::from_config(cfg.hours.as_ref()),
                cfg.presence,
            );
        senders += add_chat_channels(&mut outbox, &state, cfg, &store, &smtp_senders);
        if let Some(task) = start_relay(relay, state, shutdown.clone()).await {
            tasks.push(task);
        }
    }
    // Without a sender the outbox would only mark every reply failed; they wait queued
    // for a run that has one.
    if senders > 0 {
        let outbox = Arc::new(outbox);
        let stop = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = outbox.run(stop).await {
                tracing::error!("the outbox stopped: {e}");
            }
        }));
    }
    if tasks.is_empty() {
        tracing::warn!("no channel to run; waiting for the stop signal");
        let _ = shutdown.wait_for(|stop| *stop).await;
    }
    for task in tasks {
        if let Err(e) = task.await {
            tracing::error!("a channel task ended abnormally: {e}");
        }
    }
    let _ = waker.await;
    tracing::info!("serve stopped");
    Ok(())
}

/// Registers the outbound side of every chat inbox the relay serves: replies reach the
/// relay's event streams through its hub, the inbox's `callback_url` when set, and by
/// email through its `email_account` to a visitor who has left. Returns how many were
/// registered.
fn add_chat_channels(
    outbox: &mut Outbox,
    state: &RelayState,
    cfg: &Config,
    store: &SharedStore,
    smtp_senders: &HashMap<String, Arc<SmtpChannel>>,
) -> usize {
    let mut added = 0;
    for chat in &cfg.chat {
        let Some(secret) = state.secret(&chat.name) else {
            continue;
        };
        let mut channel = ChatChannel::new(chat.name.clone(), state.hub().clone(), store.clone());
        if let Some(account) = &chat.email_account {
            match smtp_senders.get(account) {
                Some(smtp) => {
                    channel = channel.with_email_follow_up(EmailFollowUp::new(
                        smtp.clone(),
                        state.stream_slots(),
                        store.clone(),
                    ));
                }
                // Its password or address failed above, which was logged.
                None => tracing::warn!(
                    inbox = %chat.name,
                    account = %account,
                    "replies to visitors who left are not emailed: the account cannot send"
                ),
            }
        }
        let channel = match &chat.callback_url {
            None => channel,
            Some(url) => match channel.with_callback(url.clone(), secret.clone()) {
                Ok(channel) => channel,
                Err(e) => {
                    tracing::error!(inbox = %chat.name, "chat replies not sent: {e}");
                    continue;
                }
            },
        };
        outbox.add_channel(Arc::new(channel));
        added += 1;
    }
    added
}

/// Binds the relay's address and runs it in a task. A relay that cannot start (its
/// address taken, no permission) is one logged line and the other channels keep
/// running: mail must not stop because a port is busy, and the chat backends retry
/// until the relay is back.
async fn start_relay(
    relay: &RelayConfig,
    state: RelayState,
    shutdown: watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let listener = match tokio::net::TcpListener::bind(&relay.listen).await {
        Ok(listener) => listener,
        Err(e) => {
            tracing::error!(
                "the relay is not running: cannot listen on {}: {e}",
                relay.listen
            );
            return None;
        }
    };
    let addr = listener
        .local_addr()
        .map_or_else(|_| relay.listen.clone(), |a| a.to_string());
    let inboxes = state.inboxes().count();
    tracing::info!(%addr, inboxes, "relay listening");
    Some(tokio::spawn(relay::server::serve(
        listener, state, shutdown,
    )))
}
