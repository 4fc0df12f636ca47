//! The browser routes that write: `POST /chat/{name}/visitors` (a visitor id and its
//! token), `POST /chat/{name}/visitors/{visitor_id}/messages` (a message, with the
//! token as `Authorization: Bearer`) and `POST /chat/{name}/offline` (the "leave a
//! message" form).
//!
//! A message is checked in the order that costs an abuser most and us least: the inbox
//! (404), the token (401), the rate limits (429), the body's size and time (413, 408),
//! its fields (400); then it is committed before the 202, and the visitor's open event
//! streams are told. Its external id is `w:{visitor id}:{client_id}`, so a retried POST
//! is stored once, and one visitor's `client_id` can never collide with another's.

use std::time::Instant;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use jiff::Timestamp;

use super::away;
use super::form::{self, VisitorMessage};
use super::server::{RelayError, RelayState, json, read_body};
use super::token::{is_visitor_id, new_visitor_id};
use crate::channels::{Contact, Inbound};
use crate::ingest::{Outcome, ingest_with};
use crate::model::{Channel, ConversationId};
use crate::store::StoreError;

/// The write routes of the browser API.
pub fn routes() -> Router<RelayState> {
    Router::new()
        .route("/chat/{name}/visitors", post(create_visitor))
        .route(
            "/chat/{name}/visitors/{visitor_id}/messages",
            post(post_message),
        )
        .route("/chat/{name}/offline", post(post_offline))
}

/// The token in `Authorization: Bearer <token>`, if there is one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Checks that `token` speaks for `visitor_id` of inbox `name`.
///
/// # Errors
/// 404 for an unknown inbox, 401 for a missing or wrong token.
pub fn authorize(
    state: &RelayState,
    name: &str,
    visitor_id: &str,
    token: Option<&str>,
) -> Result<(), RelayError> {
    let keys = state.visitor_keys(name).ok_or(RelayError::UnknownInbox)?;
    let token = token.ok_or(RelayError::Token("a visitor token is required"))?;
    if is_visitor_id(visitor_id) && keys.verify(visitor_id, token) {
        Ok(())
    } else {
        Err(RelayError::Token(
            "the visitor token is not valid for this visitor",
        ))
    }
}

async fn create_visitor(
    State(state): State<RelayState>,
    Path(name): Path<String>,
    request: Request,
) -> Result<Response, RelayError> {
    let keys = state.visitor_keys(&name).ok_or(RelayError::UnknownInbox)?;
    state
        .limiter()
        .take(&name, None, Instant::now())
        .map_err(RelayError::TooFast)?;
    let (parts, body) = request.into_parts();
    let body = read_body(
        body,
        &parts.headers,
        state.body_limit(),
        state.read_timeout(),
    )
    .await?;
    // The pre-chat name and email are checked now, so the form hears of a mistake at
    // once, but kept with the first message: a visitor who never writes leaves nothing.
    form::parse_contact(&body).map_err(RelayError::Malformed)?;
    let visitor_id = new_visitor_id();
    let token = keys.token(&visitor_id);
    Ok(json(
        StatusCode::CREATED,
        serde_json::json!({ "visitor_id": visitor_id, "token": token }).to_string(),
    ))
}

async fn post_message(
    State(state): State<RelayState>,
    Path((name, visitor_id)): Path<(String, String)>,
    request: Request,
) -> Result<Response, RelayError> {
    let (parts, body) = request.into_parts();
    authorize(&state, &name, &visitor_id, bearer(&parts.headers))?;
    state
        .limiter()
        .take(&name, Some(&visitor_id), Instant::now())
        .map_err(RelayError::TooFast)?;
    let body = read_body(
        body,
        &parts.headers,
        state.body_limit(),
        state.read_timeout(),
    )
    .await?;
    let message = form::parse_message(&body, false).map_err(RelayError::Malformed)?;
    let (conversation, message) = store(&state, &name, &visitor_id, message, body).await?;
    Ok(accepted(conversation, message, None))
}

async fn post_offline(
    State(state): State<RelayState>,
    Path(name): Path<String>,
    request: Request,
) -> Result<Response, RelayError> {
    let keys = state.visitor_keys(&name).ok_or(RelayError::UnknownInbox)?;
    let (parts, body) = request.into_parts();
    let body = read_body(
        body,
        &parts.headers,
        state.body_limit(),
        state.read_timeout(),
    )
    .await?;
    let message = form::parse_message(&body, true).map_err(RelayError::Malformed)?;
    // A returning visitor's note joins their conversation; anyone else's opens one
    // under a new visitor id, returned with its token so the widget can keep it.
    let (visitor_id, issued) = match &message.visitor_id {
        Some(id) => {
            authorize(&state, &name, id, bearer(&parts.headers))?;
            (id.clone(), None)
        }
        None => {
            let id = new_visitor_id();
            let token = keys.token(&id);
            (id, Some(token))
        }
    };
    let known = issued.is_none().then_some(visitor_id.as_str());
    state
        .limiter()
        .take(&name, known, Instant::now())
        .map_err(RelayError::TooFast)?;
    let (conversation, stored) = store(&state, &name, &visitor_id, message, body).await?;
    Ok(accepted(
        conversation,
        stored,
        issued.map(|token| (visitor_id, token)),
    ))
}

/// Commits the message, then tells the visitor's open streams.
async fn store(
    state: &RelayState,
    inbox: &str,
    visitor_id: &str,
    message: VisitorMessage,
    raw: Vec<u8>,
) -> Result<(i64, i64), RelayError> {
    let now = Timestamp::now();
    let client_id = message
        .client_id
        .unwrap_or_else(|| format!("s{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)));
    let inbound = Inbound {
        channel: Channel::Chat,
        account: inbox.to_owned(),
        thread_key: visitor_id.to_owned(),
        external_id: format!("w:{visitor_id}:{client_id}"),
        references: Vec::new(),
        from: Contact {
            handle: visitor_id.to_owned(),
            display_name: message.contact.name,
            email: message.contact.email,
            phone: None,
        },
        reply_to: None,
        subject: None,
        text: message.text,
        attachments: Vec::new(),
        sent_at: now,
        automated: false,
        raw: Some(raw),
    };
    let stored = state
        .store()
        .call(move |store| {
            ingest_with(store, &inbound, now, |tx, pending| {
                Ok(match pending.store(tx)? {
                    Outcome::New {
                        conversation,
                        message,
                        ..
                    } => Some((conversation.0, message.0, true)),
                    Outcome::Duplicate { message } => {
                        let conversation = tx
                            .conversation_of(message)?
                            .ok_or(StoreError::NotFound("message"))?;
                        Some((conversation.0, message.0, false))
                    }
                    Outcome::DeadLettered { .. } => None,
                })
            })
        })
        .await
        .map_err(|e| {
            tracing::warn!("visitor message refused for now: {e}");
            RelayError::Unavailable
        })?;
    let Some((conversation, message, new)) = stored else {
        return Err(RelayError::Malformed(
            "the message could not be stored as a message; it was kept for review".into(),
        ));
    };
    if new {
        state.hub().publish(inbox, visitor_id);
        away::acknowledge(state, inbox, ConversationId(conversation), now).await;
    }
    Ok((conversation, message))
}

fn accepted(conversation: i64, message: i64, issued: Option<(String, String)>) -> Response {
    let mut body = serde_json::json!({
        "conversation_id": conversation,
        "message_id": message,
    });
    if let Some((visitor_id, token)) = issued {
        body["visitor_id"] = visitor_id.into();
        body["token"] = token.into();
    }
    json(StatusCode::ACCEPTED, body.to_string())
}
