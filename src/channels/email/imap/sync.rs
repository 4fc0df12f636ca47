//! A sync pass: its options and report, [`sync_once`], and running a plan batch by batch
//! through `ingest`.

use std::time::Duration;

use jiff::Timestamp;

use super::commands::Fetched;
use super::plan::PlanKind;
use super::{Connection, ImapError, SyncPlan};
use crate::channels::Inbound;
use crate::channels::email::mime;
use crate::config::EmailAccount;
use crate::ingest::{self, Outcome};
use crate::model::Channel;
use crate::store::{BlobStore, SharedStore, StoreError};

/// Whether imported messages get `\Seen` when the account does not say (`mark_seen`):
/// no, so that comptoir leaves a shared mailbox as people's own mail clients see it.
pub const DEFAULT_MARK_SEEN: bool = false;

/// Messages fetched, parsed and committed together in a pass's first batch.
pub const DEFAULT_BATCH_SIZE: usize = 200;

/// The most messages fetched, parsed and committed together, once a pass's batches have
/// grown.
pub const DEFAULT_MAX_BATCH_SIZE: usize = 1600;

/// How a sync pass talks to the server; the account itself comes from the config.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncOptions {
    /// Messages in a pass's first `UID FETCH` and store transaction; at least 1 is used.
    pub batch_size: usize,
    /// Each later batch of a pass doubles, up to this many messages (never fewer than
    /// `batch_size`): the first stays small so the newest mail shows soon, and a big
    /// first sync then pays each transaction's fixed cost (commit, full-text segment,
    /// every TUI's refresh) a few dozen times instead of a hundred.
    pub max_batch_size: usize,
    /// Limit on TCP connect plus TLS handshake.
    pub connect_timeout: Duration,
    /// Limit on waiting for any one answer from the server (a greeting, a command's
    /// completion, the next message of a fetch).
    pub command_timeout: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            batch_size: DEFAULT_BATCH_SIZE,
            max_batch_size: DEFAULT_MAX_BATCH_SIZE,
            connect_timeout: Duration::from_secs(15),
            command_timeout: Duration::from_secs(60),
        }
    }
}

/// What one [`sync_once`] pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// One entry per configured folder, in config order.
    pub folders: Vec<FolderReport>,
}

/// What a sync pass did in one folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderReport {
    /// The folder's name as configured.
    pub folder: String,
    /// Messages downloaded.
    pub fetched: usize,
    /// Messages stored for the first time.
    pub stored: usize,
    /// Messages the store already had (same Message-ID).
    pub duplicates: usize,
    /// Messages set aside in the dead-letter list.
    pub dead_letters: usize,
    /// The folder's UIDVALIDITY differed from the recorded one, so it was read afresh.
    pub uidvalidity_changed: bool,
    /// Messages whose flags changed since the last sync, as CONDSTORE reported them (0
    /// without CONDSTORE, and on a folder's first sync).
    pub flag_changes: usize,
    /// Conversations that stopped waiting because their message was flagged
    /// `\Answered` upstream (at its first fetch, or changed since).
    pub answered_elsewhere: usize,
    /// Messages flagged `\Deleted` or expunged upstream since the last sync (logged;
    /// their history is kept).
    pub deleted_upstream: usize,
}

/// Syncs every folder of `account` once: new mail is stored (or dead-lettered), the
/// folder's progress recorded, and, with `mark_seen`, the messages flagged `\Seen`.
///
/// # Errors
/// The first failure ends the pass. What was committed before it stays committed and
/// recorded, so calling again continues from there.
pub async fn sync_once(
    account: &EmailAccount,
    password: &str,
    store: &SharedStore,
    options: &SyncOptions,
) -> Result<SyncReport, ImapError> {
    let mut connection = Connection::open(account, password, options).await?;
    let plan = connection.plan_new(account, store).await?;
    let report = connection.run(account, store, plan, &mut ()).await?;
    // Everything is committed by now; a server that fumbles the goodbye costs nothing.
    connection.logout(options.command_timeout).await;
    Ok(report)
}

/// Told after each committed batch of a sync pass, so a caller can show progress.
pub trait Progress {
    /// `messages` more UIDs of the pass are committed (stored, deduplicated or set aside).
    fn committed(&mut self, messages: u64) -> impl Future<Output = ()> + Send;
}

/// No one is watching.
impl Progress for () {
    async fn committed(&mut self, _messages: u64) {}
}

