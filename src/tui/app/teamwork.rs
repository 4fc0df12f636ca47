//! Several agents on one store, as the app sees it: assigning by name, labels, the
//! overdue filter, who else is looking at or replying to a conversation, and the notices
//! that keep two agents from overwriting each other silently (a status changed under an
//! agent's feet, a reply someone sent while they were writing theirs).
//!
//! Pure like the rest of the app: the runner loads what is here (`tui::activity`) and
//! carries out the writes asked for.

use jiff::{SignedDuration, Timestamp};

use super::{App, Effect, Write};
use crate::config::WorkflowConfig;
use crate::model::{AgentId, Channel, ConversationId, MessageId, MessageKind, Status, StatusName};
use crate::store::{Activity, ConversationEvent, Cutoffs, EventKind, QueueFilter, WaitingSummary};
use crate::tui::editor::Editor;
use crate::tui::view::clock;

/// What the app knows of the other agents and of the shop's targets.
#[derive(Clone, Debug, Default)]
pub struct TeamworkState {
    /// `[workflow]`: the first-response targets.
    pub workflow: WorkflowConfig,
    /// Every agent (id, name), for `:assign NAME` and for showing assignees.
    pub agents: Vec<(AgentId, String)>,
    /// What the other agents' TUIs are doing (never this agent's own).
    pub activity: Vec<Activity>,
    /// Overdue count and the longest wait's channel, for the status line.
    pub waiting: WaitingSummary,
    /// When the next snoozed conversation wakes.
    pub next_wake: Option<Timestamp>,
    /// The only-overdue filter is on.
    pub overdue_only: bool,
    /// The conversation whose changes this agent is told of, and the newest change of
    /// it they have seen.
    pub watched: Option<(ConversationId, i64)>,
    /// The newest message of the conversation a reply is being written to, when the
    /// agent started it (or was last warned): a reply from someone else after it is a
    /// collision.
    draft_seen: Option<(ConversationId, MessageId)>,
}

/// One agent's marker on a queue row or in the thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    /// Their name.
    pub name: String,
    /// Writing a reply (or a note), not only looking.
    pub replying: bool,
}

impl App {
    /// Uses the shop's first-response targets from now on.
    pub fn set_workflow(&mut self, workflow: WorkflowConfig) {
        self.teamwork.workflow = workflow;
    }

    /// The other agents on a conversation, those replying first.
    #[must_use]
    pub fn markers(&self, conversation: ConversationId) -> Vec<Marker> {
        self.teamwork
            .activity
            .iter()
            .filter(|a| a.conversation == conversation && a.agent != self.me)
            .map(|a| Marker {
                name: a.agent_name.clone(),
                replying: a.replying,
            })
            .collect()
    }

    /// An agent's name, from the last load.
    #[must_use]
    pub fn agent_name(&self, id: AgentId) -> Option<&str> {
        self.teamwork
            .agents
            .iter()
            .find(|(a, _)| *a == id)
            .map(|(_, n)| n.as_str())
    }

    /// The first-response target of a channel, if the shop set one.
    #[must_use]
    pub fn target(&self, channel: Channel) -> Option<SignedDuration> {
        self.teamwork.workflow.target(channel)
    }

    /// Whether a customer waiting since `since` on `channel` waits past the target.
    #[must_use]
    pub fn overdue(&self, channel: Channel, since: Option<Timestamp>) -> bool {
        match (since, self.target(channel)) {
            (Some(since), Some(target)) => self.now.duration_since(since) > target,
            _ => false,
        }
    }

    /// The targets as moments at the app's clock.
    #[must_use]
    pub fn cutoffs(&self) -> Cutoffs {
        let at = |d: SignedDuration| self.now.checked_sub(d).unwrap_or(self.now);
        let w = &self.teamwork.workflow;
        Cutoffs {
            default: w.first_response_target.map(at),
            channels: w
                .channel_targets
                .iter()
                .map(|(c, d)| (*c, at(*d)))
                .collect(),
        }
    }

