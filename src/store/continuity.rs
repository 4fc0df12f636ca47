//! Continuity between the chat and email: a chat reply to a visitor who has left also
//! goes by email, and the customer's email answer must come back to the same chat
//! conversation. The store keeps each such email's Message-ID with its conversation.

use rusqlite::types::Type;
use rusqlite::{OptionalExtension, params};

use super::{Result, Store, Tx, ms};
use crate::model::{ConversationId, MessageId, StatusName};

/// Where the email copy of a chat reply goes: the conversation's customer as the store
/// knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUpTarget {
    /// The chat conversation the reply belongs to.
    pub conversation: ConversationId,
    /// The customer's newest email address (the one they gave last).
    pub email: String,
    /// The customer's name, if known.
    pub name: Option<String>,
    /// The conversation's subject, if it has one.
    pub subject: Option<String>,
}

impl Store {
    /// The email address the reply `reply` can also go to: `None` when its customer
    /// gave none (or the reply is gone).
    ///
    /// # Errors
    /// A store failure.
    pub fn follow_up_target(&mut self, reply: MessageId) -> Result<Option<FollowUpTarget>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT c.id, h.value, cu.display_name, c.subject
                     FROM messages m JOIN conversations c ON c.id = m.conversation_id
                     JOIN customers cu ON cu.id = c.customer_id
                     JOIN (SELECT customer_id, value, created_at FROM handles WHERE kind = 'email'
                           UNION ALL SELECT customer_id, value, created_at FROM customer_claims
                           WHERE kind = 'email') h ON h.customer_id = c.customer_id
                     WHERE m.id = ?1
                     ORDER BY h.created_at DESC, h.value LIMIT 1",
                )?
                .query_row([reply.0], |r| {
                    Ok(FollowUpTarget {
                        conversation: ConversationId(r.get(0)?),
                        email: r.get(1)?,
                        name: r
                            .get::<_, Option<String>>(2)?
                            .filter(|n| !n.trim().is_empty()),
                        subject: r.get(3)?,
                    })
                })
                .optional()?)
        })
    }

    /// Records that the email `message_id` (`<…@…>`) carried reply `reply` from
    /// `account`, so an answer naming it joins the reply's conversation. Recording the
    /// same id again (a retry) changes nothing.
    ///
    /// # Errors
    /// An unknown reply, or a store failure.
    pub fn record_follow_up(
        &mut self,
        message_id: &str,
        reply: MessageId,
        account: &str,
        now: jiff::Timestamp,
    ) -> Result<()> {
        self.write(|tx| {
            let inserted = tx
                .conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO continuity
                        (message_id, conversation_id, reply_id, account, created_at)
                     SELECT ?1, conversation_id, id, ?3, ?4 FROM messages WHERE id = ?2",
                )?
                .execute(params![message_id, reply.0, account, ms(now)])?;
            if inserted == 0 && !follow_up_exists(tx, message_id)? {
                return Err(super::StoreError::NotFound("reply"));
            }
            Ok(())
        })
    }

    /// The Message-IDs of the email copies sent in `conversation`, oldest first.
    ///
    /// # Errors
    /// A store failure.
    pub fn follow_ups(&mut self, conversation: ConversationId) -> Result<Vec<String>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT message_id FROM continuity WHERE conversation_id = ?1
                     ORDER BY created_at, message_id",
                )?
                .query_map([conversation.0], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?)
        })
    }
}

fn follow_up_exists(tx: &Tx<'_>, message_id: &str) -> Result<bool> {
    Ok(tx
        .conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM continuity WHERE message_id = ?1)")?
        .query_row([message_id], |r| r.get(0))?)
}

impl Tx<'_> {
    /// The conversation of the newest email copy among `message_ids` (an inbound email's
    /// `In-Reply-To` and `References`): the chat conversation an answer to it joins.
    ///
    /// # Errors
    /// A store failure.
    pub fn conversation_by_follow_up(
        &mut self,
        message_ids: &[String],
    ) -> Result<Option<(ConversationId, StatusName)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.status FROM continuity f
             JOIN conversations c ON c.id = f.conversation_id
             WHERE f.message_id = ?1",
        )?;
        // The newest reference is the most specific, as for threading by references.
        for id in message_ids.iter().rev() {
            let found = stmt
                .query_row([id], |r| {
                    let status: String = r.get(1)?;
                    let status = status.parse::<StatusName>().map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(1, Type::Text, e.into())
                    })?;
                    Ok((ConversationId(r.get(0)?), status))
                })
                .optional()?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }
}
