//! How far the email channel has read each IMAP folder, so a sync resumes where the last
//! one stopped instead of fetching the whole folder again.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Result, Store, StoreError, ms, ts};

/// What the store knows of one folder's sync beyond its UIDs: how far back it was read
/// and whether an agent asked for more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmailHorizon {
    /// The folder's UIDVALIDITY when it was last read.
    pub uidvalidity: u32,
    /// The highest UID whose message is committed.
    pub last_uid: u32,
    /// The start of the oldest day read (the IMAP `SINCE` date, midnight UTC); `None`
    /// when the whole folder was read.
    pub synced_since: Option<Timestamp>,
    /// How many more days back an agent asked to read; 0 when nothing is pending.
    pub older_days_requested: u32,
}

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
                     DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid,
                        highest_modseq = CASE WHEN uidvalidity = excluded.uidvalidity
                                              THEN highest_modseq END",
                )?
                .execute(params![account, folder, uidvalidity, last_uid])?;
            Ok(())
        })
    }
}

impl Store {
    /// The folder's whole recorded sync state, `None` until its first sync has completed.
    ///
    /// # Errors
    /// A store failure, or a recorded value out of range.
    pub fn email_horizon(&mut self, account: &str, folder: &str) -> Result<Option<EmailHorizon>> {
        let row: Option<(i64, i64, Option<i64>, i64)> = self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT uidvalidity, last_uid, synced_since, older_days_requested
                     FROM email_sync WHERE account = ?1 AND folder = ?2",
                )?
                .query_row(params![account, folder], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?)
        })?;
        row.map(|(validity, last, since, days)| {
            match (u32::try_from(validity), u32::try_from(last)) {
                (Ok(uidvalidity), Ok(last_uid)) => Ok(EmailHorizon {
                    uidvalidity,
                    last_uid,
                    synced_since: since.map(ts),
                    // Requests only add positive days; a negative one was not written by us.
                    older_days_requested: u32::try_from(days).unwrap_or(0),
                }),
                _ => Err(StoreError::Invalid(format!(
                    "email sync state of {account}/{folder} is out of range"
                ))),
            }
        })
        .transpose()
    }

    /// Records a completed first sync (or a re-read after a UIDVALIDITY change): every
    /// message up to `last_uid` is committed, and mail was read back to `synced_since`
    /// (`None`: all of it). A pending "fetch older" request stays pending.
    ///
    /// # Errors
    /// A store failure; the previous state is kept then.
    pub fn set_email_first_sync(
        &mut self,
        account: &str,
        folder: &str,
        uidvalidity: u32,
        last_uid: u32,
        synced_since: Option<Timestamp>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.conn
                .prepare_cached(
                    "INSERT INTO email_sync (account, folder, uidvalidity, last_uid, synced_since)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (account, folder)
                     DO UPDATE SET uidvalidity = excluded.uidvalidity,
                        last_uid = excluded.last_uid, synced_since = excluded.synced_since,
                        highest_modseq = CASE WHEN uidvalidity = excluded.uidvalidity
                                              THEN highest_modseq END",
                )?
                .execute(params![
                    account,
                    folder,
                    uidvalidity,
                    last_uid,
                    synced_since.map(ms)
                ])?;
            Ok(())
        })
    }

    /// Whether an agent's "fetch older" waits to be served in any folder of `account`.
    ///
    /// # Errors
    /// A store failure.
    pub fn email_older_pending(&mut self, account: &str) -> Result<bool> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM email_sync
                                    WHERE account = ?1 AND older_days_requested > 0)",
                )?
                .query_row(params![account], |r| r.get(0))?)
        })
    }

    /// Records a served "fetch older": the folder has now been read back to
    /// `synced_since` (`None`: all of it), and `served_days` of the request are done.
    /// Call it only after the older messages have committed; days requested meanwhile
    /// stay pending.
    ///
    /// # Errors
    /// A store failure; the request stays pending then.
    pub fn finish_older_email(
        &mut self,
        account: &str,
        folder: &str,
        synced_since: Option<Timestamp>,
        served_days: u32,
    ) -> Result<()> {
        self.write(|tx| {
            tx.conn
                .prepare_cached(
                    "UPDATE email_sync SET synced_since = ?3,
                        older_days_requested = max(0, older_days_requested - ?4)
                     WHERE account = ?1 AND folder = ?2",
                )?
                .execute(params![account, folder, synced_since.map(ms), served_days])?;
            Ok(())
        })
    }

    /// Whether `message_id` (a Message-ID, with or without its angle brackets) is the
    /// id a channel gave one of our sent replies: the copy of our own reply coming back
    /// in a folder is that reply, already stored as outbound. The email copy of a chat
    /// reply ([`Store::record_follow_up`]) counts too: it is stored as the chat reply.
    ///
    /// # Errors
    /// A store failure.
    pub fn is_sent_reply(&mut self, message_id: &str) -> Result<bool> {
        let bare = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        if bare.is_empty() {
            return Ok(false);
        }
        let bracketed = format!("<{bare}>");
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT EXISTS (SELECT 1 FROM outbox
                                    WHERE channel_message_id IN (?1, ?2))
                         OR EXISTS (SELECT 1 FROM continuity WHERE message_id = ?2)",
                )?
                .query_row(params![bare, bracketed], |r| r.get(0))?)
        })
    }
}

