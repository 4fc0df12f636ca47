//! The nouns every part of comptoir shares: channels, customers and their handles,
//! conversations, messages, attachments, agents and their availability.
//!
//! These are plain values. The store maps them to rows, channels produce and consume
//! them, the TUI displays them; none of them knows about SQL or the terminal.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::Serialize;

/// Where a conversation happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// IMAP in, SMTP out.
    Email,
    /// The shop website's live chat and contact form, through the relay.
    Chat,
    /// Facebook Messenger.
    Messenger,
    /// Instagram direct messages.
    Instagram,
    /// WhatsApp Business (Cloud API).
    Whatsapp,
    /// A Telegram bot.
    Telegram,
    /// Mastodon direct mentions.
    Mastodon,
    /// X (Twitter) direct messages.
    X,
}

impl Channel {
    /// Every channel, in the order the TUI lists them.
    pub const ALL: [Channel; 8] = [
        Channel::Email,
        Channel::Chat,
        Channel::Messenger,
        Channel::Instagram,
        Channel::Whatsapp,
        Channel::Telegram,
        Channel::Mastodon,
        Channel::X,
    ];

    /// The stable lowercase name used in the store, the config and commands.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Chat => "chat",
            Channel::Messenger => "messenger",
            Channel::Instagram => "instagram",
            Channel::Whatsapp => "whatsapp",
            Channel::Telegram => "telegram",
            Channel::Mastodon => "mastodon",
            Channel::X => "x",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of comptoir's channels.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown channel {0:?} (expected one of email, chat, messenger, instagram, whatsapp, telegram, mastodon, x)"
)]
pub struct UnknownChannel(pub String);

impl FromStr for Channel {
    type Err = UnknownChannel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownChannel(s.to_owned()))
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A customer's row id.
    CustomerId
);
id_type!(
    /// A conversation's row id.
    ConversationId
);
id_type!(
    /// A message's row id (inbound, outbound or note).
    MessageId
);
id_type!(
    /// An agent's row id.
    AgentId
);

/// What kind of address a handle is. Email addresses and phone numbers are shared
/// across channels, which is how one customer is recognised on several of them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HandleKind {
    /// An email address, stored lowercased.
    Email,
    /// A phone number, stored as `+` and digits.
    Phone,
    /// An identifier that only means something on one channel (a Telegram user id, a chat
    /// visitor id, a Mastodon account).
    On(Channel),
}

impl HandleKind {
    /// The stable name used in the store.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            HandleKind::Email => "email",
            HandleKind::Phone => "phone",
            HandleKind::On(c) => c.as_str(),
        }
    }

    /// Parses a stored name; `email` is the shared address kind, not the channel.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(HandleKind::Email),
            "phone" => Some(HandleKind::Phone),
            other => other.parse().ok().map(HandleKind::On),
        }
    }
}

/// One way to reach a customer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Handle {
    /// What the value is.
    pub kind: HandleKind,
    /// The normalised value (see [`Handle::new`]).
    pub value: String,
}

impl Handle {
    /// Builds a handle with its value normalised, so the same address written twice
    /// differently still finds the same customer.
    #[must_use]
    pub fn new(kind: HandleKind, value: &str) -> Self {
        let value = match kind {
            HandleKind::Email => value.trim().to_lowercase(),
            HandleKind::Phone => normalise_phone(value),
            HandleKind::On(_) => value.trim().to_owned(),
        };
        Handle { kind, value }
    }

    /// The handle a channel's own sender id makes: email senders are email addresses,
    /// WhatsApp senders are phone numbers, everyone else is known by a channel-local id.
    #[must_use]
    pub fn for_sender(channel: Channel, value: &str) -> Self {
        match channel {
            Channel::Email => Handle::new(HandleKind::Email, value),
            Channel::Whatsapp => Handle::new(HandleKind::Phone, value),
            other => Handle::new(HandleKind::On(other), value),
        }
    }
}

/// Keeps a leading `+` and the digits: WhatsApp sends `33612345678`, a contact form
/// `+33 6 12 34 56 78`, and both must meet.
fn normalise_phone(raw: &str) -> String {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    format!("+{digits}")
}

/// A person the shop talks to, across every channel they used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Customer {
    /// Row id.
    pub id: CustomerId,
    /// The best name we know for them, if any channel gave one.
    pub display_name: Option<String>,
    /// Every handle linked to this customer.
    pub handles: Vec<Handle>,
    /// When we first heard from them.
    pub created_at: Timestamp,
}

