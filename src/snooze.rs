//! Snoozed conversations wake by themselves at their time, whether or not a TUI is open:
//! `comptoir serve` (or the inbox that runs the channels) runs [`run`]. An open TUI also
//! wakes a due conversation itself within one poll, so agents see it at once.

use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;

use crate::store::SharedStore;

/// How often the next wake-up time is read: one indexed read, no write unless one is due
/// (a write would make every open TUI reload).
const EVERY: Duration = Duration::from_secs(1);

/// Wakes due snoozed conversations until `shutdown` turns true (or its sender goes).
pub async fn run(store: SharedStore, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
            }
        }
        let woke = store
            .call(|s| {
                let now = Timestamp::now();
                match s.next_wake()? {
                    Some(t) if t <= now => s.wake_snoozed(now),
                    _ => Ok(0),
                }
            })
            .await;
        match woke {
            Ok(0) => {}
            Ok(n) => tracing::info!(conversations = n, "snoozed conversations woke"),
            Err(e) => tracing::warn!(error = %e, "cannot wake snoozed conversations"),
        }
    }
}
