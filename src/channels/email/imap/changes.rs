//! Changes made to a folder elsewhere, through CONDSTORE and QRESYNC (RFC 7162): the server
//! numbers every change of a message's flags (its mod-sequence), so after each sync the
//! store keeps the folder's HIGHESTMODSEQ, and the next sync asks only for the messages
//! changed since (`UID FETCH 1:* (…) (CHANGEDSINCE m VANISHED)`), not for every flag of
//! the folder.
//!
//! What a change means here:
//! - `\Answered`: the shop replied from another mail client (the owner's phone), so the
//!   customer no longer waits in comptoir
//!   ([`Store::email_answered_elsewhere`](crate::store::Store::email_answered_elsewhere)).
//! - `\Deleted`, or expunged (QRESYNC's VANISHED): logged, and nothing else. The customer's
//!   history stays in comptoir, as a support desk wants even after someone tidies the
//!   mailbox.
//!
//! A server without CONDSTORE (or without ENABLE) gets none of this: only new mail is read,
//! as before. A folder whose UIDVALIDITY changed is read afresh, and its mark starts over.

use async_imap::imap_proto::{AttributeValue, Capability, Response};

use super::commands::{is_answered, uid_set};
use super::error::one_line;
use super::{Connection, FolderReport, ImapError};
use crate::channels::email::mime;
use crate::config::EmailAccount;
use crate::store::SharedStore;

/// What the server tells of flag changes on this connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Changes {
    /// Nothing: only new mail is read.
    Unknown,
    /// CONDSTORE: changed flags since a mod-sequence.
    Condstore,
    /// QRESYNC: the same, plus the UIDs expunged since (VANISHED).
    Qresync,
}

impl Changes {
    /// The best the server's capabilities offer; both need ENABLE (RFC 5161) here.
    pub(super) fn offered(enable: bool, condstore: bool, qresync: bool) -> Changes {
        match (enable, condstore, qresync) {
            (true, _, true) => Changes::Qresync,
            (true, true, false) => Changes::Condstore,
            _ => Changes::Unknown,
        }
    }
}

/// A folder's mod-sequences for one sync pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ModseqMark {
    /// What the store recorded under the folder's current UIDVALIDITY; `None` when the
    /// folder is new to CONDSTORE (first sync, renumbered, or an older comptoir read it).
    pub(super) recorded: Option<u64>,
    /// The folder's HIGHESTMODSEQ when the pass selected it.
    pub(super) now: u64,
}

/// What a `CHANGEDSINCE` fetch reported.
#[derive(Debug, Default)]
struct Seen {
    /// FETCH responses: messages whose flags changed.
    changed: usize,
    /// Header blocks (Message-ID) of the messages now `\Answered`.
    answered: Vec<Vec<u8>>,
    /// UIDs now `\Deleted`.
    deleted: Vec<u32>,
    /// UIDs expunged (VANISHED), as ranges.
    vanished: Vec<(u32, u32)>,
}

impl Seen {
    fn note(&mut self, response: &Response<'_>) {
        match response {
            Response::Fetch(_, attributes) => {
                self.changed += 1;
                let (mut uid, mut answered, mut deleted, mut header) = (None, false, false, None);
                for attribute in attributes {
                    match attribute {
                        AttributeValue::Uid(u) => uid = Some(*u),
                        AttributeValue::Flags(flags) => {
                            answered = is_answered(flags);
                            deleted = flags.iter().any(|f| f.eq_ignore_ascii_case("\\Deleted"));
                        }
                        AttributeValue::BodySection {
                            section: Some(_),
                            data: Some(data),
                            ..
                        } => header = Some(data),
                        _ => {}
                    }
                }
                if answered && let Some(header) = header {
                    self.answered.push(header.to_vec());
                }
                if deleted && let Some(uid) = uid {
                    self.deleted.push(uid);
                }
            }
            Response::Vanished { uids, .. } => {
                self.vanished
                    .extend(uids.iter().map(|r| (*r.start(), *r.end())));
            }
            _ => {}
        }
    }

    fn vanished_count(&self) -> u64 {
        self.vanished
            .iter()
            .map(|(a, b)| u64::from(b.saturating_sub(*a)) + 1)
            .sum()
    }
}

