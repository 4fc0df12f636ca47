//! Canned replies: files on disk read into a library (front matter, variants, errors with
//! file and line), the picker's ranking, variables (built-in, from a command, missing),
//! and the composer driven through `App::update` and the real keymap: insertion at the
//! cursor, `:reply NAME`, and the refusals (a gap, a reply over its channel's limit).

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use comptoir::config::CommandVariable;
use comptoir::model::{AgentId, Channel, Conversation, ConversationId, CustomerId, Status};
use comptoir::replies::{self, Context, Library, Outcome, command};
use comptoir::store::QueueStats;
use comptoir::tui::app::{App, Effect, Write};
use comptoir::tui::key::parse_keys;
use comptoir::tui::keymap::Mode;
use comptoir::tui::load_keymap;
use jiff::{Timestamp, tz::TimeZone};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A replies folder with a reply, its French and Telegram variants, and two more.
fn folder() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("replies");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("returns.pdf"), b"%PDF-1.4").unwrap();
    write(
        &dir,
        "refund.md",
        "---\nname: Refund policy\nshortcut: ref\ntags: [returns, money]\nattachments: [returns.pdf]\n---\n\
         Hello {{customer.first_name}},\n\n* Fill in the [form](https://shop.example/r)\n* Post it\n\n\
         {{agent.name}}, {{shop.name}}\n",
    );
    write(
        &dir,
        "refund.fr.md",
        "---\nshortcut: rembourser\n---\nBonjour {{customer.first_name}}, voici la marche à suivre.\n",
    );
    write(
        &dir,
        "refund.telegram.md",
        "---\n---\nHi {{ customer.first_name }}: see https://shop.example/r\n",
    );
    write(
        &dir,
        "referral.md",
        "---\nname: Referral programme\ntags: [friends]\n---\nInvite a friend: {{voucher}}\n",
    );
    write(
        &dir,
        "order.md",
        "---\nname: Where is my order\nshortcut: wismo\ntags: [shipping, tracking]\nchannels: [chat, email]\n---\n\
         Your order: {{order_status}}\n",
    );
    home
}

#[test]
fn a_folder_loads_with_its_variants() {
    let home = folder();
    let lib = Library::load(&home.path().join("replies"));
    assert!(lib.errors().is_empty(), "{:?}", lib.errors());
    let names: Vec<String> = lib.replies().iter().map(|r| r.label()).collect();
    assert_eq!(
        names,
        [
            "Where is my order",
            "Referral programme",
            "Refund policy",
            "Refund policy · fr"
        ]
    );
    let refund = &lib.replies()[lib.lookup("ref", None).unwrap()];
    assert_eq!(refund.tags, ["returns", "money"]);
    assert_eq!(refund.attachments.len(), 1);
    assert!(refund.body_for(Channel::Telegram).starts_with("Hi {{"));
    assert!(refund.body_for(Channel::Email).starts_with("Hello {{"));
    let fr = &lib.replies()[lib.lookup("rembourser", None).unwrap()];
    assert_eq!(fr.language.as_deref(), Some("fr"));
    assert_eq!(
        fr.tags, refund.tags,
        "a language variant takes the reply's tags"
    );
    assert_eq!(fr.shortcut.as_deref(), Some("rembourser"));
}

#[test]
fn errors_name_the_file_and_the_line_and_the_rest_still_loads() {
    let home = folder();
    let dir = home.path().join("replies");
    write(&dir, "bad.md", "---\nname: Bad\nchanels: [email]\n---\nx\n");
    write(
        &dir,
        "missing.md",
        "---\nname: Missing\nattachments:\n  - nowhere.pdf\n---\nx\n",
    );
    write(&dir, "orphan.instagram.md", "---\n---\nx\n");
    write(&dir, "zdup.md", "---\nname: Dup\nshortcut: ref\n---\nx\n");
    let lib = Library::load(&dir);
    let errors: Vec<String> = lib.errors().iter().map(ToString::to_string).collect();
    assert!(
        errors.contains(
            &"replies/bad.md:3: unknown key \"chanels\" (keys: name, shortcut, tags, channels, language, attachments)"
                .to_owned()
        ),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("replies/missing.md:4: attachment \"nowhere.pdf\" not found")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e
                .starts_with("replies/orphan.instagram.md:1: a instagram variant of orphan.md")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("replies/zdup.md:3: shortcut \"ref\" is already")),
        "{errors:#?}"
    );
    assert_eq!(lib.replies().len(), 4, "the good files still load");
}

