//! The customer card, drawn over the panes: name, handles, claims, tags, notes, first
//! seen, last contact, counts, link suggestions with their reasons, the link log; and
//! the chooser of which record survives a link. Everything a customer or an agent typed
//! goes through [`text`].

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Widget};

use super::{ago, clock, inner, pane_block};
use crate::model::HandleKind;
use crate::store::CustomerCard;
use crate::tui::app::{App, CardStep};
use crate::tui::text;

/// Draws the card centred over `area`, if it is open.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(card) = &app.customer.card else {
        return;
    };
    let width = area.width.saturating_sub(4).min(100);
    let height = area.height.saturating_sub(4);
    if width < 20 || height < 5 {
        return;
    }
    let popup = Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    );
    Clear.render(popup, buf);
    let title = match &card.data {
        Some(d) => format!(
            " Customer {} · {} ",
            d.customer.id,
            text::clean_line(d.customer.display_name.as_deref().unwrap_or("(no name)"))
        ),
        None => format!(" Customer {} ", card.customer),
    };
    pane_block(
        text::truncate(
            &text::clean_line(&title),
            usize::from(width.saturating_sub(4)),
        )
        .to_string(),
        true,
    )
    .render(popup, buf);
    let body = inner(popup);
    let w = usize::from(body.width);
    let lines = match (&card.step, &card.data) {
        (_, None) => vec![Line::styled("Loading…", dim())],
        (CardStep::Suggestions, Some(d)) => card_lines(app, d, card.selected, w),
        (CardStep::Survivor { other, other_name }, Some(d)) => {
            survivor_lines(d, *other, other_name.as_deref(), card.selected, w)
        }
    };
    // Keep the selected row in view: it is the one drawn reversed.
    let selected_row = lines
        .iter()
        .position(|l| l.style.add_modifier.contains(Modifier::REVERSED));
    let room = usize::from(body.height);
    let top = selected_row.map_or(0, |s| s.saturating_sub(room.saturating_sub(2)));
    for (i, line) in lines.into_iter().skip(top).take(room).enumerate() {
        let y = body.y + u16::try_from(i).unwrap_or(0);
        line.render(Rect::new(body.x, y, body.width, 1), buf);
    }
}

fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

fn label_line(label: &str, value: &str, width: usize) -> Line<'static> {
    let rest = width.saturating_sub(text::width(label) + 1);
    Line::from(vec![
        Span::styled(format!("{label} "), dim()),
        Span::raw(text::truncate(&text::clean_line(value), rest).to_string()),
    ])
}

fn kind_name(kind: &HandleKind) -> &'static str {
    match kind {
        HandleKind::Email => "email",
        HandleKind::Phone => "phone",
        HandleKind::On(c) => c.as_str(),
    }
}

