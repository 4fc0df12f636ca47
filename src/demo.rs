//! The demo inbox behind `comptoir demo`: three weeks of a small grocery shop's customer
//! conversations on every channel, channels that pretend to deliver replies, and a trickle
//! of live visitors, so the TUI can be tried without any account.
//!
//! Everything goes through the same doors as real traffic: messages enter through
//! [`ingest::ingest_batch`], replies and notes through the store's own functions, and
//! replies leave through the outbox to a [`DemoChannel`]. The history is built from fixed
//! tables and a seeded random generator, so the same `now` always gives the same inbox.

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

/// Fills an empty store with the demo shop's history, as of `now`.
///
/// # Errors
/// [`StoreError::Invalid`] if the store already holds messages (the demo would mix with
/// real ones), or a store failure, after which the store may hold part of the history:
/// it is a throw-away store, so nothing is rolled back.
pub fn seed(store: &mut Store, now: Timestamp) -> Result<DemoSeed, StoreError> {
    if store.message_count()? > 0 {
        return Err(StoreError::Invalid(
            "the demo fills an empty store, and this one already holds messages".into(),
        ));
    }
    let camille = store.ensure_agent(DEMO_AGENT)?;
    let yanis = store.ensure_agent(COLLEAGUE)?;
    // Yanis stepped away a while ago: the presence indicators have something to show.
    store.set_availability(yanis, Availability::Away)?;
    store.touch_agent(yanis, at(now, -40 * MINUTE))?;

    let history = History::build(now, [camille, yanis]);
    let ids = history.play(store)?;

    let mut customers = BTreeSet::new();
    for (conv, id) in history.convs.iter().zip(&ids) {
        if let Some(c) = store.conversation(*id)? {
            customers.insert(c.customer_id);
        }
        match conv.ending {
            Ending::Resolved => store.set_status(*id, Status::Resolved, now)?,
            Ending::Pending => store.set_status(*id, Status::Pending, now)?,
            Ending::Snoozed { hours } => store.set_status(
                *id,
                Status::Snoozed {
                    until: at(now, i64::from(hours) * HOUR),
                },
                now,
            )?,
            Ending::Open
            | Ending::Waiting { .. }
            | Ending::Failed(_)
            | Ending::Queued { .. }
            | Ending::Retrying(_) => {}
        }
        if let Some(who) = conv.assignee {
            store.assign(*id, Some(who))?;
        }
        for label in conv.script.labels {
            store.add_label(*id, label)?;
        }
    }
    Ok(DemoSeed {
        agent: camille,
        customers: customers.len(),
        conversations: ids.iter().collect::<BTreeSet<_>>().len(),
        accounts: ACCOUNTS
            .iter()
            .map(|(c, a)| (*c, (*a).to_owned()))
            .collect(),
    })
}

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

/// Makes the demo look alive: until `shutdown` turns true (or its sender goes away),
/// every `pace` give or take 40 %, one message arrives from a new visitor on the chat or
/// a social channel, or a follow-up on a visitor's or a seeded conversation.
///
/// A message the store refuses is logged and skipped: the demo carries on. For now the
/// messages go straight to [`ingest`]; DESIGN.md wants them posted through the relay, as
/// a real website would.
pub async fn live_traffic(store: SharedStore, mut shutdown: watch::Receiver<bool>, pace: Duration) {
    let mut live = Live::new(Timestamp::now());
    loop {
        if *shutdown.borrow() {
            return;
        }
        let wait = live.jittered(pace);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            changed = shutdown.changed() => {
                if changed.is_err() {
                    return;
                }
                continue;
            }
        }
        let inbound = live.next(Timestamp::now());
        let stored = store
            .call(move |s| ingest::ingest(s, &inbound, Timestamp::now()))
            .await;
        if let Err(error) = stored {
            tracing::warn!(%error, "demo traffic: a message was not stored");
        }
    }
}

// ---------------------------------------------------------------------------------------
// The channels' ids, in each channel's style.