#[test]
fn examples_are_written_once_and_never_over_the_shops_files() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("replies");
    let (lib, notice) = replies::open(&dir);
    assert!(lib.errors().is_empty(), "{:?}", lib.errors());
    assert!(lib.replies().len() >= 5);
    assert!(notice.unwrap().contains("Example canned replies written"));
    write(
        &dir,
        "greeting.md",
        "---\nname: Our own hello\n---\nHowdy\n",
    );
    std::fs::remove_file(dir.join("closing.md")).unwrap();
    let (lib, notice) = replies::open(&dir);
    assert_eq!(notice, None);
    assert!(
        lib.lookup("our own hello", None).is_some(),
        "the shop's edit stays"
    );
    assert!(
        lib.lookup("bye", None).is_none(),
        "a deleted example stays deleted"
    );
}

#[test]
fn picker_ranking_shortcut_first_then_fuzzy_with_typos_and_tags() {
    let home = folder();
    let lib = Library::load(&home.path().join("replies"));
    let label = |i: usize| lib.replies()[i].label();
    let first = |q: &str| lib.search(q, None, None).first().map(|&i| label(i));
    assert_eq!(
        first("ref").as_deref(),
        Some("Refund policy"),
        "the shortcut beats Referral"
    );
    assert!(
        lib.search("ref", None, None).len() >= 3,
        "fuzzy matches follow"
    );
    assert_eq!(
        first("refnd").as_deref(),
        Some("Refund policy"),
        "a dropped letter"
    );
    assert_eq!(
        first("tracking").as_deref(),
        Some("Where is my order"),
        "tags"
    );
    assert_eq!(first("friends").as_deref(), Some("Referral programme"));
    assert!(lib.search("qqqq", None, None).is_empty());
    let on_telegram = lib.search("order", Some(Channel::Telegram), None);
    assert!(
        on_telegram.iter().all(|&i| label(i) != "Where is my order"),
        "a reply for chat and email is not offered on Telegram"
    );
}

fn context(channel: Channel) -> Context {
    Context {
        conversation: ConversationId(42),
        channel,
        account: "site".into(),
        customer_name: Some("Ada Lovelace".into()),
        peer: "ada@example.com".into(),
        handles: vec!["ada@example.com".into(), "+33600000000".into()],
        agent_name: "Camille".into(),
        shop_name: None,
    }
}

#[test]
fn rendering_fills_what_is_known_and_leaves_gaps_visible() {
    let home = folder();
    let lib = Library::load(&home.path().join("replies"));
    let refund = &lib.replies()[lib.lookup("ref", None).unwrap()];
    let ctx = context(Channel::Chat);
    let text = replies::render(refund, Channel::Chat, |n| ctx.builtin(n));
    assert_eq!(
        text,
        "Hello Ada,\n\n- Fill in the form (https://shop.example/r)\n- Post it\n\nCamille, {{shop.name}}"
    );
    assert_eq!(replies::template::gaps(&text), ["shop.name"]);
    let tg = replies::render(refund, Channel::Telegram, |n| ctx.builtin(n));
    assert_eq!(
        tg, "Hi Ada: see https://shop.example/r",
        "the Telegram variant"
    );
    assert_eq!(ctx.builtin("conversation.id").as_deref(), Some("42"));
    assert_eq!(
        ctx.builtin("customer.name").as_deref(),
        Some("Ada Lovelace")
    );
}

