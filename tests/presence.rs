//! `GET /chat/{name}/status` driven with tower's `oneshot` on the relay's router, over a
//! real store whose agents are written the way their TUIs write them: available, away,
//! idle, gone, just left (the grace period), outside business hours, on a holiday.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use comptoir::channels::relay::server::{RelayState, router};
use comptoir::channels::relay::signature::WebhookSecret;
use comptoir::config::{HoursConfig, PresenceConfig, Shift, WEEKDAYS};
use comptoir::model::{AgentId, Availability};
use comptoir::presence::BusinessHours;
use comptoir::store::{SharedStore, Store};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde_json::{Value, json};
use tower::ServiceExt;

const SECRET: &str = "whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

struct Fixture {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    hours: BusinessHours,
    presence: PresenceConfig,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        Store::open(&path).unwrap();
        Fixture {
            _dir: dir,
            path,
            hours: BusinessHours::always(),
            presence: PresenceConfig::default(),
        }
    }

    /// A second connection, as an agent's TUI in another process would have.
    fn store(&self) -> Store {
        Store::open(&self.path).unwrap()
    }

    /// An agent whose TUI last beat and saw input `ago` before now, with this toggle.
    fn agent(&self, name: &str, toggle: Availability, ago: SignedDuration) -> AgentId {
        let mut store = self.store();
        let id = store.ensure_agent(name).unwrap();
        let at = Timestamp::now() - ago;
        store
            .set_availability_at(id, Availability::Available, at)
            .unwrap();
        store.record_input(id, at).unwrap();
        store.set_availability_at(id, toggle, at).unwrap();
        id
    }

    async fn status(&self, inbox: &str) -> (StatusCode, Value) {
        let state = RelayState::new(SharedStore::new(self.store()))
            .with_inbox("site", WebhookSecret::parse(SECRET).unwrap())
            .with_presence(self.hours.clone(), self.presence);
        let request = Request::get(format!("/chat/{inbox}/status"))
            .body(Body::empty())
            .unwrap();
        let response = router(state).oneshot(request).await.unwrap();
        let status = response.status();
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/json",
            "every answer is JSON ({status})"
        );
        if status == StatusCode::OK {
            assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        }
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }
}

fn hours(week: [Vec<Shift>; 7], holidays: Vec<Date>) -> BusinessHours {
    BusinessHours::from_config(Some(&HoursConfig {
        timezone: "UTC".to_owned(),
        week,
        holidays,
    }))
}

fn today() -> Date {
    Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

fn weekday_index(date: Date) -> usize {
    usize::try_from(date.weekday().to_monday_zero_offset()).unwrap()
}

#[tokio::test]
async fn an_unknown_inbox_is_404_json() {
    let f = Fixture::new();
    let (status, body) = f.status("elsewhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"error": "no such chat inbox"}));
}

#[tokio::test]
async fn live_while_agents_are_available_and_counts_only_those() {
    let f = Fixture::new();
    let (status, body) = f.status("site").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"available": false, "agents": 0, "next_available": null, "timezone": "UTC", "hours": null}),
        "nobody has ever opened a TUI"
    );

    f.agent(
        "Camille",
        Availability::Available,
        SignedDuration::from_secs(5),
    );
    f.agent(
        "Yanis",
        Availability::Available,
        SignedDuration::from_secs(20),
    );
    f.agent("Inès", Availability::Away, SignedDuration::from_mins(30));
    let (_, body) = f.status("site").await;
    assert_eq!(
        body,
        json!({"available": true, "agents": 2, "next_available": null, "timezone": "UTC", "hours": null})
    );
}

#[tokio::test]
async fn away_idle_and_gone_agents_leave_the_chat_to_messages() {
    let f = Fixture::new();
    // Away by the toggle, though active a second ago.
    f.agent("Camille", Availability::Away, SignedDuration::from_mins(5));
    // Toggled available, TUI open (fresh heartbeat), but no input for 12 minutes.
    let yanis = f.agent(
        "Yanis",
        Availability::Available,
        SignedDuration::from_mins(12),
    );
    f.store().touch_agent(yanis, Timestamp::now()).unwrap();
    // Toggled available, but the TUI stopped beating 4 minutes ago (a killed session).
    f.agent(
        "Inès",
        Availability::Available,
        SignedDuration::from_mins(4),
    );
    let (_, body) = f.status("site").await;
    assert_eq!(body["available"], false, "{body}");
    assert_eq!(body["agents"], 0, "{body}");

    // Input again: Yanis counts.
    f.store().record_input(yanis, Timestamp::now()).unwrap();
    let (_, body) = f.status("site").await;
    assert_eq!(
        (&body["available"], &body["agents"]),
        (&json!(true), &json!(1))
    );
}

