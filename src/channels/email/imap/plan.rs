//! What a sync pass will fetch: new mail, a folder's bounded first read, or older mail an
//! agent asked for.

use std::sync::atomic::Ordering;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::changes::ModseqMark;
use super::{Connection, ImapError};
use crate::config::EmailAccount;
use crate::store::SharedStore;

/// How many days of existing mail a folder's first sync imports when the account does not
/// say (`first_sync_days`).
pub const DEFAULT_FIRST_SYNC_DAYS: u32 = 90;

/// What a sync pass will fetch, found by `SELECT` and `UID SEARCH` in each folder before
/// any message is downloaded, so the whole pass's size is known up front.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncPlan {
    pub(super) folders: Vec<FolderPlan>,
}

impl SyncPlan {
    /// How many messages the pass will fetch, across folders.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.folders.iter().map(|f| f.uids.len() as u64).sum()
    }

    /// The pass has nothing to fetch and nothing to record.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.folders.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct FolderPlan {
    pub(super) folder: String,
    pub(super) uidvalidity: u32,
    /// In fetch order.
    pub(super) uids: Vec<u32>,
    pub(super) kind: PlanKind,
    /// With CONDSTORE, the folder's mod-sequences: flag changes are brought in after the
    /// new mail.
    pub(super) modseq: Option<ModseqMark>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum PlanKind {
    /// Mail above `last_uid`, recorded after each batch.
    New,
    /// Nothing new; listed so the report has every folder.
    Nothing,
    /// A bounded first read, newest first, recorded once whole.
    First {
        top: u32,
        since: Timestamp,
        uidvalidity_changed: bool,
    },
    /// An agent's "fetch older": back to `since` (`None`: nothing older to read),
    /// serving `days` of the request.
    Older { since: Option<Timestamp>, days: u32 },
}

