//! The store as JSON Lines: backups, migrations, and a customer's request for their data.

use std::io::Write;

use jiff::Timestamp;
use rusqlite::{TransactionBehavior, params};
use serde::Serialize;

use super::{Store, StoreError, conversations, customers, messages, ms};
use crate::model::{Conversation, Customer, CustomerId, Message};

/// What to export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportFilter {
    /// Only this customer's records.
    pub customer: Option<CustomerId>,
    /// Only conversations active, and messages written, since then.
    pub since: Option<Timestamp>,
}

/// One line of an export; the `type` field says which.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ExportRecord {
    /// A customer with their handles.
    Customer(Customer),
    /// A conversation.
    Conversation(Conversation),
    /// A message, note or reply (attachments as metadata).
    Message(Message),
}

/// How many records of each type an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportCounts {
    /// Customers written.
    pub customers: u64,
    /// Conversations written.
    pub conversations: u64,
    /// Messages (notes and replies included) written.
    pub messages: u64,
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the output failed (a closed pipe, a full disk).
    #[error("cannot write the export: {0}")]
    Write(#[from] std::io::Error),
}

impl Store {
    /// Writes every record that matches `filter` to `out`, one JSON object per line:
    /// customers, then conversations, then messages, all from one consistent snapshot.
    ///
    /// # Errors
    /// A store failure or a write failure; what was written before it stays written.
    pub fn export(
        &mut self,
        filter: ExportFilter,
        out: &mut dyn Write,
    ) -> Result<ExportCounts, ExportError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(StoreError::from)?;
        let mut counts = ExportCounts::default();
        let mut write_err: Option<std::io::Error> = None;
        let mut emit = |record: ExportRecord, out: &mut dyn Write| -> Result<(), StoreError> {
            let line = serde_json::to_string(&record)
                .map_err(|e| StoreError::Invalid(format!("cannot encode a record: {e}")))?;
            if let Err(e) = writeln!(out, "{line}") {
                write_err = Some(e);
                return Err(StoreError::Invalid("write failed".into()));
            }
            Ok(())
        };
        let result = (|| -> Result<(), StoreError> {
            let ids = tx
                .prepare(
                    "SELECT id FROM customers
                     WHERE (?1 IS NULL OR id = ?1)
                       AND (?2 IS NULL OR EXISTS (SELECT 1 FROM conversations c
                             WHERE c.customer_id = customers.id AND c.last_message_at >= ?2))
                     ORDER BY id",
                )?
                .query_map(
                    params![filter.customer.map(|c| c.0), filter.since.map(ms)],
                    |r| r.get(0).map(CustomerId),
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for id in ids {
                if let Some(c) = customers::customer(&tx, id)? {
                    emit(ExportRecord::Customer(c), out)?;
                    counts.customers += 1;
                }
            }
            conversations::for_export(&tx, filter.customer, filter.since, |c| {
                counts.conversations += 1;
                emit(ExportRecord::Conversation(c), out)
            })?;
            messages::for_export(&tx, filter.customer, filter.since, |m| {
                counts.messages += 1;
                emit(ExportRecord::Message(m), out)
            })?;
            Ok(())
        })();
        if let Some(e) = write_err {
            return Err(ExportError::Write(e));
        }
        result?;
        out.flush()?;
        Ok(counts)
    }
}