    /// The queue filter with the overdue switch applied at the app's clock.
    pub(super) fn with_overdue(&self, mut filter: QueueFilter) -> QueueFilter {
        filter.overdue = self.teamwork.overdue_only.then(|| self.cutoffs());
        filter
    }

    /// What this agent is doing, as the other TUIs are told: the conversation they
    /// opened (the thread or history has the focus, or they write to it) and whether
    /// they are writing there. Moving through the queue is not opening.
    #[must_use]
    pub fn my_activity(&self) -> (Option<ConversationId>, bool) {
        if let Some(c) = &self.compose {
            return (Some(c.conversation), true);
        }
        let opened = self.focus != crate::tui::action::Pane::Queue;
        (self.selected().map(|c| c.id).filter(|_| opened), false)
    }

    /// Applies freshly read activity and figures.
    pub fn loaded_teamwork(
        &mut self,
        agents: Vec<(AgentId, String)>,
        activity: Vec<Activity>,
        waiting: WaitingSummary,
        next_wake: Option<Timestamp>,
    ) {
        let me = self.me;
        self.teamwork.agents = agents;
        self.teamwork.activity = activity.into_iter().filter(|a| a.agent != me).collect();
        self.teamwork.waiting = waiting;
        self.teamwork.next_wake = next_wake;
    }

    /// Drops markers whose TUI stopped refreshing them by `now`; whether any went.
    pub fn expire_markers(&mut self, now: Timestamp, stale: SignedDuration) -> bool {
        let before = self.teamwork.activity.len();
        self.teamwork
            .activity
            .retain(|a| now.duration_since(a.updated_at) <= stale);
        self.teamwork.activity.len() != before
    }

    /// Starts watching `conversation` from its change `last` on, without a notice.
    pub fn watch(&mut self, conversation: Option<ConversationId>, last: i64) {
        self.teamwork.watched = conversation.map(|c| (c, last));
    }

    /// Changes to the watched conversation read after the last ones seen: those another
    /// agent (or comptoir itself) made are told, newest last. An error already on
    /// screen (a conflict just reported) is not replaced.
    pub fn others_changed(&mut self, conversation: ConversationId, events: &[ConversationEvent]) {
        let Some(last) = events.last() else {
            return;
        };
        if let Some((c, seen)) = &mut self.teamwork.watched
            && *c == conversation
        {
            *seen = last.id;
        }
        let Some(event) = events.iter().rev().find(|e| e.agent != Some(self.me)) else {
            return;
        };
        if self.flash.as_ref().is_some_and(|f| f.error) {
            return;
        }
        let still_open = self.selected().is_some_and(|c| c.id == conversation);
        let what = if still_open {
            "this conversation".to_owned()
        } else {
            let name = self
                .thread
                .conversation
                .as_ref()
                .filter(|c| c.id == conversation)
                .map(|c| c.customer_name.clone().unwrap_or_else(|| c.peer.clone()));
            match name {
                Some(n) => format!("the conversation with {}", crate::tui::text::clean_line(&n)),
                None => format!("conversation {conversation}"),
            }
        };
        let text = describe(event, &what, &clock(self.now, event.at, &self.tz));
        self.flash(&text, false);
    }

    /// A status change was refused because someone changed the status first.
    pub fn status_conflict(
        &mut self,
        wanted: Status,
        current: Status,
        by: Option<&str>,
        at: Option<Timestamp>,
    ) {
        let verb = status_verb(current.name());
        let who = by.unwrap_or("comptoir");
        let when = at.map_or_else(String::new, |t| {
            format!(" at {}", clock(self.now, t, &self.tz))
        });
        self.flash(
            &format!(
                "{who} {verb} this{when} — your change ({}) was not applied; press again to apply it",
                wanted.name().as_str()
            ),
            true,
        );
    }

