//! The canned-reply picker over the composer: the query, the ranked replies, and a
//! preview of the highlighted one as it would be inserted in this conversation, its
//! `{{gaps}}` highlighted. Also the gap highlighting and length badge the composer uses.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Widget};

use super::inner;
use crate::replies::template;
use crate::tui::app::App;
use crate::tui::text;

/// How a `{{gap}}` looks: impossible to miss, in the draft and in the preview.
fn gap_style() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD)
}

/// One line of draft or preview text (already clean), its gaps highlighted.
#[must_use]
pub fn gap_line(line: &str) -> Line<'static> {
    let mut spans = Vec::new();
    let mut at = 0;
    for (range, _) in template::slots(line) {
        if range.start > at {
            spans.push(Span::raw(line[at..range.start].to_owned()));
        }
        spans.push(Span::styled(line[range.clone()].to_owned(), gap_style()));
        at = range.end;
    }
    if at < line.len() {
        spans.push(Span::raw(line[at..].to_owned()));
    }
    Line::from(spans)
}

/// ` · 312/1000` for the composer's title, or nothing.
#[must_use]
pub fn length_badge(app: &App) -> String {
    app.compose_length()
        .map_or_else(String::new, |n| format!(" · {n}"))
}

/// Where the picker goes: most of the screen above the status rows.
fn popup(area: Rect) -> Rect {
    let w = (area.width * 9 / 10).max(area.width.min(30));
    let h = (area.height.saturating_sub(2) * 9 / 10).max(area.height.min(6));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height.saturating_sub(2).saturating_sub(h)) / 2,
        w,
        h,
    )
}

/// Draws the picker.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(picker) = &app.picker else {
        return;
    };
    let popup = popup(area);
    Clear.render(popup, buf);
    let count = format!(
        "{}/{}",
        picker.matches.len(),
        app.replies.library.replies().len()
    );
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(Color::Magenta))
        .title(format!(
            " Canned replies {count} · <Enter> insert · <Esc> back "
        ))
        .render(popup, buf);
    let inside = inner(popup);
    if inside.height == 0 || inside.width < 4 {
        return;
    }
    Line::from(vec![
        Span::styled("> ", Style::new().fg(Color::Magenta)),
        Span::raw(text::clean_line(&picker.query.text()).to_string()),
    ])
    .render(Rect::new(inside.x, inside.y, inside.width, 1), buf);
    let body = Rect::new(
        inside.x,
        inside.y + 1,
        inside.width,
        inside.height.saturating_sub(1),
    );
    let list_w = (body.width * 2 / 5).max(body.width.min(16));
    let list = Rect::new(body.x, body.y, list_w, body.height);
    draw_list(app, list, buf);
    if body.width > list_w + 3 {
        let preview = Rect::new(
            body.x + list_w + 1,
            body.y,
            body.width - list_w - 1,
            body.height,
        );
        draw_preview(app, preview, buf);
    }
}

fn draw_list(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(picker) = &app.picker else {
        return;
    };
    let height = usize::from(area.height).max(1);
    let top = picker.selected.saturating_sub(height - 1);
    for (row, &i) in picker.matches.iter().enumerate().skip(top).take(height) {
        let Some(reply) = app.replies.library.get(i) else {
            continue;
        };
        let label = text::clean_line(&reply.label());
        let shortcut = reply
            .shortcut
            .as_deref()
            .map_or_else(String::new, |s| format!(" /{}", text::clean_line(s)));
        let tags = if reply.tags.is_empty() {
            String::new()
        } else {
            format!(" #{}", text::clean_line(&reply.tags.join(" #")))
        };
        let selected = row == picker.selected;
        let base = if selected {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new()
        };
        let line = Line::from(vec![
            Span::styled(label.to_string(), base.add_modifier(Modifier::BOLD)),
            Span::styled(shortcut, base.fg(Color::Magenta)),
            Span::styled(tags, base.fg(Color::DarkGray)),
        ]);
        let y = area.y + u16::try_from(row - top).unwrap_or(0);
        line.render(Rect::new(area.x, y, area.width, 1), buf);
    }
    if picker.matches.is_empty() {
        Line::styled("no match", Style::new().fg(Color::DarkGray))
            .render(Rect::new(area.x, area.y, area.width, 1), buf);
    }
}

fn draw_preview(app: &App, area: Rect, buf: &mut Buffer) {
    // A rule between the list and the preview.
    for y in area.y..area.y + area.height {
        if let Some(cell) = buf.cell_mut(Position::new(area.x.saturating_sub(1), y)) {
            cell.set_symbol("│")
                .set_style(Style::new().fg(Color::DarkGray));
        }
    }
    let Some(preview) = app.picker_preview() else {
        return;
    };
    let channel = app
        .compose_channel()
        .map_or("", crate::model::Channel::as_str);
    let mut lines: Vec<Line<'static>> = vec![Line::styled(
        format!(
            "{} · as sent on {channel}",
            text::clean_line(&preview.title)
        ),
        Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
    )];
    lines.push(Line::styled(
        text::clean_line(&preview.file).to_string(),
        Style::new().fg(Color::DarkGray),
    ));
    for note in &preview.notes {
        lines.push(Line::styled(
            text::clean_line(note).to_string(),
            Style::new().fg(Color::Red),
        ));
    }
    for a in &preview.attachments {
        lines.push(Line::styled(
            format!(
                "📎 {} (listed only: replies carry text)",
                text::clean_line(a)
            ),
            Style::new().fg(Color::DarkGray),
        ));
    }
    lines.push(Line::raw(""));
    for l in text::wrap(&text::clean(&preview.text), usize::from(area.width)) {
        lines.push(gap_line(l.as_str()));
    }
    for (i, line) in lines.into_iter().take(usize::from(area.height)).enumerate() {
        let y = area.y + u16::try_from(i).unwrap_or(0);
        line.render(Rect::new(area.x, y, area.width, 1), buf);
    }
}

/// The terminal cursor in the picker's query, when it is open.
#[must_use]
pub fn cursor(app: &App) -> Option<Position> {
    let picker = app.picker.as_ref()?;
    let area = popup(Rect::new(0, 0, app.size.0, app.size.1));
    let inside = inner(area);
    let (_, col) = picker.query.cursor();
    let query = picker.query.text();
    let x = 2 + text::width(text::clean_line(&query[..col.min(query.len())]).as_str());
    let x = u16::try_from(x).ok()?;
    (x < inside.width && inside.height > 0).then(|| Position::new(inside.x + x, inside.y))
}
