//! Webhook receipts: the first answer given to each signed webhook, so that a sender's
//! retry of the same `webhook-id` gets that answer again and stores nothing twice.

use rusqlite::{OptionalExtension, params};

use super::{Result, Tx, ms};
use crate::model::{Channel, ConversationId, MessageId};

/// The answer given to one webhook: what a retry of it is answered with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookReceipt {
    /// The HTTP status.
    pub status: u16,
    /// The response body, byte for byte.
    pub body: String,
}

impl Tx<'_> {
    /// The answer already given to this webhook on this channel account, if any.
    ///
    /// # Errors
    /// A store failure.
    pub fn webhook_receipt(
        &mut self,
        channel: Channel,
        account: &str,
        webhook_id: &str,
    ) -> Result<Option<WebhookReceipt>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT status, body FROM webhook_receipts
                 WHERE channel = ?1 AND account = ?2 AND webhook_id = ?3",
            )?
            .query_row(params![channel.as_str(), account, webhook_id], |r| {
                Ok(WebhookReceipt {
                    status: r.get(0)?,
                    body: r.get(1)?,
                })
            })
            .optional()?)
    }

    /// Records the answer given to a webhook. A second answer for the same id is an
    /// error (a constraint), so a caller must look it up first in the same transaction.
    ///
    /// # Errors
    /// A store failure, or a receipt already recorded for this id.
    pub fn record_webhook_receipt(
        &mut self,
        channel: Channel,
        account: &str,
        webhook_id: &str,
        receipt: &WebhookReceipt,
        now: jiff::Timestamp,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO webhook_receipts
                    (channel, account, webhook_id, status, body, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                channel.as_str(),
                account,
                webhook_id,
                receipt.status,
                receipt.body,
                ms(now),
            ])?;
        Ok(())
    }

    /// The conversation a stored message belongs to, if the message exists: what a
    /// webhook answer names besides the message.
    ///
    /// # Errors
    /// A store failure.
    pub fn conversation_of(&mut self, message: MessageId) -> Result<Option<ConversationId>> {
        Ok(self
            .conn
            .prepare_cached("SELECT conversation_id FROM messages WHERE id = ?1")?
            .query_row([message.0], |r| r.get(0).map(ConversationId))
            .optional()?)
    }
}
