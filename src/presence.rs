//! Availability visitors can trust: business hours, who is really at a desk, and whether
//! the chat is live.
//!
//! An agent counts as available only while three things hold: their explicit toggle says
//! available, a TUI of theirs is open (its heartbeat is fresh), and it has seen input
//! within `idle_minutes`. The chat is live while at least one agent is available within
//! business hours, and for `grace_seconds` after the last one stops being so, so that an
//! agent restarting their TUI or stepping out for a coffee does not flip the widget to
//! "leave a message" and back. Everything here is a pure function of the agents' rows,
//! the config and `now`, so any process (the TUI, the relay, its event stream) computes
//! the same answer from the store, and tests inject the clock.

use std::time::Duration;

use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use crate::config::{HoursConfig, PresenceConfig, Shift};
use crate::model::{Agent, Availability};

/// How often an open TUI writes its heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(30);

/// A heartbeat older than this means the TUI is gone (closed without a word, its
/// process or its SSH session killed): four missed beats.
pub const HEARTBEAT_STALE: SignedDuration = SignedDuration::from_mins(2);

/// The most often a TUI records input; input is only compared with `idle_minutes`, so
/// finer than this buys nothing but writes.
pub const INPUT_EVERY: Duration = Duration::from_secs(30);

/// When the shop takes live chats, in its own time zone: ranges per weekday (split
/// shifts allowed), holidays closed all day.
#[derive(Clone, Debug, PartialEq)]
pub struct BusinessHours {
    tz: TimeZone,
    timezone: String,
    /// `None`: no `[hours]`, so always open.
    week: Option<[Vec<Shift>; 7]>,
    holidays: Vec<Date>,
}

impl BusinessHours {
    /// Open at every moment (no `[hours]` in the config); times are told in UTC.
    #[must_use]
    pub fn always() -> BusinessHours {
        BusinessHours {
            tz: TimeZone::UTC,
            timezone: "UTC".to_owned(),
            week: None,
            holidays: Vec::new(),
        }
    }

    /// From the config's `[hours]`, or [`BusinessHours::always`] without one.
    #[must_use]
    pub fn from_config(hours: Option<&HoursConfig>) -> BusinessHours {
        let Some(hours) = hours else {
            return BusinessHours::always();
        };
        // Checked when the config was loaded; UTC only if the tz database lost the zone
        // since.
        let tz = TimeZone::get(&hours.timezone).unwrap_or(TimeZone::UTC);
        let mut holidays = hours.holidays.clone();
        holidays.sort_unstable();
        BusinessHours {
            tz,
            timezone: hours.timezone.clone(),
            week: Some(hours.week.clone()),
            holidays,
        }
    }

    /// The IANA name of the zone the hours are in.
    #[must_use]
    pub fn timezone(&self) -> &str {
        &self.timezone
    }

    /// The zone the hours are in.
    #[must_use]
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// Whether `now` is within the hours: the day (in the shop's zone) is not a holiday
    /// and `now` falls in one of that weekday's ranges. A range runs from the first
    /// moment the wall clock reads its start to the last moment it reads its end, so one
    /// spanning the hour repeated when clocks go back stays open through both passes.
    #[must_use]
    pub fn is_open(&self, now: Timestamp) -> bool {
        let Some(week) = &self.week else {
            return true;
        };
        let date = now.to_zoned(self.tz.clone()).date();
        if self.is_holiday(date) {
            return false;
        }
        shifts_of(week, date).iter().any(|s| {
            let start = self.first_instant(wall(date, s.start));
            let end = self.end_instant(date, s.end);
            matches!((start, end), (Some(start), Some(end)) if start <= now && now < end)
        })
    }

