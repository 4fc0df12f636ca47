//! The span of time a report covers, from what the agent typed: `--since 7d`,
//! `--since 2026-11-01`, `--until 2026-11-30`, or an exact time.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// `[since, until)`: a report counts what happened at or after `since` and before `until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// The first instant counted.
    pub since: Timestamp,
    /// The first instant no longer counted.
    pub until: Timestamp,
}

/// Why a period could not be read. One line, naming the option and what it accepts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The text is neither an age, a date nor a time.
    #[error(
        "--{option} {text:?}: expected an age (7d, 12h, 2w), a date (2026-11-01) or a time (2026-11-01T09:00Z)"
    )]
    Unreadable {
        /// `since` or `until`.
        option: &'static str,
        /// What was typed.
        text: String,
    },
    /// The period ends before it starts, or is empty.
    #[error("the period is empty: --since {since} is not before --until {until}")]
    Empty {
        /// Where it starts.
        since: Timestamp,
        /// Where it ends.
        until: Timestamp,
    },
}

/// The length of the period when `--since` is not given.
pub const DEFAULT_DAYS: u32 = 7;

impl Period {
    /// The last `days` days up to `now` (rolling: `now` minus `days` × 24 hours).
    #[must_use]
    pub fn last_days(days: u32, now: Timestamp) -> Period {
        let since = now
            .checked_sub(SignedDuration::from_hours(i64::from(days) * 24))
            .unwrap_or(Timestamp::MIN);
        Period { since, until: now }
    }

    /// Reads `--since` (default [`DEFAULT_DAYS`] days back) and `--until` (default
    /// `now`). An age counts back from `now`; a date is local midnight in `tz`, the start
    /// of that day for `--since` and its end for `--until` (so `--until 2026-11-30`
    /// includes the 30th); a time with an offset or `Z` is exact.
    ///
    /// # Errors
    /// Text that is none of those, or a period that is empty.
    pub fn parse(
        since: Option<&str>,
        until: Option<&str>,
        now: Timestamp,
        tz: &TimeZone,
    ) -> Result<Period, PeriodError> {
        let until = match until {
            None => now,
            Some(text) => instant("until", text, now, tz)?,
        };
        let since = match since {
            None => Period::last_days(DEFAULT_DAYS, now).since,
            Some(text) => instant("since", text, now, tz)?,
        };
        if since >= until {
            return Err(PeriodError::Empty { since, until });
        }
        Ok(Period { since, until })
    }

    /// The local calendar days the period touches, each cut to the period: the bounds
    /// between them, first `since`, last `until`.
    #[must_use]
    pub fn day_bounds(&self, tz: &TimeZone) -> Vec<(Date, Timestamp)> {
        let mut out = Vec::new();
        let mut date = self.since.to_zoned(tz.clone()).date();
        let mut start = self.since;
        // A period of a few years has some hundreds of days; the cap keeps a typo such
        // as `--since 1d --until 9999-01-01` from building millions of empty slices.
        while start < self.until && out.len() < MAX_DAYS {
            out.push((date, start));
            let Some(next) = date.tomorrow().ok() else {
                break;
            };
            let Ok(midnight) = next.to_zoned(tz.clone()) else {
                break;
            };
            date = next;
            start = midnight.timestamp();
        }
        out
    }
}

/// The most days a report slices its period into.
pub const MAX_DAYS: usize = 3_660;

fn instant(
    option: &'static str,
    text: &str,
    now: Timestamp,
    tz: &TimeZone,
) -> Result<Timestamp, PeriodError> {
    let bad = || PeriodError::Unreadable {
        option,
        text: text.to_owned(),
    };
    let text = text.trim();
    if let Some(age) = age(text) {
        return age.and_then(|a| now.checked_sub(a).ok()).ok_or_else(bad);
    }
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let date: Date = text.parse().map_err(|_| bad())?;
    let day = if option == "until" {
        date.tomorrow().map_err(|_| bad())?
    } else {
        date
    };
    day.to_zoned(tz.clone())
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}

/// `7d`, `12h`, `2w`, `30m`: `None` when the text is not shaped like an age at all,
/// `Some(None)` when it is but does not fit.
fn age(text: &str) -> Option<Option<SignedDuration>> {
    let unit = text.chars().last()?;
    let digits = &text[..text.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let minutes_per = match unit {
        'm' => 1,
        'h' => 60,
        'd' => 60 * 24,
        'w' => 60 * 24 * 7,
        _ => return None,
    };
    Some(
        digits
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(minutes_per))
            .filter(|m| *m <= 60 * 24 * 366 * 100)
            .map(SignedDuration::from_mins),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC)
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn ages_dates_and_times() {
        let now = t("2026-11-23T17:00:00Z");
        let p = Period::parse(None, None, now, &paris());
        assert_eq!(
            p,
            Ok(Period {
                since: t("2026-11-16T17:00:00Z"),
                until: now
            })
        );
        let p = Period::parse(Some("2026-11-01"), Some("2026-11-30"), now, &paris());
        assert_eq!(
            p,
            Ok(Period {
                since: t("2026-10-31T23:00:00Z"),
                until: t("2026-11-30T23:00:00Z")
            }),
            "a date is local midnight; --until includes its day"
        );
        let p = Period::parse(Some("12h"), Some("2026-11-23T16:00Z"), now, &paris());
        assert_eq!(
            p,
            Ok(Period {
                since: t("2026-11-23T05:00:00Z"),
                until: t("2026-11-23T16:00:00Z")
            })
        );
        assert_eq!(
            Period::parse(Some("2w"), None, now, &paris()).map(|p| p.since),
            Ok(t("2026-11-09T17:00:00Z"))
        );
    }

    #[test]
    fn bad_text_and_empty_periods_are_refused() {
        let now = t("2026-11-23T17:00:00Z");
        for bad in [
            "",
            "d",
            "7y",
            "yesterday",
            "-7d",
            "2026-13-01",
            "99999999999999w",
        ] {
            let err = Period::parse(Some(bad), None, now, &paris());
            assert!(
                matches!(
                    err,
                    Err(PeriodError::Unreadable {
                        option: "since",
                        ..
                    })
                ),
                "{bad:?}: {err:?}"
            );
        }
        let err = Period::parse(Some("1d"), Some("2d"), now, &paris());
        assert!(matches!(err, Err(PeriodError::Empty { .. })), "{err:?}");
        let message = Period::parse(None, Some("soon"), now, &paris())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(message.starts_with("--until \"soon\""), "{message}");
        assert_eq!(message.lines().count(), 1);
    }

    #[test]
    fn days_are_local_and_cut_to_the_period() {
        let p = Period {
            since: t("2026-11-20T12:00:00Z"),
            until: t("2026-11-22T10:00:00Z"),
        };
        let days = p.day_bounds(&paris());
        let dates: Vec<String> = days.iter().map(|(d, _)| d.to_string()).collect();
        assert_eq!(dates, ["2026-11-20", "2026-11-21", "2026-11-22"]);
        assert_eq!(days[0].1, p.since);
        assert_eq!(days[1].1, t("2026-11-20T23:00:00Z"));
        assert_eq!(days[2].1, t("2026-11-21T23:00:00Z"));
        // A day that is 23 hours long (the spring DST change) is still one day.
        let spring = Period {
            since: t("2026-03-28T23:00:00Z"),
            until: t("2026-03-30T22:00:00Z"),
        };
        let days = spring.day_bounds(&paris());
        assert_eq!(days.len(), 2);
        assert_eq!(days[1].1, t("2026-03-29T22:00:00Z"));
    }
}