impl Connection<'_> {
    /// Turns on the best of CONDSTORE and QRESYNC the server `offered`. A server that
    /// refuses is read as one without them; only a lost connection is an error.
    pub(super) async fn enable(&mut self, offered: Changes) -> Result<(), ImapError> {
        let name = match offered {
            Changes::Unknown => return Ok(()),
            Changes::Condstore => "CONDSTORE",
            Changes::Qresync => "QRESYNC",
        };
        let mut enabled: Vec<String> = Vec::new();
        let answer = self
            .conn
            .command(
                &mut self.session,
                "ENABLE",
                &format!("ENABLE {name}"),
                |r| {
                    if let Response::Capabilities(caps) = r {
                        enabled.extend(caps.iter().filter_map(|c| match c {
                            Capability::Atom(a) => Some(a.to_ascii_uppercase()),
                            _ => None,
                        }));
                    }
                },
            )
            .await;
        match answer {
            Ok(()) => {}
            Err(ImapError::Protocol { reason, .. }) => {
                tracing::debug!(server = %self.conn.server, "ENABLE {name}: {reason}");
                return Ok(());
            }
            Err(e) => return Err(e),
        }
        let has = |c: &str| enabled.iter().any(|e| e == c);
        self.changes = if has("QRESYNC") {
            Changes::Qresync
        } else if has("CONDSTORE") {
            Changes::Condstore
        } else {
            Changes::Unknown
        };
        Ok(())
    }

    /// The selected folder's mark for a pass planned now: its HIGHESTMODSEQ, and what the
    /// store recorded under `uidvalidity`. `None` without CONDSTORE.
    pub(super) async fn modseq_mark(
        &self,
        account: &EmailAccount,
        store: &SharedStore,
        folder: &str,
        uidvalidity: u32,
    ) -> Result<Option<ModseqMark>, ImapError> {
        let Some(now) = self.highest_modseq else {
            return Ok(None);
        };
        let (name, f) = (account.name.clone(), folder.to_owned());
        let recorded = store
            .call(move |s| s.email_modseq(&name, &f))
            .await?
            .and_then(|(v, m)| (v == uidvalidity).then_some(m));
        Ok(Some(ModseqMark { recorded, now }))
    }

    /// Brings in what changed in `folder` since the recorded mark (new mail has been
    /// committed by now), then records the mark the pass started from. Changes made
    /// during the pass come again next time, which is harmless: each is applied as a
    /// state, not as an event.
    pub(super) async fn catch_up(
        &mut self,
        account: &EmailAccount,
        store: &SharedStore,
        folder: &str,
        uidvalidity: u32,
        mark: ModseqMark,
        report: &mut FolderReport,
    ) -> Result<(), ImapError> {
        if let Some(since) = mark.recorded {
            if mark.now <= since {
                return Ok(());
            }
            self.ensure_selected(folder, uidvalidity).await?;
            let vanished = if self.changes == Changes::Qresync {
                " VANISHED"
            } else {
                ""
            };
            let command = format!(
                "UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]) \
                 (CHANGEDSINCE {since}{vanished})"
            );
            let mut seen = Seen::default();
            self.conn
                .command(&mut self.session, "UID FETCH CHANGEDSINCE", &command, |r| {
                    seen.note(r);
                })
                .await?;
            report.flag_changes += seen.changed;
            let ids: Vec<String> = seen
                .answered
                .iter()
                .filter_map(|h| mime::header_message_id(h))
                .collect();
            if !ids.is_empty() {
                let name = account.name.clone();
                report.answered_elsewhere += store
                    .call(move |s| s.email_answered_elsewhere(&name, &ids))
                    .await?;
            }
            let gone = seen.vanished_count();
            if !seen.deleted.is_empty() || gone > 0 {
                report.deleted_upstream += seen.deleted.len() + usize::try_from(gone).unwrap_or(0);
                let vanished: Vec<String> = seen
                    .vanished
                    .iter()
                    .map(|(a, b)| {
                        if a == b {
                            a.to_string()
                        } else {
                            format!("{a}:{b}")
                        }
                    })
                    .collect();
                tracing::info!(
                    account = %account.name,
                    folder = %one_line(folder),
                    deleted = %uid_set(&seen.deleted),
                    expunged = %vanished.join(","),
                    "messages deleted upstream; comptoir keeps their history"
                );
            }
        }
        if mark.recorded != Some(mark.now) {
            let (name, f) = (account.name.clone(), folder.to_owned());
            store
                .call(move |s| s.set_email_modseq(&name, &f, uidvalidity, mark.now))
                .await?;
        }
        Ok(())
    }
}