    /// The first moment at or after `now` within the hours: `now` itself when open,
    /// else the start of the next range that is not on a holiday. A range starting in
    /// the hour skipped when clocks go forward opens when they do; one starting in the
    /// hour repeated when they go back opens the first time round. `None` when the week
    /// has no range at all.
    #[must_use]
    pub fn next_open(&self, now: Timestamp) -> Option<Timestamp> {
        let Some(week) = &self.week else {
            return Some(now);
        };
        if self.is_open(now) {
            return Some(now);
        }
        let mut date = now.to_zoned(self.tz.clone()).date();
        // Past the holidays, any week holds every weekday, so this many days find an
        // opening if there is one.
        for _ in 0..self.holidays.len() + 8 {
            if !self.is_holiday(date) {
                for shift in shifts_of(week, date) {
                    if let Some(t) = self.first_instant(wall(date, shift.start))
                        && t > now
                    {
                        return Some(t);
                    }
                }
            }
            date = date.tomorrow().ok()?;
        }
        None
    }

    /// Each weekday's ranges, Monday first; `None` when always open.
    #[must_use]
    pub fn week(&self) -> Option<&[Vec<Shift>; 7]> {
        self.week.as_ref()
    }

    /// The days closed all day, sorted.
    #[must_use]
    pub fn holidays(&self) -> &[Date] {
        &self.holidays
    }

    fn is_holiday(&self, date: Date) -> bool {
        self.holidays.binary_search(&date).is_ok()
    }

    /// The first instant the wall clock reads `dt` or later.
    fn first_instant(&self, dt: DateTime) -> Option<Timestamp> {
        let ambiguous = self.tz.to_ambiguous_timestamp(dt);
        match ambiguous.offset() {
            // The clock jumps over `dt`: it first reads later than `dt` at the jump.
            AmbiguousOffset::Gap { before, .. } => {
                let past_jump = before.to_timestamp(dt).ok()?;
                let probe = past_jump.checked_add(SignedDuration::from_nanos(1)).ok()?;
                self.tz.preceding(probe).next().map(|t| t.timestamp())
            }
            _ => ambiguous.earlier().ok(),
        }
    }

    /// The moment a range ending at `minute` of `date` closes: when the wall clock reads
    /// it for the last time (`24:00` is the next day's midnight), or jumps past it.
    fn end_instant(&self, date: Date, minute: u16) -> Option<Timestamp> {
        if minute >= 24 * 60 {
            return self.first_instant(date.tomorrow().ok()?.at(0, 0, 0, 0));
        }
        let dt = wall(date, minute);
        let ambiguous = self.tz.to_ambiguous_timestamp(dt);
        match ambiguous.offset() {
            AmbiguousOffset::Gap { .. } => self.first_instant(dt),
            _ => ambiguous.later().ok(),
        }
    }
}

/// `minute` minutes after midnight on `date`, as a wall-clock time.
fn wall(date: Date, minute: u16) -> DateTime {
    date.at(
        i8::try_from(minute / 60).unwrap_or(0),
        i8::try_from(minute % 60).unwrap_or(0),
        0,
        0,
    )
}

fn shifts_of(week: &[Vec<Shift>; 7], date: Date) -> &[Shift] {
    let day = usize::try_from(date.weekday().to_monday_zero_offset()).unwrap_or(0);
    week.get(day).map_or(&[], Vec::as_slice)
}

/// Where an agent stands, all rules applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgentPresence {
    /// Taking live chats.
    Available,
    /// Toggled available, at an open TUI, but without input for `idle_minutes`.
    Idle,
    /// Toggled available, but no TUI of theirs has a fresh heartbeat.
    Gone,
    /// Toggled away.
    Away,
    /// Toggled offline (every TUI of theirs closed).
    Offline,
}

/// Where `agent` stands at `now`.
#[must_use]
pub fn agent_presence(agent: &Agent, now: Timestamp, presence: &PresenceConfig) -> AgentPresence {
    match agent.availability {
        Availability::Away => return AgentPresence::Away,
        Availability::Offline => return AgentPresence::Offline,
        Availability::Available => {}
    }
    if agent
        .last_seen_at
        .is_none_or(|seen| now >= plus(seen, HEARTBEAT_STALE))
    {
        return AgentPresence::Gone;
    }
    if agent
        .last_input_at
        .is_none_or(|input| now >= plus(input, idle(presence)))
    {
        return AgentPresence::Idle;
    }
    AgentPresence::Available
}

