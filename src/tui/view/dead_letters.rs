//! The dead-letter view: inbound messages that could not be stored, newest first, and
//! the selected one's reason and raw headers. The raw bytes are hostile by definition:
//! every line goes through [`text`] before it is drawn.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{clock, inner, pane_block};
use crate::tui::app::App;
use crate::tui::key::{Key, KeyCode};
use crate::tui::keymap::Mode;
use crate::tui::text;

/// Draws the view over `area` (the panes' place).
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(view) = &app.dead_letters else {
        return;
    };
    if area.height == 0 || area.width == 0 {
        return;
    }
    let list_height = if view.items.is_empty() {
        area.height.min(3)
    } else {
        let wanted = u16::try_from(view.items.len())
            .unwrap_or(u16::MAX)
            .saturating_add(2);
        wanted.min((area.height / 2).max(3)).min(area.height)
    };
    let list = Rect::new(area.x, area.y, area.width, list_height);
    let detail = Rect::new(
        area.x,
        area.y + list_height,
        area.width,
        area.height - list_height,
    );
    let title = format!("Dead letters · {} │ {}", view.items.len(), key_help(app));
    let title = text::truncate(
        &text::clean_line(&title),
        usize::from(area.width.saturating_sub(4)),
    );
    pane_block(format!(" {title} "), true).render(list, buf);
    let rows = inner(list);
    if rows.height == 0 || rows.width == 0 {
        return;
    }
    if view.items.is_empty() {
        let what = if view.loaded {
            "No dead letters: every inbound message was stored."
        } else {
            "Loading…"
        };
        Line::styled(what, Style::new().fg(Color::DarkGray)).render(rows, buf);
        return;
    }
    let visible = usize::from(rows.height);
    let top = view.selected.saturating_sub(visible - 1);
    let width = usize::from(rows.width);
    for (i, d) in view.items.iter().enumerate().skip(top).take(visible) {
        let when = clock(app.now, d.received_at, &app.tz);
        let place = text::truncate(
            &text::clean_line(&format!("{}/{}", d.channel, d.account)),
            24,
        );
        let used = text::width(&when) + 2 + text::width(place.as_str()) + 2;
        let reason = text::truncate(&text::clean_line(&d.reason), width.saturating_sub(used));
        let mut row = vec![
            Span::styled(when, Style::new().fg(Color::DarkGray)),
            Span::raw("  "),
            Span::styled(place.into_string(), Style::new().fg(Color::Blue)),
            Span::raw("  "),
            Span::styled(reason.into_string(), Style::new().fg(Color::Red)),
        ];
        if i == view.selected {
            let pad = width.saturating_sub(row.iter().map(|s| text::width(&s.content)).sum());
            row.push(Span::raw(" ".repeat(pad)));
            for span in &mut row {
                span.style = span.style.add_modifier(Modifier::REVERSED);
            }
        }
        let y = rows.y + u16::try_from(i - top).unwrap_or(0);
        Line::from(row).render(Rect::new(rows.x, y, rows.width, 1), buf);
    }
    draw_detail(app, detail, buf);
}

/// The selected dead letter's full reason and its raw header block.
fn draw_detail(app: &App, area: Rect, buf: &mut Buffer) {
    let (Some(view), Some(d)) = (&app.dead_letters, app.selected_dead_letter()) else {
        return;
    };
    if area.height < 3 {
        return;
    }
    let title = format!(
        "Dead letter {} · {} · {}",
        d.id,
        crate::tui::files::human_size(d.size),
        d.external_id
            .as_deref()
            .map_or_else(|| "no id".to_owned(), |i| text::clean_line(i).into_string())
    );
    let title = text::truncate(
        &text::clean_line(&title),
        usize::from(area.width.saturating_sub(4)),
    );
    pane_block(format!(" {title} "), false).render(area, buf);
    let inner = inner(area);
    let width = usize::from(inner.width);
    if width == 0 {
        return;
    }
    let mut lines: Vec<Line<'static>> = Vec::new();
    for (i, l) in text::wrap(&text::clean_line(&d.reason), width.saturating_sub(8).max(1))
        .into_iter()
        .enumerate()
    {
        let lead = if i == 0 { "Reason  " } else { "        " };
        lines.push(Line::from(vec![
            Span::styled(lead, Style::new().fg(Color::DarkGray)),
            Span::styled(l.into_string(), Style::new().fg(Color::Red)),
        ]));
    }
    lines.push(Line::raw(""));
    match view.headers.as_ref().filter(|(id, _)| *id == d.id) {
        None => lines.push(Line::styled("Loading…", Style::new().fg(Color::DarkGray))),
        Some((_, headers)) if headers.is_empty() => lines.push(Line::styled(
            "(no header block: the bytes start with a blank line)",
            Style::new().fg(Color::DarkGray),
        )),
        Some((_, headers)) => {
            for h in headers {
                let clean = text::truncate(&text::clean(h), width);
                lines.push(Line::raw(clean.into_string()));
            }
        }
    }
    for (i, line) in lines
        .into_iter()
        .take(usize::from(inner.height))
        .enumerate()
    {
        let y = inner.y + u16::try_from(i).unwrap_or(0);
        line.render(Rect::new(inner.x, y, inner.width, 1), buf);
    }
}

/// The view's own keys as the merged keymap binds them: `r retry · s save · d delete ·
/// Esc back`, so the title never disagrees with a user's map.
fn key_help(app: &App) -> String {
    let bindings = app.keymap().bindings(Mode::DeadLetters);
    [
        ("deadletter.retry", "retry"),
        ("save-raw", "save"),
        ("deadletter.delete", "delete"),
        ("cancel", "back"),
    ]
    .iter()
    .filter_map(|(run, what)| {
        // Esc reads as "back" to everyone, whatever else a map binds.
        let esc = [Key::plain(KeyCode::Esc)];
        bindings
            .iter()
            .filter(|b| b.run == *run)
            .min_by_key(|b| b.keys != esc)
            .map(|b| {
                let keys: Vec<String> = b.keys.iter().map(ToString::to_string).collect();
                format!("{} {what}", keys.join(" "))
            })
    })
    .collect::<Vec<_>>()
    .join(" · ")
}