fn channel_message_id(kind: Channel, key: &str) -> String {
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
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

// ---------------------------------------------------------------------------------------
// Time.

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// `now` moved by `ms` milliseconds; the demo's offsets are all well inside jiff's range.
fn at(now: Timestamp, ms: i64) -> Timestamp {
    now.checked_add(SignedDuration::from_millis(ms))
        .unwrap_or(now)
}

fn between(rng: &mut fastrand::Rng, low: i64, high: i64) -> i64 {
    rng.i64(low..=high)
}

/// How long after `before` the next turn comes, on this kind of channel.
fn gap(rng: &mut fastrand::Rng, channel: Channel, before: &Turn, next: &Turn) -> i64 {
    let (reply, answer, again, note) = match channel {
        // A live chat is a conversation in real time.
        Channel::Chat => (
            (MINUTE, 6 * MINUTE),
            (MINUTE, 8 * MINUTE),
            (20 * SECOND, 3 * MINUTE),
            (MINUTE, 5 * MINUTE),
        ),
        Channel::Email => (
            (20 * MINUTE, 5 * HOUR),
            (HOUR, 20 * HOUR),
            (5 * MINUTE, 40 * MINUTE),
            (5 * MINUTE, HOUR),
        ),
        _ => (
            (5 * MINUTE, 2 * HOUR),
            (10 * MINUTE, 6 * HOUR),
            (MINUTE, 10 * MINUTE),
            (2 * MINUTE, 30 * MINUTE),
        ),
    };
    let (low, high) = match (before, next) {
        (_, N(_)) => note,
        (C(_) | F(..) | N(_), S(_)) => reply,
        (S(_), C(_) | F(..)) => answer,
        _ => again,
    };
    between(rng, low, high)
}

/// A mail client's "On …, … wrote:" line, in the customer's language, in Paris time.
fn quote_header(lang: Lang, when: Timestamp) -> String {
    const MOIS: [&str; 12] = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let z = when.to_zoned(TimeZone::fixed(tz::offset(1)));
    let (y, m, d, hh, mm) = (z.year(), z.month(), z.day(), z.hour(), z.minute());
    let month = usize::try_from(m - 1).unwrap_or(0) % 12;
    let shop = format!("{SHOP} <{SHOP_ADDRESS}>");
    match lang {
        Lang::Fr => format!(
            "Le {d} {} {y} à {hh:02}:{mm:02}, {shop} a écrit :",
            MOIS[month]
        ),
        Lang::De => format!("Am {d:02}.{m:02}.{y} um {hh:02}:{mm:02} schrieb {shop}:"),
        Lang::Es => format!("El {d}/{m}/{y} a las {hh:02}:{mm:02}, {shop} escribió:"),
        Lang::Ja => format!("{y}年{m}月{d}日 {hh:02}:{mm:02} {shop}:"),
        Lang::Zh => format!("在 {y}年{m}月{d}日 {hh:02}:{mm:02}，{shop} 写道："),
        Lang::Ar => format!("في {d}/{m}/{y} {hh:02}:{mm:02}، كتب {shop}:"),
        Lang::He => format!("ב-{d}/{m}/{y} בשעה {hh:02}:{mm:02}, מאת {shop}:"),
        Lang::En => format!(
            "On {d} {} {y}, at {hh:02}:{mm:02}, {shop} wrote:",
            MONTHS[month]
        ),
    }
}

fn quoted(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                ">".to_owned()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------
// Building the history: who, on which channel, saying what, when, and how it ends.

/// How a conversation stands when the demo starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    Resolved,
    Pending,
    /// Open, the shop having spoken last.
    Open,
    Snoozed {
        hours: u8,
    },
    /// Open, the customer's last message unanswered for this long.
    Waiting {
        minutes: i64,
    },
    /// Open, the last reply failed for good with this reason.
    Failed(&'static str),
    /// Open, the last reply written this long ago and not yet attempted.
    Queued {
        seconds: i64,
    },
    /// Open, the last reply's first attempt failed with this reason; retried soon.
    Retrying(&'static str),
}

/// The conversations whose end is part of the story the demo tells; the rest end as
/// their age suggests. Each applies to the person's last conversation on that channel.
const ENDINGS: &[(&str, Channel, Ending)] = &[
    (
        "Léa Marchand",
        Channel::Instagram,
        Ending::Waiting { minutes: 3 },
    ),
    ("Lucas", Channel::Chat, Ending::Waiting { minutes: 9 }),
    (
        "Karim Benali",
        Channel::Telegram,
        Ending::Waiting { minutes: 22 },
    ),
    (
        FAILING_CUSTOMER,
        Channel::Email,
        Ending::Waiting { minutes: 26 },
    ),
    ("李伟", Channel::Chat, Ending::Waiting { minutes: 48 }),
    (
        "Fatou Diallo",
        Channel::Whatsapp,
        Ending::Waiting { minutes: 95 },
    ),
    (PHISHER, Channel::Email, Ending::Waiting { minutes: 130 }),
    (
        "Lukas Becker",
        Channel::Email,
        Ending::Waiting { minutes: 190 },
    ),
    ("נועה לוי", Channel::Email, Ending::Waiting { minutes: 340 }),
    (
        "Sam Rivera",
        Channel::Mastodon,
        Ending::Waiting { minutes: 26 * 60 },
    ),
    (
        "Nicolas Petit",
        Channel::Email,
        Ending::Snoozed { hours: 3 },
    ),
    ("田中 由紀", Channel::Email, Ending::Snoozed { hours: 5 }),
    (
        "Chantal Mercier",
        Channel::Messenger,
        Ending::Snoozed { hours: 2 },
    ),
    (
        "Marie Dubois",
        Channel::Whatsapp,
        Ending::Snoozed { hours: 4 },
    ),
    (
        "Kevin Nguyen",
        Channel::Messenger,
        Ending::Failed("(#551) This person isn't available right now."),
    ),
    (
        "Émilie Rousseau",
        Channel::Chat,
        Ending::Queued { seconds: 40 },
    ),
    (
        "Sarah Thompson",
        Channel::Email,
        Ending::Queued { seconds: 150 },
    ),
    (
        "Julien Moreau",
        Channel::Email,
        Ending::Retrying("421 4.7.0 Temporary System Problem. Try again later."),
    ),
];

/// The seed of the history's random choices; any value gives a believable inbox.
const SEED: u64 = 0x00c0_ffee_e91c_e41e;

/// One conversation, laid out in time.
struct Conv {
    person: usize,
    channel: Channel,
    /// Which of the person's conversations on this channel it is, from 0.
    nth: usize,
    script: &'static Script,
    order: String,
    agent: AgentId,
    agent_name: &'static str,
    assignee: Option<AgentId>,
    ending: Ending,
    turns: Vec<(Timestamp, &'static Turn)>,
}

/// The whole history, before it goes into the store.
struct History {
    now: Timestamp,
    convs: Vec<Conv>,
}

impl History {
    fn build(now: Timestamp, [camille, yanis]: [AgentId; 2]) -> History {
        let mut rng = fastrand::Rng::with_seed(SEED);
        let mut convs: Vec<Conv> = Vec::new();
        for (p, person) in PEOPLE.iter().enumerate() {
            let total: usize = person.convs.iter().map(|(_, n)| usize::from(*n)).sum();
            let mut email_no = 0;
            let mut other_no = 0;
            for m in 0..total {
                let channel = person.channel_of(m);
                let nth = convs
                    .iter()
                    .filter(|v| v.person == p && v.channel == channel)
                    .count();
                let script = person.script(channel, &mut email_no, &mut other_no, p);
                let special = ENDINGS
                    .iter()
                    .find(|(name, ch, _)| {
                        *name == person.name
                            && *ch == channel
                            && nth + 1 == person.count_on(channel)
                    })
                    .map(|(_, _, e)| *e);
                let (agent, assignee) = match rng.u8(0..10) {
                    0..=4 => (camille, Some(camille)),
                    5..=7 => (yanis, Some(yanis)),
                    _ => (if rng.bool() { camille } else { yanis }, None),
                };
                let (agent, assignee) = match special {
                    // Bruno is Camille's, so that her reply is the one that fails.
                    _ if person.name == FAILING_CUSTOMER => (camille, Some(camille)),
                    // New in the queue: nobody has picked them up yet.
                    Some(Ending::Waiting { .. }) => (agent, None),
                    _ => (agent, assignee),
                };
                let index = convs.len();
                let mut conv = Conv {
                    person: p,
                    channel,
                    nth,
                    script,
                    order: format!("EP-{}", 24_103 + index * 7),
                    agent,
                    agent_name: if agent == camille {
                        DEMO_AGENT
                    } else {
                        COLLEAGUE
                    },
                    assignee,
                    ending: Ending::Resolved,
                    turns: Vec::new(),
                };
                conv.lay_out(&mut rng, now, special, m, total);
                convs.push(conv);
            }
        }
        History { now, convs }
    }

    /// Writes the history into the store in time order, as it would have happened; returns
    /// each conversation's id.
    fn play(&self, store: &mut Store) -> Result<Vec<ConversationId>, StoreError> {
        let mut events: Vec<(Timestamp, usize, usize)> = self
            .convs
            .iter()
            .enumerate()
            .flat_map(|(c, conv)| {
                conv.turns
                    .iter()
                    .enumerate()
                    .map(move |(t, (when, _))| (*when, c, t))
            })
            .collect();
        events.sort_unstable();

        let mut ids: Vec<Option<ConversationId>> = vec![None; self.convs.len()];
        let mut batch: Vec<(usize, Inbound)> = Vec::new();
        // Replies still in the outbox when the demo starts are written last, so that
        // claiming the history's other replies does not claim them too.
        let mut unsent: Vec<(usize, Timestamp, String)> = Vec::new();
        for (when, c, t) in events {
            let conv = &self.convs[c];
            let turn = conv.turns[t].1;
            match turn {
                Turn::C(_) | Turn::F(..) => {
                    batch.push((c, self.inbound(c, t)));
                    continue;
                }
                Turn::S(_) | Turn::N(_) => flush(store, &mut batch, &mut ids)?,
            }
            let id = ids[c]
                .ok_or_else(|| StoreError::Invalid("demo reply before its conversation".into()))?;
            let text = conv.fill(turn.text());
            if let Turn::N(_) = turn {
                store.add_note(id, conv.agent, &text, when)?;
                continue;
            }
            let last_reply = conv.turns[t + 1..]
                .iter()
                .all(|(_, turn)| !matches!(turn, Turn::S(_)));
            match conv.ending {
                Ending::Queued { .. } | Ending::Retrying(_) if last_reply => {
                    unsent.push((c, when, text));
                }
                Ending::Failed(reason) if last_reply => {
                    let message = store.queue_reply(id, conv.agent, &text, when)?;
                    for reply in store.claim_due(when, LEASE, 4)? {
                        if reply.message_id == message {
                            store.record_failure(message, reason, None, at(when, 3 * SECOND))?;
                        } else {
                            confirm(store, &reply, when)?;
                        }
                    }
                }
                _ => {
                    store.queue_reply(id, conv.agent, &text, when)?;
                    for reply in store.claim_due(when, LEASE, 4)? {
                        confirm(store, &reply, when)?;
                    }
                }
            }
        }
        flush(store, &mut batch, &mut ids)?;

        // The retrying one first: once it is claimed and failed, the plain queued ones
        // are written and left alone.
        unsent.sort_by_key(|(c, _, _)| !matches!(self.convs[*c].ending, Ending::Retrying(_)));
        for (c, when, text) in unsent {
            let conv = &self.convs[c];
            let id = ids[c]
                .ok_or_else(|| StoreError::Invalid("demo reply before its conversation".into()))?;
            let message = store.queue_reply(id, conv.agent, &text, when)?;
            if let Ending::Retrying(reason) = conv.ending {
                for reply in store.claim_due(when, LEASE, 4)? {
                    if reply.message_id == message {
                        store.record_failure(
                            message,
                            reason,
                            Some(at(self.now, 45 * SECOND)),
                            at(when, 5 * SECOND),
                        )?;
                    } else {
                        confirm(store, &reply, when)?;
                    }
                }
            }
        }
        ids.into_iter()
            .map(|id| {
                id.ok_or_else(|| StoreError::Invalid("a demo conversation was not stored".into()))
            })
            .collect()
    }

    /// The customer's message of turn `t` of conversation `c`, as its channel gives it.
    fn inbound(&self, c: usize, t: usize) -> Inbound {
        let conv = &self.convs[c];
        let person = &PEOPLE[conv.person];
        let (sent_at, turn) = conv.turns[t];
        let mut text = conv.fill(turn.text());
        let mut references = Vec::new();
        let mut subject = None;
        let (thread_key, external_id) = match conv.channel {
            Channel::Email => {
                let domain = person
                    .email
                    .and_then(|e| e.split('@').nth(1))
                    .unwrap_or("mail.example");
                let id = |k: usize| format!("<{:x}.{k}@{domain}>", 0x5e1d_0000 + c * 7919);
                let customer_turns: Vec<usize> = conv.turns[..t]
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, turn))| matches!(turn, Turn::C(_) | Turn::F(..)))
                    .map(|(k, _)| k)
                    .collect();
                references = customer_turns.iter().map(|k| id(*k)).collect();
                let subject_line = fill(conv.script.subject, person.first_name(), &conv.order, "");
                subject = Some(if customer_turns.is_empty() {
                    subject_line
                } else {
                    format!("Re: {subject_line}")
                });
                // A reply by mail quotes what the shop last wrote, as mail clients do.
                if let Some((when, reply)) = conv.turns[..t]
                    .iter()
                    .rev()
                    .find(|(_, turn)| matches!(turn, Turn::S(_)))
                {
                    let reply = conv.fill(reply.text());
                    text = format!(
                        "{text}\n\n{}\n{}",
                        quote_header(person.lang, *when),
                        quoted(&reply)
                    );
                }
                (id(0), id(t))
            }
            Channel::Chat => (
                format!("{}/{}", visitor_id(conv.person), conv.nth + 1),
                format!("msg_{c:03}_{t}"),
            ),
            Channel::Mastodon => {
                let root = 112_304_000_000_000_000 + (c as u64) * 1_000_003;
                (format!("{root}"), format!("{}", root + t as u64 * 7))
            }
            Channel::Telegram => {
                let chat = contact(conv.person, person, Channel::Telegram).handle;
                (chat.clone(), format!("{chat}:{}", 100 + c * 10 + t))
            }
            Channel::Whatsapp => (
                contact(conv.person, person, Channel::Whatsapp).handle,
                format!(
                    "wamid.HBgL{c:03}{t:02}{:08X}",
                    fnv(&conv.order) & 0xffff_ffff
                ),
            ),
            Channel::Messenger | Channel::Instagram | Channel::X => (
                contact(conv.person, person, conv.channel).handle,
                format!("m_{:x}_{c:03}_{t}", fnv(&conv.order)),
            ),
        };
        let attachments = match turn {
            Turn::F(_, file) => vec![file.attachment()],
            _ => Vec::new(),
        };
        Inbound {
            channel: conv.channel,
            account: account_of(conv.channel).to_owned(),
            thread_key,
            external_id,
            references,
            from: contact(conv.person, person, conv.channel),
            subject,
            text,
            attachments,
            sent_at,
            automated: false,
            raw: None,
        }
    }
}

impl Conv {
    fn fill(&self, text: &str) -> String {
        fill(
            text,
            PEOPLE[self.person].first_name(),
            &self.order,
            self.agent_name,
        )
    }

    /// Picks the turns that happen (cut to the ending) and when they happen: spread over
    /// the last three weeks in the person's order, the shop answering in opening hours,
    /// or pinned to `now` when the ending says how long ago the last turn was.
    fn lay_out(
        &mut self,
        rng: &mut fastrand::Rng,
        now: Timestamp,
        special: Option<Ending>,
        m: usize,
        total: usize,
    ) {
        let span = 20 * DAY;
        let slot = i64::try_from(total.max(1)).unwrap_or(1);
        let m = i64::try_from(m).unwrap_or(0);
        let start = -21 * DAY + span * (1000 * m + 100 + rng.i64(0..600)) / (1000 * slot);
        let turns = self.script.turns;
        let mut times: Vec<Timestamp> = Vec::with_capacity(turns.len());
        for (i, turn) in turns.iter().enumerate() {
            let t = match i.checked_sub(1) {
                None => at(now, start),
                Some(p) => at(times[p], gap(rng, self.channel, &turns[p], turn)),
            };
            times.push(match turn {
                Turn::S(_) | Turn::N(_) => opening_hours(rng, t),
                Turn::C(_) | Turn::F(..) => awake(rng, t),
            });
        }

        let ending = special.unwrap_or_else(|| {
            // Old conversations are mostly done; recent ones are still moving.
            let end = times.last().copied().unwrap_or(now);
            let age = now.duration_since(end).as_secs() * SECOND;
            let roll = rng.u8(0..10);
            match age / DAY {
                5.. if roll < 9 => Ending::Resolved,
                5.. => Ending::Pending,
                1..=4 if roll < 5 => Ending::Resolved,
                1..=4 if roll < 8 => Ending::Pending,
                1..=4 => Ending::Open,
                _ if roll < 3 => Ending::Resolved,
                _ if roll < 6 => Ending::Pending,
                _ if roll < 9 => Ending::Open,
                _ => Ending::Snoozed {
                    hours: 2 + rng.u8(0..5),
                },
            }
        });
        let kept = cut(turns, ending);
        let last = times.get(kept.saturating_sub(1)).copied().unwrap_or(now);
        let target = match ending {
            Ending::Waiting { minutes } => Some(at(now, -minutes * MINUTE)),
            Ending::Queued { seconds } => Some(at(now, -seconds * SECOND)),
            Ending::Retrying(_) => Some(at(now, -3 * MINUTE)),
            Ending::Failed(_) => Some(at(now, -3 * HOUR)),
            _ => None,
        };
        let millis = |d: SignedDuration| i64::try_from(d.as_millis()).unwrap_or(0);
        let shift = match target {
            Some(target) => millis(target.duration_since(last)),
            None => {
                // Nothing else happened in the last twenty minutes. Whole days keep the
                // shop's replies within its opening hours.
                let over = millis(last.duration_since(at(now, -20 * MINUTE)));
                if over > 0 { -(over / DAY + 1) * DAY } else { 0 }
            }
        };
        self.ending = ending;
        self.turns = turns[..kept]
            .iter()
            .zip(times)
            .map(|(turn, t)| (at(t, shift), turn))
            .collect();
    }
}

/// Minutes since midnight, in Paris (winter time: the demo needs no time zone database).
fn paris_minutes(t: Timestamp) -> i64 {
    let z = t.to_zoned(TimeZone::fixed(tz::offset(1)));
    i64::from(z.hour()) * 60 + i64::from(z.minute())
}

/// The shop answers between 8:00 and 19:00; later, the next morning.
fn opening_hours(rng: &mut fastrand::Rng, t: Timestamp) -> Timestamp {
    let minutes = paris_minutes(t);
    let wait = match minutes {
        ..480 => 480 - minutes,
        1140.. => 24 * 60 - minutes + 480,
        _ => return t,
    };
    at(t, wait * MINUTE + between(rng, 0, 45 * MINUTE))
}

/// Customers write at any hour, but rarely between midnight and seven.
fn awake(rng: &mut fastrand::Rng, t: Timestamp) -> Timestamp {
    let minutes = paris_minutes(t);
    if minutes < 420 {
        at(t, (420 - minutes) * MINUTE + between(rng, 0, 90 * MINUTE))
    } else {
        t
    }
}

/// How many of `turns` happen for this ending: the customer's opening messages for one
/// still waiting; up to the last reply (with the notes after it) for the others.
fn cut(turns: &[Turn], ending: Ending) -> usize {
    match ending {
        Ending::Waiting { .. } => turns
            .iter()
            .position(|t| matches!(t, Turn::S(_)))
            .unwrap_or(turns.len()),
        _ => turns
            .iter()
            .rposition(|t| matches!(t, Turn::S(_)))
            .map_or(turns.len(), |i| {
                i + 1
                    + turns[i + 1..]
                        .iter()
                        .take_while(|t| matches!(t, Turn::N(_)))
                        .count()
            }),
    }
}

const LEASE: Duration = Duration::from_secs(60);

/// Records a history reply as delivered, two seconds after it was written.
fn confirm(store: &mut Store, reply: &Outbound, when: Timestamp) -> Result<(), StoreError> {
    store.record_sent(
        reply.message_id,
        &channel_message_id(reply.channel, &reply.idempotency_key),
        at(when, 2 * SECOND),
    )
}

/// Stores the customer messages gathered so far in one transaction.
fn flush(
    store: &mut Store,
    batch: &mut Vec<(usize, Inbound)>,
    ids: &mut [Option<ConversationId>],
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let (convs, inbounds): (Vec<usize>, Vec<Inbound>) = std::mem::take(batch).into_iter().unzip();
    let now = inbounds
        .first()
        .map_or(Timestamp::UNIX_EPOCH, |i| i.sent_at);
    let outcomes = ingest::ingest_batch(store, &inbounds, now)?;
    for ((c, inbound), outcome) in convs.into_iter().zip(&inbounds).zip(outcomes) {
        match outcome {
            Outcome::New { conversation, .. } => ids[c] = Some(conversation),
            other => {
                return Err(StoreError::Invalid(format!(
                    "demo message {} was not stored as new: {other:?}",
                    inbound.external_id
                )));
            }
        }
    }
    Ok(())
}

fn fill(text: &str, first: &str, order: &str, agent: &str) -> String {
    let text = if first.is_empty() {
        text.replace(" {first}", "").replace("{first}", "")
    } else {
        text.replace("{first}", first)
    };
    text.replace("{order}", order).replace("{agent}", agent)
}

fn account_of(channel: Channel) -> &'static str {
    ACCOUNTS
        .iter()
        .find(|(c, _)| *c == channel)
        .map_or("demo", |(_, a)| a)
}

