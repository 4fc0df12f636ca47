//! `GET /chat/{name}/status`: whether a visitor's message will be answered live, for the
//! shop's own page and the widget. The answer is [`presence::chat_state`] over the
//! agents' rows as the store has them now, so every process that asks agrees.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;

use super::server::{RelayError, RelayState, error_body, json};
use crate::config::WEEKDAYS;
use crate::presence::{self, BusinessHours, ChatState};
use crate::store::StoreError;

/// What a 503 asks the caller to wait, in seconds.
const RETRY_AFTER_SECONDS: u64 = 5;

/// `{"available": bool, "agents": int, "next_available": RFC 3339 | null, "timezone":
/// IANA name, "hours": {"mon": ["09:00-12:30", …], …, "holidays": ["2026-12-25", …]} |
/// null}` for a served inbox (`hours` is null without `[hours]`: always open); 404 for
/// another name; 503 when the store cannot be read.
pub async fn chat_status(State(state): State<RelayState>, Path(name): Path<String>) -> Response {
    if state.secret(&name).is_none() {
        return RelayError::UnknownInbox.into_response();
    }
    match current(&state, Timestamp::now()).await {
        Ok(chat) => {
            let mut response = json(StatusCode::OK, body(&chat, state.hours()));
            // A page polls this; a cached "live" would be exactly the promise not kept.
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            tracing::warn!("chat status unavailable: {e}");
            let mut response = json(
                StatusCode::SERVICE_UNAVAILABLE,
                error_body("the status could not be read now; try again"),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            response
        }
    }
}

/// The chat's state at `now` under the relay's hours and presence settings: one read of
/// the agents table, off the async workers.
///
/// # Errors
/// A store failure.
pub async fn current(state: &RelayState, now: Timestamp) -> Result<ChatState, StoreError> {
    let agents = state.store().call(|store| store.agents()).await?;
    Ok(presence::chat_state(
        &agents,
        state.hours(),
        state.presence(),
        now,
    ))
}

/// The JSON body for `chat`, its times told in RFC 3339 (UTC) with the shop's zone
/// and week beside them, so the widget can say "back at 09:00" in the visitor's own zone
/// and a shop's page can print its opening hours.
#[must_use]
pub fn body(chat: &ChatState, hours: &BusinessHours) -> String {
    let week = hours.week().map(|week| {
        let mut out = serde_json::Map::new();
        for (day, shifts) in WEEKDAYS.iter().zip(week) {
            let ranges: Vec<String> = shifts.iter().map(ToString::to_string).collect();
            out.insert((*day).to_owned(), ranges.into());
        }
        let holidays: Vec<String> = hours.holidays().iter().map(ToString::to_string).collect();
        out.insert("holidays".to_owned(), holidays.into());
        out
    });
    serde_json::json!({
        "available": chat.live,
        "agents": chat.agents,
        "next_available": chat.next_available.map(|t| t.to_string()),
        "timezone": hours.timezone(),
        "hours": week,
    })
    .to_string()
}
