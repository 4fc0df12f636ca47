//! Agents and their explicit availability.

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

    /// Every agent, by name.
    ///
    /// # Errors
    /// A store failure.
    pub fn agents(&mut self) -> Result<Vec<Agent>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, name, availability, last_seen_at FROM agents ORDER BY name",
            )?
            .query_map([], |r| {
                let availability: String = r.get(2)?;
                Ok(Agent {
                    id: AgentId(r.get(0)?),
                    name: r.get(1)?,
                    availability: Availability::parse(&availability)
                        .unwrap_or(Availability::Offline),
                    last_seen_at: r.get::<_, Option<i64>>(3)?.map(ts),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Sets an agent's explicit availability toggle.
    ///
    /// # Errors
    /// An unknown agent, or a store failure.
    pub fn set_availability(&mut self, id: AgentId, availability: Availability) -> Result<()> {
        self.write(|tx| {
            let changed = tx
                .conn
                .prepare_cached("UPDATE agents SET availability = ?2 WHERE id = ?1")?
                .execute(params![id.0, availability.as_str()])?;
            if changed == 0 {
                return Err(StoreError::NotFound("agent"));
            }
            Ok(())
        })
    }

    /// Records that one of the agent's TUIs just saw input.
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
}
