//! The demo's chat relay: the real relay server on a free loopback port, serving the demo
//! chat inbox with a secret made for this run, so a user can chat with themself from a
//! browser (the widget's test page) and the live visitors post through real HTTP.

use std::net::SocketAddr;

use crate::channels::relay::channel::ChatChannel;
use crate::channels::relay::hub::Hub;
use crate::channels::relay::server::{self as relay_server, RelayState};
use crate::channels::relay::signature::WebhookSecret;
use crate::config::PresenceConfig;
use crate::presence::BusinessHours;

use super::*;

/// The demo's chat inbox: the account the seeded chat conversations use.
pub const DEMO_INBOX: &str = "site";

/// How many random bytes the demo secret has (Standard Webhooks takes 24 to 64).
const SECRET_BYTES: usize = 32;

/// A fresh random signing secret for the demo inbox, from the operating system's
/// generator: the relay listens on loopback only, but another local user must not be
/// able to guess it and post as a visitor.
///
/// # Errors
/// The operating system gave no random bytes.
pub fn new_secret() -> std::io::Result<WebhookSecret> {
    let mut key = vec![0u8; SECRET_BYTES];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut key)
        .map_err(|_| std::io::Error::other("no random bytes for the demo chat secret"))?;
    Ok(WebhookSecret::from_bytes(key))
}

/// How the demo judges availability: the default idleness, but a grace of a few seconds
/// rather than minutes, so an agent trying `a` (away) sees the widget turn into the
/// offline form while they watch.
#[must_use]
pub fn presence() -> PresenceConfig {
    PresenceConfig {
        grace_seconds: 5,
        ..PresenceConfig::default()
    }
}

/// The demo relay, running.
#[derive(Debug)]
pub struct DemoRelay {
    /// Where it listens (127.0.0.1 and a port the system chose).
    pub addr: SocketAddr,
    /// The hub its visitors' event streams listen to; the demo chat channel publishes
    /// replies to it.
    pub hub: Hub,
    /// The server task; it ends when the shutdown signal turns true.
    pub task: tokio::task::JoinHandle<()>,
}

impl DemoRelay {
    /// The relay's base address, `http://127.0.0.1:PORT`.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The test page with the widget, for a browser.
    #[must_use]
    pub fn widget_url(&self) -> String {
        format!("{}/chat/{DEMO_INBOX}/widget", self.base_url())
    }

    /// Where a website backend posts the demo inbox's signed messages.
    #[must_use]
    pub fn messages_url(&self) -> String {
        format!("{}/chat/{DEMO_INBOX}/messages", self.base_url())
    }
}

/// Starts the relay for [`DEMO_INBOX`], signed with `secret`, on 127.0.0.1 and a free
/// port, with the demo's [`presence`] settings and no business hours (the chat is live
/// whenever an agent is available). It serves until `shutdown` turns true (or its
/// sender goes).
///
/// # Errors
/// No loopback port could be bound.
pub async fn start(
    store: SharedStore,
    secret: WebhookSecret,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<DemoRelay> {
    let state = RelayState::new(store)
        .with_inbox(DEMO_INBOX, secret)
        .with_presence(BusinessHours::always(), presence());
    let hub = state.hub().clone();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "demo relay listening");
    let task = tokio::spawn(relay_server::serve(listener, state, shutdown));
    Ok(DemoRelay { addr, hub, task })
}

/// The demo chat inbox's sender: a [`DemoChannel`] first (its delay, and the failing
/// customer's refusal, as on every demo channel), then the real [`ChatChannel`], so a
/// reply to a browser visitor reaches their widget live. The seeded conversations'
/// replies complete the same way: no visitor listens to them, which the relay allows.
#[derive(Debug)]
pub struct RelayedChat {
    demo: DemoChannel,
    chat: ChatChannel,
}

impl RelayedChat {
    /// The demo inbox's sender, publishing to `relay`'s visitors.
    #[must_use]
    pub fn new(relay: &DemoRelay, store: SharedStore) -> RelayedChat {
        RelayedChat {
            demo: DemoChannel::new(Channel::Chat, DEMO_INBOX),
            chat: ChatChannel::new(DEMO_INBOX, relay.hub.clone(), store),
        }
    }

    /// The same sender, with the demo part taking `delay` for each delivery.
    #[must_use]
    pub fn with_delay(mut self, delay: Duration) -> RelayedChat {
        self.demo = self.demo.with_delay(delay);
        self
    }
}

impl channels::Channel for RelayedChat {
    fn kind(&self) -> Channel {
        Channel::Chat
    }

    fn account(&self) -> &str {
        DEMO_INBOX
    }

    fn send<'a>(&'a self, reply: &'a Outbound) -> BoxFuture<'a, Result<Delivered, SendError>> {
        Box::pin(async move {
            self.demo.send(reply).await?;
            self.chat.send(reply).await
        })
    }
}

/// The demo senders with the chat inbox's replaced by a [`RelayedChat`] on `relay`.
#[must_use]
pub fn relayed_channels(
    seed: &DemoSeed,
    relay: &DemoRelay,
    store: &SharedStore,
) -> Vec<Arc<dyn channels::Channel>> {
    let mut all: Vec<Arc<dyn channels::Channel>> = demo_channels(seed)
        .into_iter()
        .filter(|c| !(c.kind() == Channel::Chat && c.account() == DEMO_INBOX))
        .collect();
    all.push(Arc::new(RelayedChat::new(relay, store.clone())));
    all
}
