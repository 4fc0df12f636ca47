//! The customer's whole history: every handle, every conversation on every channel, and
//! the team's notes, so nobody asks them to explain twice.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{ago, channel_color, channel_label, inner, pane_block, pane_title};
use crate::model::{HandleKind, Status};
use crate::tui::action::Pane;
use crate::tui::app::App;
use crate::tui::text;

/// Draws the history pane.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer, focused: bool, columns: u8) {
    let Some(h) = &app.history.data else {
        pane_block(pane_title("Customer", Pane::History, columns), focused).render(area, buf);
        return;
    };
    let name = h.customer.display_name.as_deref().unwrap_or("(no name)");
    let title = text::truncate(
        &text::clean_line(name),
        usize::from(area.width.saturating_sub(4)).max(4),
    );
    pane_block(pane_title(title.as_str(), Pane::History, columns), focused).render(area, buf);
    let inner = inner(area);
    let width = usize::from(inner.width);
    let mut lines: Vec<Line<'static>> = Vec::new();
    for handle in &h.customer.handles {
        let kind = match handle.kind {
            HandleKind::Email => "email",
            HandleKind::Phone => "phone",
            HandleKind::On(c) => c.as_str(),
        };
        lines.push(Line::styled(
            text::truncate(
                &text::clean_line(&format!("{kind}: {}", handle.value)),
                width,
            )
            .to_string(),
            Style::new().fg(Color::DarkGray),
        ));
    }
    lines.push(Line::styled(
        format!(
            "{} conversation{}",
            h.conversations.len(),
            if h.conversations.len() == 1 { "" } else { "s" }
        ),
        Style::new().add_modifier(Modifier::BOLD),
    ));
    let current = app.thread.conversation.as_ref().map(|c| c.id);
    for (i, c) in h.conversations.iter().enumerate() {
        let status = match c.status {
            Status::Open => "open",
            Status::Pending => "pending",
            Status::Snoozed { .. } => "snoozed",
            Status::Resolved => "resolved",
        };
        let here = if Some(c.id) == current { "▶" } else { " " };
        let lead = format!(
            "{here}{} {status:<8} {:>4} ",
            channel_label(c.channel),
            ago(app.now, c.last_message_at)
        );
        let rest = width.saturating_sub(text::width(&lead));
        let about = c
            .subject
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| c.preview.clone());
        let mut spans = vec![
            Span::raw(here.to_owned()),
            Span::styled(
                channel_label(c.channel),
                Style::new().fg(channel_color(c.channel)),
            ),
            Span::raw(format!(
                " {status:<8} {:>4} ",
                ago(app.now, c.last_message_at)
            )),
            Span::raw(text::truncate(&text::clean_line(&about), rest).to_string()),
        ];
        if focused && i == app.history.selected {
            for s in &mut spans {
                s.style = s.style.add_modifier(Modifier::REVERSED);
            }
        }
        lines.push(Line::from(spans));
    }
    if !h.notes.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "Notes",
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ));
        for n in &h.notes {
            let head = format!(
                "{} · {}",
                text::clean_line(&n.author),
                ago(app.now, n.sent_at)
            );
            lines.push(Line::styled(
                text::truncate(&text::clean_line(&head), width).to_string(),
                Style::new().fg(Color::Yellow),
            ));
            for w in text::wrap(&text::clean(&n.body), width) {
                lines.push(Line::raw(w.to_string()));
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
