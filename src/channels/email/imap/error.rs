//! [`ImapError`], and how a failure of the connection or a server's answer becomes one.

use std::fmt;

use async_imap::error::Error as ProtocolError;

use super::commands::Conn;
use crate::store::StoreError;

/// Why a sync pass stopped. Every message is one line; none contains the password.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The server could not be reached, or the connection dropped.
    #[error("IMAP server {server}: {reason}")]
    Connect {
        /// `host:port`.
        server: String,
        /// What went wrong.
        reason: String,
    },
    /// The TLS setup or handshake failed (an untrusted certificate, a bad `ca_file`).
    #[error("IMAP server {server}: TLS: {reason}")]
    Tls {
        /// `host:port`.
        server: String,
        /// What went wrong.
        reason: String,
    },
    /// The server rejected the login.
    #[error("IMAP server {server} refused the login of {user}: {reason}")]
    Auth {
        /// `host:port`.
        server: String,
        /// The user name sent.
        user: String,
        /// The server's answer, with the password blanked out should it echo it.
        reason: String,
    },
    /// The server answered something unexpected, refused a command, or went silent.
    #[error("IMAP server {server}: {reason}")]
    Protocol {
        /// `host:port`.
        server: String,
        /// What went wrong.
        reason: String,
    },
    /// The store failed; nothing of the current batch was acknowledged upstream.
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl Conn<'_> {
    pub(super) fn connect_error(&self, reason: impl fmt::Display) -> ImapError {
        ImapError::Connect {
            server: self.server.clone(),
            reason: one_line(&reason.to_string()),
        }
    }

    pub(super) fn tls_error(&self, reason: impl fmt::Display) -> ImapError {
        ImapError::Tls {
            server: self.server.clone(),
            reason: one_line(&reason.to_string()),
        }
    }

    pub(super) fn protocol_error(&self, reason: impl fmt::Display) -> ImapError {
        ImapError::Protocol {
            server: self.server.clone(),
            reason: one_line(&reason.to_string()),
        }
    }

    /// A lost connection is a [`ImapError::Connect`] (worth a reconnect), anything else the
    /// server said a [`ImapError::Protocol`].
    pub(super) fn imap_error(&self, what: &str, e: ProtocolError) -> ImapError {
        match e {
            ProtocolError::Io(e) => self.connect_error(format_args!("{what}: {e}")),
            ProtocolError::ConnectionLost => {
                self.connect_error(format_args!("{what}: connection lost"))
            }
            ProtocolError::No(text) => {
                self.protocol_error(format_args!("{what} refused: {}", server_text(&text)))
            }
            ProtocolError::Bad(text) => {
                self.protocol_error(format_args!("{what} rejected: {}", server_text(&text)))
            }
            other => self.protocol_error(format_args!("{what}: {other}")),
        }
    }

    pub(super) fn silent(&self, what: &str) -> ImapError {
        self.protocol_error(format_args!(
            "{what}: no answer within {}s",
            self.options.command_timeout.as_secs()
        ))
    }
}

/// Server text may quote what it was sent; the password must not reach a log or a screen.
pub(super) fn redact(text: &str, password: &str) -> String {
    if password.is_empty() {
        text.to_owned()
    } else {
        text.replace(password, "********")
    }
}

/// The server's own words from async-imap's `code: …, info: Some("…")` rendering of a
/// NO or BAD, which is all it keeps of them; anything else is returned whole.
pub(super) fn server_text(reason: &str) -> String {
    const START: &str = "info: Some(\"";
    match (reason.find(START), reason.rfind("\")")) {
        (Some(start), Some(end)) if start + START.len() <= end => reason[start + START.len()..end]
            .replace("\\\"", "\"")
            .replace("\\\\", "\\"),
        _ => reason.to_owned(),
    }
}

pub(super) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_an_echoed_password() {
        assert_eq!(redact("bad pw hunter2", "hunter2"), "bad pw ********");
        assert_eq!(one_line("a\r\n b"), "a b");
        assert_eq!(
            server_text(r#"code: None, info: Some("[AUTHENTICATIONFAILED] Say \"no\".")"#),
            r#"[AUTHENTICATIONFAILED] Say "no"."#
        );
        assert_eq!(server_text("connection lost"), "connection lost");
    }
}
