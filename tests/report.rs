//! Response reports on a store whose right answers are known: three channels, two agents,
//! first replies after a known number of minutes, conversations never answered, resolved
//! by an agent or by comptoir, reopened and resolved again, automated messages and notes
//! that must count for nothing; then `comptoir report` as a user runs it.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use std::path::Path;
use std::process::Output;

use common::{at, chat, comptoir_in as comptoir, email};
use comptoir::channels::Inbound;
use comptoir::ingest::{self, Outcome};
use comptoir::model::{AgentId, Channel, ConversationId, Status, StatusName};
use comptoir::report::{self, Figures, Format, Period, Report};
use comptoir::store::{StatusChange, Store};
use jiff::SignedDuration;
use jiff::tz::TimeZone;
use serde_json::Value;

const MIN: i64 = 60;
const DAY: i64 = 86_400;

/// The report covers `[at(0), at(7 days))`; it is computed two days after that.
fn period() -> Period {
    Period {
        since: at(0),
        until: at(7 * DAY),
    }
}

fn generated_at() -> jiff::Timestamp {
    at(9 * DAY)
}

fn mins(m: i64) -> Option<SignedDuration> {
    Some(SignedDuration::from_mins(m))
}

struct Shop {
    store: Store,
    camille: AgentId,
    karim: AgentId,
}

impl Shop {
    fn receive(&mut self, mut message: Inbound, secs: i64) -> ConversationId {
        message.sent_at = at(secs);
        match ingest::ingest(&mut self.store, &message, at(secs)).expect("ingest") {
            Outcome::New { conversation, .. } => conversation,
            other => panic!("not stored: {other:?}"),
        }
    }

    fn reply(&mut self, id: ConversationId, agent: AgentId, secs: i64) {
        self.store
            .queue_reply(id, agent, "Bonjour, voici la réponse.", at(secs))
            .expect("reply");
    }

    fn resolve(&mut self, id: ConversationId, by: AgentId, seen: StatusName, secs: i64) {
        let outcome = self
            .store
            .change_status(
                id,
                StatusChange {
                    status: Status::Resolved,
                    seen,
                    by,
                    now: at(secs),
                },
            )
            .expect("resolve");
        assert_eq!(outcome, comptoir::store::StatusOutcome::Applied);
    }
}

fn on(channel: Channel, mut m: Inbound) -> Inbound {
    m.channel = channel;
    m.account = "boutique".into();
    m
}

