//! `[hours]` (when the shop takes live chats) and `[presence]` (when an agent counts as
//! there): their public values and the checks that build them, each error pointing at the
//! offending range, date or number.

use std::fmt;

use jiff::civil::Date;
use toml::Spanned;

use super::ConfigError;
use super::check::Checker;
use super::raw::{RawHours, RawPresence};

/// How long an agent may go without touching their TUI before they stop counting as
/// available, when `idle_minutes` is unset.
pub const DEFAULT_IDLE_MINUTES: u32 = 10;
/// How long the chat stays live after the last available agent stops being so, when
/// `grace_seconds` is unset.
pub const DEFAULT_GRACE_SECONDS: u32 = 60;

/// The longest `idle_minutes` accepted: a day. Longer would mean "never idle", which is
/// what a chat visitor must not be promised.
pub const MAX_IDLE_MINUTES: u32 = 24 * 60;
/// The longest `grace_seconds` accepted: an hour.
pub const MAX_GRACE_SECONDS: u32 = 3600;

/// The weekday keys of `[hours]`, Monday first (jiff's `Weekday::to_monday_zero_offset`).
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One opening range of a day, in minutes after midnight, wall-clock time in the
/// `[hours]` time zone. `end` may be 1440 (`"24:00"`), so a shift can run to midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shift {
    /// First minute open.
    pub start: u16,
    /// First minute closed again; after `start`.
    pub end: u16,
}

impl fmt::Display for Shift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}-{}", hm(self.start), hm(self.end))
    }
}

/// `[hours]`: when the chat can be live. Absent, it always can.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursConfig {
    /// IANA time zone the ranges and holidays are in (checked to exist).
    pub timezone: String,
    /// Each weekday's ranges, Monday first, sorted and not overlapping; empty = closed.
    pub week: [Vec<Shift>; 7],
    /// Days closed all day, sorted, without repeats.
    pub holidays: Vec<Date>,
}

impl HoursConfig {
    /// One line for `comptoir config check`: the zone, each open day's ranges, the
    /// number of holidays.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut parts = vec![self.timezone.clone()];
        for (day, shifts) in WEEKDAYS.iter().zip(&self.week) {
            if !shifts.is_empty() {
                let ranges: Vec<String> = shifts.iter().map(ToString::to_string).collect();
                parts.push(format!("{day} {}", ranges.join(", ")));
            }
        }
        if self.week.iter().all(Vec::is_empty) {
            parts.push("closed every day".to_owned());
        }
        let n = self.holidays.len();
        parts.push(format!("{n} holiday{}", if n == 1 { "" } else { "s" }));
        parts.join("; ")
    }
}

/// `[presence]`: when an agent counts as available, and how long the chat outlives the
/// last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceConfig {
    /// Minutes without input in a TUI after which an agent stops counting as available.
    pub idle_minutes: u32,
    /// Seconds the chat stays live after the last available agent stops being so.
    pub grace_seconds: u32,
}

impl Default for PresenceConfig {
    fn default() -> Self {
        PresenceConfig {
            idle_minutes: DEFAULT_IDLE_MINUTES,
            grace_seconds: DEFAULT_GRACE_SECONDS,
        }
    }
}

impl PresenceConfig {
    /// One line for `comptoir config check`.
    #[must_use]
    pub fn summary(&self) -> String {
        format!(
            "idle after {} min without input; chat stays live {} s after the last agent",
            self.idle_minutes, self.grace_seconds
        )
    }
}

