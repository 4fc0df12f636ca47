//! Continuity: a chat reply to a visitor who has left (no event stream open) and who
//! gave an email address also goes by email, from the inbox's `email_account`, so the
//! answer reaches them and their email answer comes back to the same conversation.
//!
//! The email is the account's own [`SmtpChannel`] sending an [`Outbound`] made from the
//! chat reply, with the reply's idempotency key: its Message-ID is the same on every
//! attempt, so a retry after a crash finds it in the Sent folder and does not send it
//! twice. That Message-ID is recorded with the conversation before the email leaves
//! (`Store::record_follow_up`); ingest looks it up when an email names it in
//! `In-Reply-To` or `References`.
//!
//! What a failure means for the chat reply: the reply is already in the store and told
//! to the visitor's widget, so an email that can never go (an address the server
//! refuses) is logged and the reply counts as delivered; an email that failed for now
//! (the SMTP server is down) fails the whole attempt as transient, and the outbox tries
//! again later, when the hub notice and the callback repeat harmlessly (the stream reads
//! by message id, the callback carries the same `webhook-id`).

use std::sync::Arc;

use jiff::Timestamp;

use super::sse::StreamSlots;
use crate::channels::email::smtp::SmtpChannel;
use crate::channels::{Channel, Outbound, SendError};
use crate::model;
use crate::store::{FollowUpTarget, SharedStore};

/// What one chat inbox needs to email replies to visitors who have left.
pub struct EmailFollowUp {
    smtp: Arc<SmtpChannel>,
    streams: Arc<StreamSlots>,
    store: SharedStore,
}

impl std::fmt::Debug for EmailFollowUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailFollowUp")
            .field("account", &self.smtp.account())
            .finish_non_exhaustive()
    }
}

/// What [`EmailFollowUp::send`] did with one reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowUp {
    /// The visitor has an event stream open: the widget shows the reply.
    Connected,
    /// The visitor is away but gave no email address.
    NoAddress,
    /// Emailed (or found already sent, on a retry) with this Message-ID.
    Emailed(String),
    /// The email can never go as it stands (logged); the chat reply stands.
    Refused(String),
}

impl EmailFollowUp {
    /// Emails through `smtp` the replies of visitors who have no stream open in
    /// `streams` (the relay's, [`super::server::RelayState::stream_slots`]); `store`
    /// gives the customer's address and keeps each email's Message-ID.
    #[must_use]
    pub fn new(
        smtp: Arc<SmtpChannel>,
        streams: Arc<StreamSlots>,
        store: SharedStore,
    ) -> EmailFollowUp {
        EmailFollowUp {
            smtp,
            streams,
            store,
        }
    }

    /// Emails `reply` (a reply of inbox `inbox`) if its visitor has left and gave an
    /// address.
    ///
    /// # Errors
    /// [`SendError::Transient`] when the store cannot be read or written, or the email
    /// failed for now: the outbox tries the whole reply again.
    pub async fn send(&self, inbox: &str, reply: &Outbound) -> Result<FollowUp, SendError> {
        if self.streams.open_for(inbox, &reply.thread_key) > 0 {
            return Ok(FollowUp::Connected);
        }
        let id = reply.message_id;
        let Some(target) = self
            .store
            .call(move |s| s.follow_up_target(id))
            .await
            .map_err(|e| {
                transient(format!(
                    "the visitor's email address could not be read: {e}"
                ))
            })?
        else {
            return Ok(FollowUp::NoAddress);
        };
        let conversation = target.conversation;
        let earlier = self
            .store
            .call(move |s| s.follow_ups(conversation))
            .await
            .map_err(|e| transient(format!("earlier emails could not be read: {e}")))?;
        // The Message-ID hangs on the key alone: a retry's own earlier record is no
        // parent of itself.
        let message_id = self.smtp.message_id(reply);
        let earlier = earlier.into_iter().filter(|e| *e != message_id).collect();
        let email = as_email(reply, target, self.smtp.account(), earlier);
        let (recorded, account) = (message_id.clone(), self.smtp.account().to_owned());
        self.store
            .call(move |s| s.record_follow_up(&recorded, id, &account, Timestamp::now()))
            .await
            .map_err(|e| transient(format!("the email's thread could not be recorded: {e}")))?;
        match self.smtp.send(&email).await {
            Ok(_) => {
                tracing::info!(inbox, message = %id, "visitor away: reply also sent by email");
                Ok(FollowUp::Emailed(message_id))
            }
            Err(SendError::Permanent(reason)) => {
                tracing::warn!(inbox, message = %id, "visitor away, and the reply cannot go by email: {reason}");
                Ok(FollowUp::Refused(reason))
            }
            Err(SendError::Transient {
                reason,
                retry_after,
            }) => Err(SendError::Transient {
                reason: format!("the reply's email to the visitor who left: {reason}"),
                retry_after,
            }),
        }
    }
}

