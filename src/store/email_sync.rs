//! How far the email channel has read each IMAP folder, so a sync resumes where the last
//! one stopped instead of fetching the whole folder again.

use rusqlite::{OptionalExtension, params};

use super::{Result, Store, StoreError};

impl Store {
    /// The folder's recorded `(uidvalidity, last_uid)`: the folder's UIDVALIDITY when it
    /// was last read and the highest UID whose message is committed. `None` until the
    /// folder's first sync has completed.
    ///
    /// # Errors
    /// A store failure, or a recorded value that is not a valid IMAP UID.
    pub fn email_sync_state(&mut self, account: &str, folder: &str) -> Result<Option<(u32, u32)>> {
        let row: Option<(i64, i64)> = self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT uidvalidity, last_uid FROM email_sync WHERE account = ?1 AND folder = ?2",
                )?
                .query_row(params![account, folder], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?)
        })?;
        row.map(|(validity, last)| {
            // IMAP UIDs and UIDVALIDITY are 32-bit; anything else was not written by us.
            match (u32::try_from(validity), u32::try_from(last)) {
                (Ok(v), Ok(l)) => Ok((v, l)),
                _ => Err(StoreError::Invalid(format!(
                    "email sync state of {account}/{folder} is out of range"
                ))),
            }
        })
        .transpose()
    }

    /// Records that `folder` of `account` has every message up to `last_uid` committed,
    /// under this `uidvalidity`. Call it only after the messages' own transaction has
    /// committed, so a crash in between refetches (and dedupes) instead of losing mail.
    ///
    /// # Errors
    /// A store failure; the previous state is kept then.
    pub fn set_email_sync_state(
        &mut self,
        account: &str,
        folder: &str,
        uidvalidity: u32,
        last_uid: u32,
    ) -> Result<()> {
        self.write(|tx| {
            tx.conn
                .prepare_cached(
                    "INSERT INTO email_sync (account, folder, uidvalidity, last_uid)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (account, folder)
                     DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid",
                )?
                .execute(params![account, folder, uidvalidity, last_uid])?;
            Ok(())
        })
    }
}

impl Store {
    /// An agent's "fetch older": asks the process running `account` (every account when
    /// `None`) to read `days` more days back in each of its folders than it has read.
    /// Requests add up until the channel has served them. Returns how many folders were
    /// asked; a folder never synced has nothing older to fetch yet.
    ///
    /// # Errors
    /// A store failure.
    pub fn request_older_email(&mut self, account: Option<&str>, days: u32) -> Result<usize> {
        self.write(|tx| {
            Ok(tx
                .conn
                .prepare_cached(
                    "UPDATE email_sync SET older_days_requested = older_days_requested + ?2
                     WHERE ?1 IS NULL OR account = ?1",
                )?
                .execute(params![account, days])?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_per_account_and_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        assert_eq!(store.email_sync_state("a", "INBOX").unwrap(), None);
        store.set_email_sync_state("a", "INBOX", 7, 42).unwrap();
        store.set_email_sync_state("b", "INBOX", 9, 1).unwrap();
        store
            .set_email_sync_state("a", "INBOX", 8, u32::MAX)
            .unwrap();
        assert_eq!(
            store.email_sync_state("a", "INBOX").unwrap(),
            Some((8, u32::MAX))
        );
        assert_eq!(store.email_sync_state("b", "INBOX").unwrap(), Some((9, 1)));
        assert_eq!(store.email_sync_state("a", "Sent").unwrap(), None);
    }

    #[test]
    fn older_requests_reach_only_synced_folders_of_the_account() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        assert_eq!(store.request_older_email(None, 30).unwrap(), 0);
        store.set_email_sync_state("a", "INBOX", 7, 42).unwrap();
        store.set_email_sync_state("a", "Support", 7, 42).unwrap();
        store.set_email_sync_state("b", "INBOX", 9, 1).unwrap();
        assert_eq!(store.request_older_email(Some("a"), 30).unwrap(), 2);
        assert_eq!(store.request_older_email(None, 30).unwrap(), 3);
        assert_eq!(store.request_older_email(Some("zzz"), 30).unwrap(), 0);
    }
}