    /// The composer opened on `conversation`: remember the newest message seen, and say
    /// so if another agent is already writing there.
    pub(super) fn start_draft(&mut self, conversation: ConversationId) {
        self.teamwork.draft_seen = Some((conversation, self.newest_message(conversation)));
        let writers: Vec<String> = self
            .markers(conversation)
            .into_iter()
            .filter(|m| m.replying)
            .map(|m| m.name)
            .collect();
        if let Some(first) = writers.first() {
            self.flash(
                &format!(
                    "{} is already replying to this conversation",
                    crate::tui::text::clean_line(first)
                ),
                true,
            );
        }
    }

    /// Before a reply goes: if another agent replied since this one started writing,
    /// a warning to show instead of sending (the next send goes through).
    pub(super) fn reply_collision(&mut self, conversation: ConversationId) -> Option<String> {
        let seen = match self.teamwork.draft_seen {
            Some((c, id)) if c == conversation => id,
            _ => MessageId(i64::MAX),
        };
        let newest = self.newest_message(conversation);
        let theirs = self.thread.messages.iter().rfind(|m| {
            m.conversation_id == conversation
                && m.id > seen
                && m.kind == MessageKind::Outbound
                && m.agent_id != Some(self.me)
        })?;
        let text = format!(
            "{} replied at {} while you were writing (read it above) — send again to send yours anyway",
            crate::tui::text::clean_line(&theirs.author),
            clock(self.now, theirs.sent_at, &self.tz)
        );
        self.teamwork.draft_seen = Some((conversation, newest));
        Some(text)
    }

    fn newest_message(&self, conversation: ConversationId) -> MessageId {
        self.thread
            .messages
            .iter()
            .filter(|m| m.conversation_id == conversation)
            .map(|m| m.id)
            .max()
            .unwrap_or(MessageId(0))
    }

    /// The status of a conversation as this agent sees it.
    pub(super) fn seen_status(&self, conversation: ConversationId) -> Option<StatusName> {
        self.thread
            .conversation
            .iter()
            .chain(self.queue.items.iter())
            .find(|c| c.id == conversation)
            .map(|c| c.status.name())
    }

