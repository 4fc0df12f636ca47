//! The edge of comptoir: every channel turns the outside world into [`Inbound`] values
//! for `ingest`, and turns [`Outbound`] values from the `outbox` back into the outside
//! world through the [`Channel`] trait. A channel knows nothing of the TUI or of SQL.

pub mod email;
pub mod relay;

use std::time::Duration;

use futures::future::BoxFuture;
use jiff::Timestamp;

use crate::model::{self, MessageId};

/// Who sent an inbound message, as the channel knows them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Contact {
    /// The channel's id for the sender: an email address, a phone number, a visitor id.
    pub handle: String,
    /// The name they gave, if any.
    pub display_name: Option<String>,
    /// An email address they gave besides the handle (a chat pre-chat form).
    pub email: Option<String>,
    /// A phone number they gave besides the handle.
    pub phone: Option<String>,
}

/// A file received with a message, bytes in hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundAttachment {
    /// The file name the sender gave.
    pub name: String,
    /// The MIME type the sender gave.
    pub mime: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// One message from a customer, in the one shape every channel produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inbound {
    /// The channel it came through.
    pub channel: model::Channel,
    /// The configured account on that channel.
    pub account: String,
    /// The channel's key for the thread it belongs to.
    pub thread_key: String,
    /// The channel's id for this message; with channel and account, what dedupes it.
    pub external_id: String,
    /// Other messages' external ids this one answers (email `In-Reply-To` and
    /// `References`), used to find the conversation when the thread key is new.
    pub references: Vec<String>,
    /// The sender.
    pub from: Contact,
    /// Where the sender asked replies to go, when not to their handle (email
    /// `Reply-To`).
    pub reply_to: Option<String>,
    /// Email subject, when the channel has one.
    pub subject: Option<String>,
    /// Plain text body.
    pub text: String,
    /// Files that came with it.
    pub attachments: Vec<InboundAttachment>,
    /// When the sender wrote it.
    pub sent_at: Timestamp,
    /// An auto-reply or a bounce: stored, never counted as waiting for an answer.
    pub automated: bool,
    /// The bytes as received, kept when the message has to go to the dead-letter list.
    pub raw: Option<Vec<u8>>,
}

/// One reply on its way out, built by the outbox from the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outbound {
    /// The reply's message row.
    pub message_id: MessageId,
    /// Stable across every attempt of this reply, so a channel (or the API behind it)
    /// can drop a second delivery after a crash.
    pub idempotency_key: String,
    /// The channel to send on.
    pub channel: model::Channel,
    /// The configured account on that channel.
    pub account: String,
    /// The conversation's thread key on the channel.
    pub thread_key: String,
    /// Where the reply goes: the customer's handle on the channel, or the address their
    /// newest message asked replies to go to (email `Reply-To`).
    pub to: String,
    /// The customer's display name, when `to` is their own handle.
    pub to_name: Option<String>,
    /// The conversation's subject, when the channel has one.
    pub subject: Option<String>,
    /// The external id of the newest inbound message, to thread the reply under.
    pub in_reply_to: Option<String>,
    /// The thread's message ids, oldest first, ending with `in_reply_to` (email
    /// `References`): the thread's root, then its most recent messages.
    pub references: Vec<String>,
    /// The customer message being answered, for a channel that quotes it (email).
    pub quote: Option<Quote>,
    /// The agent's name, as the customer should see it.
    pub author: String,
    /// Plain text body.
    pub text: String,
    /// Which attempt this is, starting at 1.
    pub attempt: u32,
}

/// The customer message a reply answers, as a mail client quotes it under the reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quote {
    /// Who wrote it, as stored (a name or an address).
    pub author: String,
    /// When they wrote it.
    pub sent_at: Timestamp,
    /// Its plain text.
    pub text: String,
}

/// A channel's confirmation that it took a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// The channel's own id for the sent message.
    pub channel_message_id: String,
}

/// Why a channel could not deliver a reply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth another try later: a network error, a 5xx, a rate limit.
    #[error("{reason}")]
    Transient {
        /// What went wrong, for the agent.
        reason: String,
        /// How long the channel asked us to wait (a `Retry-After`), if it did.
        retry_after: Option<Duration>,
    },
    /// Will never work as it stands: a bad recipient, a rejected body, revoked access.
    #[error("{0}")]
    Permanent(String),
}

/// The sending half of a channel, as the outbox drives it.
pub trait Channel: Send + Sync {
    /// Which channel this is.
    fn kind(&self) -> model::Channel;

    /// The configured account name.
    fn account(&self) -> &str;

    /// Delivers one reply. It may be called again with the same idempotency key after a
    /// crash or a timeout; where the channel can, it must not deliver twice.
    fn send<'a>(&'a self, reply: &'a Outbound) -> BoxFuture<'a, Result<Delivered, SendError>>;
}