fn visitor_id(person: usize) -> String {
    format!("v_{:06x}", (person as u64 + 1) * 0x9e37 % 0x00ff_ffff)
}

/// Who a person is on a channel, as that channel would tell us.
fn contact(index: usize, p: &Person, channel: Channel) -> Contact {
    let name = (!p.name.is_empty()).then(|| p.name.to_owned());
    let n = index as u64;
    let digits = |phone: &str| {
        phone
            .chars()
            .filter(char::is_ascii_digit)
            .collect::<String>()
    };
    let handle = match channel {
        Channel::Email => p.email.unwrap_or("client@example.invalid").to_owned(),
        Channel::Chat => visitor_id(index),
        Channel::Messenger => format!("{}", 6_104_221_000_000_000 + n * 7919),
        Channel::Instagram => format!("{}", 17_841_400_000_000_000 + n * 104_729),
        Channel::Whatsapp => digits(p.phone.unwrap_or("+33 6 00 00 00 00")),
        Channel::Telegram => format!("{}", 5_012_000_000 + n * 7_654_321),
        Channel::Mastodon => p.nick.unwrap_or("client@mastodon.example").to_owned(),
        Channel::X => format!("{}", 1_431_000_000_000_000_000 + n * 15_485_863),
    };
    Contact {
        handle,
        display_name: name,
        // A pre-chat form asks for both; a Telegram user can share their phone number.
        email: (channel == Channel::Chat)
            .then_some(p.email)
            .flatten()
            .map(str::to_owned),
        phone: matches!(channel, Channel::Chat | Channel::Telegram)
            .then_some(p.phone)
            .flatten()
            .map(str::to_owned),
    }
}

// ---------------------------------------------------------------------------------------
// The live visitors.

struct LiveVisitor {
    channel: Channel,
    contact: Contact,
    thread_key: String,
    lines: &'static [&'static str],
    next: usize,
}

struct Live {
    rng: fastrand::Rng,
    stamp: i64,
    count: u64,
    visitors: Vec<LiveVisitor>,
}

impl Live {
    fn new(now: Timestamp) -> Live {
        let stamp = now.as_millisecond();
        Live {
            rng: fastrand::Rng::with_seed(SEED ^ stamp.unsigned_abs()),
            stamp,
            count: 0,
            visitors: Vec::new(),
        }
    }

    fn jittered(&mut self, pace: Duration) -> Duration {
        let ms = u64::try_from(pace.as_millis()).unwrap_or(u64::MAX / 2);
        let spread = ms / 5 * 2;
        Duration::from_millis(ms - spread + self.rng.u64(0..=spread * 2))
    }

    fn next(&mut self, now: Timestamp) -> Inbound {
        self.count += 1;
        let external_id = format!("live-{}-{}", self.stamp, self.count);
        let pending: Vec<usize> = (0..self.visitors.len())
            .filter(|&i| self.visitors[i].next < self.visitors[i].lines.len())
            .collect();
        let roll = self.rng.u8(0..10);
        let (channel, contact, thread_key, text) = if roll < 4 && !pending.is_empty() {
            let v = &mut self.visitors[pending[self.rng.usize(0..pending.len())]];
            let text = v.lines[v.next].to_owned();
            v.next += 1;
            (v.channel, v.contact.clone(), v.thread_key.clone(), text)
        } else if roll < 6 {
            self.follow_up()
        } else {
            self.new_visitor()
        };
        Inbound {
            channel,
            account: account_of(channel).to_owned(),
            thread_key,
            external_id,
            references: Vec::new(),
            from: contact,
            subject: None,
            text,
            attachments: Vec::new(),
            sent_at: now,
            automated: false,
            raw: None,
        }
    }

