//! The impure shell around [`App`]: the terminal, the event stream, the store poll, and
//! the effects `update` asks for. Everything the agent sees is drawn from the store;
//! a change written by another process shows at the next `data_version` poll.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream, KeyEventKind, MouseEventKind,
};
use crossterm::execute;
use futures::StreamExt;
use jiff::Timestamp;
use ratatui::DefaultTerminal;
use tokio::sync::Notify;

use std::path::PathBuf;

use crate::model::{AgentId, Availability, Delivery, MessageKind};
use crate::presence;
use crate::store::{Store, StoreError};
use crate::tui::app::{App, DeadLetterOp, Effect, Write};
use crate::tui::chores::{self, Report};
use crate::tui::key::Key;
use crate::tui::view;

/// How often the store is asked whether another process changed it: a fifth of the
/// 250 ms in which a change must show, and one tiny pragma each time.
const POLL: Duration = Duration::from_millis(50);

/// Why the TUI stopped early.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    /// No terminal to draw on (a pipe, a cron job, CI without tmux).
    #[error(
        "comptoir needs a terminal (stdin and stdout must be a TTY); `comptoir --help` lists the other commands"
    )]
    NoTerminal,
    /// The terminal failed.
    #[error("terminal: {0}")]
    Terminal(#[from] io::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Puts the terminal in TUI mode and back, even when the program panics.
struct TerminalGuard {
    mouse: bool,
}

impl TerminalGuard {
    fn enter(mouse: bool) -> Result<(TerminalGuard, DefaultTerminal), TuiError> {
        // crossterm's EventStream panics when /dev/tty can't be opened: check first.
        if std::fs::File::open("/dev/tty").is_err() {
            return Err(TuiError::NoTerminal);
        }
        let terminal = ratatui::try_init()?;
        execute!(io::stdout(), EnableBracketedPaste)?;
        if mouse {
            execute!(io::stdout(), EnableMouseCapture)?;
        }
        Ok((TerminalGuard { mouse }, terminal))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if self.mouse {
            let _ = execute!(io::stdout(), DisableMouseCapture);
        }
        let _ = execute!(io::stdout(), DisableBracketedPaste);
        ratatui::restore();
    }
}

/// Runs the TUI until the agent quits. `outbox` is woken after a reply is queued so it
/// goes out at once rather than at the outbox's next poll.
///
/// # Errors
/// No terminal, a terminal failure, or a store failure at start.
pub async fn run(
    mut store: Store,
    mut app: App,
    outbox: Option<Arc<Notify>>,
    user_keymap: Option<PathBuf>,
) -> Result<(), TuiError> {
    let (guard, mut terminal) = TerminalGuard::enter(app.mouse)?;
    // Opening the inbox is being at the desk; a deliberate "away" is kept.
    let stored = store.agents()?.into_iter().find(|a| a.id == app.me);
    if stored.is_none_or(|a| a.availability == Availability::Offline) {
        store.set_availability(app.me, Availability::Available)?;
    }
    let mut presence = Presence::default();
    let mut teamwork = crate::tui::activity::Teamwork::new();
    presence.beat(&mut store, app.me, Timestamp::now());
    presence.input(&mut store, app.me, Timestamp::now());
    let size = terminal.size()?;
    app.resize(size.width, size.height);
    reload(&mut store, &mut app)?;
    let mut events = EventStream::new();
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut version = store.data_version()?;
    let mut last_minute = app.now.as_second() / 60;
    // Canned-reply variable commands run in the background and answer here.
    let (variables_done, mut variables) = tokio::sync::mpsc::unbounded_channel();
    terminal.draw(|f| view::draw(&app, f))?;
    loop {
        let mut effects = Vec::new();
        let mut dirty = false;
        tokio::select! {
            event = events.next() => {
                let Some(event) = event else { break };
                dirty = true;
                let event = event?;
                if matches!(event, Event::Key(_) | Event::Mouse(_) | Event::Paste(_))
                    && presence.input(&mut store, app.me, Timestamp::now())
                {
                    refresh_presence(&mut store, &mut app);
                }
                match event {
                    Event::Key(k) if k.kind != KeyEventKind::Release => {
                        effects = app.key(Key::from(k));
                    }
                    Event::Paste(text) => effects = app.paste(&text),
                    Event::Resize(w, h) => app.resize(w, h),
                    Event::Mouse(m) => {
                        effects = match m.kind {
                            MouseEventKind::Down(_) => app.click(m.column, m.row),
                            MouseEventKind::ScrollDown => app.scroll(m.column, m.row, true),
                            MouseEventKind::ScrollUp => app.scroll(m.column, m.row, false),
                            _ => Vec::new(),
                        };
                    }
                    _ => dirty = false,
                }
            }
            Some(done) = variables.recv() => {
                app.reply_variables_done(done);
                dirty = true;
            }
            _ = poll.tick() => {
                let now = Timestamp::now();
                app.tick(now);
                dirty |= teamwork.tick(&mut store, &mut app, now);
                effects.extend(app.search_due());
                if presence.beat(&mut store, app.me, now) {
                    // Idleness and the grace period run out with no store change.
                    refresh_presence(&mut store, &mut app);
                    dirty = true;
                }
                match store.data_version() {
                    Ok(v) if v != version => {
                        version = v;
                        effects.push(Effect::Reload);
                    }
                    Ok(_) => {}
                    Err(e) => app.failed(&e.to_string()),
                }
                // Waiting times are shown in minutes: redraw when the minute turns.
                if now.as_second() / 60 != last_minute {
                    last_minute = now.as_second() / 60;
                    if let Err(e) = store.wake_snoozed(now) {
                        tracing::warn!(error = %e, "cannot wake snoozed conversations");
                    }
                    dirty = true;
                }
            }
        }
        for effect in effects {
            dirty = true;
            if let Effect::LoadKeymap(name) = &effect {
                match crate::tui::load_keymap(Some(name), user_keymap.as_deref()) {
                    Ok(keymap) => app.set_keymap(name, Arc::new(keymap)),
                    Err(e) => app.failed(&e),
                }
                continue;
            }
            if let Effect::ReplyVariables(job) = effect {
                crate::replies::command::spawn(job, variables_done.clone());
                continue;
            }
            if let Effect::OpenEditor(text) = effect {
                drop(events);
                let result = edit_externally(&text, &mut terminal, &guard);
                events = EventStream::new();
                app.editor_closed(result);
                continue;
            }
            if let Err(e) = apply(&mut store, &mut app, &effect, outbox.as_deref()) {
                app.failed(&e.to_string());
            }
            // Our own write bumps no data_version for this connection; keep it in step.
            if let Ok(v) = store.data_version() {
                version = v;
            }
        }
        if app.quit {
            break;
        }
        if dirty {
            terminal.draw(|f| view::draw(&app, f))?;
        }
    }
    drop(guard);
    teamwork.leave(&mut store, app.me);
    // Leaving the inbox is leaving the desk.
    store.set_availability(app.me, Availability::Offline)?;
    Ok(())
}

/// When this TUI last wrote its heartbeat and the agent's input, so each is written at
/// most every [`presence::HEARTBEAT_EVERY`] and [`presence::INPUT_EVERY`].
#[derive(Clone, Copy, Debug)]
struct Presence {
    beat: Timestamp,
    input: Timestamp,
}

impl Default for Presence {
    fn default() -> Self {
        Presence {
            beat: Timestamp::UNIX_EPOCH,
            input: Timestamp::UNIX_EPOCH,
        }
    }
}

impl Presence {
    /// Writes the heartbeat if it is due; whether it was.
    fn beat(&mut self, store: &mut Store, me: AgentId, now: Timestamp) -> bool {
        if now.duration_since(self.beat).unsigned_abs() < presence::HEARTBEAT_EVERY {
            return false;
        }
        self.beat = now;
        if let Err(e) = store.touch_agent(me, now) {
            tracing::warn!(error = %e, "cannot record presence");
        }
        true
    }

    /// Records input if the last record is old enough; whether it was written.
    fn input(&mut self, store: &mut Store, me: AgentId, now: Timestamp) -> bool {
        if now.duration_since(self.input).unsigned_abs() < presence::INPUT_EVERY {
            return false;
        }
        self.input = now;
        self.beat = now;
        if let Err(e) = store.record_input(me, now) {
            tracing::warn!(error = %e, "cannot record presence");
        }
        true
    }
}

/// Reads the agents again for the status line's availability figures.
fn refresh_presence(store: &mut Store, app: &mut App) {
    match store.agents() {
        Ok(agents) => app.loaded_agents(&agents),
        Err(e) => tracing::warn!(error = %e, "cannot read presence"),
    }
}

/// Carries out one effect against the store (not the terminal's: the keymap and the
/// editor are the event loop's), tells the agent how it went, and reloads.
///
/// # Errors
/// A store failure.
pub fn apply(
    store: &mut Store,
    app: &mut App,
    effect: &Effect,
    outbox: Option<&Notify>,
) -> Result<(), StoreError> {
    let now = Timestamp::now();
    match effect {
        Effect::Reload
        | Effect::OpenEditor(_)
        | Effect::LoadKeymap(_)
        | Effect::ReplyVariables(_) => {}
        Effect::Search(search) => {
            // No reload: a search changes nothing but the overlay.
            let results = store.search_query(&search.query, crate::tui::app::SEARCH_LIMIT);
            app.loaded_search(&search.input, results.map_err(|e| e.to_string()));
            return Ok(());
        }
        Effect::Write(Write::Reply { conversation, text }) => {
            store.queue_reply(*conversation, app.me, text, now)?;
            if let Some(n) = outbox {
                n.notify_one();
            }
        }
        Effect::Write(Write::Note { conversation, text }) => {
            store.add_note(*conversation, app.me, text, now)?;
        }
        Effect::Write(Write::Status {
            conversation,
            status,
            seen,
        }) => {
            crate::tui::activity::change_status(store, app, *conversation, *status, *seen, now)?;
        }
        Effect::Write(Write::Label {
            conversation,
            label,
            add,
        }) => store.label_by(*conversation, label, *add, Some(app.me), now)?,
        Effect::Write(Write::RetryFailed { conversation }) => {
            for m in store.thread(*conversation)? {
                if m.kind == MessageKind::Outbound
                    && matches!(m.delivery, Some(Delivery::Failed { .. }))
                {
                    store.retry_reply(m.id, now)?;
                }
            }
            if let Some(n) = outbox {
                n.notify_one();
            }
        }
        Effect::Write(Write::Assign {
            conversation,
            agent,
        }) => store.assign_by(*conversation, *agent, Some(app.me), now)?,
        Effect::Write(Write::Availability(a)) => store.set_availability(app.me, *a)?,
        Effect::Write(Write::Identity(change)) => {
            app.notice(&store.change_identity(change, app.me, now)?);
        }
        Effect::Write(Write::FetchOlder { days }) => {
            report(app, chores::fetch_older(store, *days)?);
        }
        Effect::DeadLetter(DeadLetterOp::Retry(id)) => {
            report(app, chores::retry_dead_letter(store, *id, now)?);
        }
        Effect::DeadLetter(DeadLetterOp::Save { id, path }) => {
            let done = chores::save_dead_letter(store, *id, path.as_deref(), &app.save_dir)?;
            report(app, done);
        }
        Effect::DeadLetter(DeadLetterOp::Delete(id)) => {
            report(app, chores::delete_dead_letter(store, *id)?);
        }
        Effect::Report(days) => {
            let period = crate::report::Period::last_days(*days, now);
            app.loaded_report(crate::report::compute(store, period, &app.tz, now)?);
        }
        Effect::SaveAttachment {
            sha256,
            name,
            number,
            path,
        } => {
            let done = chores::save_attachment(
                store,
                sha256,
                name,
                *number,
                path.as_deref(),
                &app.save_dir,
            );
            report(app, done);
        }
    }
    reload(store, app)
}

fn report(app: &mut App, report: Report) {
    match report {
        Report::Done(text) => app.notice(&text),
        Report::Failed(text) => app.failed(&text),
    }
}

/// Loads what the screen shows: the queue page, the counts, the channels' health, the
/// dead letters while their view is open, the selected thread and its customer's
/// history.
///
/// # Errors
/// A store failure.
pub fn reload(store: &mut Store, app: &mut App) -> Result<(), StoreError> {
    let queue = store.queue(&app.queue_filter())?;
    let queue = app.pin_searched(queue, |id| store.conversation(id))?;
    let stats = store.stats()?;
    let agents = store.agents()?;
    let availability = agents
        .iter()
        .find(|a| a.id == app.me)
        .map(|a| a.availability);
    app.loaded_queue(queue, stats, availability);
    app.loaded_agents(&agents);
    app.loaded_health(store.channel_health()?, store.dead_letter_count()?);
    crate::tui::activity::load(store, app)?;
    if app.dead_letters.is_some() {
        app.loaded_dead_letters(store.dead_letters()?);
        if let Some(id) = app.selected_dead_letter().map(|d| d.id)
            && let Some(raw) = store.dead_letter_raw(id)?
        {
            app.loaded_dead_letter_raw(id, &raw);
        }
    }
    if let Some(customer) = app.card_customer() {
        app.loaded_card(store.customer_card(customer)?);
    }
    let Some(id) = app.selected().map(|c| c.id) else {
        app.loaded_thread(None, None);
        return Ok(());
    };
    let thread = match store.conversation(id)? {
        Some(c) => {
            let messages = store.thread(id)?;
            Some((c, messages))
        }
        None => None,
    };
    let history = match &thread {
        Some((c, _)) => {
            Some(store.customer_history_page(c.customer_id, app.history_limit(c.customer_id))?)
        }
        None => None,
    };
    app.loaded_thread(thread, history);
    Ok(())
}

/// Suspends the TUI, edits `text` in `$VISUAL` / `$EDITOR` (else `vi`), and comes back
/// to a clean screen.
fn edit_externally(
    text: &str,
    terminal: &mut DefaultTerminal,
    guard: &TerminalGuard,
) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let path = dir.path().join("reply.txt");
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    if guard.mouse {
        let _ = execute!(io::stdout(), DisableMouseCapture);
    }
    let _ = execute!(io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".to_owned());
    // Through the shell, so an EDITOR with arguments ("code --wait") works.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status();
    *terminal = ratatui::init();
    let _ = execute!(io::stdout(), EnableBracketedPaste);
    if guard.mouse {
        let _ = execute!(io::stdout(), EnableMouseCapture);
    }
    let _ = terminal.clear();
    match status {
        Ok(s) if s.success() => std::fs::read_to_string(&path).map_err(|e| e.to_string()),
        Ok(s) => Err(format!("{editor} exited with {s}; the draft is unchanged")),
        Err(e) => Err(format!("cannot start {editor}: {e}")),
    }
}

/// What the agent chose on the first-run screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstRun {
    /// Open the demo inbox.
    Demo,
    /// Leave, to write a config.
    Quit,
}