/// Whether `agent` takes live chats at `now`: toggled available, a TUI open, input
/// within `idle_minutes`.
#[must_use]
pub fn agent_is_available(agent: &Agent, now: Timestamp, presence: &PresenceConfig) -> bool {
    agent_presence(agent, now, presence) == AgentPresence::Available
}

/// When `agent` stops (or stopped) being available: the first of their heartbeat going
/// stale, their idle time running out, and their toggle leaving `available`. `None` if
/// they never were.
fn available_until(agent: &Agent, presence: &PresenceConfig) -> Option<Timestamp> {
    let seen = plus(agent.last_seen_at?, HEARTBEAT_STALE);
    let input = plus(agent.last_input_at?, idle(presence));
    let end = seen.min(input);
    match agent.availability {
        Availability::Available => Some(end),
        Availability::Away | Availability::Offline => agent.left_available_at.map(|l| l.min(end)),
    }
}

/// What a visitor is told: live chat or "leave a message", and when someone is back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChatState {
    /// Whether a visitor's message will be seen within the minute.
    pub live: bool,
    /// How many agents are available right now (0 while live only by grace).
    pub agents: usize,
    /// When the hours open next, while the chat is not live because they are closed;
    /// `None` while live, and within hours when nobody is there (nobody can say when
    /// someone will be).
    pub next_available: Option<Timestamp>,
    /// While live only by the grace period, when it ends.
    pub grace_until: Option<Timestamp>,
}

/// The chat's state at `now` from every agent's row: one read of the agents table.
#[must_use]
pub fn chat_state(
    agents: &[Agent],
    hours: &BusinessHours,
    presence: &PresenceConfig,
    now: Timestamp,
) -> ChatState {
    let available = agents
        .iter()
        .filter(|a| agent_is_available(a, now, presence))
        .count();
    if !hours.is_open(now) {
        return ChatState {
            live: false,
            agents: available,
            next_available: hours.next_open(now),
            grace_until: None,
        };
    }
    if available > 0 {
        return ChatState {
            live: true,
            agents: available,
            next_available: None,
            grace_until: None,
        };
    }
    let grace = SignedDuration::from_secs(i64::from(presence.grace_seconds));
    let grace_until = agents
        .iter()
        .filter_map(|a| available_until(a, presence))
        .map(|end| plus(end, grace))
        .max()
        .filter(|&until| now < until);
    ChatState {
        live: grace_until.is_some(),
        agents: 0,
        next_available: None,
        grace_until,
    }
}

fn idle(presence: &PresenceConfig) -> SignedDuration {
    SignedDuration::from_mins(i64::from(presence.idle_minutes))
}

