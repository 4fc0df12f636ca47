//! Commands sent by hand and read to their own tagged completion (`UID SEARCH`, `UID FETCH`,
//! `UID STORE`, `CAPABILITY`), and [`Conn`], which runs every command under the limits.

use std::sync::atomic::{AtomicBool, Ordering};

use async_imap::Session;
use async_imap::imap_proto::{AttributeValue, MailboxDatum, Response, Status};

use super::stream::Stream;
use super::{ImapError, SyncOptions};
use crate::config::EmailAccount;

/// One connection's server name and limits, to turn every failure into an [`ImapError`].
pub(crate) struct Conn<'a> {
    pub(super) server: String,
    pub(super) options: &'a SyncOptions,
    /// The server announced new mail (EXISTS, RECENT) in passing, during another
    /// command: the next IDLE must not wait for it.
    pub(super) changed: AtomicBool,
}

impl<'a> Conn<'a> {
    /// The connection to the account's IMAP server, under `options`' limits.
    pub(crate) fn new(account: &EmailAccount, options: &'a SyncOptions) -> Conn<'a> {
        Conn {
            server: format!("{}:{}", account.imap.host, account.imap.port),
            options,
            changed: AtomicBool::new(false),
        }
    }

    /// Runs one command under the command timeout.
    pub(crate) async fn step<T>(
        &self,
        what: &str,
        command: impl Future<Output = async_imap::error::Result<T>>,
    ) -> Result<T, ImapError> {
        match tokio::time::timeout(self.options.command_timeout, command).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.imap_error(what, e)),
            Err(_) => Err(self.silent(what)),
        }
    }

    /// Sends `command` and hands every untagged response to `each` until the command's
    /// own completion, which must be OK.
    ///
    /// async-imap's streaming commands (`uid_fetch`, `uid_search`, `uid_store`) end quietly
    /// when the connection drops and ignore a tagged NO, so a cut-off FETCH would look like
    /// a short, successful one and its UIDs would be recorded as done. Reading to the
    /// tagged answer ourselves makes a lost connection an error. The timeout applies per
    /// response, so a large batch may take as long as it keeps arriving.
    pub(super) async fn command(
        &self,
        session: &mut Session<Stream>,
        what: &str,
        command: &str,
        mut each: impl FnMut(&Response<'_>),
    ) -> Result<(), ImapError> {
        let tag = self.step(what, session.run_command(command)).await?;
        loop {
            let done = self
                .next(session, what, |response| match response {
                    Response::Done {
                        tag: done,
                        status,
                        outcome,
                    } if *done == tag => Some((
                        Completion::of(status),
                        outcome.information.as_deref().unwrap_or("").to_owned(),
                    )),
                    other => {
                        if matches!(
                            other,
                            Response::MailboxData(
                                MailboxDatum::Exists(_) | MailboxDatum::Recent(_)
                            )
                        ) {
                            self.changed.store(true, Ordering::Relaxed);
                        }
                        each(other);
                        None
                    }
                })
                .await?;
            if let Some((status, text)) = done {
                return match status {
                    Completion::Ok => Ok(()),
                    Completion::No => {
                        Err(self.protocol_error(format_args!("{what} refused: {text}")))
                    }
                    Completion::Bad => {
                        Err(self.protocol_error(format_args!("{what} rejected: {text}")))
                    }
                };
            }
        }
    }

    /// Reads the next response under the command timeout and hands it to `f`; a lost
    /// connection or a BYE is an error. (async-imap does not export the response type,
    /// hence the visitor.)
    pub(super) async fn next<R>(
        &self,
        session: &mut Session<Stream>,
        what: &str,
        f: impl FnOnce(&Response<'_>) -> R,
    ) -> Result<R, ImapError> {
        let response = tokio::time::timeout(self.options.command_timeout, session.read_response())
            .await
            .map_err(|_| self.silent(what))?
            .map_err(|e| self.connect_error(format_args!("{what}: {e}")))?
            .ok_or_else(|| self.connect_error(format_args!("{what}: connection lost")))?;
        let parsed = response.parsed();
        self.check_bye(what, parsed)?;
        Ok(f(parsed))
    }

    pub(super) fn check_bye(&self, what: &str, response: &Response<'_>) -> Result<(), ImapError> {
        match response {
            Response::Data {
                status: Status::Bye,
                outcome,
            } => Err(self.connect_error(format_args!(
                "{what}: server said BYE: {}",
                outcome.information.as_deref().unwrap_or("")
            ))),
            _ => Ok(()),
        }
    }

    /// `UID SEARCH query`: the matching UIDs.
    pub(crate) async fn search(
        &self,
        session: &mut Session<Stream>,
        query: &str,
    ) -> Result<Vec<u32>, ImapError> {
        let mut uids = Vec::new();
        self.command(session, "UID SEARCH", &format!("UID SEARCH {query}"), |r| {
            if let Response::MailboxData(MailboxDatum::Search(found)) = r {
                uids.extend_from_slice(found);
            }
        })
        .await?;
        Ok(uids)
    }

    /// `UID FETCH set (UID FLAGS BODY.PEEK[])`: each asked-for message the server still
    /// has, with whether it is `\Answered` there (replied to from another mail client).
    pub(super) async fn fetch(
        &self,
        session: &mut Session<Stream>,
        uids: &[u32],
    ) -> Result<Vec<Fetched>, ImapError> {
        let command = format!("UID FETCH {} (UID FLAGS BODY.PEEK[])", uid_set(uids));
        let mut asked = uids.to_vec();
        asked.sort_unstable();
        let mut messages = Vec::with_capacity(uids.len());
        self.command(session, "UID FETCH", &command, |r| {
            let Response::Fetch(_, attributes) = r else {
                return;
            };
            let mut uid = None;
            let mut body = None;
            let mut answered = false;
            for attribute in attributes {
                match attribute {
                    AttributeValue::Uid(u) => uid = Some(*u),
                    AttributeValue::Flags(flags) => answered = is_answered(flags),
                    AttributeValue::BodySection {
                        section: None,
                        data: Some(data),
                        ..
                    }
                    | AttributeValue::Rfc822(Some(data)) => body = Some(data),
                    _ => {}
                }
            }
            // A server may slip in FETCH responses about other messages (flag changes);
            // only the ones asked for, with a body, count.
            if let (Some(uid), Some(body)) = (uid, body)
                && asked.binary_search(&uid).is_ok()
            {
                messages.push(Fetched {
                    uid,
                    raw: body.to_vec(),
                    answered,
                });
            }
        })
        .await?;
        Ok(messages)
    }

    pub(super) async fn mark_seen(
        &self,
        session: &mut Session<Stream>,
        uids: &[u32],
    ) -> Result<(), ImapError> {
        let command = format!(r"UID STORE {} +FLAGS.SILENT (\Seen)", uid_set(uids));
        self.command(session, "UID STORE", &command, |_| {}).await
    }
}

/// One message of a `UID FETCH`.
pub(super) struct Fetched {
    pub(super) uid: u32,
    /// The whole message as the server keeps it.
    pub(super) raw: Vec<u8>,
    /// Flagged `\Answered` upstream.
    pub(super) answered: bool,
}

/// Whether a FETCH's FLAGS hold `\Answered`.
pub(super) fn is_answered<S: AsRef<str>>(flags: &[S]) -> bool {
    flags
        .iter()
        .any(|f| f.as_ref().eq_ignore_ascii_case("\\Answered"))
}

/// How a tagged command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Completion {
    Ok,
    No,
    Bad,
}

impl Completion {
    pub(super) fn of(status: &Status) -> Completion {
        match status {
            Status::Ok => Completion::Ok,
            Status::No => Completion::No,
            _ => Completion::Bad,
        }
    }
}

/// A UID set for a command: single UIDs and runs, `1:3,7,9:12`, so a batch of
/// consecutive UIDs stays short.
pub(super) fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end.saturating_add(1) {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[5, 1, 2, 3, 9, 10, 7]), "1:3,5,7,9:10");
        assert_eq!(uid_set(&[42]), "42");
        assert_eq!(
            uid_set(&[u32::MAX, u32::MAX - 1]),
            format!("{}:{}", u32::MAX - 1, u32::MAX)
        );
    }
}