/// Where a conversation stands in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum Status {
    /// Waiting for the shop.
    Open,
    /// Waiting for the customer.
    Pending,
    /// Hidden until a time, then open again.
    Snoozed {
        /// When it comes back.
        until: Timestamp,
    },
    /// Done; a new inbound message reopens it.
    Resolved,
}

impl Status {
    /// The stored name, without the snooze time.
    #[must_use]
    pub fn name(self) -> StatusName {
        match self {
            Status::Open => StatusName::Open,
            Status::Pending => StatusName::Pending,
            Status::Snoozed { .. } => StatusName::Snoozed,
            Status::Resolved => StatusName::Resolved,
        }
    }
}

/// A status without its data, for filters and counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusName {
    /// See [`Status::Open`].
    Open,
    /// See [`Status::Pending`].
    Pending,
    /// See [`Status::Snoozed`].
    Snoozed,
    /// See [`Status::Resolved`].
    Resolved,
}

impl StatusName {
    /// Every status, in queue order.
    pub const ALL: [StatusName; 4] = [
        StatusName::Open,
        StatusName::Pending,
        StatusName::Snoozed,
        StatusName::Resolved,
    ];

    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StatusName::Open => "open",
            StatusName::Pending => "pending",
            StatusName::Snoozed => "snoozed",
            StatusName::Resolved => "resolved",
        }
    }
}

impl FromStr for StatusName {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StatusName::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| {
                format!("unknown status {s:?} (expected open, pending, snoozed or resolved)")
            })
    }
}

/// One thread with one customer on one channel account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Conversation {
    /// Row id.
    pub id: ConversationId,
    /// The channel it happens on.
    pub channel: Channel,
    /// The configured account name on that channel (`[[email]] name`, …).
    pub account: String,
    /// The channel's own key for the thread (chat visitor, email thread root, DM id).
    pub thread_key: String,
    /// Who the shop talks with.
    pub customer_id: CustomerId,
    /// The customer's display name, denormalised for the queue.
    pub customer_name: Option<String>,
    /// The customer's handle on this channel: where replies go.
    pub peer: String,
    /// Email subject, when the channel has one.
    pub subject: Option<String>,
    /// Where it stands.
    pub status: Status,
    /// The agent in charge, if any.
    pub assignee: Option<AgentId>,
    /// Free labels.
    pub labels: Vec<String>,
    /// When it was opened.
    pub created_at: Timestamp,
    /// The newest message of any kind.
    pub last_message_at: Timestamp,
    /// The oldest customer message not yet answered; `None` when the shop spoke last.
    pub waiting_since: Option<Timestamp>,
    /// The start of the newest message, for the queue row.
    pub preview: String,
    /// How many messages (notes included) it holds.
    pub message_count: u32,
}

/// Who wrote a message, and to whom it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    /// From the customer.
    Inbound,
    /// A reply from the shop to the customer.
    Outbound,
    /// An internal note, never sent.
    Note,
}

impl MessageKind {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Inbound => "inbound",
            MessageKind::Outbound => "outbound",
            MessageKind::Note => "note",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "inbound" => Some(MessageKind::Inbound),
            "outbound" => Some(MessageKind::Outbound),
            "note" => Some(MessageKind::Note),
            _ => None,
        }
    }
}

/// Where an outbound reply is on its way to the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Delivery {
    /// In the outbox, waiting for its next attempt.
    Queued {
        /// Attempts made so far.
        attempts: u32,
        /// Why the last attempt failed, if one did.
        last_error: Option<String>,
    },
    /// An attempt is under way.
    Sending {
        /// Attempts made so far, this one included.
        attempts: u32,
    },
    /// The channel confirmed it.
    Sent {
        /// The channel's own id for it.
        channel_message_id: String,
    },
    /// Given up; the agent can retry.
    Failed {
        /// Why.
        reason: String,
    },
}

