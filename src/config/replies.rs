//! `[shop]` (the shop's name, for `{{shop.name}}`) and `[replies]` (where the canned
//! replies live, and the variables a shop's own commands fill): their raw and checked
//! forms.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use super::check::Checker;

/// How long a variable's command may run when `timeout_seconds` is unset.
pub const DEFAULT_VARIABLE_TIMEOUT_SECONDS: u32 = 3;
/// The longest `timeout_seconds` accepted: the agent waits for it.
pub const MAX_VARIABLE_TIMEOUT_SECONDS: u32 = 30;

/// The names comptoir fills itself; a shop's variable may not take one.
pub const BUILTIN_VARIABLES: [&str; 5] = [
    "customer.first_name",
    "customer.name",
    "agent.name",
    "shop.name",
    "conversation.id",
];

/// `[shop]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShopConfig {
    /// `name`: what `{{shop.name}}` says; unset leaves the variable a gap to fill.
    pub name: Option<String>,
}

/// `[replies]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepliesConfig {
    /// The folder of reply files: `dir`, else `replies/` beside the config file. `None`
    /// only for a config built in code (the demo), which has no folder.
    pub dir: Option<PathBuf>,
    /// `[replies.variables]`, by name.
    pub variables: Vec<CommandVariable>,
}

/// One `[replies.variables]` entry: a value a shop's command prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandVariable {
    /// The name replies write as `{{name}}`.
    pub name: String,
    /// Run with `sh -c`; the conversation comes in `COMPTOIR_*` environment variables.
    pub command: String,
    /// Killed after this long.
    pub timeout: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawShop {
    name: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReplies {
    dir: Option<Spanned<PathBuf>>,
    #[serde(default)]
    variables: BTreeMap<String, Spanned<RawVariable>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVariable {
    command: Spanned<String>,
    timeout_seconds: Option<Spanned<u32>>,
}

impl Checker<'_> {
    pub(super) fn shop(&self, raw: Option<RawShop>) -> Result<ShopConfig, ConfigError> {
        let name = match raw.and_then(|r| r.name) {
            Some(n) if n.get_ref().trim().is_empty() => {
                return Err(self.invalid(n.span(), "shop.name: must not be empty".to_owned()));
            }
            Some(n) => Some(n.into_inner().trim().to_owned()),
            None => None,
        };
        Ok(ShopConfig { name })
    }

    pub(super) fn replies(&self, raw: Option<RawReplies>) -> Result<RepliesConfig, ConfigError> {
        let default_dir = self.base_dir.join("replies");
        let Some(raw) = raw else {
            return Ok(RepliesConfig {
                dir: Some(default_dir),
                variables: Vec::new(),
            });
        };
        let dir = match raw.dir {
            Some(d) if d.get_ref().as_os_str().is_empty() => {
                return Err(self.invalid(d.span(), "replies.dir: must not be empty".to_owned()));
            }
            Some(d) => {
                let d = d.into_inner();
                match d.strip_prefix("~") {
                    Ok(rest) => directories::BaseDirs::new()
                        .map_or_else(|| d.clone(), |b| b.home_dir().join(rest)),
                    Err(_) => self.base_dir.join(&d),
                }
            }
            None => default_dir,
        };
        let mut variables = Vec::new();
        for (name, v) in raw.variables {
            let span = v.span();
            let key = format!("replies.variables.{name}");
            let ok_name =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok_name {
                return Err(self.invalid(
                    span,
                    format!("{key}: a variable name is letters, digits and `_`"),
                ));
            }
            let v = v.into_inner();
            if v.command.get_ref().trim().is_empty() {
                return Err(self.invalid(
                    v.command.span(),
                    format!("{key}.command: must not be empty"),
                ));
            }
            let timeout = match v.timeout_seconds {
                Some(t) if !(1..=MAX_VARIABLE_TIMEOUT_SECONDS).contains(t.get_ref()) => {
                    return Err(self.invalid(
                        t.span(),
                        format!(
                            "{key}.timeout_seconds: {} is not between 1 and {MAX_VARIABLE_TIMEOUT_SECONDS}",
                            t.get_ref()
                        ),
                    ));
                }
                Some(t) => *t.get_ref(),
                None => DEFAULT_VARIABLE_TIMEOUT_SECONDS,
            };
            variables.push(CommandVariable {
                name,
                command: v.command.into_inner(),
                timeout: Duration::from_secs(u64::from(timeout)),
            });
        }
        Ok(RepliesConfig {
            dir: Some(dir),
            variables,
        })
    }
}

impl RepliesConfig {
    /// One line for `comptoir config check`.
    #[must_use]
    pub fn summary(&self) -> String {
        let dir = self
            .dir
            .as_ref()
            .map_or_else(|| "none".to_owned(), |d| d.display().to_string());
        if self.variables.is_empty() {
            return dir;
        }
        let vars: Vec<String> = self
            .variables
            .iter()
            .map(|v| format!("{{{{{}}}}} ({} s)", v.name, v.timeout.as_secs()))
            .collect();
        format!("{dir}; variables {}", vars.join(", "))
    }
}