/// The shop of the module doc; each step says what it must (or must not) count for.
fn shop(path: &Path) -> Shop {
    let mut store = Store::open(path).expect("open");
    let camille = store.ensure_agent("Camille").expect("agent");
    let karim = store.ensure_agent("Karim").expect("agent");
    let mut s = Shop {
        store,
        camille,
        karim,
    };

    // A (email): first reply after 10 min by Camille, despite an acknowledgement at 1 min
    // and a note at 2; resolved at 60, reopened by the customer at 70, answered at 80 and
    // resolved again at 90: one resolution, of 90 min.
    let a = s.receive(
        email("a1", "alice@example.com", "<a@x>", "Ma commande ?"),
        0,
    );
    s.store
        .queue_auto_reply(a, "Boutique", "Nous revenons vite.", at(MIN))
        .expect("ack")
        .expect("the first acknowledgement is written");
    s.store
        .add_note(a, s.camille, "Cliente fidèle", at(2 * MIN))
        .expect("note");
    s.reply(a, s.camille, 10 * MIN);
    s.resolve(a, s.camille, StatusName::Open, 60 * MIN);
    s.receive(
        email("a2", "alice@example.com", "<a@x>", "Merci !"),
        70 * MIN,
    );
    s.reply(a, s.camille, 80 * MIN);
    s.resolve(a, s.camille, StatusName::Open, 90 * MIN);

    // B (email): a bounce at 5 min starts nothing; the customer's message at 20 does; Karim
    // answers at 50 (30 min). The customer writes again at 100 and still waits, assigned
    // to Karim.
    let mut bounce = email("b0", "bob@example.com", "<b@x>", "Mail delivery failed");
    bounce.automated = true;
    let b = s.receive(bounce, 5 * MIN);
    s.receive(email("b1", "bob@example.com", "<b@x>", "Bonjour"), 20 * MIN);
    s.reply(b, s.karim, 50 * MIN);
    s.store.assign(b, Some(s.karim)).expect("assign");
    s.receive(
        email("b2", "bob@example.com", "<b@x>", "Et alors ?"),
        100 * MIN,
    );

    // C (chat), a day later: Camille answers in 2 min; comptoir itself resolves it after
    // an hour, so the resolution is credited to the assignee, Karim.
    let c = s.receive(chat("c1", "visitor-c", "Bonjour"), DAY);
    s.reply(c, s.camille, DAY + 2 * MIN);
    s.store.assign(c, Some(s.karim)).expect("assign");
    s.store
        .set_status(c, Status::Resolved, at(DAY + 60 * MIN))
        .expect("resolve");

    // D (chat), two days in: only an acknowledgement and a note; never answered, waits.
    let d = s.receive(chat("d1", "visitor-d", "Il y a quelqu'un ?"), 2 * DAY);
    s.store
        .queue_auto_reply(d, "Boutique", "Nous revenons vite.", at(2 * DAY + MIN))
        .expect("ack");
    s.store
        .add_note(d, s.karim, "À rappeler", at(2 * DAY + 20 * MIN))
        .expect("note");

    // E (WhatsApp): Karim answers after 4 hours and resolves an hour later (300 min).
    let e = s.receive(
        on(Channel::Whatsapp, chat("e1", "+33600000001", "Hello")),
        2 * DAY + 120 * MIN,
    );
    s.reply(e, s.karim, 2 * DAY + 360 * MIN);
    s.resolve(e, s.karim, StatusName::Open, 2 * DAY + 420 * MIN);

    // F (WhatsApp): never answered, resolved by Camille after 100 min (spam).
    let f = s.receive(
        on(Channel::Whatsapp, chat("f1", "+33600000002", "Promo !!!")),
        3 * DAY,
    );
    s.resolve(f, s.camille, StatusName::Open, 3 * DAY + 100 * MIN);

    // G (email) started two days before the period: its reply (at 30 min) and resolution
    // (at 40 min, 2 days 40 min after it started) are in the period; it is not one of the
    // period's conversations.
    let g = s.receive(email("g1", "gus@example.com", "<g@x>", "Avant"), -2 * DAY);
    s.reply(g, s.camille, 30 * MIN);
    s.resolve(g, s.camille, StatusName::Open, 40 * MIN);

    // H (chat) starts after the period: it only waits now.
    s.receive(chat("h1", "visitor-h", "Encore moi"), 8 * DAY);
    s
}

fn utc() -> TimeZone {
    TimeZone::UTC
}

fn the_report(path: &Path) -> Report {
    let mut s = shop(path);
    report::compute(&mut s.store, period(), &utc(), generated_at()).expect("report")
}

fn row<'a>(rows: &'a [Figures], key: &str) -> &'a Figures {
    rows.iter()
        .find(|f| f.key == key)
        .unwrap_or_else(|| panic!("no row {key}"))
}