fn variable(name: &str, command: &str, timeout: Duration) -> CommandVariable {
    CommandVariable {
        name: name.into(),
        command: command.into(),
        timeout,
    }
}

#[tokio::test]
async fn a_command_variable_gets_the_conversation_and_gives_its_output() {
    let v = variable(
        "order_status",
        "printf '  shipped for %s (%s)\\n\\033[31m' \"$COMPTOIR_CUSTOMER_NAME\" \"$COMPTOIR_CONVERSATION_ID\"",
        Duration::from_secs(3),
    );
    assert_eq!(
        command::run(&v, &context(Channel::Chat)).await,
        Outcome::Value("shipped for Ada Lovelace (42)\n[31m".into()),
        "trimmed, the escape character dropped"
    );
}

#[tokio::test]
async fn a_failing_or_slow_command_gives_a_reason_not_a_value() {
    let ctx = context(Channel::Chat);
    let failed = variable(
        "s",
        "echo 'no such order' >&2; echo 'partial'; exit 3",
        Duration::from_secs(3),
    );
    assert_eq!(
        command::run(&failed, &ctx).await,
        Outcome::Failed("exited with status 3: no such order".into())
    );
    let silent = variable("s", "true", Duration::from_secs(3));
    assert_eq!(
        command::run(&silent, &ctx).await,
        Outcome::Failed("printed nothing".into())
    );
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("child.pid");
    // The shell starts a child that would outlive it, and waits for it.
    let slow = variable(
        "s",
        &format!("sleep 30 & echo $! > {}; wait", pid_file.display()),
        Duration::from_millis(300),
    );
    let start = Instant::now();
    assert_eq!(
        command::run(&slow, &ctx).await,
        Outcome::Failed("timed out after 0.3 s".into())
    );
    assert!(start.elapsed() < Duration::from_secs(10), "not waited out");
    // Killed with its whole group: the shell's child goes too.
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let proc_dir = Path::new("/proc").join(pid.trim());
    let deadline = Instant::now() + Duration::from_secs(5);
    while proc_dir.exists() && !zombie(&proc_dir) {
        assert!(
            Instant::now() < deadline,
            "the command's child {} still runs",
            pid.trim()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A killed process whose parent has not reaped it yet is gone in all but name.
fn zombie(proc_dir: &Path) -> bool {
    std::fs::read_to_string(proc_dir.join("stat")).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z'))
    })
}

// ---------------------------------------------------------------------------------------
// The composer, through App::update and the default keymap.

fn now() -> Timestamp {
    Timestamp::from_second(1_790_000_000).unwrap()
}

fn conversation(id: i64, channel: Channel) -> Conversation {
    Conversation {
        id: ConversationId(id),
        channel,
        account: "boutique".into(),
        thread_key: format!("t{id}"),
        customer_id: CustomerId(id),
        customer_name: Some("Ada Lovelace".into()),
        peer: format!("peer{id}"),
        subject: None,
        status: Status::Open,
        assignee: None,
        labels: Vec::new(),
        created_at: now(),
        last_message_at: now(),
        waiting_since: Some(now()),
        preview: "hello".into(),
        message_count: 1,
    }
}

fn app_on(channel: Channel, lib: Library, variables: Vec<CommandVariable>) -> App {
    let km = load_keymap(Some("default"), None).expect("keymap");
    let mut app = App::new(AgentId(1), "Camille", Arc::new(km), TimeZone::UTC, now());
    app.resize(120, 40);
    let c = conversation(7, channel);
    app.loaded_queue(vec![c.clone()], QueueStats::default(), None);
    app.loaded_thread(Some((c, Vec::new())), None);
    app.set_replies(Arc::new(lib), Some("La Petite Épicerie".into()), variables);
    app
}

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    parse_keys(keys)
        .expect("keys parse")
        .into_iter()
        .flat_map(|k| app.key(k))
        .collect()
}

fn draft(app: &App) -> String {
    app.compose.as_ref().expect("composer open").editor.text()
}

