//! The embeddable chat widget: its routes (assets with validators, the test page) with
//! tower's `oneshot`, then the widget itself in a real headless Chromium over WebDriver,
//! talking to a real relay on loopback with a real store: a visitor chats by keyboard,
//! gets an agent's reply live, reloads and finds the history; hostile names and texts
//! show as text; on a phone-sized screen the panel fills it.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

#[path = "common/chromium.rs"]
mod chromium;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chromium::{Chromium, press, type_text};
use comptoir::channels::relay::channel::ChatChannel;
use comptoir::channels::relay::server::{RelayState, router, serve};
use comptoir::channels::relay::signature::WebhookSecret;
use comptoir::channels::relay::widget::{WIDGET_CSS, WIDGET_JS};
use comptoir::config::{HoursConfig, PresenceConfig, Shift};
use comptoir::model::{AgentId, Availability, Channel, Conversation, Message, MessageKind};
use comptoir::outbox::{Outbox, RetryPolicy};
use comptoir::presence::BusinessHours;
use comptoir::store::{QueueFilter, SharedStore, Store};
use fantoccini::Client;
use fantoccini::key::Key;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

const SECRET: &str = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

/// How long anything the browser or the relay does may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(15);

fn state_on(store: Store) -> RelayState {
    RelayState::new(SharedStore::new(store))
        .with_inbox("site", WebhookSecret::parse(SECRET).unwrap())
}

/// A relay serving inbox `site` on 127.0.0.1 with a fresh store, stopped on drop.
struct Relay {
    _dir: tempfile::TempDir,
    state: RelayState,
    store: SharedStore,
    base: String,
    stop: watch::Sender<bool>,
}

impl Relay {
    async fn start() -> Relay {
        Relay::start_with(|state| state).await
    }

