//! Inbound messages that could not be stored as messages, kept with their raw bytes
//! so that nothing is lost and an agent can look, save or retry.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Result, Store, Tx, ms, ts};
use crate::model::Channel;

/// One set-aside inbound message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    /// Row id.
    pub id: i64,
    /// The channel it came through.
    pub channel: Channel,
    /// The account.
    pub account: String,
    /// The channel's id for it, when it had one.
    pub external_id: Option<String>,
    /// Why it was set aside.
    pub reason: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it arrived.
    pub received_at: Timestamp,
}

impl Tx<'_> {
    /// The dead letter already kept for this external id, so a channel that redelivers
    /// a bad message does not fill the list with copies.
    ///
    /// # Errors
    /// A store failure.
    pub fn dead_letter_by_external(
        &mut self,
        channel: Channel,
        account: &str,
        external_id: &str,
    ) -> Result<Option<i64>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id FROM dead_letters WHERE channel = ?1 AND account = ?2 AND external_id = ?3",
            )?
            .query_row(params![channel.as_str(), account, external_id], |r| r.get(0))
            .optional()?)
    }

    /// Sets an inbound message aside with its raw bytes and the reason; returns its id.
    ///
    /// # Errors
    /// A store failure.
    pub fn add_dead_letter(
        &mut self,
        channel: Channel,
        account: &str,
        external_id: Option<&str>,
        reason: &str,
        raw: &[u8],
        now: Timestamp,
    ) -> Result<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO dead_letters (channel, account, external_id, reason, raw, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                channel.as_str(),
                account,
                external_id,
                reason,
                raw,
                ms(now)
            ])?;
        Ok(self.conn.last_insert_rowid())
    }
}

impl Store {
    /// Every dead letter, newest first (raw bytes left out).
    ///
    /// # Errors
    /// A store failure.
    pub fn dead_letters(&mut self) -> Result<Vec<DeadLetter>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, channel, account, external_id, reason, length(raw), received_at
                 FROM dead_letters ORDER BY id DESC",
            )?
            .query_map([], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// How many dead letters there are, for the status line.
    ///
    /// # Errors
    /// A store failure.
    pub fn dead_letter_count(&mut self) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM dead_letters")?
            .query_row([], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// One dead letter (raw bytes left out), if it is still there.
    ///
    /// # Errors
    /// A store failure.
    pub fn dead_letter(&mut self, id: i64) -> Result<Option<DeadLetter>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, channel, account, external_id, reason, length(raw), received_at
                 FROM dead_letters WHERE id = ?1",
            )?
            .query_row([id], row)
            .optional()?)
    }

    /// The raw bytes of one dead letter.
    ///
    /// # Errors
    /// A store failure.
    pub fn dead_letter_raw(&mut self, id: i64) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT raw FROM dead_letters WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    /// Removes a dead letter once it has been dealt with (retried or saved).
    ///
    /// # Errors
    /// A store failure.
    pub fn remove_dead_letter(&mut self, id: i64) -> Result<bool> {
        self.write(|tx| {
            Ok(tx
                .conn
                .prepare_cached("DELETE FROM dead_letters WHERE id = ?1")?
                .execute([id])?
                > 0)
        })
    }
}

/// One `dead_letters` row without its raw bytes: id, channel, account, external id,
/// reason, length(raw), received at.
fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeadLetter> {
    let channel: String = r.get(1)?;
    Ok(DeadLetter {
        id: r.get(0)?,
        channel: channel.parse().unwrap_or(Channel::Email),
        account: r.get(2)?,
        external_id: r.get(3)?,
        reason: r.get(4)?,
        size: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
        received_at: ts(r.get(6)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_one_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        assert_eq!(store.dead_letter_count().unwrap(), 0);
        let at = Timestamp::from_millisecond(1_700_000_000_000).unwrap();
        let id = store
            .write(|tx| tx.add_dead_letter(Channel::Chat, "site", None, "not JSON", b"{", at))
            .unwrap();
        assert_eq!(store.dead_letter_count().unwrap(), 1);
        let one = store.dead_letter(id).unwrap().unwrap();
        assert_eq!(
            (
                one.channel,
                one.account.as_str(),
                one.reason.as_str(),
                one.size
            ),
            (Channel::Chat, "site", "not JSON", 1)
        );
        assert_eq!(store.dead_letters().unwrap(), vec![one]);
        assert!(store.remove_dead_letter(id).unwrap());
        assert_eq!(store.dead_letter(id).unwrap(), None);
        assert_eq!(store.dead_letter_count().unwrap(), 0);
    }
}
