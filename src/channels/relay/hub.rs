//! The in-process hub that tells open visitor streams (server-sent events) that their
//! conversation has something new: a visitor's message just committed, or an agent's
//! reply the outbox just delivered.
//!
//! A notice carries only the visitor id, never the message: the stream reads what is
//! new from the store, by id, so the store stays the one source of truth and a stream
//! can neither skip a message nor send one twice, whatever order notices come in (a
//! reply queued before a visitor's message is delivered after it, for instance).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::broadcast;

/// How many notices an inbox's channel holds for a slow stream; a stream that falls
/// further behind reads the store again, so it loses nothing but the shortcut.
const CAPACITY: usize = 256;

/// One broadcast channel per chat inbox, created when its first stream subscribes.
#[derive(Clone, Debug, Default)]
pub struct Hub {
    inboxes: Arc<Mutex<HashMap<String, broadcast::Sender<Arc<str>>>>>,
}

impl Hub {
    /// A hub with no inbox yet.
    #[must_use]
    pub fn new() -> Hub {
        Hub::default()
    }

    /// Notices for `inbox`: the ids of visitors whose conversation changed.
    #[must_use]
    pub fn subscribe(&self, inbox: &str) -> broadcast::Receiver<Arc<str>> {
        let mut inboxes = self.inboxes.lock().unwrap_or_else(PoisonError::into_inner);
        inboxes
            .entry(inbox.to_owned())
            .or_insert_with(|| broadcast::channel(CAPACITY).0)
            .subscribe()
    }

    /// Tells `inbox`'s streams that `visitor_id`'s conversation changed. With no stream
    /// open there is no one to tell: a visitor who connects later reads the store.
    pub fn publish(&self, inbox: &str, visitor_id: &str) {
        let inboxes = self.inboxes.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(sender) = inboxes.get(inbox) {
            // An error only means no receiver is left, which is fine.
            let _ = sender.send(Arc::from(visitor_id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn notices_reach_the_inbox_subscribers_only() {
        let hub = Hub::new();
        hub.publish("site", "v_before");
        let mut site = hub.subscribe("site");
        let mut other = hub.subscribe("other");
        hub.publish("site", "v_1");
        assert_eq!(&*site.recv().await.unwrap(), "v_1");
        assert!(other.try_recv().is_err());
    }
}