#[test]
fn figures_per_channel_are_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let r = the_report(&dir.path().join("store.sqlite"));
    let keys: Vec<&str> = r.channels.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys, ["email", "chat", "whatsapp"], "in Channel::ALL order");

    let email = row(&r.channels, "email");
    assert_eq!(email.conversations, 2, "A and B; G started before");
    assert_eq!(
        email.inbound_messages,
        Some(4),
        "A×2, B×2; the bounce is not one"
    );
    assert_eq!(
        email.outbound_messages, 4,
        "A×2, B, G; not the acknowledgement"
    );
    assert_eq!(
        (
            email.first_response.count,
            email.first_response.p50,
            email.first_response.p90
        ),
        (2, mins(10), mins(30)),
        "the acknowledgement and the note answer nothing; the bounce starts nothing"
    );
    assert_eq!(
        (
            email.resolution.count,
            email.resolution.p50,
            email.resolution.p90
        ),
        (2, mins(90), mins(2 * 24 * 60 + 40)),
        "A's last resolution; G's counts where it happened"
    );
    assert_eq!(email.never_answered, Some(0));
    assert_eq!(
        (email.waiting_now, email.oldest_waiting_since),
        (1, Some(at(100 * MIN)))
    );

    let chat = row(&r.channels, "chat");
    assert_eq!(chat.conversations, 2, "C and D; H started after");
    assert_eq!(
        (chat.inbound_messages, chat.outbound_messages),
        (Some(2), 1)
    );
    assert_eq!(
        (
            chat.first_response.count,
            chat.first_response.p50,
            chat.first_response.p90
        ),
        (1, mins(2), mins(2))
    );
    assert_eq!(
        chat.never_answered,
        Some(1),
        "D: an acknowledgement is no answer"
    );
    assert_eq!(chat.never_answered_rate(), Some(0.5));
    assert_eq!((chat.resolution.count, chat.resolution.p50), (1, mins(60)));
    assert_eq!(
        (chat.waiting_now, chat.oldest_waiting_since),
        (2, Some(at(2 * DAY))),
        "D and H wait now, whatever the period"
    );

    let wa = row(&r.channels, "whatsapp");
    assert_eq!(
        (
            wa.first_response.count,
            wa.first_response.p50,
            wa.first_response.p90
        ),
        (1, mins(240), mins(240))
    );
    assert_eq!(
        (wa.resolution.count, wa.resolution.p50, wa.resolution.p90),
        (2, mins(100), mins(300))
    );
    assert_eq!((wa.never_answered, wa.waiting_now), (Some(1), 0));

    let t = &r.total;
    assert_eq!(t.conversations, 6);
    assert_eq!((t.inbound_messages, t.outbound_messages), (Some(8), 6));
    assert_eq!(
        (
            t.first_response.count,
            t.first_response.p50,
            t.first_response.p90
        ),
        (4, mins(10), mins(240)),
        "nearest rank over 2, 10, 30, 240 minutes"
    );
    assert_eq!(
        (t.resolution.count, t.resolution.p50, t.resolution.p90),
        (5, mins(100), mins(2 * 24 * 60 + 40)),
        "nearest rank over 60, 90, 100, 300, 2920 minutes"
    );
    assert_eq!((t.never_answered, t.waiting_now), (Some(2), 3));
    assert_eq!(t.never_answered_rate(), Some(2.0 / 6.0));
    assert_eq!(t.oldest_waiting_since, Some(at(100 * MIN)));
}

#[test]
fn figures_per_agent_credit_who_answered_and_who_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let r = the_report(&dir.path().join("store.sqlite"));
    let keys: Vec<&str> = r.agents.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(keys, ["Camille", "Karim"]);

    let camille = row(&r.agents, "Camille");
    assert_eq!(camille.conversations, 2, "she answered A and C first");
    assert_eq!(camille.outbound_messages, 4, "A×2, C, G");
    assert_eq!(camille.inbound_messages, None, "an agent receives nothing");
    assert_eq!(
        (
            camille.first_response.count,
            camille.first_response.p50,
            camille.first_response.p90
        ),
        (2, mins(2), mins(10))
    );
    assert_eq!(
        (
            camille.resolution.count,
            camille.resolution.p50,
            camille.resolution.p90
        ),
        (3, mins(100), mins(2 * 24 * 60 + 40)),
        "A, F and G"
    );
    assert_eq!((camille.waiting_now, camille.never_answered), (0, None));

    let karim = row(&r.agents, "Karim");
    assert_eq!((karim.conversations, karim.outbound_messages), (2, 2));
    assert_eq!(
        (karim.first_response.p50, karim.first_response.p90),
        (mins(30), mins(240))
    );
    assert_eq!(
        (
            karim.resolution.count,
            karim.resolution.p50,
            karim.resolution.p90
        ),
        (2, mins(60), mins(300)),
        "E, and C which comptoir resolved while it was his"
    );
    assert_eq!(
        (karim.waiting_now, karim.oldest_waiting_since),
        (1, Some(at(100 * MIN))),
        "B waits, assigned to him"
    );
}

