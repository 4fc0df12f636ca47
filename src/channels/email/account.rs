//! One email account's whole life: connect, sync, wait in IDLE (or poll), sync again on
//! every wake, and after a failure reconnect with backoff and resume from the last stored
//! UID. Each step is written to the store as the account's health, for every TUI's status
//! line, wherever the channels run.
//!
//! The server pushes through IDLE on the first configured folder only (one connection
//! per account); the other folders are synced at every wake and at least every
//! `poll_seconds`. The IDLE is renewed well before RFC 2177's 29 minutes, and while
//! idling the store is looked at every few seconds so an agent's "fetch older", written
//! by a TUI in another process, is served within seconds.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::{broadcast, watch};

use super::imap::{Connection, ImapError, Progress, SyncOptions, SyncPlan, SyncReport};
use crate::config::EmailAccount;
use crate::model::{Channel, ChannelHealth, HealthState};
use crate::outbox::RetryPolicy;
use crate::secret::SecretString;
use crate::store::{SharedStore, StoreError};

/// How long an IDLE lasts before it is ended and sent again, when not configured: well
/// under the 29 minutes after which RFC 2177 allows a server to log an idle client out.
pub const DEFAULT_IDLE_RENEW: Duration = Duration::from_secs(25 * 60);

/// How often, while waiting, the store is asked whether an agent wants older mail.
pub const DEFAULT_STORE_CHECK: Duration = Duration::from_secs(2);

/// How a running account paces itself; the account itself comes from the config.
#[derive(Clone, Debug)]
pub struct AccountOptions {
    /// Batch size and timeouts of every sync pass.
    pub sync: SyncOptions,
    /// An IDLE is ended and sent again after this long.
    pub idle_renew: Duration,
    /// While waiting, how often the store is checked for an agent's "fetch older".
    pub store_check: Duration,
    /// The reconnect backoff after a failure (full jitter); a refused login waits its
    /// `cap` every time, so a wrong password does not hammer the server.
    pub retry: RetryPolicy,
    /// How long a goodbye (ending the IDLE, LOGOUT) may take at shutdown.
    pub logout_timeout: Duration,
    /// Every health change is also sent here, for a front end in the same process (or a
    /// test) that wants each transition rather than polling the store.
    pub health: Option<broadcast::Sender<ChannelHealth>>,
}

impl Default for AccountOptions {
    fn default() -> Self {
        AccountOptions {
            sync: SyncOptions::default(),
            idle_renew: DEFAULT_IDLE_RENEW,
            store_check: DEFAULT_STORE_CHECK,
            retry: reconnect_policy(),
            logout_timeout: Duration::from_secs(2),
            health: None,
        }
    }
}

/// The reconnect backoff after failed syncs: full jitter, from 2 s up to 5 minutes.
#[must_use]
pub fn reconnect_policy() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_secs(2),
        cap: Duration::from_secs(5 * 60),
        ..RetryPolicy::default()
    }
}

/// Runs `account` with the default options until `shutdown` turns true (or its sender is
/// dropped); see [`run_with`].
pub async fn run(
    account: EmailAccount,
    password: SecretString,
    store: SharedStore,
    shutdown: watch::Receiver<bool>,
) {
    run_with(
        account,
        password,
        store,
        shutdown,
        AccountOptions::default(),
    )
    .await;
}

/// Runs `account` until `shutdown` turns true (or its sender is dropped): connect, sync,
/// IDLE or poll, and again; every failure is logged, shown in the health and retried
/// after a backoff. Returns promptly on shutdown, even from inside an IDLE, with the
/// health `Stopped`.
pub async fn run_with(
    account: EmailAccount,
    password: SecretString,
    store: SharedStore,
    mut shutdown: watch::Receiver<bool>,
    options: AccountOptions,
) {
    let mut health = Health {
        store: store.clone(),
        account: account.name.clone(),
        last: None,
        events: options.health.clone(),
    };
    let life = Life {
        account: &account,
        password: &password,
        store: &store,
        options: &options,
    };
    let mut rng = fastrand::Rng::new();
    let mut failures: u32 = 0;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let error = match life
            .connected(&mut health, &mut shutdown, &mut failures)
            .await
        {
            Ok(()) => break,
            Err(e) => e,
        };
        let text = error.to_string();
        let wait = if matches!(error, ImapError::Auth { .. }) {
            tracing::error!(account = %account.name, "email login refused: {text}");
            health
                .set(HealthState::AuthFailed, None, None, Some(text))
                .await;
            options.retry.cap
        } else {
            failures = failures.saturating_add(1);
            let delay = options.retry.delay(failures, &mut rng);
            tracing::warn!(
                account = %account.name,
                failures,
                retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "email sync failed: {text}"
            );
            let until = SignedDuration::try_from(delay)
                .ok()
                .and_then(|d| Timestamp::now().checked_add(d).ok());
            health
                .set(HealthState::Backoff, None, until, Some(text))
                .await;
            delay
        };
        if until_shutdown(&mut shutdown, tokio::time::sleep(wait))
            .await
            .is_none()
        {
            break;
        }
    }
    health.set(HealthState::Stopped, None, None, None).await;
    tracing::info!(account = %account.name, "email account stopped");
}