impl Connection<'_> {
    /// Fetches what `plan` found, batch by batch: each batch is parsed and committed
    /// (then flagged `\Seen` if the account asks) before the folder's progress is
    /// recorded, and `progress` hears of it.
    ///
    /// # Errors
    /// The first failure ends the pass; what was committed stays committed and recorded.
    pub async fn run(
        &mut self,
        account: &EmailAccount,
        store: &SharedStore,
        plan: SyncPlan,
        progress: &mut impl Progress,
    ) -> Result<SyncReport, ImapError> {
        let first_batch = self.conn.options.batch_size.max(1);
        let max_batch = self.conn.options.max_batch_size.max(first_batch);
        let mark_seen = account.mark_seen.unwrap_or(DEFAULT_MARK_SEEN);
        let mut report = SyncReport::default();
        let blobs = store.call(|s| Ok(s.blobs().clone())).await?;
        for planned in plan.folders {
            let mut folder = FolderReport {
                folder: planned.folder.clone(),
                uidvalidity_changed: matches!(
                    planned.kind,
                    PlanKind::First {
                        uidvalidity_changed: true,
                        ..
                    }
                ),
                ..FolderReport::default()
            };
            if !planned.uids.is_empty() {
                self.ensure_selected(&planned.folder, planned.uidvalidity)
                    .await?;
            }
            // Three batches are under way at once: one committed to the store, the next
            // parsed and its attachment files written (another core), the one after
            // fetched (the server's work and the network). A first sync of a big folder
            // then takes about as long as its SQL alone.
            let batches = growing_batches(&planned.uids, first_batch, max_batch);
            let mut fetched = match batches.first() {
                Some(first) => Some(self.conn.fetch(&mut self.session, first).await?),
                None => None,
            };
            let mut prepared = match fetched.take() {
                Some(messages) => Some(prepare_batch(account, &blobs, messages).await?),
                None => None,
            };
            if let Some(second) = batches.get(1) {
                fetched = Some(self.conn.fetch(&mut self.session, second).await?);
            }
            for (i, batch) in batches.iter().enumerate() {
                let Some(ready) = prepared.take() else {
                    break;
                };
                let raw = fetched.take();
                let after = batches.get(i + 2);
                let (committed, parsed, next) = tokio::join!(
                    commit_batch(store, &account.name, ready, &mut folder),
                    async {
                        match raw {
                            Some(messages) => {
                                prepare_batch(account, &blobs, messages).await.map(Some)
                            }
                            None => Ok(None),
                        }
                    },
                    async {
                        match after {
                            Some(uids) => self.conn.fetch(&mut self.session, uids).await.map(Some),
                            None => Ok(None),
                        }
                    },
                );
                // What was committed is recorded even when the next steps failed.
                let uids = committed?;
                if mark_seen && !uids.is_empty() {
                    self.conn.mark_seen(&mut self.session, &uids).await?;
                }
                if planned.kind == PlanKind::New {
                    let highest = batch.iter().copied().max().unwrap_or(0);
                    let (name, f, v) = (
                        account.name.clone(),
                        planned.folder.clone(),
                        planned.uidvalidity,
                    );
                    store
                        .call(move |s| s.set_email_sync_state(&name, &f, v, highest))
                        .await?;
                }
                progress.committed(batch.len() as u64).await;
                prepared = parsed?;
                fetched = next?;
            }
            let (name, f, v) = (
                account.name.clone(),
                planned.folder.clone(),
                planned.uidvalidity,
            );
            match &planned.kind {
                PlanKind::New | PlanKind::Nothing => {}
                PlanKind::First { top, since, .. } => {
                    let (top, since) = (*top, *since);
                    store
                        .call(move |s| s.set_email_first_sync(&name, &f, v, top, Some(since)))
                        .await?;
                }
                PlanKind::Older { since, days } => {
                    let (since, days) = (*since, *days);
                    store
                        .call(move |s| s.finish_older_email(&name, &f, since, days))
                        .await?;
                }
            }
            if let Some(mark) = planned.modseq {
                self.catch_up(
                    account,
                    store,
                    &planned.folder,
                    planned.uidvalidity,
                    mark,
                    &mut folder,
                )
                .await?;
            }
            report.folders.push(folder);
        }
        Ok(report)
    }
}

/// `uids` cut into batches of `first`, then twice as many each time, up to `max`.
fn growing_batches(uids: &[u32], first: usize, max: usize) -> Vec<&[u32]> {
    let mut batches = Vec::new();
    let mut rest = uids;
    let mut size = first.max(1);
    let cap = max.max(size);
    while !rest.is_empty() {
        let (batch, after) = rest.split_at(size.min(rest.len()));
        batches.push(batch);
        rest = after;
        size = size.saturating_mul(2).min(cap);
    }
    batches
}

/// One fetched batch, parsed, its attachment files on disk, ready to commit.
struct Prepared {
    /// The UIDs fetched (to flag `\Seen` if asked).
    uids: Vec<u32>,
    /// Each message with whether it came from our own address (maybe a copy of our reply).
    inbound: Vec<(Inbound, bool)>,
    /// What is not mail at all: (Message-ID, raw bytes, reason).
    unreadable: Vec<(String, Vec<u8>, String)>,
    /// The Message-IDs of those flagged `\Answered` upstream.
    answered: Vec<String>,
}

