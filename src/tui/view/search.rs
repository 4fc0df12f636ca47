//! The search overlay: the query line, a line for errors and counts, then customers
//! (name, handles, their newest conversation's channel and time) and messages (channel,
//! date, customer, snippet), the matches highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Widget};

use super::{channel_color, channel_label, clock, inner};
use crate::model::MessageKind;
use crate::store::Snippet;
use crate::tui::app::{App, SearchState};
use crate::tui::text;

/// The filters, shown while the query is empty.
const HINT: &str = "words  \"a phrase\"  from:name|email  channel:email  status:open  before:2026-11-01  after:7d  is:note";

/// The overlay's frame: most of the screen, like help.
fn popup(area: Rect) -> Rect {
    let w = (area.width * 9 / 10).max(area.width.min(20));
    let h = (area.height * 9 / 10).max(area.height.min(5));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Draws the overlay when search is open.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(s) = &app.search.overlay else {
        return;
    };
    let popup = popup(area);
    Clear.render(popup, buf);
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(Color::Cyan))
        .title(" Search · Enter opens · Esc closes ")
        .render(popup, buf);
    let inner = inner(popup);
    if inner.height == 0 || inner.width == 0 {
        return;
    }
    let query = text::clean_line(&s.input.text());
    let prompt = Line::from(vec![
        Span::styled("/ ", Style::new().fg(Color::Cyan)),
        Span::raw(query.as_str().to_owned()),
    ]);
    buf.set_line(inner.x, inner.y, &prompt, inner.width);
    if inner.height < 2 {
        return;
    }
    buf.set_line(inner.x, inner.y + 1, &status_line(s), inner.width);
    let list = Rect::new(
        inner.x,
        inner.y + 2,
        inner.width,
        inner.height.saturating_sub(2),
    );
    draw_results(app, s, list, buf);
}

/// An error, "searching…", the counts, or the hint.
fn status_line(s: &SearchState) -> Line<'static> {
    let dim = Style::new().fg(Color::DarkGray);
    if let Some(e) = &s.error {
        return Line::styled(
            text::clean_line(e).into_string(),
            Style::new().fg(Color::Red),
        );
    }
    if s.input.text().trim().is_empty() {
        return Line::styled(HINT, dim);
    }
    if s.is_stale() {
        return Line::styled("searching…", dim);
    }
    let (c, m) = (s.results.customers.len(), s.results.messages.len());
    if c + m == 0 {
        return Line::styled("nothing found", dim);
    }
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    Line::styled(
        format!(
            "{} · {}, best first",
            plural(c, "customer"),
            plural(m, "message")
        ),
        dim,
    )
}

/// The rows, scrolled so the selected one shows.
fn draw_results(app: &App, s: &SearchState, area: Rect, buf: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    let header = Style::new()
        .fg(Color::DarkGray)
        .add_modifier(Modifier::BOLD);
    // (line, index of the result it shows, if any)
    let mut lines: Vec<(Line<'static>, Option<usize>)> = Vec::new();
    if !s.results.customers.is_empty() {
        lines.push((Line::styled("Customers", header), None));
        for (i, c) in s.results.customers.iter().enumerate() {
            let mut spans = vec![Span::raw("  ")];
            match &c.name {
                Some(name) => spans.extend(snippet_spans(
                    name,
                    Style::new().add_modifier(Modifier::BOLD),
                )),
                None => spans.push(Span::styled("(no name)", Style::new().fg(Color::DarkGray))),
            }
            for h in &c.handles {
                spans.push(Span::styled("  ", Style::new()));
                spans.extend(snippet_spans(h, Style::new().fg(Color::Gray)));
            }
            if let Some(note) = &c.note {
                spans.push(Span::styled("  note: ", Style::new().fg(Color::Yellow)));
                spans.extend(snippet_spans(note, Style::new()));
            }
            if let (Some(channel), Some(t)) = (c.channel, c.last_contact) {
                spans.push(Span::raw("  "));
                spans.push(Span::styled(
                    channel_label(channel).trim_end().to_owned(),
                    Style::new().fg(channel_color(channel)),
                ));
                spans.push(Span::styled(
                    format!(" {}", clock(app.now, t, &app.tz)),
                    Style::new().fg(Color::DarkGray),
                ));
            }
            lines.push((Line::from(spans), Some(i)));
        }
    }
    if !s.results.messages.is_empty() {
        lines.push((Line::styled("Messages", header), None));
        let offset = s.results.customers.len();
        for (i, h) in s.results.messages.iter().enumerate() {
            let mut spans = vec![
                Span::styled(
                    channel_label(h.channel).to_owned(),
                    Style::new().fg(channel_color(h.channel)),
                ),
                Span::styled(
                    format!(" {:>16} ", clock(app.now, h.sent_at, &app.tz)),
                    Style::new().fg(Color::DarkGray),
                ),
            ];
            let who = match h.kind {
                MessageKind::Inbound => h.customer_name.clone().unwrap_or_else(|| h.author.clone()),
                MessageKind::Outbound => format!(
                    "{} → {}",
                    h.author,
                    h.customer_name.clone().unwrap_or_default()
                ),
                MessageKind::Note => format!("note by {}", h.author),
            };
            let who_style = if h.kind == MessageKind::Note {
                Style::new().fg(Color::Yellow)
            } else {
                Style::new().add_modifier(Modifier::BOLD)
            };
            let who = text::truncate(&text::clean_line(&who), 24);
            spans.push(Span::styled(format!("{:<24} ", who.as_str()), who_style));
            spans.extend(snippet_spans(&h.snippet, Style::new()));
            lines.push((Line::from(spans), Some(offset + i)));
        }
    }
    let selected_line = lines
        .iter()
        .position(|(_, i)| *i == Some(s.selected))
        .unwrap_or(0);
    let height = usize::from(area.height);
    let top = selected_line.saturating_sub(height.saturating_sub(1));
    for (row, (line, index)) in lines.iter().skip(top).take(height).enumerate() {
        let y = area.y + u16::try_from(row).unwrap_or(u16::MAX);
        buf.set_line(area.x, y, line, area.width);
        if *index == Some(s.selected) {
            buf.set_style(
                Rect::new(area.x, y, area.width, 1),
                Style::new().bg(Color::DarkGray),
            );
        }
    }
}

/// A snippet's parts as spans, the matches highlighted; each part made safe for the
/// terminal and kept on one line, with the spaces at its ends kept.
fn snippet_spans(s: &Snippet, base: Style) -> Vec<Span<'static>> {
    let hit = base
        .fg(Color::Yellow)
        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    s.parts
        .iter()
        .map(|(part, matched)| {
            let clean = text::clean_line(part);
            let lead = if part.starts_with(char::is_whitespace) {
                " "
            } else {
                ""
            };
            let trail = if part.ends_with(char::is_whitespace) && !clean.is_empty() {
                " "
            } else {
                ""
            };
            Span::styled(
                format!("{lead}{}{trail}", clean.as_str()),
                if *matched { hit } else { base },
            )
        })
        .collect()
}

/// Where the terminal cursor goes while search is open: in the query line.
#[must_use]
pub fn cursor(app: &App, area: Rect) -> Option<Position> {
    let s = app.search.overlay.as_ref()?;
    let inner = inner(popup(area));
    let (_, col) = s.input.cursor();
    let text = s.input.text();
    let before = text.get(..col.min(text.len())).unwrap_or("");
    let x = 2 + text::width(text::clean_line(before).as_str());
    let x = u16::try_from(x).ok()?;
    (x < inner.width && inner.height > 0).then(|| Position::new(inner.x + x, inner.y))
}
