//! The chat's outbound side, as the outbox drives it: one [`ChatChannel`] per `[[chat]]`
//! inbox.
//!
//! A reply is already in the store when the outbox hands it over, so "delivering" it to
//! the widget is telling the visitor's open event streams ([`Hub`]); a visitor who is
//! not connected reads it on reconnect. When the inbox has a `callback_url`, the reply is
//! also POSTed there, signed per Standard Webhooks with the outbox's idempotency key as
//! `webhook-id` (the same on every retry, so the shop can drop a repeat); a failed POST
//! fails the attempt, and the outbox retries it or, for a refusal that will not change,
//! gives up. The streams are told first, whatever the callback then answers: the
//! visitor's chat must not wait on the shop's server (a reply failed for the callback
//! has still reached an open widget, and is shown on reconnect too). With an
//! `email_account`, a reply to a visitor who has no stream open also goes by email
//! ([`super::continuity`]) before the callback.

use std::sync::Once;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use jiff::Timestamp;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};

use super::continuity::EmailFollowUp;
use super::hub::Hub;
use super::signature::WebhookSecret;
use crate::channels::{Channel, Delivered, Outbound, SendError};
use crate::model;
use crate::store::SharedStore;

/// How long the callback's server has to accept the connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the whole callback POST may take.
pub const CALLBACK_TIMEOUT: Duration = Duration::from_secs(15);

/// The longest `Retry-After` honoured; a larger one is capped, not obeyed for days.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Where a chat inbox's replies are POSTed, and how they are signed.
struct Callback {
    url: String,
    secret: WebhookSecret,
    client: reqwest::Client,
}

/// The outbound channel of one chat inbox.
pub struct ChatChannel {
    inbox: String,
    hub: Hub,
    store: SharedStore,
    callback: Option<Callback>,
    follow_up: Option<EmailFollowUp>,
}

impl std::fmt::Debug for ChatChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatChannel")
            .field("inbox", &self.inbox)
            .field("callback", &self.callback.as_ref().map(|c| &c.url))
            .field("follow_up", &self.follow_up)
            .finish_non_exhaustive()
    }
}

/// reqwest is built without a crypto provider (to keep aws-lc out); rustls needs one
/// installed before the first client is built, or building it panics.
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // An error means another part of the process installed one first: fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

impl ChatChannel {
    /// Replies of inbox `inbox` go to the visitors' streams through `hub`; `store` is
    /// read for the reply's conversation and time, which the callback body carries.
    #[must_use]
    pub fn new(inbox: impl Into<String>, hub: Hub, store: SharedStore) -> ChatChannel {
        ChatChannel {
            inbox: inbox.into(),
            hub,
            store,
            callback: None,
            follow_up: None,
        }
    }

    /// Also emails each reply to a visitor who has left and gave an address
    /// ([`super::continuity`]).
    #[must_use]
    pub fn with_email_follow_up(mut self, follow_up: EmailFollowUp) -> ChatChannel {
        self.follow_up = Some(follow_up);
        self
    }

    /// Also POSTs every reply to `url`, signed with `secret`.
    ///
    /// # Errors
    /// The HTTP client cannot be built (no usable TLS roots), in one line.
    pub fn with_callback(
        mut self,
        url: impl Into<String>,
        secret: WebhookSecret,
    ) -> Result<ChatChannel, String> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(CALLBACK_TIMEOUT)
            // A redirected POST turns into a GET on the way; refuse rather than lose it.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("comptoir/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("the chat callback client cannot be built: {e}"))?;
        self.callback = Some(Callback {
            url: url.into(),
            secret,
            client,
        });
        Ok(self)
    }

    async fn deliver(&self, reply: &Outbound) -> Result<Delivered, SendError> {
        self.hub.publish(&self.inbox, &reply.thread_key);
        if let Some(follow_up) = &self.follow_up {
            follow_up.send(&self.inbox, reply).await?;
        }
        if let Some(callback) = &self.callback {
            self.post(callback, reply).await?;
        }
        Ok(Delivered {
            channel_message_id: format!("chat:{}", reply.message_id.0),
        })
    }

    async fn post(&self, callback: &Callback, reply: &Outbound) -> Result<(), SendError> {
        let id = reply.message_id;
        let stored = self
            .store
            .call(move |store| store.message(id))
            .await
            .map_err(|e| SendError::Transient {
                reason: format!("the reply could not be read: {e}"),
                retry_after: None,
            })?
            .ok_or_else(|| SendError::Permanent("the reply is no longer in the store".into()))?;
        let body = serde_json::json!({
            "type": "message.sent",
            "conversation_id": stored.conversation_id.0,
            "message_id": id.0,
            "visitor": { "id": reply.thread_key },
            "text": reply.text,
            "author": reply.author,
            "sent_at": stored.sent_at.to_string(),
        })
        .to_string();
        let timestamp = Timestamp::now().as_second();
        let signature = callback
            .secret
            .sign(&reply.idempotency_key, timestamp, body.as_bytes());
        let response = callback
            .client
            .post(&callback.url)
            .header(CONTENT_TYPE, "application/json")
            .header("webhook-id", &reply.idempotency_key)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::Transient {
                reason: format!("the chat callback did not answer: {}", one_line(e)),
                retry_after: None,
            })?;
        classify(response.status(), response.headers())
    }
}

/// What a callback's answer means for the reply: 2xx taken; 408, 429 and 5xx worth
/// another try (after `Retry-After` when given); any other answer will not change.
fn classify(status: StatusCode, headers: &HeaderMap) -> Result<(), SendError> {
    if status.is_success() {
        return Ok(());
    }
    let reason = format!("the chat callback answered {status}");
    if status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
    {
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s).min(MAX_RETRY_AFTER));
        return Err(SendError::Transient {
            reason,
            retry_after,
        });
    }
    Err(SendError::Permanent(reason))
}

/// A reqwest error with its causes, on one line and without the URL's query (which
/// could carry a token).
fn one_line(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.replace('\n', " ")
}

impl Channel for ChatChannel {
    fn kind(&self) -> model::Channel {
        model::Channel::Chat
    }

    fn account(&self) -> &str {
        &self.inbox
    }

    fn send<'a>(&'a self, reply: &'a Outbound) -> BoxFuture<'a, Result<Delivered, SendError>> {
        self.deliver(reply).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn statuses_map_to_retry_or_give_up() {
        let none = HeaderMap::new();
        assert!(classify(StatusCode::OK, &none).is_ok());
        assert!(classify(StatusCode::NO_CONTENT, &none).is_ok());
        for transient in [500, 502, 503, 408, 429] {
            let status = StatusCode::from_u16(transient).unwrap();
            assert!(
                matches!(classify(status, &none), Err(SendError::Transient { .. })),
                "{transient}"
            );
        }
        for permanent in [400, 401, 404, 410, 301] {
            let status = StatusCode::from_u16(permanent).unwrap();
            assert!(
                matches!(classify(status, &none), Err(SendError::Permanent(_))),
                "{permanent}"
            );
        }
        let mut asked = HeaderMap::new();
        asked.insert(RETRY_AFTER, HeaderValue::from_static("30"));
        assert_eq!(
            classify(StatusCode::SERVICE_UNAVAILABLE, &asked),
            Err(SendError::Transient {
                reason: "the chat callback answered 503 Service Unavailable".into(),
                retry_after: Some(Duration::from_secs(30)),
            })
        );
        asked.insert(RETRY_AFTER, HeaderValue::from_static("999999"));
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS, &asked),
            Err(SendError::Transient { retry_after: Some(d), .. }) if d == MAX_RETRY_AFTER
        ));
    }
}
