//! Building the seeded history: who, on which channel, saying what, when, and how it ends.

use super::*;

/// A person who wrote on several channels is one customer only where a channel proves
/// it (their email address, their WhatsApp number); a chat's pre-chat email is a claim,
/// which ingest never merges on. The demo's agent linked those people, as a desk would
/// after checking (the card's link log shows it, `:unlink` undoes it), except the last
/// one, left as a suggestion to try `:link` on.
fn link_people(
    store: &mut Store,
    history: &History,
    ids: &[ConversationId],
    agent: AgentId,
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut by_person: std::collections::BTreeMap<usize, BTreeSet<crate::model::CustomerId>> =
        std::collections::BTreeMap::new();
    for (conv, id) in history.convs.iter().zip(ids) {
        if let Some(c) = store.conversation(*id)? {
            by_person
                .entry(conv.person)
                .or_default()
                .insert(c.customer_id);
        }
    }
    let split: Vec<&BTreeSet<_>> = by_person.values().filter(|s| s.len() > 1).collect();
    for customers in split.iter().take(split.len().saturating_sub(1)) {
        let mut each = customers.iter();
        if let Some(survivor) = each.next() {
            for other in each {
                store.link(*survivor, *other, Some(agent), now)?;
            }
        }
    }
    Ok(())
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
    link_people(store, &history, &ids, camille, now)?;

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

// ---------------------------------------------------------------------------------------
// Time.

pub(super) const SECOND: i64 = 1000;
pub(super) const MINUTE: i64 = 60 * SECOND;
pub(super) const HOUR: i64 = 60 * MINUTE;
pub(super) const DAY: i64 = 24 * HOUR;

/// `now` moved by `ms` milliseconds; the demo's offsets are all well inside jiff's range.
pub(super) fn at(now: Timestamp, ms: i64) -> Timestamp {
    now.checked_add(SignedDuration::from_millis(ms))
        .unwrap_or(now)
}

pub(super) fn between(rng: &mut fastrand::Rng, low: i64, high: i64) -> i64 {
    rng.i64(low..=high)
}

/// How long after `before` the next turn comes, on this kind of channel.
pub(super) fn gap(rng: &mut fastrand::Rng, channel: Channel, before: &Turn, next: &Turn) -> i64 {
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
pub(super) fn quote_header(lang: Lang, when: Timestamp) -> String {
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

pub(super) fn quoted(text: &str) -> String {
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
pub(super) enum Ending {
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
pub(super) const ENDINGS: &[(&str, Channel, Ending)] = &[
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
pub(super) const SEED: u64 = 0x00c0_ffee_e91c_e41e;

/// One conversation, laid out in time.
pub(super) struct Conv {
    pub(super) person: usize,
    pub(super) channel: Channel,
    /// Which of the person's conversations on this channel it is, from 0.
    pub(super) nth: usize,
    pub(super) script: &'static Script,
    pub(super) order: String,
    pub(super) agent: AgentId,
    pub(super) agent_name: &'static str,
    pub(super) assignee: Option<AgentId>,
    pub(super) ending: Ending,
    pub(super) turns: Vec<(Timestamp, &'static Turn)>,
}

/// The whole history, before it goes into the store.
pub(super) struct History {
    pub(super) now: Timestamp,
    pub(super) convs: Vec<Conv>,
}

impl History {
    pub(super) fn build(now: Timestamp, [camille, yanis]: [AgentId; 2]) -> History {
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
    pub(super) fn play(&self, store: &mut Store) -> Result<Vec<ConversationId>, StoreError> {
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
    pub(super) fn inbound(&self, c: usize, t: usize) -> Inbound {
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
            reply_to: None,
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
    pub(super) fn fill(&self, text: &str) -> String {
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
    pub(super) fn lay_out(
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
pub(super) fn paris_minutes(t: Timestamp) -> i64 {
    let z = t.to_zoned(TimeZone::fixed(tz::offset(1)));
    i64::from(z.hour()) * 60 + i64::from(z.minute())
}

/// The shop answers between 8:00 and 19:00; later, the next morning.
pub(super) fn opening_hours(rng: &mut fastrand::Rng, t: Timestamp) -> Timestamp {
    let minutes = paris_minutes(t);
    let wait = match minutes {
        ..480 => 480 - minutes,
        1140.. => 24 * 60 - minutes + 480,
        _ => return t,
    };
    at(t, wait * MINUTE + between(rng, 0, 45 * MINUTE))
}

/// Customers write at any hour, but rarely between midnight and seven.
pub(super) fn awake(rng: &mut fastrand::Rng, t: Timestamp) -> Timestamp {
    let minutes = paris_minutes(t);
    if minutes < 420 {
        at(t, (420 - minutes) * MINUTE + between(rng, 0, 90 * MINUTE))
    } else {
        t
    }
}

/// How many of `turns` happen for this ending: the customer's opening messages for one
/// still waiting; up to the last reply (with the notes after it) for the others.
pub(super) fn cut(turns: &[Turn], ending: Ending) -> usize {
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

pub(super) const LEASE: Duration = Duration::from_secs(60);

/// Records a history reply as delivered, two seconds after it was written.
pub(super) fn confirm(
    store: &mut Store,
    reply: &Outbound,
    when: Timestamp,
) -> Result<(), StoreError> {
    store.record_sent(
        reply.message_id,
        &channel_message_id(reply.channel, &reply.idempotency_key),
        at(when, 2 * SECOND),
    )
}

/// Stores the customer messages gathered so far in one transaction.
pub(super) fn flush(
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

pub(super) fn fill(text: &str, first: &str, order: &str, agent: &str) -> String {
    let text = if first.is_empty() {
        text.replace(" {first}", "").replace("{first}", "")
    } else {
        text.replace("{first}", first)
    };
    text.replace("{order}", order).replace("{agent}", agent)
}

pub(super) fn account_of(channel: Channel) -> &'static str {
    ACCOUNTS
        .iter()
        .find(|(c, _)| *c == channel)
        .map_or("demo", |(_, a)| a)
}

pub(super) fn visitor_id(person: usize) -> String {
    format!("v_{:06x}", (person as u64 + 1) * 0x9e37 % 0x00ff_ffff)
}

/// Who a person is on a channel, as that channel would tell us.
pub(super) fn contact(index: usize, p: &Person, channel: Channel) -> Contact {
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
