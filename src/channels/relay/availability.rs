//! Whether the chat is live, watched for the open event streams: one task per relay
//! reads it ([`status::current`]) every [`POLL`] while at least one stream listens, and
//! the streams send a `status` event when it changes. One reader for every stream keeps
//! the cost flat however many visitors are connected; with no stream open, the task
//! ends, and the next stream starts it again.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;

use super::server::RelayState;
use super::status;

/// How often availability is read while streams listen: an agent who goes away is
/// shown within this (plus the presence grace period).
pub const POLL: Duration = Duration::from_secs(5);

/// The latest answer (`None` before the first read) and whether a reader task runs.
#[derive(Debug)]
pub struct AvailabilityWatch {
    latest: watch::Sender<Option<bool>>,
    running: Mutex<bool>,
}

impl Default for AvailabilityWatch {
    fn default() -> Self {
        AvailabilityWatch {
            latest: watch::Sender::new(None),
            running: Mutex::new(false),
        }
    }
}

/// Changes of availability for one stream, starting the reader if none runs.
#[must_use]
pub fn subscribe(state: &RelayState) -> watch::Receiver<Option<bool>> {
    let watch = Arc::clone(state.availability());
    let receiver = watch.latest.subscribe();
    let mut running = watch.running.lock().unwrap_or_else(PoisonError::into_inner);
    if !*running {
        *running = true;
        tokio::spawn(read_while_watched(state.clone(), Arc::clone(&watch)));
    }
    receiver
}

async fn read_while_watched(state: RelayState, watch: Arc<AvailabilityWatch>) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        {
            // Checked under the lock `subscribe` takes, so a stream that subscribes
            // now either is counted here or starts a new task.
            let mut running = watch.running.lock().unwrap_or_else(PoisonError::into_inner);
            if watch.latest.receiver_count() == 0 {
                *running = false;
                watch.latest.send_replace(None);
                return;
            }
        }
        match status::current(&state, Timestamp::now()).await {
            Ok(chat) => {
                watch.latest.send_if_modified(|latest| {
                    let changed = *latest != Some(chat.live);
                    *latest = Some(chat.live);
                    changed
                });
            }
            Err(e) => tracing::debug!("chat availability not read: {e}"),
        }
    }
}
