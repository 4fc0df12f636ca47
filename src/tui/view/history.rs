//! The customer's history: one timeline of their messages on every channel, grouped by
//! day, the newest at the bottom as in a thread, each line tagged with its channel, so
//! nobody asks them to explain twice. The selected line's conversation opens with
//! `open`; the customer card (`customer.card`) has the rest.

use jiff::civil::Date;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{channel_color, channel_label, inner, pane_block, pane_title};
use crate::model::{HandleKind, MessageKind};
use crate::store::TimelineEntry;
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
    let title = text::clean_line(&format!("{name} · {} messages", h.messages_total));
    let title = text::truncate(&title, usize::from(area.width.saturating_sub(4)).max(4));
    pane_block(pane_title(title.as_str(), Pane::History, columns), focused).render(area, buf);
    let inner = inner(area);
    let width = usize::from(inner.width);
    let height = usize::from(inner.height);
    if width == 0 || height == 0 {
        return;
    }

    // One line of handles on top, so the agent sees at once how to reach them.
    let handles: Vec<String> = h
        .customer
        .handles
        .iter()
        .map(|handle| {
            let kind = match handle.kind {
                HandleKind::Email => "email",
                HandleKind::Phone => "phone",
                HandleKind::On(c) => c.as_str(),
            };
            format!("{kind} {}", handle.value)
        })
        .collect();
    let head = Line::styled(
        text::truncate(&text::clean_line(&handles.join(" · ")), width).to_string(),
        Style::new().fg(Color::DarkGray),
    );

    let current = app.thread.conversation.as_ref().map(|c| c.id);
    let selected = h
        .timeline
        .len()
        .checked_sub(1 + app.history.selected)
        .filter(|_| focused);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut selected_line = None;
    let older = h
        .messages_total
        .saturating_sub(u64::try_from(h.timeline.len()).unwrap_or(u64::MAX));
    if older > 0 {
        lines.push(Line::styled(
            format!("… {older} older (scroll up for more)"),
            Style::new().fg(Color::DarkGray),
        ));
    }
    let mut day: Option<Date> = None;
    for (i, e) in h.timeline.iter().enumerate() {
        let when = e.sent_at.to_zoned(app.tz.clone());
        if day != Some(when.date()) {
            day = Some(when.date());
            lines.push(day_header(
                &when.strftime("%a %-d %b %Y").to_string(),
                width,
            ));
        }
        if selected == Some(i) {
            selected_line = Some(lines.len());
        }
        lines.push(entry_line(
            e,
            &when.strftime("%H:%M").to_string(),
            Some(e.conversation) == current,
            selected == Some(i),
            width,
        ));
    }
    if h.timeline.is_empty() {
        lines.push(Line::styled(
            "No messages yet",
            Style::new().fg(Color::DarkGray),
        ));
    }

    // Bottom-anchored like the thread; the selection stays in view.
    let room = height.saturating_sub(1).max(1);
    let mut top = lines.len().saturating_sub(room);
    if let Some(s) = selected_line
        && s < top
    {
        top = s;
    }
    let mut y = inner.y;
    head.render(Rect::new(inner.x, y, inner.width, 1), buf);
    for line in lines.into_iter().skip(top).take(room) {
        y += 1;
        if y >= inner.y + inner.height {
            break;
        }
        line.render(Rect::new(inner.x, y, inner.width, 1), buf);
    }
}

fn day_header(date: &str, width: usize) -> Line<'static> {
    let label = format!("── {date} ");
    let fill = width.saturating_sub(text::width(&label));
    Line::styled(
        format!("{label}{}", "─".repeat(fill)),
        Style::new().fg(Color::DarkGray),
    )
}

/// `▶mail  14:02 Jeanne: the start of the text`, in the channel's colour; notes in
/// yellow, the shop's replies dimmed.
fn entry_line(
    e: &TimelineEntry,
    time: &str,
    here: bool,
    selected: bool,
    width: usize,
) -> Line<'static> {
    let (who, style) = match e.kind {
        MessageKind::Inbound => (text::clean_line(&e.author), Style::new()),
        MessageKind::Outbound => (
            text::clean_line(&format!("↳ {}", e.author)),
            Style::new().fg(Color::Gray),
        ),
        MessageKind::Note => (
            text::clean_line(&format!("note {}", e.author)),
            Style::new().fg(Color::Yellow),
        ),
    };
    let lead = format!(
        "{}{} {time} ",
        if here { "▶" } else { " " },
        channel_label(e.channel)
    );
    let who = text::truncate(&who, 16).to_string();
    let rest = width.saturating_sub(text::width(&lead) + text::width(&who) + 2);
    let body = text::clean_line(&e.text);
    let mut spans = vec![
        Span::raw(if here { "▶" } else { " " }.to_owned()),
        Span::styled(
            channel_label(e.channel),
            Style::new().fg(channel_color(e.channel)),
        ),
        Span::styled(format!(" {time} "), Style::new().fg(Color::DarkGray)),
        Span::styled(who, style.add_modifier(Modifier::BOLD)),
        Span::styled(format!(": {}", text::truncate(&body, rest)), style),
    ];
    if selected {
        for s in &mut spans {
            s.style = s.style.add_modifier(Modifier::REVERSED);
        }
    }
    Line::from(spans)
}
