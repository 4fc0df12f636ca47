//! CORS for the browser routes: a shop's page on another origin may call
//! `/chat/{name}/visitors…`, `/chat/{name}/offline` and `/chat/{name}/status` only when
//! that origin is in the inbox's `origins`. Anything else gets no CORS header at all, so
//! the browser keeps the answer from the page (same-origin pages, such as the relay's own
//! widget page, need none). The signed backend route `POST /chat/{name}/messages` is a
//! server-to-server call and never gets CORS headers.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::server::RelayState;

/// How long a browser may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

/// The methods the browser routes take.
const ALLOWED_METHODS: &str = "GET, POST, OPTIONS";

/// The request headers the widget sends beyond the CORS-safe ones.
const ALLOWED_HEADERS: &str = "authorization, content-type, last-event-id";

/// The middleware: answers preflights of browser routes and marks their answers for an
/// allowed origin.
pub async fn layer(State(state): State<RelayState>, request: Request, next: Next) -> Response {
    let Some(inbox) = browser_inbox(request.uri().path()) else {
        return next.run(request).await;
    };
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .filter(|origin| {
            origin
                .to_str()
                .is_ok_and(|o| state.origins(inbox).iter().any(|allowed| allowed == o))
        })
        .cloned();
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        if origin.is_some() {
            let headers = response.headers_mut();
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOWED_METHODS),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOWED_HEADERS),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(PREFLIGHT_MAX_AGE),
            );
        }
        response
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    // The answer depends on the origin, so a cache must not hand one origin's to another.
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        // Not a CORS-safelisted header: without this the widget could not read how long
        // a 429 asks it to wait.
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("retry-after"),
        );
    }
    response
}

/// The inbox name when `path` is one of its browser routes.
fn browser_inbox(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/chat/")?;
    let (inbox, route) = rest.split_once('/')?;
    let browser = route == "visitors"
        || route.starts_with("visitors/")
        || route == "offline"
        || route == "status";
    browser.then_some(inbox)
}

#[cfg(test)]
mod tests {
    use super::browser_inbox;

    #[test]
    fn only_browser_routes_are_cors_routes() {
        assert_eq!(browser_inbox("/chat/site/visitors"), Some("site"));
        assert_eq!(
            browser_inbox("/chat/site/visitors/v_x/events"),
            Some("site")
        );
        assert_eq!(browser_inbox("/chat/site/offline"), Some("site"));
        assert_eq!(browser_inbox("/chat/site/status"), Some("site"));
        assert_eq!(browser_inbox("/chat/site/messages"), None);
        assert_eq!(browser_inbox("/chat/site/visitorsx"), None);
        assert_eq!(browser_inbox("/healthz"), None);
        assert_eq!(browser_inbox("/widget.js"), None);
    }
}