impl Checker<'_> {
    pub(super) fn hours(&self, raw: RawHours) -> Result<HoursConfig, ConfigError> {
        let tz = raw.timezone;
        if jiff::tz::TimeZone::get(tz.get_ref()).is_err() {
            return Err(self.invalid(
                tz.span(),
                format!(
                    "hours.timezone: unknown time zone {:?} (expected an IANA name such as \"Europe/Paris\")",
                    tz.get_ref()
                ),
            ));
        }
        let days = [
            raw.mon, raw.tue, raw.wed, raw.thu, raw.fri, raw.sat, raw.sun,
        ];
        let mut week: [Vec<Shift>; 7] = Default::default();
        for ((key, day), out) in WEEKDAYS.iter().zip(days).zip(&mut week) {
            if let Some(day) = day {
                *out = self.day(key, day)?;
            }
        }
        let mut holidays = Vec::new();
        for (i, raw) in raw.holidays.unwrap_or_default().into_iter().enumerate() {
            let date = raw.get_ref().trim().parse::<Date>().ok().filter(|_| {
                // jiff also takes a datetime here; a holiday is a whole day.
                raw.get_ref().trim().len() == "YYYY-MM-DD".len()
            });
            match date {
                Some(date) => holidays.push(date),
                None => {
                    return Err(self.invalid(
                        raw.span(),
                        format!(
                            "hours.holidays[{i}]: {:?} is not a date (expected YYYY-MM-DD)",
                            raw.get_ref()
                        ),
                    ));
                }
            }
        }
        holidays.sort_unstable();
        holidays.dedup();
        Ok(HoursConfig {
            timezone: tz.into_inner(),
            week,
            holidays,
        })
    }

    fn day(&self, key: &str, ranges: Vec<Spanned<String>>) -> Result<Vec<Shift>, ConfigError> {
        let mut shifts: Vec<(Shift, Spanned<String>)> = Vec::new();
        for (i, raw) in ranges.into_iter().enumerate() {
            let Some(shift) = parse_shift(raw.get_ref()) else {
                return Err(self.invalid(
                    raw.span(),
                    format!(
                        "hours.{key}[{i}]: {:?} is not a range (expected \"HH:MM-HH:MM\", e.g. \"09:00-12:30\")",
                        raw.get_ref()
                    ),
                ));
            };
            if shift.start >= shift.end {
                return Err(self.invalid(
                    raw.span(),
                    format!(
                        "hours.{key}[{i}]: {:?} does not end after it starts (a range past midnight is two: \"22:00-24:00\" and the next day's \"00:00-02:00\")",
                        raw.get_ref()
                    ),
                ));
            }
            if let Some((_, other)) = shifts
                .iter()
                .find(|(s, _)| s.start < shift.end && shift.start < s.end)
            {
                return Err(self.invalid(
                    raw.span(),
                    format!(
                        "hours.{key}[{i}]: {:?} overlaps {:?}",
                        raw.get_ref(),
                        other.get_ref()
                    ),
                ));
            }
            shifts.push((shift, raw));
        }
        let mut shifts: Vec<Shift> = shifts.into_iter().map(|(s, _)| s).collect();
        shifts.sort_unstable();
        Ok(shifts)
    }

    pub(super) fn presence(&self, raw: Option<RawPresence>) -> Result<PresenceConfig, ConfigError> {
        let Some(raw) = raw else {
            return Ok(PresenceConfig::default());
        };
        let idle_minutes = match raw.idle_minutes {
            Some(idle) if !(1..=MAX_IDLE_MINUTES).contains(idle.get_ref()) => {
                return Err(self.invalid(
                    idle.span(),
                    format!(
                        "presence.idle_minutes: {} is out of range (1 to {MAX_IDLE_MINUTES})",
                        idle.get_ref()
                    ),
                ));
            }
            Some(idle) => idle.into_inner(),
            None => DEFAULT_IDLE_MINUTES,
        };
        let grace_seconds = match raw.grace_seconds {
            Some(grace) if *grace.get_ref() > MAX_GRACE_SECONDS => {
                return Err(self.invalid(
                    grace.span(),
                    format!(
                        "presence.grace_seconds: {} is over the {MAX_GRACE_SECONDS} s limit",
                        grace.get_ref()
                    ),
                ));
            }
            Some(grace) => grace.into_inner(),
            None => DEFAULT_GRACE_SECONDS,
        };
        Ok(PresenceConfig {
            idle_minutes,
            grace_seconds,
        })
    }
}

/// `"HH:MM-HH:MM"`, spaces allowed around the dash; `24:00` only as an end.
fn parse_shift(text: &str) -> Option<Shift> {
    let (start, end) = text.split_once('-')?;
    let start = parse_minute(start.trim())?;
    let end = parse_minute(end.trim())?;
    (start < 24 * 60).then_some(Shift { start, end })
}

/// `H:MM` or `HH:MM` as minutes after midnight, up to `24:00`.
fn parse_minute(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    let digits = |s: &str, max_len: usize| {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    let h = digits(h, 2)?;
    let m = if m.len() == 2 {
        digits(m, 2)?
    } else {
        return None;
    };
    match (h, m) {
        (24, 0) => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_strictly() {
        assert_eq!(
            parse_shift("09:00-12:30"),
            Some(Shift {
                start: 540,
                end: 750
            })
        );
        assert_eq!(
            parse_shift("9:00 - 24:00"),
            Some(Shift {
                start: 540,
                end: 1440
            })
        );
        for bad in [
            "",
            "9-12",
            "09:00",
            "09:00-",
            "24:00-24:00",
            "09:60-10:00",
            "09:0-10:00",
            "-1:00-02:00",
            "09:00-25:00",
            "+9:00-10:00",
            "09:00-10:00-11:00",
        ] {
            assert_eq!(parse_shift(bad), None, "{bad:?} must not parse");
        }
    }
}
