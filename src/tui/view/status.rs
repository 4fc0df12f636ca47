//! The status line (who, availability, counts, the oldest wait) and the command line row.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::ago;
use crate::model::Availability;
use crate::tui::app::App;
use crate::tui::text;

/// Draws the status line.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    let (dot, color) = match app.availability {
        Availability::Available => ("● available", Color::Green),
        Availability::Away => ("◐ away", Color::Yellow),
        Availability::Offline => ("○ offline", Color::DarkGray),
    };
    let s = &app.stats;
    // Under 100 columns the figures take their short names, so the oldest wait (the
    // figure that matters most) still fits.
    let short = area.width < 100;
    let counts = if short {
        format!(
            " │ {} open · {} pend · {} snz │ ",
            s.open, s.pending, s.snoozed
        )
    } else {
        format!(
            " │ open {} · pending {} · snoozed {} │ ",
            s.open, s.pending, s.snoozed
        )
    };
    let mut spans = vec![
        Span::styled(
            format!(" {} ", text::clean_line(&app.my_name)),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Span::styled(dot, Style::new().fg(color)),
        Span::raw(counts),
        Span::styled(
            format!("{} unanswered", s.unanswered),
            Style::new().fg(if s.unanswered > 0 {
                Color::Red
            } else {
                Color::Green
            }),
        ),
    ];
    if let Some(oldest) = s.oldest_waiting {
        spans.push(Span::styled(
            format!(" · oldest {}", ago(app.now, oldest)),
            Style::new().fg(Color::Red),
        ));
    }
    let mut pending: String = app.pending.iter().map(ToString::to_string).collect();
    if let Some(n) = app.count {
        pending.insert_str(0, &n.to_string());
    }
    if !pending.is_empty() {
        spans.push(Span::styled(
            format!("  {pending}…"),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ));
    }
    buf.set_style(area, Style::new().bg(Color::Indexed(236)));
    Line::from(spans).render(area, buf);
}

/// Draws the command line, a confirmation question, or the last message.
pub fn draw_cmdline(app: &App, area: Rect, buf: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    let line = if let Some(cmd) = &app.cmdline {
        Line::from(vec![
            Span::raw(":"),
            Span::raw(text::clean_line(&cmd.text()).to_string()),
        ])
    } else if let Some(confirm) = app.confirm {
        Line::styled(
            confirm.question(),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        )
    } else if let Some(flash) = &app.flash {
        let style = if flash.error {
            Style::new().fg(Color::Red)
        } else {
            Style::new().fg(Color::Green)
        };
        Line::styled(text::clean_line(&flash.text).to_string(), style)
    } else {
        Line::styled(
            "? keys · : command · q quit",
            Style::new().fg(Color::DarkGray),
        )
    };
    line.render(area, buf);
}
