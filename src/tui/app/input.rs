//! What typing does in the composer, the command line and the help overlay: the text
//! inputs of the app, each with its own small `update`.

use super::{App, ComposeKind, Confirm, Effect, Write};
use crate::tui::action::Action;
use crate::tui::editor::Editor;

impl App {
    /// Editing keys and send/cancel while the composer is open. `None` passes the
    /// action on (movement in the thread, status changes) so the agent can scroll up to
    /// re-read the customer while writing.
    pub(super) fn update_compose(&mut self, action: &Action) -> Option<Vec<Effect>> {
        let compose = self.compose.as_mut()?;
        let e = &mut compose.editor;
        match action {
            Action::Insert(ch) => e.insert(*ch),
            Action::Paste(text) => e.insert_str(text),
            Action::Newline => e.newline(),
            Action::CursorLeft => e.left(),
            Action::CursorRight => e.right(),
            Action::WordLeft => e.word_left(),
            Action::WordRight => e.word_right(),
            Action::LineStart => e.home(),
            Action::LineEnd => e.end(),
            Action::DeleteBack => e.delete_back(),
            Action::DeleteForward => e.delete_forward(),
            Action::DeleteWordBack => e.delete_word_back(),
            Action::DeleteToLineEnd => e.delete_to_end(),
            Action::Up => e.up(),
            Action::Down => e.down(),
            Action::ReplyInEditor => return Some(vec![Effect::OpenEditor(e.text())]),
            Action::Cancel => {
                if e.is_blank() {
                    self.compose = None;
                } else {
                    self.confirm = Some(Confirm::DiscardDraft);
                    self.flash(Confirm::DiscardDraft.question(), false);
                }
            }
            Action::Quit => {
                if e.is_blank() {
                    self.quit = true;
                } else {
                    self.confirm = Some(Confirm::QuitWithDraft);
                    self.flash(Confirm::QuitWithDraft.question(), false);
                }
            }
            Action::Send => {
                if e.is_blank() {
                    self.flash("Nothing to send", true);
                    return Some(Vec::new());
                }
                let text = e.text().trim_end().to_owned();
                let conversation = compose.conversation;
                let kind = compose.kind;
                // A `{{gap}}` or a reply over its channel's limit never leaves.
                if let Some(refusal) = self.reply_refusal(&text) {
                    self.flash(&refusal, true);
                    return Some(Vec::new());
                }
                if kind == ComposeKind::Reply
                    && let Some(warning) = self.reply_collision(conversation)
                {
                    self.flash(&warning, true);
                    return Some(Vec::new());
                }
                self.compose = None;
                return Some(match kind {
                    ComposeKind::Reply => {
                        self.flash("Reply queued", false);
                        vec![Effect::Write(Write::Reply { conversation, text })]
                    }
                    ComposeKind::Note => {
                        self.flash("Note added", false);
                        vec![Effect::Write(Write::Note { conversation, text })]
                    }
                });
            }
            _ => return None,
        }
        Some(Vec::new())
    }

    pub(super) fn update_cmdline(&mut self, action: Action) -> Vec<Effect> {
        let Some(line) = self.cmdline.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::Insert(ch) => line.insert(ch),
            Action::Paste(text) => line.insert_str(&text.replace('\n', " ")),
            Action::CursorLeft => line.left(),
            Action::CursorRight => line.right(),
            Action::WordLeft => line.word_left(),
            Action::WordRight => line.word_right(),
            Action::LineStart => line.home(),
            Action::LineEnd => line.end(),
            Action::DeleteBack => {
                if line.text().is_empty() {
                    self.cmdline = None;
                } else {
                    line.delete_back();
                }
            }
            Action::DeleteForward => line.delete_forward(),
            Action::DeleteWordBack => line.delete_word_back(),
            Action::DeleteToLineEnd => line.delete_to_end(),
            Action::Up | Action::Down => {
                let current = line.text();
                let pos = self.cmd_history.iter().rposition(|c| *c == current);
                let next = match (action == Action::Up, pos) {
                    (true, Some(i)) => i.checked_sub(1).and_then(|i| self.cmd_history.get(i)),
                    (true, None) => self.cmd_history.last(),
                    (false, Some(i)) => self.cmd_history.get(i + 1),
                    (false, None) => None,
                };
                if let Some(next) = next.cloned() {
                    *line = Editor::with_text(&next);
                }
            }
            Action::Cancel => self.cmdline = None,
            Action::Confirm | Action::Newline | Action::Send => {
                let text = line.text();
                self.cmdline = None;
                if text.trim().is_empty() {
                    return Vec::new();
                }
                self.cmd_history.retain(|c| *c != text);
                self.cmd_history.push(text.clone());
                return match text.parse::<Action>() {
                    Ok(Action::CommandLine) => Vec::new(),
                    Ok(action) => self.update(action),
                    Err(e) => {
                        self.flash(&e.to_string(), true);
                        Vec::new()
                    }
                };
            }
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn update_help(&mut self, action: Action) -> Vec<Effect> {
        let Some(help) = self.help.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::Cancel | Action::Help | Action::Quit | Action::Confirm => self.help = None,
            Action::Insert(ch) => {
                help.query.insert(ch);
                help.scroll = 0;
            }
            Action::Paste(text) => help.query.insert_str(&text.replace('\n', " ")),
            Action::DeleteBack => help.query.delete_back(),
            Action::DeleteWordBack => help.query.delete_word_back(),
            Action::Down => help.scroll = help.scroll.saturating_add(1),
            Action::Up => help.scroll = help.scroll.saturating_sub(1),
            Action::PageDown => help.scroll = help.scroll.saturating_add(10),
            Action::PageUp => help.scroll = help.scroll.saturating_sub(10),
            _ => {}
        }
        Vec::new()
    }
}