fn transient(reason: String) -> SendError {
    SendError::Transient {
        reason,
        retry_after: None,
    }
}

/// The chat reply as an email to the customer: the same key (so the same Message-ID on
/// every attempt), their address and name, the visitor's last message quoted, and
/// threaded under the earlier emails of this conversation and the customer's own.
fn as_email(
    reply: &Outbound,
    target: FollowUpTarget,
    account: &str,
    earlier: Vec<String>,
) -> Outbound {
    let mut references = earlier;
    for id in &reply.references {
        if !references.contains(id) {
            references.push(id.clone());
        }
    }
    // An email answer of the customer's is the natural parent; a chat message's id is
    // not a Message-ID, and SmtpChannel leaves such an id out of the headers.
    let in_reply_to = reply.in_reply_to.clone();
    if let Some(parent) = &in_reply_to {
        references.retain(|id| id != parent);
        references.push(parent.clone());
    }
    Outbound {
        message_id: reply.message_id,
        idempotency_key: reply.idempotency_key.clone(),
        channel: model::Channel::Email,
        account: account.to_owned(),
        thread_key: reply.thread_key.clone(),
        to: target.email,
        to_name: target.name,
        subject: target.subject,
        in_reply_to,
        references,
        quote: reply.quote.clone(),
        author: reply.author.clone(),
        text: reply.text.clone(),
        attempt: reply.attempt,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ConversationId, MessageId};

    fn reply(in_reply_to: Option<&str>, references: &[&str]) -> Outbound {
        Outbound {
            message_id: MessageId(7),
            idempotency_key: "00ff".into(),
            channel: model::Channel::Chat,
            account: "site".into(),
            thread_key: "v_1".into(),
            to: "v_1".into(),
            to_name: Some("Ana".into()),
            subject: None,
            in_reply_to: in_reply_to.map(str::to_owned),
            references: references.iter().map(|r| (*r).to_owned()).collect(),
            quote: None,
            author: "Camille".into(),
            text: "Bonjour".into(),
            attempt: 2,
        }
    }

    fn target() -> FollowUpTarget {
        FollowUpTarget {
            conversation: ConversationId(3),
            email: "ana@customer.test".into(),
            name: Some("Ana".into()),
            subject: None,
        }
    }

    #[test]
    fn the_email_threads_under_earlier_emails_and_the_customer_answer() {
        let email = as_email(
            &reply(Some("<a1@c.test>"), &["<a1@c.test>"]),
            target(),
            "boutique",
            vec!["<k1@shop.test>".into()],
        );
        assert_eq!(email.channel, model::Channel::Email);
        assert_eq!(email.account, "boutique");
        assert_eq!(email.to, "ana@customer.test");
        assert_eq!(
            email.idempotency_key, "00ff",
            "the same key on every attempt"
        );
        assert_eq!(email.attempt, 2);
        assert_eq!(email.references, ["<k1@shop.test>", "<a1@c.test>"]);
        assert_eq!(email.in_reply_to.as_deref(), Some("<a1@c.test>"));

        // Answering a chat message: its id stays last, for SmtpChannel to leave out.
        let email = as_email(&reply(Some("w:v_1:c1"), &[]), target(), "boutique", vec![]);
        assert_eq!(email.references, ["w:v_1:c1"]);
    }
}