    /// Someone from the seeded history writes again, on their latest chat or social
    /// thread.
    fn follow_up(&mut self) -> (Channel, Contact, String, String) {
        let threads: Vec<(usize, Channel)> = PEOPLE
            .iter()
            .enumerate()
            .filter(|(_, p)| p.name != PHISHER)
            .flat_map(|(i, p)| {
                ACCOUNTS
                    .iter()
                    .map(move |(c, _)| (i, *c))
                    .filter(move |(_, c)| *c != Channel::Email && p.count_on(*c) > 0)
            })
            .collect();
        let (i, channel) = threads[self.rng.usize(0..threads.len())];
        let person = &PEOPLE[i];
        let contact = contact(i, person, channel);
        let thread_key = match channel {
            Channel::Chat => format!("{}/{}", visitor_id(i), person.count_on(channel)),
            // A reply to the shop's last toot starts a thread of its own.
            Channel::Mastodon => format!("{}", 112_309_000_000_000_000 + self.count),
            _ => contact.handle.clone(),
        };
        let lines = person.lang.follow_ups();
        let text = lines[self.rng.usize(0..lines.len())].to_owned();
        (channel, contact, thread_key, text)
    }

    fn new_visitor(&mut self) -> (Channel, Contact, String, String) {
        let (name, lang) = LIVE_NAMES[self.rng.usize(0..LIVE_NAMES.len())];
        let scripts = if lang == Lang::En { LIVE_EN } else { LIVE_FR };
        let lines = scripts[self.rng.usize(0..scripts.len())];
        let n = self.count;
        let channel = match self.rng.u8(0..10) {
            0..=5 => Channel::Chat,
            6 => Channel::Instagram,
            7 => Channel::Messenger,
            _ => Channel::Whatsapp,
        };
        let handle = match channel {
            Channel::Chat => format!("v_live{:x}{n}", self.stamp.unsigned_abs() % 0xfffff),
            Channel::Whatsapp => format!("3367{:07}", self.rng.u32(0..10_000_000)),
            _ => format!(
                "{}",
                17_841_499_000_000_000 + self.rng.u64(0..1_000_000_000)
            ),
        };
        let thread_key = match channel {
            Channel::Chat => format!("{handle}/1"),
            _ => handle.clone(),
        };
        let contact = Contact {
            handle,
            display_name: (!name.is_empty()).then(|| name.to_owned()),
            email: None,
            phone: None,
        };
        let text = lines.first().copied().unwrap_or("Bonjour !").to_owned();
        self.visitors.push(LiveVisitor {
            channel,
            contact: contact.clone(),
            thread_key: thread_key.clone(),
            lines,
            next: 1,
        });
        (channel, contact, thread_key, text)
    }
}

const LIVE_NAMES: &[(&str, Lang)] = &[
    ("Manon", Lang::Fr),
    ("Hugo B.", Lang::Fr),
    ("", Lang::Fr),
    ("Jade", Lang::Fr),
    ("Louis Fabre", Lang::Fr),
    ("Nathan", Lang::Fr),
    ("Emma", Lang::Fr),
    ("", Lang::Fr),
    ("Sacha", Lang::Fr),
    ("Anaïs Morel", Lang::Fr),
    ("Grace", Lang::En),
    ("Oliver Hayes", Lang::En),
];

const LIVE_FR: &[&[&str]] = &[
    &[
        "Bonjour ! Vous livrez à Lille ?",
        "Et les frais de port sont de combien ?",
        "Ok merci, je commande ce soir 🙂",
    ],
    &[
        "Bonsoir, il vous reste du caviar d'aubergine ?",
        "Je peux passer le chercher demain matin ?",
    ],
    &[
        "Salut, c'est possible de faire un panier garni pour 40 € ?",
        "C'est pour un départ en retraite, vendredi",
        "Plutôt sucré si possible 🍫",
    ],
    &[
        "Bonjour, ma commande indique « livrée » mais je n'ai rien reçu 😟",
        "J'ai demandé aux voisins, rien non plus",
    ],
    &["Hello, vous avez des produits sans lactose ?"],
    &[
        "Bonjour, je voudrais modifier ma commande passée il y a 10 minutes",
        "Ajouter un pot de miel de châtaignier svp",
    ],
];

const LIVE_EN: &[&[&str]] = &[
    &[
        "Hi there! Do you sell gift cards?",
        "Great, can I choose the amount?",
    ],
    &["Hello, what's the shelf life of the olive tapenade?"],
];

// ---------------------------------------------------------------------------------------
// The people.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lang {
    Fr,
    En,
    De,
    Es,
    Ja,
    Zh,
    Ar,
    He,
}

impl Lang {
    fn emails(self) -> &'static [Script] {
        match self {
            Lang::Fr => FR_EMAIL,
            Lang::En => EN_EMAIL,
            Lang::De => DE_EMAIL,
            Lang::Es => ES_EMAIL,
            Lang::Ja => JA_EMAIL,
            Lang::Zh => ZH_EMAIL,
            Lang::Ar => AR_EMAIL,
            Lang::He => HE_EMAIL,
        }
    }

    fn messages(self) -> &'static [Script] {
        match self {
            Lang::Fr => FR_MESSAGE,
            Lang::En => EN_MESSAGE,
            Lang::De => DE_MESSAGE,
            Lang::Es => ES_MESSAGE,
            Lang::Ja => JA_MESSAGE,
            Lang::Zh => ZH_MESSAGE,
            Lang::Ar => AR_MESSAGE,
            Lang::He => HE_MESSAGE,
        }
    }

    fn follow_ups(self) -> &'static [&'static str] {
        match self {
            Lang::Fr => &[
                "Re-bonjour, petite question en plus : vous faites les paquets cadeaux ?",
                "Merci encore pour votre aide !",
                "Des nouvelles de ma commande ? 🙂",
            ],
            Lang::En => &[
                "Hi again, any update on this?",
                "Thanks again for your help!",
            ],
            Lang::De => &["Hallo nochmal, gibt es schon Neuigkeiten?"],
            Lang::Es => &["Hola de nuevo, ¿hay alguna novedad?"],
            Lang::Ja => &["すみません、その後いかがでしょうか？"],
            Lang::Zh => &["您好，请问有新的进展吗？"],
            Lang::Ar => &["مرحبا مجددا، هل من جديد؟"],
            Lang::He => &["שלום שוב, יש חדש?"],
        }
    }
}

/// One customer of the shop, and the conversations they have, in order.
struct Person {
    /// Empty for a chat visitor who gave no name.
    name: &'static str,
    /// How the shop greets them, when it is not the first word of the name.
    first: Option<&'static str>,
    lang: Lang,
    email: Option<&'static str>,
    phone: Option<&'static str>,
    /// Their Mastodon account.
    nick: Option<&'static str>,
    /// (channel, how many conversations), in the order they happen. Someone with both an
    /// email address and a phone number starts on the chat, whose form gives both, so
    /// their mail and WhatsApp meet in one customer.
    convs: &'static [(Channel, u8)],
    /// What they write by mail, when the language's usual scripts will not do.
    own: &'static [Script],
}

impl Person {
    const fn new(name: &'static str, lang: Lang, convs: &'static [(Channel, u8)]) -> Self {
        Person {
            name,
            first: None,
            lang,
            email: None,
            phone: None,
            nick: None,
            convs,
            own: &[],
        }
    }

    const fn email(self, email: &'static str) -> Self {
        Person {
            email: Some(email),
            ..self
        }
    }

    const fn phone(self, phone: &'static str) -> Self {
        Person {
            phone: Some(phone),
            ..self
        }
    }

    const fn nick(self, nick: &'static str) -> Self {
        Person {
            nick: Some(nick),
            ..self
        }
    }

    const fn first(self, first: &'static str) -> Self {
        Person {
            first: Some(first),
            ..self
        }
    }

    const fn own(self, own: &'static [Script]) -> Self {
        Person { own, ..self }
    }

    /// The channel of their `m`-th conversation.
    fn channel_of(&self, m: usize) -> Channel {
        let mut left = m;
        for (channel, n) in self.convs {
            let n = usize::from(*n);
            if left < n {
                return *channel;
            }
            left -= n;
        }
        Channel::Chat
    }

    /// How many conversations they have on `channel`.
    fn count_on(&self, channel: Channel) -> usize {
        self.convs
            .iter()
            .filter(|(c, _)| *c == channel)
            .map(|(_, n)| usize::from(*n))
            .sum()
    }

    fn first_name(&self) -> &'static str {
        self.first
            .or_else(|| self.name.split_whitespace().next())
            .unwrap_or("")
    }

    /// The script of their next conversation: their own if they have one, else the next
    /// of their language's, starting at a different place for each person so that two
    /// customers rarely tell the same story side by side.
    fn script(
        &self,
        channel: Channel,
        email_no: &mut usize,
        other_no: &mut usize,
        index: usize,
    ) -> &'static Script {
        let (pool, no) = if channel == Channel::Email && !self.own.is_empty() {
            (self.own, email_no)
        } else if channel == Channel::Email {
            (self.lang.emails(), email_no)
        } else {
            (self.lang.messages(), other_no)
        };
        // Their own stories are told in order.
        let offset = if self.own.is_empty() { index * 3 } else { 0 };
        let pick = (offset + *no) % pool.len().max(1);
        *no += 1;
        &pool[pick]
    }
}

/// The display name of the phishing sender: a right-to-left override makes
/// "rf.omissiloc" read "colissimo.fr" on a terminal that honours it.
const PHISHER: &str = "Service Colis \u{202e}rf.omissiloc";

use Channel::{Chat, Email, Instagram, Mastodon, Messenger, Telegram, Whatsapp, X};

