//! The TUI's state and its one way to change: [`App::update`]. No I/O happens here:
//! what must touch the store or the terminal comes back as [`Effect`] values that the
//! runner carries out, feeding the results back with [`App::loaded`] and friends. That
//! keeps every behaviour testable with plain values and an injected clock.

use std::path::PathBuf;
use std::sync::Arc;

use jiff::{Timestamp, tz::TimeZone};

use crate::model::{
    AgentId, Availability, Channel, ChannelHealth, Conversation, ConversationId, Delivery, Message,
    Status, StatusName,
};
use crate::store::{CustomerHistory, QueueFilter, QueueStats};
use crate::tui::action::{self, Action, Pane};
use crate::tui::editor::Editor;
use crate::tui::key::Key;
use crate::tui::keymap::{Hint, Keymap, Lookup, Mode};

mod customer;
mod dead_letters;
mod input;
mod picker;
mod presence;
mod report;
mod search;
mod state;
mod teamwork;

pub use customer::{CardState, CardStep, CustomerState, parse_link};
pub use dead_letters::{DeadLetterState, MAX_HEADER_LINES, header_lines};
pub use picker::{CommandValues, PickerState, Preview, RepliesDesk};
pub use presence::PresenceView;
pub use report::{PERIODS as REPORT_PERIODS, ReportState};
pub use search::{DEBOUNCE, SEARCH_LIMIT, Search, SearchRequest, SearchRow, SearchState};
pub use teamwork::{Marker, TeamworkState};

pub use state::{
    Compose, ComposeKind, Confirm, Flash, Help, HistoryState, QueueState, ThreadState,
};

/// What the runner must do for the app. Data, not calls: `update` stays pure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Reload what the screen shows (queue page, counts, the open thread and history).
    Reload,
    /// Write to the store; reload afterwards.
    Write(Write),
    /// Load this shipped keymap (and the user's file over it), then hand it to
    /// [`App::set_keymap`].
    LoadKeymap(String),
    /// Suspend the TUI and edit this text in `$EDITOR`; the result comes back through
    /// [`App::editor_closed`].
    OpenEditor(String),
    /// Work on one dead letter; the result comes back as a notice.
    DeadLetter(DeadLetterOp),
    /// Run a search; the results go to [`App::loaded_search`].
    Search(SearchRequest),
    /// Compute the response report of the last this many days and hand it to
    /// [`App::loaded_report`].
    Report(u32),
    /// Run the shop's canned-reply variable commands in the background; the results come
    /// back through [`App::reply_variables_done`].
    ReplyVariables(crate::replies::Job),
    /// Copy an attachment from the store's files to the agent's disk.
    SaveAttachment {
        /// The file's hash in the blob store.
        sha256: String,
        /// The name the sender gave (untrusted).
        name: String,
        /// Its number in the thread, for the fallback file name.
        number: usize,
        /// Where: a directory or a file; `None` for [`App::save_dir`].
        path: Option<String>,
    },
}

/// What to do with one dead letter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeadLetterOp {
    /// Parse and store it again; it goes from the list once stored.
    Retry(i64),
    /// Write its raw bytes to a file (never over an existing one).
    Save {
        /// Which.
        id: i64,
        /// Where: a directory or a file; `None` for [`App::save_dir`].
        path: Option<String>,
    },
    /// Remove it for good.
    Delete(i64),
}

