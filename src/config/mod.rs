//! The TOML config file and the directories comptoir keeps its files in.
//!
//! Parsing happens in two steps: serde reads the file into private `Raw*` structs that keep byte
//! spans (so every error can point at a line and column), then [`parse`] checks what serde cannot
//! (duplicate names, secret key pairs, addresses, time zones) and builds the public types, which
//! hold plain values only.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::secret::SecretSource;
use check::Checker;
use locate::syntax_error;
use raw::RawConfig;

pub use hours::{
    DEFAULT_GRACE_SECONDS, DEFAULT_IDLE_MINUTES, HoursConfig, MAX_GRACE_SECONDS, MAX_IDLE_MINUTES,
    PresenceConfig, Shift, WEEKDAYS,
};

mod check;
mod hours;
mod locate;
mod raw;
mod replies;

pub use replies::{
    BUILTIN_VARIABLES, CommandVariable, DEFAULT_VARIABLE_TIMEOUT_SECONDS,
    MAX_VARIABLE_TIMEOUT_SECONDS, RepliesConfig, ShopConfig,
};
mod workflow;

pub use workflow::WorkflowConfig;

/// Default Telegram Bot API endpoint.
pub const TELEGRAM_API_BASE: &str = "https://api.telegram.org";
/// Default Graph API endpoint for Messenger, Instagram and WhatsApp.
pub const META_API_BASE: &str = "https://graph.facebook.com/v23.0";
/// Default X API endpoint.
pub const X_API_BASE: &str = "https://api.x.com";

/// How often an email account is synced when `poll_seconds` is unset.
pub const DEFAULT_POLL_SECONDS: u32 = 60;
/// The smallest `poll_seconds` accepted, so a typo cannot hammer the server.
pub const MIN_POLL_SECONDS: u32 = 5;

/// A parsed and validated config file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// Who is using this terminal.
    pub agent: AgentConfig,
    /// Keymap to start from: `default`, `vim` or `emacs` (the user's `keymap.toml` merges over it).
    pub keymap: Option<String>,
    /// Whether the TUI captures the mouse; unset means yes (see [`Config::mouse_enabled`]).
    pub mouse: Option<bool>,
    /// `[[email]]` mailboxes.
    pub email: Vec<EmailAccount>,
    /// `[relay]`: the HTTP server for website chat and webhooks.
    pub relay: Option<RelayConfig>,
    /// `[[chat]]` website chat inboxes.
    pub chat: Vec<ChatInbox>,
    /// `[[telegram]]` bots.
    pub telegram: Vec<TelegramAccount>,
    /// `[[messenger]]` Facebook pages.
    pub messenger: Vec<MetaAccount>,
    /// `[[instagram]]` Instagram professional accounts (same keys as Messenger).
    pub instagram: Vec<MetaAccount>,
    /// `[[whatsapp]]` WhatsApp Business numbers.
    pub whatsapp: Vec<WhatsAppAccount>,
    /// `[[mastodon]]` accounts.
    pub mastodon: Vec<MastodonAccount>,
    /// `[[x]]` accounts.
    pub x: Vec<XAccount>,
    /// `[hours]`: when the chat can be live; `None` means at any time.
    pub hours: Option<HoursConfig>,
    /// `[presence]`: idleness and the chat's grace period.
    pub presence: PresenceConfig,
    /// `[workflow]`: first-response targets.
    pub workflow: WorkflowConfig,
    /// `[shop]`: the shop's name for canned replies.
    pub shop: ShopConfig,
    /// `[replies]`: the canned replies' folder and command variables.
    pub replies: RepliesConfig,
}

/// `[agent]`: the person at this terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// Display name, shown on notes and assignments. Defaults to `$USER`, else `agent`.
    pub name: String,
    /// IANA time zone name (checked to exist); unset means the system zone.
    pub timezone: Option<String>,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            name: default_agent_name(),
            timezone: None,
        }
    }
}

impl AgentConfig {
    /// The agent's time zone: the configured one, else the system's.
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        match &self.timezone {
            // Validated at load time, so the fallback only matters if the tz database changed
            // underneath us since.
            Some(name) => jiff::tz::TimeZone::get(name).unwrap_or(jiff::tz::TimeZone::UTC),
            None => jiff::tz::TimeZone::system(),
        }
    }
}

