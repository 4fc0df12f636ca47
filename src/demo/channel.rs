//! The demo channels: they pretend to deliver replies, after a delay, in each channel's style.

use super::*;

/// A pretend sender for one demo channel account: it takes each reply after
/// [`DemoChannel::delay`], so the agent sees it go from queued to sent, and answers with a
/// made-up id in the channel's style.
///
/// Replies to [`FAILING_CUSTOMER`] ("Bruno Échec", who closed his old mailbox) fail
/// permanently on their first attempt, with the reason a real channel would give (`550
/// 5.1.1 … mailbox unavailable` on email, "recipient is not reachable" elsewhere); any
/// later attempt with the same idempotency key goes through. So the agent sees a failed
/// reply, presses retry, and sees it sent.
pub struct DemoChannel {
    kind: Channel,
    account: String,
    delay: Duration,
    failing_peers: Vec<String>,
    /// Idempotency keys of the failing customer's replies already refused once.
    refused: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for DemoChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoChannel")
            .field("kind", &self.kind)
            .field("account", &self.account)
            .field("delay", &self.delay)
            .finish_non_exhaustive()
    }
}

impl DemoChannel {
    /// How long a demo delivery takes unless told otherwise: long enough to see the
    /// reply queued, short enough not to bore.
    pub const DEFAULT_DELAY: Duration = Duration::from_millis(1500);

    /// A sender for one demo account, with [`DemoChannel::DEFAULT_DELAY`].
    #[must_use]
    pub fn new(kind: Channel, account: &str) -> Self {
        let failing_peers = PEOPLE
            .iter()
            .enumerate()
            .filter(|(_, p)| p.name == FAILING_CUSTOMER)
            .flat_map(|(i, p)| {
                p.convs
                    .iter()
                    .map(move |(c, _)| contact(i, p, *c).handle.to_lowercase())
            })
            .collect();
        DemoChannel {
            kind,
            account: account.to_owned(),
            delay: Self::DEFAULT_DELAY,
            failing_peers,
            refused: Mutex::new(HashSet::new()),
        }
    }

    /// The same sender, taking `delay` for each delivery.
    #[must_use]
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// How long each delivery takes.
    #[must_use]
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// True the first time the failing customer's reply `key` is tried.
    fn refuses(&self, reply: &Outbound) -> bool {
        if !self.failing_peers.contains(&reply.to.trim().to_lowercase()) {
            return false;
        }
        self.refused
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(reply.idempotency_key.clone())
    }
}

impl channels::Channel for DemoChannel {
    fn kind(&self) -> Channel {
        self.kind
    }

    fn account(&self) -> &str {
        &self.account
    }

    fn send<'a>(&'a self, reply: &'a Outbound) -> BoxFuture<'a, Result<Delivered, SendError>> {
        Box::pin(async move {
            tokio::time::sleep(self.delay).await;
            if self.refuses(reply) {
                return Err(SendError::Permanent(match self.kind {
                    Channel::Email => {
                        format!("550 5.1.1 <{}>: mailbox unavailable", reply.to.trim())
                    }
                    _ => "recipient is not reachable".to_owned(),
                }));
            }
            Ok(Delivered {
                channel_message_id: channel_message_id(self.kind, &reply.idempotency_key),
            })
        })
    }
}

/// One [`DemoChannel`] per account of the seeded history.
#[must_use]
pub fn demo_channels(seed: &DemoSeed) -> Vec<Arc<dyn channels::Channel>> {
    seed.accounts
        .iter()
        .map(|(kind, account)| {
            Arc::new(DemoChannel::new(*kind, account)) as Arc<dyn channels::Channel>
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The channels' ids, in each channel's style.

pub(super) fn channel_message_id(kind: Channel, key: &str) -> String {
    let n = fnv(key);
    match kind {
        Channel::Email => format!("<{key}@lapetiteepicerie.example>"),
        Channel::Chat => format!("chat_{key}"),
        Channel::Messenger | Channel::Instagram => format!("m_{key}"),
        Channel::Whatsapp => format!("wamid.{key}"),
        Channel::Telegram => format!("{}", 1000 + n % 900_000),
        Channel::Mastodon => format!("{}", 113_000_000_000_000_000 + n % 1_000_000_000_000_000),
        Channel::X => format!(
            "{}",
            1_800_000_000_000_000_000 + n % 100_000_000_000_000_000
        ),
    }
}

/// FNV-1a: a stable hash, so one key always gets the same made-up id.
pub(super) fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
