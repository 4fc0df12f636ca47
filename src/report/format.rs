//! A report as text: an aligned table for people, JSON and CSV for other programs. JSON
//! and CSV share one set of field names, durations in whole seconds.

use std::fmt::Write as _;
use std::str::FromStr;

use jiff::SignedDuration;
use jiff::tz::TimeZone;
use serde_json::{Map, Value, json};

use super::{Figures, Report};
use crate::tui::text::clean_line;

/// How `comptoir report` writes a report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Aligned blocks, durations like `4m 12s`.
    #[default]
    Table,
    /// One JSON object.
    Json,
    /// One header row, then one row per channel, per agent, and the total.
    Csv,
}

/// A format name that is not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("--format {0:?}: expected table, json or csv")]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            other => Err(UnknownFormat(other.to_owned())),
        }
    }
}

/// The per-row fields of JSON and CSV, in CSV's column order.
pub const FIELDS: [&str; 13] = [
    "conversations",
    "inbound_messages",
    "outbound_messages",
    "first_responses",
    "first_response_p50_seconds",
    "first_response_p90_seconds",
    "resolutions",
    "resolution_p50_seconds",
    "resolution_p90_seconds",
    "waiting_now",
    "oldest_wait_seconds",
    "never_answered",
    "never_answered_rate",
];

impl Report {
    /// The report in `format`; dates and days in `tz`.
    #[must_use]
    pub fn render(&self, format: Format, tz: &TimeZone) -> String {
        match format {
            Format::Table => self.table(tz),
            Format::Json => {
                let mut text = self.json().to_string();
                text.push('\n');
                text
            }
            Format::Csv => self.csv(),
        }
    }

    /// One JSON object: the period, a row object per channel and agent, the total, and
    /// the volume of each day. Durations are whole seconds; a figure that has no value
    /// (no first response yet, an agent's inbound messages) is `null`.
    #[must_use]
    pub fn json(&self) -> Value {
        let rows = |list: &[Figures], key: &str| -> Value {
            list.iter()
                .map(|f| {
                    let mut o = Map::new();
                    o.insert(key.to_owned(), Value::from(f.key.clone()));
                    o.extend(self.fields(f));
                    Value::Object(o)
                })
                .collect()
        };
        json!({
            "since": self.period.since.to_string(),
            "until": self.period.until.to_string(),
            "generated_at": self.generated_at.to_string(),
            "channels": rows(&self.channels, "channel"),
            "agents": rows(&self.agents, "agent"),
            "total": Value::Object(self.fields(&self.total).into_iter().collect()),
            "days": self.days.iter().map(|d| json!({
                "date": d.date.to_string(),
                "conversations": d.conversations,
                "inbound_messages": d.inbound_messages,
                "outbound_messages": d.outbound_messages,
            })).collect::<Vec<_>>(),
        })
    }

    /// One header row (`group,key,` then [`FIELDS`]), then a row per channel
    /// (`channel,email,…`), per agent (`agent,Camille,…`) and the total (`total,,…`).
    #[must_use]
    pub fn csv(&self) -> String {
        let mut out = String::from("group,key");
        for f in FIELDS {
            out.push(',');
            out.push_str(f);
        }
        out.push('\n');
        let groups = self
            .channels
            .iter()
            .map(|f| ("channel", f))
            .chain(self.agents.iter().map(|f| ("agent", f)))
            .chain(std::iter::once(("total", &self.total)));
        for (group, f) in groups {
            out.push_str(group);
            out.push(',');
            if group != "total" {
                out.push_str(&csv_cell(clean_line(&f.key).as_str()));
            }
            for (_, v) in self.fields(f) {
                out.push(',');
                match v {
                    Value::Null => {}
                    Value::String(s) => out.push_str(&csv_cell(&s)),
                    other => out.push_str(&other.to_string()),
                }
            }
            out.push('\n');
        }
        out
    }

    /// A row's fields, named as in [`FIELDS`] and in that order.
    fn fields(&self, f: &Figures) -> Vec<(String, Value)> {
        let secs = |d: Option<SignedDuration>| d.map_or(Value::Null, |d| Value::from(d.as_secs()));
        let values = [
            Value::from(f.conversations),
            f.inbound_messages.map_or(Value::Null, Value::from),
            Value::from(f.outbound_messages),
            Value::from(f.first_response.count),
            secs(f.first_response.p50),
            secs(f.first_response.p90),
            Value::from(f.resolution.count),
            secs(f.resolution.p50),
            secs(f.resolution.p90),
            Value::from(f.waiting_now),
            secs(
                f.oldest_waiting_since
                    .map(|t| self.generated_at.duration_since(t)),
            ),
            f.never_answered.map_or(Value::Null, Value::from),
            f.never_answered_rate().map_or(Value::Null, |r| {
                Value::from((r * 10_000.0).round() / 10_000.0)
            }),
        ];
        FIELDS.iter().map(|n| (*n).to_owned()).zip(values).collect()
    }