#[test]
fn days_hold_the_volume_of_each_local_day() {
    let dir = tempfile::tempdir().unwrap();
    let r = the_report(&dir.path().join("store.sqlite"));
    // at(0) is 14:13 UTC: the period touches eight dates, the first and last in part.
    assert_eq!(r.days.len(), 8);
    assert_eq!(r.days[0].date.to_string(), "2026-09-21");
    let volume: Vec<(u64, u64, u64)> = r
        .days
        .iter()
        .map(|d| (d.conversations, d.inbound_messages, d.outbound_messages))
        .collect();
    assert_eq!(
        volume,
        [
            (2, 4, 4),
            (1, 1, 1),
            (2, 2, 1),
            (1, 1, 0),
            (0, 0, 0),
            (0, 0, 0),
            (0, 0, 0),
            (0, 0, 0)
        ]
    );
}

#[test]
fn an_empty_period_has_no_rows_but_who_waits_now() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = shop(&dir.path().join("store.sqlite"));
    let before = Period {
        since: at(-30 * DAY),
        until: at(-20 * DAY),
    };
    let r = report::compute(&mut s.store, before, &utc(), generated_at()).unwrap();
    assert_eq!(r.total.conversations, 0);
    assert_eq!(r.total.first_response.count, 0);
    assert_eq!(r.total.first_response.p50, None);
    assert_eq!(r.total.resolution.count, 0);
    assert_eq!(r.total.never_answered_rate(), None);
    assert_eq!(r.total.waiting_now, 3);
    assert!(r.days.iter().all(|d| d.inbound_messages == 0));
    let json = r.json();
    assert_eq!(json["total"]["first_response_p50_seconds"], Value::Null);
    assert_eq!(json["total"]["never_answered_rate"], Value::Null);

    let empty_dir = tempfile::tempdir().unwrap();
    let mut empty = Store::open(&empty_dir.path().join("store.sqlite")).unwrap();
    let r = report::compute(&mut empty, period(), &utc(), generated_at()).unwrap();
    assert!(r.channels.is_empty() && r.agents.is_empty());
    let table = r.render(Format::Table, &utc());
    assert!(
        table.contains("Nothing happened in this period."),
        "{table}"
    );
    let csv = r.render(Format::Csv, &utc());
    assert_eq!(csv.lines().count(), 2, "the header and the total: {csv}");
}