fn flash(app: &App) -> String {
    app.flash
        .as_ref()
        .map(|f| f.text.clone())
        .unwrap_or_default()
}

#[test]
fn two_replies_go_into_one_draft_at_the_cursor_and_stay_editable() {
    let home = folder();
    let lib = Library::load(&home.path().join("replies"));
    let mut app = app_on(Channel::Telegram, lib, Vec::new());
    press(&mut app, "r");
    press(&mut app, "Thanks!<Enter><Enter>PS");
    // The cursor goes back between the two lines: the reply lands there.
    press(&mut app, "<Up><End>");
    press(&mut app, "<C-r>");
    assert_eq!(app.mode(), Mode::Picker);
    press(&mut app, "ref<Enter>");
    assert_eq!(app.mode(), Mode::Compose, "back to the draft");
    assert_eq!(
        draft(&app),
        "Thanks!\nHi Ada: see https://shop.example/r\nPS"
    );
    // Another one, at the end, through the picker's list.
    press(&mut app, "<Down><End> ");
    press(&mut app, "<C-r>");
    press(&mut app, "rembour<Enter>");
    assert_eq!(
        draft(&app),
        "Thanks!\nHi Ada: see https://shop.example/r\nPS Bonjour Ada, voici la marche à suivre."
    );
    // Still plain text in the composer: edit it, then send.
    press(&mut app, "<Backspace>!");
    let effects = press(&mut app, "<C-s>");
    assert_eq!(
        effects,
        vec![Effect::Write(Write::Reply {
            conversation: ConversationId(7),
            text: "Thanks!\nHi Ada: see https://shop.example/r\nPS Bonjour Ada, voici la marche à suivre!"
                .into()
        })]
    );
}

#[test]
fn a_gap_is_highlighted_in_the_preview_and_never_sent() {
    let home = folder();
    let lib = Library::load(&home.path().join("replies"));
    let mut app = app_on(Channel::Chat, lib, Vec::new());
    press(&mut app, "r<C-r>referral");
    let preview = app.picker_preview().expect("a preview");
    assert_eq!(preview.title, "Referral programme");
    assert_eq!(preview.text, "Invite a friend: {{voucher}}");
    press(&mut app, "<Enter>");
    assert!(
        flash(&app).contains("fill {{voucher}} before sending"),
        "{}",
        flash(&app)
    );
    let effects = press(&mut app, "<C-s>");
    assert!(effects.is_empty(), "refused: {effects:?}");
    assert_eq!(
        flash(&app),
        "Not sent: fill {{voucher}} first (a gap is never sent)"
    );
    assert!(
        app.compose.is_some(),
        "the draft stays for the agent to fill"
    );
    // Filled by hand: it goes.
    for _ in 0.."{{voucher}}".chars().count() {
        press(&mut app, "<Backspace>");
    }
    press(&mut app, "HELLO10");
    let effects = press(&mut app, "<C-s>");
    assert_eq!(
        effects,
        vec![Effect::Write(Write::Reply {
            conversation: ConversationId(7),
            text: "Invite a friend: HELLO10".into()
        })]
    );
}

#[test]
fn a_reply_over_the_channels_limit_is_refused_and_the_title_counts() {
    let mut app = app_on(Channel::Instagram, Library::default(), Vec::new());
    press(&mut app, "r");
    app.paste(&"é".repeat(312));
    assert_eq!(app.compose_length().as_deref(), Some("312/999"));
    app.paste(&"a".repeat(700));
    let effects = press(&mut app, "<C-s>");
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(
        flash(&app),
        "Too long for instagram: 1012/999 characters; shorten it before sending"
    );
    // Notes are never sent, so never counted.
    let mut app = app_on(Channel::Instagram, Library::default(), Vec::new());
    press(&mut app, "n");
    app.paste(&"a".repeat(1200));
    assert_eq!(app.compose_length(), None);
    assert_eq!(press(&mut app, "<C-s>").len(), 1);
}

