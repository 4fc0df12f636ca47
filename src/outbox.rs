//! The one door out: replies are rows first (written by [`Store::queue_reply`]), then
//! delivery attempts through their channel with capped exponential backoff and full
//! jitter, then `sent` with the channel's id, or `failed` with the reason for the agent.
//!
//! Only one outbox runs per store (the process that holds the store's lock). When it
//! starts, replies a killed process left `sending` go back to the queue with their
//! idempotency key, so a channel that had already taken one can drop the repeat.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::join_all;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::{Notify, watch};

use crate::channels::{Channel, Delivered, Outbound, SendError};
use crate::model;
use crate::store::{SharedStore, Store, StoreError};

/// How failed attempts are spaced and when the outbox gives up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The ceiling of the first retry's delay.
    pub base: Duration,
    /// No delay is ever longer than this.
    pub cap: Duration,
    /// After this many attempts a reply is marked failed.
    pub max_attempts: u32,
    /// An attempt that takes longer counts as failed (and may be retried).
    pub send_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(15 * 60),
            max_attempts: 10,
            send_timeout: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The longest delay after attempt number `attempt` (1-based) failed:
    /// `min(cap, base × 2^(attempt-1))`.
    #[must_use]
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.base
            .checked_mul(1u32 << doublings)
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// The delay after attempt `attempt` failed: uniform in `[0, ceiling]` ("full
    /// jitter"), so many replies failing together (a channel outage) do not all retry in
    /// the same instant when it comes back.
    #[must_use]
    pub fn delay(&self, attempt: u32, rng: &mut fastrand::Rng) -> Duration {
        let ceiling = u64::try_from(self.ceiling(attempt).as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rng.u64(0..=ceiling))
    }

    /// How long a claimed reply stays ours before another outbox may take it over: well
    /// past the send timeout, so a slow but live attempt is never doubled.
    #[must_use]
    pub fn lease(&self) -> Duration {
        self.send_timeout.saturating_mul(2) + Duration::from_secs(5)
    }
}

