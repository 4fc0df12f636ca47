//! The embeddable chat widget: `GET /widget.js` and `GET /widget.css`, static files
//! compiled into the binary (no CDN, no build step), and `GET /chat/{name}/widget`, a
//! small page that embeds them for one inbox (the demo's and the browser tests' page).
//!
//! The assets live at an unversioned URL that every shop page embeds, so they are cached
//! for a day rather than for ever, and revalidated cheaply with an `ETag` (a 304 carries
//! no body). The page is never cached: it is a few hundred bytes.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use super::server::{RelayError, RelayState};

/// The widget's script, as served at `/widget.js`.
pub const WIDGET_JS: &str = include_str!("widget/widget.js");

/// The widget's style sheet, as served at `/widget.css`.
pub const WIDGET_CSS: &str = include_str!("widget/widget.css");

/// The test page's template; `{{inbox}}` stands for the HTML-escaped inbox name.
const PAGE_HTML: &str = include_str!("widget/page.html");

/// A day: long enough that a shop's visitors rarely ask twice, short enough that a new
/// comptoir's widget reaches them by the next day even if their browser skips revalidation.
const ASSET_CACHE_CONTROL: &str = "public, max-age=86400";

/// What the test page lets its content do: only what the widget needs from the relay it
/// came from. A hole in the widget's escaping would still not run a script.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// One static asset with its content type and strong validator.
struct Asset {
    body: &'static str,
    content_type: &'static str,
    etag: HeaderValue,
}

impl Asset {
    fn new(body: &'static str, content_type: &'static str) -> Asset {
        Asset {
            body,
            content_type,
            etag: etag_of(body),
        }
    }
}

/// Hashed once, on first request: the body cannot change while the binary runs.
static JS: LazyLock<Asset> =
    LazyLock::new(|| Asset::new(WIDGET_JS, "text/javascript; charset=utf-8"));
static CSS: LazyLock<Asset> = LazyLock::new(|| Asset::new(WIDGET_CSS, "text/css; charset=utf-8"));

/// The widget's routes, to be merged into the relay's router.
pub fn routes() -> Router<RelayState> {
    Router::new()
        .route(
            "/widget.js",
            get(|headers: HeaderMap| async move { serve_asset(&JS, &headers) }),
        )
        .route(
            "/widget.css",
            get(|headers: HeaderMap| async move { serve_asset(&CSS, &headers) }),
        )
        .route("/chat/{name}/widget", get(page))
}

/// A quoted SHA-256 prefix of `body`: 128 bits is plenty to tell two versions apart.
fn etag_of(body: &str) -> HeaderValue {
    let digest = Sha256::digest(body.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// Whether an `If-None-Match` header names `etag` (or is `*`). A weak comparison, as
/// RFC 9110 asks for `If-None-Match`, so a `W/` prefix added by a proxy still matches.
fn matches_etag(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(ours) = etag.to_str() else {
        return false;
    };
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == ours)
}

fn serve_asset(asset: &Asset, headers: &HeaderMap) -> Response {
    let common = [
        (header::ETAG, asset.etag.clone()),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(ASSET_CACHE_CONTROL),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    if matches_etag(headers, &asset.etag) {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let content_type = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    )];
    (StatusCode::OK, common, content_type, asset.body).into_response()
}

async fn page(State(state): State<RelayState>, Path(name): Path<String>) -> Response {
    if !state.inboxes().any(|served| served == name) {
        return RelayError::UnknownInbox.into_response();
    }
    let html = PAGE_HTML.replace("{{inbox}}", &escape_html(&name));
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(PAGE_CSP),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        html,
    )
        .into_response()
}

/// `text` made safe inside HTML text and inside a quoted attribute value.
#[must_use]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_html_neutralises_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
        assert_eq!(escape_html("site"), "site");
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let etag = etag_of("body");
        let ours = etag.to_str().unwrap().to_owned();
        let check = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
            matches_etag(&headers, &etag)
        };
        assert!(check(&ours));
        assert!(check(&format!("\"other\", W/{ours}")));
        assert!(check("*"));
        assert!(!check("\"other\""));
        assert!(!matches_etag(&HeaderMap::new(), &etag));
    }

    #[test]
    fn the_etag_changes_with_the_body() {
        assert_ne!(etag_of("a"), etag_of("b"));
        assert_eq!(etag_of("a"), etag_of("a"));
    }
}