/// A change the agent made, for the runner to write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Write {
    /// Queue a reply in the outbox.
    Reply {
        /// To whom.
        conversation: ConversationId,
        /// What.
        text: String,
    },
    /// Add an internal note.
    Note {
        /// Where.
        conversation: ConversationId,
        /// What.
        text: String,
    },
    /// Change a status, unless someone changed it since the agent saw it.
    Status {
        /// Which conversation.
        conversation: ConversationId,
        /// The new status.
        status: Status,
        /// The status the agent saw.
        seen: StatusName,
    },
    /// Add or remove a label.
    Label {
        /// Which conversation.
        conversation: ConversationId,
        /// The label.
        label: String,
        /// Add it (else remove it).
        add: bool,
    },
    /// Queue this conversation's failed replies again.
    RetryFailed {
        /// Which conversation.
        conversation: ConversationId,
    },
    /// Assign or unassign.
    Assign {
        /// Which conversation.
        conversation: ConversationId,
        /// To whom; `None` for nobody.
        agent: Option<AgentId>,
    },
    /// Set my availability.
    Availability(Availability),
    /// Link, unlink, tag, note or rename a customer.
    Identity(crate::store::IdentityChange),
    /// Ask the email channel for this many more days of older mail in every folder.
    FetchOlder {
        /// How many days further back.
        days: u32,
    },
}

/// The whole TUI state.
#[derive(Clone, Debug)]
pub struct App {
    /// The injected clock, advanced by [`App::tick`].
    pub now: Timestamp,
    /// The agent's time zone for displayed times.
    pub tz: TimeZone,
    /// The agent at this terminal.
    pub me: AgentId,
    /// Their name.
    pub my_name: String,
    /// Their availability.
    pub availability: Availability,
    /// The chat's state and mine, as the status line shows them.
    pub presence: PresenceView,
    /// The chat widget's test page, when this process serves one (`comptoir demo`), for
    /// `:widget` to show again after other notices replaced it.
    pub widget_url: Option<String>,
    /// The focused pane.
    pub focus: Pane,
    /// The queue.
    pub queue: QueueState,
    /// The thread.
    pub thread: ThreadState,
    /// The history.
    pub history: HistoryState,
    /// Status line figures.
    pub stats: QueueStats,
    /// The composer, while writing.
    pub compose: Option<Compose>,
    /// The canned-reply picker, while open over the composer.
    pub picker: Option<PickerState>,
    /// The canned replies and their variables' values.
    pub replies: RepliesDesk,
    /// The `:` command line, while typing.
    pub cmdline: Option<Editor>,
    /// Commands typed before, oldest first.
    pub cmd_history: Vec<String>,
    /// The help overlay, while shown.
    pub help: Option<Help>,
    /// A pending confirmation.
    pub confirm: Option<Confirm>,
    /// The last message for the agent.
    pub flash: Option<Flash>,
    /// Keys of an unfinished sequence.
    pub pending: Vec<Key>,
    /// A count typed before a command (vim map).
    pub count: Option<u32>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Whether mouse events are handled.
    pub mouse: bool,
    /// Set when the app should end.
    pub quit: bool,
    /// Each channel account's health, for the status line.
    pub health: Vec<ChannelHealth>,
    /// How many dead letters the store holds.
    pub dead_letter_count: u64,
    /// The dead-letter view, while open.
    pub dead_letters: Option<DeadLetterState>,
    /// The search overlay, and a conversation opened from it.
    pub search: Search,
    /// The report overlay, while open.
    pub report: Option<ReportState>,
    /// Where saved files go when no path is given: the directory comptoir started in.
    pub save_dir: PathBuf,
    /// The customer card and the history pane's paging.
    pub customer: CustomerState,
    /// The other agents, the targets, and what keeps agents from overwriting each other.
    pub teamwork: TeamworkState,
    /// A conversation to select once the next queue page arrives.
    select_after_reload: Option<ConversationId>,
    keymap: Arc<Keymap>,
}

/// The queue loads at least this many rows, and more as the selection nears the end.
const QUEUE_WINDOW: u32 = 200;

