//! The relay's HTTP server: `POST /chat/{name}/messages` from a shop's backend and
//! `GET /healthz`, per DESIGN.md's Relay HTTP API.
//!
//! A chat message is taken in this order, so that nothing unverified is parsed and
//! nothing is acknowledged before it is on disk: the inbox must exist (404); the body is
//! read up to a byte limit (413) within a time limit (408); the Standard Webhooks
//! signature is checked over those raw bytes (401); then, in one store transaction, a
//! `webhook-id` answered before gets its first answer again, and a new one is parsed
//! (400), ingested and its answer recorded beside the message. The 202 is sent only
//! after that transaction commits; a store that cannot take it answers 503 with
//! `Retry-After`, and the sender's retry loses nothing.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};
use futures::StreamExt;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use jiff::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::availability::AvailabilityWatch;
use super::hub::Hub;
use super::limits::{Limited, Limiter, RateLimits, retry_after_seconds};
use super::message::{ChatMessage, MAX_WEBHOOK_ID_BYTES};
use super::signature::{SignatureError, SignedHeaders, WebhookSecret};
use super::sse::{StreamLimits, StreamSlots};
use super::token::VisitorKeys;
use super::{away, cors, sse, visitor};
use crate::channels::Inbound;
use crate::config::ChatInbox;
use crate::ingest::{Outcome, ingest_with};
use crate::model::{Channel, ConversationId, MessageId};
use crate::store::{SharedStore, Store, StoreError, WebhookReceipt};

/// The largest request body read; a larger one is refused with 413 before it is read
/// whole. A chat message is a few lines of text.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a client has to send its request head, and then its whole body; a client
/// that stalls is cut off (408 for a body, a closed connection for a head), so it holds
/// nothing for longer.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What a 503 asks the sender to wait before retrying, in seconds: about the store's
/// busy timeout, the usual reason for it.
pub const RETRY_AFTER_SECONDS: u64 = 5;

/// What the relay's routes share: the store, each chat inbox's signing secret, and
/// what the browser routes need (visitor token keys, allowed origins, rate limits, the
/// hub their event streams listen to, the count of open streams).
#[derive(Clone, Debug)]
pub struct RelayState {
    store: SharedStore,
    inboxes: Arc<HashMap<String, WebhookSecret>>,
    body_limit: usize,
    read_timeout: Duration,
    visitors: Arc<HashMap<String, VisitorKeys>>,
    origins: Arc<HashMap<String, Vec<String>>>,
    limiter: Arc<Limiter>,
    hub: Hub,
    streams: Arc<StreamSlots>,
    availability: Arc<AvailabilityWatch>,
    closing: Option<watch::Receiver<bool>>,
    hours: Arc<crate::presence::BusinessHours>,
    presence: crate::config::PresenceConfig,
    away_messages: Arc<HashMap<String, String>>,
}

impl RelayState {
    /// A state with no inbox yet, the default limits and `store`.
    #[must_use]
    pub fn new(store: SharedStore) -> RelayState {
        RelayState {
            store,
            inboxes: Arc::new(HashMap::new()),
            body_limit: MAX_BODY_BYTES,
            read_timeout: READ_TIMEOUT,
            visitors: Arc::new(HashMap::new()),
            origins: Arc::new(HashMap::new()),
            limiter: Arc::new(Limiter::new(RateLimits::default())),
            hub: Hub::new(),
            streams: Arc::new(StreamSlots::new(StreamLimits::default())),
            availability: Arc::new(AvailabilityWatch::default()),
            closing: None,
            hours: Arc::new(crate::presence::BusinessHours::always()),
            presence: crate::config::PresenceConfig::default(),
            away_messages: Arc::new(HashMap::new()),
        }
    }

    /// Serves the chat inbox `name`, whose backend signs with `secret`; its visitor
    /// tokens are keyed from that secret.
    #[must_use]
    pub fn with_inbox(mut self, name: impl Into<String>, secret: WebhookSecret) -> RelayState {
        let name = name.into();
        Arc::make_mut(&mut self.visitors).insert(name.clone(), VisitorKeys::derive(&secret));
        Arc::make_mut(&mut self.inboxes).insert(name, secret);
        self
    }

