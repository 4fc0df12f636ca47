//! The optional automatic acknowledgement (`[[chat]] away_message`): a visitor who writes
//! while nobody is available for chat hears at once that the shop will answer later.
//!
//! It runs after the visitor's message is committed, and its failure is only logged:
//! the message is safe whatever happens here, and a visitor must never be refused, nor
//! asked to retry, for want of a courtesy note. It is queued like a reply, so the outbox
//! delivers it through the chat channel (event stream, callback), but it is stored as
//! automated and leaves the customer waiting (see [`Store::queue_auto_reply`]).
//!
//! [`Store::queue_auto_reply`]: crate::store::Store::queue_auto_reply

use jiff::Timestamp;

use super::server::RelayState;
use super::status;
use crate::model::{ConversationId, MessageId};

/// Queues inbox `inbox`'s away message in `conversation` if it has one, the chat is not
/// live at `now`, and the conversation has not had one in this away period. Returns the
/// acknowledgement queued, if any.
pub async fn acknowledge(
    state: &RelayState,
    inbox: &str,
    conversation: ConversationId,
    now: Timestamp,
) -> Option<MessageId> {
    let text = state.away_message(inbox)?.to_owned();
    let chat = match status::current(state, now).await {
        Ok(chat) => chat,
        Err(e) => {
            tracing::warn!(inbox, "away message not sent: {e}");
            return None;
        }
    };
    if chat.live {
        return None;
    }
    let author = inbox.to_owned();
    match state
        .store()
        .call(move |store| store.queue_auto_reply(conversation, &author, &text, now))
        .await
    {
        Ok(queued) => queued,
        Err(e) => {
            tracing::warn!(inbox, "away message not sent: {e}");
            None
        }
    }
}