impl App {
    /// A fresh app for `me`, with nothing loaded yet.
    #[must_use]
    pub fn new(
        me: AgentId,
        my_name: &str,
        keymap: Arc<Keymap>,
        tz: TimeZone,
        now: Timestamp,
    ) -> Self {
        App {
            now,
            tz,
            me,
            my_name: my_name.to_owned(),
            availability: Availability::Available,
            presence: PresenceView::default(),
            widget_url: None,
            focus: Pane::Queue,
            queue: QueueState {
                filter: QueueFilter {
                    limit: QUEUE_WINDOW,
                    ..QueueFilter::default()
                },
                mine: false,
                items: Vec::new(),
                selected: 0,
            },
            thread: ThreadState::default(),
            history: HistoryState::default(),
            stats: QueueStats::default(),
            compose: None,
            picker: None,
            replies: RepliesDesk::default(),
            cmdline: None,
            cmd_history: Vec::new(),
            help: None,
            confirm: None,
            flash: None,
            pending: Vec::new(),
            count: None,
            size: (80, 24),
            mouse: true,
            quit: false,
            health: Vec::new(),
            dead_letter_count: 0,
            dead_letters: None,
            search: Search::default(),
            report: None,
            save_dir: PathBuf::from("."),
            customer: CustomerState::default(),
            teamwork: TeamworkState::default(),
            select_after_reload: None,
            keymap,
        }
    }