    /// Lets pages on `origins` (`https://boutique.example`, no path) call inbox
    /// `name`'s browser routes (CORS). Without it, only the relay's own pages can.
    #[must_use]
    pub fn with_origins(mut self, name: impl Into<String>, origins: Vec<String>) -> RelayState {
        Arc::make_mut(&mut self.origins).insert(name.into(), origins);
        self
    }

    /// Changes the browser routes' rate limits from [`RateLimits::default`].
    #[must_use]
    pub fn with_rate_limits(mut self, limits: RateLimits) -> RelayState {
        self.limiter = Arc::new(Limiter::new(limits));
        self
    }

    /// Changes how many event streams may be open from [`StreamLimits::default`].
    #[must_use]
    pub fn with_stream_limits(mut self, limits: StreamLimits) -> RelayState {
        self.streams = Arc::new(StreamSlots::new(limits));
        self
    }

    /// Shares `hub` (the chat channels' outbox side publishes replies to it).
    #[must_use]
    pub fn with_hub(mut self, hub: Hub) -> RelayState {
        self.hub = hub;
        self
    }

    /// The hub the event streams listen to.
    #[must_use]
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The signing secret of inbox `name`, if it is served.
    #[must_use]
    pub fn secret(&self, name: &str) -> Option<&WebhookSecret> {
        self.inboxes.get(name)
    }

    /// How many visitor event streams are open now.
    #[must_use]
    pub fn open_streams(&self) -> usize {
        self.streams.open()
    }

    pub(super) fn store(&self) -> &SharedStore {
        &self.store
    }

    pub(super) fn visitor_keys(&self, name: &str) -> Option<&VisitorKeys> {
        self.visitors.get(name)
    }

    pub(super) fn origins(&self, name: &str) -> &[String] {
        self.origins.get(name).map_or(&[], Vec::as_slice)
    }

    pub(super) fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// The count of open event streams, shared: what tells whether a visitor is
    /// still connected when their reply goes out.
    #[must_use]
    pub fn stream_slots(&self) -> Arc<StreamSlots> {
        Arc::clone(&self.streams)
    }

    pub(super) fn streams(&self) -> &Arc<StreamSlots> {
        &self.streams
    }

    pub(super) fn availability(&self) -> &Arc<AvailabilityWatch> {
        &self.availability
    }

    /// Turns true (or its sender goes) when the relay stops: the event streams end
    /// then, or a graceful shutdown would wait for them for ever.
    pub(super) fn closing(&self) -> Option<watch::Receiver<bool>> {
        self.closing.clone()
    }

    pub(super) fn body_limit(&self) -> usize {
        self.body_limit
    }

    pub(super) fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    /// Tells visitors the chat is live only within `hours` and per `presence`'s
    /// idleness and grace (from `[hours]` and `[presence]`); without it, always within
    /// hours, with the default presence settings.
    #[must_use]
    pub fn with_presence(
        mut self,
        hours: crate::presence::BusinessHours,
        presence: crate::config::PresenceConfig,
    ) -> RelayState {
        self.hours = Arc::new(hours);
        self.presence = presence;
        self
    }

    /// The business hours the chat's status follows.
    #[must_use]
    pub fn hours(&self) -> &crate::presence::BusinessHours {
        &self.hours
    }

    /// The idleness and grace settings the chat's status follows.
    #[must_use]
    pub fn presence(&self) -> &crate::config::PresenceConfig {
        &self.presence
    }

    /// Acknowledges a visitor of inbox `name` who writes while nobody is available with
    /// `text`, once per away period (`[[chat]] away_message`); without it, nothing is sent.
    #[must_use]
    pub fn with_away_message(
        mut self,
        name: impl Into<String>,
        text: impl Into<String>,
    ) -> RelayState {
        Arc::make_mut(&mut self.away_messages).insert(name.into(), text.into());
        self
    }

    /// Inbox `name`'s away message, if it has one.
    #[must_use]
    pub fn away_message(&self, name: &str) -> Option<&str> {
        self.away_messages.get(name).map(String::as_str)
    }