/// Parses a fetched batch and writes its attachment files, off the async workers (CPU
/// work on untrusted input, and file syncs). The files are content-addressed, so
/// `ingest` finds them there and writes nothing twice.
async fn prepare_batch(
    account: &EmailAccount,
    blobs: &BlobStore,
    messages: Vec<Fetched>,
) -> Result<Prepared, ImapError> {
    let name = account.name.clone();
    let own = vec![account.address.clone()];
    let blobs = blobs.clone();
    let prepared = tokio::task::spawn_blocking(move || {
        let uids: Vec<u32> = messages.iter().map(|m| m.uid).collect();
        let mut inbound: Vec<(Inbound, bool)> = Vec::new();
        let mut unreadable: Vec<(String, Vec<u8>, String)> = Vec::new();
        let mut answered: Vec<String> = Vec::new();
        for Fetched {
            raw,
            answered: flagged,
            ..
        } in messages
        {
            let mail = mime::parse(&raw, &name, &own);
            if flagged && mail.inbound.is_some() {
                answered.push(mail.message_id.clone());
            }
            match mail.inbound {
                Some(message) => inbound.push((message, mail.from_us)),
                None => {
                    let reason = if mail.problems.is_empty() {
                        "not a readable email".to_owned()
                    } else {
                        mail.problems.join("; ")
                    };
                    unreadable.push((mail.message_id, raw, reason));
                }
            }
        }
        let files: Vec<&[u8]> = inbound
            .iter()
            .flat_map(|(m, _)| m.attachments.iter().map(|a| a.bytes.as_slice()))
            .collect();
        // Only a head start: ingest writes whatever is missing (and says why) itself.
        if let Err(e) = blobs.put_all(&files) {
            tracing::debug!("attachment files not written ahead: {e}");
        }
        Prepared {
            uids,
            inbound,
            unreadable,
            answered,
        }
    })
    .await
    .map_err(|e| StoreError::Invalid(format!("parsing fetched mail failed: {e}")))?;
    Ok(prepared)
}

/// Commits one prepared batch and returns the UIDs it held. Recording the folder's
/// progress is the caller's, since first and later syncs do it differently.
async fn commit_batch(
    store: &SharedStore,
    account: &str,
    prepared: Prepared,
    report: &mut FolderReport,
) -> Result<Vec<u32>, ImapError> {
    let Prepared {
        uids,
        inbound,
        unreadable,
        answered,
    } = prepared;
    report.fetched += uids.len();
    let name = account.to_owned();
    let (outcomes, dead, echoes, stopped_waiting) = store
        .call(move |s| {
            let now = Timestamp::now();
            // Our own sent reply, back through a folder (a Bcc to ourselves, a server
            // that files a copy): it is stored already as the outbound message, and
            // ingesting it would open a conversation with ourselves.
            let mut fresh = Vec::with_capacity(inbound.len());
            let mut echoes = 0;
            for (message, from_us) in inbound {
                if from_us && s.is_sent_reply(&message.external_id)? {
                    echoes += 1;
                } else {
                    fresh.push(message);
                }
            }
            let outcomes = ingest::ingest_batch(s, &fresh, now)?;
            for (id, raw, reason) in &unreadable {
                ingest::dead_letter(s, Channel::Email, &name, Some(id), raw, reason, now)?;
            }
            // Duplicates too: a first sync cut short and started over must not leave a
            // conversation waiting that the mailbox says is answered.
            let stopped_waiting = s.email_answered_elsewhere(&name, &answered)?;
            Ok((outcomes, unreadable.len(), echoes, stopped_waiting))
        })
        .await?;
    report.duplicates += echoes;
    report.answered_elsewhere += stopped_waiting;
    for outcome in outcomes {
        match outcome {
            Outcome::New { .. } => report.stored += 1,
            Outcome::Duplicate { .. } => report.duplicates += 1,
            Outcome::DeadLettered { .. } => report.dead_letters += 1,
        }
    }
    report.dead_letters += dead;
    Ok(uids)
}

#[cfg(test)]
mod tests {
    use super::growing_batches;

    #[test]
    fn batches_double_up_to_the_cap_and_cover_every_uid() {
        let uids: Vec<u32> = (1..=20).collect();
        let sizes: Vec<usize> = growing_batches(&uids, 2, 5)
            .iter()
            .map(|b| b.len())
            .collect();
        assert_eq!(sizes, [2, 4, 5, 5, 4]);
        let flat: Vec<u32> = growing_batches(&uids, 2, 5).concat();
        assert_eq!(flat, uids);
        let same: Vec<usize> = growing_batches(&uids, 3, 3)
            .iter()
            .map(|b| b.len())
            .collect();
        assert_eq!(same, [3, 3, 3, 3, 3, 3, 2]);
        assert!(growing_batches(&[], 2, 5).is_empty());
        assert_eq!(growing_batches(&uids, 0, 0).len(), 20);
    }
}
