//! The status line (who, availability, counts, the oldest wait, each channel account's
//! health, the dead letters) and the command line row.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::{ago, health};
use crate::model::Availability;
use crate::presence::{AgentPresence, ChatState};
use crate::tui::app::App;
use crate::tui::text;

/// One part of the status line: its texts, widest first, and how soon it makes way on
/// a narrow terminal (a higher `drop` goes first: it shrinks to its next text, then
/// goes, unless it is `kept`).
struct Segment {
    texts: Vec<Vec<Span<'static>>>,
    drop: u8,
    kept: bool,
    /// Only means something after the segment before it (an error's detail).
    follows: bool,
}

impl Segment {
    fn new(drop: u8, texts: Vec<Vec<Span<'static>>>) -> Segment {
        Segment {
            texts,
            drop,
            kept: false,
            follows: false,
        }
    }
}

/// Make-way order, first to go first: healthy accounts, the detail of a backoff error
/// (cut, then dropped), the counts (which shrink to short names), the dead-letter count,
/// stale accounts, backing-off accounts, failed logins, the oldest wait, the unanswered
/// count, the availability. The name and a pending key sequence stay.
const DROP_HEALTHY: u8 = 10;
const DROP_ERROR_DETAIL: u8 = 9;
const DROP_COUNTS: u8 = 8;
const DROP_DEAD_LETTERS: u8 = 7;
const DROP_STALE: u8 = 6;
const DROP_BACKOFF: u8 = 5;
const DROP_AUTH: u8 = 4;
const DROP_OLDEST: u8 = 3;
const DROP_UNANSWERED: u8 = 2;
const DROP_AVAILABILITY: u8 = 1;
/// The chat's state shrinks and goes with the unanswered count's rank, before the
/// agent's own availability.
const DROP_CHAT: u8 = 2;

/// Draws the status line.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    let segments = segments(app, area.width);
    let choice = fit(&segments, usize::from(area.width));
    let spans: Vec<Span<'static>> = segments
        .into_iter()
        .zip(choice)
        .filter_map(|(s, c)| c.and_then(|c| s.texts.into_iter().nth(c)))
        .flatten()
        .collect();
    buf.set_style(area, Style::new().bg(Color::Indexed(236)));
    Line::from(spans).render(area, buf);
}

fn segments(app: &App, width: u16) -> Vec<Segment> {
    let (dot, color) = match (app.availability, app.presence.me) {
        // Toggled available, but nobody touched this TUI for `idle_minutes`: visitors
        // are not promised this agent, and the agent should see why.
        (Availability::Available, Some(AgentPresence::Idle)) => ("◐ away (idle)", Color::Yellow),
        (Availability::Available, _) => ("● available", Color::Green),
        (Availability::Away, _) => ("◐ away", Color::Yellow),
        (Availability::Offline, _) => ("○ offline", Color::DarkGray),
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
    ];
    if let Some(chat) = &app.presence.chat {
        segments.push(Segment::new(DROP_CHAT, chat_texts(chat)));
    }
    segments.extend([
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
    ]);
    if let Some(oldest) = s.oldest_waiting {
        // Past its channel's first-response target, the oldest wait is an alarm; the
        // count of overdue conversations follows it.
        let channel = app.teamwork.waiting.oldest.map(|(c, _)| c);
        let late = channel.is_some_and(|c| app.overdue(c, Some(oldest)));
        let style = if late {
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().fg(Color::Yellow)
        };
        let overdue = app.teamwork.waiting.overdue;
        let mut texts = Vec::new();
        if overdue > 0 {
            texts.push(vec![
                Span::raw(" · "),
                Span::styled(format!("oldest {}", ago(app.now, oldest)), style),
                Span::styled(
                    format!(" · {overdue} overdue"),
                    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                ),
            ]);
        }
        texts.push(vec![
            Span::raw(" · "),
            Span::styled(format!("oldest {}", ago(app.now, oldest)), style),
        ]);
        segments.push(Segment::new(DROP_OLDEST, texts));
    }
    for label in health::labels(&app.health, app.now, &app.tz) {
        let drop = match label.kind {
            health::Kind::Healthy => DROP_HEALTHY,
            health::Kind::Stale => DROP_STALE,
            health::Kind::Backoff => DROP_BACKOFF,
            health::Kind::AuthFailed => DROP_AUTH,
        };
        let texts = label
            .texts
            .into_iter()
            .map(|t| vec![Span::raw(" │ "), Span::styled(t, label.style)])
            .collect();
        segments.push(Segment::new(drop, texts));
        if !label.detail.is_empty() {
            let texts = label
                .detail
                .into_iter()
                .map(|t| vec![Span::styled(t, label.style)])
                .collect();
            segments.push(Segment {
                follows: true,
                ..Segment::new(DROP_ERROR_DETAIL, texts)
            });
        }
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

/// `chat: live · 2 agents` or `chat: messages only`, widest first.
fn chat_texts(chat: &ChatState) -> Vec<Vec<Span<'static>>> {
    let sep = || Span::raw(" │ ");
    if chat.live {
        let style = Style::new().fg(Color::Green);
        let who = match chat.agents {
            // Live only by the grace period: the last agent just left.
            0 => "grace period".to_owned(),
            1 => "1 agent".to_owned(),
            n => format!("{n} agents"),
        };
        vec![
            vec![sep(), Span::styled(format!("chat: live · {who}"), style)],
            vec![
                sep(),
                Span::styled(format!("chat live·{}", chat.agents), style),
            ],
        ]
    } else {
        let style = Style::new().fg(Color::Yellow);
        vec![
            vec![sep(), Span::styled("chat: messages only", style)],
            vec![sep(), Span::styled("chat off", style)],
        ]
    }
}

/// Which text of each segment is shown (`None`: none). Segments that make way first
/// shrink, then go, until the line fits; then the cut ones get back their widest text
/// that fits, most important first, where a later, bigger cut freed room.
fn fit(segments: &[Segment], width: usize) -> Vec<Option<usize>> {
    let cols = |i: usize, c: usize| -> usize {
        segments[i].texts[c]
            .iter()
            .map(|s| text::width(&s.content))
            .sum()
    };
    let total = |choice: &[Option<usize>]| -> usize {
        choice
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| cols(i, c)))
            .sum()
    };
    let mut choice: Vec<Option<usize>> = segments
        .iter()
        .map(|s| (!s.texts.is_empty()).then_some(0))
        .collect();
    let mut cut = Vec::new();
    while total(&choice) > width {
        // The last of the first-to-go, so the right end of the line gives way first.
        let Some((i, c)) = choice
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| (i, c)))
            .filter(|&(i, c)| {
                let s = &segments[i];
                s.drop > 0 && (c + 1 < s.texts.len() || !s.kept)
            })
            .max_by_key(|&(i, _)| (segments[i].drop, i))
        else {
            break;
        };
        choice[i] = (c + 1 < segments[i].texts.len()).then_some(c + 1);
        if !cut.contains(&i) {
            cut.push(i);
        }
    }
    cut.sort_by_key(|&i| (segments[i].drop, i));
    for i in cut {
        if segments[i].follows && (i == 0 || choice[i - 1].is_none()) {
            continue;
        }
        let now = choice[i];
        for c in 0..now.unwrap_or(segments[i].texts.len()) {
            choice[i] = Some(c);
            if total(&choice) <= width {
                break;
            }
            choice[i] = now;
        }
    }
    choice
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