fn card_lines(app: &App, d: &CustomerCard, selected: usize, w: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    if let Some(into) = d.merged_into {
        lines.push(Line::styled(
            format!("Linked into customer {into}: its record is kept for :unlink"),
            Style::new().fg(Color::Yellow),
        ));
    }
    let handles: Vec<String> = d
        .customer
        .handles
        .iter()
        .map(|h| {
            let claimed = if d.claimed.contains(h) {
                " (claimed)"
            } else {
                ""
            };
            format!("{} {}{claimed}", kind_name(&h.kind), h.value)
        })
        .collect();
    lines.push(label_line("Handles", &handles.join(" · "), w));
    let claims: Vec<String> = d
        .claims
        .iter()
        .filter(|c| !d.customer.handles.contains(&c.handle))
        .map(|c| {
            format!(
                "{} {} (given on {})",
                kind_name(&c.handle.kind),
                c.handle.value,
                c.channel
            )
        })
        .collect();
    if !claims.is_empty() {
        lines.push(label_line("Claims", &claims.join(" · "), w));
    }
    let tags = if d.tags.is_empty() {
        "none (:tag NAME)".to_owned()
    } else {
        d.tags.join(", ")
    };
    lines.push(label_line("Tags", &tags, w));
    let last = d.last_contact.map_or_else(
        || "never".to_owned(),
        |t| format!("{} ({} ago)", clock(app.now, t, &app.tz), ago(app.now, t)),
    );
    lines.push(label_line(
        "Seen",
        &format!(
            "first {} · last contact {last}",
            clock(app.now, d.first_seen, &app.tz)
        ),
        w,
    ));
    let per: Vec<String> = d
        .messages_per_channel
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    lines.push(label_line(
        "Counts",
        &format!(
            "{} conversation{} · messages: {}",
            d.conversations,
            if d.conversations == 1 { "" } else { "s" },
            if per.is_empty() {
                "none".to_owned()
            } else {
                per.join(", ")
            }
        ),
        w,
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Notes (:customer-note TEXT)", bold()));
    for n in d.notes.iter().take(8) {
        let who = n.agent.as_deref().unwrap_or("someone");
        let head = format!("{who} · {} ago: ", ago(app.now, n.at));
        let rest = w.saturating_sub(text::width(&head));
        lines.push(Line::from(vec![
            Span::styled(
                text::clean_line(&head).to_string(),
                Style::new().fg(Color::Yellow),
            ),
            Span::raw(text::truncate(&text::clean_line(&n.body), rest).to_string()),
        ]));
    }
    lines.push(Line::raw(""));
    if d.suggestions.is_empty() {
        lines.push(Line::styled(
            "No one else shares an email, phone or order number with them",
            dim(),
        ));
    } else {
        lines.push(Line::styled(
            "Possibly the same person (Enter: link, then choose who survives):",
            bold(),
        ));
        for (i, s) in d.suggestions.iter().enumerate() {
            let t = text::truncate(&text::clean_line(&s.describe()), w.saturating_sub(2));
            let line = Line::raw(format!("  {t}"));
            lines.push(if i == selected {
                line.style(Style::new().add_modifier(Modifier::REVERSED))
            } else {
                line
            });
        }
    }
    if !d.links.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Links (:unlink ID undoes one)", bold()));
        for l in d.links.iter().take(6) {
            let state = match l.undone_at {
                Some(t) => format!("undone {} ago", ago(app.now, t)),
                None => "in force".to_owned(),
            };
            let text_line = format!(
                "#{} customer {} into {} by {} {} ago, {} moved · {state}",
                l.id,
                l.merged,
                l.survivor,
                l.agent.as_deref().unwrap_or("someone"),
                ago(app.now, l.at),
                l.moved
            );
            lines.push(Line::styled(
                text::truncate(&text::clean_line(&text_line), w).to_string(),
                dim(),
            ));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        ": commands (:tag :untag :customer-note :rename :link ID :unlink) · Esc closes",
        dim(),
    ));
    lines
}

fn survivor_lines(
    d: &CustomerCard,
    other: crate::model::CustomerId,
    other_name: Option<&str>,
    selected: usize,
    w: usize,
) -> Vec<Line<'static>> {
    let this = d.customer.display_name.as_deref().unwrap_or("(no name)");
    let that = other_name.unwrap_or("(name not loaded)");
    let mut lines = vec![
        Line::styled(
            format!(
                "Link customer {} and customer {other}: which record survives?",
                d.customer.id
            ),
            bold(),
        ),
        Line::raw(""),
    ];
    for (i, (id, name)) in [(d.customer.id, this), (other, that)]
        .into_iter()
        .enumerate()
    {
        let t = text::truncate(
            &text::clean_line(&format!("Keep {name} (customer {id})")),
            w.saturating_sub(2),
        );
        let line = Line::raw(format!("  {t}"));
        lines.push(if i == selected {
            line.style(Style::new().add_modifier(Modifier::REVERSED))
        } else {
            line
        });
    }
    lines.extend([
        Line::raw(""),
        Line::styled(
            "Handles, conversations, tags and notes move to the survivor; the other record",
            dim(),
        ),
        Line::styled(
            "is kept, and :unlink puts back exactly what moved. Enter links · Esc goes back",
            dim(),
        ),
    ]);
    lines
}
