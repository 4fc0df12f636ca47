//! The search overlay's state: what the agent typed, when it is due to run (typing is
//! debounced so a fast typist starts one search, not one per key), the results, and
//! which one is selected. The runner runs the search ([`Effect::Search`]) and hands the
//! results back through [`App::loaded_search`], dropping them if the agent typed on.

use jiff::{SignedDuration, Timestamp};

use super::{App, Effect};
use crate::model::{Conversation, ConversationId};
use crate::store::{SearchQuery, SearchResults};
use crate::tui::action::{Action, Pane};
use crate::tui::editor::Editor;

/// How long typing must pause before the search runs: under the gap between a typist's
/// keys, so one word is one search, and short enough to feel immediate.
pub const DEBOUNCE: SignedDuration = SignedDuration::from_millis(150);

/// How many messages a search lists.
pub const SEARCH_LIMIT: u32 = 50;

/// A search for the runner to carry out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchRequest {
    /// What the agent typed, to match the results to the input when they come back.
    pub input: String,
    /// The parsed query.
    pub query: SearchQuery,
}

/// Search, as the app holds it.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// The overlay, while open.
    pub overlay: Option<SearchState>,
    /// A conversation opened from the results, kept at the top of the queue while it
    /// is selected even when the queue's filters or its window leave it out: the thread
    /// shows the queue's selection, and an old resolved conversation is what search is
    /// for.
    pub pinned: Option<ConversationId>,
}

/// The search overlay, while open.
#[derive(Clone, Debug, Default)]
pub struct SearchState {
    /// The query as typed.
    pub input: Editor,
    /// What the last search found.
    pub results: SearchResults,
    /// The input those results are for (`None`: nothing searched yet).
    pub searched: Option<String>,
    /// A bad filter, shown instead of searching.
    pub error: Option<String>,
    /// The selected row: customers first, then messages.
    pub selected: usize,
    /// When the search runs if the agent does not type on.
    pub due: Option<Timestamp>,
}

/// What a row of the results is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchRow {
    /// The customer at this index of [`SearchResults::customers`].
    Customer(usize),
    /// The message at this index of [`SearchResults::messages`].
    Message(usize),
}

impl SearchState {
    /// How many rows the results have.
    #[must_use]
    pub fn len(&self) -> usize {
        self.results.customers.len() + self.results.messages.len()
    }

    /// True when nothing was found (or nothing searched yet).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What row `index` shows.
    #[must_use]
    pub fn row(&self, index: usize) -> Option<SearchRow> {
        let customers = self.results.customers.len();
        if index < customers {
            Some(SearchRow::Customer(index))
        } else if index < self.len() {
            Some(SearchRow::Message(index - customers))
        } else {
            None
        }
    }

    /// True while the results are for another input than the one shown.
    #[must_use]
    pub fn is_stale(&self) -> bool {
        self.searched.as_deref() != Some(self.input.text().as_str())
    }
}

impl App {
    /// `/` or `:search [QUERY]`: opens the search, running `QUERY` at once when given.
    pub(super) fn open_search(&mut self, query: Option<String>) -> Vec<Effect> {
        let mut state = SearchState::default();
        if let Some(q) = query {
            state.input = Editor::with_text(&q);
            // A command is finished typing: every word is whole.
            state.input.insert(' ');
            state.due = Some(self.now);
        }
        self.search.overlay = Some(state);
        self.search_due()
    }

    /// Keys while the search is open: typing edits the query, moves select, Enter opens.
    pub(super) fn update_search(&mut self, action: Action) -> Vec<Effect> {
        let now = self.now;
        let Some(s) = self.search.overlay.as_mut() else {
            return Vec::new();
        };
        let before = s.input.text();
        match action {
            Action::Cancel | Action::Quit => {
                self.search.overlay = None;
                return Vec::new();
            }
            Action::Confirm | Action::Open | Action::Newline => return self.open_hit(),
            Action::Insert(ch) => s.input.insert(ch),
            Action::Paste(text) => s.input.insert_str(&text.replace(['\n', '\r'], " ")),
            Action::CursorLeft => s.input.left(),
            Action::CursorRight => s.input.right(),
            Action::WordLeft => s.input.word_left(),
            Action::WordRight => s.input.word_right(),
            Action::LineStart => s.input.home(),
            Action::LineEnd => s.input.end(),
            Action::DeleteBack => s.input.delete_back(),
            Action::DeleteForward => s.input.delete_forward(),
            Action::DeleteWordBack => s.input.delete_word_back(),
            Action::DeleteToLineEnd => s.input.delete_to_end(),
            Action::Down => s.selected = (s.selected + 1).min(s.len().saturating_sub(1)),
            Action::Up => s.selected = s.selected.saturating_sub(1),
            Action::PageDown => s.selected = (s.selected + 10).min(s.len().saturating_sub(1)),
            Action::PageUp => s.selected = s.selected.saturating_sub(10),
            Action::First => s.selected = 0,
            Action::Last => s.selected = s.len().saturating_sub(1),
            _ => {}
        }
        if s.input.text() != before {
            s.due = Some(now + DEBOUNCE);
        }
        Vec::new()
    }

