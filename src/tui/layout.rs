//! Where each pane sits for a terminal size. Pure, so that drawing and mouse clicks agree
//! on the same rectangles.

use ratatui::layout::Rect;

use crate::tui::action::Pane;

/// The screen's areas. A pane that does not fit is `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// The conversation list.
    pub queue: Option<Rect>,
    /// The open thread.
    pub thread: Option<Rect>,
    /// The customer history.
    pub history: Option<Rect>,
    /// The composer, inside the thread's column.
    pub compose: Option<Rect>,
    /// The status line.
    pub status: Rect,
    /// The command line / message row.
    pub cmdline: Rect,
    /// How many panes are side by side (1 to 3).
    pub columns: u8,
}

/// From this width the three panes sit side by side.
pub const THREE_PANES: u16 = 150;
/// From this width two panes do.
pub const TWO_PANES: u16 = 100;

impl Layout {
    /// The areas for a terminal of `(columns, rows)`.
    #[must_use]
    pub fn compute(size: (u16, u16), focus: Pane, composing: bool) -> Layout {
        let (width, height) = size;
        let cmdline = Rect::new(0, height.saturating_sub(1), width, height.min(1));
        let status = Rect::new(
            0,
            height.saturating_sub(2),
            width,
            height.saturating_sub(1).min(1),
        );
        let main = Rect::new(0, 0, width, height.saturating_sub(2));
        let mut layout = Layout {
            queue: None,
            thread: None,
            history: None,
            compose: None,
            status,
            cmdline,
            columns: 1,
        };
        if main.height == 0 || main.width == 0 {
            return layout;
        }
        if width >= THREE_PANES {
            let q = width * 34 / 100;
            let h = (width * 24 / 100).max(28);
            let t = width - q - h;
            layout.queue = Some(Rect::new(0, 0, q, main.height));
            layout.thread = Some(Rect::new(q, 0, t, main.height));
            layout.history = Some(Rect::new(q + t, 0, h, main.height));
            layout.columns = 3;
        } else if width >= TWO_PANES {
            let q = width * 40 / 100;
            let right = Rect::new(q, 0, width - q, main.height);
            layout.queue = Some(Rect::new(0, 0, q, main.height));
            if focus == Pane::History {
                layout.history = Some(right);
            } else {
                layout.thread = Some(right);
            }
            layout.columns = 2;
        } else {
            match focus {
                Pane::Queue => layout.queue = Some(main),
                Pane::Thread => layout.thread = Some(main),
                Pane::History => layout.history = Some(main),
            }
        }
        if composing && let Some(thread) = layout.thread {
            let h = (thread.height / 3).clamp(3.min(thread.height), 12);
            layout.compose = Some(Rect::new(
                thread.x,
                thread.y + thread.height - h,
                thread.width,
                h,
            ));
            layout.thread = Some(Rect::new(
                thread.x,
                thread.y,
                thread.width,
                thread.height - h,
            ));
        }
        layout
    }

    /// The pane under a cell, if any.
    #[must_use]
    pub fn pane_at(&self, column: u16, row: u16) -> Option<Pane> {
        let inside = |r: Option<Rect>| {
            r.is_some_and(|r| {
                column >= r.x && column < r.x + r.width && row >= r.y && row < r.y + r.height
            })
        };
        if inside(self.queue) {
            Some(Pane::Queue)
        } else if inside(self.thread) || inside(self.compose) {
            Some(Pane::Thread)
        } else if inside(self.history) {
            Some(Pane::History)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_collapse_with_the_width() {
        let wide = Layout::compute((200, 60), Pane::Queue, false);
        assert_eq!(wide.columns, 3);
        assert!(wide.queue.is_some() && wide.thread.is_some() && wide.history.is_some());
        let small = Layout::compute((80, 24), Pane::Thread, false);
        assert_eq!((small.queue, small.history), (None, None));
        assert_eq!(small.thread, Some(Rect::new(0, 0, 80, 22)));
        assert_eq!(small.pane_at(5, 5), Some(Pane::Thread));
        let medium = Layout::compute((120, 40), Pane::History, true);
        assert!(medium.history.is_some() && medium.thread.is_none() && medium.compose.is_none());
    }

    #[test]
    fn every_size_lays_out_inside_the_screen() {
        for w in 0..=300u16 {
            for h in [0u16, 1, 2, 3, 5, 24, 100] {
                for focus in [Pane::Queue, Pane::Thread, Pane::History] {
                    let l = Layout::compute((w, h), focus, true);
                    for r in [l.queue, l.thread, l.history, l.compose]
                        .into_iter()
                        .flatten()
                    {
                        assert!(r.x + r.width <= w && r.y + r.height <= h, "{w}x{h} {r:?}");
                    }
                }
            }
        }
    }
}
