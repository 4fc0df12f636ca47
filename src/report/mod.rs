//! Response reports: how fast customers got a first answer, how long conversations took to
//! resolve, who is still waiting, and how much came in and went out; per channel, per
//! agent and in total, over a [`Period`]. `comptoir report` prints one; the TUI shows one
//! as an overlay.
//!
//! What each figure means (the README says the same for users):
//! - A conversation *starts* at its customer's first message that is not automated (a
//!   bounce or an auto-reply starts nothing). Conversations, first responses and "never
//!   answered" count the conversations that started in the period.
//! - *First response time* runs from that start to the shop's first reply that is not
//!   automated (an away message or an acknowledgement answers nothing; a note is never a
//!   reply), once per conversation, as Chatwoot's "first response time" does: a
//!   conversation reopened later does not get a second one. It is credited to the agent
//!   who wrote that reply. A conversation the shop wrote to first has none.
//! - *Resolution time* runs from the start to the last time the conversation was marked
//!   resolved, counted in the period that resolution falls in, and credited to the agent
//!   who resolved it (else the assignee).
//! - *Never answered*: conversations that started in the period and have had no reply up
//!   to now; the *rate* is their share of the period's conversations. *Waiting now*: open
//!   or pending conversations whose customer's last message has no answer yet, whatever
//!   the period (the status line's "unanswered"), per channel and per assignee.
//! - *Volume*: conversations started, customers' messages and the shop's replies sent in
//!   the period (automated messages and notes left out).
//! - Percentiles are exact, by nearest rank over the sorted values: p50 is the smallest
//!   value that at least half of them do not exceed.

mod format;
mod period;

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

pub use format::{Format, UnknownFormat, human_duration};
pub use period::{DEFAULT_DAYS, MAX_DAYS, Period, PeriodError};

use crate::model::{AgentId, Channel};
use crate::store::{ReportRows, Store, StoreError};

/// The argument of the TUI's `report` command: `7d`, `30d`, `90d` or a bare number of
/// days; nothing for the default.
///
/// # Errors
/// Anything else, or a number of days outside 1 to [`MAX_DAYS`].
pub fn parse_days(arg: Option<&str>) -> Result<Option<u32>, String> {
    let Some(text) = arg.map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(None);
    };
    let digits = text.strip_suffix('d').unwrap_or(text);
    match digits.parse::<u32>() {
        Ok(n) if (1..=MAX_DAYS as u32).contains(&n) => Ok(Some(n)),
        _ => Err(format!("{text:?} is not a number of days (7d, 30d, 90d)")),
    }
}

/// A spread of durations: how many, and their median and 90th percentile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spread {
    /// How many durations.
    pub count: u64,
    /// The median; `None` without any.
    pub p50: Option<SignedDuration>,
    /// The 90th percentile; `None` without any.
    pub p90: Option<SignedDuration>,
}

impl Spread {
    /// The spread of `values`, which it sorts.
    #[must_use]
    pub fn of(values: &mut [SignedDuration]) -> Spread {
        values.sort_unstable();
        Spread {
            count: values.len() as u64,
            p50: nearest_rank(values, 50),
            p90: nearest_rank(values, 90),
        }
    }
}

/// The `pct`th percentile of sorted `values` by nearest rank: the value at rank
/// ⌈pct/100 × n⌉ (1-based).
fn nearest_rank(sorted: &[SignedDuration], pct: usize) -> Option<SignedDuration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The figures of one row of a report: a channel, an agent, or the total.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// The channel's name, the agent's name, or `total`.
    pub key: String,
    /// Conversations that started in the period (for an agent: those they answered
    /// first).
    pub conversations: u64,
    /// Customers' messages in the period; `None` for an agent.
    pub inbound_messages: Option<u64>,
    /// The shop's replies in the period (for an agent: theirs).
    pub outbound_messages: u64,
    /// First response times of the period's conversations.
    pub first_response: Spread,
    /// Resolution times of the period's resolutions.
    pub resolution: Spread,
    /// Conversations waiting for an answer now (for an agent: assigned to them).
    pub waiting_now: u64,
    /// Since when the longest of those has waited.
    pub oldest_waiting_since: Option<Timestamp>,
    /// Conversations of the period never answered; `None` for an agent.
    pub never_answered: Option<u64>,
}

