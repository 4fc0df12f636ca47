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

/// How bad an account's state is, which decides how long it stays on a narrow status
/// line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Working or deliberately stopped: the first to make way.
    Healthy,
    /// Claims to be working, but nobody has confirmed it for [`STALE_AFTER`].
    Stale,
    /// Failing and retrying.
    Backoff,
    /// The server refused the credentials: nothing arrives until the config changes.
    AuthFailed,
}

/// One account's health as the status line shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthLabel {
    /// The text, widest first: the status line takes the first that fits.
    pub texts: Vec<String>,
    /// What follows it when there is room (`: connection refused`), widest first; it
    /// makes way before the label itself.
    pub detail: Vec<String>,
    /// Its colour.
    pub style: Style,
    /// How bad it is.
    pub kind: Kind,
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
            detail: Vec::new(),
            style: Style::new().fg(Color::Yellow),
            kind: Kind::Stale,
        };
    }
    let texts = vec![format!("{name} {what}")];
    let (style, kind) = match h.state {
        HealthState::Backoff => (Style::new().fg(Color::Yellow), Kind::Backoff),
        HealthState::AuthFailed => (Style::new().fg(Color::Red), Kind::AuthFailed),
        HealthState::Idle | HealthState::Polling => (Style::new().fg(Color::Green), Kind::Healthy),
        HealthState::Stopped => (Style::new().fg(Color::DarkGray), Kind::Healthy),
        HealthState::Connecting | HealthState::Syncing => {
            (Style::new().fg(Color::Cyan), Kind::Healthy)
        }
    };
    let mut detail = Vec::new();
    if h.state == HealthState::Backoff
        && let Some(e) = h
            .last_error
            .as_deref()
            .map(text::clean_line)
            .filter(|e| !e.is_empty())
    {
        for max in [40, 16] {
            detail.push(format!(": {}", text::truncate(&e, max)));
        }
        detail.dedup();
    }
    HealthLabel {
        texts,
        detail,
        style,
        kind,
    }
}