impl Connection<'_> {
    /// Finds what is new in every folder of the account since the recorded state: mail
    /// above the last stored UID, or for a folder never read (or renumbered), the mail of
    /// the last `first_sync_days`.
    ///
    /// # Errors
    /// A server or store failure.
    pub async fn plan_new(
        &mut self,
        account: &EmailAccount,
        store: &SharedStore,
    ) -> Result<SyncPlan, ImapError> {
        // Mail that arrives from here on is found by this plan or announced later.
        self.conn.changed.store(false, Ordering::Relaxed);
        let mut plan = SyncPlan::default();
        for folder in &account.folders {
            let uidvalidity = self.select(folder, true).await?;
            let modseq = self
                .modseq_mark(account, store, folder, uidvalidity)
                .await?;
            let uid_next = self.uid_next.get(folder.as_str()).copied();
            let state = {
                let (name, folder) = (account.name.clone(), folder.clone());
                store
                    .call(move |s| s.email_sync_state(&name, &folder))
                    .await?
            };
            if let Some((recorded, last_uid)) = state
                && recorded == uidvalidity
            {
                // Nothing new: spares a SEARCH on every pass of an idle folder.
                if uid_next.is_some_and(|next| next <= last_uid.saturating_add(1)) {
                    plan.folders.push(FolderPlan {
                        folder: folder.clone(),
                        uidvalidity,
                        uids: Vec::new(),
                        kind: PlanKind::Nothing,
                        modseq,
                    });
                    continue;
                }
                let query = format!("UID {}:*", last_uid.saturating_add(1));
                let found = self.conn.search(&mut self.session, &query).await?;
                // `n:*` always matches the highest UID, even when it is below n.
                let mut uids: Vec<u32> = found.into_iter().filter(|&u| u > last_uid).collect();
                uids.sort_unstable();
                plan.folders.push(FolderPlan {
                    folder: folder.clone(),
                    uidvalidity,
                    uids,
                    kind: PlanKind::New,
                    modseq,
                });
                continue;
            }
            // A first sync, or a renumbered folder read afresh under the same bound: the
            // UIDs recorded before mean nothing now, and what was stored dedupes by
            // Message-ID.
            let days = account.first_sync_days.unwrap_or(DEFAULT_FIRST_SYNC_DAYS);
            let since = since_day(Timestamp::now(), days);
            let query = format!("SINCE {}", imap_date_of(since));
            let mut uids = self.conn.search(&mut self.session, &query).await?;
            uids.sort_unstable_by(|a, b| b.cmp(a));
            // Mail older than the bound must not come in later as "new", so the recorded
            // mark is the top of the folder, not just the newest message imported.
            let mut top = uids.first().copied().unwrap_or(0);
            match uid_next {
                Some(next) => top = top.max(next.saturating_sub(1)),
                None => {
                    let all = self.conn.search(&mut self.session, "ALL").await?;
                    top = top.max(all.into_iter().max().unwrap_or(0));
                }
            }
            plan.folders.push(FolderPlan {
                folder: folder.clone(),
                uidvalidity,
                uids,
                kind: PlanKind::First {
                    top,
                    since: day_start(since),
                    uidvalidity_changed: state.is_some(),
                },
                // The first fetch brings each message's flags; changes start from here.
                modseq: modseq.map(|m| ModseqMark {
                    recorded: None,
                    ..m
                }),
            });
        }
        Ok(plan)
    }

    /// Finds the older mail agents asked for ("fetch older") in the folders where a
    /// request is pending: the days before the folder's recorded horizon. A folder read
    /// whole has nothing older; its request is simply served. A folder whose UIDVALIDITY
    /// changed is left to the next [`Connection::plan_new`], which reads it afresh.
    ///
    /// # Errors
    /// A server or store failure.
    pub async fn plan_older(
        &mut self,
        account: &EmailAccount,
        store: &SharedStore,
    ) -> Result<SyncPlan, ImapError> {
        let mut plan = SyncPlan::default();
        for folder in &account.folders {
            let horizon = {
                let (name, folder) = (account.name.clone(), folder.clone());
                store.call(move |s| s.email_horizon(&name, &folder)).await?
            };
            let Some(horizon) = horizon.filter(|h| h.older_days_requested > 0) else {
                continue;
            };
            let days = horizon.older_days_requested;
            let Some(until) = horizon.synced_since else {
                plan.folders.push(FolderPlan {
                    folder: folder.clone(),
                    uidvalidity: horizon.uidvalidity,
                    uids: Vec::new(),
                    kind: PlanKind::Older { since: None, days },
                    modseq: None,
                });
                continue;
            };
            let uidvalidity = self.select(folder, false).await?;
            if uidvalidity != horizon.uidvalidity {
                continue;
            }
            let before = until.to_zoned(TimeZone::UTC).date();
            let since = before
                .checked_sub(jiff::Span::new().days(i64::from(days)))
                .unwrap_or(jiff::civil::Date::MIN);
            let query = format!(
                "SINCE {} BEFORE {}",
                imap_date_of(since),
                imap_date_of(before)
            );
            let mut uids = self.conn.search(&mut self.session, &query).await?;
            uids.sort_unstable_by(|a, b| b.cmp(a));
            plan.folders.push(FolderPlan {
                folder: folder.clone(),
                uidvalidity,
                uids,
                kind: PlanKind::Older {
                    since: Some(day_start(since)),
                    days,
                },
                modseq: None,
            });
        }
        Ok(plan)
    }
}

/// The date `days` before `now` in SEARCH's `d-Mon-yyyy` form (RFC 3501 `date`), in UTC.
#[cfg(test)]
fn imap_date(now: Timestamp, days: u32) -> String {
    imap_date_of(since_day(now, days))
}

/// The UTC day `days` before `now`.
fn since_day(now: Timestamp, days: u32) -> Date {
    now.checked_sub(SignedDuration::from_hours(i64::from(days) * 24))
        .unwrap_or(Timestamp::MIN)
        .to_zoned(TimeZone::UTC)
        .date()
}

/// Midnight UTC at the start of `date`: what the store records as a folder's horizon.
fn day_start(date: Date) -> Timestamp {
    date.to_zoned(TimeZone::UTC)
        .map_or(Timestamp::MIN, |z| z.timestamp())
}

/// `date` in SEARCH's `d-Mon-yyyy` form (RFC 3501 `date`).
fn imap_date_of(date: Date) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = usize::try_from(date.month() - 1)
        .ok()
        .and_then(|m| MONTHS.get(m))
        .unwrap_or(&"Jan");
    format!("{}-{month}-{}", date.day(), date.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_dates_are_rfc3501() {
        let now: Timestamp = "2026-03-05T10:00:00Z"
            .parse()
            .unwrap_or(Timestamp::UNIX_EPOCH);
        assert_eq!(imap_date(now, 0), "5-Mar-2026");
        assert_eq!(imap_date(now, 90), "5-Dec-2025");
    }
}