impl Figures {
    fn new(key: &str) -> Self {
        Figures {
            key: key.to_owned(),
            ..Figures::default()
        }
    }

    /// The share of the period's conversations never answered, 0 to 1; `None` for an
    /// agent or a period without conversations.
    #[must_use]
    pub fn never_answered_rate(&self) -> Option<f64> {
        let n = self.never_answered?;
        (self.conversations > 0).then(|| n as f64 / self.conversations as f64)
    }

    fn is_empty(&self) -> bool {
        self.conversations == 0
            && self.inbound_messages.unwrap_or(0) == 0
            && self.outbound_messages == 0
            && self.first_response.count == 0
            && self.resolution.count == 0
            && self.waiting_now == 0
    }
}

/// One day of the period, for the volume chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day {
    /// The local date.
    pub date: Date,
    /// Conversations that started that day.
    pub conversations: u64,
    /// Customers' messages that day.
    pub inbound_messages: u64,
    /// The shop's replies that day.
    pub outbound_messages: u64,
}

/// A whole report.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// What it covers.
    pub period: Period,
    /// When it was computed: "waiting now" and the oldest wait are as of then.
    pub generated_at: Timestamp,
    /// One row per channel that had anything, in the order of [`Channel::ALL`].
    pub channels: Vec<Figures>,
    /// One row per agent who had anything, by name.
    pub agents: Vec<Figures>,
    /// Everything together.
    pub total: Figures,
    /// The period's local days, oldest first.
    pub days: Vec<Day>,
}

/// Computes the report on `period`, with days cut at midnight in `tz` and the waits as
/// of `now`.
///
/// # Errors
/// A store failure.
pub fn compute(
    store: &mut Store,
    period: Period,
    tz: &TimeZone,
    now: Timestamp,
) -> Result<Report, StoreError> {
    let days = period.day_bounds(tz);
    let mut bounds: Vec<Timestamp> = days.iter().map(|(_, t)| *t).collect();
    bounds.push(period.until);
    let rows = store.report_rows(period.since, period.until, &bounds)?;
    Ok(build(period, now, &days, &rows))
}

/// The report from the rows the store read: pure, so every figure is testable on plain
/// values.
#[must_use]
pub fn build(
    period: Period,
    now: Timestamp,
    days: &[(Date, Timestamp)],
    rows: &ReportRows,
) -> Report {
    let mut acc = Accumulator::default();
    for r in &rows.started {
        let first = match r.first_reply_at {
            Some(reply) if reply >= r.first_inbound_at => {
                Some(reply.duration_since(r.first_inbound_at))
            }
            _ => None,
        };
        for g in acc.groups(Some(r.channel), None) {
            g.figures.conversations += 1;
            if r.first_reply_at.is_none() {
                *g.figures.never_answered.get_or_insert(0) += 1;
            }
            g.first.extend(first);
        }
        if let Some(agent) = r.first_reply_agent {
            let g = acc.agent(agent);
            g.figures.conversations += 1;
            g.first.extend(first);
        }
    }
    for r in &rows.resolved {
        let took = r
            .first_inbound_at
            .filter(|start| *start <= r.resolved_at)
            .map(|start| r.resolved_at.duration_since(start));
        let Some(took) = took else { continue };
        for g in acc.groups(Some(r.channel), r.agent) {
            g.resolved.push(took);
        }
    }
    for m in &rows.messages {
        for g in acc.groups(Some(m.channel), m.agent) {
            if m.outbound {
                g.figures.outbound_messages += m.count;
            } else if g.figures.key != AGENT_KEY {
                *g.figures.inbound_messages.get_or_insert(0) += m.count;
            }
        }
    }
    for w in &rows.waiting {
        for g in acc.groups(Some(w.channel), w.assignee) {
            g.figures.waiting_now += w.count;
            g.figures.oldest_waiting_since = Some(
                g.figures
                    .oldest_waiting_since
                    .map_or(w.oldest, |o| o.min(w.oldest)),
            );
        }
    }
    acc.finish(period, now, days, rows)
}