#[test]
fn json_csv_and_table_carry_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    let r = the_report(&dir.path().join("store.sqlite"));

    let json = r.json();
    assert_eq!(json["since"], "2026-09-21T14:13:20Z");
    let email = &json["channels"][0];
    assert_eq!(email["channel"], "email");
    assert_eq!(email["first_responses"], 2);
    assert_eq!(email["first_response_p50_seconds"], 600);
    assert_eq!(email["first_response_p90_seconds"], 1_800);
    assert_eq!(email["resolution_p50_seconds"], 5_400);
    assert_eq!(email["oldest_wait_seconds"], 9 * DAY - 100 * MIN);
    assert_eq!(json["agents"][1]["agent"], "Karim");
    assert_eq!(json["agents"][1]["inbound_messages"], Value::Null);
    assert_eq!(json["agents"][1]["resolution_p90_seconds"], 18_000);
    assert_eq!(json["total"]["never_answered"], 2);
    assert_eq!(json["total"]["never_answered_rate"], 0.3333);
    assert_eq!(json["days"][2]["conversations"], 2);

    let csv = r.render(Format::Csv, &utc());
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "group,key,conversations,inbound_messages,outbound_messages,first_responses,\
         first_response_p50_seconds,first_response_p90_seconds,resolutions,\
         resolution_p50_seconds,resolution_p90_seconds,waiting_now,oldest_wait_seconds,\
         never_answered,never_answered_rate"
    );
    assert_eq!(
        lines.len(),
        1 + 3 + 2 + 1,
        "header, 3 channels, 2 agents, total"
    );
    assert_eq!(
        lines[1],
        "channel,email,2,4,4,2,600,1800,2,5400,175200,1,771600,0,0.0"
    );
    assert_eq!(
        lines[2],
        "channel,chat,2,2,1,1,120,120,1,3600,3600,2,604800,1,0.5"
    );
    assert_eq!(
        lines[5],
        "agent,Karim,2,,2,2,1800,14400,2,3600,18000,1,771600,,"
    );
    assert_eq!(
        lines[6],
        "total,,6,8,6,4,600,14400,5,6000,175200,3,771600,2,0.3333"
    );

    let table = r.render(Format::Table, &utc());
    for expected in [
        "Response report, 2026-09-21 14:13 to 2026-09-28 14:13 (UTC)",
        "By channel",
        "By agent",
        "  email",
        "    first response  p50 10m 00s   p90 30m 00s   (2 answered)",
        "    resolution      p50 1h 30m    p90 2d 00h    (2 resolved)",
        "    unanswered      1 never answered (50.0%), 2 waiting now (oldest 7d 00h)",
        "  Karim",
        "    volume          2 conversations, 2 replies",
        "    volume          6 conversations, 8 messages in, 6 replies",
    ] {
        assert!(table.contains(expected), "{expected:?} in\n{table}");
    }
}

fn run(cmd: &mut std::process::Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run comptoir");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn comptoir_report_prints_each_format_and_fails_in_one_line() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("shop");
    drop(shop(&data.join("store.sqlite")));
    let since = at(0).to_string();
    let until = at(7 * DAY).to_string();
    let report = |format: &str| {
        let mut cmd = comptoir(home.path());
        cmd.arg("--data-dir").arg(&data).args([
            "report", "--since", &since, "--until", &until, "--format", format,
        ]);
        run(&mut cmd)
    };

    let (code, out, _) = run(comptoir(home.path()).args(["report", "--help"]));
    assert_eq!(code, 0);
    assert!(out.contains("Usage:") && out.contains("--since"), "{out}");

    let (code, out, err) = report("json");
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(json["total"]["conversations"], 6);
    assert_eq!(json["total"]["first_response_p90_seconds"], 14_400);
    assert_eq!(json["agents"][0]["agent"], "Camille");

    let (code, out, _) = report("csv");
    assert_eq!(code, 0);
    assert!(out.starts_with("group,key,conversations,"), "{out}");
    assert!(
        out.contains("\nagent,Camille,2,,4,2,120,600,3,6000,175200,0,,,\n"),
        "{out}"
    );

    let (code, out, _) = report("table");
    assert_eq!(code, 0);
    assert!(out.contains("p50 10m 00s"), "{out}");

    let assert_usage = |(code, out, err): (i32, String, String), what: &str| {
        assert_eq!(code, 2, "{what}: {out} {err}");
        assert_eq!(err.lines().count(), 1, "{what}: {err}");
        assert!(err.starts_with("comptoir: ") && err.contains(what), "{err}");
        assert!(!err.contains("panicked"));
    };
    assert_usage(report("xml"), "--format \"xml\"");
    let mut cmd = comptoir(home.path());
    cmd.arg("--data-dir")
        .arg(&data)
        .args(["report", "--since", "last tuesday"]);
    assert_usage(run(&mut cmd), "--since \"last tuesday\"");
    let mut cmd = comptoir(home.path());
    cmd.arg("--data-dir")
        .arg(&data)
        .args(["report", "--since", "1d", "--until", "2d"]);
    assert_usage(run(&mut cmd), "the period is empty");
    let mut cmd = comptoir(home.path());
    cmd.arg("--data-dir")
        .arg(home.path().join("nowhere"))
        .arg("report");
    assert_usage(run(&mut cmd), "no store at");

    // The default period, the last seven days, is empty here (the shop is in 2026-09)
    // but for who waits now.
    let mut cmd = comptoir(home.path());
    cmd.arg("--data-dir")
        .arg(&data)
        .args(["report", "--format", "json"]);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["total"]["waiting_now"], 3);
}

