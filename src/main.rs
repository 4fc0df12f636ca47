//! The `comptoir` command line: parses arguments and hands over to a front end.
//! Every failure is one line on stderr and an exit code: 1 for a runtime failure,
//! 2 for bad usage or invalid input. Nothing here panics on user input.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use clap_complete::Shell;
use jiff::{Timestamp, ToSpan, tz::TimeZone};

use std::sync::Arc;
use std::time::Duration;

use comptoir::channels::relay::signature::WebhookSecret;
use comptoir::config::{self, Paths};
use comptoir::demo;
use comptoir::model::CustomerId;
use comptoir::outbox::{Outbox, RetryPolicy};
use comptoir::serve::ServeLock;
use comptoir::store::SharedStore;
use comptoir::store::{ExportFilter, Store};
use comptoir::tui::app::App;
use comptoir::tui::keymap::Keymap;
use comptoir::tui::{load_keymap, runner};

/// A terminal inbox for customer conversations: email, website chat and social
/// direct messages in one keyboard-driven queue. Without a command, opens the inbox.
#[derive(Debug, Parser)]
#[command(name = "comptoir", version)]
struct Cli {
    /// The config file [default: $XDG_CONFIG_HOME/comptoir/config.toml]
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Where the store lives [default: the XDG data dir]
    #[arg(long, global = true, value_name = "PATH")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open the TUI on a throw-away demo inbox (no account needed).
    Demo,
    /// Check a keymap file.
    #[command(subcommand)]
    Keymap(KeymapCommand),
    /// Check the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Write the store as JSON Lines: customers, conversations, then messages and notes.
    Export {
        /// Only this customer's records (a customer id).
        #[arg(long, value_name = "ID")]
        customer: Option<i64>,
        /// Only what happened since then: a date (2026-01-31), a time (2026-01-31T09:00Z)
        /// or an age (7d, 12h, 2w).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Write to this file (all or nothing) instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print response figures per channel and per agent: first-response and resolution
    /// times (p50, p90), unanswered conversations, volume.
    Report {
        /// Where the period starts: an age (7d, 12h, 2w), a date (2026-11-01, local
        /// midnight) or a time (2026-11-01T09:00Z) [default: 7d]
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Where it ends: an age, a date (that whole day included) or a time [default: now]
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// table (for people), json or csv (durations in seconds)
        #[arg(long, value_name = "FORMAT", default_value = "table")]
        format: String,
    },
    /// Run the channels headless (for a team host or a systemd unit); logs to the state dir;
    /// stops on SIGTERM or SIGINT.
    Serve,
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: Shell,
    },
}

#[derive(Debug, Subcommand)]
enum KeymapCommand {
    /// Validate a keymap file; list every error with file, line, column and key.
    Check {
        /// The keymap file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Validate the config; print the resolved paths and accounts (never a secret).
    Check,
}

/// A failure and the exit code it deserves.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }

    fn runtime(message: impl Into<String>) -> Self {
        Failure {
            code: 1,
            message: message.into(),
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            // clap's own formatting: usage for mistakes, full text for --help.
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            let first_line = f.message.lines().next().unwrap_or_default();
            eprintln!("comptoir: {first_line}");
            ExitCode::from(f.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let paths = Paths::resolve(cli.config.as_deref(), cli.data_dir.as_deref())
        .map_err(|e| Failure::usage(e.to_string()))?;
    // Logging is for the channels and the TUI; a command that can't open its log file
    // still does its job, and never prints log lines to the terminal.
    let _log_guard = comptoir::logging::init(&paths.log_dir()).ok();
    match cli.command {
        None => inbox(&paths),
        Some(Command::Demo) => demo(&paths),
        Some(Command::Keymap(KeymapCommand::Check { file })) => keymap_check(&file),
        Some(Command::Config(ConfigCommand::Check)) => config_check(&paths),
        Some(Command::Serve) => serve(&paths),
        Some(Command::Report {
            since,
            until,
            format,
        }) => report(&paths, since.as_deref(), until.as_deref(), &format),
        Some(Command::Export {
            customer,
            since,
            output,
        }) => {
            let since = since.as_deref().map(parse_since).transpose()?;
            let filter = ExportFilter {
                customer: customer.map(CustomerId),
                since,
            };
            export(&paths, filter, output.as_deref())
        }
        Some(Command::Completions { shell }) => {
            let mut out = io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "comptoir", &mut out);
            out.flush()
                .map_err(|e| Failure::runtime(format!("cannot write: {e}")))
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the runtime: {e}")))
}

/// `comptoir`: the TUI on the user's config, or the first-run screen without one.
fn inbox(paths: &Paths) -> Result<(), Failure> {
    let cfg = match config::load(&paths.config_file) {
        Ok(cfg) => cfg,
        Err(e) if e.is_not_found() => {
            let choice = runtime()?
                .block_on(runner::first_run(&paths.config_file))
                .map_err(tui_failure)?;
            return match choice {
                runner::FirstRun::Demo => demo(paths),
                runner::FirstRun::Quit => Ok(()),
            };
        }
        Err(e) => return Err(Failure::usage(e.to_string())),
    };
    let keymap = load_keymap(cfg.keymap.as_deref(), Some(&user_keymap_path(paths)))
        .map_err(Failure::usage)?;
    let store_file = paths.store_file();
    let mut store = Store::open(&store_file).map_err(|e| Failure::runtime(e.to_string()))?;
    let me = store
        .ensure_agent(&cfg.agent.name)
        .map_err(|e| Failure::runtime(e.to_string()))?;
    let mut app = App::new(
        me,
        &cfg.agent.name,
        Arc::new(keymap),
        cfg.agent.time_zone(),
        Timestamp::now(),
    );
    app.mouse = cfg.mouse_enabled();
    app.set_workflow(cfg.workflow.clone());
    let (replies, replies_notice) = comptoir::replies::open_for(&cfg);
    app.set_replies(
        Arc::new(replies),
        cfg.shop.name.clone(),
        cfg.replies.variables.clone(),
    );
    // The status line reports on the chat only where there is one.
    app.set_presence(
        (!cfg.chat.is_empty())
            .then(|| comptoir::presence::BusinessHours::from_config(cfg.hours.as_ref())),
        cfg.presence,
    );
    tracing::info!(store = %store_file.display(), "inbox opened");
    // The channels run here unless a `comptoir serve` already runs them for this store.
    let (lock, channels_notice) = match comptoir::serve::ServeLock::acquire(paths) {
        Ok(lock) => (
            Some(lock),
            "Channels run in this inbox (no `comptoir serve` holds the store)",
        ),
        Err(comptoir::serve::ServeError::Held { .. }) => {
            (None, "Channels are run by `comptoir serve`")
        }
        Err(e) => return Err(Failure::runtime(e.to_string())),
    };
    // One line shows one notice: the first start's two share it rather than one hiding
    // the other.
    match replies_notice {
        Some(notice) => app.notice(&format!("{channels_notice} · {notice}")),
        None => app.notice(channels_notice),
    }
    let rt = runtime()?;
    let result = rt.block_on(async {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let channels = lock.as_ref().map(|_| {
            let (cfg, paths) = (cfg.clone(), paths.clone());
            tokio::spawn(async move { comptoir::serve::run(&cfg, &paths, stopped).await })
        });
        // Replies go out through this process's outbox while it runs the channels, else
        // through the `serve` that holds the lock.
        let result = runner::run(store, app, None, Some(user_keymap_path(paths)))
            .await
            .map_err(tui_failure);
        let _ = stop.send(true);
        if let Some(task) = channels {
            // A sync under way is safe to abandon (nothing is acknowledged before it is
            // stored), so quitting never waits on a slow mail server for long.
            let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        }
        result
    });
    rt.shutdown_background();
    drop(lock);
    result
}

/// `comptoir serve`: the channels without a TUI, holding the store's lock, until SIGTERM
/// or SIGINT. Prints nothing on a normal run; everything goes to the log file.
fn serve(paths: &Paths) -> Result<(), Failure> {
    use tokio::signal::unix::{SignalKind, signal};

    let cfg = config::load(&paths.config_file).map_err(|e| Failure::usage(e.to_string()))?;
    let _lock = ServeLock::acquire(paths).map_err(|e| Failure::runtime(e.to_string()))?;
    let rt = runtime()?;
    let result = rt.block_on(async {
        let cannot_listen =
            |e: io::Error| Failure::runtime(format!("cannot listen for signals: {e}"));
        let mut term = signal(SignalKind::terminate()).map_err(cannot_listen)?;
        let mut int = signal(SignalKind::interrupt()).map_err(cannot_listen)?;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let serving = comptoir::serve::run(&cfg, paths, stopped);
        tokio::pin!(serving);
        tokio::select! {
            result = &mut serving => return result.map_err(|e| Failure::runtime(e.to_string())),
            _ = term.recv() => tracing::info!("SIGTERM: stopping"),
            _ = int.recv() => tracing::info!("SIGINT: stopping"),
        }
        let _ = stop.send(true);
        serving.await.map_err(|e| Failure::runtime(e.to_string()))
    });
    if let Err(f) = &result {
        tracing::error!("serve failed: {}", f.message);
    }
    result
}

/// `comptoir demo`: a seeded throw-away inbox whose replies go through the real outbox
/// to demo channels, its chat inbox on the real relay on a free loopback port (the
/// widget's test page is on the command line, and `:widget` shows it again), with new
/// customer messages arriving now and then, the chat ones posted through the relay.
fn demo(paths: &Paths) -> Result<(), Failure> {
    let cfg = config::load(&paths.config_file).ok();
    let keymap = load_keymap(
        cfg.as_ref().and_then(|c| c.keymap.as_deref()),
        Some(&user_keymap_path(paths)),
    )
    .map_err(Failure::usage)?;
    let dir = tempfile::Builder::new()
        .prefix("comptoir-demo-")
        .tempdir()
        .map_err(|e| Failure::runtime(format!("cannot create the demo folder: {e}")))?;
    let store_file = dir.path().join("store.sqlite");
    let fail = |e: comptoir::store::StoreError| Failure::runtime(e.to_string());
    let mut store = Store::open(&store_file).map_err(fail)?;
    let now = Timestamp::now();
    let seed = demo::seed(&mut store, now).map_err(fail)?;
    let rt = runtime()?;
    let result = rt.block_on(async {
        let shared = SharedStore::new(Store::open(&store_file).map_err(fail)?);
        let mut outbox = Outbox::new(
            shared.clone(),
            RetryPolicy {
                base: Duration::from_secs(2),
                cap: Duration::from_secs(30),
                max_attempts: 5,
                send_timeout: Duration::from_secs(10),
            },
        );
        let (stop, stopped) = tokio::sync::watch::channel(false);
        // The chat inbox runs on the real relay, so a browser on the test page chats with
        // the agent, and the live visitors post through it as a shop's backend would.
        let secret = demo::new_secret().map_err(|e| Failure::runtime(e.to_string()))?;
        let relay = demo::start_relay(shared.clone(), secret.clone(), stopped.clone())
            .await
            .map_err(|e| Failure::runtime(format!("cannot start the demo chat relay: {e}")))?;
        for channel in demo::relayed_channels(&seed, &relay, &shared) {
            outbox.add_channel(channel);
        }
        let poster = demo::RelayPoster::new(&relay, secret).map_err(Failure::runtime)?;
        let waker = outbox.waker();
        let outbox_task = tokio::spawn({
            let stopped = stopped.clone();
            async move { outbox.run(stopped).await }
        });
        let traffic = tokio::spawn(demo::live_traffic(
            shared,
            stopped,
            Duration::from_secs(20),
            Some(poster),
        ));
        let tz = cfg
            .as_ref()
            .map_or_else(jiff::tz::TimeZone::system, |c| c.agent.time_zone());
        let mut app = App::new(seed.agent, "Camille", Arc::new(keymap), tz, now);
        app.mouse = cfg
            .as_ref()
            .is_none_or(comptoir::config::Config::mouse_enabled);
        // The demo has a chat inbox, always open: the status line reports on it.
        app.set_presence(
            Some(comptoir::presence::BusinessHours::always()),
            demo::presence(),
        );
        let examples = Arc::new(comptoir::replies::Library::examples());
        let variables = comptoir::replies::demo_variables();
        app.set_replies(examples, Some(demo::SHOP.to_owned()), variables);
        // Any later notice replaces this one; `:widget` shows it again.
        app.widget_url = Some(relay.widget_url());
        app.update(comptoir::tui::action::Action::ChatPage);
        let result = runner::run(store, app, Some(waker), Some(user_keymap_path(paths)))
            .await
            .map_err(tui_failure);
        let _ = stop.send(true);
        let _ = outbox_task.await;
        let _ = traffic.await;
        // A browser left on the test page must not hold the quit up.
        let _ = tokio::time::timeout(Duration::from_secs(2), relay.task).await;
        result
    });
    drop(rt);
    drop(dir);
    result
}

fn tui_failure(e: runner::TuiError) -> Failure {
    match e {
        runner::TuiError::NoTerminal => Failure::usage(e.to_string()),
        other => Failure::runtime(other.to_string()),
    }
}

/// The user's keymap: `keymap.toml` beside the config file.
fn user_keymap_path(paths: &Paths) -> PathBuf {
    paths
        .config_file
        .parent()
        .unwrap_or(Path::new("."))
        .join("keymap.toml")
}

fn keymap_check(file: &Path) -> Result<(), Failure> {
    match Keymap::check_file(file) {
        Ok(()) => print_or_fail(&format!("{}: ok\n", file.display())),
        Err(errors) => {
            let mut listing = String::new();
            for e in &errors {
                listing.push_str(&format!("{e}\n"));
            }
            eprint!("{listing}");
            Err(Failure::usage(format!(
                "{} error{} in {}",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" },
                file.display()
            )))
        }
    }
}

fn config_check(paths: &Paths) -> Result<(), Failure> {
    let cfg = config::load(&paths.config_file).map_err(|e| Failure::usage(e.to_string()))?;
    let mut out = String::new();
    let tz = cfg.agent.time_zone();
    let tz_name = tz.iana_name().unwrap_or("system");
    out.push_str(&format!("config       {}\n", paths.config_file.display()));
    out.push_str(&format!("store        {}\n", paths.store_file().display()));
    out.push_str(&format!(
        "attachments  {}\n",
        paths.attachments_dir().display()
    ));
    out.push_str(&format!("logs         {}\n", paths.log_dir().display()));
    out.push_str(&format!("agent        {} ({tz_name})\n", cfg.agent.name));
    out.push_str(&format!(
        "keymap       {}\n",
        cfg.keymap.as_deref().unwrap_or("default")
    ));
    out.push_str(&format!(
        "hours        {}\n",
        cfg.hours.as_ref().map_or_else(
            || "always (no [hours])".to_owned(),
            config::HoursConfig::summary
        )
    ));
    out.push_str(&format!("presence     {}\n", cfg.presence.summary()));
    out.push_str(&format!("workflow     {}\n", cfg.workflow.summary()));
    let (replies, reply_errors) = comptoir::replies::check_lines(&cfg);
    out.push_str(&replies);
    let accounts = cfg.accounts();
    if accounts.is_empty() {
        out.push_str("accounts     none\n");
    }
    for a in &accounts {
        out.push_str(&format!(
            "account      {:<9} {:<16} {}\n",
            a.kind, a.name, a.detail
        ));
    }
    let mut failed = 0;
    for (what, source) in cfg.secrets() {
        let checked = source
            .resolve(&what)
            .map_err(|e| e.to_string())
            .and_then(|value| {
                // A chat secret that reads but does not parse would leave its inbox
                // unserved by the relay.
                if what.starts_with("chat.") {
                    WebhookSecret::parse(value.expose())
                        .map(drop)
                        .map_err(|e| e.to_string())
                } else {
                    Ok(())
                }
            });
        match checked {
            Ok(()) => out.push_str(&format!("secret       {what}: ok ({source})\n")),
            Err(e) => {
                failed += 1;
                out.push_str(&format!("secret       {what}: FAILED: {e}\n"));
            }
        }
    }
    print_or_fail(&out)?;
    if failed > 0 {
        return Err(Failure::usage(format!(
            "{failed} secret(s) could not be read; see above"
        )));
    }
    if reply_errors > 0 {
        return Err(Failure::usage(format!(
            "{reply_errors} canned reply file(s) have errors; see above"
        )));
    }
    Ok(())
}

fn print_or_fail(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::runtime(format!("cannot write: {e}")))
}

fn export(paths: &Paths, filter: ExportFilter, output: Option<&Path>) -> Result<(), Failure> {
    let store_file = paths.store_file();
    if !store_file.exists() {
        return Err(Failure::usage(format!(
            "no store at {}",
            store_file.display()
        )));
    }
    let mut store = Store::open(&store_file).map_err(|e| Failure::runtime(e.to_string()))?;
    let Some(path) = output else {
        let mut out = BufWriter::new(io::stdout().lock());
        store
            .export(filter, &mut out)
            .map_err(|e| Failure::runtime(e.to_string()))?;
        return Ok(());
    };
    // All or nothing: write beside the target, then rename over it.
    let tmp = path.with_extension("partial");
    let file = File::create(&tmp)
        .map_err(|e| Failure::runtime(format!("cannot create {}: {e}", tmp.display())))?;
    let mut out = BufWriter::new(file);
    let result = store
        .export(filter, &mut out)
        .map_err(|e| Failure::runtime(e.to_string()))
        .and_then(|_| {
            out.into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_all())
                .map_err(|e| Failure::runtime(format!("cannot write {}: {e}", tmp.display())))
        })
        .and_then(|()| {
            std::fs::rename(&tmp, path)
                .map_err(|e| Failure::runtime(format!("cannot write {}: {e}", path.display())))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `comptoir report`: the figures of `comptoir::report` for a period, in the agent's time
/// zone when a config names one.
fn report(
    paths: &Paths,
    since: Option<&str>,
    until: Option<&str>,
    format: &str,
) -> Result<(), Failure> {
    let format: comptoir::report::Format = format
        .parse()
        .map_err(|e: comptoir::report::UnknownFormat| Failure::usage(e.to_string()))?;
    let tz = config::load(&paths.config_file)
        .map_or_else(|_| TimeZone::system(), |cfg| cfg.agent.time_zone());
    let now = Timestamp::now();
    let period = comptoir::report::Period::parse(since, until, now, &tz)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let store_file = paths.store_file();
    if !store_file.exists() {
        return Err(Failure::usage(format!(
            "no store at {}",
            store_file.display()
        )));
    }
    let mut store = Store::open(&store_file).map_err(|e| Failure::runtime(e.to_string()))?;
    let report = comptoir::report::compute(&mut store, period, &tz, now)
        .map_err(|e| Failure::runtime(e.to_string()))?;
    print_or_fail(&report.render(format, &tz))
}

/// `--since`: an age (`7d`, `12h`, `2w`), a date (midnight, local time) or a timestamp.
fn parse_since(text: &str) -> Result<Timestamp, Failure> {
    let bad = || {
        Failure::usage(format!(
            "--since {text:?}: expected an age (7d, 12h, 2w), a date (2026-01-31) or a time (2026-01-31T09:00Z)"
        ))
    };
    let text = text.trim();
    if let Some((num, unit)) = text
        .char_indices()
        .last()
        .map(|(i, c)| (&text[..i], c))
        .filter(|(num, _)| !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()))
    {
        let n: i64 = num.parse().map_err(|_| bad())?;
        let span = match unit {
            'h' => n.hours(),
            'd' => (n * 24).hours(),
            'w' => (n * 24 * 7).hours(),
            _ => return Err(bad()),
        };
        return Timestamp::now().checked_sub(span).map_err(|_| bad());
    }
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let date: jiff::civil::Date = text.parse().map_err(|_| bad())?;
    date.to_zoned(TimeZone::system())
        .map(|z| z.timestamp())
        .map_err(|_| bad())
}