impl Store {
    /// The folder's recorded `(uidvalidity, highest_modseq)`: the CONDSTORE mark (RFC 7162)
    /// as of the last look at its flags, under that UIDVALIDITY. `None` until a server
    /// offering CONDSTORE has been read, and after a UIDVALIDITY change.
    ///
    /// # Errors
    /// A store failure, or a recorded value out of range.
    pub fn email_modseq(&mut self, account: &str, folder: &str) -> Result<Option<(u32, u64)>> {
        let row: Option<(i64, Option<i64>)> = self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT uidvalidity, highest_modseq FROM email_sync
                     WHERE account = ?1 AND folder = ?2",
                )?
                .query_row(params![account, folder], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?)
        })?;
        let Some((validity, Some(modseq))) = row else {
            return Ok(None);
        };
        match (u32::try_from(validity), u64::try_from(modseq)) {
            (Ok(v), Ok(m)) => Ok(Some((v, m))),
            _ => Err(StoreError::Invalid(format!(
                "email sync state of {account}/{folder} is out of range"
            ))),
        }
    }

    /// Records that every flag change of `folder` up to `modseq` has been looked at, under
    /// this `uidvalidity`; a folder whose recorded UIDVALIDITY differs (renumbered since)
    /// is left alone. Call it only after what those changes meant is committed.
    ///
    /// # Errors
    /// A store failure, or a mod-sequence beyond SQLite's integers (RFC 7162 caps them
    /// at 2^63 - 1, so no server sends one).
    pub fn set_email_modseq(
        &mut self,
        account: &str,
        folder: &str,
        uidvalidity: u32,
        modseq: u64,
    ) -> Result<()> {
        let modseq = i64::try_from(modseq).map_err(|_| {
            StoreError::Invalid(format!(
                "mod-sequence {modseq} of {account}/{folder} is out of range"
            ))
        })?;
        self.write(|tx| {
            tx.conn
                .prepare_cached(
                    "UPDATE email_sync SET highest_modseq = ?4
                     WHERE account = ?1 AND folder = ?2 AND uidvalidity = ?3",
                )?
                .execute(params![account, folder, uidvalidity, modseq])?;
            Ok(())
        })
    }

    /// Customer emails of `account` flagged `\Answered` upstream (the shop owner replied
    /// from another mail client): each conversation waiting since one of them, or since
    /// an earlier message, now waits only for what the customer wrote after it, and
    /// stops waiting if nothing. Unknown ids and conversations already answered are left
    /// alone, so telling it twice changes nothing. Returns how many conversations changed.
    ///
    /// The shop's reply itself is not in the store, so `last_reply_at` (what reports time
    /// responses by) is not touched.
    ///
    /// # Errors
    /// A store failure; nothing is changed then.
    pub fn email_answered_elsewhere(
        &mut self,
        account: &str,
        message_ids: &[String],
    ) -> Result<usize> {
        if message_ids.is_empty() {
            return Ok(0);
        }
        self.write(|tx| {
            let mut statement = tx.conn.prepare_cached(
                "UPDATE conversations AS c SET waiting_since = (
                    SELECT min(later.sent_at) FROM messages AS later
                    WHERE later.conversation_id = c.id AND later.kind = 'inbound'
                      AND later.automated = 0 AND later.sent_at > m.sent_at
                      AND (c.last_reply_at IS NULL OR later.sent_at > c.last_reply_at))
                 FROM messages AS m
                 WHERE m.channel = 'email' AND m.account = ?1 AND m.external_id = ?2
                   AND m.kind = 'inbound' AND c.id = m.conversation_id
                   AND c.waiting_since IS NOT NULL AND c.waiting_since <= m.sent_at",
            )?;
            let mut changed = 0;
            for id in message_ids {
                changed += statement.execute(params![account, id])?;
            }
            Ok(changed)
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

    #[test]
    fn an_older_request_is_served_without_losing_one_made_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        let since = Timestamp::from_second(1_790_000_000).unwrap();
        store
            .set_email_first_sync("a", "INBOX", 7, 42, Some(since))
            .unwrap();
        assert!(!store.email_older_pending("a").unwrap());
        store.request_older_email(Some("a"), 30).unwrap();
        assert!(store.email_older_pending("a").unwrap());
        assert!(!store.email_older_pending("b").unwrap());
        let state = store.email_horizon("a", "INBOX").unwrap().unwrap();
        assert_eq!(
            state,
            EmailHorizon {
                uidvalidity: 7,
                last_uid: 42,
                synced_since: Some(since),
                older_days_requested: 30
            }
        );
        // Another request arrives while the first 30 days are being fetched.
        store.request_older_email(Some("a"), 10).unwrap();
        let earlier = Timestamp::from_second(1_780_000_000).unwrap();
        store
            .finish_older_email("a", "INBOX", Some(earlier), 30)
            .unwrap();
        let state = store.email_horizon("a", "INBOX").unwrap().unwrap();
        assert_eq!(state.synced_since, Some(earlier));
        assert_eq!(state.older_days_requested, 10);
        assert_eq!(state.last_uid, 42);
        store.finish_older_email("a", "INBOX", None, 10).unwrap();
        assert!(!store.email_older_pending("a").unwrap());
        // A later first sync keeps its UIDs apart from the horizon.
        store.set_email_sync_state("a", "INBOX", 7, 50).unwrap();
        assert_eq!(store.email_sync_state("a", "INBOX").unwrap(), Some((7, 50)));
    }

    #[test]
    fn a_sent_reply_is_known_by_its_message_id_with_or_without_brackets() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        let now = Timestamp::from_second(1_790_000_000).unwrap();
        let agent = store.ensure_agent("Camille").unwrap();
        let inbound = crate::channels::Inbound {
            channel: crate::model::Channel::Email,
            account: "a".into(),
            thread_key: "<t@x>".into(),
            external_id: "<m1@x>".into(),
            references: Vec::new(),
            reply_to: None,
            from: crate::channels::Contact {
                handle: "alice@example.com".into(),
                display_name: None,
                email: None,
                phone: None,
            },
            subject: None,
            text: "Bonjour".into(),
            attachments: Vec::new(),
            sent_at: now,
            automated: false,
            raw: None,
        };
        let crate::ingest::Outcome::New { conversation, .. } =
            crate::ingest::ingest(&mut store, &inbound, now).unwrap()
        else {
            panic!("expected a new message");
        };
        let reply = store.queue_reply(conversation, agent, "Oui", now).unwrap();
        assert!(!store.is_sent_reply("<r1@boutique.example>").unwrap());
        store
            .record_sent(reply, "<r1@boutique.example>", now)
            .unwrap();
        assert!(store.is_sent_reply("<r1@boutique.example>").unwrap());
        assert!(store.is_sent_reply("r1@boutique.example").unwrap());
        assert!(!store.is_sent_reply("<r2@boutique.example>").unwrap());
        assert!(!store.is_sent_reply("<>").unwrap());
    }

    fn customer_mail(id: &str, thread: &str, at: Timestamp) -> crate::channels::Inbound {
        crate::channels::Inbound {
            channel: crate::model::Channel::Email,
            account: "a".into(),
            thread_key: thread.into(),
            external_id: id.into(),
            references: Vec::new(),
            reply_to: None,
            from: crate::channels::Contact {
                handle: "alice@example.com".into(),
                display_name: None,
                email: None,
                phone: None,
            },
            subject: None,
            text: "Bonjour".into(),
            attachments: Vec::new(),
            sent_at: at,
            automated: false,
            raw: None,
        }
    }

    #[test]
    fn answered_elsewhere_leaves_only_what_came_after_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        let t1 = Timestamp::from_second(1_790_000_000).unwrap();
        let t2 = Timestamp::from_second(1_790_000_600).unwrap();
        let now = Timestamp::from_second(1_790_001_000).unwrap();
        let mut conversation = None;
        for (id, at) in [("<m1@x>", t1), ("<m2@x>", t2)] {
            let outcome =
                crate::ingest::ingest(&mut store, &customer_mail(id, "<m1@x>", at), now).unwrap();
            if let crate::ingest::Outcome::New {
                conversation: c, ..
            } = outcome
            {
                conversation = Some(c);
            }
        }
        let conversation = conversation.unwrap();
        let waiting = |store: &mut Store| {
            store
                .conversation(conversation)
                .unwrap()
                .unwrap()
                .waiting_since
        };
        let answered = |store: &mut Store, account: &str, id: &str| {
            store
                .email_answered_elsewhere(account, &[id.to_owned()])
                .unwrap()
        };
        assert_eq!(waiting(&mut store), Some(t1));
        // Another account's message of the same id, or an unknown id, is not ours.
        assert_eq!(answered(&mut store, "b", "<m1@x>"), 0);
        assert_eq!(answered(&mut store, "a", "<zz@x>"), 0);
        assert_eq!(waiting(&mut store), Some(t1));
        // The first answered: the second still waits.
        assert_eq!(answered(&mut store, "a", "<m1@x>"), 1);
        assert_eq!(waiting(&mut store), Some(t2));
        // Told again: nothing changes.
        assert_eq!(answered(&mut store, "a", "<m1@x>"), 0);
        assert_eq!(waiting(&mut store), Some(t2));
        // The newest answered: nothing waits.
        assert_eq!(answered(&mut store, "a", "<m2@x>"), 1);
        assert_eq!(waiting(&mut store), None);
    }

    #[test]
    fn modseq_is_kept_per_uidvalidity() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        // No row yet: nothing to attach a mark to.
        store.set_email_modseq("a", "INBOX", 7, 5).unwrap();
        assert_eq!(store.email_modseq("a", "INBOX").unwrap(), None);
        store
            .set_email_first_sync("a", "INBOX", 7, 42, None)
            .unwrap();
        assert_eq!(store.email_modseq("a", "INBOX").unwrap(), None);
        store.set_email_modseq("a", "INBOX", 7, 9).unwrap();
        assert_eq!(store.email_modseq("a", "INBOX").unwrap(), Some((7, 9)));
        // A stale UIDVALIDITY does not overwrite the mark.
        store.set_email_modseq("a", "INBOX", 6, 1).unwrap();
        assert_eq!(store.email_modseq("a", "INBOX").unwrap(), Some((7, 9)));
        // Progress under the same UIDVALIDITY keeps it.
        store.set_email_sync_state("a", "INBOX", 7, 50).unwrap();
        assert_eq!(store.email_modseq("a", "INBOX").unwrap(), Some((7, 9)));
        // A renumbered folder forgets it, whichever way the new state is recorded.
        store
            .set_email_first_sync("a", "INBOX", 8, 3, None)
            .unwrap();
        assert_eq!(store.email_modseq("a", "INBOX").unwrap(), None);
        store.set_email_modseq("a", "INBOX", 8, 4).unwrap();
        store.set_email_sync_state("a", "INBOX", 9, 3).unwrap();
        assert_eq!(store.email_modseq("a", "INBOX").unwrap(), None);
        assert!(store.set_email_modseq("a", "INBOX", 9, u64::MAX).is_err());
    }
}