/// `t + d`, pinned at the end of time rather than failing on a damaged row.
fn plus(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.saturating_add(d).unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use super::*;
    use crate::model::AgentId;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn shift(text: &str) -> Shift {
        let (a, b) = text.split_once('-').unwrap();
        let m = |t: &str| {
            let (h, m) = t.split_once(':').unwrap();
            h.parse::<u16>().unwrap() * 60 + m.parse::<u16>().unwrap()
        };
        Shift {
            start: m(a),
            end: m(b),
        }
    }

    /// Paris: Monday to Friday 09:00-12:30 and 14:00-18:00, Saturday 10:00-13:00,
    /// Sunday 02:30-05:00 (to land in the DST hours), Christmas off.
    fn paris() -> BusinessHours {
        let split = vec![shift("09:00-12:30"), shift("14:00-18:00")];
        BusinessHours::from_config(Some(&HoursConfig {
            timezone: "Europe/Paris".to_owned(),
            week: [
                split.clone(),
                split.clone(),
                split.clone(),
                split.clone(),
                split,
                vec![shift("10:00-13:00")],
                vec![shift("02:30-05:00")],
            ],
            holidays: vec!["2026-12-25".parse().unwrap()],
        }))
    }

    #[test]
    fn split_shifts_open_and_close_at_their_edges() {
        let h = paris();
        // Monday 2026-11-23, Paris is UTC+1.
        for (t, open) in [
            ("2026-11-23T07:59:59Z", false),
            ("2026-11-23T08:00:00Z", true),
            ("2026-11-23T11:29:59Z", true),
            ("2026-11-23T11:30:00Z", false),
            ("2026-11-23T12:59:59Z", false),
            ("2026-11-23T13:00:00Z", true),
            ("2026-11-23T16:59:59Z", true),
            ("2026-11-23T17:00:00Z", false),
        ] {
            assert_eq!(h.is_open(at(t)), open, "{t}");
        }
        // Lunch break: back at 14:00 the same day.
        assert_eq!(
            h.next_open(at("2026-11-23T11:45:00Z")),
            Some(at("2026-11-23T13:00:00Z"))
        );
        // Open: now.
        assert_eq!(
            h.next_open(at("2026-11-23T09:00:00Z")),
            Some(at("2026-11-23T09:00:00Z"))
        );
        // Friday evening: Saturday 10:00.
        assert_eq!(
            h.next_open(at("2026-11-27T18:00:00Z")),
            Some(at("2026-11-28T09:00:00Z"))
        );
    }

    #[test]
    fn holidays_are_closed_all_day_and_skipped() {
        let h = paris();
        // Friday 2026-12-25 at 10:00 Paris.
        assert!(!h.is_open(at("2026-12-25T09:00:00Z")));
        assert!(
            h.is_open(at("2026-12-24T09:00:00Z")),
            "the day before is open"
        );
        // Thursday evening the 24th: not Friday the 25th, but Saturday at 10:00.
        assert_eq!(
            h.next_open(at("2026-12-24T18:00:00Z")),
            Some(at("2026-12-26T09:00:00Z"))
        );
    }

    #[test]
    fn a_week_without_ranges_never_opens_and_no_hours_always_is() {
        let closed = BusinessHours::from_config(Some(&HoursConfig {
            timezone: "Europe/Paris".to_owned(),
            week: Default::default(),
            holidays: Vec::new(),
        }));
        let now = at("2026-11-23T09:00:00Z");
        assert!(!closed.is_open(now));
        assert_eq!(closed.next_open(now), None);
        let always = BusinessHours::always();
        assert!(always.is_open(now));
        assert_eq!(always.next_open(now), Some(now));
        assert_eq!(always.timezone(), "UTC");
    }

    #[test]
    fn clocks_going_forward_open_a_range_in_the_skipped_hour_when_they_jump() {
        let h = paris();
        // Sunday 2026-03-29: 02:00 CET becomes 03:00 CEST at 01:00 UTC. The 02:30 range
        // opens at the jump, the first moment the wall clock reads past 02:30.
        let saturday_night = at("2026-03-28T22:00:00Z");
        assert_eq!(
            h.next_open(saturday_night),
            Some(at("2026-03-29T01:00:00Z"))
        );
        assert!(!h.is_open(at("2026-03-29T00:59:59Z")), "01:59:59 CET");
        assert!(h.is_open(at("2026-03-29T01:00:00Z")), "03:00 CEST");
        assert!(h.is_open(at("2026-03-29T02:59:59Z")), "04:59:59 CEST");
        assert!(!h.is_open(at("2026-03-29T03:00:00Z")), "05:00 CEST");
        // Monday 09:00 is now UTC+2.
        assert_eq!(
            h.next_open(at("2026-03-29T03:00:00Z")),
            Some(at("2026-03-30T07:00:00Z"))
        );
    }

    #[test]
    fn clocks_going_back_open_a_range_in_the_repeated_hour_the_first_time_round() {
        let h = paris();
        // Sunday 2026-10-25: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:30 happens
        // at 00:30 UTC and again at 01:30 UTC.
        assert_eq!(
            h.next_open(at("2026-10-24T20:00:00Z")),
            Some(at("2026-10-25T00:30:00Z"))
        );
        assert!(h.is_open(at("2026-10-25T00:30:00Z")));
        assert!(
            h.is_open(at("2026-10-25T01:15:00Z")),
            "02:15 CET, the clock back before 02:30, is still within the one range"
        );
        assert!(h.is_open(at("2026-10-25T03:59:59Z")), "04:59:59 CET");
        assert!(!h.is_open(at("2026-10-25T04:00:00Z")));
        // Monday 09:00 is UTC+1 again.
        assert_eq!(
            h.next_open(at("2026-10-25T04:00:00Z")),
            Some(at("2026-10-26T08:00:00Z"))
        );
    }

    #[test]
    fn a_range_ending_in_a_skipped_or_repeated_hour_closes_at_the_last_reading() {
        let mut week: [Vec<Shift>; 7] = Default::default();
        week[6] = vec![shift("01:00-02:30")];
        let h = BusinessHours::from_config(Some(&HoursConfig {
            timezone: "Europe/Paris".to_owned(),
            week,
            holidays: Vec::new(),
        }));
        // Forward: the clock never reads 02:30; it closes at the jump.
        assert!(h.is_open(at("2026-03-29T00:59:59Z")));
        assert!(!h.is_open(at("2026-03-29T01:00:00Z")));
        // Back: it reads 02:30 twice; it closes the second time, at 01:30 UTC.
        assert!(h.is_open(at("2026-10-25T01:29:59Z")));
        assert!(!h.is_open(at("2026-10-25T01:30:00Z")));
    }

    fn agent(
        availability: Availability,
        seen: Option<&str>,
        input: Option<&str>,
        left: Option<&str>,
    ) -> Agent {
        Agent {
            id: AgentId(1),
            name: "Camille".to_owned(),
            availability,
            last_seen_at: seen.map(at),
            last_input_at: input.map(at),
            left_available_at: left.map(at),
        }
    }

    const NOW: &str = "2026-11-23T09:00:00Z";

    #[test]
    fn an_agent_is_available_only_toggled_on_at_an_open_tui_with_recent_input() {
        let cfg = PresenceConfig::default();
        let now = at(NOW);
        let cases = [
            (
                agent(
                    Availability::Available,
                    Some("2026-11-23T08:59:40Z"),
                    Some("2026-11-23T08:51:00Z"),
                    None,
                ),
                AgentPresence::Available,
            ),
            (
                agent(
                    Availability::Available,
                    Some("2026-11-23T08:59:40Z"),
                    Some("2026-11-23T08:50:00Z"),
                    None,
                ),
                AgentPresence::Idle,
            ),
            (
                agent(
                    Availability::Available,
                    Some("2026-11-23T08:59:40Z"),
                    None,
                    None,
                ),
                AgentPresence::Idle,
            ),
            (
                agent(
                    Availability::Available,
                    Some("2026-11-23T08:58:00Z"),
                    Some("2026-11-23T08:58:00Z"),
                    None,
                ),
                AgentPresence::Gone,
            ),
            (
                agent(
                    Availability::Available,
                    Some("2026-11-23T08:58:01Z"),
                    Some("2026-11-23T08:58:01Z"),
                    None,
                ),
                AgentPresence::Available,
            ),
            (
                agent(
                    Availability::Available,
                    None,
                    Some("2026-11-23T08:59:00Z"),
                    None,
                ),
                AgentPresence::Gone,
            ),
            (
                agent(Availability::Away, Some(NOW), Some(NOW), None),
                AgentPresence::Away,
            ),
            (
                agent(Availability::Offline, Some(NOW), Some(NOW), None),
                AgentPresence::Offline,
            ),
        ];
        for (i, (a, want)) in cases.iter().enumerate() {
            assert_eq!(agent_presence(a, now, &cfg), *want, "case {i}");
            assert_eq!(
                agent_is_available(a, now, &cfg),
                *want == AgentPresence::Available
            );
        }
        let patient = PresenceConfig {
            idle_minutes: 30,
            ..cfg
        };
        assert!(
            agent_is_available(&cases[1].0, now, &patient),
            "idle_minutes is honoured"
        );
    }

    #[test]
    fn the_chat_stays_live_for_the_grace_period_after_the_last_agent() {
        let cfg = PresenceConfig::default();
        let hours = BusinessHours::always();
        let now = at(NOW);
        let live = agent(Availability::Available, Some(NOW), Some(NOW), None);
        assert_eq!(
            chat_state(&[live.clone(), live], &hours, &cfg, now),
            ChatState {
                live: true,
                agents: 2,
                next_available: None,
                grace_until: None
            }
        );

        // Quit (offline) 59 s ago: still live, by grace, until a minute after.
        let quit = agent(
            Availability::Offline,
            Some("2026-11-23T08:58:30Z"),
            Some("2026-11-23T08:58:30Z"),
            Some("2026-11-23T08:59:01Z"),
        );
        let state = chat_state(std::slice::from_ref(&quit), &hours, &cfg, now);
        assert!(state.live && state.agents == 0, "{state:?}");
        assert_eq!(state.grace_until, Some(at("2026-11-23T09:00:01Z")));
        let later = at("2026-11-23T09:00:01Z");
        assert!(!chat_state(std::slice::from_ref(&quit), &hours, &cfg, later).live);

        // Went idle: grace counts from the end of the idle allowance, not from now.
        let idle = agent(
            Availability::Available,
            Some(NOW),
            Some("2026-11-23T08:49:30Z"),
            None,
        );
        let state = chat_state(std::slice::from_ref(&idle), &hours, &cfg, now);
        assert_eq!(
            state.grace_until,
            Some(at("2026-11-23T09:00:30Z")),
            "{state:?}"
        );
        let idle_long = agent(
            Availability::Available,
            Some(NOW),
            Some("2026-11-23T08:48:00Z"),
            None,
        );
        assert!(!chat_state(&[idle_long], &hours, &cfg, now).live);

        // Stale heartbeat (a killed SSH session): grace from two minutes after the beat.
        let vanished = agent(
            Availability::Available,
            Some("2026-11-23T08:57:30Z"),
            Some("2026-11-23T08:57:30Z"),
            None,
        );
        let state = chat_state(&[vanished], &hours, &cfg, now);
        assert_eq!(
            state.grace_until,
            Some(at("2026-11-23T09:00:30Z")),
            "{state:?}"
        );

        // Away for an hour, then quitting now: they were not available before, so no
        // grace is owed.
        let was_away = agent(
            Availability::Offline,
            Some(NOW),
            Some("2026-11-23T08:00:00Z"),
            Some("2026-11-23T08:00:00Z"),
        );
        assert!(!chat_state(&[was_away], &hours, &cfg, now).live);

        let no_grace = PresenceConfig {
            grace_seconds: 0,
            ..cfg
        };
        assert!(!chat_state(&[quit], &hours, &no_grace, now).live);
        assert!(!chat_state(&[], &hours, &cfg, now).live);
    }

    #[test]
    fn outside_hours_the_chat_is_messages_only_and_says_when_it_opens() {
        let cfg = PresenceConfig::default();
        let h = paris();
        // Monday 19:30 Paris, an agent still at the desk.
        let now = at("2026-11-23T18:30:00Z");
        let here = agent(
            Availability::Available,
            Some("2026-11-23T18:29:50Z"),
            Some("2026-11-23T18:29:50Z"),
            None,
        );
        let state = chat_state(&[here], &h, &cfg, now);
        assert_eq!(
            state,
            ChatState {
                live: false,
                agents: 1,
                next_available: Some(at("2026-11-24T08:00:00Z")),
                grace_until: None
            }
        );
        // Within hours with nobody there: not live, and no promise.
        let state = chat_state(&[], &h, &cfg, at("2026-11-24T08:30:00Z"));
        assert_eq!(
            state,
            ChatState {
                live: false,
                agents: 0,
                next_available: None,
                grace_until: None
            }
        );
    }
}