#[tokio::test]
async fn the_chat_outlives_the_last_agent_by_the_grace_period() {
    let mut f = Fixture::new();
    let camille = f.agent("Camille", Availability::Available, SignedDuration::ZERO);
    // Quitting the TUI sets offline; a restart a few seconds later must not flap.
    f.store()
        .set_availability_at(camille, Availability::Offline, Timestamp::now())
        .unwrap();
    let (_, body) = f.status("site").await;
    assert_eq!(
        body,
        json!({"available": true, "agents": 0, "next_available": null, "timezone": "UTC", "hours": null}),
        "within the default 60 s grace"
    );
    f.presence.grace_seconds = 0;
    let (_, body) = f.status("site").await;
    assert_eq!(body["available"], false, "{body}");
}

#[tokio::test]
async fn outside_hours_says_when_the_next_range_opens() {
    let mut f = Fixture::new();
    f.agent("Camille", Availability::Available, SignedDuration::ZERO);
    // Open only 09:00-10:00 on the weekday three days from now: closed today whatever
    // the time, and still the same answer if the request runs after midnight.
    let opening = today().checked_add(3.days()).unwrap();
    let mut week: [Vec<Shift>; 7] = Default::default();
    week[weekday_index(opening)] = vec![Shift {
        start: 9 * 60,
        end: 10 * 60,
    }];
    f.hours = hours(week, Vec::new());
    let (status, body) = f.status("site").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({
            "available": false,
            "agents": 1,
            "next_available": format!("{opening}T09:00:00Z"),
            "timezone": "UTC",
            "hours": {
                "mon": [], "tue": [], "wed": [], "thu": [], "fri": [], "sat": [], "sun": [],
                WEEKDAYS[weekday_index(opening)]: ["09:00-10:00"],
                "holidays": [],
            },
        })
    );
}

#[tokio::test]
async fn a_holiday_is_closed_all_day_and_skipped() {
    let mut f = Fixture::new();
    f.agent("Camille", Availability::Available, SignedDuration::ZERO);
    let day = |n: i64| today().checked_add(n.days()).unwrap();
    // Open all day every day, except yesterday, today and tomorrow: the answer is the
    // day after tomorrow at midnight, even if the request runs after today's midnight.
    let all_day: [Vec<Shift>; 7] = std::array::from_fn(|_| {
        vec![Shift {
            start: 0,
            end: 24 * 60,
        }]
    });
    f.hours = hours(all_day.clone(), vec![day(-1), day(0), day(1)]);
    let (_, body) = f.status("site").await;
    assert_eq!(body["available"], false, "{body}");
    assert_eq!(
        body["next_available"],
        format!("{}T00:00:00Z", day(2)),
        "{body}"
    );
    assert_eq!(
        body["hours"]["holidays"],
        json!([day(-1).to_string(), day(0).to_string(), day(1).to_string()]),
        "{body}"
    );
    assert_eq!(body["hours"]["sun"], json!(["00:00-24:00"]), "{body}");

    // The same hours without the holidays: live now.
    f.hours = hours(all_day, Vec::new());
    let (_, body) = f.status("site").await;
    assert_eq!(
        (&body["available"], &body["agents"]),
        (&json!(true), &json!(1))
    );
}

#[tokio::test]
async fn the_timezone_is_the_one_of_the_hours() {
    let mut f = Fixture::new();
    f.hours = BusinessHours::from_config(Some(&HoursConfig {
        timezone: "Europe/Paris".to_owned(),
        week: Default::default(),
        holidays: Vec::new(),
    }));
    let (_, body) = f.status("site").await;
    assert_eq!(
        body,
        json!({
            "available": false,
            "agents": 0,
            "next_available": null,
            "timezone": "Europe/Paris",
            "hours": {
                "mon": [], "tue": [], "wed": [], "thu": [], "fri": [], "sat": [], "sun": [],
                "holidays": [],
            },
        }),
        "a week without ranges never opens"
    );
}
