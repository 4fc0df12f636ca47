//! The report overlay: the period's totals on one line, a bar chart of the first-response
//! median per channel, the conversations of each day as a sparkline, and one line per
//! agent. The figures are those of `comptoir report` (`crate::report`).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, Block, BorderType, Borders, Clear, Sparkline, Widget};

use super::inner;
use crate::report::{Figures, Report, human_duration};
use crate::tui::app::App;
use crate::tui::app::REPORT_PERIODS as PERIODS;
use crate::tui::text;

/// Draws the overlay over `area` (the whole screen).
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(view) = &app.report else {
        return;
    };
    let w = (area.width * 19 / 20).max(area.width.min(20));
    let h = (area.height * 9 / 10).max(area.height.min(5));
    let popup = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    Clear.render(popup, buf);
    let periods = PERIODS
        .iter()
        .enumerate()
        .map(|(i, d)| {
            if *d == view.days {
                format!("[{} {d}d]", i + 1)
            } else {
                format!("{} {d}d", i + 1)
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    let title = format!("Report · last {} days · {periods} · Esc closes", view.days);
    let title = text::truncate(&text::clean_line(&title), usize::from(w.saturating_sub(4)));
    Block::new()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(Style::new().fg(Color::Cyan))
        .title(format!(" {title} "))
        .render(popup, buf);
    let area = inner(popup);
    if area.height == 0 || area.width == 0 {
        return;
    }
    let Some(report) = &view.report else {
        Line::styled("Computing…", Style::new().fg(Color::DarkGray)).render(area, buf);
        return;
    };
    draw_report(report, area, buf);
}

/// The report itself, in the overlay's inner area.
fn draw_report(report: &Report, area: Rect, buf: &mut Buffer) {
    let mut y = area.y;
    let bottom = area.y + area.height;
    let line = |l: Line<'_>, y: &mut u16, buf: &mut Buffer| {
        if *y < bottom {
            l.render(Rect::new(area.x, *y, area.width, 1), buf);
            *y += 1;
        }
    };
    let bold = Style::new().add_modifier(Modifier::BOLD);
    line(Line::from(Span::styled("Total", bold)), &mut y, buf);
    for l in summary(report, &report.total) {
        line(l, &mut y, buf);
    }
    y = y.saturating_add(1).min(bottom);

    let agents = u16::try_from(report.agents.len()).unwrap_or(u16::MAX);
    let charts = bottom
        .saturating_sub(y)
        .saturating_sub(agents.saturating_add(1).min(bottom.saturating_sub(y) / 2));
    if charts >= 5 {
        let left = area.width / 2;
        first_response_chart(report, Rect::new(area.x, y, left, charts), buf);
        volume_chart(
            report,
            Rect::new(area.x + left, y, area.width - left, charts),
            buf,
        );
        y += charts;
    }
    if !report.agents.is_empty() {
        line(Line::from(Span::styled("Agents", bold)), &mut y, buf);
        for f in &report.agents {
            line(agent_line(f), &mut y, buf);
        }
    }
}

/// The totals in two lines: volume and unanswered, then the two times.
fn summary(report: &Report, f: &Figures) -> [Line<'static>; 2] {
    let rate = f
        .never_answered_rate()
        .map_or_else(String::new, |r| format!(" ({:.1}%)", r * 100.0));
    let oldest = f.oldest_waiting_since.map_or_else(String::new, |t| {
        format!(
            " (oldest {})",
            human_duration(report.generated_at.duration_since(t))
        )
    });
    [
        Line::raw(format!(
            "  {} conversations · {} messages in · {} replies · {} never answered{rate} · {} waiting now{oldest}",
            f.conversations,
            f.inbound_messages.unwrap_or(0),
            f.outbound_messages,
            f.never_answered.unwrap_or(0),
            f.waiting_now,
        )),
        Line::raw(format!(
            "  first response {} · resolution {}",
            spread(&f.first_response),
            spread(&f.resolution)
        )),
    ]
}

fn spread(s: &crate::report::Spread) -> String {
    match (s.p50, s.p90) {
        (Some(p50), Some(p90)) => format!(
            "p50 {} p90 {} ({})",
            human_duration(p50),
            human_duration(p90),
            s.count
        ),
        _ => "-".to_owned(),
    }
}

/// Bars of the first-response median per channel, labelled with the duration.
fn first_response_chart(report: &Report, area: Rect, buf: &mut Buffer) {
    let bars: Vec<Bar<'_>> = report
        .channels
        .iter()
        .filter_map(|f| {
            let p50 = f.first_response.p50?;
            Some(
                Bar::with_label(f.key.clone(), u64::try_from(p50.as_secs()).unwrap_or(0))
                    .text_value(human_duration(p50)),
            )
        })
        .collect();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(Color::DarkGray))
        .title(" First response p50 per channel ");
    if bars.is_empty() {
        let inner = inner(area);
        block.render(area, buf);
        Line::styled(
            "No first response in this period",
            Style::new().fg(Color::DarkGray),
        )
        .render(inner, buf);
        return;
    }
    let n = u16::try_from(bars.len()).unwrap_or(u16::MAX);
    let room = area.width.saturating_sub(2);
    let width = (room.saturating_sub(n) / n.max(1)).clamp(1, 9);
    BarChart::default()
        .block(block)
        .data(ratatui::widgets::BarGroup::default().bars(&bars))
        .bar_width(width)
        .bar_gap(1)
        .bar_style(Style::new().fg(Color::Cyan))
        .value_style(Style::new().fg(Color::Black).bg(Color::Cyan))
        .render(area, buf);
}

/// The conversations of each day of the period, oldest on the left.
fn volume_chart(report: &Report, area: Rect, buf: &mut Buffer) {
    // One column per day: the most recent days when the period has more than fit.
    let room = usize::from(area.width.saturating_sub(2));
    let days = &report.days[report.days.len().saturating_sub(room)..];
    let shown: Vec<u64> = days.iter().map(|d| d.conversations).collect();
    let most = shown.iter().copied().max().unwrap_or(0);
    let title = match (days.first(), days.last()) {
        (Some(a), Some(b)) => format!(
            " Conversations per day, {} to {} (max {most}) ",
            a.date.strftime("%-d %b"),
            b.date.strftime("%-d %b")
        ),
        _ => " Conversations per day ".to_owned(),
    };
    Sparkline::default()
        .block(
            Block::new()
                .borders(Borders::ALL)
                .border_style(Style::new().fg(Color::DarkGray))
                .title(title),
        )
        .data(&shown)
        .style(Style::new().fg(Color::Green))
        .render(area, buf);
}

/// One agent: first answers and their times, resolutions, replies, who waits on them.
fn agent_line(f: &Figures) -> Line<'static> {
    let name = text::truncate(&text::clean_line(&f.key), 16);
    let pad = 16usize.saturating_sub(text::width(name.as_str()));
    Line::from(vec![
        Span::styled(
            format!("  {name}{}", " ".repeat(pad)),
            Style::new().fg(Color::Cyan),
        ),
        Span::raw(format!(
            "  first {} · resolved {} · {} replies · {} waiting",
            spread(&f.first_response),
            spread(&f.resolution),
            f.outbound_messages,
            f.waiting_now
        )),
    ])
}
