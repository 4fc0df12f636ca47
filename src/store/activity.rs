//! Who is looking at which conversation, and who is writing a reply there, as each open
//! TUI reports it. A row lives as long as its TUI keeps refreshing it; readers ignore
//! rows older than [`ACTIVITY_STALE`], so a TUI that was killed (or an SSH link that
//! dropped) stops showing within seconds without anyone cleaning up after it.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use rusqlite::params;

use super::{Result, Store, ms, ts};
use crate::model::{AgentId, ConversationId};

/// How often a TUI refreshes its row while nothing changes.
pub const ACTIVITY_REFRESH: Duration = Duration::from_secs(2);

/// A row not refreshed for this long is a TUI that is gone: three missed refreshes.
pub const ACTIVITY_STALE: Duration = Duration::from_secs(6);

/// Rows this old are deleted by the next writer (a crashed TUI's row, long stale).
const ACTIVITY_PURGE: SignedDuration = SignedDuration::from_hours(1);

/// What one agent's TUI is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    /// The agent.
    pub agent: AgentId,
    /// Their name.
    pub agent_name: String,
    /// The conversation they have open.
    pub conversation: ConversationId,
    /// Whether they are writing a reply (or a note) there.
    pub replying: bool,
    /// When their TUI last said so.
    pub updated_at: Timestamp,
}

impl Store {
    /// Records what this TUI (`session`, unique per process) is doing at `now`: the
    /// conversation its agent has open, if any, and whether they are replying.
    ///
    /// # Errors
    /// A store failure.
    pub fn record_activity(
        &mut self,
        agent: AgentId,
        session: &str,
        conversation: Option<ConversationId>,
        replying: bool,
        now: Timestamp,
    ) -> Result<()> {
        let purge = now.checked_sub(ACTIVITY_PURGE).unwrap_or(now);
        self.write(|tx| {
            tx.conn
                .prepare_cached(
                    "INSERT INTO agent_activity
                       (agent_id, session, conversation_id, replying, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (agent_id, session) DO UPDATE SET
                       conversation_id = excluded.conversation_id,
                       replying = excluded.replying,
                       updated_at = excluded.updated_at",
                )?
                .execute(params![
                    agent.0,
                    session,
                    conversation.map(|c| c.0),
                    replying,
                    ms(now)
                ])?;
            tx.conn
                .prepare_cached("DELETE FROM agent_activity WHERE updated_at < ?1")?
                .execute([ms(purge)])?;
            Ok(())
        })
    }

    /// This TUI is closing: its row goes at once rather than going stale.
    ///
    /// # Errors
    /// A store failure.
    pub fn end_activity(&mut self, agent: AgentId, session: &str) -> Result<()> {
        self.write(|tx| {
            tx.conn
                .prepare_cached("DELETE FROM agent_activity WHERE agent_id = ?1 AND session = ?2")?
                .execute(params![agent.0, session])?;
            Ok(())
        })
    }

    /// Every live activity on a conversation at `now` (rows refreshed within
    /// [`ACTIVITY_STALE`]), replying first, then by name. An agent with two TUIs on one
    /// conversation appears once, replying if either is.
    ///
    /// # Errors
    /// A store failure.
    pub fn activity(&mut self, now: Timestamp) -> Result<Vec<Activity>> {
        let fresh = now
            .checked_sub(SignedDuration::try_from(ACTIVITY_STALE).unwrap_or_default())
            .unwrap_or(now);
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT t.agent_id, a.name, t.conversation_id, max(t.replying),
                            max(t.updated_at)
                     FROM agent_activity t JOIN agents a ON a.id = t.agent_id
                     WHERE t.updated_at >= ?1 AND t.conversation_id IS NOT NULL
                     GROUP BY t.agent_id, t.conversation_id
                     ORDER BY max(t.replying) DESC, a.name",
                )?
                .query_map([ms(fresh)], |r| {
                    Ok(Activity {
                        agent: AgentId(r.get(0)?),
                        agent_name: r.get(1)?,
                        conversation: ConversationId(r.get(2)?),
                        replying: r.get(3)?,
                        updated_at: ts(r.get(4)?),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use super::*;
    use crate::store::NewConversation;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_790_000_000_000 + ms).unwrap()
    }

    fn conversation(store: &mut Store) -> ConversationId {
        store
            .write(|tx| {
                let customer = tx.create_customer(Some("Ana"), at(0))?;
                tx.open_conversation(&NewConversation {
                    channel: crate::model::Channel::Chat,
                    account: "site",
                    thread_key: "t",
                    customer,
                    peer: "ana",
                    subject: None,
                    subject_key: None,
                    first_message_at: at(0),
                    now: at(0),
                })
            })
            .unwrap()
    }

    #[test]
    fn markers_expire_when_their_tui_stops_refreshing_and_go_when_it_quits() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
        let karim = store.ensure_agent("Karim").unwrap();
        let camille = store.ensure_agent("Camille").unwrap();
        let c = conversation(&mut store);

        store
            .record_activity(karim, "k1", Some(c), false, at(0))
            .unwrap();
        store
            .record_activity(camille, "c1", Some(c), true, at(1_000))
            .unwrap();
        let live = store.activity(at(2_000)).unwrap();
        let who: Vec<_> = live
            .iter()
            .map(|a| (a.agent_name.as_str(), a.replying))
            .collect();
        assert_eq!(who, [("Camille", true), ("Karim", false)], "replying first");

        // Karim's TUI was killed: 6 s after its last refresh it no longer shows.
        let stale = i64::try_from(ACTIVITY_STALE.as_millis()).unwrap();
        let live = store.activity(at(stale + 1)).unwrap();
        assert_eq!(live.len(), 1, "{live:?}");
        assert_eq!(live[0].agent, camille);

        // Camille's TUI refreshes, then quits: her row goes at once.
        store
            .record_activity(camille, "c1", Some(c), false, at(stale))
            .unwrap();
        assert!(!store.activity(at(stale + 1)).unwrap()[0].replying);
        store.end_activity(camille, "c1").unwrap();
        assert!(store.activity(at(stale + 1)).unwrap().is_empty());

        // Viewing nothing is no marker.
        store
            .record_activity(karim, "k1", None, false, at(stale))
            .unwrap();
        assert!(store.activity(at(stale + 1)).unwrap().is_empty());
    }
}