/// A file that came with a message. The bytes live on disk under their SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// The file name the sender gave (untrusted).
    pub name: String,
    /// The MIME type the sender gave.
    pub mime: String,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the bytes: the file's name in `attachments/`.
    pub sha256: String,
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Message {
    /// Row id.
    pub id: MessageId,
    /// The conversation it belongs to.
    pub conversation_id: ConversationId,
    /// Inbound, outbound or note.
    pub kind: MessageKind,
    /// The customer's display name or handle, or the agent's name.
    pub author: String,
    /// The agent who wrote it, for replies and notes.
    pub agent_id: Option<AgentId>,
    /// The channel's own id (inbound), or the idempotency key (outbound).
    pub external_id: Option<String>,
    /// Plain text body.
    pub body: String,
    /// When it was written.
    pub sent_at: Timestamp,
    /// An auto-reply or bounce: stored, but never counted as waiting for an answer.
    pub automated: bool,
    /// Delivery state of an outbound reply.
    pub delivery: Option<Delivery>,
    /// Files that came with it.
    pub attachments: Vec<Attachment>,
}

/// Whether an agent can take live chats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Availability {
    /// Taking live chats.
    Available,
    /// At the desk but not taking live chats.
    Away,
    /// Gone.
    Offline,
}

impl Availability {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Available => "available",
            Availability::Away => "away",
            Availability::Offline => "offline",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "available" => Some(Availability::Available),
            "away" => Some(Availability::Away),
            "offline" => Some(Availability::Offline),
            _ => None,
        }
    }
}

/// Someone who answers customers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Agent {
    /// Row id.
    pub id: AgentId,
    /// Unique display name.
    pub name: String,
    /// Their explicit availability toggle.
    pub availability: Availability,
    /// The last heartbeat of one of their TUIs (written every half minute while open).
    pub last_seen_at: Option<Timestamp>,
    /// The last key or click in one of their TUIs (written at most every half minute).
    pub last_input_at: Option<Timestamp>,
    /// When their toggle last went from available to away or offline.
    pub left_available_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(c));
        }
        assert!("fax".parse::<Channel>().is_err());
    }

    #[test]
    fn handles_normalise_so_the_same_person_meets() {
        assert_eq!(
            Handle::new(HandleKind::Email, " Anne@Example.COM "),
            Handle::new(HandleKind::Email, "anne@example.com")
        );
        assert_eq!(
            Handle::new(HandleKind::Phone, "+33 6 12 34 56 78"),
            Handle::for_sender(Channel::Whatsapp, "33612345678")
        );
        assert_eq!(
            HandleKind::parse("telegram"),
            Some(HandleKind::On(Channel::Telegram))
        );
        assert_eq!(HandleKind::parse("email"), Some(HandleKind::Email));
    }
}

/// What a channel account is doing right now, as the process running it reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HealthState {
    /// Opening the connection and logging in.
    Connecting,
    /// Reading what is new; `done`/`total` tell how far.
    Syncing,
    /// Up to date and waiting for the server to push (IMAP IDLE, a webhook).
    Idle,
    /// Up to date; the server cannot push, so it is asked again at intervals.
    Polling,
    /// The last attempt failed; the next one is at `until`.
    Backoff,
    /// The server refused the credentials: nothing will work until the config changes.
    AuthFailed,
    /// Not running (the process stopped it).
    Stopped,
}

impl HealthState {
    /// The name stored and shown.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Connecting => "connecting",
            HealthState::Syncing => "syncing",
            HealthState::Idle => "idle",
            HealthState::Polling => "polling",
            HealthState::Backoff => "backoff",
            HealthState::AuthFailed => "auth_failed",
            HealthState::Stopped => "stopped",
        }
    }

    /// The state named `name`, as [`HealthState::as_str`] writes it.
    #[must_use]
    pub fn parse(name: &str) -> Option<HealthState> {
        Some(match name {
            "connecting" => HealthState::Connecting,
            "syncing" => HealthState::Syncing,
            "idle" => HealthState::Idle,
            "polling" => HealthState::Polling,
            "backoff" => HealthState::Backoff,
            "auth_failed" => HealthState::AuthFailed,
            "stopped" => HealthState::Stopped,
            _ => return None,
        })
    }
}

/// One channel account's health: what the status line shows for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelHealth {
    /// The channel.
    pub channel: Channel,
    /// The configured account name.
    pub account: String,
    /// What it is doing.
    pub state: HealthState,
    /// While syncing: messages read so far.
    pub done: Option<u64>,
    /// While syncing: messages to read in all (when known).
    pub total: Option<u64>,
    /// While backing off: when the next attempt is.
    pub until: Option<Timestamp>,
    /// The last error, one line, without secrets.
    pub last_error: Option<String>,
    /// When this was recorded.
    pub updated_at: Timestamp,
}