    /// Changes the body limit from [`MAX_BODY_BYTES`].
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> RelayState {
        self.body_limit = bytes;
        self
    }

    /// Changes the head and body read timeout from [`READ_TIMEOUT`].
    #[must_use]
    pub fn with_read_timeout(mut self, timeout: Duration) -> RelayState {
        self.read_timeout = timeout;
        self
    }

    /// The names of the inboxes served, in no particular order.
    pub fn inboxes(&self) -> impl Iterator<Item = &str> {
        self.inboxes.keys().map(String::as_str)
    }

    /// A state serving every `[[chat]]` inbox whose secret can be read and parsed. Each
    /// secret is read once, here; an inbox whose secret cannot be is logged (never with
    /// the secret) and left out, so its backend gets 404 rather than a relay that
    /// accepts anything.
    pub async fn from_config(store: SharedStore, chats: &[ChatInbox]) -> RelayState {
        let mut state = RelayState::new(store);
        for chat in chats {
            let what = format!("chat {:?} secret", chat.name);
            let source = chat.secret.clone();
            let resolved = tokio::task::spawn_blocking(move || source.resolve(&what)).await;
            match resolved {
                Ok(Ok(text)) => match WebhookSecret::parse(text.expose()) {
                    Ok(secret) => {
                        state = state
                            .with_inbox(chat.name.clone(), secret)
                            .with_origins(chat.name.clone(), chat.origins.clone());
                        if let Some(text) = &chat.away_message {
                            state = state.with_away_message(chat.name.clone(), text.clone());
                        }
                    }
                    Err(e) => tracing::error!(inbox = %chat.name, "chat inbox not served: {e}"),
                },
                Ok(Err(e)) => tracing::error!(inbox = %chat.name, "chat inbox not served: {e}"),
                Err(e) => tracing::error!(inbox = %chat.name, "chat inbox not served: {e}"),
            }
        }
        state
    }
}