    /// The search to run now that typing paused, if one is due: the runner calls this
    /// on every tick. A bad filter is shown at once and searches nothing.
    pub fn search_due(&mut self) -> Vec<Effect> {
        let (now, tz) = (self.now, self.tz.clone());
        let Some(s) = self.search.overlay.as_mut() else {
            return Vec::new();
        };
        if s.due.is_none_or(|due| due > now) {
            return Vec::new();
        }
        s.due = None;
        let input = s.input.text();
        if input.trim().is_empty() {
            s.results = SearchResults::default();
            s.searched = Some(input);
            s.error = None;
            s.selected = 0;
            return Vec::new();
        }
        match SearchQuery::parse(&input, now, &tz) {
            Ok(query) => {
                s.error = None;
                vec![Effect::Search(SearchRequest { input, query })]
            }
            Err(e) => {
                s.error = Some(e.to_string());
                Vec::new()
            }
        }
    }

    /// The runner's answer to [`Effect::Search`]. Results for an input the agent has
    /// since changed are dropped: the newer search is on its way.
    pub fn loaded_search(&mut self, input: &str, results: Result<SearchResults, String>) {
        let Some(s) = self.search.overlay.as_mut() else {
            return;
        };
        if s.input.text() != input {
            return;
        }
        match results {
            Ok(r) => {
                s.results = r;
                s.error = None;
            }
            Err(e) => s.error = Some(e),
        }
        s.searched = Some(input.to_owned());
        s.selected = 0;
    }

    /// Enter on a row: a message opens its conversation in the thread; a customer opens
    /// their most recent conversation with the history pane in front.
    fn open_hit(&mut self) -> Vec<Effect> {
        let Some(s) = &self.search.overlay else {
            return Vec::new();
        };
        let (conversation, pane) = match s.row(s.selected) {
            Some(SearchRow::Message(i)) => (
                s.results.messages.get(i).map(|h| h.conversation_id),
                Pane::Thread,
            ),
            Some(SearchRow::Customer(i)) => (
                s.results.customers.get(i).and_then(|c| c.conversation),
                Pane::History,
            ),
            None => (None, Pane::Thread),
        };
        let Some(id) = conversation else {
            self.flash("Nothing to open", true);
            return Vec::new();
        };
        self.search.overlay = None;
        self.open_conversation(id, pane)
    }

    /// Selects a conversation in the queue and focuses `pane`. One the queue does not
    /// list is pinned to its top (see [`Search::pinned`]) by the next reload.
    fn open_conversation(&mut self, id: ConversationId, pane: Pane) -> Vec<Effect> {
        self.focus = pane;
        match self.queue.items.iter().position(|c| c.id == id) {
            Some(i) => self.queue.selected = i,
            None => {
                self.search.pinned = Some(id);
                self.select_after_reload = Some(id);
            }
        }
        vec![Effect::Reload]
    }

    /// Adds the pinned conversation to a freshly loaded queue page that lacks it,
    /// `load`ing it from the store; drops the pin once the agent selected another row.
    ///
    /// # Errors
    /// Whatever `load` returns.
    pub fn pin_searched<E>(
        &mut self,
        mut items: Vec<Conversation>,
        load: impl FnOnce(ConversationId) -> Result<Option<Conversation>, E>,
    ) -> Result<Vec<Conversation>, E> {
        let Some(id) = self.search.pinned else {
            return Ok(items);
        };
        if self.select_after_reload != Some(id) && self.selected().is_none_or(|c| c.id != id) {
            self.search.pinned = None;
            return Ok(items);
        }
        if !items.iter().any(|c| c.id == id)
            && let Some(c) = load(id)?
        {
            items.insert(0, c);
        }
        Ok(items)
    }
}
