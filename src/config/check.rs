//! Semantic checks serde can't make (duplicate names, secret key pairs, addresses, time
//! zones), turning the raw structs into the public config types.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use super::locate::{one_line, position};
use super::raw::*;
use super::*;
use crate::secret::{SecretPairError, SecretSource};

/// Checks one config file: its text and path for error positions, its folder for
/// relative secret paths.
pub(super) struct Checker<'a> {
    pub(super) text: &'a str,
    pub(super) path: &'a Path,
    pub(super) base_dir: PathBuf,
}

/// Names seen so far for one kind of account, to report duplicates.
#[derive(Default)]
pub(super) struct Names(HashSet<String>);

impl Checker<'_> {
    pub(super) fn invalid(&self, span: Range<usize>, message: String) -> ConfigError {
        let (line, column) = position(self.text, span.start);
        ConfigError::Invalid {
            path: self.path.to_owned(),
            line,
            column,
            message: one_line(&message),
        }
    }

    pub(super) fn config(&self, raw: RawConfig) -> Result<Config, ConfigError> {
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

        let hours = match raw.hours {
            Some(hours) => Some(self.hours(hours)?),
            None => None,
        };
        let presence = self.presence(raw.presence)?;
        let shop = self.shop(raw.shop)?;
        let replies = self.replies(raw.replies)?;
        let workflow = self.workflow(raw.workflow)?;

        let mut config = Config {
            agent,
            keymap,
            mouse: raw.mouse,
            relay,
            hours,
            presence,
            shop,
            replies,
            workflow,
            ..Config::default()
        };

        let mut names = Names::default();
        for (i, raw) in raw.email.into_iter().enumerate() {
            config.email.push(self.email(i, raw, &mut names)?);
        }
        let mut names = Names::default();
        for (i, raw) in raw.chat.into_iter().enumerate() {
            needs_relay(raw.span(), &format!("chat[{i}]"), "chat messages")?;
            let chat = self.chat(i, raw, &mut names, &config.email)?;
            config.chat.push(chat);
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
        let poll_seconds = match raw.poll_seconds {
            Some(poll) if *poll.get_ref() < MIN_POLL_SECONDS => {
                return Err(self.invalid(
                    poll.span(),
                    format!(
                        "{table}.poll_seconds: {} is too often (at least {MIN_POLL_SECONDS})",
                        poll.get_ref()
                    ),
                ));
            }
            Some(poll) => poll.into_inner(),
            None => DEFAULT_POLL_SECONDS,
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
            poll_seconds,
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
        emails: &[EmailAccount],
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
        let mut origins = Vec::new();
        for origin in raw.origins.unwrap_or_default() {
            let span = origin.span();
            let origin = origin.into_inner();
            // A browser sends `scheme://host[:port]`, nothing more; anything else would
            // never match, and silently so.
            let host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            match host {
                Some(host)
                    if !host.is_empty()
                        && !host.contains(['/', '?', '#'])
                        && !origin.contains(char::is_whitespace) =>
                {
                    origins.push(origin);
                }
                _ => {
                    return Err(self.invalid(
                        span,
                        format!(
                            "{table}.origins: {origin:?} is not an origin like \"https://shop.example\""
                        ),
                    ));
                }
            }
        }
        let email_account = match raw.email_account {
            Some(account) => Some(self.email_account(&table, account, emails)?),
            None => None,
        };
        let away_message = match raw.away_message {
            Some(text) => Some(self.away_message(&table, text)?),
            None => None,
        };
        Ok(ChatInbox {
            name,
            secret,
            callback_url,
            origins,
            email_account,
            away_message,
        })
    }

    /// A chat inbox's `away_message`: some text, at most [`MAX_AWAY_MESSAGE_CHARS`].
    fn away_message(&self, table: &str, text: Spanned<String>) -> Result<String, ConfigError> {
        let span = text.span();
        let text = text.into_inner();
        if text.trim().is_empty() {
            return Err(self.invalid(span, format!("{table}.away_message: must not be empty")));
        }
        let chars = text.chars().count();
        if chars > MAX_AWAY_MESSAGE_CHARS {
            return Err(self.invalid(
                span,
                format!(
                    "{table}.away_message: {chars} characters is over the {MAX_AWAY_MESSAGE_CHARS} character limit"
                ),
            ));
        }
        Ok(text)
    }

    /// A chat inbox's `email_account`: the name of one of the `[[email]]` accounts.
    fn email_account(
        &self,
        table: &str,
        account: Spanned<String>,
        emails: &[EmailAccount],
    ) -> Result<String, ConfigError> {
        let span = account.span();
        let account = account.into_inner();
        if emails.iter().any(|e| e.name == account) {
            return Ok(account);
        }
        let known: Vec<String> = emails.iter().map(|e| format!("{:?}", e.name)).collect();
        let known = if known.is_empty() {
            "there is no [[email]] account".to_owned()
        } else {
            format!("the [[email]] accounts are {}", known.join(", "))
        };
        Err(self.invalid(
            span,
            format!("{table}.email_account: {account:?} names no [[email]] account; {known}"),
        ))
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
