//! Everything the agent can ask for, as values. Key bindings (`run = "queue.next"`) and
//! the `:` command line parse the same names through one registry, so every binding is
//! also a command and an unknown name is an error wherever it is written.

use std::fmt;
use std::str::FromStr;

use crate::model::{Channel, StatusName};

/// A pane of the main screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pane {
    /// The conversation list.
    Queue,
    /// The selected conversation's messages.
    Thread,
    /// The customer's history across channels.
    History,
}

/// One thing the agent asks for. Bindable ones have a name in [`COMMANDS`]; the rest
/// (typing a character, a pasted text) come straight from the terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Does nothing; `run = "noop"` unbinds a default.
    Noop,
    /// Leaves comptoir.
    Quit,
    /// Shows the help overlay.
    Help,
    /// Opens the `:` command line.
    CommandLine,
    /// Focuses the next pane.
    FocusNext,
    /// Focuses the previous pane.
    FocusPrev,
    /// Focuses one pane.
    Focus(Pane),
    /// Moves down (next conversation, next line, next item: whatever the focus holds).
    Down,
    /// Moves up.
    Up,
    /// Moves to the first item.
    First,
    /// Moves to the last item.
    Last,
    /// Moves a page down.
    PageDown,
    /// Moves a page up.
    PageUp,
    /// Opens the selected conversation (focuses its thread).
    Open,
    /// Shows only conversations in one status, or every status.
    FilterStatus(Option<StatusName>),
    /// Shows only one channel, or every channel.
    FilterChannel(Option<Channel>),
    /// Shows only conversations assigned to me, or lifts that filter.
    FilterMine,
    /// Shows only conversations whose customer waits, or lifts that filter.
    FilterUnanswered,
    /// Lifts every filter but the default status.
    FilterClear,
    /// Folds or unfolds quoted email text in the thread.
    ToggleQuotes,
    /// Starts a reply to the selected conversation.
    Reply,
    /// Starts an internal note on the selected conversation.
    Note,
    /// Writes the reply in `$EDITOR`.
    ReplyInEditor,
    /// Inserts a canned reply at the composer's cursor (starting a reply if none is
    /// open): the one with this name or shortcut at once, else the picker, filtered by it.
    CannedReply(Option<String>),
    /// Marks the selected conversation resolved.
    Resolve,
    /// Marks the selected conversation pending (waiting for the customer).
    Pending,
    /// Reopens the selected conversation.
    Reopen,
    /// Snoozes the selected conversation for a while (`2h`, `3d`, `1w`).
    Snooze(String),
    /// Retries the selected conversation's failed replies.
    RetryFailed,
    /// Assigns the selected conversation to me.
    AssignMe,
    /// Unassigns the selected conversation.
    Unassign,
    /// Assigns the selected conversation to the agent with this name (a unique
    /// case-insensitive prefix will do); without one, asks for it on the command line.
    AssignTo(Option<String>),
    /// Adds a label to the selected conversation; without one, asks for it.
    Label(Option<String>),
    /// Removes a label from the selected conversation; without one, asks for it.
    Unlabel(Option<String>),
    /// Shows only conversations with this label (`all` lifts it); without one, asks.
    FilterLabel(Option<String>),
    /// Shows only conversations waiting past their first-response target, or lifts that
    /// filter.
    FilterOverdue,
    /// Marks me available for live chat.
    Available,
    /// Marks me away.
    Away,
    /// Switches between available and away.
    ToggleAvailability,
    /// Sends what the composer holds.
    Send,
    /// Closes the composer, the command line, a picker or an overlay.
    Cancel,
    /// Confirms (a prompt, a picker choice, the command line).
    Confirm,
    /// Inserts a line break in the composer.
    Newline,
    /// Moves the cursor left.
    CursorLeft,
    /// Moves the cursor right.
    CursorRight,
    /// Moves the cursor a word left.
    WordLeft,
    /// Moves the cursor a word right.
    WordRight,
    /// Moves the cursor to the start of the line.
    LineStart,
    /// Moves the cursor to the end of the line.
    LineEnd,
    /// Deletes the character before the cursor.
    DeleteBack,
    /// Deletes the character under the cursor.
    DeleteForward,
    /// Deletes the word before the cursor.
    DeleteWordBack,
    /// Deletes from the cursor to the end of the line.
    DeleteToLineEnd,
    /// Switches to one of the shipped keymaps (with the user's file merged over it).
    SetKeymap(String),
    /// Opens the search over messages, notes, customers and handles, running the query
    /// at once when one is given.
    Search(Option<String>),
    /// Opens the dead-letter view: inbound messages that could not be stored.
    DeadLetters,
    /// Retries the selected dead letter (parses and stores it again).
    DeadLetterRetry,
    /// Deletes the selected dead letter, after asking.
    DeadLetterDelete,
    /// Saves the selected dead letter's raw bytes to a file (a path, else a name of its
    /// own in the current directory).
    SaveRaw(Option<String>),
    /// Saves an attachment of the open thread to disk.
    SaveAttachment {
        /// Which one, as the thread numbers them from 1; `None` for the only one.
        number: Option<usize>,
        /// Where: a directory or a file; `None` for the current directory.
        path: Option<String>,
    },
    /// Asks the email channel to fetch this many more days of older mail.
    FetchOlder(u32),
    /// Shows the chat widget's test page address again (the demo has one).
    ChatPage,
    /// Shows the response report of the last N days (7 without a number; again: the next
    /// period).
    Report(Option<u32>),
    /// Shows the customer card: handles, tags, notes, counts, link suggestions.
    CustomerCard,
    /// Links the customer with another one: `None` picks among the card's
    /// suggestions; else that customer, and which record survives if `keep` says.
    Link(Option<LinkArgs>),
    /// Undoes a link from the kept log: this one, else the customer's newest.
    Unlink(Option<i64>),
    /// Tags the customer.
    Tag(String),
    /// Removes a tag from the customer.
    Untag(String),
    /// Adds a note on the customer (not on one conversation).
    CustomerNote(String),
    /// Sets the customer's display name.
    Rename(String),
    /// Types a character (not bindable: it is what unbound printable keys do).
    Insert(char),
    /// Pastes text (not bindable: it comes from the terminal's bracketed paste).
    Paste(String),
}

