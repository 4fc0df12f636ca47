//! `GET /chat/{name}/visitors/{visitor_id}/events?token=…`: the visitor's conversation
//! as server-sent events. (`EventSource` cannot send headers, hence the token in the
//! query.)
//!
//! On connect the stream replays the conversation's visitor and agent messages (never
//! internal notes), all of them or those after `Last-Event-ID`, then follows it live.
//! It subscribes to the [`Hub`](super::hub::Hub) before it reads the store, and every
//! notice makes it read the store again for ids above the last one sent: the store is
//! the one source of truth, so nothing committed between the replay and the first
//! notice is missed, and nothing is sent twice. An agent's reply is in the store once
//! queued; the outbox's delivery is what tells an open stream of it.
//!
//! A `status` event (`{"available": bool}`) comes first, and again whenever the chat's
//! availability changes ([`availability`]).
//!
//! Streams are counted per visitor and in all ([`StreamLimits`]); a stream's slot is
//! freed the moment its client goes (the response body is dropped with the slot in it).

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use super::server::{RelayError, RelayState};
use super::visitor::authorize;
use super::{availability, status};
use crate::model::{Channel, ConversationId, Message, MessageKind};
use crate::store::{SharedStore, StoreError};

/// How often an idle stream sends a `: keepalive` comment, so proxies keep it open and
/// a vanished client is noticed.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How many event streams may be open at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamLimits {
    /// Per visitor: a few tabs; beyond, 429.
    pub per_visitor: usize,
    /// In all; beyond, 503 (each stream holds a socket and a subscription).
    pub total: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            per_visitor: 5,
            total: 2_000,
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_visitor: HashMap<(String, String), usize>,
}

/// The count of open streams.
#[derive(Debug)]
pub struct StreamSlots {
    limits: StreamLimits,
    counts: Mutex<Counts>,
}

impl StreamSlots {
    /// No stream open yet.
    #[must_use]
    pub fn new(limits: StreamLimits) -> StreamSlots {
        StreamSlots {
            limits,
            counts: Mutex::new(Counts::default()),
        }
    }

    /// How many streams are open.
    #[must_use]
    pub fn open(&self) -> usize {
        self.lock().total
    }

    /// How many of `visitor_id`'s streams on `inbox` are open: none means the visitor
    /// has left, and a reply reaches them only on their return (or by email).
    #[must_use]
    pub fn open_for(&self, inbox: &str, visitor_id: &str) -> usize {
        self.lock()
            .per_visitor
            .get(&(inbox.to_owned(), visitor_id.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a slot for one of `visitor_id`'s streams.
    ///
    /// # Errors
    /// 429 past the visitor's limit, 503 past the relay's.
    pub fn acquire(self: &Arc<Self>, inbox: &str, visitor_id: &str) -> Result<Slot, RelayError> {
        let mut counts = self.lock();
        if counts.total >= self.limits.total {
            return Err(RelayError::StreamsFull);
        }
        let key = (inbox.to_owned(), visitor_id.to_owned());
        let mine = counts.per_visitor.entry(key.clone()).or_default();
        if *mine >= self.limits.per_visitor {
            return Err(RelayError::TooManyStreams);
        }
        *mine += 1;
        counts.total += 1;
        Ok(Slot {
            slots: Arc::clone(self),
            key,
        })
    }
}

/// One open stream's place in the count, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<StreamSlots>,
    key: (String, String),
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.slots.lock();
        counts.total = counts.total.saturating_sub(1);
        if let Some(mine) = counts.per_visitor.get_mut(&self.key) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                counts.per_visitor.remove(&self.key);
            }
        }
    }
}

/// The event stream route.
pub fn routes() -> Router<RelayState> {
    Router::new().route("/chat/{name}/visitors/{visitor_id}/events", get(events))
}

async fn events(
    State(state): State<RelayState>,
    Path((name, visitor_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, RelayError> {
    authorize(
        &state,
        &name,
        &visitor_id,
        query.get("token").map(String::as_str),
    )?;
    let slot = state.streams().acquire(&name, &visitor_id)?;
    // A Last-Event-ID we did not send (not a number) replays everything: better a
    // message twice than one lost.
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .unwrap_or(0);
    // Subscribed before anything is read, so no change falls between the read and the
    // subscription.
    let notices = state.hub().subscribe(&name);
    let availability = availability::subscribe(&state);
    let live = status::current(&state, Timestamp::now())
        .await
        .map_err(|e| {
            tracing::warn!("an event stream could not read the chat's status: {e}");
            RelayError::Unavailable
        })?
        .live;
    let mut feed = Feed {
        notices,
        availability: Some(availability),
        closing: state.closing(),
        sent_status: Some(live),
        store: state.store().clone(),
        inbox: name,
        visitor_id,
        conversation: None,
        last,
        pending: VecDeque::from([status_event(live)]),
        _slot: slot,
    };
    feed.catch_up().await.map_err(|e| {
        tracing::warn!("an event stream could not replay: {e}");
        RelayError::Unavailable
    })?;
    let stream = futures::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok::<Event, Infallible>(event), feed))
    });
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text(" keepalive"))
        .into_response();
    // A reverse proxy (nginx) in front of the relay would otherwise hold events back to
    // fill its buffer.
    response.headers_mut().insert(
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    Ok(response)
}

