//! The demo inbox behind `comptoir demo`: three weeks of a small grocery shop's customer
//! conversations on every channel, channels that pretend to deliver replies, the chat
//! inbox on the real relay (so a browser can chat with the agent), and a trickle of live
//! visitors, so the TUI can be tried without any account.
//!
//! Everything goes through the same doors as real traffic: messages enter through
//! [`ingest::ingest_batch`] (the live chat visitors through the relay's signed
//! `POST /chat/site/messages`), replies and notes through the store's own functions, and
//! replies leave through the outbox to a [`DemoChannel`] (for the chat, a
//! [`RelayedChat`]). The history is built from fixed tables and a seeded random
//! generator, so the same `now` always gives the same inbox.

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use jiff::tz::{self, TimeZone};
use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

use crate::channels::{self, Contact, Delivered, Inbound, InboundAttachment, Outbound, SendError};
use crate::ingest::{self, Outcome};
use crate::model::{AgentId, Availability, Channel, ConversationId, Status};
use crate::store::{SharedStore, Store, StoreError};

/// The agent the demo runs as.
pub const DEMO_AGENT: &str = "Camille";

/// The demo agent's colleague, who holds some of the conversations.
pub const COLLEAGUE: &str = "Yanis";

/// The shop the demo inbox belongs to.
pub const SHOP: &str = "La Petite Épicerie";

/// The customer whose replies fail on the first attempt, so the agent can see a failed
/// delivery and retry it (see [`DemoChannel`]).
pub const FAILING_CUSTOMER: &str = "Bruno Échec";

/// The shop's address, as customers' mail clients quote it.
const SHOP_ADDRESS: &str = "contact@lapetiteepicerie.example";

/// Every demo account, one per channel.
const ACCOUNTS: [(Channel, &str); 8] = [
    (Channel::Email, "boutique"),
    (Channel::Chat, "site"),
    (Channel::Messenger, "boutique"),
    (Channel::Instagram, "boutique"),
    (Channel::Whatsapp, "boutique"),
    (Channel::Telegram, "epicerie_bot"),
    (Channel::Mastodon, "boutique"),
    (Channel::X, "boutique"),
];

/// What [`seed`] made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoSeed {
    /// The demo agent ([`DEMO_AGENT`]).
    pub agent: AgentId,
    /// How many customers the store now holds.
    pub customers: usize,
    /// How many conversations the store now holds.
    pub conversations: usize,
    /// The channel accounts the history uses; [`demo_channels`] makes one sender each.
    pub accounts: Vec<(Channel, String)>,
}

mod channel;
mod history;
mod live;
mod people;
mod relay;
mod scripts;

pub use channel::{DemoChannel, demo_channels};
pub use history::seed;
pub use live::{RelayPoster, live_traffic};
pub use relay::{
    DEMO_INBOX, DemoRelay, RelayedChat, new_secret, presence, relayed_channels,
    start as start_relay,
};

use {channel::*, history::*, people::*, scripts::*};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_story_has_about_the_promised_size() {
        let people = PEOPLE.len();
        let convs: usize = PEOPLE
            .iter()
            .flat_map(|p| p.convs)
            .map(|(_, n)| usize::from(*n))
            .sum();
        assert!((38..=45).contains(&people), "{people} people");
        assert_eq!(convs, 120);
    }

    #[test]
    fn every_special_ending_names_someone_real() {
        for (name, channel, _) in ENDINGS {
            assert!(
                PEOPLE
                    .iter()
                    .any(|p| p.name == *name && p.convs.iter().any(|(c, _)| c == channel)),
                "{name} on {channel}"
            );
        }
    }

    #[test]
    fn cutting_keeps_notes_with_their_turn_and_ends_on_the_shop() {
        let turns = [C("a"), N("n"), S("b"), N("m"), C("c"), S("d")];
        assert_eq!(cut(&turns, Ending::Waiting { minutes: 1 }), 2);
        assert_eq!(cut(&turns, Ending::Pending), 6);
        assert_eq!(cut(&turns[..5], Ending::Pending), 4);
        assert_eq!(cut(&turns[..5], Ending::Resolved), 4);
    }

    #[test]
    fn quote_headers_speak_the_customers_language() {
        let t: Timestamp = "2026-03-12T13:05:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(
            quote_header(Lang::Fr, t),
            "Le 12 mars 2026 à 14:05, La Petite Épicerie <contact@lapetiteepicerie.example> a écrit :"
        );
        assert!(quote_header(Lang::De, t).starts_with("Am 12.03.2026 um 14:05"));
    }
}