    /// A relay whose state `configure` adds to (business hours, say).
    async fn start_with(configure: impl FnOnce(RelayState) -> RelayState) -> Relay {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        let store = SharedStore::new(Store::open(&path).unwrap());
        let state = configure(
            RelayState::new(store.clone())
                .with_inbox("site", WebhookSecret::parse(SECRET).unwrap()),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = watch::channel(false);
        tokio::spawn(serve(listener, state.clone(), stopped));
        Relay {
            _dir: dir,
            state,
            store,
            base,
            stop,
        }
    }

    /// An agent named `name` who takes live chats now: toggled available, with a TUI
    /// that just saw input.
    async fn available_agent(&self, name: &'static str) -> AgentId {
        self.store
            .call(move |store| {
                let agent = store.ensure_agent(name)?;
                store.set_availability(agent, Availability::Available)?;
                store.record_input(agent, Timestamp::now())?;
                Ok(agent)
            })
            .await
            .unwrap()
    }

    /// The chat conversations in the queue, and each one's messages.
    /// Waits for the chat conversation holding a message with this text.
    async fn chat_with(&self, what: &str, text: &str) -> (Conversation, Vec<Message>) {
        wait_for(what, || async {
            self.chats()
                .await
                .into_iter()
                .find(|(_, thread)| thread.iter().any(|m| m.body == text))
        })
        .await
    }

    async fn chats(&self) -> Vec<(Conversation, Vec<Message>)> {
        self.store
            .call(|store| {
                let filter = QueueFilter {
                    statuses: Vec::new(),
                    channel: Some(Channel::Chat),
                    ..QueueFilter::default()
                };
                let mut out = Vec::new();
                for conversation in store.queue(&filter)? {
                    let thread = store.thread(conversation.id)?;
                    out.push((conversation, thread));
                }
                Ok(out)
            })
            .await
            .unwrap()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Polls `check` until it returns `Some`, or fails the test after [`DEADLINE`] saying
/// what it waited for.
async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs `script` (a function body) in the page and returns what it returns.
async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, Vec::new()).await.unwrap()
}

/// Waits until `script` returns `true` in the page.
async fn wait_js(client: &Client, what: &str, script: &str) {
    wait_for(what, || async {
        (js(client, script).await == Value::Bool(true)).then_some(())
    })
    .await;
}

/// Clicks the element with this id.
async fn click(client: &Client, id: &str) {
    client
        .find(fantoccini::Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Types `text` into the element with this id.
async fn type_into(client: &Client, id: &str, text: &str) {
    client
        .find(fantoccini::Locator::Id(id))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

async fn active_id(client: &Client) -> String {
    js(
        client,
        "return document.activeElement ? document.activeElement.id : ''",
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Loads the test page and waits for the launcher to show (after the style sheet).
async fn load_page(client: &Client, relay: &Relay) {
    client
        .goto(&format!("{}/chat/site/widget", relay.base))
        .await
        .unwrap();
    wait_js(
        client,
        "the launcher to show",
        "const l = document.getElementById('comptoir-launcher'); \
         return !!l && l.offsetParent !== null",
    )
    .await;
}

/// The widget's messages as (class, author, text, stored id).
async fn log_items(client: &Client) -> Vec<(String, String, String, Option<i64>)> {
    let items = js(
        client,
        "return Array.from(document.querySelectorAll('#comptoir-log > li')).map(li => [
           li.classList.contains('comptoir-msg-agent') ? 'agent' : 'visitor',
           li.querySelector('.comptoir-author').textContent,
           li.querySelector('.comptoir-text').textContent,
           li.getAttribute('data-id')])",
    )
    .await;
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let field = |i: usize| item[i].as_str().unwrap_or_default().to_owned();
            let id = item[3].as_str().map(|id| id.parse().unwrap());
            (field(0), field(1), field(2), id)
        })
        .collect()
}

/// Elements inside the widget that only injected markup could have made, and whether a
/// planted script ran.
async fn injected(client: &Client) -> Value {
    js(
        client,
        "return [document.querySelectorAll('#comptoir-chat script, #comptoir-chat img, \
         #comptoir-chat b, #comptoir-chat i').length, window.pwned === undefined]",
    )
    .await
}

// ---------------------------------------------------------------------------------------
// Routes

async fn get(
    state: RelayState,
    path: &str,
    if_none_match: Option<&str>,
) -> axum::response::Response {
    let mut request = Request::get(path);
    if let Some(tag) = if_none_match {
        request = request.header(header::IF_NONE_MATCH, tag);
    }
    router(state)
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

async fn body_of(response: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn the_assets_are_served_with_their_type_a_cache_lifetime_and_an_etag() {
    let dir = tempfile::tempdir().unwrap();
    let state = state_on(Store::open(&dir.path().join("s.sqlite")).unwrap());
    for (path, content_type, expected) in [
        ("/widget.js", "text/javascript; charset=utf-8", WIDGET_JS),
        ("/widget.css", "text/css; charset=utf-8", WIDGET_CSS),
    ] {
        let response = get(state.clone(), path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert_eq!(headers[header::CONTENT_TYPE], content_type, "{path}");
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=86400",
            "{path}"
        );
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        let etag = headers[header::ETAG].to_str().unwrap().to_owned();
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34,
            "{etag}"
        );
        assert_eq!(body_of(response).await, expected, "{path}");

        let again = get(state.clone(), path, Some(&etag)).await;
        assert_eq!(
            again.status(),
            StatusCode::NOT_MODIFIED,
            "{path} revalidated"
        );
        assert_eq!(again.headers()[header::ETAG], etag.as_str());
        assert!(body_of(again).await.is_empty(), "a 304 has no body");

        let stale = get(state.clone(), path, Some("\"an-older-version\"")).await;
        assert_eq!(stale.status(), StatusCode::OK, "{path} with another tag");
    }
    let js = get(state.clone(), "/widget.js", None).await;
    let css = get(state, "/widget.css", None).await;
    assert_ne!(js.headers()[header::ETAG], css.headers()[header::ETAG]);
}

#[tokio::test]
async fn the_test_page_embeds_the_widget_for_a_known_inbox_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
    let secret = WebhookSecret::parse(SECRET).unwrap();
    let hostile = "a\"b<i>&'";
    let state = state_on(store).with_inbox(hostile, secret);

    let response = get(state.clone(), "/chat/site/widget", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let page = body_of(response).await;
    assert!(
        page.contains(
            r#"<script src="../../widget.js" data-comptoir-inbox="site" defer></script>"#
        ),
        "{page}"
    );

    // The name of an inbox is config, but it is still escaped where it lands in HTML.
    let path = "/chat/a%22b%3Ci%3E%26'/widget";
    let response = get(state.clone(), path, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = body_of(response).await;
    assert!(
        page.contains(r#"data-comptoir-inbox="a&quot;b&lt;i&gt;&amp;&#39;""#),
        "{page}"
    );
    assert!(
        !page.contains(hostile),
        "the raw name is nowhere in the page"
    );

    let response = get(state, "/chat/nope/widget", None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let body: Value = serde_json::from_str(&body_of(response).await).unwrap();
    assert_eq!(body["error"], "no such chat inbox");
}

// ---------------------------------------------------------------------------------------
// In a real browser

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_chats_by_keyboard_gets_the_reply_live_and_finds_it_after_a_reload() {
    let relay = Relay::start().await;
    let agent_name = "Camille <script>window.pwned=3</script>";
    let agent = relay.available_agent(agent_name).await;
    let chromium = Chromium::start();
    let c = chromium.session().await;
    load_page(&c, &relay).await;

    // Keyboard only: Tab reaches the launcher, Enter opens the panel and focus moves in.
    press(&c, Key::Tab).await;
    assert_eq!(active_id(&c).await, "comptoir-launcher");
    press(&c, Key::Enter).await;
    wait_for("focus in the pre-chat name field", || async {
        (active_id(&c).await == "comptoir-prechat-name").then_some(())
    })
    .await;
    let dialog = js(
        &c,
        "const p = document.getElementById('comptoir-panel'); \
         return [p.getAttribute('role'), p.hidden, \
           document.getElementById('comptoir-launcher').getAttribute('aria-expanded'), \
           document.getElementById('comptoir-log').getAttribute('aria-live')]",
    )
    .await;
    assert_eq!(
        dialog,
        serde_json::json!(["dialog", false, "true", "polite"])
    );

    let name = r#"Ana <img src=x onerror="window.pwned=1"><b>bold</b>"#;
    type_text(&c, name).await;
    press(&c, Key::Tab).await;
    assert_eq!(active_id(&c).await, "comptoir-prechat-email");
    type_text(&c, "ana@example.com").await;
    press(&c, Key::Enter).await;
    wait_for("focus in the composer", || async {
        (active_id(&c).await == "comptoir-input").then_some(())
    })
    .await;

    let question = "Is the blue mug in stock? <script>window.pwned=2</script>";
    type_text(&c, question).await;
    press(&c, Key::Enter).await;

    // Committed to the store, once, with the visitor's name and email on the contact.
    let (conversation, thread) = relay.chat_with("the message in the store", question).await;
    assert_eq!(thread.len(), 1, "stored once: {thread:?}");
    assert_eq!(conversation.customer_name.as_deref(), Some(name));
    assert!(
        conversation.thread_key.starts_with("v_"),
        "{conversation:?}"
    );
    let stored_id = thread[0].id.0;
    wait_for("the sent message to be confirmed in the widget", || async {
        let items = log_items(&c).await;
        (items.len() == 1 && items[0].3 == Some(stored_id)).then_some(())
    })
    .await;

    // An agent answers through the real outbox and the chat channel; the reply comes
    // over the event stream while the panel is open.
    let reply = "<b>Yes</b>, 3 left & <img src=x onerror=\"window.pwned=4\"> ships today";
    let conversation_id = conversation.id;
    let reply_id = relay
        .store
        .call(move |store| store.queue_reply(conversation_id, agent, reply, Timestamp::now()))
        .await
        .unwrap();
    let mut outbox = Outbox::new(relay.store.clone(), RetryPolicy::default());
    outbox.add_channel(Arc::new(ChatChannel::new(
        "site",
        relay.state.hub().clone(),
        relay.store.clone(),
    )));
    assert_eq!(outbox.deliver_due().await.unwrap(), 1, "the reply went out");

    let expected = vec![
        (
            "visitor".to_owned(),
            name.to_owned(),
            question.to_owned(),
            Some(stored_id),
        ),
        (
            "agent".to_owned(),
            agent_name.to_owned(),
            reply.to_owned(),
            Some(reply_id.0),
        ),
    ];
    wait_for("the agent's reply in the widget", || async {
        (log_items(&c).await == expected).then_some(())
    })
    .await;
    // Every hostile string is text: no element was made from it and nothing ran.
    assert_eq!(injected(&c).await, serde_json::json!([0, true]));

    // Esc closes the panel and gives the focus back to the launcher.
    press(&c, Key::Escape).await;
    assert_eq!(active_id(&c).await, "comptoir-launcher");
    assert_eq!(
        js(
            &c,
            "return document.getElementById('comptoir-panel').hidden"
        )
        .await,
        true
    );

    // A reply while the panel is closed still arrives, and the launcher says so.
    let later = "Anything else?";
    let later_id = relay
        .store
        .call(move |store| store.queue_reply(conversation_id, agent, later, Timestamp::now()))
        .await
        .unwrap();
    assert_eq!(
        outbox.deliver_due().await.unwrap(),
        1,
        "the second reply went out"
    );
    wait_js(
        &c,
        "the unread dot on the launcher",
        "return !document.querySelector('#comptoir-launcher .comptoir-unread').hidden",
    )
    .await;
    let mut expected = expected;
    expected.push((
        "agent".to_owned(),
        agent_name.to_owned(),
        later.to_owned(),
        Some(later_id.0),
    ));

    // A reload finds the conversation again from localStorage: the history is replayed,
    // and the pre-chat form is not asked again.
    c.refresh().await.unwrap();
    wait_js(
        &c,
        "the launcher after the reload",
        "const l = document.getElementById('comptoir-launcher'); \
         return !!l && l.offsetParent !== null",
    )
    .await;
    click(&c, "comptoir-launcher").await;
    wait_for("the history after the reload", || async {
        (log_items(&c).await == expected).then_some(())
    })
    .await;
    assert_eq!(
        active_id(&c).await,
        "comptoir-input",
        "straight to the composer"
    );
    assert_eq!(injected(&c).await, serde_json::json!([0, true]));

    // The retried-once guarantee held end to end: still one visitor message stored.
    let chats = relay.chats().await;
    assert_eq!(chats.len(), 1);
    let kinds: Vec<MessageKind> = chats[0].1.iter().map(|m| m.kind).collect();
    assert_eq!(
        kinds,
        [
            MessageKind::Inbound,
            MessageKind::Outbound,
            MessageKind::Outbound
        ]
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_phone_sized_screen_the_panel_fills_it() {
    let relay = Relay::start().await;
    let chromium = Chromium::start();
    let c = chromium.session().await;
    c.set_window_size(360, 740).await.unwrap();
    load_page(&c, &relay).await;
    click(&c, "comptoir-launcher").await;
    let sizes = js(
        &c,
        "const r = document.getElementById('comptoir-panel').getBoundingClientRect(); \
         return [r.left, r.top, r.width, r.height, window.innerWidth, window.innerHeight, \
                 document.documentElement.scrollWidth]",
    )
    .await;
    let n = |i: usize| sizes[i].as_f64().unwrap();
    assert!(n(4) <= 480.0, "the viewport is phone-sized: {sizes}");
    assert_eq!(
        (n(0), n(1)),
        (0.0, 0.0),
        "the panel starts at the corner: {sizes}"
    );
    assert_eq!(n(2), n(4), "the panel is as wide as the screen: {sizes}");
    assert_eq!(n(3), n(5), "the panel is as tall as the screen: {sizes}");
    assert!(n(6) <= n(4), "nothing scrolls sideways: {sizes}");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_answer_is_lost_is_sent_again_and_stored_once() {
    let relay = Relay::start().await;
    relay.available_agent("Camille").await;
    let chromium = Chromium::start();
    let c = chromium.session().await;
    load_page(&c, &relay).await;
    // The first message POST reaches the relay, but the page never hears the answer (a
    // dropped connection, as on a train); the widget must try again with the same id.
    js(
        &c,
        "const real = window.fetch; window.lost = 0; window.posts = 0; \
         window.fetch = function (url, init) { \
           const p = real.apply(this, arguments); \
           if (String(url).endsWith('/messages')) window.posts += 1; \
           if (String(url).endsWith('/messages') && window.lost === 0) { \
             window.lost = 1; \
             return p.then(() => { throw new TypeError('network error'); }); \
           } \
           return p; }; \
         return true",
    )
    .await;
    click(&c, "comptoir-launcher").await;
    click(&c, "comptoir-prechat-skip").await;
    type_into(&c, "comptoir-input", "Do you ship to Belgium?").await;
    click(&c, "comptoir-send").await;
    wait_js(
        &c,
        "the widget to send it again",
        "return window.posts === 2",
    )
    .await;
    wait_for("the message confirmed after the retry", || async {
        let items = log_items(&c).await;
        (items.len() == 1 && items[0].3.is_some()).then_some(())
    })
    .await;
    assert_eq!(js(&c, "return window.lost").await, 1, "one answer was lost");
    let same = "return performance.getEntriesByType('resource') \
        .filter(e => e.name.endsWith('/messages')).length";
    assert_eq!(js(&c, same).await, 2, "two POSTs reached the network");
    let chats = relay.chats().await;
    assert_eq!(chats.len(), 1);
    let bodies: Vec<&str> = chats[0].1.iter().map(|m| m.body.as_str()).collect();
    assert_eq!(bodies, ["Do you ship to Belgium?"], "stored once");
    assert_eq!(
        log_items(&c).await[0].1,
        "You",
        "no name given: the visitor is 'You'"
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_hours_the_offline_form_says_when_someone_is_back_and_lands_in_the_queue() {
    // Open one hour a week, two days from now in Paris: closed now, back then. An agent
    // at their desk does not make the chat live outside hours.
    let paris = TimeZone::get("Europe/Paris").unwrap();
    let open_day = Timestamp::now()
        .to_zoned(paris.clone())
        .date()
        .checked_add(2.days())
        .unwrap();
    let mut week: [Vec<Shift>; 7] = Default::default();
    let day = usize::try_from(open_day.weekday().to_monday_zero_offset()).unwrap();
    week[day] = vec![Shift {
        start: 9 * 60,
        end: 10 * 60,
    }];
    let hours = BusinessHours::from_config(Some(&HoursConfig {
        timezone: "Europe/Paris".to_owned(),
        week,
        holidays: Vec::new(),
    }));
    let back = open_day.at(9, 0, 0, 0).to_zoned(paris).unwrap().timestamp();
    let relay =
        Relay::start_with(|state| state.with_presence(hours, PresenceConfig::default())).await;
    relay.available_agent("Camille").await;

    // The visitor is in Tokyo: the widget tells the time there.
    let chromium = Chromium::start_in_timezone("Asia/Tokyo");
    let c = chromium.session().await;
    load_page(&c, &relay).await;
    press(&c, Key::Tab).await;
    press(&c, Key::Enter).await;
    wait_for("focus in the offline form", || async {
        (active_id(&c).await == "comptoir-offline-name").then_some(())
    })
    .await;
    let shown = js(
        &c,
        "return ['comptoir-prechat', 'comptoir-composer', 'comptoir-offline'] \
           .map(id => !document.getElementById(id).hidden)",
    )
    .await;
    assert_eq!(
        shown,
        serde_json::json!([false, false, true]),
        "only the offline form"
    );
    let told = js(
        &c,
        "return document.getElementById('comptoir-back').textContent",
    )
    .await;
    let told = told.as_str().unwrap();
    let tokyo = back.to_zoned(TimeZone::get("Asia/Tokyo").unwrap());
    for part in [
        tokyo.strftime("%A").to_string(),
        tokyo.strftime("%B %-d").to_string(),
        tokyo.strftime("%-I:%M").to_string(),
        tokyo.strftime("%p").to_string(),
        "GMT+9".to_owned(),
    ] {
        assert!(told.contains(&part), "{part:?} in {told:?}");
    }

    let name = "Bo <script>window.pwned=5</script>";
    let text = "Please call me back <b>tomorrow</b>";
    type_text(&c, name).await;
    press(&c, Key::Tab).await;
    type_text(&c, "bo@example.com").await;
    press(&c, Key::Tab).await;
    type_text(&c, text).await;
    press(&c, Key::Tab).await;
    assert_eq!(active_id(&c).await, "comptoir-offline-send");
    press(&c, Key::Enter).await;

    let (conversation, thread) = relay
        .chat_with("the offline message in the queue", text)
        .await;
    assert_eq!(thread.len(), 1, "stored once: {thread:?}");
    assert_eq!(conversation.customer_name.as_deref(), Some(name));
    wait_js(
        &c,
        "the thank-you note",
        "return !document.getElementById('comptoir-offline-done').hidden",
    )
    .await;
    let thanks = js(
        &c,
        "return document.getElementById('comptoir-offline-done').textContent",
    )
    .await;
    assert_eq!(
        thanks.as_str().unwrap(),
        format!("Thank you, {name}. We will answer at bo@example.com.")
    );
    assert_eq!(injected(&c).await, serde_json::json!([0, true]));
    c.close().await.unwrap();
}

/// A TCP proxy in front of the relay that the test can cut (every connection dropped,
/// new ones closed at once, as when a phone loses its network) and restore.
struct Proxy {
    base: String,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    async fn start(target: &str) -> Proxy {
        let target = target.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let cut = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let (flag, held) = (cut.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if flag.load(Ordering::SeqCst) {
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                held.lock().unwrap().push(task.abort_handle());
            }
        });
        Proxy {
            base,
            cut,
            connections,
        }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_whose_connection_drops_sees_reconnecting_then_the_reply_sent_meanwhile() {
    let relay = Relay::start().await;
    let agent = relay.available_agent("Camille").await;
    let proxy = Proxy::start(&relay.base).await;
    let chromium = Chromium::start();
    let c = chromium.session().await;
    c.goto(&format!("{}/chat/site/widget", proxy.base))
        .await
        .unwrap();
    wait_js(
        &c,
        "the launcher to show",
        "const l = document.getElementById('comptoir-launcher'); \
         return !!l && l.offsetParent !== null",
    )
    .await;
    click(&c, "comptoir-launcher").await;
    click(&c, "comptoir-prechat-skip").await;
    type_into(&c, "comptoir-input", "Hello?").await;
    press(&c, Key::Enter).await;
    let (conversation, _) = wait_for("the message in the store", || async {
        relay.chats().await.into_iter().next()
    })
    .await;
    let notice = "const n = document.getElementById('comptoir-notice'); \
                  return n.hidden ? '' : n.textContent";
    wait_for("the event stream to be open", || async {
        let open = js(&c, notice).await == "" && log_items(&c).await.iter().all(|i| i.3.is_some());
        open.then_some(())
    })
    .await;

    proxy.cut();
    wait_for("the reconnecting notice", || async {
        (js(&c, notice).await == "Reconnecting\u{2026}").then_some(())
    })
    .await;

    // The reply goes out while the visitor is unreachable: it is in the store, and the
    // stream's replay brings it once the network is back.
    let conversation_id = conversation.id;
    let reply_id = relay
        .store
        .call(move |store| {
            store.queue_reply(
                conversation_id,
                agent,
                "Hi, how can I help?",
                Timestamp::now(),
            )
        })
        .await
        .unwrap();
    let mut outbox = Outbox::new(relay.store.clone(), RetryPolicy::default());
    outbox.add_channel(Arc::new(ChatChannel::new(
        "site",
        relay.state.hub().clone(),
        relay.store.clone(),
    )));
    assert_eq!(outbox.deliver_due().await.unwrap(), 1);
    proxy.restore();

    wait_for("the reply after reconnecting", || async {
        let items = log_items(&c).await;
        (items.len() == 2 && items[1].3 == Some(reply_id.0)).then_some(())
    })
    .await;
    wait_for("the notice to clear", || async {
        (js(&c, notice).await == "").then_some(())
    })
    .await;
    let texts: Vec<String> = log_items(&c).await.into_iter().map(|i| i.2).collect();
    assert_eq!(
        texts,
        ["Hello?", "Hi, how can I help?"],
        "each message once"
    );
    c.close().await.unwrap();
}

/// Serves, on `listener`, a shop's own page embedding the widget from the relay at
/// `relay_base` with the one line a shop adds.
fn serve_shop_page(listener: TcpListener, relay_base: &str) {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Boutique</title></head><body><h1>Boutique</h1>\
         <script src=\"{relay_base}/widget.js\" data-comptoir-inbox=\"site\" defer></script>\
         </body></html>"
    );
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || async move { axum::response::Html(html) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_page_on_an_allowed_origin_chats_with_the_relay_its_script_tag_names() {
    // The shop is another origin (another port); the relay lets it in by name.
    let shop = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let shop_base = format!("http://{}", shop.local_addr().unwrap());
    let origin = shop_base.clone();
    let relay = Relay::start_with(move |state| state.with_origins("site", vec![origin])).await;
    let agent = relay.available_agent("Camille").await;
    serve_shop_page(shop, &relay.base);

    let chromium = Chromium::start();
    let c = chromium.session().await;
    c.goto(&format!("{shop_base}/")).await.unwrap();
    wait_js(
        &c,
        "the launcher on the shop's page",
        "const l = document.getElementById('comptoir-launcher'); \
         return !!l && l.offsetParent !== null",
    )
    .await;
    click(&c, "comptoir-launcher").await;
    // The status came across origins: the header says the chat is live.
    wait_js(
        &c,
        "the chat to say it is live",
        "return document.getElementById('comptoir-presence').textContent === 'We are online'",
    )
    .await;
    click(&c, "comptoir-prechat-skip").await;
    type_into(&c, "comptoir-input", "From the shop's page").await;
    press(&c, Key::Enter).await;
    let (conversation, _) = wait_for("the message in the store", || async {
        relay.chats().await.into_iter().next()
    })
    .await;
    let conversation_id = conversation.id;
    let reply_id = relay
        .store
        .call(move |store| store.queue_reply(conversation_id, agent, "Welcome!", Timestamp::now()))
        .await
        .unwrap();
    let mut outbox = Outbox::new(relay.store.clone(), RetryPolicy::default());
    outbox.add_channel(Arc::new(ChatChannel::new(
        "site",
        relay.state.hub().clone(),
        relay.store.clone(),
    )));
    assert_eq!(outbox.deliver_due().await.unwrap(), 1);
    wait_for("the reply over the cross-origin stream", || async {
        let items = log_items(&c).await;
        (items.len() == 2 && items[1].3 == Some(reply_id.0)).then_some(())
    })
    .await;
    // The visitor's identity is kept under the relay's name, in the shop's storage.
    let key = js(&c, "return Object.keys(localStorage)").await;
    assert_eq!(
        key,
        serde_json::json!([format!("comptoir:{}/:site", relay.base)])
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_last_agent_steps_away_the_open_widget_turns_into_the_offline_form_and_back() {
    // No grace period, so the change shows as soon as the relay sees it.
    let presence = PresenceConfig {
        grace_seconds: 0,
        ..PresenceConfig::default()
    };
    let relay =
        Relay::start_with(|state| state.with_presence(BusinessHours::always(), presence)).await;
    let agent = relay.available_agent("Camille").await;
    let chromium = Chromium::start();
    let c = chromium.session().await;
    load_page(&c, &relay).await;
    click(&c, "comptoir-launcher").await;
    click(&c, "comptoir-prechat-skip").await;
    type_into(&c, "comptoir-input", "Are you there?").await;
    press(&c, Key::Enter).await;
    let forms = "return ['comptoir-composer', 'comptoir-offline'] \
                 .map(id => !document.getElementById(id).hidden)";
    wait_for("the message confirmed, the composer shown", || async {
        let items = log_items(&c).await;
        let confirmed = items.len() == 1 && items[0].3.is_some();
        (confirmed && js(&c, forms).await == serde_json::json!([true, false])).then_some(())
    })
    .await;

    // Nothing reloads and nobody polls here: the stream's status event does it.
    relay
        .store
        .call(move |store| store.set_availability(agent, Availability::Away))
        .await
        .unwrap();
    wait_for("the offline form", || async {
        (js(&c, forms).await == serde_json::json!([false, true])).then_some(())
    })
    .await;
    assert_eq!(
        active_id(&c).await,
        "comptoir-offline-name",
        "focus follows the form"
    );

    relay
        .store
        .call(move |store| {
            store.set_availability(agent, Availability::Available)?;
            store.record_input(agent, Timestamp::now())
        })
        .await
        .unwrap();
    wait_for("the composer again", || async {
        (js(&c, forms).await == serde_json::json!([true, false])).then_some(())
    })
    .await;
    assert_eq!(
        log_items(&c).await.len(),
        1,
        "the conversation is still there"
    );
    c.close().await.unwrap();
}
