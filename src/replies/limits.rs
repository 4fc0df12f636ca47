//! How long a reply may be on each channel: the one table, checked by the composer while
//! typing and before a reply is queued.

use crate::model::Channel;

/// What a limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Unicode characters (scalar values).
    Chars,
    /// UTF-16 code units, as Telegram counts (an emoji outside the BMP is two).
    Utf16,
    /// UTF-8 bytes.
    Bytes,
}

/// One channel's limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// The most a reply may hold.
    pub max: usize,
    /// In what.
    pub unit: Unit,
}

/// The limit of a reply on `channel`; `None` where there is none (email).
///
/// Instagram's docs say "less than 1000 characters", hence 999. Telegram counts the
/// 4,096 after entity parsing; comptoir sends no entities, so it is the text itself. The
/// chat widget takes what the relay takes from a visitor ([`crate::ingest::MAX_TEXT_BYTES`]).
#[must_use]
pub fn limit(channel: Channel) -> Option<Limit> {
    let chars = |max| {
        Some(Limit {
            max,
            unit: Unit::Chars,
        })
    };
    match channel {
        Channel::Email => None,
        Channel::Chat => Some(Limit {
            max: crate::ingest::MAX_TEXT_BYTES,
            unit: Unit::Bytes,
        }),
        Channel::Telegram => Some(Limit {
            max: 4096,
            unit: Unit::Utf16,
        }),
        Channel::Whatsapp => chars(4096),
        Channel::Messenger => chars(2000),
        Channel::Instagram => chars(999),
        Channel::X => chars(10_000),
        Channel::Mastodon => chars(500),
    }
}

/// `text`'s length in the unit of `limit`.
#[must_use]
pub fn length(text: &str, unit: Unit) -> usize {
    match unit {
        Unit::Chars => text.chars().count(),
        Unit::Utf16 => text.encode_utf16().count(),
        Unit::Bytes => text.len(),
    }
}

/// Why a reply is too long for its channel, as the agent reads it.
///
/// # Errors
/// Over the channel's limit.
pub fn check(channel: Channel, text: &str) -> Result<(), String> {
    let Some(l) = limit(channel) else {
        return Ok(());
    };
    let n = length(text, l.unit);
    if n <= l.max {
        return Ok(());
    }
    let unit = match l.unit {
        Unit::Chars | Unit::Utf16 => "characters",
        Unit::Bytes => "bytes",
    };
    Err(format!(
        "Too long for {}: {n}/{} {unit}; shorten it before sending",
        channel.as_str(),
        l.max
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_channel_has_its_limit() {
        assert!(check(Channel::Email, &"x".repeat(100_000)).is_ok());
        assert!(check(Channel::Instagram, &"é".repeat(999)).is_ok());
        assert_eq!(
            check(Channel::Instagram, &"é".repeat(1000)),
            Err("Too long for instagram: 1000/999 characters; shorten it before sending".into())
        );
        assert!(check(Channel::Telegram, &"a".repeat(4096)).is_ok());
        assert!(
            check(Channel::Telegram, &"😀".repeat(2049)).is_err(),
            "UTF-16"
        );
        assert!(check(Channel::Mastodon, &"a".repeat(501)).is_err());
        assert!(check(Channel::Messenger, &"a".repeat(2000)).is_ok());
    }
}
