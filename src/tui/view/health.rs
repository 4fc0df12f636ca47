//! How each channel account's health reads on the status line: `boutique ⟳ 120/800`,
//! `boutique IDLE`, `boutique ⚠ retry 14:32: connection refused`, `boutique ✗ auth
//! failed`, and `?` for a state nobody has confirmed for a long time.

use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use ratatui::style::{Color, Style};

use super::ago;
use crate::model::{ChannelHealth, HealthState};
use crate::tui::text;

/// A "working" state (connecting, syncing, IDLE, polling) not rewritten for this long is
/// stale: the process that wrote it has likely died. An IDLE connection is renewed at
/// least every 29 minutes (RFC 2177 asks clients to re-issue IDLE within 29, servers may
/// drop it after 30), and the channel rewrites its health then; twice that, rounded up to
/// the hour, leaves room for one late renewal before the agent is warned.
pub const STALE_AFTER: SignedDuration = SignedDuration::from_mins(60);

/// The longest account name shown; a longer one is cut.
const MAX_NAME: usize = 20;

/// One account's health as the status line shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthLabel {
    /// The text, widest first: the status line takes the first that fits.
    pub texts: Vec<String>,
    /// Its colour.
    pub style: Style,
    /// A problem the agent should see (auth failed, backing off, stale) rather than a
    /// healthy state, which makes way first on a narrow terminal.
    pub problem: bool,
}

/// The labels of every account, in the store's order (channel, then account).
#[must_use]
pub fn labels(health: &[ChannelHealth], now: Timestamp, tz: &TimeZone) -> Vec<HealthLabel> {
    health
        .iter()
        .map(|h| {
            let shared = health.iter().filter(|o| o.account == h.account).count() > 1;
            label(h, shared, now, tz)
        })
        .collect()
}

/// One account's label; `shared` when another channel has an account of the same name,
/// so the channel is named too.
#[must_use]
pub fn label(h: &ChannelHealth, shared: bool, now: Timestamp, tz: &TimeZone) -> HealthLabel {
    let account = text::clean_line(&h.account);
    let mut name = text::truncate(&account, MAX_NAME).into_string();
    if shared {
        name = format!("{}/{name}", h.channel);
    }
    let since = now.duration_since(h.updated_at);
    let working = matches!(
        h.state,
        HealthState::Connecting | HealthState::Syncing | HealthState::Idle | HealthState::Polling
    );
    let overdue = h.state == HealthState::Backoff
        && h.until.is_none_or(|u| now.duration_since(u) > STALE_AFTER);
    let at = |t: Timestamp| t.to_zoned(tz.clone()).strftime("%H:%M").to_string();
    let what = match h.state {
        HealthState::Connecting => "connecting…".to_owned(),
        HealthState::Syncing => match (h.done, h.total) {
            (Some(d), Some(t)) => format!("⟳ {d}/{t}"),
            _ => "⟳ syncing".to_owned(),
        },
        HealthState::Idle => "IDLE".to_owned(),
        HealthState::Polling => "polling".to_owned(),
        HealthState::Backoff => match h.until {
            Some(u) => format!("⚠ retry {}", at(u)),
            None => "⚠ retrying".to_owned(),
        },
        HealthState::AuthFailed => "✗ auth failed".to_owned(),
        HealthState::Stopped => "stopped".to_owned(),
    };
    if (working && since > STALE_AFTER) || overdue {
        let what = what.trim_start_matches(['⚠', '⟳', ' ']);
        return HealthLabel {
            texts: vec![
                format!("{name} ? {what}, {} ago", ago(now, h.updated_at)),
                format!("{name} ?"),
            ],
            style: Style::new().fg(Color::Yellow),
            problem: true,
        };
    }
    let base = format!("{name} {what}");
    match h.state {
        HealthState::Backoff => {
            let error = h
                .last_error
                .as_deref()
                .map(text::clean_line)
                .filter(|e| !e.is_empty());
            let mut texts = Vec::new();
            if let Some(e) = error {
                for max in [40, 16] {
                    texts.push(format!("{base}: {}", text::truncate(&e, max)));
                }
                texts.dedup();
            }
            texts.push(base);
            HealthLabel {
                texts,
                style: Style::new().fg(Color::Yellow),
                problem: true,
            }
        }
        HealthState::AuthFailed => HealthLabel {
            texts: vec![base],
            style: Style::new().fg(Color::Red),
            problem: true,
        },
        HealthState::Idle | HealthState::Polling => HealthLabel {
            texts: vec![base],
            style: Style::new().fg(Color::Green),
            problem: false,
        },
        HealthState::Stopped => HealthLabel {
            texts: vec![base],
            style: Style::new().fg(Color::DarkGray),
            problem: false,
        },
        HealthState::Connecting | HealthState::Syncing => HealthLabel {
            texts: vec![base],
            style: Style::new().fg(Color::Cyan),
            problem: false,
        },
    }
}
