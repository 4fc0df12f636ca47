//! The dead-letter view's state and keys: a list of inbound messages that could not be
//! stored, the selected one's raw headers, and retry, save and delete.

use super::{App, Confirm, DeadLetterOp, Effect};
use crate::store::DeadLetter;
use crate::tui::action::Action;

/// The most header lines kept for the selected dead letter: enough for a real message's
/// envelope, bounded so a hostile "header" of a million lines costs nothing to draw.
pub const MAX_HEADER_LINES: usize = 200;

/// The most bytes looked at for the header block, for the same reason.
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// The dead-letter view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeadLetterState {
    /// The loaded list, newest first.
    pub items: Vec<DeadLetter>,
    /// The selected row.
    pub selected: usize,
    /// The selected dead letter's id and raw header lines, as received: untrusted, and
    /// sanitised only when drawn.
    pub headers: Option<(i64, Vec<String>)>,
    /// Set once a list has been loaded, so "no dead letters" is not shown while loading.
    pub loaded: bool,
}

/// The header block of raw message bytes: the lines before the first blank line, at
/// most `max_lines`, decoded leniently (the bytes are hostile by definition; they are
/// made safe for the terminal when drawn).
#[must_use]
pub fn header_lines(raw: &[u8], max_lines: usize) -> Vec<String> {
    let head = &raw[..raw.len().min(MAX_HEADER_BYTES)];
    String::from_utf8_lossy(head)
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .take_while(|l| !l.trim().is_empty())
        .take(max_lines)
        .map(str::to_owned)
        .collect()
}

impl App {
    /// The dead letter the view's selection points at.
    #[must_use]
    pub fn selected_dead_letter(&self) -> Option<&DeadLetter> {
        let view = self.dead_letters.as_ref()?;
        view.items.get(view.selected)
    }

    /// Applies a freshly loaded dead-letter list; the selection stays on the same dead
    /// letter while it is listed.
    pub fn loaded_dead_letters(&mut self, items: Vec<DeadLetter>) {
        let keep = self.selected_dead_letter().map(|d| d.id);
        let Some(view) = self.dead_letters.as_mut() else {
            return;
        };
        view.items = items;
        view.loaded = true;
        if let Some(id) = keep
            && let Some(i) = view.items.iter().position(|d| d.id == id)
        {
            view.selected = i;
        }
        view.selected = view.selected.min(view.items.len().saturating_sub(1));
        let selected = view.items.get(view.selected).map(|d| d.id);
        if view.headers.as_ref().map(|(id, _)| *id) != selected {
            view.headers = None;
        }
    }

    /// Applies the raw bytes of the selected dead letter.
    pub fn loaded_dead_letter_raw(&mut self, id: i64, raw: &[u8]) {
        if let Some(view) = self.dead_letters.as_mut() {
            view.headers = Some((id, header_lines(raw, MAX_HEADER_LINES)));
        }
    }

    /// Keys while the dead-letter view is open. `None` passes the action on (help, the
    /// command line, quit).
    pub(super) fn update_dead_letters(&mut self, action: &Action) -> Option<Vec<Effect>> {
        let page = self.page();
        let view = self.dead_letters.as_mut()?;
        let len = view.items.len();
        let step = |delta: isize, view: &mut DeadLetterState| {
            let next = view
                .selected
                .saturating_add_signed(delta)
                .min(len.saturating_sub(1));
            if next == view.selected {
                return Vec::new();
            }
            view.selected = next;
            vec![Effect::Reload]
        };
        Some(match action {
            Action::Down => step(1, view),
            Action::Up => step(-1, view),
            Action::PageDown => step(page, view),
            Action::PageUp => step(-page, view),
            Action::First => step(isize::MIN / 2, view),
            Action::Last => step(isize::MAX / 2, view),
            Action::Cancel | Action::DeadLetters => {
                self.dead_letters = None;
                Vec::new()
            }
            Action::DeadLetterRetry => match self.selected_dead_letter().map(|d| d.id) {
                Some(id) => {
                    self.flash("Retrying the dead letter…", false);
                    vec![Effect::DeadLetter(DeadLetterOp::Retry(id))]
                }
                None => self.no_dead_letter(),
            },
            Action::SaveRaw(path) => match self.selected_dead_letter().map(|d| d.id) {
                Some(id) => vec![Effect::DeadLetter(DeadLetterOp::Save {
                    id,
                    path: path.clone(),
                })],
                None => self.no_dead_letter(),
            },
            Action::DeadLetterDelete => match self.selected_dead_letter().map(|d| d.id) {
                Some(id) => {
                    let confirm = Confirm::DeleteDeadLetter(id);
                    self.confirm = Some(confirm);
                    self.flash(confirm.question(), false);
                    Vec::new()
                }
                None => self.no_dead_letter(),
            },
            _ => return None,
        })
    }

    fn no_dead_letter(&mut self) -> Vec<Effect> {
        self.flash("No dead letter selected", true);
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::header_lines;

    #[test]
    fn the_header_block_ends_at_the_first_blank_line() {
        let raw = b"From: a@b\r\nSubject: x\r\n folded\r\n\r\nbody\r\n";
        assert_eq!(
            header_lines(raw, 10),
            vec!["From: a@b", "Subject: x", " folded"]
        );
        assert_eq!(header_lines(raw, 1), vec!["From: a@b"]);
        assert!(header_lines(b"", 10).is_empty());
        assert_eq!(
            header_lines(b"\xff\xfe: x\n", 10),
            vec!["\u{fffd}\u{fffd}: x"]
        );
    }
}
