//! The panes' and overlays' own state, held by [`super::App`].

use crate::model::{Conversation, ConversationId, Message};
use crate::store::{CustomerHistory, QueueFilter};
use crate::tui::editor::Editor;

/// The queue pane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueState {
    /// The filter the page was loaded with.
    pub filter: QueueFilter,
    /// Only mine.
    pub mine: bool,
    /// The loaded rows.
    pub items: Vec<Conversation>,
    /// The selected row.
    pub selected: usize,
}

/// The thread pane.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadState {
    /// The conversation shown.
    pub conversation: Option<Conversation>,
    /// Its messages.
    pub messages: Vec<Message>,
    /// Lines scrolled from the bottom (0 = newest visible).
    pub scroll_from_bottom: usize,
    /// Quoted email text shown in full.
    pub show_quotes: bool,
}

/// The history pane.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryState {
    /// The customer's history.
    pub data: Option<CustomerHistory>,
    /// The selected conversation in it.
    pub selected: usize,
}

/// What the composer writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComposeKind {
    /// A reply to the customer.
    Reply,
    /// An internal note.
    Note,
}

/// The composer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compose {
    /// Reply or note.
    pub kind: ComposeKind,
    /// For which conversation.
    pub conversation: ConversationId,
    /// The text.
    pub editor: Editor,
}

/// A question that must be answered before something that can't be taken back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirm {
    /// Throw the draft away.
    DiscardDraft,
    /// Quit with a draft open.
    QuitWithDraft,
    /// Delete this dead letter.
    DeleteDeadLetter(i64),
}

impl Confirm {
    /// The question, as the command line shows it.
    #[must_use]
    pub fn question(self) -> &'static str {
        match self {
            Confirm::DiscardDraft => "Discard this draft? (y/n)",
            Confirm::QuitWithDraft => "Quit and lose the draft? (y/n)",
            Confirm::DeleteDeadLetter(_) => "Delete this dead letter for good? (y/n)",
        }
    }
}

/// The help overlay.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Help {
    /// The filter typed so far.
    pub query: Editor,
    /// First line shown.
    pub scroll: usize,
}

/// A one-line message on the command line row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    /// The text.
    pub text: String,
    /// Shown as an error.
    pub error: bool,
}
