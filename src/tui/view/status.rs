//! The status line (who, availability, counts, the oldest wait, each channel account's
//! health, the dead letters) and the command line row.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{ago, health};
use crate::model::Availability;
use crate::tui::app::App;
use crate::tui::text;

/// One part of the status line: its texts, widest first, and how soon it makes way on
/// a narrow terminal (a higher `drop` goes first: it shrinks to its next text, then
/// goes, unless it is `kept`).
struct Segment {
    texts: Vec<Vec<Span<'static>>>,
    drop: u8,
    kept: bool,
}

impl Segment {
    fn new(drop: u8, texts: Vec<Vec<Span<'static>>>) -> Segment {
        Segment {
            texts,
            drop,
            kept: false,
        }
    }
}

/// Make-way order, first to go first: healthy accounts, the counts (which shrink to
/// short names), the dead-letter count, account problems, the oldest wait, the
/// unanswered count, the availability. The name and a pending key sequence stay.
const DROP_HEALTHY: u8 = 7;
const DROP_COUNTS: u8 = 6;
const DROP_DEAD_LETTERS: u8 = 5;
const DROP_PROBLEM: u8 = 4;
const DROP_OLDEST: u8 = 3;
const DROP_UNANSWERED: u8 = 2;
const DROP_AVAILABILITY: u8 = 1;

/// Draws the status line.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    let mut segments = segments(app, area.width);
    fit(&mut segments, usize::from(area.width));
    let spans: Vec<Span<'static>> = segments
        .into_iter()
        .filter_map(|s| s.texts.into_iter().next())
        .flatten()
        .collect();
    buf.set_style(area, Style::new().bg(Color::Indexed(236)));
    Line::from(spans).render(area, buf);
}

fn segments(app: &App, width: u16) -> Vec<Segment> {
    let (dot, color) = match app.availability {
        Availability::Available => ("● available", Color::Green),
        Availability::Away => ("◐ away", Color::Yellow),
        Availability::Offline => ("○ offline", Color::DarkGray),
    };
    let s = &app.stats;
    let short = format!(
        " │ {} open · {} pend · {} snz │ ",
        s.open, s.pending, s.snoozed
    );
    let mut counts = Vec::new();
    // Under 100 columns the figures take their short names at once, so the oldest wait
    // (the figure that matters most) still fits.
    if width >= 100 {
        counts.push(vec![Span::raw(format!(
            " │ open {} · pending {} · snoozed {} │ ",
            s.open, s.pending, s.snoozed
        ))]);
    }
    counts.push(vec![Span::raw(short)]);
    counts.push(vec![Span::raw(" │ ")]);
    let mut segments = vec![
        Segment {
            kept: true,
            ..Segment::new(
                0,
                vec![vec![Span::styled(
                    format!(" {} ", text::clean_line(&app.my_name)),
                    Style::new().add_modifier(Modifier::BOLD),
                )]],
            )
        },
        Segment::new(
            DROP_AVAILABILITY,
            vec![vec![Span::styled(dot, Style::new().fg(color))]],
        ),
        Segment {
            kept: true,
            ..Segment::new(DROP_COUNTS, counts)
        },
        Segment::new(
            DROP_UNANSWERED,
            vec![vec![Span::styled(
                format!("{} unanswered", s.unanswered),
                Style::new().fg(if s.unanswered > 0 {
                    Color::Red
                } else {
                    Color::Green
                }),
            )]],
        ),
    ];
    if let Some(oldest) = s.oldest_waiting {
        segments.push(Segment::new(
            DROP_OLDEST,
            vec![vec![Span::styled(
                format!(" · oldest {}", ago(app.now, oldest)),
                Style::new().fg(Color::Red),
            )]],
        ));
    }
    for label in health::labels(&app.health, app.now, &app.tz) {
        let drop = if label.problem {
            DROP_PROBLEM
        } else {
            DROP_HEALTHY
        };
        let texts = label
            .texts
            .into_iter()
            .map(|t| vec![Span::raw(" │ "), Span::styled(t, label.style)])
            .collect();
        segments.push(Segment::new(drop, texts));
    }
    if app.dead_letter_count > 0 {
        let n = app.dead_letter_count;
        let style = Style::new().fg(Color::Magenta);
        segments.push(Segment::new(
            DROP_DEAD_LETTERS,
            vec![
                vec![
                    Span::raw(" │ "),
                    Span::styled(
                        format!("{n} dead letter{}", if n == 1 { "" } else { "s" }),
                        style,
                    ),
                ],
                vec![Span::raw(" │ "), Span::styled(format!("{n} dead"), style)],
            ],
        ));
    }
    let mut pending: String = app.pending.iter().map(ToString::to_string).collect();
    if let Some(n) = app.count {
        pending.insert_str(0, &n.to_string());
    }
    if !pending.is_empty() {
        segments.push(Segment {
            kept: true,
            ..Segment::new(
                0,
                vec![vec![Span::styled(
                    format!("  {}…", text::clean_line(&pending)),
                    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                )]],
            )
        });
    }
    segments
}

/// Shrinks, then removes, the segments that make way first until the line fits.
fn fit(segments: &mut Vec<Segment>, width: usize) {
    let span_width =
        |spans: &[Span<'_>]| -> usize { spans.iter().map(|s| text::width(&s.content)).sum() };
    loop {
        let total: usize = segments
            .iter()
            .filter_map(|s| s.texts.first())
            .map(|t| span_width(t))
            .sum();
        if total <= width {
            return;
        }
        // The last of the first-to-go, so the right end of the line gives way first.
        let Some(i) = segments
            .iter()
            .enumerate()
            .filter(|(_, s)| s.drop > 0 && (s.texts.len() > 1 || !s.kept))
            .max_by_key(|(i, s)| (s.drop, *i))
            .map(|(i, _)| i)
        else {
            return;
        };
        if segments[i].texts.len() > 1 {
            segments[i].texts.remove(0);
        } else {
            segments.remove(i);
        }
    }
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
