//! The queue: one row per conversation, longest waiting first. A row shows its labels,
//! which other agents have it open or are replying to it (`✎ Camille`, `👁 Karim`), and
//! its wait in white on red once past the channel's first-response target.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{ago, channel_color, channel_label, inner, pane_block, pane_title};
use crate::model::{Conversation, Status, StatusName};
use crate::tui::action::Pane;
use crate::tui::app::App;
use crate::tui::text;

/// Draws the queue pane.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer, focused: bool, columns: u8) {
    let f = &app.queue.filter;
    let mut what: Vec<String> = Vec::new();
    what.push(if f.statuses.is_empty() {
        "all".to_owned()
    } else {
        f.statuses
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("+")
    });
    if let Some(c) = f.channel {
        what.push(c.as_str().to_owned());
    }
    if app.queue.mine {
        what.push("mine".to_owned());
    }
    if f.unanswered {
        what.push("unanswered".to_owned());
    }
    if let Some(label) = &f.label {
        what.push(format!("#{}", text::clean_line(label)));
    }
    if app.teamwork.overdue_only {
        what.push("overdue".to_owned());
    }
    let title = pane_title(
        &format!("Queue · {} · {}", what.join(" · "), app.queue.items.len()),
        Pane::Queue,
        columns,
    );
    pane_block(title, focused).render(area, buf);
    let inner = inner(area);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    if app.queue.items.is_empty() {
        Paragraph::new(Line::styled(
            "Nothing here. f c clears the filters.",
            Style::new().fg(Color::DarkGray),
        ))
        .render(inner, buf);
        return;
    }
    let top = app.queue_top(area.height);
    let width = usize::from(inner.width);
    let name_width = (width / 4).clamp(6, 22);
    for (i, c) in app
        .queue
        .items
        .iter()
        .enumerate()
        .skip(top)
        .take(usize::from(inner.height))
    {
        let selected = i == app.queue.selected;
        let waiting = c.waiting_since.is_some();
        let mark = match (waiting, c.status) {
            (true, _) => Span::styled("● ", Style::new().fg(Color::Red)),
            (false, Status::Snoozed { .. }) => Span::styled("z ", Style::new().fg(Color::DarkGray)),
            (false, Status::Resolved) => Span::styled("✓ ", Style::new().fg(Color::DarkGray)),
            (false, Status::Pending) => Span::styled("… ", Style::new().fg(Color::DarkGray)),
            _ => Span::raw("  "),
        };
        let overdue = app.overdue(c.channel, c.waiting_since);
        let age = ago(app.now, c.waiting_since.unwrap_or(c.last_message_at));
        let age = if overdue { format!("!{age}") } else { age };
        let name = c.customer_name.as_deref().unwrap_or(&c.peer);
        let name = text::truncate(&text::clean_line(name), name_width);
        let name_pad = name_width.saturating_sub(text::width(name.as_str()));
        let tags = extras(app, c, width / 3);
        let tags_width: usize = tags.iter().map(|s| text::width(&s.content)).sum();
        let used = 2 + 6 + name_width + 1 + 1 + age.len() + tags_width;
        let preview = match (&c.subject, c.channel) {
            (Some(s), crate::model::Channel::Email) if !s.is_empty() => {
                format!("{s} — {}", c.preview)
            }
            _ => c.preview.clone(),
        };
        let preview = text::truncate(&text::clean_line(&preview), width.saturating_sub(used));
        let gap = width.saturating_sub(used + text::width(preview.as_str()) - 1);
        let mut row = vec![
            mark,
            Span::styled(
                channel_label(c.channel),
                Style::new().fg(channel_color(c.channel)),
            ),
            Span::raw(" "),
            Span::styled(name.to_string(), Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(" ".repeat(name_pad + 1)),
            Span::styled(
                preview.to_string(),
                if c.status.name() == StatusName::Resolved {
                    Style::new().fg(Color::DarkGray)
                } else {
                    Style::new()
                },
            ),
            Span::raw(" ".repeat(gap.max(1))),
        ];
        row.extend(tags);
        row.push(Span::styled(
            age,
            if overdue {
                Style::new()
                    .fg(Color::White)
                    .bg(Color::Red)
                    .add_modifier(Modifier::BOLD)
            } else {
                Style::new().fg(if waiting { Color::Red } else { Color::DarkGray })
            },
        ));
        if selected {
            for span in &mut row {
                span.style = span.style.add_modifier(Modifier::REVERSED);
            }
        }
        let y = inner.y + u16::try_from(i - top).unwrap_or(0);
        Line::from(row).render(Rect::new(inner.x, y, inner.width, 1), buf);
    }
}

/// The labels and the other agents' markers of a row, at most `room` columns wide: the
/// markers first (who is replying matters most), then as many labels as fit.
fn extras(app: &App, c: &Conversation, room: usize) -> Vec<Span<'static>> {
    let mut out: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    let mut push = |out: &mut Vec<Span<'static>>, text: String, style: Style| -> bool {
        let w = text::width(&text) + 1;
        if used + w > room {
            return false;
        }
        used += w;
        out.push(Span::styled(text, style));
        out.push(Span::raw(" "));
        true
    };
    for m in app.markers(c.id) {
        let name = text::truncate(&text::clean_line(&m.name), 12).to_string();
        let (mark, style) = if m.replying {
            (
                "✎",
                Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
            )
        } else {
            ("👁", Style::new().fg(Color::Blue))
        };
        if !push(&mut out, format!("{mark} {name}"), style) {
            break;
        }
    }
    for label in &c.labels {
        let label = text::truncate(&text::clean_line(label), 16).to_string();
        if !push(
            &mut out,
            format!("#{label}"),
            Style::new().fg(Color::Magenta),
        ) {
            break;
        }
    }
    out
}
