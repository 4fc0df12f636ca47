//! The TOML config file and the directories comptoir keeps its files in.
//!
//! Parsing happens in two steps: serde reads the file into private `Raw*` structs that keep byte
//! spans (so every error can point at a line and column), then [`parse`] checks what serde cannot
//! (duplicate names, secret key pairs, addresses, time zones) and builds the public types, which
//! hold plain values only.

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::secret::{SecretPairError, SecretSource};

/// Default Telegram Bot API endpoint.
pub const TELEGRAM_API_BASE: &str = "https://api.telegram.org";
/// Default Graph API endpoint for Messenger, Instagram and WhatsApp.
pub const META_API_BASE: &str = "https://graph.facebook.com/v23.0";
/// Default X API endpoint.
pub const X_API_BASE: &str = "https://api.x.com";

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
}

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
            push(
                "chat",
                &a.name,
                format!(
                    "POST /chat/{}/messages on {relay}; callback {callback}",
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

// ---------------------------------------------------------------------------------------------
// What serde reads. Spans are kept on whatever a later check may need to point at; account
// tables are spanned so "missing key" errors can point at their `[[header]]`.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    agent: Option<RawAgent>,
    keymap: Option<Spanned<String>>,
    mouse: Option<bool>,
    #[serde(default)]
    email: Vec<Spanned<RawEmail>>,
    relay: Option<RawRelay>,
    #[serde(default)]
    chat: Vec<Spanned<RawChat>>,
    #[serde(default)]
    telegram: Vec<Spanned<RawTelegram>>,
    #[serde(default)]
    messenger: Vec<Spanned<RawMeta>>,
    #[serde(default)]
    instagram: Vec<Spanned<RawMeta>>,
    #[serde(default)]
    whatsapp: Vec<Spanned<RawWhatsApp>>,
    #[serde(default)]
    mastodon: Vec<Spanned<RawMastodon>>,
    #[serde(default)]
    x: Vec<Spanned<RawX>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgent {
    name: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmail {
    name: Spanned<String>,
    address: Spanned<String>,
    username: Spanned<String>,
    password_command: Option<Spanned<String>>,
    password_file: Option<Spanned<PathBuf>>,
    imap: RawServer,
    smtp: RawServer,
    ca_file: Option<Spanned<PathBuf>>,
    folders: Option<Spanned<Vec<String>>>,
    sent_folder: Option<Spanned<String>>,
    first_sync_days: Option<u32>,
    mark_seen: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    host: Spanned<String>,
    port: u16,
    tls: TlsMode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelay {
    listen: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChat {
    name: Spanned<String>,
    secret_command: Option<Spanned<String>>,
    secret_file: Option<Spanned<PathBuf>>,
    callback_url: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTelegram {
    name: Spanned<String>,
    token_command: Option<Spanned<String>>,
    token_file: Option<Spanned<PathBuf>>,
    webhook_secret_command: Option<Spanned<String>>,
    webhook_secret_file: Option<Spanned<PathBuf>>,
    api_base: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    name: Spanned<String>,
    page_id: Spanned<String>,
    page_token_command: Option<Spanned<String>>,
    page_token_file: Option<Spanned<PathBuf>>,
    app_secret_command: Option<Spanned<String>>,
    app_secret_file: Option<Spanned<PathBuf>>,
    verify_token_command: Option<Spanned<String>>,
    verify_token_file: Option<Spanned<PathBuf>>,
    api_base: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWhatsApp {
    name: Spanned<String>,
    phone_number_id: Spanned<String>,
    token_command: Option<Spanned<String>>,
    token_file: Option<Spanned<PathBuf>>,
    app_secret_command: Option<Spanned<String>>,
    app_secret_file: Option<Spanned<PathBuf>>,
    verify_token_command: Option<Spanned<String>>,
    verify_token_file: Option<Spanned<PathBuf>>,
    api_base: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMastodon {
    name: Spanned<String>,
    api_base: Spanned<String>,
    token_command: Option<Spanned<String>>,
    token_file: Option<Spanned<PathBuf>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawX {
    name: Spanned<String>,
    token_command: Option<Spanned<String>>,
    token_file: Option<Spanned<PathBuf>>,
    consumer_secret_command: Option<Spanned<String>>,
    consumer_secret_file: Option<Spanned<PathBuf>>,
    api_base: Option<Spanned<String>>,
}

// ---------------------------------------------------------------------------------------------
// Semantic checks: raw → public types.

struct Checker<'a> {
    text: &'a str,
    path: &'a Path,
    base_dir: PathBuf,
}

/// Names seen so far for one kind of account, to report duplicates.
#[derive(Default)]
struct Names(HashSet<String>);

impl Checker<'_> {
    fn invalid(&self, span: Range<usize>, message: String) -> ConfigError {
        let (line, column) = position(self.text, span.start);
        ConfigError::Invalid {
            path: self.path.to_owned(),
            line,
            column,
            message: one_line(&message),
        }
    }

    fn config(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        let agent = self.agent(raw.agent)?;
        let keymap = match raw.keymap {
            Some(keymap) if keymap.get_ref().trim().is_empty() => {
                return Err(self.invalid(keymap.span(), "keymap: must not be empty".to_owned()));
            }
            keymap => keymap.map(Spanned::into_inner),
        };
        let relay = match raw.relay {
            Some(relay) => Some(self.relay(relay)?),
            None => None,
        };
        let has_relay = relay.is_some();
        let needs_relay = |span: Range<usize>, table: &str, why: &str| {
            if has_relay {
                Ok(())
            } else {
                Err(self.invalid(
                    span,
                    format!("{table}: {why} arrive through the relay; add a [relay] section with `listen`"),
                ))
            }
        };

        let mut config = Config {
            agent,
            keymap,
            mouse: raw.mouse,
            relay,
            ..Config::default()
        };

        let mut names = Names::default();
        for (i, raw) in raw.email.into_iter().enumerate() {
            config.email.push(self.email(i, raw, &mut names)?);
        }
        let mut names = Names::default();
        for (i, raw) in raw.chat.into_iter().enumerate() {
            needs_relay(raw.span(), &format!("chat[{i}]"), "chat messages")?;
            config.chat.push(self.chat(i, raw, &mut names)?);
        }
        let mut names = Names::default();
        for (i, raw) in raw.telegram.into_iter().enumerate() {
            let span = raw.span();
            let account = self.telegram(i, raw, &mut names)?;
            if account.webhook_secret.is_some() {
                needs_relay(span, &format!("telegram[{i}]"), "webhooks")?;
            }
            config.telegram.push(account);
        }
        for (kind, raws, out) in [
            ("messenger", raw.messenger, &mut config.messenger),
            ("instagram", raw.instagram, &mut config.instagram),
        ] {
            let mut names = Names::default();
            for (i, raw) in raws.into_iter().enumerate() {
                needs_relay(raw.span(), &format!("{kind}[{i}]"), "webhooks")?;
                out.push(self.meta(kind, i, raw, &mut names)?);
            }
        }
        let mut names = Names::default();
        for (i, raw) in raw.whatsapp.into_iter().enumerate() {
            needs_relay(raw.span(), &format!("whatsapp[{i}]"), "webhooks")?;
            config.whatsapp.push(self.whatsapp(i, raw, &mut names)?);
        }
        let mut names = Names::default();
        for (i, raw) in raw.mastodon.into_iter().enumerate() {
            config.mastodon.push(self.mastodon(i, raw, &mut names)?);
        }
        let mut names = Names::default();
        for (i, raw) in raw.x.into_iter().enumerate() {
            needs_relay(raw.span(), &format!("x[{i}]"), "webhooks")?;
            config.x.push(self.x(i, raw, &mut names)?);
        }
        Ok(config)
    }

    fn agent(&self, raw: Option<RawAgent>) -> Result<AgentConfig, ConfigError> {
        let Some(raw) = raw else {
            return Ok(AgentConfig::default());
        };
        let name = match raw.name {
            Some(name) => self.non_empty("agent.name", name)?,
            None => default_agent_name(),
        };
        let timezone = match raw.timezone {
            Some(tz) => {
                if jiff::tz::TimeZone::get(tz.get_ref()).is_err() {
                    return Err(self.invalid(
                        tz.span(),
                        format!(
                            "agent.timezone: unknown time zone {:?} (expected an IANA name such as \"Europe/Paris\")",
                            tz.get_ref()
                        ),
                    ));
                }
                Some(tz.into_inner())
            }
            None => None,
        };
        Ok(AgentConfig { name, timezone })
    }

    fn relay(&self, raw: RawRelay) -> Result<RelayConfig, ConfigError> {
        if raw.listen.get_ref().parse::<SocketAddr>().is_err() {
            return Err(self.invalid(
                raw.listen.span(),
                format!(
                    "relay.listen: invalid address {:?} (expected IP:PORT, e.g. \"127.0.0.1:8780\")",
                    raw.listen.get_ref()
                ),
            ));
        }
        Ok(RelayConfig {
            listen: raw.listen.into_inner(),
        })
    }

    fn email(
        &self,
        i: usize,
        raw: Spanned<RawEmail>,
        names: &mut Names,
    ) -> Result<EmailAccount, ConfigError> {
        let table = format!("email[{i}]");
        let span = raw.span();
        let raw = raw.into_inner();
        let name = self.name(&table, raw.name, names)?;
        let address_span = raw.address.span();
        let address = self.non_empty(&format!("{table}.address"), raw.address)?;
        if !address.contains('@') {
            return Err(self.invalid(
                address_span,
                format!("{table}.address: {address:?} is not an email address"),
            ));
        }
        let username = self.non_empty(&format!("{table}.username"), raw.username)?;
        let password = self.required_secret(
            &table,
            span,
            "password",
            raw.password_command,
            raw.password_file,
        )?;
        let imap = self.server(&format!("{table}.imap"), raw.imap)?;
        let smtp = self.server(&format!("{table}.smtp"), raw.smtp)?;
        let ca_file = match raw.ca_file {
            Some(path) => Some(self.file_path(&format!("{table}.ca_file"), path)?),
            None => None,
        };
        let folders = match raw.folders {
            Some(folders) => {
                if folders.get_ref().is_empty()
                    || folders.get_ref().iter().any(|f| f.trim().is_empty())
                {
                    return Err(self.invalid(
                        folders.span(),
                        format!("{table}.folders: list at least one folder, and no empty names"),
                    ));
                }
                folders.into_inner()
            }
            None => vec!["INBOX".to_owned()],
        };
        let sent_folder = match raw.sent_folder {
            Some(folder) => Some(self.non_empty(&format!("{table}.sent_folder"), folder)?),
            None => None,
        };
        Ok(EmailAccount {
            name,
            address,
            username,
            password,
            imap,
            smtp,
            ca_file,
            folders,
            sent_folder,
            first_sync_days: raw.first_sync_days,
            mark_seen: raw.mark_seen,
        })
    }

    fn server(&self, key: &str, raw: RawServer) -> Result<ServerConfig, ConfigError> {
        let host = self.non_empty(&format!("{key}.host"), raw.host)?;
        Ok(ServerConfig {
            host,
            port: raw.port,
            tls: raw.tls,
        })
    }

    fn chat(
        &self,
        i: usize,
        raw: Spanned<RawChat>,
        names: &mut Names,
    ) -> Result<ChatInbox, ConfigError> {
        let table = format!("chat[{i}]");
        let span = raw.span();
        let raw = raw.into_inner();
        let name = self.name(&table, raw.name, names)?;
        let secret =
            self.required_secret(&table, span, "secret", raw.secret_command, raw.secret_file)?;
        let callback_url = match raw.callback_url {
            Some(url) => Some(self.url(&format!("{table}.callback_url"), url)?),
            None => None,
        };
        Ok(ChatInbox {
            name,
            secret,
            callback_url,
        })
    }

    fn telegram(
        &self,
        i: usize,
        raw: Spanned<RawTelegram>,
        names: &mut Names,
    ) -> Result<TelegramAccount, ConfigError> {
        let table = format!("telegram[{i}]");
        let span = raw.span();
        let raw = raw.into_inner();
        let name = self.name(&table, raw.name, names)?;
        let token =
            self.required_secret(&table, span, "token", raw.token_command, raw.token_file)?;
        let webhook_secret = self.secret(
            &table,
            "webhook_secret",
            raw.webhook_secret_command,
            raw.webhook_secret_file,
        )?;
        let api_base = self.api_base(&table, raw.api_base, TELEGRAM_API_BASE)?;
        Ok(TelegramAccount {
            name,
            token,
            webhook_secret,
            api_base,
        })
    }

    fn meta(
        &self,
        kind: &str,
        i: usize,
        raw: Spanned<RawMeta>,
        names: &mut Names,
    ) -> Result<MetaAccount, ConfigError> {
        let table = format!("{kind}[{i}]");
        let span = raw.span();
        let raw = raw.into_inner();
        let name = self.name(&table, raw.name, names)?;
        let page_id = self.non_empty(&format!("{table}.page_id"), raw.page_id)?;
        let page_token = self.required_secret(
            &table,
            span.clone(),
            "page_token",
            raw.page_token_command,
            raw.page_token_file,
        )?;
        let app_secret = self.required_secret(
            &table,
            span.clone(),
            "app_secret",
            raw.app_secret_command,
            raw.app_secret_file,
        )?;
        let verify_token = self.required_secret(
            &table,
            span,
            "verify_token",
            raw.verify_token_command,
            raw.verify_token_file,
        )?;
        let api_base = self.api_base(&table, raw.api_base, META_API_BASE)?;
        Ok(MetaAccount {
            name,
            page_id,
            page_token,
            app_secret,
            verify_token,
            api_base,
        })
    }

    fn whatsapp(
        &self,
        i: usize,
        raw: Spanned<RawWhatsApp>,
        names: &mut Names,
    ) -> Result<WhatsAppAccount, ConfigError> {
        let table = format!("whatsapp[{i}]");
        let span = raw.span();
        let raw = raw.into_inner();
        let name = self.name(&table, raw.name, names)?;
        let phone_number_id =
            self.non_empty(&format!("{table}.phone_number_id"), raw.phone_number_id)?;
        let token = self.required_secret(
            &table,
            span.clone(),
            "token",
            raw.token_command,
            raw.token_file,
        )?;
        let app_secret = self.required_secret(
            &table,
            span.clone(),
            "app_secret",
            raw.app_secret_command,
            raw.app_secret_file,
        )?;
        let verify_token = self.required_secret(
            &table,
            span,
            "verify_token",
            raw.verify_token_command,
            raw.verify_token_file,
        )?;
        let api_base = self.api_base(&table, raw.api_base, META_API_BASE)?;
        Ok(WhatsAppAccount {
            name,
            phone_number_id,
            token,
            app_secret,
            verify_token,
            api_base,
        })
    }

    fn mastodon(
        &self,
        i: usize,
        raw: Spanned<RawMastodon>,
        names: &mut Names,
    ) -> Result<MastodonAccount, ConfigError> {
        let table = format!("mastodon[{i}]");
        let span = raw.span();
        let raw = raw.into_inner();
        let name = self.name(&table, raw.name, names)?;
        let api_base = self.url(&format!("{table}.api_base"), raw.api_base)?;
        let token =
            self.required_secret(&table, span, "token", raw.token_command, raw.token_file)?;
        Ok(MastodonAccount {
            name,
            api_base,
            token,
        })
    }

    fn x(&self, i: usize, raw: Spanned<RawX>, names: &mut Names) -> Result<XAccount, ConfigError> {
        let table = format!("x[{i}]");
        let span = raw.span();
        let raw = raw.into_inner();
        let name = self.name(&table, raw.name, names)?;
        let token = self.required_secret(
            &table,
            span.clone(),
            "token",
            raw.token_command,
            raw.token_file,
        )?;
        let consumer_secret = self.required_secret(
            &table,
            span,
            "consumer_secret",
            raw.consumer_secret_command,
            raw.consumer_secret_file,
        )?;
        let api_base = self.api_base(&table, raw.api_base, X_API_BASE)?;
        Ok(XAccount {
            name,
            token,
            consumer_secret,
            api_base,
        })
    }

    /// Account names end up in URLs (`/hooks/<kind>/<name>`) and store keys, so they are kept to
    /// characters that need no escaping anywhere.
    fn name(
        &self,
        table: &str,
        name: Spanned<String>,
        names: &mut Names,
    ) -> Result<String, ConfigError> {
        let span = name.span();
        let value = name.into_inner();
        let valid = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(self.invalid(
                span,
                format!(
                    "{table}.name: {value:?} is not a valid account name (use letters, digits, '-', '_' or '.')"
                ),
            ));
        }
        if !names.0.insert(value.clone()) {
            return Err(self.invalid(
                span,
                format!("{table}.name: duplicate account name {value:?}"),
            ));
        }
        Ok(value)
    }

    fn non_empty(&self, key: &str, value: Spanned<String>) -> Result<String, ConfigError> {
        if value.get_ref().trim().is_empty() {
            return Err(self.invalid(value.span(), format!("{key}: must not be empty")));
        }
        Ok(value.into_inner())
    }

    fn url(&self, key: &str, value: Spanned<String>) -> Result<String, ConfigError> {
        let span = value.span();
        let url = value.into_inner();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        match rest {
            Some(rest)
                if !rest.is_empty()
                    && !rest.starts_with('/')
                    && !url.contains(char::is_whitespace) =>
            {
                // Channels build endpoints as `{api_base}/path`; a trailing slash would double it.
                Ok(url.trim_end_matches('/').to_owned())
            }
            _ => Err(self.invalid(
                span,
                format!("{key}: {url:?} is not an http:// or https:// URL"),
            )),
        }
    }

    fn api_base(
        &self,
        table: &str,
        value: Option<Spanned<String>>,
        default: &str,
    ) -> Result<String, ConfigError> {
        match value {
            Some(value) => self.url(&format!("{table}.api_base"), value),
            None => Ok(default.to_owned()),
        }
    }

    /// Relative paths are taken from the config file's directory rather than the working
    /// directory, which for `serve` under systemd is `/`; `~/` means the home directory.
    fn file_path(&self, key: &str, path: Spanned<PathBuf>) -> Result<PathBuf, ConfigError> {
        if path.get_ref().as_os_str().is_empty() {
            return Err(self.invalid(path.span(), format!("{key}: must not be empty")));
        }
        let path = path.into_inner();
        if let Ok(rest) = path.strip_prefix("~")
            && let Some(base) = directories::BaseDirs::new()
        {
            return Ok(base.home_dir().join(rest));
        }
        if path.is_relative() {
            return Ok(self.base_dir.join(path));
        }
        Ok(path)
    }

    fn secret(
        &self,
        table: &str,
        key: &str,
        command: Option<Spanned<String>>,
        file: Option<Spanned<PathBuf>>,
    ) -> Result<Option<SecretSource>, ConfigError> {
        let command_key = format!("{key}_command");
        let file_key = format!("{key}_file");
        if let (Some(_), Some(file)) = (&command, &file) {
            return Err(self.invalid(
                file.span(),
                format!("{table}: both {command_key} and {file_key} are set; keep exactly one"),
            ));
        }
        if let Some(command) = &command
            && command.get_ref().trim().is_empty()
        {
            return Err(self.invalid(
                command.span(),
                format!("{table}.{command_key}: must not be empty"),
            ));
        }
        let file = match file {
            Some(file) => Some(self.file_path(&format!("{table}.{file_key}"), file)?),
            None => None,
        };
        match SecretSource::from_pair(command.map(Spanned::into_inner), file) {
            Ok(source) => Ok(Some(source)),
            Err(SecretPairError::Neither) => Ok(None),
            // Ruled out above, where the span of the second key is still known.
            Err(SecretPairError::Both) => Err(self.invalid(
                0..0,
                format!("{table}: both {command_key} and {file_key} are set; keep exactly one"),
            )),
        }
    }

    fn required_secret(
        &self,
        table: &str,
        table_span: Range<usize>,
        key: &str,
        command: Option<Spanned<String>>,
        file: Option<Spanned<PathBuf>>,
    ) -> Result<SecretSource, ConfigError> {
        self.secret(table, key, command, file)?.ok_or_else(|| {
            self.invalid(
                table_span,
                format!("{table}: missing {key}_command or {key}_file"),
            )
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Turning toml's errors into one line with a position and a key path.

fn syntax_error(text: &str, path: &Path, error: &toml::de::Error) -> ConfigError {
    let span = error.span();
    let (line, column) = position(text, span.as_ref().map_or(0, |span| span.start));
    let mut message = redact_strings(error.message());
    if let Some(span) = span {
        match locate(text, span.start) {
            Some(found) => {
                let unknown = unknown_field(&message);
                if let Some(key) = &unknown
                    && message.contains(&format!("`{key}_command`"))
                {
                    message = plain_secret_message(key);
                    message = format!("{}: {message}", found.path);
                } else if unknown.is_some() && found.is_key {
                    // "email[0]: unknown field `x`" reads better than "email[0].x: unknown field `x`".
                    if let Some(parent) = found.parent() {
                        message = format!("{parent}: {message}");
                    }
                } else {
                    message = format!("{}: {message}", found.path);
                }
            }
            None => {
                // A TOML syntax error (the document does not parse at all); name the offending
                // key where toml points at one.
                if message == "duplicate key" {
                    let key = text.get(span).unwrap_or("").trim();
                    if !key.is_empty() && !key.contains('\n') {
                        message = format!("duplicate key `{key}`");
                    }
                }
            }
        }
    }
    ConfigError::Syntax {
        path: path.to_owned(),
        line,
        column,
        message: one_line(&message),
    }
}

fn plain_secret_message(key: &str) -> String {
    let kind = if key == "password" {
        "passwords"
    } else {
        "secrets"
    };
    format!("plain {kind} are not accepted; use {key}_command or {key}_file")
}

/// The key named by serde's "unknown field `KEY`, expected ..." message.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let end = rest.find('`')?;
    Some(rest[..end].to_owned())
}

/// Serde quotes the offending value in type errors (`invalid type: string "…", expected u16`).
/// A secret pasted under the wrong key would end up on the terminal and in logs that way, so
/// string values are dropped; the line and column still point at it.
fn redact_strings(message: &str) -> String {
    const MARKER: &str = "string \"";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(MARKER) {
        let (before, after) = rest.split_at(start + MARKER.len() - 1);
        // `before` ends with "string "; drop the space before the value.
        out.push_str(before.trim_end());
        let quoted = &after[1..];
        let mut escaped = false;
        let mut end = None;
        for (i, c) in quoted.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        match end {
            Some(end) => rest = &quoted[end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn one_line(message: &str) -> String {
    if message.contains(['\n', '\r']) {
        message.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        message.to_owned()
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

struct Located {
    path: String,
    is_key: bool,
}

impl Located {
    fn parent(&self) -> Option<&str> {
        let cut = self.path.rfind(['.', '['])?;
        // A trailing index belongs to the array, not to the key: the parent of `a[0].b` is `a[0]`.
        Some(&self.path[..cut])
    }
}

/// Finds the key (or value) at byte `offset`, as a path like `email[1].imap.port`.
///
/// Re-parses the document into toml's spanned tree and takes the narrowest key or value span
/// containing the offset; table headers count as the span of their table, which is where toml
/// points "missing field" errors.
fn locate(text: &str, offset: usize) -> Option<Located> {
    let document = toml::de::DeTable::parse(text).ok()?;
    let mut best: Option<(usize, usize, Located)> = None;
    let mut consider = |path: &str, span: Range<usize>, is_key: bool| {
        let contains = span.contains(&offset) || (span.is_empty() && span.start == offset);
        if !contains || path.is_empty() {
            return;
        }
        let width = span.len();
        let better = match &best {
            None => true,
            Some((best_width, best_depth, _)) => {
                width < *best_width || (width == *best_width && path.len() > *best_depth)
            }
        };
        if better {
            best = Some((
                width,
                path.len(),
                Located {
                    path: path.to_owned(),
                    is_key,
                },
            ));
        }
    };
    walk_table(document.get_ref(), "", &mut consider);
    best.map(|(_, _, located)| located)
}

fn walk_table(
    table: &toml::de::DeTable<'_>,
    prefix: &str,
    visit: &mut impl FnMut(&str, Range<usize>, bool),
) {
    for (key, value) in table.iter() {
        let segment = key_segment(key.get_ref());
        let path = if prefix.is_empty() {
            segment
        } else {
            format!("{prefix}.{segment}")
        };
        visit(&path, key.span(), true);
        walk_value(value, &path, visit);
    }
}

fn walk_value(
    value: &Spanned<toml::de::DeValue<'_>>,
    path: &str,
    visit: &mut impl FnMut(&str, Range<usize>, bool),
) {
    visit(path, value.span(), false);
    match value.get_ref() {
        toml::de::DeValue::Table(table) => walk_table(table, path, visit),
        toml::de::DeValue::Array(array) => {
            for (i, item) in array.iter().enumerate() {
                walk_value(item, &format!("{path}[{i}]"), visit);
            }
        }
        _ => {}
    }
}

fn key_segment(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_is_one_based_and_counts_characters() {
        assert_eq!(position("", 0), (1, 1));
        assert_eq!(position("ab\ncd", 3), (2, 1));
        assert_eq!(position("é = 1\nx", 4), (1, 4));
        assert_eq!(position("ab", 99), (1, 3));
    }

    #[test]
    fn redaction_drops_quoted_strings_only() {
        assert_eq!(
            redact_strings(r#"invalid type: string "hun\"ter2", expected u16"#),
            "invalid type: string, expected u16"
        );
        assert_eq!(
            redact_strings("invalid type: integer `3`, expected a string"),
            "invalid type: integer `3`, expected a string"
        );
    }

    #[test]
    fn located_parent_strips_last_segment() {
        let found = Located {
            path: "email[0].imapx".to_owned(),
            is_key: true,
        };
        assert_eq!(found.parent(), Some("email[0]"));
    }
}