    /// `:assign NAME`: the agent whose name is NAME, or starts with it, ignoring case, if
    /// only one does; without a name, the command line asks for one.
    pub(super) fn assign_named(
        &mut self,
        target: Option<ConversationId>,
        name: Option<String>,
    ) -> Vec<Effect> {
        let Some(name) = name else {
            self.cmdline = Some(Editor::with_text("assign "));
            return Vec::new();
        };
        let Some(conversation) = target else {
            self.flash("No conversation selected", true);
            return Vec::new();
        };
        let wanted = name.trim().to_lowercase();
        let agents = &self.teamwork.agents;
        let exact: Vec<_> = agents
            .iter()
            .filter(|(_, n)| n.to_lowercase() == wanted)
            .collect();
        let prefix: Vec<_> = agents
            .iter()
            .filter(|(_, n)| n.to_lowercase().starts_with(&wanted))
            .collect();
        let found = if exact.len() == 1 { exact } else { prefix };
        let names = || {
            agents
                .iter()
                .map(|(_, n)| crate::tui::text::clean_line(n).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match found.as_slice() {
            [(id, n)] => {
                let (id, n) = (*id, n.clone());
                self.flash(
                    &format!("Assigned to {}", crate::tui::text::clean_line(&n)),
                    false,
                );
                vec![Effect::Write(Write::Assign {
                    conversation,
                    agent: Some(id),
                })]
            }
            [] => {
                let text = format!("No agent named {name:?}; agents: {}", names());
                self.flash(&text, true);
                Vec::new()
            }
            _ => {
                let text = format!(
                    "{name:?} could be {}; type more of the name",
                    found
                        .iter()
                        .map(|(_, n)| crate::tui::text::clean_line(n).to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                self.flash(&text, true);
                Vec::new()
            }
        }
    }

    /// `:label NAME` / `:unlabel NAME`; without a name, the command line asks.
    pub(super) fn label(
        &mut self,
        target: Option<ConversationId>,
        name: Option<String>,
        add: bool,
    ) -> Vec<Effect> {
        let command = if add { "label" } else { "unlabel" };
        let Some(name) = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) else {
            self.cmdline = Some(Editor::with_text(&format!("{command} ")));
            return Vec::new();
        };
        let Some(conversation) = target else {
            self.flash("No conversation selected", true);
            return Vec::new();
        };
        if name.contains('\u{1f}') || name.chars().any(char::is_control) {
            self.flash("A label is plain text", true);
            return Vec::new();
        }
        let shown = crate::tui::text::clean_line(&name).to_string();
        self.flash(
            &if add {
                format!("Label #{shown} added")
            } else {
                format!("Label #{shown} removed")
            },
            false,
        );
        vec![Effect::Write(Write::Label {
            conversation,
            label: name,
            add,
        })]
    }

    /// `:filter.label NAME` (`all` lifts it); without a name, the command line asks.
    pub(super) fn filter_label(&mut self, name: Option<String>) -> Vec<Effect> {
        let Some(name) = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) else {
            self.cmdline = Some(Editor::with_text("filter.label "));
            return Vec::new();
        };
        if name == "all" {
            self.queue.filter.label = None;
            return self.refilter("every label");
        }
        let what = format!("#{}", crate::tui::text::clean_line(&name));
        self.queue.filter.label = Some(name);
        self.refilter(&what)
    }

    /// `filter.overdue`: only conversations past their target, or lift that.
    pub(super) fn filter_overdue(&mut self) -> Vec<Effect> {
        let w = &self.teamwork.workflow;
        if w.first_response_target.is_none() && w.channel_targets.is_empty() {
            self.flash(
                "No first-response target: set [workflow] first_response_target = \"1h\" in the config",
                true,
            );
            return Vec::new();
        }
        self.teamwork.overdue_only = !self.teamwork.overdue_only;
        let text = if self.teamwork.overdue_only {
            "only overdue"
        } else {
            "overdue or not"
        };
        self.refilter(text)
    }
}

/// "resolved", "marked pending", …: what setting a status is called.
fn status_verb(status: StatusName) -> &'static str {
    match status {
        StatusName::Open => "reopened",
        StatusName::Pending => "marked pending",
        StatusName::Snoozed => "snoozed",
        StatusName::Resolved => "resolved",
    }
}

/// One change, told to an agent: "Karim resolved this conversation at 14:32".
fn describe(event: &ConversationEvent, what: &str, when: &str) -> String {
    let who = event
        .agent_name
        .as_deref()
        .map(|n| crate::tui::text::clean_line(n).to_string());
    let value = |v: &Option<String>| {
        v.as_deref()
            .map(|v| crate::tui::text::clean_line(v).to_string())
            .unwrap_or_default()
    };
    let status = event
        .new_value
        .as_deref()
        .and_then(|s| s.parse::<StatusName>().ok());
    match (event.kind, who) {
        (EventKind::Status, None) if event.old_value.as_deref() == Some("snoozed") => {
            format!("{what} woke from its snooze at {when}")
        }
        (EventKind::Status, None) => {
            format!("{what} was reopened by a new message at {when}")
        }
        (EventKind::Status, Some(who)) => format!(
            "{who} {} {what} at {when}",
            status.map_or("changed", status_verb)
        ),
        (EventKind::Assignee, who) => {
            let who = who.unwrap_or_else(|| "comptoir".to_owned());
            match &event.new_value {
                Some(_) => format!(
                    "{who} assigned {what} to {} at {when}",
                    value(&event.new_value)
                ),
                None => format!("{who} unassigned {what} at {when}"),
            }
        }
        (EventKind::Label, who) => {
            let who = who.unwrap_or_else(|| "comptoir".to_owned());
            match &event.new_value {
                Some(_) => format!(
                    "{who} labelled {what} #{} at {when}",
                    value(&event.new_value)
                ),
                None => format!(
                    "{who} removed #{} from {what} at {when}",
                    value(&event.old_value)
                ),
            }
        }
    }
}
