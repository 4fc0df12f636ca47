//! Token buckets for the browser routes: one per visitor, so one chatty tab cannot flood
//! a conversation, and one per inbox, so a crowd of fresh visitor ids cannot flood the
//! queue. The signed backend route is not limited here: it is the shop's own server.
//!
//! Memory stays bounded without a timer: a bucket that has refilled is the same as no
//! bucket, so full ones are dropped whenever the table grows past [`EVICT_ABOVE`]; and
//! every take also needs the inbox's bucket, so at most about
//! `global.burst + global.per_second × visitor refill time` visitor buckets per inbox
//! are not full at any moment (150 with the defaults).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// A bucket's shape: how many requests may come at once, and how fast that refills.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket {
    /// Requests allowed in a burst (the bucket's size).
    pub burst: f64,
    /// Tokens added per second.
    pub per_second: f64,
}

/// The limits the browser routes share.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimits {
    /// Per visitor: a person types a few messages in a row, not a dozen a second.
    pub visitor: Bucket,
    /// Per inbox, all visitors together: far above a shop's real traffic.
    pub inbox: Bucket,
}

/// Per visitor: 5 messages at once, then 1 a second.
pub const VISITOR_BUCKET: Bucket = Bucket {
    burst: 5.0,
    per_second: 1.0,
};

/// Per inbox: 50 requests at once, then 20 a second.
pub const INBOX_BUCKET: Bucket = Bucket {
    burst: 50.0,
    per_second: 20.0,
};

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            visitor: VISITOR_BUCKET,
            inbox: INBOX_BUCKET,
        }
    }
}

/// Above this many visitor buckets, the full ones are dropped.
pub const EVICT_ABOVE: usize = 1024;

/// Why a request must wait: which bucket is empty, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    /// Until a token is back.
    pub retry_after: Duration,
    /// Which limit it hit, for the 429's body.
    pub reason: &'static str,
}

#[derive(Clone, Copy, Debug)]
struct Level {
    tokens: f64,
    at: Instant,
}

impl Level {
    fn refill(&mut self, shape: Bucket, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * shape.per_second).min(shape.burst);
        self.at = now;
    }

    /// How long until one token is there (zero when it already is).
    fn wait(&self, shape: Bucket) -> Duration {
        if self.tokens >= 1.0 {
            return Duration::ZERO;
        }
        if shape.per_second <= 0.0 {
            return Duration::MAX;
        }
        Duration::try_from_secs_f64((1.0 - self.tokens) / shape.per_second).unwrap_or(Duration::MAX)
    }
}

#[derive(Debug, Default)]
struct Levels {
    visitors: HashMap<(String, String), Level>,
    inboxes: HashMap<String, Level>,
}

/// The buckets of every inbox and visitor, behind one lock (a take is a few
/// arithmetic operations).
#[derive(Debug)]
pub struct Limiter {
    limits: RateLimits,
    levels: Mutex<Levels>,
}

impl Limiter {
    /// Empty buckets table with these shapes.
    #[must_use]
    pub fn new(limits: RateLimits) -> Limiter {
        Limiter {
            limits,
            levels: Mutex::new(Levels::default()),
        }
    }