/// `[[email]]`: one mailbox, read over IMAP and answered over SMTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAccount {
    /// Account name, unique among email accounts.
    pub name: String,
    /// The address customers write to and replies come from.
    pub address: String,
    /// Login for both IMAP and SMTP.
    pub username: String,
    /// From `password_command` or `password_file`.
    pub password: SecretSource,
    /// Incoming server.
    pub imap: ServerConfig,
    /// Outgoing server.
    pub smtp: ServerConfig,
    /// Extra CA certificate to trust (a self-signed server), made absolute.
    pub ca_file: Option<PathBuf>,
    /// Folders to watch; defaults to `["INBOX"]`.
    pub folders: Vec<String>,
    /// Folder to append sent replies to; unset means replies are not copied.
    pub sent_folder: Option<String>,
    /// How many days of existing mail to import on first sync; unset lets the channel decide.
    pub first_sync_days: Option<u32>,
    /// Whether to set `\Seen` on imported messages; unset lets the channel decide.
    pub mark_seen: Option<bool>,
    /// Seconds between two syncs of the folders IMAP IDLE does not watch (all but the
    /// first, or every folder of a server without IDLE); at least [`MIN_POLL_SECONDS`],
    /// default [`DEFAULT_POLL_SECONDS`].
    pub poll_seconds: u32,
}

/// Host, port and TLS mode of an IMAP or SMTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// How the connection is secured.
    pub tls: TlsMode,
}

/// How a mail connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Implicit,
    /// Plain connection upgraded with STARTTLS (143, 587).
    Starttls,
    /// No encryption at all (local test servers only).
    None,
}

impl fmt::Display for TlsMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsMode::Implicit => "implicit",
            TlsMode::Starttls => "starttls",
            TlsMode::None => "none",
        })
    }
}

/// `[relay]`: the HTTP server for website chat and webhooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayConfig {
    /// `IP:PORT` to listen on; checked to parse as a [`SocketAddr`].
    pub listen: String,
}

impl RelayConfig {
    /// The listen address, parsed.
    pub fn listen_addr(&self) -> Result<SocketAddr, std::net::AddrParseError> {
        self.listen.parse()
    }
}

/// `[[chat]]`: a website chat inbox served by the relay under `/chat/<name>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatInbox {
    /// Inbox name, unique among chat inboxes; part of the URL.
    pub name: String,
    /// Shared signing secret, from `secret_command` or `secret_file`.
    pub secret: SecretSource,
    /// Where replies are posted for the shop's backend, if anywhere.
    pub callback_url: Option<String>,
    /// Origins (`https://boutique.example`) whose pages may call the browser routes;
    /// empty means the relay's own pages only.
    pub origins: Vec<String>,
    /// The `[[email]]` account that also emails a reply to a visitor who has left (no
    /// open chat) and gave an address; their answer comes back to the same conversation.
    pub email_account: Option<String>,
    /// Sent once per away period to a visitor who writes while nobody is available for
    /// chat; `None` sends nothing.
    pub away_message: Option<String>,
}

/// The longest `away_message`, in characters: a short note, not a page.
pub const MAX_AWAY_MESSAGE_CHARS: usize = 1000;

/// `[[telegram]]`: a Telegram bot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelegramAccount {
    /// Account name, unique among Telegram accounts.
    pub name: String,
    /// Bot token, from `token_command` or `token_file`.
    pub token: SecretSource,
    /// With it, Telegram posts updates to the relay; without, the bot long-polls.
    pub webhook_secret: Option<SecretSource>,
    /// API endpoint, without a trailing slash.
    pub api_base: String,
}

/// `[[messenger]]` or `[[instagram]]`: a page reached through Meta's Graph API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaAccount {
    /// Account name, unique within its kind.
    pub name: String,
    /// Page (or Instagram account) id.
    pub page_id: String,
    /// Page access token, from `page_token_command` or `page_token_file`.
    pub page_token: SecretSource,
    /// App secret for `X-Hub-Signature-256`, from `app_secret_command` or `app_secret_file`.
    pub app_secret: SecretSource,
    /// `hub.verify_token` of the subscription handshake, from `verify_token_*`.
    pub verify_token: SecretSource,
    /// API endpoint, without a trailing slash.
    pub api_base: String,
}

/// `[[whatsapp]]`: a WhatsApp Business Cloud API number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppAccount {
    /// Account name, unique among WhatsApp accounts.
    pub name: String,
    /// Phone number id.
    pub phone_number_id: String,
    /// Access token, from `token_command` or `token_file`.
    pub token: SecretSource,
    /// App secret for `X-Hub-Signature-256`, from `app_secret_*`.
    pub app_secret: SecretSource,
    /// `hub.verify_token` of the subscription handshake, from `verify_token_*`.
    pub verify_token: SecretSource,
    /// API endpoint, without a trailing slash.
    pub api_base: String,
}

