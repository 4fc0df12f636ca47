//! What one batch's write transaction has already learnt about its senders and threads,
//! and the queue-column updates it holds back until the batch ends.
//!
//! A batch (a first IMAP sync, a burst of chat) often brings several messages from one
//! sender into one thread. Looking the sender and the thread up again for each, and
//! rewriting the conversation's row and its queue indexes once per message, was a large
//! part of ingest's SQL on a big store. What a memo holds is only true inside the
//! transaction that learnt it, so a memo lives for one write transaction, and the careful
//! path (a savepoint per message) uses none: a rolled-back savepoint would leave it
//! remembering rows that no longer exist.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;

use crate::model::{Channel, ConversationId, CustomerId, Handle, StatusName};
use crate::store::{StoreError, Tx};

/// The memo of one write transaction; [`Memo::off`] remembers nothing and applies each
/// update at once.
#[derive(Debug, Default)]
pub(super) struct Memo {
    on: bool,
    /// A sender's whole list of handles, every one of them linked, and the customer that
    /// list resolves to. Handles are only ever added within a transaction, so the answer
    /// cannot change once all of them are linked.
    customers: HashMap<Vec<Handle>, CustomerId>,
    /// Customers whose display name is set: filling it again would change nothing.
    named: HashSet<CustomerId>,
    /// Thread keys (see [`thread_key`]) of conversations found or opened by that key.
    threads: HashMap<String, ConversationId>,
    /// The status of every conversation this transaction touched, as it is now.
    statuses: HashMap<ConversationId, StatusName>,
    /// Queue-column updates not yet written, by conversation (in id order, so that the
    /// final updates walk the table's pages in order).
    notes: BTreeMap<ConversationId, Notes>,
}

/// The customer messages of one conversation whose queue columns are not yet updated.
#[derive(Debug)]
struct Notes {
    count: u32,
    newest: Timestamp,
    /// The text of the last message written at `newest`, for the preview.
    newest_text: String,
    /// `sent_at` of each message that is not automated: each may make the customer wait.
    waiting: Vec<Timestamp>,
}

impl Memo {
    /// A memo that remembers and holds back.
    pub(super) fn on() -> Memo {
        Memo {
            on: true,
            ..Memo::default()
        }
    }

    /// A memo that remembers nothing and writes each update at once.
    pub(super) fn off() -> Memo {
        Memo::default()
    }

    /// The customer these handles resolve to, if a message of this transaction had all
    /// of them linked already.
    pub(super) fn customer(&self, handles: &[Handle]) -> Option<CustomerId> {
        self.customers.get(handles).copied()
    }

    /// Notes that every one of `handles` is now linked and that they resolve to
    /// `customer`.
    pub(super) fn remember_customer(&mut self, handles: Vec<Handle>, customer: CustomerId) {
        if self.on {
            self.customers.insert(handles, customer);
        }
    }

    /// Whether `customer`'s display name is known to be set.
    pub(super) fn is_named(&self, customer: CustomerId) -> bool {
        self.named.contains(&customer)
    }

    /// Notes that `customer`'s display name is set.
    pub(super) fn remember_named(&mut self, customer: CustomerId) {
        if self.on {
            self.named.insert(customer);
        }
    }

    /// The conversation this transaction already found or opened under this thread key.
    pub(super) fn conversation(
        &self,
        channel: Channel,
        account: &str,
        thread: &str,
    ) -> Option<(ConversationId, StatusName)> {
        if !self.on {
            return None;
        }
        let id = *self.threads.get(&thread_key(channel, account, thread))?;
        Some((id, *self.statuses.get(&id)?))
    }

    /// Notes that `id` is the conversation of this thread key.
    pub(super) fn remember_thread(
        &mut self,
        channel: Channel,
        account: &str,
        thread: &str,
        id: ConversationId,
    ) {
        if self.on {
            self.threads
                .insert(thread_key(channel, account, thread), id);
        }
    }

    /// Notes a conversation's status after this message, so a later message of the
    /// batch sees it (a reopened conversation is not reopened twice).
    pub(super) fn remember_status(&mut self, id: ConversationId, status: StatusName) {
        if self.on {
            self.statuses.insert(id, status);
        }
    }

    /// A customer message for conversation `id`: its queue columns are updated now, or
    /// with the batch's other messages of that conversation by [`Memo::flush`].
    ///
    /// # Errors
    /// A store failure.
    pub(super) fn note_inbound(
        &mut self,
        tx: &mut Tx<'_>,
        id: ConversationId,
        sent_at: Timestamp,
        text: &str,
        automated: bool,
    ) -> Result<(), StoreError> {
        let waiting: &[Timestamp] = if automated { &[] } else { &[sent_at] };
        if !self.on {
            return tx.note_inbound(id, 1, sent_at, &super::preview(text), waiting);
        }
        match self.notes.get_mut(&id) {
            Some(notes) => {
                notes.count += 1;
                // The later of two messages written at the same time wins, as it would
                // if each were noted in turn.
                if sent_at >= notes.newest {
                    notes.newest = sent_at;
                    text.clone_into(&mut notes.newest_text);
                }
                notes.waiting.extend_from_slice(waiting);
            }
            None => {
                self.notes.insert(
                    id,
                    Notes {
                        count: 1,
                        newest: sent_at,
                        newest_text: text.to_owned(),
                        waiting: waiting.to_vec(),
                    },
                );
            }
        }
        Ok(())
    }

    /// Writes every held-back update: before anything reads the queue columns, and
    /// before the transaction commits.
    ///
    /// # Errors
    /// A store failure.
    pub(super) fn flush(&mut self, tx: &mut Tx<'_>) -> Result<(), StoreError> {
        for (id, notes) in std::mem::take(&mut self.notes) {
            tx.note_inbound(
                id,
                notes.count,
                notes.newest,
                &super::preview(&notes.newest_text),
                &notes.waiting,
            )?;
        }
        Ok(())
    }
}

/// One string for a channel, account and thread key; the account's length keeps two
/// different triples apart whatever characters they hold.
fn thread_key(channel: Channel, account: &str, thread: &str) -> String {
    format!("{channel}:{}:{account}{thread}", account.len())
}
