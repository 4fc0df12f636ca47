//! The report overlay's state and keys: which period it shows (the last 7, 30 or 90
//! days) and the report the runner computed for it. The figures are computed by the
//! runner ([`Effect::Report`]), never here.

use super::{App, Effect};
use crate::report::Report;
use crate::tui::action::Action;

/// The periods the overlay switches between, in days.
pub const PERIODS: [u32; 3] = [7, 30, 90];

/// The report overlay.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportState {
    /// The period shown: the last this many days.
    pub days: u32,
    /// The report for it; `None` until the runner has computed it.
    pub report: Option<Report>,
}

impl App {
    /// Opens the overlay on the last `days` days (default the first of [`PERIODS`]), or,
    /// when it is open already, switches to `days` or to the next period.
    pub(super) fn open_report(&mut self, days: Option<u32>) -> Vec<Effect> {
        let days = match (&self.report, days) {
            (_, Some(d)) => d,
            (Some(open), None) => next_period(open.days, 1),
            (None, None) => PERIODS[0],
        };
        self.show_period(days)
    }

    /// Applies a computed report, unless the agent has since closed the overlay or moved
    /// to another period (the one they are on now comes next).
    pub fn loaded_report(&mut self, report: Report) {
        if let Some(view) = self.report.as_mut() {
            let days = i64::from(view.days);
            let span = report.period.until.duration_since(report.period.since);
            if span.as_hours() == days * 24 {
                view.report = Some(report);
            }
        }
    }

    /// Keys while the overlay is open (looked up in the picker mode, as the help
    /// overlay's are): `1`, `2`, `3` or the arrows pick the period, Esc or `q` closes.
    /// Everything else is swallowed, so a key meant for the overlay never resolves a
    /// conversation behind it. `None` passes on what the overlay does not own.
    pub(super) fn update_report(&mut self, action: &Action) -> Option<Vec<Effect>> {
        let days = self.report.as_ref()?.days;
        Some(match action {
            Action::Cancel | Action::Insert('q') | Action::Confirm => {
                self.report = None;
                Vec::new()
            }
            Action::Report(d) => self.open_report(*d),
            Action::Insert(c @ '1'..='3') => {
                let i = usize::from(*c as u8 - b'1');
                self.show_period(PERIODS[i])
            }
            Action::Down | Action::CursorRight | Action::FocusNext | Action::PageDown => {
                self.show_period(next_period(days, 1))
            }
            Action::Up | Action::CursorLeft | Action::FocusPrev | Action::PageUp => {
                self.show_period(next_period(days, PERIODS.len() - 1))
            }
            Action::Quit | Action::Help => return None,
            _ => Vec::new(),
        })
    }

    fn show_period(&mut self, days: u32) -> Vec<Effect> {
        if let Some(open) = &self.report
            && open.days == days
            && open.report.is_some()
        {
            return Vec::new();
        }
        self.report = Some(ReportState { days, report: None });
        vec![Effect::Report(days)]
    }
}

/// The period `steps` after `days` in [`PERIODS`], wrapping around.
fn next_period(days: u32, steps: usize) -> u32 {
    let i = PERIODS.iter().position(|d| *d == days).unwrap_or(0);
    PERIODS[(i + steps) % PERIODS.len()]
}