fn screen(app: &comptoir::tui::app::App) -> String {
    let (w, h) = app.size;
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| comptoir::tui::view::draw(app, f))
        .unwrap();
    terminal.backend().to_string()
}

#[test]
fn the_overlay_opens_on_a_key_switches_period_and_closes_with_esc() {
    use comptoir::tui::app::{App, Effect};
    use comptoir::tui::key::parse_keys;
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let mut s = shop(&dir.path().join("store.sqlite"));
    for (keymap, open) in [("default", "gr"), ("vim", "gr"), ("emacs", "<C-x>r")] {
        let km = comptoir::tui::load_keymap(Some(keymap), None).unwrap();
        let mut app = App::new(s.camille, "Camille", Arc::new(km), utc(), generated_at());
        app.resize(110, 32);
        comptoir::tui::runner::reload(&mut s.store, &mut app).unwrap();
        let press = |app: &mut App, keys: &str| -> Vec<Effect> {
            parse_keys(keys)
                .unwrap()
                .into_iter()
                .flat_map(|k| app.key(k))
                .collect()
        };
        assert_eq!(press(&mut app, open), vec![Effect::Report(7)], "{keymap}");
        assert!(screen(&app).contains("Computing…"), "{keymap}");

        // The runner computes it (here with the real clock: the figures do not matter).
        comptoir::tui::runner::apply(&mut s.store, &mut app, &Effect::Report(7), None).unwrap();
        let shown = app.report.as_ref().and_then(|r| r.report.as_ref()).unwrap();
        assert_eq!(shown.total.waiting_now, 3);

        assert_eq!(press(&mut app, "3"), vec![Effect::Report(90)]);
        assert_eq!(press(&mut app, "<Down>"), vec![Effect::Report(7)], "wraps");
        assert_eq!(press(&mut app, "<Up>"), vec![Effect::Report(90)]);
        // The figures the runner would compute at the shop's time.
        let period = Period::last_days(90, generated_at());
        app.loaded_report(report::compute(&mut s.store, period, &utc(), generated_at()).unwrap());
        // A report for another period than the one now shown is dropped.
        let week = Period::last_days(7, generated_at());
        app.loaded_report(report::compute(&mut s.store, week, &utc(), generated_at()).unwrap());
        let view = app.report.as_ref().unwrap();
        assert_eq!(view.days, 90);
        assert_eq!(view.report.as_ref().unwrap().total.conversations, 8);

        let text = screen(&app);
        for expected in [
            " Report · last 90 days · 1 7d 2 30d [3 90d] · Esc closes ",
            "8 conversations · 10 messages in · 6 replies · 3 never answered (37.5%) · 3 waiting now",
            "First response p50 per channel",
            "Conversations per day",
            "email",
            "whatsapp",
            "4h 00m",
            "Camille",
            "first p50 10m 00s p90 2d 00h (3) · resolved p50 1h 40m p90 2d 00h (3) · 4 replies",
        ] {
            assert!(text.contains(expected), "{keymap}: {expected:?} in\n{text}");
        }

        // Keys meant for the overlay never reach the queue behind it.
        assert!(press(&mut app, "d").is_empty(), "{keymap}: no resolve");
        assert!(press(&mut app, "<Esc>").is_empty());
        assert!(app.report.is_none(), "{keymap}: Esc closes");
        assert!(!screen(&app).contains("Report · last"));
    }
    use comptoir::tui::action::Action;
    assert_eq!("report 30d".parse(), Ok(Action::Report(Some(30))));
    assert_eq!("report 90".parse(), Ok(Action::Report(Some(90))));
    assert_eq!("report".parse(), Ok(Action::Report(None)));
    assert!("report soon".parse::<Action>().is_err());
}