    /// The merged keymap.
    #[must_use]
    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }

    /// Replaces the keymap (`:keymap vim`). A half-typed sequence is dropped: it belonged
    /// to the old map.
    pub fn set_keymap(&mut self, name: &str, keymap: Arc<Keymap>) {
        self.keymap = keymap;
        self.pending.clear();
        self.count = None;
        self.flash(&format!("keymap: {name}"), false);
    }

    /// The conversation the queue selection points at.
    #[must_use]
    pub fn selected(&self) -> Option<&Conversation> {
        self.queue.items.get(self.queue.selected)
    }

    /// The keymap mode keys are looked up in right now.
    #[must_use]
    pub fn mode(&self) -> Mode {
        if self.help.is_some()
            || self.picker.is_some()
            || self.report.is_some()
            || self.search.overlay.is_some()
        {
            Mode::Picker
        } else if self.cmdline.is_some() {
            Mode::Cmdline
        } else if self.customer.card.is_some() {
            Mode::Picker
        } else if self.compose.is_some() {
            Mode::Compose
        } else if self.dead_letters.is_some() {
            Mode::DeadLetters
        } else {
            match self.focus {
                Pane::Queue => Mode::Queue,
                Pane::Thread => Mode::Thread,
                Pane::History => Mode::History,
            }
        }
    }

    /// The which-key hints for the pending sequence, if one is pending.
    #[must_use]
    pub fn hints(&self) -> Option<Vec<Hint>> {
        if self.pending.is_empty() {
            return None;
        }
        match self.keymap.lookup(self.mode(), &self.pending) {
            Lookup::Pending(hints) => Some(hints),
            _ => None,
        }
    }

    /// What to load: the queue filter with the "mine" switch applied.
    #[must_use]
    pub fn queue_filter(&self) -> QueueFilter {
        let mut f = self.queue.filter.clone();
        f.assignee = self.queue.mine.then_some(self.me);
        self.with_overdue(f)
    }

    /// Applies a freshly loaded queue page. The selection stays on the same
    /// conversation when it is still listed, since replies and new messages reorder
    /// the queue under the agent's eyes.
    pub fn loaded_queue(
        &mut self,
        items: Vec<Conversation>,
        stats: QueueStats,
        availability: Option<Availability>,
    ) {
        let keep = self
            .select_after_reload
            .take()
            .or_else(|| self.selected().map(|c| c.id));
        self.queue.items = items;
        if let Some(id) = keep
            && let Some(i) = self.queue.items.iter().position(|c| c.id == id)
        {
            self.queue.selected = i;
        }
        self.queue.selected = self
            .queue
            .selected
            .min(self.queue.items.len().saturating_sub(1));
        self.stats = stats;
        if let Some(a) = availability {
            self.availability = a;
        }
    }

    /// Applies the selected conversation's messages and its customer's history.
    pub fn loaded_thread(
        &mut self,
        thread: Option<(Conversation, Vec<Message>)>,
        history: Option<CustomerHistory>,
    ) {
        let same = match (&self.thread.conversation, &thread) {
            (Some(a), Some((b, _))) => a.id == b.id,
            _ => false,
        };
        if !same {
            self.thread.scroll_from_bottom = 0;
            self.history.selected = 0;
        }
        match thread {
            Some((c, m)) => {
                self.thread.conversation = Some(c);
                self.thread.messages = m;
            }
            None => {
                self.thread.conversation = None;
                self.thread.messages.clear();
            }
        }
        self.history.data = history;
    }

    /// Applies the channels' health and the dead-letter count, for the status line.
    pub fn loaded_health(&mut self, health: Vec<ChannelHealth>, dead_letters: u64) {
        self.health = health;
        self.dead_letter_count = dead_letters;
    }

    /// The clock moved on.
    pub fn tick(&mut self, now: Timestamp) {
        self.now = now;
    }

    /// The terminal was resized.
    pub fn resize(&mut self, columns: u16, rows: u16) {
        self.size = (columns, rows);
    }

    /// `$EDITOR` closed: the composer gets its text (or stays as it was on failure).
    pub fn editor_closed(&mut self, result: Result<String, String>) {
        match (result, self.compose.as_mut()) {
            (Ok(text), Some(compose)) => {
                compose.editor = Editor::with_text(text.trim_end_matches('\n'));
                self.flash("Draft back from the editor: <C-s> sends", false);
            }
            (Err(e), _) => self.flash(&format!("editor: {e}"), true),
            (Ok(_), None) => {}
        }
    }

    /// Something the agent should know, shown on the command line row.
    pub fn notice(&mut self, text: &str) {
        self.flash(text, false);
    }

    /// A store write or load failed.
    pub fn failed(&mut self, error: &str) {
        self.flash(error, true);
    }

    fn flash(&mut self, text: &str, error: bool) {
        self.flash = Some(Flash {
            text: text.to_owned(),
            error,
        });
    }

    /// A key from the terminal: completes a sequence, extends it, counts, or types.
    pub fn key(&mut self, key: Key) -> Vec<Effect> {
        if let Some(confirm) = self.confirm {
            return self.answer(confirm, key);
        }
        let mode = self.mode();
        let navigation = matches!(mode, Mode::Queue | Mode::Thread | Mode::History);
        if navigation
            && self.pending.is_empty()
            && self.keymap.counts_enabled()
            && let Some(d) = key.digit()
            && (d > 0 || self.count.is_some())
        {
            self.count = Some(self.count.unwrap_or(0).saturating_mul(10).saturating_add(d));
            return Vec::new();
        }
        self.pending.push(key);
        match self.keymap.lookup(mode, &self.pending) {
            Lookup::Matched(action) => {
                self.pending.clear();
                let times = self.count.take().unwrap_or(1).clamp(1, 10_000);
                let mut effects = Vec::new();
                for _ in 0..times {
                    effects.extend(self.update(action.clone()));
                    if !action.repeats() {
                        break;
                    }
                }
                dedup_reloads(effects)
            }
            Lookup::Pending(_) => Vec::new(),
            Lookup::NotFound => {
                let was_sequence = self.pending.len() > 1;
                self.pending.clear();
                self.count = None;
                if was_sequence {
                    // Esc or a wrong key ends a sequence quietly; nothing is typed.
                    return Vec::new();
                }
                match key.printable() {
                    Some(ch) if !navigation => self.update(Action::Insert(ch)),
                    _ => Vec::new(),
                }
            }
        }
    }

    fn answer(&mut self, confirm: Confirm, key: Key) -> Vec<Effect> {
        let yes = matches!(key.printable(), Some('y' | 'Y'));
        if let (true, Confirm::DeleteDeadLetter(id)) = (yes, confirm) {
            self.confirm = None;
            self.flash = None;
            return vec![Effect::DeadLetter(DeadLetterOp::Delete(id))];
        }
        self.confirm = None;
        if yes {
            // The draft questions: discard, or quit and lose it.
            self.compose = None;
            if confirm == Confirm::QuitWithDraft {
                self.quit = true;
            }
            self.flash("Draft discarded", false);
        } else {
            self.flash = None;
        }
        Vec::new()
    }

    /// Text pasted into the terminal (bracketed paste).
    pub fn paste(&mut self, text: &str) -> Vec<Effect> {
        self.update(Action::Paste(text.to_owned()))
    }

    /// A mouse click at a cell: focuses the pane there and selects the row clicked.
    pub fn click(&mut self, column: u16, row: u16) -> Vec<Effect> {
        if !self.mouse
            || self.help.is_some()
            || self.confirm.is_some()
            || self.dead_letters.is_some()
            || self.report.is_some()
            || self.picker.is_some()
        {
            return Vec::new();
        }
        let layout =
            crate::tui::layout::Layout::compute(self.size, self.focus, self.compose.is_some());
        let Some(pane) = layout.pane_at(column, row) else {
            return Vec::new();
        };
        self.focus = pane;
        if pane == Pane::Queue
            && let Some(area) = layout.queue
        {
            // One row per conversation under a one-line border.
            let index = usize::from(row.saturating_sub(area.y + 1)) + self.queue_top(area.height);
            if index < self.queue.items.len() && index != self.queue.selected {
                self.queue.selected = index;
                return vec![Effect::Reload];
            }
        }
        Vec::new()
    }

    /// The mouse wheel over a pane scrolls it.
    pub fn scroll(&mut self, column: u16, row: u16, down: bool) -> Vec<Effect> {
        if !self.mouse || self.report.is_some() {
            return Vec::new();
        }
        if self.dead_letters.is_some() {
            return self.update(if down { Action::Down } else { Action::Up });
        }
        let layout =
            crate::tui::layout::Layout::compute(self.size, self.focus, self.compose.is_some());
        let Some(pane) = layout.pane_at(column, row) else {
            return Vec::new();
        };
        let previous = self.focus;
        self.focus = pane;
        let effects = self.update(if down { Action::Down } else { Action::Up });
        self.focus = previous;
        effects
    }

    /// The first queue row shown in a pane of `height` rows (borders included), so
    /// the selection stays visible.
    #[must_use]
    pub fn queue_top(&self, height: u16) -> usize {
        let visible = usize::from(height.saturating_sub(2)).max(1);
        self.queue.selected.saturating_sub(visible - 1)
    }

    /// Changes the state for one action. Pure: returns what the runner must do.
    #[allow(
        clippy::too_many_lines,
        reason = "one arm per action reads best as one match"
    )]
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        if !matches!(action, Action::Insert(_) | Action::Paste(_)) {
            self.flash = None;
        }
        if self.help.is_some() {
            return self.update_help(action);
        }
        if self.search.overlay.is_some() {
            return self.update_search(action);
        }
        if self.cmdline.is_some() {
            return self.update_cmdline(action);
        }
        if self.picker.is_some() {
            return self.update_picker(action);
        }
        if self.report.is_some()
            && let Some(effects) = self.update_report(&action)
        {
            return effects;
        }
        if self.compose.is_some()
            && let Some(effects) = self.update_compose(&action)
        {
            return effects;
        }
        if self.dead_letters.is_some()
            && let Some(effects) = self.update_dead_letters(&action)
        {
            return effects;
        }
        if self.customer.card.is_some()
            && let Some(effects) = self.update_card(&action)
        {
            return effects;
        }
        let selected = self.selected().map(|c| c.id);
        let thread_id = self.thread.conversation.as_ref().map(|c| c.id);
        // Actions on "the conversation" mean the open thread when it has focus.
        let target = if self.focus == Pane::Queue {
            selected
        } else {
            thread_id.or(selected)
        };
        match action {
            Action::Noop | Action::Confirm | Action::Insert(_) | Action::Paste(_) => Vec::new(),
            Action::SetKeymap(name) => vec![Effect::LoadKeymap(name)],
            Action::Search(query) => self.open_search(query),
            Action::DeadLetters => {
                self.dead_letters = Some(DeadLetterState::default());
                vec![Effect::Reload]
            }
            Action::DeadLetterRetry | Action::DeadLetterDelete | Action::SaveRaw(_) => {
                self.flash("Open the dead letters first (:deadletters)", true);
                Vec::new()
            }
            Action::SaveAttachment { number, path } => self.save_attachment(number, path),
            Action::CustomerCard
            | Action::Link(_)
            | Action::Unlink(_)
            | Action::Tag(_)
            | Action::Untag(_)
            | Action::CustomerNote(_)
            | Action::Rename(_) => self.update_identity(action),
            Action::Report(days) => self.open_report(days),
            Action::ChatPage => {
                match self.widget_url.clone() {
                    Some(url) => self.flash(&format!("Chat with yourself: {url}"), false),
                    None => self.flash("No chat test page here (`comptoir demo` has one)", true),
                }
                Vec::new()
            }
            Action::FetchOlder(days) => {
                self.flash(&format!("Asking for {days} more days of email…"), false);
                vec![Effect::Write(Write::FetchOlder { days })]
            }
            Action::Quit => {
                self.quit = true;
                Vec::new()
            }
            Action::Help => {
                self.help = Some(Help::default());
                Vec::new()
            }
            Action::CommandLine => {
                self.cmdline = Some(Editor::new());
                Vec::new()
            }
            Action::Cancel => {
                if self.focus != Pane::Queue {
                    self.focus = Pane::Queue;
                }
                Vec::new()
            }
            Action::FocusNext => {
                self.focus = match self.focus {
                    Pane::Queue => Pane::Thread,
                    Pane::Thread => Pane::History,
                    Pane::History => Pane::Queue,
                };
                Vec::new()
            }
            Action::FocusPrev => {
                self.focus = match self.focus {
                    Pane::Queue => Pane::History,
                    Pane::Thread => Pane::Queue,
                    Pane::History => Pane::Thread,
                };
                Vec::new()
            }
            Action::Focus(p) => {
                self.focus = p;
                Vec::new()
            }
            Action::Down => self.move_by(1),
            Action::Up => self.move_by(-1),
            Action::PageDown => self.move_by(self.page()),
            Action::PageUp => self.move_by(-self.page()),
            Action::First => self.move_by(isize::MIN / 2),
            Action::Last => self.move_by(isize::MAX / 2),
            Action::Open => match self.focus {
                Pane::History => self.open_from_history(),
                _ => {
                    if selected.is_some() {
                        self.focus = Pane::Thread;
                    }
                    Vec::new()
                }
            },
            Action::FilterStatus(status) => {
                self.queue.filter.statuses = status.into_iter().collect();
                self.refilter(&format!(
                    "status: {}",
                    status.map_or("all", StatusName::as_str)
                ))
            }
            Action::FilterChannel(channel) => {
                self.queue.filter.channel = channel;
                self.refilter(&format!(
                    "channel: {}",
                    channel.map_or("all", Channel::as_str)
                ))
            }
            Action::FilterMine => {
                self.queue.mine = !self.queue.mine;
                let text = if self.queue.mine {
                    "only mine"
                } else {
                    "everyone's"
                };
                self.refilter(text)
            }
            Action::FilterUnanswered => {
                self.queue.filter.unanswered = !self.queue.filter.unanswered;
                let text = if self.queue.filter.unanswered {
                    "only unanswered"
                } else {
                    "answered too"
                };
                self.refilter(text)
            }
            Action::FilterClear => {
                self.queue.filter = QueueFilter {
                    limit: QUEUE_WINDOW,
                    ..QueueFilter::default()
                };
                self.queue.mine = false;
                self.teamwork.overdue_only = false;
                self.refilter("filters cleared")
            }
            Action::ToggleQuotes => {
                self.thread.show_quotes = !self.thread.show_quotes;
                Vec::new()
            }
            Action::Reply | Action::Note | Action::ReplyInEditor => {
                let Some(conversation) = target else {
                    self.flash("No conversation selected", true);
                    return Vec::new();
                };
                let kind = if action == Action::Note {
                    ComposeKind::Note
                } else {
                    ComposeKind::Reply
                };
                self.compose = Some(Compose {
                    kind,
                    conversation,
                    editor: Editor::new(),
                });
                self.start_draft(conversation);
                if self.focus == Pane::Queue {
                    self.focus = Pane::Thread;
                }
                if action == Action::ReplyInEditor {
                    return vec![Effect::OpenEditor(String::new())];
                }
                Vec::new()
            }
            Action::CannedReply(name) => self.canned_reply(name),
            Action::Resolve => self.set_status(target, Status::Resolved, "resolved"),
            Action::Pending => self.set_status(target, Status::Pending, "pending"),
            Action::Reopen => self.set_status(target, Status::Open, "reopened"),
            Action::Snooze(span) => match action::parse_duration(&span) {
                Ok(d) => match self.now.checked_add(d) {
                    Ok(until) => self.set_status(
                        target,
                        Status::Snoozed { until },
                        &format!("snoozed for {span}"),
                    ),
                    Err(_) => {
                        self.flash("snooze too long", true);
                        Vec::new()
                    }
                },
                Err(e) => {
                    self.flash(&e, true);
                    Vec::new()
                }
            },
            Action::RetryFailed => {
                let Some(conversation) = target else {
                    return Vec::new();
                };
                let failed = self
                    .thread
                    .conversation
                    .as_ref()
                    .is_some_and(|c| c.id == conversation)
                    && self
                        .thread
                        .messages
                        .iter()
                        .any(|m| matches!(m.delivery, Some(Delivery::Failed { .. })));
                if !failed {
                    self.flash("No failed reply here", true);
                    return Vec::new();
                }
                self.flash("Retrying failed replies", false);
                vec![Effect::Write(Write::RetryFailed { conversation })]
            }
            Action::AssignMe => self.assign(target, Some(self.me)),
            Action::Unassign => self.assign(target, None),
            Action::AssignTo(name) => self.assign_named(target, name),
            Action::Label(name) => self.label(target, name, true),
            Action::Unlabel(name) => self.label(target, name, false),
            Action::FilterLabel(name) => self.filter_label(name),
            Action::FilterOverdue => self.filter_overdue(),
            Action::Available => self.set_availability(Availability::Available),
            Action::Away => self.set_availability(Availability::Away),
            Action::ToggleAvailability => {
                let next = if self.availability == Availability::Available {
                    Availability::Away
                } else {
                    Availability::Available
                };
                self.set_availability(next)
            }
            // Editing and sending only mean something in the composer or a prompt.
            Action::Send
            | Action::Newline
            | Action::CursorLeft
            | Action::CursorRight
            | Action::WordLeft
            | Action::WordRight
            | Action::LineStart
            | Action::LineEnd
            | Action::DeleteBack
            | Action::DeleteForward
            | Action::DeleteWordBack
            | Action::DeleteToLineEnd => Vec::new(),
        }
    }
    /// `:save [N] [PATH]`: attachments are numbered through the whole thread, oldest
    /// first, as the thread view shows them (📎 N), so every one can be reached.
    fn save_attachment(&mut self, number: Option<usize>, path: Option<String>) -> Vec<Effect> {
        let all: Vec<_> = self
            .thread
            .messages
            .iter()
            .flat_map(|m| &m.attachments)
            .collect();
        let index = match (number, all.len()) {
            (_, 0) => {
                self.flash("No attachment in this thread", true);
                return Vec::new();
            }
            (None, 1) => 1,
            (None, n) => {
                self.flash(
                    &format!(
                        "{n} attachments here: :save N [PATH], N as numbered 📎 in the thread"
                    ),
                    true,
                );
                return Vec::new();
            }
            (Some(k), n) if k > n => {
                self.flash(&format!("No attachment {k}: the thread has {n}"), true);
                return Vec::new();
            }
            (Some(k), _) => k,
        };
        let Some(a) = all.get(index - 1) else {
            return Vec::new();
        };
        vec![Effect::SaveAttachment {
            sha256: a.sha256.clone(),
            name: a.name.clone(),
            number: index,
            path,
        }]
    }

    fn page(&self) -> isize {
        isize::try_from(self.size.1.saturating_sub(6).max(1)).unwrap_or(10)
    }

    fn move_by(&mut self, delta: isize) -> Vec<Effect> {
        match self.focus {
            Pane::Queue => {
                let len = self.queue.items.len();
                if len == 0 {
                    return Vec::new();
                }
                let next = self
                    .queue
                    .selected
                    .saturating_add_signed(delta)
                    .min(len - 1);
                if next == self.queue.selected {
                    return Vec::new();
                }
                self.queue.selected = next;
                // Near the end of what is loaded: load more.
                if next + 20 >= len
                    && u32::try_from(len).unwrap_or(u32::MAX) >= self.queue.filter.limit
                {
                    self.queue.filter.limit = self.queue.filter.limit.saturating_add(QUEUE_WINDOW);
                }
                vec![Effect::Reload]
            }
            Pane::Thread => {
                // Scrolling is counted from the bottom, where the newest message is; the
                // view clamps it to what the thread holds.
                self.thread.scroll_from_bottom =
                    self.thread.scroll_from_bottom.saturating_add_signed(-delta);
                Vec::new()
            }
            Pane::History => self.move_history(delta),
        }
    }

    fn open_from_history(&mut self) -> Vec<Effect> {
        let Some(id) = self.history_conversation() else {
            return Vec::new();
        };
        match self.queue.items.iter().position(|c| c.id == id) {
            Some(i) => {
                self.queue.selected = i;
                self.focus = Pane::Thread;
                vec![Effect::Reload]
            }
            None => {
                // It is filtered out of the queue: show every status and channel.
                self.queue.filter.statuses.clear();
                self.queue.filter.channel = None;
                self.queue.filter.unanswered = false;
                self.queue.mine = false;
                self.flash("Filters widened to show that conversation", false);
                self.select_after_reload = Some(id);
                self.focus = Pane::Thread;
                vec![Effect::Reload]
            }
        }
    }

    fn refilter(&mut self, what: &str) -> Vec<Effect> {
        self.queue.selected = 0;
        self.queue.filter.offset = 0;
        self.queue.filter.limit = QUEUE_WINDOW;
        self.flash(&format!("Queue: {what}"), false);
        vec![Effect::Reload]
    }

    fn set_status(
        &mut self,
        target: Option<ConversationId>,
        status: Status,
        what: &str,
    ) -> Vec<Effect> {
        let Some(conversation) = target else {
            self.flash("No conversation selected", true);
            return Vec::new();
        };
        let Some(seen) = self.seen_status(conversation) else {
            self.flash("No conversation selected", true);
            return Vec::new();
        };
        self.flash(&format!("Conversation {what}"), false);
        vec![Effect::Write(Write::Status {
            conversation,
            status,
            seen,
        })]
    }

    fn assign(&mut self, target: Option<ConversationId>, agent: Option<AgentId>) -> Vec<Effect> {
        let Some(conversation) = target else {
            self.flash("No conversation selected", true);
            return Vec::new();
        };
        self.flash(
            if agent.is_some() {
                "Assigned to you"
            } else {
                "Unassigned"
            },
            false,
        );
        vec![Effect::Write(Write::Assign {
            conversation,
            agent,
        })]
    }

    fn set_availability(&mut self, a: Availability) -> Vec<Effect> {
        self.availability = a;
        self.flash(&format!("You are {}", a.as_str()), false);
        vec![Effect::Write(Write::Availability(a))]
    }
}

impl Action {
    /// Movement repeats with a count (`5j`); other commands run once.
    fn repeats(&self) -> bool {
        matches!(
            self,
            Action::Down | Action::Up | Action::PageDown | Action::PageUp
        )
    }
}

fn dedup_reloads(mut effects: Vec<Effect>) -> Vec<Effect> {
    let mut seen = false;
    effects.retain(|e| {
        if *e == Effect::Reload {
            let keep = !seen;
            seen = true;
            keep
        } else {
            true
        }
    });
    effects
}
