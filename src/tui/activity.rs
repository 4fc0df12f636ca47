//! The runner's side of teamwork: telling the other TUIs what this agent is doing (a row
//! in `agent_activity`, written when it changes and refreshed every
//! [`ACTIVITY_REFRESH`]), waking snoozed conversations the moment they are due, loading
//! the other agents' markers and the overdue figures, and carrying out status, label and
//! assignment changes with who made them.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::model::{AgentId, ConversationId, Status, StatusName};
use crate::store::{
    ACTIVITY_REFRESH, ACTIVITY_STALE, StatusChange, StatusOutcome, Store, StoreError,
};
use crate::tui::app::App;

/// How often the overdue figures are read again while the store does not change: a
/// conversation becomes overdue by the clock alone.
const WAITING_EVERY: Duration = Duration::from_secs(5);

/// This TUI's part in the team: its session and what it last told the others.
#[derive(Debug)]
pub struct Teamwork {
    session: String,
    told: Option<(Option<ConversationId>, bool)>,
    told_at: Timestamp,
    waiting_at: Timestamp,
}

impl Default for Teamwork {
    fn default() -> Self {
        Teamwork::new()
    }
}

impl Teamwork {
    /// A new session: the process id and start time tell two TUIs of one agent apart.
    #[must_use]
    pub fn new() -> Teamwork {
        let now = Timestamp::now();
        Teamwork {
            session: format!("{}-{}", std::process::id(), now.as_millisecond()),
            told: None,
            told_at: Timestamp::UNIX_EPOCH,
            waiting_at: now,
        }
    }

    /// Runs at every poll: tells the others what the agent does now (at once when it
    /// changed, else every [`ACTIVITY_REFRESH`]), wakes the snoozed conversations that
    /// are due, drops markers of TUIs that went away, and refreshes the overdue figures.
    /// Returns whether the screen must be drawn again.
    pub fn tick(&mut self, store: &mut Store, app: &mut App, now: Timestamp) -> bool {
        let doing = app.my_activity();
        let due = now.duration_since(self.told_at).unsigned_abs() >= ACTIVITY_REFRESH;
        if self.told != Some(doing) || due {
            match store.record_activity(app.me, &self.session, doing.0, doing.1, now) {
                Ok(()) => {
                    self.told = Some(doing);
                    self.told_at = now;
                }
                Err(e) => tracing::warn!(error = %e, "cannot record what the agent is doing"),
            }
        }
        let mut dirty = false;
        if app.teamwork.next_wake.is_some_and(|t| t <= now) {
            match store.wake_snoozed(now) {
                Ok(_) => {
                    // Our own write does not change this connection's data_version.
                    if let Err(e) = crate::tui::runner::reload(store, app) {
                        app.failed(&e.to_string());
                    }
                    dirty = true;
                }
                Err(e) => tracing::warn!(error = %e, "cannot wake snoozed conversations"),
            }
        }
        let stale = SignedDuration::try_from(ACTIVITY_STALE).unwrap_or(SignedDuration::MAX);
        dirty |= app.expire_markers(now, stale);
        if now.duration_since(self.waiting_at).unsigned_abs() >= WAITING_EVERY {
            self.waiting_at = now;
            match store.waiting_summary(&app.cutoffs()) {
                Ok(w) if w != app.teamwork.waiting => {
                    app.teamwork.waiting = w;
                    dirty = true;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot count overdue conversations"),
            }
        }
        dirty
    }

    /// The TUI is closing: its marker goes now rather than going stale.
    pub fn leave(&self, store: &mut Store, me: AgentId) {
        if let Err(e) = store.end_activity(me, &self.session) {
            tracing::warn!(error = %e, "cannot clear what the agent was doing");
        }
    }
}

/// Loads the other agents' markers, the overdue figures, the next wake-up, and the
/// changes others made to the conversation the agent has open (told as a notice).
///
/// # Errors
/// A store failure.
pub fn load(store: &mut Store, app: &mut App) -> Result<(), StoreError> {
    let now = Timestamp::now();
    let agents = store
        .agents()?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let activity = store.activity(now)?;
    let waiting = store.waiting_summary(&app.cutoffs())?;
    let next_wake = store.next_wake()?;
    app.loaded_teamwork(agents, activity, waiting, next_wake);
    let selected = app.selected().map(|c| c.id);
    match app.teamwork.watched {
        Some((watched, last)) => {
            let events = store.events_after(watched, last, 50)?;
            app.others_changed(watched, &events);
            if selected != Some(watched) {
                let last = match selected {
                    Some(c) => store.last_event_id(c)?,
                    None => 0,
                };
                app.watch(selected, last);
            }
        }
        None => {
            let last = match selected {
                Some(c) => store.last_event_id(c)?,
                None => 0,
            };
            app.watch(selected, last);
        }
    }
    Ok(())
}

/// A status change with the status the agent saw: applied, or refused with a notice
/// saying who changed it first.
///
/// # Errors
/// A store failure.
pub fn change_status(
    store: &mut Store,
    app: &mut App,
    conversation: ConversationId,
    status: Status,
    seen: StatusName,
    now: Timestamp,
) -> Result<(), StoreError> {
    let change = StatusChange {
        status,
        seen,
        by: app.me,
        now,
    };
    if let StatusOutcome::Conflict { current, by, at } =
        store.change_status(conversation, change)?
    {
        app.status_conflict(status, current, by.as_deref(), at);
    }
    Ok(())
}