    /// The report for people: the period, then one block per channel, one per agent,
    /// and the total, each with its labels aligned.
    #[must_use]
    pub fn table(&self, tz: &TimeZone) -> String {
        let when = |t: jiff::Timestamp| t.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M");
        let mut out = format!(
            "Response report, {} to {} ({})\n",
            when(self.period.since),
            when(self.period.until),
            tz.iana_name().unwrap_or("local time")
        );
        if self.total.is_empty() {
            out.push_str("\nNothing happened in this period.\n");
            return out;
        }
        if !self.channels.is_empty() {
            out.push_str("\nBy channel\n");
            for f in &self.channels {
                self.block(&mut out, f);
            }
        }
        if !self.agents.is_empty() {
            out.push_str("\nBy agent\n");
            for f in &self.agents {
                self.block(&mut out, f);
            }
        }
        out.push_str("\nTotal\n");
        self.block(&mut out, &self.total);
        out
    }

    fn block(&self, out: &mut String, f: &Figures) {
        let _ = writeln!(out, "  {}", clean_line(&f.key));
        let line = |out: &mut String, label: &str, value: String| {
            let _ = writeln!(out, "    {label:<16}{value}");
        };
        let mut volume = format!("{} conversations", f.conversations);
        if let Some(n) = f.inbound_messages {
            let _ = write!(volume, ", {n} messages in");
        }
        let _ = write!(volume, ", {} replies", f.outbound_messages);
        line(out, "volume", volume);
        line(out, "first response", spread(&f.first_response, "answered"));
        line(out, "resolution", spread(&f.resolution, "resolved"));
        let mut waiting = match f.never_answered {
            Some(n) => format!(
                "{n} never answered ({}), ",
                f.never_answered_rate()
                    .map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", r * 100.0))
            ),
            None => String::new(),
        };
        let _ = write!(waiting, "{} waiting now", f.waiting_now);
        if let Some(since) = f.oldest_waiting_since {
            let _ = write!(
                waiting,
                " (oldest {})",
                human_duration(self.generated_at.duration_since(since))
            );
        }
        line(out, "unanswered", waiting);
    }
}

fn spread(s: &super::Spread, what: &str) -> String {
    match (s.p50, s.p90) {
        (Some(p50), Some(p90)) => format!(
            "p50 {:<9} p90 {:<9} ({} {what})",
            human_duration(p50),
            human_duration(p90),
            s.count
        ),
        _ => format!("-                           (0 {what})"),
    }
}

/// A duration for people, two units at most: `42s`, `4m 12s`, `2h 05m`, `3d 04h`.
#[must_use]
pub fn human_duration(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    let (days, hours, minutes, seconds) = (s / 86_400, s / 3_600 % 24, s / 60 % 60, s % 60);
    if days > 0 {
        format!("{days}d {hours:02}h")
    } else if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m {seconds:02}s")
    } else {
        format!("{seconds}s")
    }
}

/// A CSV cell per RFC 4180: quoted when it holds a comma, a quote or a line break.
fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_write_them() {
        let d = SignedDuration::from_secs;
        assert_eq!(human_duration(d(0)), "0s");
        assert_eq!(human_duration(d(42)), "42s");
        assert_eq!(human_duration(d(4 * 60 + 12)), "4m 12s");
        assert_eq!(human_duration(d(2 * 3600 + 5 * 60 + 59)), "2h 05m");
        assert_eq!(human_duration(d(3 * 86_400 + 4 * 3600)), "3d 04h");
        assert_eq!(human_duration(d(-5)), "0s");
    }

    #[test]
    fn csv_cells_are_quoted_only_when_needed() {
        assert_eq!(csv_cell("Camille"), "Camille");
        assert_eq!(csv_cell("Léa, night"), "\"Léa, night\"");
        assert_eq!(csv_cell("the \"boss\""), "\"the \"\"boss\"\"\"");
    }

    #[test]
    fn formats_parse() {
        assert_eq!("json".parse(), Ok(Format::Json));
        assert_eq!("csv".parse(), Ok(Format::Csv));
        assert_eq!("table".parse(), Ok(Format::Table));
        assert!("xml".parse::<Format>().is_err());
    }
}