/// Delivers the store's queued replies through the channels registered with it.
pub struct Outbox {
    store: SharedStore,
    channels: HashMap<(model::Channel, String), Arc<dyn Channel>>,
    policy: RetryPolicy,
    rng: Mutex<fastrand::Rng>,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("channels", &self.channels.keys().collect::<Vec<_>>())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// How many replies one pass handles at most, so a long backlog does not hold the
/// store's write lock or starve the other tasks.
const BATCH: u32 = 32;

/// How often the outbox looks for replies written by another process (a TUI) when
/// nothing wakes it sooner. A look is one indexed read; at 100 ms a visitor waiting in
/// the chat sees the agent's reply a tenth of a second after it was queued, not half a
/// second.
const POLL: Duration = Duration::from_millis(100);

impl Outbox {
    /// An outbox over `store` with no channels yet.
    #[must_use]
    pub fn new(store: SharedStore, policy: RetryPolicy) -> Self {
        Outbox {
            store,
            channels: HashMap::new(),
            policy,
            rng: Mutex::new(fastrand::Rng::new()),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Registers the sender of one channel account.
    pub fn add_channel(&mut self, channel: Arc<dyn Channel>) {
        self.channels
            .insert((channel.kind(), channel.account().to_owned()), channel);
    }

    /// A handle that makes [`Outbox::run`] look at the queue at once (after this process
    /// queued a reply), instead of at its next poll.
    #[must_use]
    pub fn waker(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Requeues what a dead process left `sending`, then delivers until `shutdown` turns
    /// true or its sender is dropped. Attempts under way when it does are finished or time out first.
    ///
    /// # Errors
    /// A store failure that persists; transient ones (busy) are logged and retried.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) -> Result<(), StoreError> {
        let requeued = self
            .store
            .call(|s| s.requeue_interrupted(Timestamp::now()))
            .await?;
        if requeued > 0 {
            tracing::info!(
                requeued,
                "replies interrupted by a previous run are queued again"
            );
        }
        while !*shutdown.borrow() {
            match self.deliver_due().await {
                Ok(_) => {}
                Err(StoreError::Busy) => tracing::debug!("store busy; the outbox tries again"),
                Err(e) => return Err(e),
            }
            let wait = match self.store.call(Store::next_due).await {
                Ok(Some(due)) => due
                    .duration_since(Timestamp::now())
                    .max(SignedDuration::ZERO)
                    .unsigned_abs()
                    .min(POLL),
                _ => POLL,
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.wake.notified() => {}
                changed = shutdown.changed() => {
                    // A dropped sender can never ask us to stop: stop now rather than spin.
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// One pass: claims the replies that are due and attempts each once. Replies of one
    /// thread go in order, one after the other; different threads go concurrently, so
    /// one hanging conversation does not hold up the others. Returns how many it tried.
    ///
    /// # Errors
    /// A store failure.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let lease = self.policy.lease();
        let due = self
            .store
            .call(move |s| s.claim_due(Timestamp::now(), lease, BATCH))
            .await?;
        let count = due.len();
        let mut threads: BTreeMap<(model::Channel, String, String), Vec<Outbound>> =
            BTreeMap::new();
        for reply in due {
            threads
                .entry((
                    reply.channel,
                    reply.account.clone(),
                    reply.thread_key.clone(),
                ))
                .or_default()
                .push(reply);
        }
        let results = join_all(threads.into_values().map(|replies| async move {
            for reply in replies {
                let result = self.attempt(&reply).await;
                self.record(&reply, result).await?;
            }
            Ok::<(), StoreError>(())
        }))
        .await;
        results.into_iter().collect::<Result<Vec<()>, _>>()?;
        Ok(count)
    }

    async fn attempt(&self, reply: &Outbound) -> Result<Delivered, SendError> {
        let Some(channel) = self.channels.get(&(reply.channel, reply.account.clone())) else {
            return Err(SendError::Permanent(format!(
                "no {} account named {:?} is configured",
                reply.channel, reply.account
            )));
        };
        match tokio::time::timeout(self.policy.send_timeout, channel.send(reply)).await {
            Ok(result) => result,
            Err(_) => Err(SendError::Transient {
                reason: format!(
                    "no answer from {} within {} s",
                    reply.channel,
                    self.policy.send_timeout.as_secs()
                ),
                retry_after: None,
            }),
        }
    }

    async fn record(
        &self,
        reply: &Outbound,
        result: Result<Delivered, SendError>,
    ) -> Result<(), StoreError> {
        let id = reply.message_id;
        match result {
            Ok(delivered) => {
                tracing::info!(message = %id, channel = %reply.channel, attempt = reply.attempt, "reply sent");
                self.store
                    .call(move |s| {
                        s.record_sent(id, &delivered.channel_message_id, Timestamp::now())
                    })
                    .await
            }
            Err(error) => {
                let retry_at = self.next_attempt(reply.attempt, &error);
                let reason = match (&error, retry_at) {
                    (SendError::Transient { .. }, None) => {
                        format!("gave up after {} attempts: {error}", reply.attempt)
                    }
                    _ => error.to_string(),
                };
                tracing::warn!(message = %id, channel = %reply.channel, attempt = reply.attempt, reason, "reply not sent");
                self.store
                    .call(move |s| s.record_failure(id, &reason, retry_at, Timestamp::now()))
                    .await
            }
        }
    }

    /// When to try again after a failed attempt, or `None` to give up.
    fn next_attempt(&self, attempt: u32, error: &SendError) -> Option<Timestamp> {
        let SendError::Transient { retry_after, .. } = error else {
            return None;
        };
        if attempt >= self.policy.max_attempts {
            return None;
        }
        let jittered = {
            let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
            self.policy.delay(attempt, &mut rng)
        };
        let delay = retry_after.map_or(jittered, |asked| asked.max(jittered));
        let delay = SignedDuration::try_from(delay).unwrap_or(SignedDuration::MAX);
        Timestamp::now().checked_add(delay).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_up_to_the_cap() {
        let p = RetryPolicy {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
            max_attempts: 10,
            send_timeout: Duration::from_secs(10),
        };
        let ceilings: Vec<u64> = (1..=8).map(|a| p.ceiling(a).as_secs()).collect();
        assert_eq!(ceilings, vec![2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(p.ceiling(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn delays_are_jittered_within_the_ceiling() {
        let p = RetryPolicy::default();
        let mut rng = fastrand::Rng::with_seed(7);
        for attempt in 1..=12 {
            let samples: Vec<Duration> = (0..200).map(|_| p.delay(attempt, &mut rng)).collect();
            let ceiling = p.ceiling(attempt);
            assert!(samples.iter().all(|d| *d <= ceiling), "attempt {attempt}");
            // Full jitter spreads over the whole range, not just near the ceiling.
            assert!(
                samples.iter().any(|d| *d < ceiling / 4),
                "attempt {attempt}"
            );
            assert!(
                samples.iter().any(|d| *d > ceiling / 2),
                "attempt {attempt}"
            );
        }
    }
}
