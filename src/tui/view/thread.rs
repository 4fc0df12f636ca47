//! The open conversation: every message with its author, channel, time in the agent's
//! zone and, for replies, where delivery stands. Quoted email text is folded. The title
//! carries the assignee and the labels; the last lines say which other agents have the
//! conversation open and who is writing a reply ("Camille is replying…").

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{channel_color, clock, inner, pane_block, pane_title};
use crate::model::{Delivery, Message, MessageKind, Status};
use crate::tui::action::Pane;
use crate::tui::app::App;
use crate::tui::text;

/// Draws the thread pane.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer, focused: bool, columns: u8) {
    let Some(c) = &app.thread.conversation else {
        pane_block(pane_title("Thread", Pane::Thread, columns), focused).render(area, buf);
        let inner = inner(area);
        Line::styled(
            "No conversation selected.",
            Style::new().fg(Color::DarkGray),
        )
        .render(inner, buf);
        return;
    };
    let name = c.customer_name.as_deref().unwrap_or(&c.peer);
    let status = match c.status {
        Status::Open => "open".to_owned(),
        Status::Pending => "pending".to_owned(),
        Status::Resolved => "resolved".to_owned(),
        Status::Snoozed { until } => format!("snoozed until {}", clock(app.now, until, &app.tz)),
    };
    let mut title = format!(
        "{} · {} {} · {status}",
        text::clean_line(name),
        c.channel,
        text::clean_line(&c.account)
    );
    if let Some(name) = c.assignee.and_then(|a| app.agent_name(a)) {
        title = format!("{title} · → {}", text::clean_line(name));
    }
    for label in &c.labels {
        title = format!("{title} #{}", text::clean_line(label));
    }
    if let Some(subject) = &c.subject {
        title = format!("{title} · {}", text::clean_line(subject));
    }
    let title = text::truncate(
        &text::clean_line(&title),
        usize::from(area.width.saturating_sub(30)).max(8),
    );
    pane_block(pane_title(title.as_str(), Pane::Thread, columns), focused).render(area, buf);
    let inner = inner(area);
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    let mut lines = lines(app, &app.thread.messages, usize::from(inner.width));
    lines.extend(others(app, c.id));
    let height = usize::from(inner.height);
    let max_scroll = lines.len().saturating_sub(height);
    let scroll = app.thread.scroll_from_bottom.min(max_scroll);
    let start = lines.len().saturating_sub(height + scroll);
    for (i, line) in lines.into_iter().skip(start).take(height).enumerate() {
        let y = inner.y + u16::try_from(i).unwrap_or(0);
        line.render(Rect::new(inner.x, y, inner.width, 1), buf);
    }
}

/// Every line of the thread at this width, oldest message first.
fn lines(app: &App, messages: &[Message], width: usize) -> Vec<Line<'static>> {
    let mut out: Vec<Line<'static>> = Vec::new();
    // Attachments are numbered through the whole thread, as `:save N` counts them.
    let mut number = 0usize;
    for m in messages {
        if !out.is_empty() {
            out.push(Line::raw(""));
        }
        out.push(header(app, m));
        let body_style = match m.kind {
            MessageKind::Note => Style::new().fg(Color::Yellow),
            _ => Style::new(),
        };
        let cleaned = text::clean(&m.body);
        let mut quoted: Vec<&str> = Vec::new();
        let flush = |quoted: &mut Vec<&str>, out: &mut Vec<Line<'static>>| {
            if quoted.is_empty() {
                return;
            }
            if app.thread.show_quotes {
                for q in quoted.iter() {
                    for w in text::wrap(&text::clean(q), width) {
                        out.push(Line::styled(
                            w.to_string(),
                            Style::new().fg(Color::DarkGray),
                        ));
                    }
                }
            } else {
                out.push(Line::styled(
                    format!(
                        "┆ {} quoted line{} (t shows them)",
                        quoted.len(),
                        if quoted.len() == 1 { "" } else { "s" }
                    ),
                    Style::new()
                        .fg(Color::DarkGray)
                        .add_modifier(Modifier::ITALIC),
                ));
            }
            quoted.clear();
        };
        for raw in cleaned.as_str().lines() {
            if raw.trim_start().starts_with('>') {
                quoted.push(raw);
                continue;
            }
            flush(&mut quoted, &mut out);
            for w in text::wrap(&text::clean(raw), width) {
                out.push(Line::styled(w.to_string(), body_style));
            }
        }
        flush(&mut quoted, &mut out);
        for a in &m.attachments {
            number += 1;
            let name = text::truncate(&text::clean_line(&a.name), width.saturating_sub(28));
            out.push(Line::styled(
                format!(
                    "📎 {number} {name} ({}, {})",
                    text::clean_line(&a.mime),
                    size(a.size)
                ),
                Style::new().fg(Color::Cyan),
            ));
        }
    }
    out
}