/// What every step of an account's life needs.
struct Life<'a> {
    account: &'a EmailAccount,
    password: &'a SecretString,
    store: &'a SharedStore,
    options: &'a AccountOptions,
}

impl Life<'_> {
    /// One connection's life: `Ok` on shutdown (after a best-effort goodbye), the error
    /// that ended it otherwise.
    async fn connected(
        &self,
        health: &mut Health,
        shutdown: &mut watch::Receiver<bool>,
        failures: &mut u32,
    ) -> Result<(), ImapError> {
        health.set(HealthState::Connecting, None, None, None).await;
        let open = Connection::open(self.account, self.password.expose(), &self.options.sync);
        let Some(connection) = until_shutdown(shutdown, open).await else {
            return Ok(());
        };
        let mut connection = connection?;
        let result = self
            .serve(&mut connection, health, shutdown, failures)
            .await;
        // A broken connection has nobody to say goodbye to.
        if result.is_ok() {
            connection.logout(self.options.logout_timeout).await;
        }
        result
    }

    /// Sync, wait, sync again, until shutdown (`Ok`) or a failure.
    async fn serve(
        &self,
        connection: &mut Connection<'_>,
        health: &mut Health,
        shutdown: &mut watch::Receiver<bool>,
        failures: &mut u32,
    ) -> Result<(), ImapError> {
        let poll = Duration::from_secs(u64::from(self.account.poll_seconds));
        let idle_folder = self
            .account
            .folders
            .first()
            .filter(|_| connection.supports_idle());
        loop {
            let Some(synced) = until_shutdown(shutdown, self.sync(connection, health)).await else {
                return Ok(());
            };
            synced?;
            // Connected and up to date: the next failure starts the backoff afresh.
            *failures = 0;
            match idle_folder {
                Some(folder) => {
                    // Other folders get no push, so the IDLE ends in time to poll them.
                    let limit = if self.account.folders.len() > 1 {
                        self.options.idle_renew.min(poll)
                    } else {
                        self.options.idle_renew
                    };
                    health.set(HealthState::Idle, None, None, None).await;
                    let idle = connection.idle(folder, self.wake_after(limit));
                    let Some(woke) = until_shutdown(shutdown, idle).await else {
                        return Ok(());
                    };
                    let wake = woke?;
                    tracing::debug!(account = %self.account.name, ?wake, "IDLE ended");
                }
                None => {
                    health.set(HealthState::Polling, None, None, None).await;
                    if until_shutdown(shutdown, self.wake_after(poll))
                        .await
                        .is_none()
                    {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// One sync pass: what is new in every folder, then any older mail an agent asked
    /// for, with the progress in the health.
    async fn sync(
        &self,
        connection: &mut Connection<'_>,
        health: &mut Health,
    ) -> Result<(), ImapError> {
        let plan = connection.plan_new(self.account, self.store).await?;
        self.run_plan(connection, health, plan).await?;
        if self.older_pending().await? {
            let plan = connection.plan_older(self.account, self.store).await?;
            self.run_plan(connection, health, plan).await?;
        }
        Ok(())
    }

    async fn run_plan(
        &self,
        connection: &mut Connection<'_>,
        health: &mut Health,
        plan: SyncPlan,
    ) -> Result<(), ImapError> {
        let total = plan.total();
        if total > 0 {
            health
                .set(HealthState::Syncing, Some((0, total)), None, None)
                .await;
        }
        let mut progress = Counted {
            health,
            done: 0,
            total,
        };
        let report = connection
            .run(self.account, self.store, plan, &mut progress)
            .await?;
        log_report(&self.account.name, &report);
        Ok(())
    }

    /// Whether an agent asked for older mail in a configured folder (a request for a
    /// folder no longer configured could never be served, and must not wake us forever).
    async fn older_pending(&self) -> Result<bool, StoreError> {
        let (name, folders) = (self.account.name.clone(), self.account.folders.clone());
        self.store
            .call(move |s| {
                if !s.email_older_pending(&name)? {
                    return Ok(false);
                }
                for folder in &folders {
                    if s.email_horizon(&name, folder)?
                        .is_some_and(|h| h.older_days_requested > 0)
                    {
                        return Ok(true);
                    }
                }
                Ok(false)
            })
            .await
    }

    /// Completes after `limit`, or sooner when an agent asks for older mail.
    async fn wake_after(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        let check = self.options.store_check.max(Duration::from_millis(10));
        loop {
            let next = (tokio::time::Instant::now() + check).min(deadline);
            tokio::time::sleep_until(next).await;
            if next >= deadline {
                return;
            }
            match self.older_pending().await {
                Ok(true) => return,
                Ok(false) => {}
                // The store's trouble shows elsewhere; the wait goes on.
                Err(e) => tracing::debug!(account = %self.account.name, "store check: {e}"),
            }
        }
    }
}

/// A sync pass's progress, into the health after each committed batch.
struct Counted<'h> {
    health: &'h mut Health,
    done: u64,
    total: u64,
}

impl Progress for Counted<'_> {
    async fn committed(&mut self, messages: u64) {
        self.done = self.done.saturating_add(messages).min(self.total);
        self.health
            .set(
                HealthState::Syncing,
                Some((self.done, self.total)),
                None,
                None,
            )
            .await;
    }
}

/// How old the written health may get before the same health is written again. The IDLE
/// renewal (or a poll) calls [`Health::set`] at least every 25 minutes, so a live
/// account's row is never older than that; `tui::view::health::STALE_AFTER` is an hour.
const HEALTH_HEARTBEAT: SignedDuration = SignedDuration::from_mins(10);

/// The account's health as last written, so the same health is not written twice.
struct Health {
    store: SharedStore,
    account: String,
    last: Option<ChannelHealth>,
    events: Option<broadcast::Sender<ChannelHealth>>,
}

impl Health {
    async fn set(
        &mut self,
        state: HealthState,
        progress: Option<(u64, u64)>,
        until: Option<Timestamp>,
        last_error: Option<String>,
    ) {
        let health = ChannelHealth {
            channel: Channel::Email,
            account: self.account.clone(),
            state,
            done: progress.map(|(done, _)| done),
            total: progress.map(|(_, total)| total),
            until,
            last_error,
            updated_at: Timestamp::now(),
        };
        // An unchanged health is still rewritten now and then: the TUI marks a "working"
        // row nobody has rewritten for an hour as stale (its process died).
        if self.last.as_ref().is_some_and(|last| {
            health.updated_at.duration_since(last.updated_at) < HEALTH_HEARTBEAT
                && ChannelHealth {
                    updated_at: health.updated_at,
                    ..last.clone()
                } == health
        }) {
            return;
        }
        let record = health.clone();
        if let Err(e) = self
            .store
            .call(move |s| s.set_channel_health(&record))
            .await
        {
            // Health is for show; the account goes on without it.
            tracing::warn!(account = %self.account, "cannot record the account's health: {e}");
        }
        if let Some(events) = &self.events {
            // Nobody listening is fine.
            let _ = events.send(health.clone());
        }
        self.last = Some(health);
    }
}

/// `work`'s output, or `None` as soon as `shutdown` turns true or its sender is dropped
/// (then nobody can ask us to stop any more: stop now).
async fn until_shutdown<T>(
    shutdown: &mut watch::Receiver<bool>,
    work: impl Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        _ = shutdown.wait_for(|stop| *stop) => None,
        out = work => Some(out),
    }
}

fn log_report(account: &str, report: &SyncReport) {
    let (mut fetched, mut stored, mut duplicates, mut dead_letters) = (0, 0, 0, 0);
    for folder in &report.folders {
        fetched += folder.fetched;
        stored += folder.stored;
        duplicates += folder.duplicates;
        dead_letters += folder.dead_letters;
        if folder.uidvalidity_changed {
            tracing::warn!(account, folder = %folder.folder, "UIDVALIDITY changed; folder read afresh");
        }
    }
    if fetched > 0 {
        tracing::info!(
            account,
            folders = report.folders.len(),
            fetched,
            stored,
            duplicates,
            dead_letters,
            "email sync done"
        );
    }
}