/// One stream's state: where it is in the conversation and what is left to send.
struct Feed {
    notices: broadcast::Receiver<Arc<str>>,
    /// Changes of the chat's availability; `None` once its sender is gone.
    availability: Option<watch::Receiver<Option<bool>>>,
    /// The relay's stop signal, when it has one.
    closing: Option<watch::Receiver<bool>>,
    sent_status: Option<bool>,
    store: SharedStore,
    inbox: String,
    visitor_id: String,
    conversation: Option<ConversationId>,
    last: i64,
    pending: VecDeque<Event>,
    _slot: Slot,
}

impl Feed {
    /// The next event, waiting for one; `None` ends the stream (the relay is stopping,
    /// or the store failed: the browser reconnects with its Last-Event-ID).
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            let availability = async {
                match &mut self.availability {
                    Some(receiver) => receiver.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            let closing = async {
                match &mut self.closing {
                    // A dropped sender means stop too, as for `serve`.
                    Some(closing) => {
                        let _ = closing.wait_for(|stop| *stop).await;
                    }
                    None => std::future::pending().await,
                }
            };
            let wake = tokio::select! {
                () = closing => return None,
                notice = self.notices.recv() => match notice {
                    Ok(visitor) => *visitor == *self.visitor_id,
                    // Notices were dropped; one of them may have been ours.
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => return None,
                },
                alive = availability => {
                    self.status_changed(alive);
                    false
                }
            };
            if wake && let Err(e) = self.catch_up().await {
                tracing::warn!("an event stream ends: {e}");
                return None;
            }
        }
    }

    /// Queues a `status` event when availability differs from what this stream said.
    fn status_changed(&mut self, alive: bool) {
        let Some(receiver) = self.availability.as_mut().filter(|_| alive) else {
            self.availability = None;
            return;
        };
        let latest = *receiver.borrow_and_update();
        if let Some(live) = latest
            && self.sent_status != Some(live)
        {
            self.sent_status = Some(live);
            self.pending.push_back(status_event(live));
        }
    }

    /// Reads what the store has after the last id sent.
    async fn catch_up(&mut self) -> Result<(), StoreError> {
        let (inbox, visitor, known, after) = (
            self.inbox.clone(),
            self.visitor_id.clone(),
            self.conversation,
            self.last,
        );
        let (conversation, mut messages) = self
            .store
            .call(move |store| {
                let conversation = match known {
                    Some(id) => Some(id),
                    None => store
                        .write(|tx| tx.conversation_by_thread(Channel::Chat, &inbox, &visitor))?
                        .map(|(id, _)| id),
                };
                let Some(id) = conversation else {
                    return Ok((None, Vec::new()));
                };
                let messages: Vec<Message> = store
                    .thread(id)?
                    .into_iter()
                    .filter(|m| m.kind != MessageKind::Note && m.id.0 > after)
                    .collect();
                Ok((Some(id), messages))
            })
            .await?;
        self.conversation = conversation;
        messages.sort_by_key(|m| m.id.0);
        if let Some(newest) = messages.last() {
            self.last = newest.id.0;
        }
        self.pending.extend(messages.iter().map(event));
        Ok(())
    }
}

/// The chat's availability as the widget reads it.
fn status_event(live: bool) -> Event {
    Event::default()
        .event("status")
        .data(serde_json::json!({ "available": live }).to_string())
}

/// A message as the widget reads it.
fn event(m: &Message) -> Event {
    let from = match m.kind {
        MessageKind::Inbound => "visitor",
        _ => "agent",
    };
    let data = serde_json::json!({
        "id": m.id.0,
        "from": from,
        "author": m.author,
        "text": m.body,
        "sent_at": m.sent_at.to_string(),
    });
    Event::default()
        .event("message")
        .id(m.id.0.to_string())
        .data(data.to_string())
}
