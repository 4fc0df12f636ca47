//! What serde reads from the config file: the same shape as the file, with byte spans kept
//! on whatever a later check may need to point at.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::TlsMode;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) agent: Option<RawAgent>,
    pub(super) keymap: Option<Spanned<String>>,
    pub(super) mouse: Option<bool>,
    #[serde(default)]
    pub(super) email: Vec<Spanned<RawEmail>>,
    pub(super) relay: Option<RawRelay>,
    #[serde(default)]
    pub(super) chat: Vec<Spanned<RawChat>>,
    #[serde(default)]
    pub(super) telegram: Vec<Spanned<RawTelegram>>,
    #[serde(default)]
    pub(super) messenger: Vec<Spanned<RawMeta>>,
    #[serde(default)]
    pub(super) instagram: Vec<Spanned<RawMeta>>,
    #[serde(default)]
    pub(super) whatsapp: Vec<Spanned<RawWhatsApp>>,
    #[serde(default)]
    pub(super) mastodon: Vec<Spanned<RawMastodon>>,
    #[serde(default)]
    pub(super) x: Vec<Spanned<RawX>>,
    pub(super) hours: Option<RawHours>,
    pub(super) presence: Option<RawPresence>,
    pub(super) shop: Option<super::replies::RawShop>,
    pub(super) replies: Option<super::replies::RawReplies>,
    pub(super) workflow: Option<super::workflow::RawWorkflow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAgent {
    pub(super) name: Option<Spanned<String>>,
    pub(super) timezone: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEmail {
    pub(super) name: Spanned<String>,
    pub(super) address: Spanned<String>,
    pub(super) username: Spanned<String>,
    pub(super) password_command: Option<Spanned<String>>,
    pub(super) password_file: Option<Spanned<PathBuf>>,
    pub(super) imap: RawServer,
    pub(super) smtp: RawServer,
    pub(super) ca_file: Option<Spanned<PathBuf>>,
    pub(super) folders: Option<Spanned<Vec<String>>>,
    pub(super) sent_folder: Option<Spanned<String>>,
    pub(super) first_sync_days: Option<u32>,
    pub(super) mark_seen: Option<bool>,
    pub(super) poll_seconds: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub(super) host: Spanned<String>,
    pub(super) port: u16,
    pub(super) tls: TlsMode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRelay {
    pub(super) listen: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChat {
    pub(super) name: Spanned<String>,
    pub(super) secret_command: Option<Spanned<String>>,
    pub(super) secret_file: Option<Spanned<PathBuf>>,
    pub(super) callback_url: Option<Spanned<String>>,
    pub(super) origins: Option<Vec<Spanned<String>>>,
    pub(super) email_account: Option<Spanned<String>>,
    pub(super) away_message: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTelegram {
    pub(super) name: Spanned<String>,
    pub(super) token_command: Option<Spanned<String>>,
    pub(super) token_file: Option<Spanned<PathBuf>>,
    pub(super) webhook_secret_command: Option<Spanned<String>>,
    pub(super) webhook_secret_file: Option<Spanned<PathBuf>>,
    pub(super) api_base: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeta {
    pub(super) name: Spanned<String>,
    pub(super) page_id: Spanned<String>,
    pub(super) page_token_command: Option<Spanned<String>>,
    pub(super) page_token_file: Option<Spanned<PathBuf>>,
    pub(super) app_secret_command: Option<Spanned<String>>,
    pub(super) app_secret_file: Option<Spanned<PathBuf>>,
    pub(super) verify_token_command: Option<Spanned<String>>,
    pub(super) verify_token_file: Option<Spanned<PathBuf>>,
    pub(super) api_base: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWhatsApp {
    pub(super) name: Spanned<String>,
    pub(super) phone_number_id: Spanned<String>,
    pub(super) token_command: Option<Spanned<String>>,
    pub(super) token_file: Option<Spanned<PathBuf>>,
    pub(super) app_secret_command: Option<Spanned<String>>,
    pub(super) app_secret_file: Option<Spanned<PathBuf>>,
    pub(super) verify_token_command: Option<Spanned<String>>,
    pub(super) verify_token_file: Option<Spanned<PathBuf>>,
    pub(super) api_base: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMastodon {
    pub(super) name: Spanned<String>,
    pub(super) api_base: Spanned<String>,
    pub(super) token_command: Option<Spanned<String>>,
    pub(super) token_file: Option<Spanned<PathBuf>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawX {
    pub(super) name: Spanned<String>,
    pub(super) token_command: Option<Spanned<String>>,
    pub(super) token_file: Option<Spanned<PathBuf>>,
    pub(super) consumer_secret_command: Option<Spanned<String>>,
    pub(super) consumer_secret_file: Option<Spanned<PathBuf>>,
    pub(super) api_base: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHours {
    pub(super) timezone: Spanned<String>,
    pub(super) mon: Option<Vec<Spanned<String>>>,
    pub(super) tue: Option<Vec<Spanned<String>>>,
    pub(super) wed: Option<Vec<Spanned<String>>>,
    pub(super) thu: Option<Vec<Spanned<String>>>,
    pub(super) fri: Option<Vec<Spanned<String>>>,
    pub(super) sat: Option<Vec<Spanned<String>>>,
    pub(super) sun: Option<Vec<Spanned<String>>>,
    pub(super) holidays: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPresence {
    pub(super) idle_minutes: Option<Spanned<u32>>,
    pub(super) grace_seconds: Option<Spanned<u32>>,
}