/// `[[mastodon]]`: an account on a Mastodon instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MastodonAccount {
    /// Account name, unique among Mastodon accounts.
    pub name: String,
    /// The instance, without a trailing slash.
    pub api_base: String,
    /// Access token, from `token_command` or `token_file`.
    pub token: SecretSource,
}

/// `[[x]]`: an X account receiving DMs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XAccount {
    /// Account name, unique among X accounts.
    pub name: String,
    /// User-context token for the DM endpoints, from `token_command` or `token_file`.
    pub token: SecretSource,
    /// Consumer secret for the CRC challenge and webhook signatures, from `consumer_secret_*`.
    pub consumer_secret: SecretSource,
    /// API endpoint, without a trailing slash.
    pub api_base: String,
}

/// One configured account, as listed by `comptoir config check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    /// The config table it came from: `email`, `chat`, `telegram`, ...
    pub kind: &'static str,
    /// Its `name`.
    pub name: String,
    /// Where it connects (address, hosts, API base); never a secret.
    pub detail: String,
}

impl Config {
    /// Whether the TUI should capture the mouse (the default).
    pub fn mouse_enabled(&self) -> bool {
        self.mouse.unwrap_or(true)
    }

    /// Every secret the config names, labelled `kind.name.key` (for `config check`, which
    /// tries each one and prints whether it can be read, never its value).
    pub fn secrets<'a>(&'a self) -> Vec<(String, &'a SecretSource)> {
        let mut out: Vec<(String, &'a SecretSource)> = Vec::new();
        let mut add = |kind: &str, name: &str, key: &str, source: Option<&'a SecretSource>| {
            if let Some(source) = source {
                out.push((format!("{kind}.{name}.{key}"), source));
            }
        };
        for a in &self.email {
            add("email", &a.name, "password", Some(&a.password));
        }
        for a in &self.chat {
            add("chat", &a.name, "secret", Some(&a.secret));
        }
        for a in &self.telegram {
            add("telegram", &a.name, "token", Some(&a.token));
            add(
                "telegram",
                &a.name,
                "webhook_secret",
                a.webhook_secret.as_ref(),
            );
        }
        for (kind, list) in [
            ("messenger", &self.messenger),
            ("instagram", &self.instagram),
        ] {
            for a in list {
                add(kind, &a.name, "page_token", Some(&a.page_token));
                add(kind, &a.name, "app_secret", Some(&a.app_secret));
                add(kind, &a.name, "verify_token", Some(&a.verify_token));
            }
        }
        for a in &self.whatsapp {
            add("whatsapp", &a.name, "token", Some(&a.token));
            add("whatsapp", &a.name, "app_secret", Some(&a.app_secret));
            add("whatsapp", &a.name, "verify_token", Some(&a.verify_token));
        }
        for a in &self.mastodon {
            add("mastodon", &a.name, "token", Some(&a.token));
        }
        for a in &self.x {
            add("x", &a.name, "token", Some(&a.token));
            add("x", &a.name, "consumer_secret", Some(&a.consumer_secret));
        }
        out
    }

    /// Every account, in config-file table order, for display.
    pub fn accounts(&self) -> Vec<AccountSummary> {
        let mut out = Vec::new();
        let mut push = |kind, name: &str, detail: String| {
            out.push(AccountSummary {
                kind,
                name: name.to_owned(),
                detail,
            });
        };
        for a in &self.email {
            push(
                "email",
                &a.name,
                format!(
                    "{}; imap {}:{} ({}); smtp {}:{} ({})",
                    a.address,
                    a.imap.host,
                    a.imap.port,
                    a.imap.tls,
                    a.smtp.host,
                    a.smtp.port,
                    a.smtp.tls
                ),
            );
        }
        let relay = self
            .relay
            .as_ref()
            .map_or("no relay", |relay| relay.listen.as_str());
        for a in &self.chat {
            let callback = a.callback_url.as_deref().unwrap_or("none");
            let follow_up = a.email_account.as_deref().map_or_else(String::new, |e| {
                format!("; replies to visitors who left by email {e:?}")
            });
            let away = a
                .away_message
                .as_deref()
                .map_or_else(String::new, |m| format!("; away message {m:?}"));
            push(
                "chat",
                &a.name,
                format!(
                    "POST /chat/{}/messages on {relay}; callback {callback}{follow_up}{away}",
                    a.name
                ),
            );
        }
        for a in &self.telegram {
            let mode = if a.webhook_secret.is_some() {
                "webhook"
            } else {
                "long polling"
            };
            push("telegram", &a.name, format!("{}; {mode}", a.api_base));
        }
        for a in &self.messenger {
            push(
                "messenger",
                &a.name,
                format!("page {}; {}", a.page_id, a.api_base),
            );
        }
        for a in &self.instagram {
            push(
                "instagram",
                &a.name,
                format!("account {}; {}", a.page_id, a.api_base),
            );
        }
        for a in &self.whatsapp {
            push(
                "whatsapp",
                &a.name,
                format!("phone number {}; {}", a.phone_number_id, a.api_base),
            );
        }
        for a in &self.mastodon {
            push("mastodon", &a.name, a.api_base.clone());
        }
        for a in &self.x {
            push("x", &a.name, a.api_base.clone());
        }
        out
    }
}

