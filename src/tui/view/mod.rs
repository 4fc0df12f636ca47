//! Drawing: pure functions of the [`App`] state. Nothing here changes state or does I/O;
//! every piece of untrusted text goes through [`crate::tui::text`] first.

mod compose;
mod customer;
mod dead_letters;
pub mod health;
mod help;
mod history;
pub mod picker;
mod queue;
mod report;
mod search;
mod status;
mod thread;

use jiff::{Timestamp, tz::TimeZone};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, BorderType, Borders};

use crate::model::Channel;
use crate::tui::action::Pane;
use crate::tui::app::App;
use crate::tui::layout::Layout;
use crate::tui::text;

/// Draws the whole screen.
pub fn draw(app: &App, frame: &mut Frame<'_>) {
    let area = frame.area();
    let layout = Layout::compute((area.width, area.height), app.focus, app.compose.is_some());
    let buf = frame.buffer_mut();
    if app.dead_letters.is_some() {
        let main = Rect::new(0, 0, area.width, area.height.saturating_sub(2));
        dead_letters::draw(app, main, buf);
    } else {
        draw_panes(app, &layout, buf);
    }
    customer::draw(
        app,
        Rect::new(0, 0, area.width, area.height.saturating_sub(2)),
        buf,
    );
    status::draw(app, layout.status, buf);
    status::draw_cmdline(app, layout.cmdline, buf);
    if let Some(hints) = app.hints() {
        help::draw_which_key(&hints, area, buf);
    }
    if app.report.is_some() {
        report::draw(app, area, buf);
    }
    if app.picker.is_some() {
        picker::draw(app, area, buf);
    }
    search::draw(app, area, buf);
    if app.help.is_some() {
        help::draw(app, area, buf);
    }
    if let Some(pos) = cursor(app, &layout) {
        frame.set_cursor_position(pos);
    }
    if let Some(pos) = search::cursor(app, area) {
        frame.set_cursor_position(pos);
    }
}

/// The queue, thread, history and composer, where the layout puts them.
fn draw_panes(app: &App, layout: &Layout, buf: &mut ratatui::buffer::Buffer) {
    if let Some(r) = layout.queue {
        queue::draw(app, r, buf, app.focus == Pane::Queue, layout.columns);
    }
    if let Some(r) = layout.thread {
        thread::draw(app, r, buf, app.focus == Pane::Thread, layout.columns);
    }
    if let Some(r) = layout.history {
        history::draw(app, r, buf, app.focus == Pane::History, layout.columns);
    }
    if let Some(r) = layout.compose {
        compose::draw(app, r, buf);
    }
}

/// Where the terminal cursor goes: in the command line or the composer, else hidden.
fn cursor(app: &App, layout: &Layout) -> Option<Position> {
    if app.help.is_some() || app.confirm.is_some() || app.report.is_some() {
        return None;
    }
    if app.picker.is_some() {
        return picker::cursor(app);
    }
    if let Some(line) = &app.cmdline {
        let (_, col) = line.cursor();
        let before = line.lines().first().map_or("", |l| &l[..col.min(l.len())]);
        let x = 1 + text::width(text::clean_line(before).as_str());
        return fit(layout.cmdline, x, 0);
    }
    if app.dead_letters.is_some() || app.customer.card.is_some() {
        return None;
    }
    let area = layout.compose?;
    let compose = app.compose.as_ref()?;
    let (row, col) = compose.editor.cursor();
    let line = compose.editor.lines().get(row).map_or("", String::as_str);
    let x = text::width(text::clean_line(&line[..col.min(line.len())]).as_str());
    let inner = inner(area);
    let top = compose::first_visible_line(row, inner.height);
    let x = x.saturating_sub(compose::horizontal_offset(x, inner.width));
    fit(inner, x, row - top)
}

fn fit(area: Rect, x: usize, y: usize) -> Option<Position> {
    let x = u16::try_from(x).ok()?;
    let y = u16::try_from(y).ok()?;
    (x < area.width && y < area.height).then(|| Position::new(area.x + x, area.y + y))
}