static PEOPLE: &[Person] = &[
    Person::new(
        "Marie Dubois",
        Lang::Fr,
        &[(Chat, 1), (Email, 2), (Whatsapp, 1), (Chat, 1), (Email, 3)],
    )
    .email("marie.dubois@free.example")
    .phone("+33 6 12 34 56 78"),
    Person::new(
        "Julien Moreau",
        Lang::Fr,
        &[(Email, 2), (Chat, 1), (Email, 2), (Chat, 1)],
    )
    .email("julien.moreau@laposte.example"),
    Person::new(
        "Sophie Lambert",
        Lang::Fr,
        &[(Chat, 1), (Email, 2), (Whatsapp, 1), (Email, 1)],
    )
    .email("sophie.lambert@gmail.example")
    .phone("+33 6 45 18 27 90"),
    Person::new(
        "Thomas Girard",
        Lang::Fr,
        &[(Chat, 1), (Email, 2), (Chat, 1), (Email, 2)],
    )
    .email("thomas.girard@outlook.example"),
    Person::new("Émilie Rousseau", Lang::Fr, &[(Email, 3), (Chat, 2)])
        .email("emilie.rousseau@orange.example"),
    Person::new(
        "Hélène Fontaine",
        Lang::Fr,
        &[(Chat, 1), (Email, 3), (Whatsapp, 1)],
    )
    .email("helene.fontaine@sfr.example")
    .phone("+33 7 81 22 40 15"),
    Person::new("Nicolas Petit", Lang::Fr, &[(Email, 5)])
        .email("contact@bistrot-du-port.example")
        .own(PRO),
    Person::new("Claire Bernard", Lang::Fr, &[(Chat, 2), (Email, 3)])
        .email("claire.bernard@gmail.example"),
    Person::new("Antoine Lefèvre", Lang::Fr, &[(Email, 3), (Chat, 2)])
        .email("a.lefevre@proton.example"),
    Person::new(FAILING_CUSTOMER, Lang::Fr, &[(Chat, 1), (Email, 1)])
        .email("bruno.echec@orange.example")
        .own(BRUNO),
    Person::new(
        "Sarah Thompson",
        Lang::En,
        &[(Email, 2), (Chat, 2), (Email, 1)],
    )
    .email("sarah.t@btinternet.example"),
    Person::new("James O'Connor", Lang::En, &[(Email, 3), (Chat, 1)])
        .email("james.oconnor@eircom.example"),
    Person::new("Lukas Becker", Lang::De, &[(Email, 2), (Chat, 1)])
        .email("lukas.becker@web.example"),
    Person::new(
        "Carmen Ruiz",
        Lang::Es,
        &[(Chat, 1), (Email, 2), (Whatsapp, 1)],
    )
    .email("carmen.ruiz@telefonica.example")
    .phone("+34 612 345 678"),
    Person::new("田中 由紀", Lang::Ja, &[(Email, 2), (Chat, 1)])
        .email("yuki.tanaka@docomo.example")
        .first("Yuki"),
    Person::new("李伟", Lang::Zh, &[(Chat, 1), (Email, 1), (Chat, 1)])
        .email("li.wei@qq.example")
        .first("Li Wei"),
    Person::new(
        "ليلى حداد",
        Lang::Ar,
        &[(Chat, 1), (Whatsapp, 1), (Email, 1)],
    )
    .email("leila.haddad@menara.example")
    .phone("+212 6 61 23 45 67")
    .first("Leïla"),
    Person::new("נועה לוי", Lang::He, &[(Chat, 1), (Email, 2)])
        .email("noa.levi@walla.example")
        .first("Noa"),
    Person::new(PHISHER, Lang::Fr, &[(Email, 1)])
        .email("no-reply@colis-frais.example")
        .own(PHISHING),
    Person::new("Lucas", Lang::Fr, &[(Chat, 3)]),
    Person::new("", Lang::Fr, &[(Chat, 2)]),
    Person::new("Inès", Lang::Fr, &[(Chat, 4)]),
    Person::new("Zoé", Lang::Fr, &[(Chat, 4)]),
    Person::new("Pierre Garnier", Lang::Fr, &[(Chat, 1), (Whatsapp, 1)]).phone("+33 6 98 76 54 32"),
    Person::new("Mathieu", Lang::Fr, &[(Chat, 3)]),
    Person::new("Fatou Diallo", Lang::Fr, &[(Whatsapp, 1)]).phone("+33 7 55 12 98 34"),
    Person::new("Karim Benali", Lang::Fr, &[(Whatsapp, 1), (Telegram, 1)])
        .phone("+33 6 22 14 87 03"),
    Person::new("Chantal Mercier", Lang::Fr, &[(Messenger, 1)]),
    Person::new("Kevin Nguyen", Lang::Fr, &[(Messenger, 1)]),
    Person::new("Anne-Sophie Vidal", Lang::Fr, &[(Messenger, 1)]),
    Person::new("Léa Marchand", Lang::Fr, &[(Instagram, 1)]),
    Person::new("Hugo Lefort", Lang::Fr, &[(Instagram, 1)]),
    Person::new("Chloé Martin", Lang::Fr, &[(Instagram, 1)]),
    Person::new("王美", Lang::Zh, &[(Instagram, 1)]).first("Mei"),
    Person::new("Anna Schmidt", Lang::De, &[(Instagram, 1)]),
    Person::new("Baptiste Roux", Lang::Fr, &[(Telegram, 1)]),
    Person::new("Dmitri Volkov", Lang::En, &[(Telegram, 1)]),
    Person::new("René Lacroix", Lang::Fr, &[(Mastodon, 4)]).nick("rene@piaille.example"),
    Person::new("Sam Rivera", Lang::En, &[(Mastodon, 2)]).nick("sam@hachyderm.example"),
    Person::new("Margaux Perrin", Lang::Fr, &[(X, 1)]),
    Person::new("加藤 浩", Lang::Ja, &[(X, 1)]).first("Hiroshi"),
];

// ---------------------------------------------------------------------------------------
// What they say.

/// A conversation's story: what the customer writes, what the shop answers, the notes
/// the agents leave. `{first}`, `{order}` and `{agent}` are filled in.
struct Script {
    /// The email subject (other channels have none).
    subject: &'static str,
    turns: &'static [Turn],
    labels: &'static [&'static str],
}

