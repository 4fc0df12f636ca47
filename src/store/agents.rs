//! Agents: their explicit availability toggle and the traces their TUIs leave (a
//! heartbeat while open, the last input), from which `presence` decides who is really
//! there.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{Result, Store, StoreError, Tx, ms, ts};
use crate::model::{Agent, AgentId, Availability};

impl Tx<'_> {
    /// An agent's name, as replies and notes are signed.
    pub(crate) fn agent_name(&mut self, id: AgentId) -> Result<String> {
        self.conn
            .prepare_cached("SELECT name FROM agents WHERE id = ?1")?
            .query_row([id.0], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NotFound("agent"))
    }
}

impl Store {
    /// The agent with this name, created on first use (the config's `[agent] name`).
    ///
    /// # Errors
    /// An empty name, or a store failure.
    pub fn ensure_agent(&mut self, name: &str) -> Result<AgentId> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("an agent needs a name".into()));
        }
        self.write(|tx| {
            tx.conn
                .prepare_cached("INSERT OR IGNORE INTO agents (name) VALUES (?1)")?
                .execute([name])?;
            Ok(tx
                .conn
                .prepare_cached("SELECT id FROM agents WHERE name = ?1")?
                .query_row([name], |r| r.get(0).map(AgentId))?)
        })
    }

    /// Every agent, by name: one read of a table with a row per agent, cheap enough to
    /// run for each status request.
    ///
    /// # Errors
    /// A store failure.
    pub fn agents(&mut self) -> Result<Vec<Agent>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, name, availability, last_seen_at, last_input_at, left_available_at
                 FROM agents ORDER BY name",
            )?
            .query_map([], |r| {
                let availability: String = r.get(2)?;
                Ok(Agent {
                    id: AgentId(r.get(0)?),
                    name: r.get(1)?,
                    availability: Availability::parse(&availability)
                        .unwrap_or(Availability::Offline),
                    last_seen_at: r.get::<_, Option<i64>>(3)?.map(ts),
                    last_input_at: r.get::<_, Option<i64>>(4)?.map(ts),
                    left_available_at: r.get::<_, Option<i64>>(5)?.map(ts),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Sets an agent's explicit availability toggle, now.
    ///
    /// # Errors
    /// An unknown agent, or a store failure.
    pub fn set_availability(&mut self, id: AgentId, availability: Availability) -> Result<()> {
        self.set_availability_at(id, availability, Timestamp::now())
    }

    /// Sets an agent's explicit availability toggle at `now`, noting when it leaves
    /// `available` (the chat's grace period runs from then).
    ///
    /// # Errors
    /// An unknown agent, or a store failure.
    pub fn set_availability_at(
        &mut self,
        id: AgentId,
        availability: Availability,
        now: Timestamp,
    ) -> Result<()> {
        self.write(|tx| {
            // Right-hand sides read the row as it was, so the CASE sees the old toggle.
            let changed = tx
                .conn
                .prepare_cached(
                    "UPDATE agents SET availability = ?2,
                         left_available_at = CASE
                             WHEN availability = 'available' AND ?2 <> 'available' THEN ?3
                             ELSE left_available_at END
                     WHERE id = ?1",
                )?
                .execute(params![id.0, availability.as_str(), ms(now)])?;
            if changed == 0 {
                return Err(StoreError::NotFound("agent"));
            }
            Ok(())
        })
    }

    /// A TUI of the agent's is open at `now`: its heartbeat, written every half minute.
    ///
    /// # Errors
    /// A store failure.
    pub fn touch_agent(&mut self, id: AgentId, now: Timestamp) -> Result<()> {
        self.write(|tx| {
            tx.conn
                .prepare_cached("UPDATE agents SET last_seen_at = ?2 WHERE id = ?1")?
                .execute(params![id.0, ms(now)])?;
            Ok(())
        })
    }

    /// The agent pressed a key or clicked in a TUI at `now` (which is also a heartbeat).
    ///
    /// # Errors
    /// A store failure.
    pub fn record_input(&mut self, id: AgentId, now: Timestamp) -> Result<()> {
        self.write(|tx| {
            tx.conn
                .prepare_cached(
                    "UPDATE agents SET last_input_at = ?2, last_seen_at = ?2 WHERE id = ?1",
                )?
                .execute(params![id.0, ms(now)])?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use super::*;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_790_000_000 + minute * 60).unwrap()
    }

    #[test]
    fn the_toggle_dates_leaving_available_and_input_is_also_a_heartbeat() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        let id = store.ensure_agent("Camille").unwrap();
        let row = |store: &mut Store| store.agents().unwrap().remove(0);
        let fresh = row(&mut store);
        assert_eq!(fresh.availability, Availability::Offline);
        assert_eq!(
            (
                fresh.last_seen_at,
                fresh.last_input_at,
                fresh.left_available_at
            ),
            (None, None, None)
        );

        // Offline to away is not leaving available.
        store
            .set_availability_at(id, Availability::Away, at(1))
            .unwrap();
        assert_eq!(row(&mut store).left_available_at, None);
        store
            .set_availability_at(id, Availability::Available, at(2))
            .unwrap();
        store
            .set_availability_at(id, Availability::Available, at(3))
            .unwrap();
        assert_eq!(row(&mut store).left_available_at, None);
        store
            .set_availability_at(id, Availability::Away, at(4))
            .unwrap();
        assert_eq!(row(&mut store).left_available_at, Some(at(4)));
        // Away to offline keeps the moment available was left.
        store
            .set_availability_at(id, Availability::Offline, at(5))
            .unwrap();
        let r = row(&mut store);
        assert_eq!(
            (r.availability, r.left_available_at),
            (Availability::Offline, Some(at(4)))
        );

        store.record_input(id, at(6)).unwrap();
        let r = row(&mut store);
        assert_eq!(
            (r.last_input_at, r.last_seen_at),
            (Some(at(6)), Some(at(6)))
        );
        store.touch_agent(id, at(7)).unwrap();
        let r = row(&mut store);
        assert_eq!(
            (r.last_input_at, r.last_seen_at),
            (Some(at(6)), Some(at(7)))
        );

        assert!(matches!(
            store.set_availability_at(AgentId(99), Availability::Away, at(8)),
            Err(StoreError::NotFound("agent"))
        ));
    }
}
