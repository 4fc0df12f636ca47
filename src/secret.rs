//! Secrets (passwords, tokens, signing keys) read at run time from a command or a file.
//!
//! The config never holds a secret value, only where to fetch it. Values travel as
//! [`SecretString`], whose `Debug` is redacted and which has no `Display`, so a stray `{:?}` in a
//! log line or an error cannot leak one.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long a secret command may run before it is killed.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Larger outputs are refused: no credential is this long, so it is a misconfigured command (for
/// example `cat` of the wrong file) and holding it in memory helps nobody.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// Where a secret comes from.
///
/// `Debug` and `Display` name only the kind (and the path for a file): the command line itself is
/// left out, since people do write things like `echo hunter2` there.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A shell command (run with `sh -c`) whose standard output is the secret.
    Command(String),
    /// A file whose content is the secret.
    File(PathBuf),
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Command(_) => f.write_str("command"),
            SecretSource::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// Why a `*_command` / `*_file` pair of config keys does not name exactly one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SecretPairError {
    /// Both the command and the file were given.
    #[error("give either a command or a file, not both")]
    Both,
    /// Neither was given.
    #[error("no command or file given")]
    Neither,
}

impl SecretSource {
    /// Turns the two halves of a `*_command` / `*_file` config pair into one source.
    ///
    /// Exactly one of them must be present; the caller words the error with the real key names.
    pub fn from_pair(
        command: Option<String>,
        file: Option<PathBuf>,
    ) -> Result<SecretSource, SecretPairError> {
        match (command, file) {
            (Some(command), None) => Ok(SecretSource::Command(command)),
            (None, Some(file)) => Ok(SecretSource::File(file)),
            (Some(_), Some(_)) => Err(SecretPairError::Both),
            (None, None) => Err(SecretPairError::Neither),
        }
    }

    /// Fetches the secret, with the default 30-second limit on a command.
    ///
    /// `what` names the secret in errors (for example `email "boutique" password`).
    pub fn resolve(&self, what: &str) -> Result<SecretString, SecretError> {
        self.resolve_with_timeout(what, DEFAULT_COMMAND_TIMEOUT)
    }

    /// Fetches the secret; a command still running after `timeout` is killed and is an error.
    ///
    /// Trailing whitespace (the newline every command prints) is removed; an empty result is an
    /// error. Errors never contain the command's output.
    pub fn resolve_with_timeout(
        &self,
        what: &str,
        timeout: Duration,
    ) -> Result<SecretString, SecretError> {
        let raw = match self {
            SecretSource::Command(command) => run_command(what, command, timeout)?,
            SecretSource::File(path) => read_file(what, path)?,
        };
        let value = String::from_utf8(raw).map_err(|_| SecretError::NotUtf8 {
            what: what.to_owned(),
        })?;
        let secret = SecretString::new(value.trim_end());
        // `value` may still hold the untrimmed copy; wipe it as we do on SecretString's drop.
        drop(SecretString(value));
        if secret.expose().is_empty() {
            return Err(SecretError::Empty {
                what: what.to_owned(),
                source_desc: self.to_string(),
            });
        }
        Ok(secret)
    }
}

fn run_command(what: &str, command: &str, timeout: Duration) -> Result<Vec<u8>, SecretError> {
    let spawn_error = |source| SecretError::Spawn {
        what: what.to_owned(),
        source,
    };
    // stdin is null so a command that prompts fails instead of hanging; stderr is discarded because
    // some tools echo what they read there, and under `serve` it would land in the journal.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(spawn_error)?;

    let Some(stdout) = child.stdout.take() else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(spawn_error(std::io::Error::other("no stdout pipe")));
    };
    // Read on another thread: a command that writes more than the pipe buffer would otherwise
    // block forever while we wait for it to exit.
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let result = stdout
            .take(MAX_SECRET_BYTES + 1)
            .read_to_end(&mut buf)
            .map(|_| buf);
        let _ = sender.send(result);
    });

    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SecretError::Timeout {
                    what: what.to_owned(),
                    timeout,
                });
            }
            Ok(None) => thread::sleep(Duration::from_millis(10)),
            Err(source) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(spawn_error(source));
            }
        }
    };
    if !status.success() {
        return Err(SecretError::Status {
            what: what.to_owned(),
            status: describe_status(status),
        });
    }
    // A background process started by the command can keep the pipe open after `sh` exits, so
    // the read is bounded by the same deadline.
    let remaining = deadline.saturating_duration_since(Instant::now());
    let output = match receiver.recv_timeout(remaining) {
        Ok(Ok(output)) => output,
        Ok(Err(source)) => return Err(spawn_error(source)),
        Err(_) => {
            return Err(SecretError::Timeout {
                what: what.to_owned(),
                timeout,
            });
        }
    };
    if output.len() as u64 > MAX_SECRET_BYTES {
        return Err(SecretError::TooLarge {
            what: what.to_owned(),
        });
    }
    Ok(output)
}

fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("was killed by signal {signal}");
        }
    }
    "ended without an exit status".to_owned()
}

fn read_file(what: &str, path: &Path) -> Result<Vec<u8>, SecretError> {
    let read_error = |source| SecretError::ReadFile {
        what: what.to_owned(),
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut buf = Vec::new();
    file.take(MAX_SECRET_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(read_error)?;
    if buf.len() as u64 > MAX_SECRET_BYTES {
        return Err(SecretError::TooLarge {
            what: what.to_owned(),
        });
    }
    Ok(buf)
}

/// Why a secret could not be fetched. Messages are one line and never contain the secret, the
/// command line, or anything the command printed.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The command could not be started (or waited for).
    #[error("{what}: cannot run command: {source}")]
    Spawn {
        /// Which secret.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The command failed.
    #[error("{what}: command {status}")]
    Status {
        /// Which secret.
        what: String,
        /// For example `exited with status 3`.
        status: String,
    },
    /// The command ran longer than allowed and was killed.
    #[error("{what}: command did not finish within {} s", timeout.as_secs_f32())]
    Timeout {
        /// Which secret.
        what: String,
        /// The limit that was exceeded.
        timeout: Duration,
    },
    /// The secret file could not be read.
    #[error("{what}: cannot read {}: {source}", path.display())]
    ReadFile {
        /// Which secret.
        what: String,
        /// The file named in the config.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The command printed nothing, or the file is empty (after trimming whitespace).
    #[error("{what}: {source_desc} gave an empty secret")]
    Empty {
        /// Which secret.
        what: String,
        /// `command` or `file PATH`.
        source_desc: String,
    },
    /// The secret is not UTF-8 text.
    #[error("{what}: secret is not valid UTF-8")]
    NotUtf8 {
        /// Which secret.
        what: String,
    },
    /// The secret is implausibly large (over 64 KiB).
    #[error("{what}: secret is larger than 64 KiB")]
    TooLarge {
        /// Which secret.
        what: String,
    },
}

/// A secret value in memory.
///
/// `Debug` prints `SecretString([redacted])` and there is deliberately no `Display`; call
/// [`SecretString::expose`] at the one place the value is handed to a protocol. The buffer is
/// overwritten when dropped (best effort: copies made by callers are theirs to look after).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> SecretString {
        SecretString(value.into())
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.fill(0);
        // Keeps the compiler from treating the zeroing as a dead store.
        std::hint::black_box(&bytes);
    }
}
