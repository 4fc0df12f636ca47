//! `[workflow]`: how fast the shop means to answer. `first_response_target` is the wait
//! after which a conversation is overdue (highlighted in the queue, counted in the status
//! line, listed by `filter.overdue`); a channel key overrides it for that channel, so a
//! chat can be due in a minute while email has an hour:
//!
//! ```toml
//! [workflow]
//! first_response_target = "1h"
//! chat = "1m"
//! ```

use jiff::SignedDuration;
use serde::Deserialize;
use toml::Spanned;

use super::ConfigError;
use super::check::Checker;
use crate::model::Channel;

/// The longest target accepted: a typo such as "1000d" is refused, not silently kept.
const MAX_TARGET: SignedDuration = SignedDuration::from_hours(24 * 90);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWorkflow {
    first_response_target: Option<Spanned<String>>,
    email: Option<Spanned<String>>,
    chat: Option<Spanned<String>>,
    messenger: Option<Spanned<String>>,
    instagram: Option<Spanned<String>>,
    whatsapp: Option<Spanned<String>>,
    telegram: Option<Spanned<String>>,
    mastodon: Option<Spanned<String>>,
    x: Option<Spanned<String>>,
}

/// `[workflow]`, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkflowConfig {
    /// How long a customer may wait for the first answer; `None`: no target.
    pub first_response_target: Option<SignedDuration>,
    /// Channels with a target of their own.
    pub channel_targets: Vec<(Channel, SignedDuration)>,
}

impl WorkflowConfig {
    /// The target for one channel: its own, else the general one.
    #[must_use]
    pub fn target(&self, channel: Channel) -> Option<SignedDuration> {
        self.channel_targets
            .iter()
            .find(|(c, _)| *c == channel)
            .map(|(_, d)| *d)
            .or(self.first_response_target)
    }

    /// One line for `comptoir config check`: the general target, then each channel's own.
    #[must_use]
    pub fn summary(&self) -> String {
        if self.first_response_target.is_none() && self.channel_targets.is_empty() {
            return "no first-response target (no [workflow])".to_owned();
        }
        let mut parts = vec![match self.first_response_target {
            Some(d) => format!("first response within {d:#}"),
            None => "no general first-response target".to_owned(),
        }];
        parts.extend(
            self.channel_targets
                .iter()
                .map(|(c, d)| format!("{} {d:#}", c.as_str())),
        );
        parts.join("; ")
    }
}

impl Checker<'_> {
    pub(super) fn workflow(&self, raw: Option<RawWorkflow>) -> Result<WorkflowConfig, ConfigError> {
        let Some(raw) = raw else {
            return Ok(WorkflowConfig::default());
        };
        let first_response_target = match raw.first_response_target {
            Some(t) => Some(self.target("workflow.first_response_target", &t)?),
            None => None,
        };
        let mut channel_targets = Vec::new();
        for (channel, value) in [
            (Channel::Email, raw.email),
            (Channel::Chat, raw.chat),
            (Channel::Messenger, raw.messenger),
            (Channel::Instagram, raw.instagram),
            (Channel::Whatsapp, raw.whatsapp),
            (Channel::Telegram, raw.telegram),
            (Channel::Mastodon, raw.mastodon),
            (Channel::X, raw.x),
        ] {
            if let Some(value) = value {
                let key = format!("workflow.{}", channel.as_str());
                channel_targets.push((channel, self.target(&key, &value)?));
            }
        }
        Ok(WorkflowConfig {
            first_response_target,
            channel_targets,
        })
    }

    /// A duration such as "1h", "30m", "90s" or "1h 30m" (jiff's friendly format).
    fn target(&self, key: &str, value: &Spanned<String>) -> Result<SignedDuration, ConfigError> {
        let text = value.get_ref().trim();
        match text.parse::<SignedDuration>() {
            Ok(d) if d.is_positive() && d <= MAX_TARGET => Ok(d),
            Ok(_) => Err(self.invalid(
                value.span(),
                format!("{key}: {text:?} must be more than 0 and at most 90 days"),
            )),
            Err(_) => Err(self.invalid(
                value.span(),
                format!("{key}: {text:?} is not a duration (such as \"1h\", \"30m\" or \"90s\")"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use std::path::Path;

    use super::*;

    #[test]
    fn targets_per_channel_fall_back_to_the_general_one() {
        let cfg = crate::config::parse(
            "[workflow]\nfirst_response_target = \"1h\"\nchat = \"1m\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let w = &cfg.workflow;
        assert_eq!(w.target(Channel::Chat), Some(SignedDuration::from_mins(1)));
        assert_eq!(
            w.target(Channel::Email),
            Some(SignedDuration::from_hours(1))
        );
        let none = crate::config::parse("", Path::new("c.toml")).unwrap();
        assert_eq!(none.workflow.target(Channel::Email), None);
    }

    #[test]
    fn a_bad_target_names_its_key_and_line() {
        let e = crate::config::parse(
            "[workflow]\nfirst_response_target = \"1h\"\nchat = \"soon\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("c.toml:3:"), "{e}");
        assert!(e.contains("workflow.chat") && e.contains("soon"), "{e}");
        let e = crate::config::parse("[workflow]\nemail = \"0s\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("more than 0"), "{e}");
    }
}
