//! The composer under the thread: a reply or an internal note being written.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, BorderType, Borders, Widget};

use super::inner;
use crate::tui::app::{App, ComposeKind};
use crate::tui::text;

/// Draws the composer.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(compose) = &app.compose else {
        return;
    };
    let to = app
        .thread
        .conversation
        .as_ref()
        .map(|c| c.customer_name.clone().unwrap_or_else(|| c.peer.clone()))
        .unwrap_or_default();
    let (title, color) = match compose.kind {
        ComposeKind::Reply => (
            format!(
                " Reply to {}{} · <C-s> send · <Esc> cancel ",
                text::clean_line(&to),
                super::picker::length_badge(app)
            ),
            Color::Green,
        ),
        ComposeKind::Note => (
            " Internal note (never sent) · <C-s> save · <Esc> cancel ".to_owned(),
            Color::Yellow,
        ),
    };
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(color))
        .title(title)
        .render(area, buf);
    let inner = inner(area);
    let (row, col) = compose.editor.cursor();
    let top = first_visible_line(row, inner.height);
    for (i, line) in compose
        .editor
        .lines()
        .iter()
        .enumerate()
        .skip(top)
        .take(usize::from(inner.height))
    {
        let cleaned = text::clean_line(line);
        let cursor_x = if i == row {
            text::width(text::clean_line(&line[..col.min(line.len())]).as_str())
        } else {
            0
        };
        let skip = horizontal_offset(cursor_x, inner.width);
        let shown = skip_columns(cleaned.as_str(), skip);
        let y = inner.y + u16::try_from(i - top).unwrap_or(0);
        super::picker::gap_line(&shown).render(Rect::new(inner.x, y, inner.width, 1), buf);
    }
}

/// The first line shown so the cursor's line is visible.
#[must_use]
pub fn first_visible_line(cursor_row: usize, height: u16) -> usize {
    cursor_row.saturating_sub(usize::from(height.max(1)) - 1)
}

/// Columns scrolled off the left so the cursor stays visible on a long line.
#[must_use]
pub fn horizontal_offset(cursor_x: usize, width: u16) -> usize {
    let width = usize::from(width.max(1));
    if cursor_x < width {
        0
    } else {
        cursor_x + 1 - width
    }
}

fn skip_columns(s: &str, columns: usize) -> String {
    let mut skipped = 0;
    let mut out = String::new();
    for ch in s.chars() {
        if skipped < columns {
            skipped += text::width(ch.encode_utf8(&mut [0; 4]));
            continue;
        }
        out.push(ch);
    }
    out
}