/// Why a request was refused. The status is in each variant's doc; the response body is
/// `{"error": "<this message>"}`, which never holds a secret or a store internal.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// 404: no chat inbox by that name is served.
    #[error("no such chat inbox")]
    UnknownInbox,
    /// 404: no such route.
    #[error("not found")]
    NotFound,
    /// 401: the signature is missing, stale or does not match.
    #[error("{0}")]
    Signature(#[from] SignatureError),
    /// 413: the body is over the limit.
    #[error("the body is over the {0} byte limit")]
    TooLarge(usize),
    /// 408: the body did not arrive in time.
    #[error("the body did not arrive within {0} s")]
    Timeout(u64),
    /// 400: the connection failed while the body was read.
    #[error("the body could not be read")]
    Unreadable,
    /// 400: the body or a header is not what the API takes; says which field.
    #[error("{0}")]
    Malformed(String),
    /// 503: the store cannot take the message now; nothing was stored.
    #[error("the message could not be stored now; try again")]
    Unavailable,
    /// 401: a browser route's visitor token is missing or not this visitor's.
    #[error("{0}")]
    Token(&'static str),
    /// 429: a rate limit; answered with `Retry-After`.
    #[error("{}", .0.reason)]
    TooFast(Limited),
    /// 429: this visitor has as many event streams open as allowed.
    #[error("too many open event streams for this visitor")]
    TooManyStreams,
    /// 503: the relay has as many event streams open as allowed.
    #[error("the relay is at its event stream limit; try again")]
    StreamsFull,
}

impl RelayError {
    /// The HTTP status this refusal is answered with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            RelayError::UnknownInbox | RelayError::NotFound => StatusCode::NOT_FOUND,
            RelayError::Signature(_) => StatusCode::UNAUTHORIZED,
            RelayError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            RelayError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            RelayError::Unreadable | RelayError::Malformed(_) => StatusCode::BAD_REQUEST,
            RelayError::Unavailable | RelayError::StreamsFull => StatusCode::SERVICE_UNAVAILABLE,
            RelayError::Token(_) => StatusCode::UNAUTHORIZED,
            RelayError::TooFast(_) | RelayError::TooManyStreams => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

impl IntoResponse for RelayError {
    fn into_response(self) -> Response {
        let mut response = json(self.status(), error_body(&self.to_string()));
        match self {
            RelayError::Unavailable | RelayError::StreamsFull | RelayError::TooManyStreams => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            }
            RelayError::TooFast(limited) => {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after_seconds(limited.retry_after)),
                );
            }
            // The rest of the body was never read; keeping the connection would make
            // the server read (or fail to read) it as the next request.
            RelayError::TooLarge(_) | RelayError::Timeout(_) | RelayError::Unreadable => {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        response
    }
}

/// The relay's routes, built without a socket (tests drive it with `oneshot`).
pub fn router(state: RelayState) -> Router {
    // Our own reader enforces the body limit; axum's extractors get the same one, so a
    // route that later takes `Bytes` or `Json` cannot quietly accept more.
    let limit = state.body_limit;
    Router::new()
        .route("/chat/{name}/messages", post(post_message))
        .merge(visitor::routes())
        .merge(sse::routes())
        .route("/chat/{name}/status", get(super::status::chat_status))
        .route("/healthz", get(healthz))
        .merge(super::widget::routes())
        .fallback(|| async { RelayError::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), cors::layer))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// The largest request head (request line and headers) taken; a larger one is refused
/// with 431. The Standard Webhooks headers are well under a kilobyte.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Serves the relay on `listener` until `shutdown` turns true (or its sender is
/// dropped), then lets requests under way finish.
///
/// Each connection is its own task, so one slow client never delays another; a client
/// gets the read timeout both for its request head (then the connection is closed) and
/// for its body (then it is answered 408), so it cannot hold a connection open for
/// nothing either. A failed accept (out of file descriptors) is logged and retried.
pub async fn serve(listener: TcpListener, state: RelayState, mut shutdown: watch::Receiver<bool>) {
    let head_timeout = state.read_timeout;
    let app = router(RelayState {
        closing: Some(shutdown.clone()),
        ..state
    });
    let graceful = GracefulShutdown::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                // Out of file descriptors, typically: wait for some to be freed rather
                // than spin on the error.
                tracing::error!("the relay cannot accept a connection: {e}");
                tokio::select! {
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    _ = shutdown.wait_for(|stop| *stop) => break,
                }
            }
        };
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(head_timeout)
            .max_header_size(MAX_HEADER_BYTES);
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("relay connection ended: {e}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// How long to wait after an accept failure that is not one client's.
const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// An accept error about the one connection (it was reset before we took it), not
/// about the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

async fn healthz() -> Response {
    json(StatusCode::OK, r#"{"status":"ok"}"#.to_owned())
}

async fn post_message(
    State(state): State<RelayState>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    match accept(&state, name, request).await {
        Ok(receipt) => {
            let status =
                StatusCode::from_u16(receipt.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            json(status, receipt.body)
        }
        Err(e) => e.into_response(),
    }
}

async fn accept(
    state: &RelayState,
    inbox: String,
    request: Request,
) -> Result<WebhookReceipt, RelayError> {
    let secret = state.inboxes.get(&inbox).ok_or(RelayError::UnknownInbox)?;
    let (parts, body) = request.into_parts();
    let body = read_body(body, &parts.headers, state.body_limit, state.read_timeout).await?;
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let signed = SignedHeaders {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
    };
    secret.verify(signed, &body, Timestamp::now())?;
    let webhook_id = signed.id.unwrap_or_default().trim().to_owned();
    if webhook_id.len() > MAX_WEBHOOK_ID_BYTES {
        return Err(RelayError::Malformed(format!(
            "webhook-id is over {MAX_WEBHOOK_ID_BYTES} bytes"
        )));
    }
    let now = Timestamp::now();
    let parsed = ChatMessage::parse(&body).map(|m| m.into_inbound(&inbox, &webhook_id, &body, now));
    let visitor = parsed.as_ref().ok().map(|m| m.thread_key.clone());
    let hub = state.hub.clone();
    let receipt = state
        .store
        .call({
            let inbox = inbox.clone();
            move |store| answer(store, &inbox, &webhook_id, parsed, now)
        })
        .await
        .map_err(|e| {
            tracing::warn!("chat message refused for now: {e}");
            RelayError::Unavailable
        })?;
    // The visitor may be on the widget too; a repeated id wakes their streams for
    // nothing, which costs one read.
    if let Some(visitor) = visitor
        && receipt.status == StatusCode::ACCEPTED.as_u16()
    {
        hub.publish(&inbox, &visitor);
        // A repeated id comes here too; the once-per-away-period rule keeps it to one.
        if let Some(conversation) = receipt_conversation(&receipt.body) {
            away::acknowledge(state, &inbox, conversation, now).await;
        }
    }
    Ok(receipt)
}

/// Reads the body whole, refusing it as soon as it is known to be over `limit` (from
/// `Content-Length`, or once that many bytes came) and when it takes over `timeout`.
pub(super) async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    timeout: Duration,
) -> Result<Vec<u8>, RelayError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(RelayError::TooLarge(limit));
    }
    let read = async {
        let mut stream = body.into_data_stream();
        let mut bytes = Vec::with_capacity(declared.map_or(0, |n| n as usize));
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| RelayError::Unreadable)?;
            if bytes.len() + chunk.len() > limit {
                return Err(RelayError::TooLarge(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| RelayError::Timeout(timeout.as_secs().max(1)))?
}

/// The answer to a verified message, in one transaction: the first answer if this
/// `webhook-id` was answered before; else a 400 for a malformed body (not recorded: the
/// same body gets the same 400, and a corrected retry may still go through); else the
/// message stored and its answer recorded with it.
fn answer(
    store: &mut Store,
    inbox: &str,
    webhook_id: &str,
    parsed: Result<Inbound, String>,
    now: Timestamp,
) -> Result<WebhookReceipt, StoreError> {
    let inbound = match parsed {
        Ok(inbound) => inbound,
        Err(reason) => {
            return store.write(|tx| {
                Ok(tx
                    .webhook_receipt(Channel::Chat, inbox, webhook_id)?
                    .unwrap_or_else(|| WebhookReceipt {
                        status: StatusCode::BAD_REQUEST.as_u16(),
                        body: error_body(&reason),
                    }))
            });
        }
    };
    ingest_with(store, &inbound, now, |tx, pending| {
        if let Some(first) = tx.webhook_receipt(Channel::Chat, inbox, webhook_id)? {
            return Ok(first);
        }
        let receipt = match pending.store(tx)? {
            Outcome::New {
                conversation,
                message,
                ..
            } => accepted(conversation, message),
            Outcome::Duplicate { message } => {
                let conversation = tx
                    .conversation_of(message)?
                    .ok_or(StoreError::NotFound("message"))?;
                accepted(conversation, message)
            }
            // Kept for an agent to look at, but not a message: a retry would fare no
            // better, and the sender should hear that.
            Outcome::DeadLettered { .. } => WebhookReceipt {
                status: StatusCode::BAD_REQUEST.as_u16(),
                body: error_body(
                    "the message could not be stored as a message; it was kept for review",
                ),
            },
        };
        tx.record_webhook_receipt(Channel::Chat, inbox, webhook_id, &receipt, now)?;
        Ok(receipt)
    })
}

/// The conversation a 202's body names.
fn receipt_conversation(body: &str) -> Option<ConversationId> {
    let body: serde_json::Value = serde_json::from_str(body).ok()?;
    body.get("conversation_id")?.as_i64().map(ConversationId)
}

pub(super) fn accepted(conversation: ConversationId, message: MessageId) -> WebhookReceipt {
    WebhookReceipt {
        status: StatusCode::ACCEPTED.as_u16(),
        body: serde_json::json!({
            "conversation_id": conversation.0,
            "message_id": message.0,
        })
        .to_string(),
    }
}

pub(super) fn error_body(reason: &str) -> String {
    serde_json::json!({ "error": reason }).to_string()
}

pub(super) fn json(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}