#[test]
fn reply_name_on_the_command_line_inserts_at_once_or_opens_the_picker() {
    let home = folder();
    let lib = Library::load(&home.path().join("replies"));
    let mut app = app_on(Channel::Email, lib, Vec::new());
    press(&mut app, ":");
    press(&mut app, "reply ref<Enter>");
    assert_eq!(
        app.mode(),
        Mode::Compose,
        "inserted at once: {}",
        flash(&app)
    );
    assert!(
        draft(&app).starts_with("Hello Ada,\n\n- Fill in the form"),
        "{}",
        draft(&app)
    );
    assert!(draft(&app).ends_with("Camille, La Petite Épicerie"));
    press(&mut app, "<Esc>y");
    assert!(app.compose.is_none());
    // Not a name: the picker, filtered.
    press(&mut app, ":");
    press(&mut app, "reply refu<Enter>");
    assert_eq!(app.mode(), Mode::Picker);
    let picker = app.picker.as_ref().unwrap();
    assert_eq!(picker.query.text(), "refu");
    assert_eq!(
        app.replies.library.replies()[picker.matches[0]].name,
        "Refund policy"
    );
    press(&mut app, "<Esc>");
    assert_eq!(app.mode(), Mode::Compose, "Esc closes the picker only");
    assert_eq!(draft(&app), "");
}

#[tokio::test]
async fn a_reply_waits_for_its_command_and_a_failure_is_shown_not_sent() {
    let home = folder();
    let lib = Library::load(&home.path().join("replies"));
    let vars = vec![variable(
        "order_status",
        "echo \"shipped to $COMPTOIR_CUSTOMER_HANDLE\"",
        Duration::from_secs(3),
    )];
    let mut app = app_on(Channel::Chat, lib, vars);
    press(&mut app, ":");
    let effects = press(&mut app, "reply wismo<Enter>");
    let [Effect::ReplyVariables(job)] = effects.as_slice() else {
        panic!("the command is asked for: {effects:?}");
    };
    assert_eq!(draft(&app), "", "the reply waits for its value");
    app.reply_variables_done(command::run_job(job.clone()).await);
    assert_eq!(draft(&app), "Your order: shipped to peer7");

    // A failing command: the reason is shown, the gap stays, nothing is sent.
    let lib = Library::load(&home.path().join("replies"));
    let vars = vec![variable(
        "order_status",
        "echo 'shop API down' >&2; exit 1",
        Duration::from_secs(3),
    )];
    let mut app = app_on(Channel::Chat, lib, vars);
    press(&mut app, "r");
    let effects = press(&mut app, "<C-r>");
    let [Effect::ReplyVariables(job)] = effects.as_slice() else {
        panic!("the picker runs the commands: {effects:?}");
    };
    app.reply_variables_done(command::run_job(job.clone()).await);
    press(&mut app, "wismo");
    let preview = app.picker_preview().unwrap();
    assert_eq!(
        preview.notes,
        ["{{order_status}} failed: exited with status 1: shop API down"]
    );
    press(&mut app, "<Enter>");
    assert_eq!(draft(&app), "Your order: {{order_status}}");
    assert!(flash(&app).contains("shop API down"), "{}", flash(&app));
    assert!(press(&mut app, "<C-s>").is_empty(), "never sent");
}

// ---------------------------------------------------------------------------------------
// Config: `[shop]` and `[replies]`, and what `comptoir config check` says of them.