/// Why the config (or the directories) could not be loaded. Every message is one line, names
/// the file and key, and never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {}: {source}", path.display())]
    Read {
        /// The config file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or does not have the expected keys and types.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        /// The config file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong, starting with the key path where known.
        message: String,
    },
    /// The file is well-formed but a value is not acceptable.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong, starting with the key path.
        message: String,
    },
    /// No home directory, so there is nowhere default to put config and data.
    #[error(
        "cannot determine the home directory for comptoir's files; set HOME, or pass --config and --data-dir"
    )]
    NoHome,
}

impl ConfigError {
    /// Whether this is "the config file does not exist" (the first-run case).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ConfigError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Reads and validates the config file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, path)
}

/// Parses and validates config text; `path` is used in error messages and as the base for
/// relative file paths in the config.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| syntax_error(text, path, &e))?;
    // Absolute, so a path in the config means the same file whatever directory the process later
    // runs in (`--config config.toml` from one shell, `serve` from another).
    let base_dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::path::absolute(parent).unwrap_or_else(|_| parent.to_owned())
        }
        _ => std::env::current_dir().unwrap_or_default(),
    };
    Checker {
        text,
        path,
        base_dir,
    }
    .config(raw)
}

/// Where comptoir keeps its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The config file (`--config`, else `$XDG_CONFIG_HOME/comptoir/config.toml`).
    pub config_file: PathBuf,
    /// Store, attachments and the serve lock (`--data-dir`, else the XDG data dir).
    pub data_dir: PathBuf,
    /// Logs (the XDG state dir; `data_dir/state` where the platform has none).
    pub state_dir: PathBuf,
}

impl Paths {
    /// Applies the command-line overrides on top of the platform's standard directories.
    ///
    /// Creates nothing. Fails only when a default is needed and there is no home directory.
    pub fn resolve(
        config_override: Option<&Path>,
        data_dir_override: Option<&Path>,
    ) -> Result<Paths, ConfigError> {
        let dirs = directories::ProjectDirs::from("", "", "comptoir");
        let config_file = match (config_override, &dirs) {
            (Some(path), _) => path.to_owned(),
            (None, Some(dirs)) => dirs.config_dir().join("config.toml"),
            (None, None) => return Err(ConfigError::NoHome),
        };
        let data_dir = match (data_dir_override, &dirs) {
            (Some(path), _) => path.to_owned(),
            (None, Some(dirs)) => dirs.data_dir().to_owned(),
            (None, None) => return Err(ConfigError::NoHome),
        };
        // DESIGN keeps logs in the state dir even when --data-dir moves the store; only platforms
        // without a state dir (macOS, Windows) or a missing home put them under the data dir.
        let state_dir = dirs
            .as_ref()
            .and_then(|dirs| dirs.state_dir())
            .map_or_else(|| data_dir.join("state"), Path::to_path_buf);
        Ok(Paths {
            config_file,
            data_dir,
            state_dir,
        })
    }

    /// The SQLite store.
    pub fn store_file(&self) -> PathBuf {
        self.data_dir.join("store.sqlite")
    }

    /// Content-addressed attachment files.
    pub fn attachments_dir(&self) -> PathBuf {
        self.data_dir.join("attachments")
    }

    /// The lock `comptoir serve` holds while it runs the channels.
    pub fn lock_file(&self) -> PathBuf {
        self.data_dir.join("serve.lock")
    }

    /// Daily log files.
    pub fn log_dir(&self) -> PathBuf {
        self.state_dir.join("logs")
    }
}

fn default_agent_name() -> String {
    std::env::var("USER")
        .ok()
        .filter(|user| !user.trim().is_empty())
        .unwrap_or_else(|| "agent".to_owned())
}