    /// Takes a token from `inbox`'s bucket and, when a visitor is known, from theirs;
    /// either both or neither, so a refused request costs nothing.
    ///
    /// # Errors
    /// [`Limited`] when a bucket is empty.
    pub fn take(&self, inbox: &str, visitor: Option<&str>, now: Instant) -> Result<(), Limited> {
        let mut levels = self.levels.lock().unwrap_or_else(PoisonError::into_inner);
        let full = |shape: Bucket| Level {
            tokens: shape.burst,
            at: now,
        };
        let mut inbox_level = levels
            .inboxes
            .get(inbox)
            .copied()
            .unwrap_or_else(|| full(self.limits.inbox));
        inbox_level.refill(self.limits.inbox, now);
        let key = visitor.map(|v| (inbox.to_owned(), v.to_owned()));
        let mut visitor_level = key.as_ref().map(|key| {
            let mut level = levels
                .visitors
                .get(key)
                .copied()
                .unwrap_or_else(|| full(self.limits.visitor));
            level.refill(self.limits.visitor, now);
            level
        });
        if let Some(level) = &visitor_level {
            let wait = level.wait(self.limits.visitor);
            if !wait.is_zero() {
                return Err(Limited {
                    retry_after: wait,
                    reason: "this visitor is sending too fast",
                });
            }
        }
        let wait = inbox_level.wait(self.limits.inbox);
        if !wait.is_zero() {
            return Err(Limited {
                retry_after: wait,
                reason: "this chat inbox is receiving too much; try again shortly",
            });
        }
        inbox_level.tokens -= 1.0;
        levels.inboxes.insert(inbox.to_owned(), inbox_level);
        if let (Some(key), Some(level)) = (key, visitor_level.as_mut()) {
            level.tokens -= 1.0;
            levels.visitors.insert(key, *level);
            if levels.visitors.len() > EVICT_ABOVE {
                let shape = self.limits.visitor;
                levels.visitors.retain(|_, level| {
                    level.refill(shape, now);
                    level.tokens < shape.burst
                });
            }
        }
        Ok(())
    }

    /// How many visitor buckets are kept (for tests of the memory bound).
    #[must_use]
    pub fn tracked_visitors(&self) -> usize {
        self.levels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .visitors
            .len()
    }
}

/// A `Retry-After` value: whole seconds, rounded up, at least 1.
#[must_use]
pub fn retry_after_seconds(wait: Duration) -> u64 {
    let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    whole.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(visitor: f64, inbox: f64) -> Limiter {
        Limiter::new(RateLimits {
            visitor: Bucket {
                burst: visitor,
                per_second: 1.0,
            },
            inbox: Bucket {
                burst: inbox,
                per_second: 2.0,
            },
        })
    }

    #[test]
    fn a_visitor_gets_the_burst_then_waits_for_the_refill() {
        let l = limiter(3.0, 100.0);
        let t0 = Instant::now();
        for _ in 0..3 {
            l.take("site", Some("v"), t0).unwrap();
        }
        let refused = l.take("site", Some("v"), t0).unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_secs(1));
        assert!(refused.reason.contains("visitor"));
        // Another visitor is not held up by the first.
        l.take("site", Some("w"), t0).unwrap();
        // Half a token back is not enough; a whole one is.
        let half = l
            .take("site", Some("v"), t0 + Duration::from_millis(500))
            .unwrap_err();
        assert_eq!(half.retry_after, Duration::from_millis(500));
        l.take("site", Some("v"), t0 + Duration::from_secs(1))
            .unwrap();
    }

    #[test]
    fn the_inbox_bucket_holds_every_visitor_and_a_refusal_costs_nothing() {
        let l = limiter(5.0, 4.0);
        let t0 = Instant::now();
        for v in ["a", "b", "c", "d"] {
            l.take("site", Some(v), t0).unwrap();
        }
        let refused = l.take("site", Some("e"), t0).unwrap_err();
        assert!(refused.reason.contains("inbox"));
        assert_eq!(refused.retry_after, Duration::from_millis(500));
        // Other inboxes have their own bucket.
        l.take("other", None, t0).unwrap();
        // Visitor "e" was charged nothing: after the inbox refills it has its full burst.
        let later = t0 + Duration::from_secs(10);
        for _ in 0..4 {
            l.take("site", Some("e"), later).unwrap();
        }
    }

    #[test]
    fn full_buckets_are_evicted_past_the_bound() {
        let l = Limiter::new(RateLimits {
            visitor: VISITOR_BUCKET,
            inbox: Bucket {
                burst: 1e9,
                per_second: 1e9,
            },
        });
        let t0 = Instant::now();
        for i in 0..=EVICT_ABOVE {
            l.take("site", Some(&format!("v{i}")), t0).unwrap();
        }
        assert!(l.tracked_visitors() > EVICT_ABOVE);
        // Once they have refilled, the next insert drops them all but the newest.
        l.take("site", Some("late"), t0 + Duration::from_secs(60))
            .unwrap();
        assert_eq!(l.tracked_visitors(), 1);
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
    }
}