enum Turn {
    /// From the customer.
    C(&'static str),
    /// From the customer, with a file.
    F(&'static str, File),
    /// The shop's reply.
    S(&'static str),
    /// An internal note.
    N(&'static str),
}

impl Turn {
    fn text(&self) -> &'static str {
        match self {
            Turn::C(t) | Turn::F(t, _) | Turn::S(t) | Turn::N(t) => t,
        }
    }
}

#[derive(Clone, Copy)]
enum File {
    Photo,
    List,
    Lure,
}

impl File {
    fn attachment(self) -> InboundAttachment {
        let (name, mime, bytes): (&str, &str, &[u8]) = match self {
            File::Photo => (
                "IMG_20240312_181522.jpg",
                "image/jpeg",
                b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00demo\xff\xd9",
            ),
            File::List => (
                "besoins-mensuels.csv",
                "text/csv",
                "produit;quantité\nhuile d'olive 5 L;4\nsardines (carton de 24);2\nfleur de sel 1 kg;3\n"
                    .as_bytes(),
            ),
            // The classic disguise: the override makes "fdp.js" read "sj.pdf".
            File::Lure => (
                "Avis_de_passage\u{202e}fdp.js",
                "application/javascript",
                b"/* demo: a lure, not a real script */\n",
            ),
        };
        InboundAttachment {
            name: name.to_owned(),
            mime: mime.to_owned(),
            bytes: bytes.to_vec(),
        }
    }
}

use Turn::{C, F, N, S};

const PHISHING: &[Script] = &[Script {
    subject: "Votre colis est bloqué\u{1b}[2J — action requise",
    turns: &[
        F(
            "\u{feff}Bonjour,\n\nVotre colis n° 6A99887766 est bloqué dans notre entrepôt.\u{1b}[31m Des frais de réexpédition de 1,99 € sont requis.\u{1b}[0m\n\nRéglez-les ici : \u{1b}]8;;http://colis-frais.example/payer\u{7}https://www.laposte.fr/suivi\u{1b}]8;;\u{7}\n\n\u{1b}]52;c;Y3VybCBodHRwOi8vY29saXMtZnJhaXMuZXhhbXBsZS9zaCB8IHNo\u{7}Le service client",
            File::Lure,
        ),
        N(
            "Hameçonnage : le lien mène à colis-frais.example. Ne rien payer, ne pas ouvrir la pièce jointe. Le sujet contenait une séquence d'effacement d'écran, neutralisée à l'affichage.",
        ),
    ],
    labels: &["spam"],
}];

/// Nicolas runs a bistrot and buys for it.
const PRO: &[Script] = &[
    Script {
        subject: "Tarifs professionnels ?",
        turns: &[
            C(
                "Bonjour,\n\nJe tiens le Bistrot du Port à Nantes et je cherche un fournisseur pour l'huile d'olive et les conserves de sardines. Proposez-vous des tarifs professionnels, et à partir de quelle quantité ?\n\nBien à vous,\n{first}",
            ),
            N("Client pro potentiel : lui proposer la grille grossiste."),
            S(
                "Bonjour {first},\n\nOui, nous avons une grille professionnelle à partir de 150 € HT par commande : –15 % sur l'huile d'olive en bidon de 5 L et –10 % sur les conserves par carton de 24.\n\nJe peux vous ouvrir un compte pro dès que vous m'envoyez votre SIRET.\n\n{agent} — La Petite Épicerie",
            ),
            F(
                "Merci ! Voici notre SIRET : 812 345 678 00021. Je vous joins la liste de ce dont nous aurions besoin chaque mois.\n\n{first}",
                File::List,
            ),
            S(
                "Compte pro ouvert. La première commande partira mardi, livraison mercredi matin avant le service.\n\n{agent}",
            ),
        ],
        labels: &["grossiste"],
    },
    Script {
        subject: "Livraison de mercredi incomplète",
        turns: &[
            C(
                "Bonjour,\n\nIl manque un carton de sardines à l'huile dans la livraison de ce matin (bon {order}). On en a besoin pour le service de vendredi.\n\n{first}",
            ),
            S(
                "Bonjour {first},\n\nDésolés : le carton est resté sur notre quai. Il part demain en express, vous l'aurez jeudi avant midi.\n\n{agent} — La Petite Épicerie",
            ),
            C("Parfait, merci.\n\n{first}"),
            S("Il est parti, suivi 6A55501234567.\n\n{agent}"),
        ],
        labels: &["grossiste", "livraison"],
    },
    Script {
        subject: "Facture d'octobre",
        turns: &[
            C(
                "Bonjour,\n\nNotre comptable me demande une facture récapitulative pour octobre, avec le détail HT / TVA. C'est possible ?\n\n{first}",
            ),
            S(
                "Bonjour {first},\n\nBien sûr, elle est générée et envoyée à l'adresse de facturation du compte pro.\n\n{agent} — La Petite Épicerie",
            ),
        ],
        labels: &["grossiste", "facture"],
    },
    Script {
        subject: "Ajout à la commande de la semaine",
        turns: &[
            C(
                "Bonjour,\n\nPouvez-vous ajouter 2 bidons d'huile d'olive et 1 kg de fleur de sel à la commande de cette semaine ({order}) ?\n\n{first}",
            ),
            N("Ajout fait sur {order} ; vérifier le stock de fleur de sel (3 kg restants)."),
            S("Bonjour {first},\n\nC'est ajouté, même livraison mercredi.\n\n{agent}"),
        ],
        labels: &["grossiste"],
    },
    Script {
        subject: "Truffes pour la carte d'hiver ?",
        turns: &[
            C(
                "Bonjour,\n\nNous préparons la carte d'hiver. Pourrez-vous fournir de la truffe noire fraîche en décembre, environ 300 g par semaine ? Et à quel prix ?\n\n{first}",
            ),
            S(
                "Bonjour {first},\n\nNotre trufficulteur du Vaucluse confirme la quantité ; le prix dépend du marché de Richerenches, autour de 900 €/kg l'an dernier. Je reviens vers vous avec un tarif ferme dès la première récolte.\n\n{agent} — La Petite Épicerie",
            ),
            C("Très bien, j'attends de vos nouvelles.\n\n{first}"),
            S("Je vous écris dès que j'ai le prix.\n\n{agent}"),
        ],
        labels: &["grossiste", "question produit"],
    },
];

/// Bruno's mail: his old mailbox is closing, which is why replies to him bounce.
const BRUNO: &[Script] = &[Script {
    subject: "Confirmation de commande {order} jamais reçue",
    turns: &[
        C(
            "Bonjour,\n\nJ'ai commandé samedi (n° {order}) mais je n'ai reçu ni l'e-mail de confirmation ni le lien de suivi. Pouvez-vous me les renvoyer ?\n\nMerci,\nBruno Échec",
        ),
        C(
            "PS : je change de fournisseur d'accès ces jours-ci, mon adresse orange.example risque de ne plus marcher très longtemps. Si ma boîte fait des siennes, je repasse par le chat.\n\nBruno",
        ),
        S(
            "Bonjour Bruno,\n\nVotre commande {order} est bien partie ; voici le suivi : 6A98765432109.\n\n{agent} — La Petite Épicerie",
        ),
    ],
    labels: &["livraison"],
}];

const FR_EMAIL: &[Script] = &[
    Script {
        subject: "Commande {order} toujours pas reçue",
        turns: &[
            C(
                "Bonjour,\n\nJ'ai passé commande il y a dix jours (n° {order}) et je n'ai toujours rien reçu. Le suivi Colissimo indique « en cours d'acheminement » depuis six jours.\n\nPouvez-vous vérifier ?\n\nMerci d'avance,\n{first}",
            ),
            N(
                "Colissimo confirme : colis bloqué au centre de tri de Lyon. Réclamation ouverte (n° 8L0945).",
            ),
            S(
                "Bonjour {first},\n\nMerci pour votre message, et désolée pour l'attente. Votre colis est bloqué au centre de tri de Lyon ; nous avons ouvert une réclamation auprès de Colissimo.\n\nS'il n'a pas bougé d'ici vendredi, nous vous renvoyons la commande à nos frais.\n\nBelle journée,\n{agent} — La Petite Épicerie",
            ),
            C(
                "Bonjour,\n\nBonne nouvelle : le colis est arrivé ce matin, tout est en bon état. Merci pour le suivi !\n\n{first}",
            ),
            S("Parfait, merci de nous avoir prévenus ! Bonne dégustation.\n\n{agent}"),
        ],
        labels: &["livraison"],
    },
    Script {
        subject: "Pot de confiture cassé à la livraison",
        turns: &[
            F(
                "Bonjour,\n\nJ'ai reçu ma commande {order} hier mais le pot de confiture figue-noix était cassé, le carton est tout collant. Je vous joins une photo.\n\nQue peut-on faire ?\n\nCordialement,\n{first}",
                File::Photo,
            ),
            S(
                "Bonjour {first},\n\nToutes nos excuses ! Merci pour la photo. Nous vous renvoyons un pot dès demain, sans frais ; inutile de nous retourner l'autre.\n\n{agent} — La Petite Épicerie",
            ),
            C("Super, merci beaucoup pour la réactivité !\n\n{first}"),
            S("Avec plaisir. Le nouveau pot part aujourd'hui, bien calé cette fois 🙂\n\n{agent}"),
        ],
        labels: &["casse", "remboursement"],
    },
    Script {
        subject: "Facture pour ma commande {order}",
        turns: &[
            C(
                "Bonjour,\n\nPourriez-vous m'envoyer une facture au nom de mon entreprise (Atelier Lumière, 12 rue des Tanneurs, 67000 Strasbourg) pour la commande {order} ?\n\nMerci,\n{first}",
            ),
            S(
                "Bonjour {first},\n\nJe viens de l'émettre au nom d'Atelier Lumière depuis notre logiciel de facturation ; vous la recevrez dans quelques minutes. N'hésitez pas si une mention manque.\n\n{agent} — La Petite Épicerie",
            ),
            C("Reçue, c'est parfait. Merci !\n\n{first}"),
        ],
        labels: &["facture"],
    },
    Script {
        subject: "Produit périmé dans ma commande {order}",
        turns: &[
            C(
                "Bonjour,\n\nDans ma commande {order}, le paquet de sablés au beurre a une date de durabilité minimale dépassée depuis une semaine (02/11). Ce n'est pas bien grave mais je préférais vous le signaler.\n\nCordialement,\n{first}",
            ),
            N("Lot de sablés 2410 : vérifier le rayon, retirer les paquets au 02/11."),
            S(
                "Bonjour {first},\n\nMerci de nous l'avoir signalé, et toutes nos excuses : un carton ancien s'est glissé dans le stock. Nous vous remboursons le paquet (4,20 €) et un paquet frais part avec votre prochaine commande.\n\n{agent} — La Petite Épicerie",
            ),
            C("Merci, c'est très correct.\n\n{first}"),
            S("Merci à vous, bonne journée !\n\n{agent}"),
        ],
        labels: &["qualité", "remboursement"],
    },
    Script {
        subject: "Allergènes : biscuits aux amandes",
        turns: &[
            C(
                "Bonjour,\n\nMon fils est allergique à l'arachide. Les biscuits aux amandes de la biscuiterie Poupart sont-ils fabriqués dans un atelier qui utilise aussi de l'arachide ?\n\nMerci,\n{first}",
            ),
            S(
                "Bonjour {first},\n\nJ'ai posé la question directement à la biscuiterie : leur atelier n'utilise pas d'arachide, mais il traite d'autres fruits à coque (noisettes, noix). L'étiquette porte la mention « traces possibles de fruits à coque ».\n\n{agent} — La Petite Épicerie",
            ),
            C("Merci beaucoup pour cette réponse précise, c'est rassurant.\n\n{first}"),
            S("Avec plaisir ! Bonne journée à vous.\n\n{agent}"),
        ],
        labels: &["question produit"],
    },
    Script {
        subject: "Erreur d'adresse sur la commande {order}",
        turns: &[
            C(
                "Bonjour,\n\nJe viens de commander (n° {order}) mais l'adresse est fausse : c'est au 14 et non au 41 avenue Jean-Jaurès. Est-il encore temps de corriger ?\n\n{first}",
            ),
            S(
                "Bonjour {first},\n\nC'est corrigé : le colis n'était pas encore parti. Il sera livré au 14 avenue Jean-Jaurès.\n\n{agent} — La Petite Épicerie",
            ),
        ],
        labels: &["livraison"],
    },
    Script {
        subject: "Coffret cadeau pour un anniversaire",
        turns: &[
            C(
                "Bonjour,\n\nJe voudrais offrir le coffret « Apéro provençal » à ma mère pour ses 70 ans, le 14. Peut-on ajouter un petit mot et ne pas mettre la facture dans le colis ?\n\nMerci !\n{first}",
            ),
            S(
                "Bonjour {first},\n\nBien sûr : indiquez-moi le texte du mot et nous l'écrirons à la main sur une carte. La facture vous sera envoyée par e-mail uniquement.\n\n{agent} — La Petite Épicerie",
            ),
            C(
                "Merci ! Le mot : « Joyeux anniversaire Maman, 70 ans et toujours aussi gourmande ! Bises, {first} »",
            ),
            N("Carte manuscrite à préparer — colis {order}, pas de facture dans le carton."),
            S(
                "C'est noté, la carte sera glissée dans le coffret. Livraison prévue le 12.\n\n{agent}",
            ),
        ],
        labels: &["cadeau"],
    },
    Script {
        subject: "Remboursement non reçu",
        turns: &[
            C(
                "Bonjour,\n\nVous m'aviez confirmé il y a deux semaines le remboursement de l'huile de noix en rupture (commande {order}), mais je ne vois rien sur mon compte.\n\nCordialement,\n{first}",
            ),
            N(
                "Remboursement fait le 3 via Stripe (re_3P8x…), 14,90 €. Délai bancaire 5 à 10 jours.",
            ),
            S(
                "Bonjour {first},\n\nLe remboursement de 14,90 € a bien été émis le 3 ; selon les banques, il apparaît sous 5 à 10 jours ouvrés. Si vous ne voyez rien lundi, je relance notre prestataire de paiement.\n\n{agent} — La Petite Épicerie",
            ),
            C("D'accord, je surveille. Merci.\n\n{first}"),
            S("Je reste disponible si besoin.\n\n{agent}"),
        ],
        labels: &["remboursement"],
    },
    Script {
        subject: "Suspendre le panier du mois en août",
        turns: &[
            C(
                "Bonjour,\n\nJ'ai un abonnement au panier du mois. Est-il possible de suspendre l'envoi en août ? Nous serons en vacances.\n\n{first}",
            ),
            S(
                "Bonjour {first},\n\nC'est fait : pas de panier en août, reprise automatique en septembre. Bonnes vacances !\n\n{agent} — La Petite Épicerie",
            ),
        ],
        labels: &["abonnement"],
    },
    Script {
        subject: "Origine du miel de lavande",
        turns: &[
            C(
                "Bonjour,\n\nVotre miel de lavande vient-il vraiment de Provence ? Sur l'étiquette je lis « mélange de miels originaires et non originaires de l'UE »…\n\n{first}",
            ),
            S(
                "Bonjour {first},\n\nBonne remarque : l'étiquette du lot 2403 était erronée. Notre miel de lavande vient d'un apiculteur de Valensole (04) ; l'étiquette corrigée arrive la semaine prochaine.\n\n{agent} — La Petite Épicerie",
            ),
            C("Merci pour la transparence !\n\n{first}"),
            S("Merci à vous d'avoir signalé l'erreur.\n\n{agent}"),
        ],
        labels: &["question produit"],
    },
];

const FR_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("Bonjour, vous êtes ouverts le dimanche matin ?"),
            S("Bonjour ! Oui, la boutique est ouverte le dimanche de 9 h à 13 h."),
            C("Super merci 👍"),
            S("Avec plaisir, à dimanche !"),
        ],
        labels: &["boutique"],
    },
    Script {
        subject: "",
        turns: &[
            C(
                "Bonjour, j'ai commandé en click & collect ce matin, je peux passer à quelle heure ?",
            ),
            S("Bonjour {first} ! Votre commande sera prête à partir de 15 h."),
            C("Parfait, je passe vers 17 h"),
            S("On vous attend 🙂"),
        ],
        labels: &["click & collect"],
    },
    Script {
        subject: "",
        turns: &[
            C("Est-ce que vous avez encore du comté 24 mois ?"),
            S("Oui, il nous en reste ! Vous le voulez à la coupe ou sous vide ?"),
            C("Sous vide, 500 g svp. Je peux le récupérer demain ?"),
            N("500 g de comté 24 mois mis de côté au nom de {first}, sous le comptoir."),
            S("C'est mis de côté à votre nom, jusqu'à samedi."),
        ],
        labels: &["stock"],
    },
    Script {
        subject: "",
        turns: &[
            C("Bonjour, le code BIENVENUE10 ne marche pas sur mon panier 😕"),
            S(
                "Bonjour {first}, le code s'applique à partir de 30 € d'achat et votre panier est à 27,50 €. Je peux vous faire un code valable dès maintenant si vous voulez.",
            ),
            C("Ah d'accord ! Oui je veux bien"),
            S("Voici : BIENVENUE-{order}. Valable 48 h 🙂"),
        ],
        labels: &["code promo"],
    },
    Script {
        subject: "",
        turns: &[
            C(
                "Salut ! Si je commande aujourd'hui, je reçois avant samedi ? C'est pour un anniversaire 🎂",
            ),
            S(
                "Bonjour ! Avec la livraison express commandée avant 14 h, oui, vous recevez vendredi.",
            ),
            C("Top, je commande tout de suite"),
            C("C'est fait, commande {order}"),
            S("Bien reçue, elle part cet après-midi en express 🚚"),
        ],
        labels: &["livraison"],
    },
    Script {
        subject: "",
        turns: &[
            F(
                "Bonjour, mon colis est arrivé tout écrasé, voici une photo",
                File::Photo,
            ),
            S(
                "Oh non, désolés {first} ! Est-ce que les produits sont abîmés ou seulement le carton ?",
            ),
            C("Juste le carton, tout est intact heureusement"),
            S("Ouf ! Merci d'avoir pris le temps de nous prévenir, on le signale au transporteur."),
        ],
        labels: &["casse"],
    },
    Script {
        subject: "",
        turns: &[
            C("Vous avez des pâtes sans gluten ?"),
            S(
                "Oui : les fusilli de lentilles corail et les spaghetti de riz complet, au rayon « Épicerie salée ».",
            ),
            C("Merci, je vais regarder 🙏"),
        ],
        labels: &["question produit"],
    },
    Script {
        subject: "",
        turns: &[
            C("Bonsoir, est-ce qu'on peut acheter une carte cadeau en ligne ?"),
            S(
                "Bonsoir {first} ! Oui, de 20 € à 150 €, envoyée par e-mail ou à imprimer. Elle est dans le menu « Idées cadeaux ».",
            ),
            C("Merci beaucoup, bonne soirée"),
            S("Bonne soirée à vous !"),
        ],
        labels: &["cadeau"],
    },
    Script {
        subject: "",
        turns: &[
            C(
                "Bonjour, je voudrais retourner un moulin à poivre, il ne me plaît pas finalement. Comment faire ?",
            ),
            S(
                "Bonjour {first}, vous avez 14 jours : je vous envoie une étiquette de retour gratuite par e-mail.",
            ),
            C("Merci, je l'ai bien reçue"),
            S("Parfait, le remboursement partira dès réception du moulin."),
        ],
        labels: &["retour"],
    },
    Script {
        subject: "",
        turns: &[
            C("Coucou, ma commande {order} est partie ?"),
            S("Bonjour {first} ! Oui, expédiée hier, numéro de suivi : 6A12345678901."),
            C("Merci !! ❤️"),
        ],
        labels: &["livraison"],
    },
];