/// The key an agent's group holds until it is named at the end: agents have no inbound
/// figure, and this is how the accumulator tells their groups apart.
const AGENT_KEY: &str = "\u{0}agent";

#[derive(Default)]
struct Group {
    figures: Figures,
    first: Vec<SignedDuration>,
    resolved: Vec<SignedDuration>,
}

impl Group {
    fn named(key: &str) -> Group {
        let mut figures = Figures::new(key);
        if key != AGENT_KEY {
            figures.inbound_messages = Some(0);
            figures.never_answered = Some(0);
        }
        Group {
            figures,
            ..Group::default()
        }
    }

    fn finish(mut self, key: String) -> Figures {
        self.figures.key = key;
        self.figures.first_response = Spread::of(&mut self.first);
        self.figures.resolution = Spread::of(&mut self.resolved);
        self.figures
    }
}

#[derive(Default)]
struct Accumulator {
    total: Option<Group>,
    channels: BTreeMap<usize, Group>,
    agents: BTreeMap<AgentId, Group>,
}

impl Accumulator {
    fn agent(&mut self, agent: AgentId) -> &mut Group {
        self.agents
            .entry(agent)
            .or_insert_with(|| Group::named(AGENT_KEY))
    }

    /// The groups one fact counts in: the total, its channel's, and its agent's.
    fn groups(&mut self, channel: Option<Channel>, agent: Option<AgentId>) -> Vec<&mut Group> {
        let mut out = Vec::with_capacity(3);
        out.push(self.total.get_or_insert_with(|| Group::named("total")));
        if let Some(c) = channel {
            let index = Channel::ALL.iter().position(|x| *x == c).unwrap_or(0);
            out.push(
                self.channels
                    .entry(index)
                    .or_insert_with(|| Group::named(c.as_str())),
            );
        }
        if let Some(a) = agent {
            out.push(
                self.agents
                    .entry(a)
                    .or_insert_with(|| Group::named(AGENT_KEY)),
            );
        }
        out
    }

    fn finish(
        self,
        period: Period,
        now: Timestamp,
        days: &[(Date, Timestamp)],
        rows: &ReportRows,
    ) -> Report {
        let channels = self
            .channels
            .into_values()
            .map(|g| {
                let key = g.figures.key.clone();
                g.finish(key)
            })
            .filter(|f| !f.is_empty())
            .collect();
        let names: BTreeMap<AgentId, &str> = rows
            .agents
            .iter()
            .map(|(id, n)| (*id, n.as_str()))
            .collect();
        let mut agents: Vec<Figures> = self
            .agents
            .into_iter()
            .filter_map(|(id, g)| Some(g.finish((*names.get(&id)?).to_owned())))
            .filter(|f| !f.is_empty())
            .collect();
        agents.sort_by(|a, b| a.key.cmp(&b.key));
        let total = self
            .total
            .unwrap_or_else(|| Group::named("total"))
            .finish("total".to_owned());
        let days = days
            .iter()
            .zip(&rows.slices)
            .map(|((date, _), s)| Day {
                date: *date,
                conversations: s.conversations,
                inbound_messages: s.inbound,
                outbound_messages: s.outbound,
            })
            .collect();
        Report {
            period,
            generated_at: now,
            channels,
            agents,
            total,
            days,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mins(v: &[i64]) -> Vec<SignedDuration> {
        v.iter().map(|m| SignedDuration::from_mins(*m)).collect()
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let s = Spread::of(&mut mins(&[10, 1, 4, 2, 3]));
        assert_eq!(s.count, 5);
        assert_eq!(s.p50, Some(SignedDuration::from_mins(3)));
        assert_eq!(s.p90, Some(SignedDuration::from_mins(10)));
        let s = Spread::of(&mut mins(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
        assert_eq!(s.p50, Some(SignedDuration::from_mins(5)));
        assert_eq!(s.p90, Some(SignedDuration::from_mins(9)));
        let s = Spread::of(&mut mins(&[7]));
        assert_eq!((s.p50, s.p90), (s.p50, Some(SignedDuration::from_mins(7))));
        assert_eq!(Spread::of(&mut []), Spread::default());
    }
}