/// The screen shown when there is no config yet: how to write one, and the demo.
///
/// # Errors
/// No terminal, or a terminal failure.
pub async fn first_run(config_path: &std::path::Path) -> Result<FirstRun, TuiError> {
    use crossterm::event::KeyCode;
    use ratatui::text::Line;
    use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

    let (guard, mut terminal) = TerminalGuard::enter(false)?;
    let mut lines = vec![
        Line::raw("Welcome to comptoir."),
        Line::raw(""),
        Line::raw(format!(
            "There is no config at {} yet.",
            config_path.display()
        )),
        Line::raw("Write one like this (every secret comes from a command or a file):"),
        Line::raw(""),
    ];
    lines.extend(SAMPLE_CONFIG.lines().map(|l| Line::raw(format!("    {l}"))));
    lines.extend([
        Line::raw(""),
        Line::raw("Then `comptoir config check` validates it."),
        Line::raw(""),
        Line::raw("Press d to open the demo inbox (no account needed), q to quit."),
    ]);
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::new()
            .borders(Borders::ALL)
            .title(" comptoir · first run "),
    );
    let mut events = EventStream::new();
    loop {
        terminal.draw(|f| f.render_widget(&paragraph, f.area()))?;
        let Some(event) = events.next().await else {
            break;
        };
        if let Event::Key(k) = event?
            && k.kind == KeyEventKind::Press
        {
            match k.code {
                KeyCode::Char('d') => {
                    drop(guard);
                    return Ok(FirstRun::Demo);
                }
                KeyCode::Char('q') | KeyCode::Esc => break,
                _ => {}
            }
        }
    }
    drop(guard);
    Ok(FirstRun::Quit)
}