const EN_EMAIL: &[Script] = &[
    Script {
        subject: "Shipping to the UK?",
        turns: &[
            C(
                "Hello,\n\nDo you ship to the UK, and if so, what about customs fees since Brexit? I'd love to order the olive oil and the tapenade.\n\nKind regards,\n{first}",
            ),
            S(
                "Hello {first},\n\nYes, we ship to the UK with DHL. For orders under £135 the VAT is collected at checkout, so there is nothing more to pay on delivery.\n\nBest wishes,\n{agent} — La Petite Épicerie",
            ),
            C("Brilliant, thank you! Order placed ({order}).\n\n{first}"),
            S("Thank you! It ships tomorrow morning.\n\n{agent}"),
        ],
        labels: &["international"],
    },
    Script {
        subject: "Wrong item in my order {order}",
        turns: &[
            C(
                "Hi,\n\nI ordered lavender honey but received chestnut honey. Not a disaster (it's lovely!) but I wanted the lavender one for a gift.\n\nThanks,\n{first}",
            ),
            S(
                "Hi {first},\n\nSo sorry about the mix-up! We're sending the lavender honey today; please keep the chestnut one with our compliments.\n\n{agent} — La Petite Épicerie",
            ),
            C("That's very kind, thank you so much 😊\n\n{first}"),
        ],
        labels: &["erreur de préparation"],
    },
    Script {
        subject: "Corporate gifts for 25 people",
        turns: &[
            C(
                "Hello,\n\nWe'd like to send a small hamper to each of our 25 employees before the holidays, to three different addresses. Could you quote for the \"Apéro provençal\" box?\n\nBest,\n{first}",
            ),
            N("25 coffrets : vérifier le stock de tapenade avant de confirmer."),
            S(
                "Hello {first},\n\nHappy to help! For 25 boxes we can offer 12% off (€37.80 each instead of €42.95), shipping to three addresses included. I'll send a formal quote today.\n\n{agent} — La Petite Épicerie",
            ),
            C("Perfect, please go ahead. Our PO number is 4500123987.\n\n{first}"),
            S("Thank you! The boxes will ship on Monday.\n\n{agent}"),
        ],
        labels: &["cadeau", "grossiste"],
    },
    Script {
        subject: "Can't log in to my account",
        turns: &[
            C(
                "Hi,\n\nThe password reset link says it has expired every time I click it, even straight away. Can you help?\n\n{first}",
            ),
            S(
                "Hi {first},\n\nSorry about that: some mail apps open links in a preview first, which uses them up. I've sent a fresh link; try opening it from a browser directly.\n\n{agent} — La Petite Épicerie",
            ),
            C("That worked, thanks!\n\n{first}"),
        ],
        labels: &["compte"],
    },
];

const EN_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("Hi! Is the truffle salt still in stock? The page says 'back soon'"),
            S("Hi {first}! It's back on Thursday, I can put one aside for you."),
            C("Yes please!"),
            S("Done ✅"),
        ],
        labels: &["stock"],
    },
    Script {
        subject: "",
        turns: &[
            C("hello, do you have vegan options in the aperitif boxes?"),
            S(
                "Hello {first}! Yes, the « Apéro du potager » box is fully vegan: tapenade, crackers, marinated veggies.",
            ),
            C("perfect thanks"),
        ],
        labels: &["question produit"],
    },
    Script {
        subject: "",
        turns: &[
            C(
                "Loved the chestnut honey I bought at your shop in Arles last summer. Do you ship to Canada? 🍯",
            ),
            S("Hi {first}, thank you! Yes, we ship to Canada, 8 to 12 days with La Poste."),
            C("Amazing, ordering now!"),
            S("Enjoy! 🇫🇷"),
        ],
        labels: &["international"],
    },
];