/// `:link ID [keep=ID]`: the other customer, and the record to keep if chosen already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkArgs {
    /// The customer to link with.
    pub other: crate::model::CustomerId,
    /// The one that survives: `other` or the shown customer; `None` asks.
    pub keep: Option<crate::model::CustomerId>,
}

/// The argument a command takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// None.
    None,
    /// Required; the text says what.
    Required(&'static str),
    /// Optional; the text says what.
    Optional(&'static str),
}

/// One entry of the command registry.
#[derive(Clone, Copy)]
pub struct Command {
    /// The name keymaps and the command line use.
    pub name: &'static str,
    /// What it does, as help shows it.
    pub doc: &'static str,
    /// What follows the name.
    pub arg: Arg,
    build: fn(Option<&str>) -> Result<Action, String>,
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

macro_rules! commands {
    ($( $name:literal, $arg:expr, $doc:literal => $build:expr; )*) => {
        /// Every named command, in the order help lists them.
        pub static COMMANDS: &[Command] = &[
            $( Command { name: $name, doc: $doc, arg: $arg, build: $build }, )*
        ];
    };
}

commands! {
    "noop", Arg::None, "Do nothing (unbinds a key)" => |_| Ok(Action::Noop);
    "quit", Arg::None, "Quit comptoir" => |_| Ok(Action::Quit);
    "help", Arg::None, "Show the key bindings" => |_| Ok(Action::Help);
    "cmdline", Arg::None, "Open the command line" => |_| Ok(Action::CommandLine);
    "focus.next", Arg::None, "Focus the next pane" => |_| Ok(Action::FocusNext);
    "focus.prev", Arg::None, "Focus the previous pane" => |_| Ok(Action::FocusPrev);
    "focus.queue", Arg::None, "Focus the queue" => |_| Ok(Action::Focus(Pane::Queue));
    "focus.thread", Arg::None, "Focus the thread" => |_| Ok(Action::Focus(Pane::Thread));
    "focus.history", Arg::None, "Focus the customer history" => |_| Ok(Action::Focus(Pane::History));
    "move.down", Arg::None, "Next item / scroll down" => |_| Ok(Action::Down);
    "move.up", Arg::None, "Previous item / scroll up" => |_| Ok(Action::Up);
    "move.first", Arg::None, "First item / top" => |_| Ok(Action::First);
    "move.last", Arg::None, "Last item / bottom" => |_| Ok(Action::Last);
    "move.page_down", Arg::None, "One page down" => |_| Ok(Action::PageDown);
    "move.page_up", Arg::None, "One page up" => |_| Ok(Action::PageUp);
    "open", Arg::None, "Open the selected conversation" => |_| Ok(Action::Open);
    "filter.status", Arg::Optional("open|pending|snoozed|resolved|all"), "Show one status" => |a| {
        match a {
            None | Some("all") => Ok(Action::FilterStatus(None)),
            Some(s) => s.parse().map(|s| Action::FilterStatus(Some(s))),
        }
    };
    "filter.channel", Arg::Optional("email|chat|messenger|…|all"), "Show one channel" => |a| {
        match a {
            None | Some("all") => Ok(Action::FilterChannel(None)),
            Some(c) => c.parse().map(|c| Action::FilterChannel(Some(c))).map_err(|e: crate::model::UnknownChannel| e.to_string()),
        }
    };
    "filter.mine", Arg::None, "Only mine (toggle)" => |_| Ok(Action::FilterMine);
    "filter.unanswered", Arg::None, "Only unanswered (toggle)" => |_| Ok(Action::FilterUnanswered);
    "filter.clear", Arg::None, "Clear the filters" => |_| Ok(Action::FilterClear);
    "thread.quotes", Arg::None, "Fold or unfold quoted text" => |_| Ok(Action::ToggleQuotes);
    "reply", Arg::Optional("NAME of a canned reply"), "Reply to the customer (with a canned reply: :reply NAME)" => |a| Ok(a.map_or(Action::Reply, |n| Action::CannedReply(Some(n.to_owned()))));
    "reply.canned", Arg::Optional("NAME or shortcut"), "Insert a canned reply (the picker, or NAME at once)" => |a| Ok(Action::CannedReply(a.map(str::to_owned)));
    "note", Arg::None, "Write an internal note" => |_| Ok(Action::Note);
    "reply.editor", Arg::None, "Reply in $EDITOR" => |_| Ok(Action::ReplyInEditor);
    "status.resolve", Arg::None, "Resolve the conversation" => |_| Ok(Action::Resolve);
    "status.pending", Arg::None, "Mark it pending (waiting for the customer)" => |_| Ok(Action::Pending);
    "status.open", Arg::None, "Reopen the conversation" => |_| Ok(Action::Reopen);
    "status.snooze", Arg::Required("a duration: 30m, 2h, 3d, 1w"), "Snooze it for a while" => |a| {
        let a = a.ok_or("status.snooze needs a duration, e.g. 2h")?;
        crate::tui::action::parse_duration(a).map(|_| Action::Snooze(a.to_owned()))
    };
    "reply.retry", Arg::None, "Retry failed replies" => |_| Ok(Action::RetryFailed);
    "assign.me", Arg::None, "Assign it to me" => |_| Ok(Action::AssignMe);
    "assign.none", Arg::None, "Unassign it" => |_| Ok(Action::Unassign);
    "assign", Arg::Optional("NAME (an agent; a unique prefix will do)"), "Assign it to an agent" => |a| Ok(Action::AssignTo(a.map(str::to_owned)));
    "unassign", Arg::None, "Unassign it (as assign.none)" => |_| Ok(Action::Unassign);
    "label", Arg::Optional("NAME"), "Add a label" => |a| Ok(Action::Label(a.map(str::to_owned)));
    "unlabel", Arg::Optional("NAME"), "Remove a label" => |a| Ok(Action::Unlabel(a.map(str::to_owned)));
    "filter.label", Arg::Optional("NAME|all"), "Only one label" => |a| Ok(Action::FilterLabel(a.map(str::to_owned)));
    "filter.overdue", Arg::None, "Only past the first-response target (toggle)" => |_| Ok(Action::FilterOverdue);
    "available", Arg::None, "I am available for live chat" => |_| Ok(Action::Available);
    "away", Arg::None, "I am away" => |_| Ok(Action::Away);
    "availability.toggle", Arg::None, "Switch available / away" => |_| Ok(Action::ToggleAvailability);
    "send", Arg::None, "Send the reply or note" => |_| Ok(Action::Send);
    "cancel", Arg::None, "Close / cancel" => |_| Ok(Action::Cancel);
    "confirm", Arg::None, "Confirm" => |_| Ok(Action::Confirm);
    "edit.newline", Arg::None, "New line" => |_| Ok(Action::Newline);
    "edit.left", Arg::None, "Cursor left" => |_| Ok(Action::CursorLeft);
    "edit.right", Arg::None, "Cursor right" => |_| Ok(Action::CursorRight);
    "edit.word_left", Arg::None, "Cursor a word left" => |_| Ok(Action::WordLeft);
    "edit.word_right", Arg::None, "Cursor a word right" => |_| Ok(Action::WordRight);
    "edit.line_start", Arg::None, "Cursor to line start" => |_| Ok(Action::LineStart);
    "edit.line_end", Arg::None, "Cursor to line end" => |_| Ok(Action::LineEnd);
    "edit.delete_back", Arg::None, "Delete the character before" => |_| Ok(Action::DeleteBack);
    "edit.delete_forward", Arg::None, "Delete the character under" => |_| Ok(Action::DeleteForward);
    "edit.delete_word", Arg::None, "Delete the word before" => |_| Ok(Action::DeleteWordBack);
    "edit.delete_to_end", Arg::None, "Delete to line end" => |_| Ok(Action::DeleteToLineEnd);
    "keymap", Arg::Required("default|vim|emacs"), "Switch to a shipped keymap" => |a| {
        let name = a.ok_or("keymap needs a name: default, vim or emacs")?;
        crate::tui::keymap::Keymap::builtin(name).map_err(|e| e.to_string())?;
        Ok(Action::SetKeymap(name.to_owned()))
    };
    "widget", Arg::None, "Show the address of the chat widget's test page" => |_| Ok(Action::ChatPage);
    "report", Arg::Optional("7d|30d|90d"), "Show the response report (first response, resolution, unanswered, volume)" => |a| {
        crate::report::parse_days(a).map(Action::Report)
    };
    "search", Arg::Optional("QUERY: words, \"a phrase\", from: channel: status: before: after: is:note"), "Search messages, notes, customers and handles" => |a| Ok(Action::Search(a.map(str::to_owned)));
    "deadletters", Arg::None, "Show the dead letters (messages that could not be stored)" => |_| Ok(Action::DeadLetters);
    "deadletter.retry", Arg::None, "Retry the dead letter (parse and store it again)" => |_| Ok(Action::DeadLetterRetry);
    "deadletter.delete", Arg::None, "Delete the dead letter (asks first)" => |_| Ok(Action::DeadLetterDelete);
    "save-raw", Arg::Optional("PATH"), "Save the dead letter's raw bytes (never overwrites)" => |a| Ok(Action::SaveRaw(a.map(str::to_owned)));
    "save", Arg::Optional("[N] [PATH]"), "Save attachment N of the thread (numbered 📎 N; default the only one) to PATH or here, never overwriting" => |a| {
        crate::tui::action::parse_save(a)
    };
    "customer.card", Arg::None, "Show the customer card (handles, tags, notes, counts, link suggestions)" => |_| Ok(Action::CustomerCard);
    "link", Arg::Optional("[ID] [keep=ID]"), "Link this customer with another (a suggestion, or customer ID), choosing which record survives" => |a| crate::tui::app::parse_link(a);
    "unlink", Arg::Optional("LINK-ID"), "Undo this customer's last link (or link LINK-ID) from the kept log" => |a| {
        match a {
            None => Ok(Action::Unlink(None)),
            Some(id) => id.trim_start_matches('#').parse().map(|n| Action::Unlink(Some(n))).map_err(|_| format!("{id:?} is not a link id")),
        }
    };
    "tag", Arg::Required("NAME"), "Tag the customer" => |a| Ok(Action::Tag(a.ok_or("tag needs a tag name")?.to_owned()));
    "untag", Arg::Required("NAME"), "Remove a tag from the customer" => |a| Ok(Action::Untag(a.ok_or("untag needs a tag name")?.to_owned()));
    "customer-note", Arg::Required("TEXT"), "Add a note on the customer" => |a| Ok(Action::CustomerNote(a.ok_or("customer-note needs the note's text")?.to_owned()));
    "rename", Arg::Required("NAME"), "Set the customer's display name" => |a| Ok(Action::Rename(a.ok_or("rename needs the new name")?.to_owned()));
    "fetch-older", Arg::Optional("DAYS (default 90)"), "Fetch older email: DAYS more days back" => |a| {
        match a {
            None => Ok(Action::FetchOlder(DEFAULT_OLDER_DAYS)),
            Some(d) => match d.parse::<u32>() {
                Ok(n) if (1..=36_500).contains(&n) => Ok(Action::FetchOlder(n)),
                _ => Err(format!("{d:?} is not a number of days (1 to 36500)")),
            },
        }
    };
}

/// Why a command did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing was written.
    #[error("empty command")]
    Empty,
    /// No command has that name.
    #[error("unknown command {0:?}")]
    Unknown(String),
    /// The command exists but its argument is wrong.
    #[error("{name}: {reason}")]
    BadArgument {
        /// The command.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

/// Looks a command up by name.
#[must_use]
pub fn command(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

impl FromStr for Action {
    type Err = ParseError;

    /// Parses `name` or `name argument`, as keymaps and the command line write them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ParseError::Empty);
        }
        let (name, arg) = match s.split_once(char::is_whitespace) {
            Some((n, a)) => (n, Some(a.trim()).filter(|a| !a.is_empty())),
            None => (s, None),
        };
        let cmd = command(name).ok_or_else(|| ParseError::Unknown(name.to_owned()))?;
        let bad = |reason: String| ParseError::BadArgument {
            name: name.to_owned(),
            reason,
        };
        if cmd.arg == Arg::None && arg.is_some() {
            return Err(bad("takes no argument".into()));
        }
        (cmd.build)(arg).map_err(bad)
    }
}

/// How far back `:fetch-older` reaches without an argument: a quarter.
pub const DEFAULT_OLDER_DAYS: u32 = 90;

/// `save [N] [PATH]`: a leading number is the attachment, the rest the path (so a
/// directory named only with digits is written `./2024`).
///
/// # Errors
/// An attachment number of 0.
pub fn parse_save(arg: Option<&str>) -> Result<Action, String> {
    let Some(arg) = arg.map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(Action::SaveAttachment {
            number: None,
            path: None,
        });
    };
    let (first, rest) = match arg.split_once(char::is_whitespace) {
        Some((f, r)) => (f, Some(r.trim()).filter(|r| !r.is_empty())),
        None => (arg, None),
    };
    match first.parse::<usize>() {
        Ok(0) => Err("attachments are numbered from 1".into()),
        Ok(n) => Ok(Action::SaveAttachment {
            number: Some(n),
            path: rest.map(str::to_owned),
        }),
        Err(_) => Ok(Action::SaveAttachment {
            number: None,
            path: Some(arg.to_owned()),
        }),
    }
}

/// A snooze length: a number and a unit (`m`, `h`, `d`, `w`).
///
/// # Errors
/// Anything else, with a message saying what is expected.
pub fn parse_duration(text: &str) -> Result<jiff::SignedDuration, String> {
    let bad = || format!("{text:?} is not a duration (30m, 2h, 3d, 1w)");
    let text = text.trim();
    let unit = text.chars().last().ok_or_else(bad)?;
    let n: i64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    let minutes = match unit {
        'm' => n,
        'h' => n.checked_mul(60).ok_or_else(bad)?,
        'd' => n.checked_mul(60 * 24).ok_or_else(bad)?,
        'w' => n.checked_mul(60 * 24 * 7).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if minutes <= 0 {
        return Err(bad());
    }
    Ok(jiff::SignedDuration::from_mins(minutes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_name_parses() {
        for c in COMMANDS {
            let text = match c.arg {
                Arg::Required(_) if c.name == "keymap" => "keymap vim".to_owned(),
                Arg::Required(_) => format!("{} 2h", c.name),
                _ => c.name.to_owned(),
            };
            assert!(text.parse::<Action>().is_ok(), "{text}");
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = COMMANDS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(n, names.len());
    }

    #[test]
    fn arguments_are_checked() {
        assert_eq!(
            "filter.status pending".parse(),
            Ok(Action::FilterStatus(Some(StatusName::Pending)))
        );
        assert_eq!(
            "filter.channel all".parse(),
            Ok(Action::FilterChannel(None))
        );
        assert_eq!("status.snooze 3d".parse(), Ok(Action::Snooze("3d".into())));
        assert!(matches!(
            "status.snooze".parse::<Action>(),
            Err(ParseError::BadArgument { .. })
        ));
        assert!(matches!(
            "status.snooze soon".parse::<Action>(),
            Err(ParseError::BadArgument { .. })
        ));
        assert!(matches!(
            "quit now".parse::<Action>(),
            Err(ParseError::BadArgument { .. })
        ));
        assert_eq!(
            "frobnicate".parse::<Action>(),
            Err(ParseError::Unknown("frobnicate".into()))
        );
        assert_eq!("".parse::<Action>(), Err(ParseError::Empty));
    }

    #[test]
    fn save_takes_a_number_a_path_or_both() {
        let save = |number: Option<usize>, path: Option<&str>| Action::SaveAttachment {
            number,
            path: path.map(str::to_owned),
        };
        assert_eq!("save".parse(), Ok(save(None, None)));
        assert_eq!("save 2".parse(), Ok(save(Some(2), None)));
        assert_eq!(
            "save 2 /tmp/my dir".parse(),
            Ok(save(Some(2), Some("/tmp/my dir")))
        );
        assert_eq!("save ./out".parse(), Ok(save(None, Some("./out"))));
        assert!("save 0".parse::<Action>().is_err());
        assert_eq!("fetch-older".parse(), Ok(Action::FetchOlder(90)));
        assert_eq!("fetch-older 30".parse(), Ok(Action::FetchOlder(30)));
        assert!("fetch-older 0".parse::<Action>().is_err());
        assert!("fetch-older soon".parse::<Action>().is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("90m"),
            Ok(jiff::SignedDuration::from_mins(90))
        );
        assert_eq!(
            parse_duration("1w"),
            Ok(jiff::SignedDuration::from_hours(168))
        );
        assert!(parse_duration("0h").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("é").is_err());
    }
}