fn header(app: &App, m: &Message) -> Line<'static> {
    let when = clock(app.now, m.sent_at, &app.tz);
    let author = text::truncate(&text::clean_line(&m.author), 30).to_string();
    let channel = app.thread.conversation.as_ref().map(|c| c.channel);
    let mut spans = match m.kind {
        MessageKind::Inbound => vec![
            Span::styled("▸ ", Style::new().fg(Color::Cyan)),
            Span::styled(
                author,
                Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            ),
        ],
        MessageKind::Outbound => vec![
            Span::styled("◂ ", Style::new().fg(Color::Green)),
            Span::styled(
                author,
                Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
            ),
        ],
        MessageKind::Note => vec![
            Span::styled("✎ note · ", Style::new().fg(Color::Yellow)),
            Span::styled(
                author,
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ),
        ],
    };
    if let Some(ch) = channel {
        spans.push(Span::styled(
            format!(" · {ch}"),
            Style::new().fg(channel_color(ch)),
        ));
    }
    spans.push(Span::styled(
        format!(" · {when}"),
        Style::new().fg(Color::DarkGray),
    ));
    if m.automated {
        spans.push(Span::styled(
            " · automatic",
            Style::new().fg(Color::DarkGray),
        ));
    }
    match &m.delivery {
        Some(Delivery::Queued { attempts: 0, .. }) => {
            spans.push(Span::styled(" · queued", Style::new().fg(Color::Yellow)));
        }
        Some(Delivery::Queued {
            attempts,
            last_error,
        }) => spans.push(Span::styled(
            format!(
                " · retrying (attempt {attempts} failed: {})",
                text::clean_line(last_error.as_deref().unwrap_or("unknown"))
            ),
            Style::new().fg(Color::Yellow),
        )),
        Some(Delivery::Sending { .. }) => {
            spans.push(Span::styled(" · sending…", Style::new().fg(Color::Yellow)))
        }
        Some(Delivery::Sent { .. }) => {
            spans.push(Span::styled(" · ✓ sent", Style::new().fg(Color::Green)))
        }
        Some(Delivery::Failed { reason }) => spans.push(Span::styled(
            format!(" · ✗ failed: {} (R retries)", text::clean_line(reason)),
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        )),
        None => {}
    }
    Line::from(spans)
}

/// A size in the unit that reads best.
fn size(bytes: u64) -> String {
    crate::tui::files::human_size(bytes)
}

/// "Camille is replying…" and "Karim is viewing", under the newest message.
fn others(app: &App, id: crate::model::ConversationId) -> Vec<Line<'static>> {
    let markers = app.markers(id);
    if markers.is_empty() {
        return Vec::new();
    }
    let names = |replying: bool| -> Vec<String> {
        markers
            .iter()
            .filter(|m| m.replying == replying)
            .map(|m| text::clean_line(&m.name).to_string())
            .collect()
    };
    let mut out = vec![Line::raw("")];
    let writing = names(true);
    if !writing.is_empty() {
        let verb = if writing.len() == 1 { "is" } else { "are" };
        out.push(Line::styled(
            format!("✎ {} {verb} replying…", writing.join(", ")),
            Style::new()
                .fg(Color::Magenta)
                .add_modifier(Modifier::BOLD | Modifier::ITALIC),
        ));
    }
    let viewing = names(false);
    if !viewing.is_empty() {
        let verb = if viewing.len() == 1 { "is" } else { "are" };
        out.push(Line::styled(
            format!("👁 {} {verb} viewing", viewing.join(", ")),
            Style::new().fg(Color::Blue).add_modifier(Modifier::ITALIC),
        ));
    }
    out
}