const DE_EMAIL: &[Script] = &[
    Script {
        subject: "Lieferung nach Deutschland",
        turns: &[
            C(
                "Guten Tag,\n\nich habe am Montag bestellt (Bestellnummer {order}). Wie lange dauert der Versand nach Freiburg ungefähr? Und gibt es eine Sendungsverfolgung?\n\nMit freundlichen Grüßen\n{first}",
            ),
            S(
                "Guten Tag {first},\n\nder Versand nach Deutschland dauert 3 bis 5 Werktage. Ihre Sendungsnummer lautet 00340434161094012345 (DHL).\n\nViele Grüße\n{agent} — La Petite Épicerie",
            ),
            C("Vielen Dank für die schnelle Antwort!\n\n{first}"),
            S("Gern geschehen! 🙂\n\n{agent}"),
        ],
        labels: &["international"],
    },
    Script {
        subject: "Rechnung mit USt-IdNr.",
        turns: &[
            C(
                "Hallo,\n\nkönnten Sie mir bitte eine Rechnung mit unserer USt-IdNr. DE123456789 ausstellen? Bestellung {order}.\n\nDanke und Grüße\n{first}",
            ),
            S(
                "Hallo {first},\n\ndie korrigierte Rechnung mit Ihrer USt-IdNr. ist per E-Mail unterwegs.\n\nBeste Grüße\n{agent} — La Petite Épicerie",
            ),
            C("Super, angekommen. Danke!\n\n{first}"),
        ],
        labels: &["facture"],
    },
];

const DE_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("Hallo! Habt ihr noch den Lavendelhonig? 🍯"),
            S("Hallo {first}! Ja, 250 g und 500 g sind auf Lager."),
            C("Super, danke!"),
        ],
        labels: &["stock"],
    },
    Script {
        subject: "",
        turns: &[
            C("Guten Tag, sind die Kekse glutenfrei?"),
            S(
                "Hallo {first}, leider nicht: sie enthalten Weizenmehl. Glutenfrei sind unsere Madeleines aus Reismehl.",
            ),
            C("Danke für die Info!"),
            S("Gerne!"),
        ],
        labels: &["question produit"],
    },
];

const ES_EMAIL: &[Script] = &[
    Script {
        subject: "Pedido {order} dañado",
        turns: &[
            F(
                "Hola:\n\nHe recibido el pedido {order} y una de las latas de sardinas llegó abollada. Adjunto una foto.\n\nUn saludo,\n{first}",
                File::Photo,
            ),
            S(
                "Hola, {first}:\n\n¡Lo sentimos mucho! Le enviamos otra lata hoy mismo, sin coste.\n\nUn saludo,\n{agent} — La Petite Épicerie",
            ),
            C("¡Muchas gracias por la rapidez!\n\n{first}"),
        ],
        labels: &["casse"],
    },
    Script {
        subject: "Pregunta sobre el aceite de oliva",
        turns: &[
            C(
                "Hola:\n\n¿El aceite de oliva de Nyons es de primera presión en frío? Lo quiero para regalar.\n\nGracias,\n{first}",
            ),
            S(
                "Hola, {first}:\n\nSí, es virgen extra de primera presión en frío, AOP Nyons. Podemos envolverlo para regalo sin coste.\n\n{agent} — La Petite Épicerie",
            ),
            C("¡Perfecto! Lo pido con envoltorio entonces.\n\n{first}"),
            S("¡Hecho! 🎁\n\n{agent}"),
        ],
        labels: &["question produit"],
    },
];

const ES_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("Hola, ¿hacéis envíos a Barcelona?"),
            S("¡Hola {first}! Sí, enviamos a toda España en 3-4 días laborables."),
            C("Genial, gracias 😊"),
        ],
        labels: &["international"],
    },
    Script {
        subject: "",
        turns: &[
            C("Buenas, ¿mi pedido {order} ya salió?"),
            S("¡Hola {first}! Sí, salió ayer con Correos Express. Llega el jueves."),
            C("¡Gracias!"),
            S("¡A usted!"),
        ],
        labels: &["livraison"],
    },
];

const JA_EMAIL: &[Script] = &[
    Script {
        subject: "注文した商品について",
        turns: &[
            C(
                "はじめまして。\n\n先週注文した商品（注文番号 {order}）がまだ届いていません。配送状況を教えていただけますか。\n\nよろしくお願いいたします。\n{first}",
            ),
            S(
                "Hello {first},\n\nThank you for your message. Your parcel has been with Japan Post since Monday; tracking number EE123456789FR. It should arrive within 3 days.\n\nBest regards,\n{agent} — La Petite Épicerie",
            ),
            C("ご連絡ありがとうございます。届くのを楽しみにしています！🙏\n\n{first}"),
            S("🙏\n\n{agent}"),
        ],
        labels: &["international", "livraison"],
    },
    Script {
        subject: "ギフト包装はできますか",
        turns: &[
            C(
                "こんにちは。\n\nラベンダーはちみつを3つ注文したいのですが、それぞれギフト包装していただくことは可能でしょうか。\n\n{first}",
            ),
            S(
                "Hello {first},\n\nYes, gift wrapping is free: just tick « emballage cadeau » at checkout and we wrap each jar separately.\n\n{agent} — La Petite Épicerie",
            ),
            C("ありがとうございます。さっそく注文しました。\n\n{first}"),
        ],
        labels: &["cadeau"],
    },
];

const JA_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("こんにちは！日本への発送はできますか？"),
            S("Hello {first}! Yes, we ship to Japan (7–10 days). 日本への発送も可能です 🙂"),
            C("ありがとうございます！注文します。"),
        ],
        labels: &["international"],
    },
    Script {
        subject: "",
        turns: &[
            C("すみません、トリュフ塩の賞味期限はどのくらいですか？"),
            S("Hello {first}! The truffle salt keeps for 2 years, unopened. 賞味期限は約2年です。"),
            C("了解です。ありがとうございました！"),
        ],
        labels: &["question produit"],
    },
];

const ZH_EMAIL: &[Script] = &[Script {
    subject: "关于订单 {order}",
    turns: &[
        C(
            "您好，\n\n我的订单 {order} 显示已发货，但是快递单号查不到信息。请帮忙确认一下。\n\n谢谢！\n{first}",
        ),
        S(
            "Hello {first},\n\nThe tracking number becomes active once the parcel is scanned at the airport; it should show up within 48 hours. Sorry for the worry!\n\n{agent} — La Petite Épicerie",
        ),
        C("明白了，谢谢您的解释。\n\n{first}"),
    ],
    labels: &["international"],
}];

const ZH_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("你好！请问你们的薰衣草蜂蜜可以寄到上海吗？"),
            S("Hello {first}! Yes, we ship to China with La Poste, about 10 days. 可以寄到上海 🙂"),
            C("太好了，谢谢！我现在就下单。"),
        ],
        labels: &["international"],
    },
    Script {
        subject: "",
        turns: &[
            C("请问栗子蜂蜜还有货吗？网站上显示缺货。"),
            S("Hello {first}! It's back next week. 下周到货，我可以给您留一瓶。"),
            C("好的，麻烦您了！"),
            S("不客气！"),
        ],
        labels: &["stock"],
    },
];

const AR_EMAIL: &[Script] = &[Script {
    subject: "طلب رقم {order}",
    turns: &[
        C(
            "السلام عليكم،\n\nوصلني الطلب رقم {order} ولكن تنقصه علبة الشاي بالنعناع. أرجو التحقق.\n\nمع الشكر،\n{first}",
        ),
        S(
            "Bonjour {first},\n\nToutes nos excuses : la boîte de thé à la menthe a été oubliée. Elle part aujourd'hui.\n\n{agent} — La Petite Épicerie",
        ),
        C("شكرا على سرعة الرد 🌸\n\n{first}"),
    ],
    labels: &["erreur de préparation"],
}];

const AR_MESSAGE: &[Script] = &[
    Script {
        subject: "",
        turns: &[
            C("مرحبا، هل لديكم زيت زيتون عضوي؟"),
            S(
                "Bonjour {first} ! Oui, l'huile d'olive bio de Nyons, 50 cl ou 1 L. نعم، لدينا زيت زيتون عضوي 🙂",
            ),
            C("شكرا جزيلا! سأطلب لترا واحدا."),
            S("Avec plaisir ! شكرا لك"),
        ],
        labels: &["question produit"],
    },
    Script {
        subject: "",
        turns: &[
            C("مساء الخير، متى يصل طلبي {order}؟"),
            S("Bonsoir {first} ! Il arrive demain avant 13 h. يصل غدا قبل الساعة الواحدة."),
            C("ممتاز، شكرا!"),
        ],
        labels: &["livraison"],
    },
];

const HE_EMAIL: &[Script] = &[
    Script {
        subject: "שאלה על מוצר",
        turns: &[
            C("שלום,\n\nהאם הריבה של תאנים ואגוזים כשרה? יש עליה תעודת כשרות?\n\nתודה,\n{first}"),
            S(
                "Hello {first},\n\nThe jam itself only contains figs, walnuts and sugar, but it has no kosher certification, sorry.\n\n{agent} — La Petite Épicerie",
            ),
            C("תודה על התשובה המהירה.\n\n{first}"),
        ],
        labels: &["question produit"],
    },
    Script {
        subject: "ההזמנה {order} עדיין לא הגיעה",
        turns: &[
            C(
                "שלום,\n\nהזמנתי לפני שבועיים (הזמנה {order}) והחבילה עדיין לא הגיעה. אפשר לבדוק בבקשה?\n\nתודה רבה,\n{first}",
            ),
            S(
                "Hello {first},\n\nYour parcel reached Israel Post on Tuesday; customs clearance usually takes 3 to 5 days. Tracking: LX123456789FR.\n\n{agent} — La Petite Épicerie",
            ),
            C("תודה! אחכה בסבלנות.\n\n{first}"),
        ],
        labels: &["international", "livraison"],
    },
];

const HE_MESSAGE: &[Script] = &[Script {
    subject: "",
    turns: &[
        C("שלום, האם אפשר לשלוח לתל אביב?"),
        S("Hello {first}! Yes, we ship to Israel, about 8 days. כן, אנחנו שולחים לישראל 🙂"),
        C("מעולה, תודה רבה!"),
    ],
    labels: &["international"],
}];

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
