//! Each channel account's health, written by the process that runs the channels and read
//! by every TUI's status line.

use rusqlite::params;

use super::{Result, Store, StoreError, ms, ts};
use crate::model::{ChannelHealth, HealthState};

impl Store {
    /// Records an account's health, replacing what was recorded before.
    ///
    /// # Errors
    /// A store failure.
    pub fn set_channel_health(&mut self, health: &ChannelHealth) -> Result<()> {
        let count = |n: Option<u64>| n.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        self.write(|tx| {
            tx.conn
                .prepare_cached(
                    "INSERT INTO channel_health
                        (channel, account, state, done, total, until, last_error, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT (channel, account) DO UPDATE SET
                        state = excluded.state, done = excluded.done, total = excluded.total,
                        until = excluded.until, last_error = excluded.last_error,
                        updated_at = excluded.updated_at",
                )?
                .execute(params![
                    health.channel.as_str(),
                    health.account,
                    health.state.as_str(),
                    count(health.done),
                    count(health.total),
                    health.until.map(ms),
                    health.last_error,
                    ms(health.updated_at),
                ])?;
            Ok(())
        })
    }

    /// Every account's recorded health, by channel then account.
    ///
    /// # Errors
    /// A store failure, or a row this comptoir did not write.
    pub fn channel_health(&mut self) -> Result<Vec<ChannelHealth>> {
        type Row = (
            String,
            String,
            String,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<String>,
            i64,
        );
        let rows: Vec<Row> = self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT channel, account, state, done, total, until, last_error, updated_at
                     FROM channel_health ORDER BY channel, account",
                )?
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let count = |n: Option<i64>| n.map(|n| u64::try_from(n).unwrap_or(0));
        rows.into_iter()
            .map(
                |(channel, account, state, done, total, until, last_error, updated_at)| {
                    Ok(ChannelHealth {
                        channel: channel.parse().map_err(|e: crate::model::UnknownChannel| {
                            StoreError::Corrupt(e.to_string())
                        })?,
                        state: HealthState::parse(&state).ok_or_else(|| {
                            StoreError::Corrupt(format!("unknown health state {state:?}"))
                        })?,
                        account,
                        done: count(done),
                        total: count(total),
                        until: until.map(ts),
                        last_error,
                        updated_at: ts(updated_at),
                    })
                },
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Channel;
    use jiff::Timestamp;

    #[test]
    fn health_round_trips_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        assert!(store.channel_health().unwrap().is_empty());
        let at = Timestamp::from_millisecond(1_700_000_000_000).unwrap();
        let mut health = ChannelHealth {
            channel: Channel::Email,
            account: "shop".into(),
            state: HealthState::Syncing,
            done: Some(3),
            total: Some(10),
            until: None,
            last_error: None,
            updated_at: at,
        };
        store.set_channel_health(&health).unwrap();
        assert_eq!(store.channel_health().unwrap(), vec![health.clone()]);
        health.state = HealthState::Backoff;
        health.until = Some(at);
        health.last_error = Some("connection refused".into());
        store.set_channel_health(&health).unwrap();
        assert_eq!(store.channel_health().unwrap(), vec![health]);
    }
}