/// A pane's frame: its title, and a brighter border when it has the focus.
fn pane_block(title: String, focused: bool) -> Block<'static> {
    let style = if focused {
        Style::new().fg(Color::Cyan)
    } else {
        Style::new().fg(Color::DarkGray)
    };
    Block::new()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(style)
        .title(title)
        .title_style(if focused {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        })
}

/// The area inside a one-cell border.
fn inner(area: Rect) -> Rect {
    Rect::new(
        area.x.saturating_add(1),
        area.y.saturating_add(1),
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    )
}

/// Which panes are hidden at this width, for the title of the one shown ("1 Queue ·
/// 2 Thread · 3 History"), so a user at 80 columns knows where the others went.
fn pane_title(name: &str, pane: Pane, columns: u8) -> String {
    if columns >= 3 {
        return format!(" {name} ");
    }
    let tabs = [
        (Pane::Queue, "1 Queue"),
        (Pane::Thread, "2 Thread"),
        (Pane::History, "3 History"),
    ];
    let others: Vec<&str> = tabs
        .iter()
        .filter(|(p, _)| *p != pane)
        .map(|(_, t)| *t)
        .collect();
    format!(" {name} │ {} ", others.join(" · "))
}

/// A short, fixed-width channel label.
fn channel_label(c: Channel) -> &'static str {
    match c {
        Channel::Email => "mail ",
        Channel::Chat => "chat ",
        Channel::Messenger => "msgr ",
        Channel::Instagram => "insta",
        Channel::Whatsapp => "wapp ",
        Channel::Telegram => "tgram",
        Channel::Mastodon => "masto",
        Channel::X => "x    ",
    }
}

/// The channel's colour, so the eye finds a channel in a long queue.
fn channel_color(c: Channel) -> Color {
    match c {
        Channel::Email => Color::Blue,
        Channel::Chat => Color::Green,
        Channel::Messenger => Color::LightBlue,
        Channel::Instagram => Color::Magenta,
        Channel::Whatsapp => Color::LightGreen,
        Channel::Telegram => Color::Cyan,
        Channel::Mastodon => Color::LightMagenta,
        Channel::X => Color::Gray,
    }
}

/// How long ago, in the largest unit that fits: `now`, `4m`, `2h`, `3d`, `5w`.
#[must_use]
pub fn ago(now: Timestamp, then: Timestamp) -> String {
    let secs = now.duration_since(then).as_secs().max(0);
    match secs {
        0..60 => "now".to_owned(),
        60..3_600 => format!("{}m", secs / 60),
        3_600..86_400 => format!("{}h", secs / 3_600),
        86_400..1_209_600 => format!("{}d", secs / 86_400),
        _ => format!("{}w", secs / 604_800),
    }
}

/// A message time in the agent's zone: `14:03` today, `Mon 12 Nov 14:03` otherwise.
#[must_use]
pub fn clock(now: Timestamp, t: Timestamp, tz: &TimeZone) -> String {
    let when = t.to_zoned(tz.clone());
    let today = now.to_zoned(tz.clone());
    if when.date() == today.date() {
        when.strftime("%H:%M").to_string()
    } else if when.year() == today.year() {
        when.strftime("%a %-d %b %H:%M").to_string()
    } else {
        when.strftime("%-d %b %Y %H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_pick_one_unit() {
        let now = Timestamp::from_second(1_000_000_000).expect("valid");
        let minus = |s: i64| Timestamp::from_second(1_000_000_000 - s).expect("valid");
        assert_eq!(ago(now, minus(5)), "now");
        assert_eq!(ago(now, minus(300)), "5m");
        assert_eq!(ago(now, minus(7_200)), "2h");
        assert_eq!(ago(now, minus(3 * 86_400)), "3d");
        assert_eq!(ago(now, minus(40 * 86_400)), "5w");
        assert_eq!(ago(minus(10), now), "now", "a future time reads as now");
    }
}