/// The config shown on the first-run screen.
pub const SAMPLE_CONFIG: &str = r#"[agent]
name = "Camille"
timezone = "Europe/Paris"

[[email]]
name = "boutique"
address = "contact@boutique.example"
username = "contact@boutique.example"
password_command = "pass show boutique/mail"
imap = { host = "imap.example.net", port = 993, tls = "implicit" }
smtp = { host = "smtp.example.net", port = 465, tls = "implicit" }"#;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use super::*;

    #[test]
    fn heartbeat_and_input_are_written_at_most_every_half_minute() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        let me = store.ensure_agent("Camille").unwrap();
        let t = |s: i64| Timestamp::from_second(1_790_000_000 + s).unwrap();
        let row = |store: &mut Store| store.agents().unwrap().remove(0);
        let mut p = Presence::default();

        assert!(p.input(&mut store, me, t(0)), "the first input is written");
        assert!(!p.input(&mut store, me, t(29)), "not again within 30 s");
        assert!(!p.beat(&mut store, me, t(29)), "input was a heartbeat too");
        let r = row(&mut store);
        assert_eq!((r.last_input_at, r.last_seen_at), (Some(t(0)), Some(t(0))));

        assert!(p.beat(&mut store, me, t(30)));
        assert!(!p.beat(&mut store, me, t(59)));
        assert!(
            p.input(&mut store, me, t(31)),
            "input has its own half minute"
        );
        assert!(p.beat(&mut store, me, t(61)));
        let r = row(&mut store);
        assert_eq!(
            (r.last_input_at, r.last_seen_at),
            (Some(t(31)), Some(t(61)))
        );
    }
}