#[test]
fn shop_and_replies_config_parse_and_their_errors_point_at_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let cfg = comptoir::config::parse(
        "[shop]\nname = \"La Petite Épicerie\"\n\n[replies]\ndir = \"canned\"\n\n[replies.variables]\n\
         order_status = { command = \"shop-cli status\", timeout_seconds = 5 }\n\
         tracking = { command = \"shop-cli track\" }\n",
        &path,
    )
    .unwrap();
    assert_eq!(cfg.shop.name.as_deref(), Some("La Petite Épicerie"));
    assert_eq!(cfg.replies.dir, Some(dir.path().join("canned")));
    let vars: Vec<(&str, &str, u64)> = cfg
        .replies
        .variables
        .iter()
        .map(|v| (v.name.as_str(), v.command.as_str(), v.timeout.as_secs()))
        .collect();
    assert_eq!(
        vars,
        [
            ("order_status", "shop-cli status", 5),
            ("tracking", "shop-cli track", 3)
        ]
    );
    let default = comptoir::config::parse("", &path).unwrap();
    assert_eq!(default.replies.dir, Some(dir.path().join("replies")));
    assert_eq!(default.shop.name, None);

    let err = |text: &str| {
        comptoir::config::parse(text, &path)
            .unwrap_err()
            .to_string()
    };
    let e = err("[replies.variables]\nx = { command = \"a\", timeout_seconds = 90 }\n");
    assert!(
        e.ends_with(
            "config.toml:2:40: replies.variables.x.timeout_seconds: 90 is not between 1 and 30"
        ),
        "{e}"
    );
    let e = err("[replies.variables]\nx = { comand = \"a\" }\n");
    assert!(e.contains("config.toml:2:") && e.contains("comand"), "{e}");
    let e = err("[shop]\nname = \" \"\n");
    assert!(
        e.ends_with("config.toml:2:8: shop.name: must not be empty"),
        "{e}"
    );
}

#[test]
fn config_check_lists_the_shop_the_replies_and_their_errors() {
    let home = folder();
    let cfg = home.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[shop]\nname = \"La Petite Épicerie\"\n[replies.variables]\norder_status = { command = \"true\" }\n",
    )
    .unwrap();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_comptoir"))
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_STATE_HOME", home.path().join("state"))
            .args(["config", "check", "--config"])
            .arg(&cfg)
            .output()
            .unwrap()
    };
    let out = run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("shop         La Petite Épicerie\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "replies      {}; variables {{{{order_status}}}} (3 s) (4 replies)\n",
            home.path().join("replies").display()
        )),
        "{stdout}"
    );
    write(
        &home.path().join("replies"),
        "bad.md",
        "---\nchanels: [email]\n---\n",
    );
    let out = run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("reply        replies/bad.md:2: unknown key \"chanels\""),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 canned reply file(s) have errors; see above"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------------------
// The picker on screen.

#[test]
fn the_picker_draws_the_list_and_a_preview_with_its_gaps_highlighted() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;

    let home = folder();
    let lib = Library::load(&home.path().join("replies"));
    let mut app = app_on(Channel::Chat, lib, Vec::new());
    press(&mut app, "r<C-r>ref");
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal
        .draw(|f| comptoir::tui::view::draw(&app, f))
        .unwrap();
    let buf = terminal.backend().buffer().clone();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("Canned replies 3/4"), "{screen}");
    assert!(
        screen.contains("Refund policy /ref #returns #money"),
        "{screen}"
    );
    assert!(
        screen.contains("Refund policy · as sent on chat"),
        "{screen}"
    );
    assert!(
        screen.contains("- Fill in the form (https://shop.example/r)"),
        "{screen}"
    );
    assert!(
        screen.contains("📎 returns.pdf (listed only: replies carry text)"),
        "{screen}"
    );
    // Every variable of the refund has a value here: nothing is highlighted.
    let gap_cells = buf
        .content()
        .iter()
        .filter(|c| c.bg == Color::Yellow)
        .count();
    assert_eq!(gap_cells, 0, "every variable of this reply has a value");
    press(&mut app, "<C-w>referral");
    terminal
        .draw(|f| comptoir::tui::view::draw(&app, f))
        .unwrap();
    let buf = terminal.backend().buffer().clone();
    let highlighted: String = buf
        .content()
        .iter()
        .filter(|c| c.bg == Color::Yellow)
        .map(ratatui::buffer::Cell::symbol)
        .collect();
    assert_eq!(
        highlighted, "{{voucher}}",
        "the gap, and only it, is highlighted"
    );
}
