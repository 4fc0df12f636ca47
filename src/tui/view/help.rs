//! The help overlay and the which-key popup, both read from the merged keymap, so they
//! can never disagree with what the keys do.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Widget};

use super::inner;
use crate::tui::app::App;
use crate::tui::keymap::{Hint, Mode};
use crate::tui::text;

/// The help rows for the app's current context, filtered by the typed query:
/// (mode, keys, description, command).
#[must_use]
pub fn rows(app: &App) -> Vec<(Mode, String, String, String)> {
    let query = app
        .help
        .as_ref()
        .map(|h| h.query.text().to_lowercase())
        .unwrap_or_default();
    let under = match app.focus {
        crate::tui::action::Pane::Queue => Mode::Queue,
        crate::tui::action::Pane::Thread => Mode::Thread,
        crate::tui::action::Pane::History => Mode::History,
    };
    let under = if app.dead_letters.is_some() {
        Mode::DeadLetters
    } else {
        under
    };
    let mut modes = vec![under, Mode::Global];
    if app.compose.is_some() {
        modes.insert(0, Mode::Compose);
    }
    let mut out = Vec::new();
    for mode in modes {
        for b in app.keymap().bindings(mode) {
            let keys = b
                .keys
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ");
            let row = (mode, keys, b.desc.clone(), b.run.clone());
            let hay = format!("{} {} {}", row.1, row.2, row.3).to_lowercase();
            if query.is_empty() || hay.contains(&query) {
                out.push(row);
            }
        }
    }
    out
}

/// Draws the help overlay.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(help) = &app.help else {
        return;
    };
    let w = (area.width * 9 / 10).max(area.width.min(20));
    let h = (area.height * 9 / 10).max(area.height.min(5));
    let popup = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    Clear.render(popup, buf);
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(Color::Cyan))
        .title(" Keys · type to filter · Esc closes ")
        .render(popup, buf);
    let inner = inner(popup);
    if inner.height == 0 {
        return;
    }
    Line::from(vec![
        Span::styled("/", Style::new().fg(Color::Cyan)),
        Span::raw(text::clean_line(&help.query.text()).to_string()),
    ])
    .render(Rect::new(inner.x, inner.y, inner.width, 1), buf);
    let rows = rows(app);
    let key_width = rows
        .iter()
        .map(|r| text::width(&r.1))
        .max()
        .unwrap_or(4)
        .min(18);
    let body = Rect::new(
        inner.x,
        inner.y + 1,
        inner.width,
        inner.height.saturating_sub(1),
    );
    let scroll = help.scroll.min(rows.len().saturating_sub(1));
    for (i, (mode, keys, desc, run)) in rows
        .iter()
        .skip(scroll)
        .take(usize::from(body.height))
        .enumerate()
    {
        let pad = key_width.saturating_sub(text::width(keys));
        let line = Line::from(vec![
            Span::styled(
                format!("{:<8}", mode.name()),
                Style::new().fg(Color::DarkGray),
            ),
            Span::styled(
                format!("{keys}{} ", " ".repeat(pad)),
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("{desc} ")),
            Span::styled(format!("({run})"), Style::new().fg(Color::DarkGray)),
        ]);
        let y = body.y + u16::try_from(i).unwrap_or(0);
        line.render(Rect::new(body.x, y, body.width, 1), buf);
    }
}

/// Draws the which-key popup: the keys that can follow the pending ones.
pub fn draw_which_key(hints: &[Hint], area: Rect, buf: &mut Buffer) {
    if hints.is_empty() || area.height < 4 || area.width < 12 {
        return;
    }
    let width = hints
        .iter()
        .map(|h| text::width(&h.key.to_string()) + 2 + text::width(&h.label))
        .max()
        .unwrap_or(10)
        .min(usize::from(area.width) - 2);
    let w = u16::try_from(width + 2)
        .unwrap_or(area.width)
        .min(area.width);
    let h = u16::try_from(hints.len() + 2)
        .unwrap_or(area.height)
        .min(area.height.saturating_sub(2));
    let popup = Rect::new(
        area.x + area.width - w,
        area.y + area.height.saturating_sub(h + 2),
        w,
        h,
    );
    Clear.render(popup, buf);
    Block::new()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(Color::Yellow))
        .render(popup, buf);
    let inner = inner(popup);
    for (i, hint) in hints.iter().take(usize::from(inner.height)).enumerate() {
        let line = Line::from(vec![
            Span::styled(
                hint.key.to_string(),
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ),
            Span::raw("  "),
            Span::raw(text::clean_line(&hint.label).to_string()),
        ]);
        let y = inner.y + u16::try_from(i).unwrap_or(0);
        line.render(Rect::new(inner.x, y, inner.width, 1), buf);
    }
}
