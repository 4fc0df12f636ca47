//! IDLE (RFC 2177): waiting on a folder until the server has news or the caller stops it.

use std::sync::atomic::Ordering;

use async_imap::imap_proto::{Response, Status};

use super::commands::Completion;
use super::{Connection, ImapError};

/// Why [`Connection::idle`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// The server said something about the mailbox (new mail, an expunge, a flag), or
    /// had said so before the IDLE began: worth a sync.
    Changed,
    /// The caller's `stop` future completed (renewal, a poll of other folders, a
    /// request in the store).
    Stopped,
}

impl Connection<'_> {
    /// Waits in IDLE on `folder` until the server reports a change or `stop` completes,
    /// then ends the IDLE. Returns at once with [`Wake::Changed`] when a change was
    /// announced since the last plan (during a fetch, or by a different UIDNEXT).
    ///
    /// Unlike async-imap's own IDLE, a dropped connection is an error here, never a quiet
    /// wake-up. Cancelling the future mid-IDLE is safe for [`Connection::logout`], which
    /// ends the IDLE first.
    ///
    /// # Errors
    /// The connection dropped, the server refused IDLE or DONE, or went silent.
    pub async fn idle(
        &mut self,
        folder: &str,
        stop: impl Future<Output = ()>,
    ) -> Result<Wake, ImapError> {
        if self.selected.as_ref().is_none_or(|(f, _)| f != folder) {
            self.select(folder, false).await?;
        }
        if self.conn.changed.swap(false, Ordering::Relaxed) {
            return Ok(Wake::Changed);
        }
        let tag = self
            .conn
            .step("IDLE", self.session.run_command("IDLE"))
            .await?;
        self.in_idle = true;
        let mut wake = None;
        loop {
            let answer = self
                .conn
                .next(&mut self.session, "IDLE", |response| match response {
                    Response::Continue(_) => Some(Ok(())),
                    Response::Done {
                        tag: done,
                        status,
                        outcome,
                    } if *done == tag => Some(Err(format!(
                        "IDLE {}: {}",
                        if *status == Status::No {
                            "refused"
                        } else {
                            "rejected"
                        },
                        outcome.information.as_deref().unwrap_or("")
                    ))),
                    Response::Data {
                        status: Status::Ok, ..
                    } => None,
                    _ => {
                        wake = Some(Wake::Changed);
                        None
                    }
                })
                .await?;
            match answer {
                Some(Ok(())) => break,
                Some(Err(reason)) => {
                    self.in_idle = false;
                    return Err(self.conn.protocol_error(reason));
                }
                None => {}
            }
        }
        let wake = match wake {
            Some(wake) => wake,
            None => {
                tokio::pin!(stop);
                loop {
                    tokio::select! {
                        response = self.session.read_response() => {
                            let response = response
                                .map_err(|e| self.conn.connect_error(format_args!("IDLE: {e}")))?
                                .ok_or_else(|| self.conn.connect_error("IDLE: connection lost"))?;
                            let parsed = response.parsed();
                            self.conn.check_bye("IDLE", parsed)?;
                            // Keep-alives ("* OK Still here") say nothing new.
                            if !matches!(parsed, Response::Data { status: Status::Ok, .. }) {
                                break Wake::Changed;
                            }
                        }
                        () = &mut stop => break Wake::Stopped,
                    }
                }
            }
        };
        self.conn
            .step("DONE", self.session.run_command_untagged("DONE"))
            .await?;
        loop {
            let done = self
                .conn
                .next(&mut self.session, "DONE", |response| match response {
                    Response::Done {
                        tag: done,
                        status,
                        outcome,
                    } if *done == tag => Some((
                        Completion::of(status),
                        outcome.information.as_deref().unwrap_or("").to_owned(),
                    )),
                    _ => None,
                })
                .await?;
            if let Some((status, text)) = done {
                self.in_idle = false;
                return match status {
                    Completion::Ok => Ok(wake),
                    _ => Err(self
                        .conn
                        .protocol_error(format_args!("IDLE ended with {status:?}: {text}"))),
                };
            }
        }
    }
}
