//! Diagnostics go to daily log files, never to the terminal: the TUI owns the screen, and `serve`
//! runs where nobody reads stderr.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

/// Environment variable holding a `tracing` filter such as `debug` or `comptoir=debug,info`.
pub const FILTER_ENV: &str = "COMPTOIR_LOG";

/// Filter used when [`FILTER_ENV`] is unset or empty.
pub const DEFAULT_FILTER: &str = "info";

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// The log directory could not be created.
    #[error("cannot create log directory {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The rolling file appender could not be opened.
    #[error("cannot open log file in {}: {source}", path.display())]
    Appender {
        /// The log directory.
        path: PathBuf,
        /// The underlying error.
        source: tracing_appender::rolling::InitError,
    },
    /// [`FILTER_ENV`] does not parse as a filter.
    #[error("{FILTER_ENV}: invalid log filter: {source}")]
    Filter {
        /// The underlying error.
        source: tracing_subscriber::filter::ParseError,
    },
    /// A global subscriber is already installed (for example `init` was called twice).
    #[error("logging is already initialised: {message}")]
    AlreadyInitialised {
        /// What `tracing_subscriber` reported.
        message: String,
    },
}

/// Sends `tracing` output to `log_dir/comptoir.YYYY-MM-DD.log`, keeping 14 days.
///
/// The filter comes from `COMPTOIR_LOG`, else `info`. Writes happen on a background thread; keep
/// the returned guard alive for the life of the program, since dropping it flushes and stops
/// that thread.
pub fn init(log_dir: &Path) -> Result<WorkerGuard, LoggingError> {
    let filter = filter_from_env()?;
    std::fs::create_dir_all(log_dir).map_err(|source| LoggingError::CreateDir {
        path: log_dir.to_owned(),
        source,
    })?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("comptoir")
        .filename_suffix("log")
        .max_log_files(14)
        .build(log_dir)
        .map_err(|source| LoggingError::Appender {
            path: log_dir.to_owned(),
            source,
        })?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(writer)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| LoggingError::AlreadyInitialised {
            message: e.to_string(),
        })?;
    Ok(guard)
}

fn filter_from_env() -> Result<EnvFilter, LoggingError> {
    let directives = std::env::var(FILTER_ENV)
        .ok()
        .filter(|value| !value.trim().is_empty());
    EnvFilter::try_new(directives.as_deref().unwrap_or(DEFAULT_FILTER))
        .map_err(|source| LoggingError::Filter { source })
}
