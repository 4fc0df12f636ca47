//! Config file parsing and validation, secret sources, and path resolution.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use comptoir::config::{self, ConfigError, Paths, TlsMode};
use comptoir::secret::{SecretError, SecretSource, SecretString};

/// The example from DESIGN.md "Config (TOML)", verbatim.
const DESIGN_EXAMPLE: &str = r#"[agent]
name = "Camille"
timezone = "Europe/Paris"

[[email]]
name = "boutique"
address = "contact@boutique.example"
username = "contact@boutique.example"
password_command = "pass show boutique/mail"   # or password_file; never a plain password in logs
imap = { host = "imap.example.net", port = 993, tls = "implicit" }   # implicit | starttls | none
smtp = { host = "smtp.example.net", port = 465, tls = "implicit" }
ca_file = "/path/ca.pem"     # optional: trust a self-signed server (tests use this)
folders = ["INBOX"]
sent_folder = "Sent"

[relay]
listen = "127.0.0.1:8780"

[[chat]]
name = "site"
secret_command = "pass show boutique/chat-secret"
callback_url = "https://boutique.example/hooks/comptoir"   # optional

# Every social channel takes `name` and `api_base` (tests point it at a fake); every secret comes
# from a `*_command` or `*_file`. Webhooks arrive at /hooks/<kind>/<name> on the relay.
[[telegram]]
name = "boutique_bot"
token_command = "pass show boutique/telegram"
webhook_secret_command = "..."          # optional: with it, Telegram posts to the relay; without, long polling
api_base = "https://api.telegram.org"

[[messenger]]                           # [[instagram]] takes the same keys
name = "boutique"
page_id = "1234567890"
page_token_command = "..."
app_secret_command = "..."              # X-Hub-Signature-256
verify_token_command = "..."            # hub.verify_token of the subscription handshake
api_base = "https://graph.facebook.com/v23.0"

[[whatsapp]]
name = "boutique"
phone_number_id = "1234567890"
token_command = "..."
app_secret_command = "..."
verify_token_command = "..."
api_base = "https://graph.facebook.com/v23.0"

[[mastodon]]
name = "boutique"
api_base = "https://mastodon.example"   # the instance
token_command = "..."

[[x]]
name = "boutique"
token_command = "..."                   # user-context token for the DM endpoints
consumer_secret_command = "..."         # CRC challenge and webhook signatures
api_base = "https://api.x.com"
"#;

const CONFIG_PATH: &str = "/etc/comptoir/config.toml";

fn parse(text: &str) -> Result<config::Config, ConfigError> {
    config::parse(text, Path::new(CONFIG_PATH))
}

/// Parses `text`, expecting a failure, and checks the invariants every config error keeps.
fn parse_err(text: &str) -> ConfigError {
    let err = match parse(text) {
        Ok(config) => panic!("expected an error, got {config:?}"),
        Err(err) => err,
    };
    let shown = err.to_string();
    assert!(!shown.contains('\n'), "not one line: {shown:?}");
    assert!(
        shown.starts_with(CONFIG_PATH),
        "does not name the file: {shown}"
    );
    err
}

/// (line, column, message) of a positioned error.
fn where_what(err: &ConfigError) -> (usize, usize, &str) {
    match err {
        ConfigError::Syntax {
            line,
            column,
            message,
            ..
        }
        | ConfigError::Invalid {
            line,
            column,
            message,
            ..
        } => (*line, *column, message.as_str()),
        other => panic!("expected a positioned error, got {other:?}"),
    }
}

const MINIMAL_EMAIL: &str = r#"[[email]]
name = "boutique"
address = "contact@boutique.example"
username = "contact"
password_command = "pass show mail"
imap = { host = "imap.example.net", port = 993, tls = "implicit" }
smtp = { host = "smtp.example.net", port = 587, tls = "starttls" }
"#;

#[test]
fn design_example_parses_into_typed_values() {
    let config = parse(DESIGN_EXAMPLE).expect("DESIGN.md example must parse");

    assert_eq!(config.agent.name, "Camille");
    assert_eq!(config.agent.timezone.as_deref(), Some("Europe/Paris"));
    assert_eq!(config.keymap, None);
    assert!(config.mouse_enabled());

    let [email] = config.email.as_slice() else {
        panic!("one email account expected");
    };
    assert_eq!(email.name, "boutique");
    assert_eq!(email.address, "contact@boutique.example");
    assert_eq!(email.username, "contact@boutique.example");
    assert_eq!(
        email.password,
        SecretSource::Command("pass show boutique/mail".into())
    );
    assert_eq!(email.imap.host, "imap.example.net");
    assert_eq!(email.imap.port, 993);
    assert_eq!(email.imap.tls, TlsMode::Implicit);
    assert_eq!(email.smtp.port, 465);
    assert_eq!(email.ca_file.as_deref(), Some(Path::new("/path/ca.pem")));
    assert_eq!(email.folders, ["INBOX"]);
    assert_eq!(email.sent_folder.as_deref(), Some("Sent"));
    assert_eq!(email.first_sync_days, None);

    assert_eq!(
        config.relay.as_ref().map(|r| r.listen.as_str()),
        Some("127.0.0.1:8780")
    );
    assert_eq!(config.chat[0].name, "site");
    assert_eq!(
        config.chat[0].callback_url.as_deref(),
        Some("https://boutique.example/hooks/comptoir")
    );
    assert_eq!(config.telegram[0].name, "boutique_bot");
    assert!(config.telegram[0].webhook_secret.is_some());
    assert_eq!(config.telegram[0].api_base, "https://api.telegram.org");
    assert_eq!(config.messenger[0].page_id, "1234567890");
    assert_eq!(
        config.messenger[0].api_base,
        "https://graph.facebook.com/v23.0"
    );
    assert!(config.instagram.is_empty());
    assert_eq!(config.whatsapp[0].phone_number_id, "1234567890");
    assert_eq!(config.mastodon[0].api_base, "https://mastodon.example");
    assert_eq!(config.x[0].api_base, "https://api.x.com");

    let accounts = config.accounts();
    let kinds: Vec<&str> = accounts.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [
            "email",
            "chat",
            "telegram",
            "messenger",
            "whatsapp",
            "mastodon",
            "x"
        ]
    );
    assert!(accounts[0].detail.contains("imap.example.net:993"));
    assert!(accounts[0].detail.contains("smtp.example.net:465"));
    for account in &accounts {
        assert!(
            !account.detail.contains("pass show"),
            "summary shows a secret command: {account:?}"
        );
    }
}

#[test]
fn instagram_takes_the_messenger_keys_and_api_base_defaults() {
    let text = r#"
[relay]
listen = "[::1]:8780"

[[instagram]]
name = "boutique"
page_id = "42"
page_token_file = "/run/secrets/ig-page"
app_secret_command = "pass show ig/app"
verify_token_command = "pass show ig/verify"
"#;
    let config = parse(text).expect("valid");
    let ig = &config.instagram[0];
    assert_eq!(ig.page_id, "42");
    assert_eq!(
        ig.page_token,
        SecretSource::File(PathBuf::from("/run/secrets/ig-page"))
    );
    assert_eq!(ig.api_base, config::META_API_BASE);
}

#[test]
fn empty_file_gives_defaults() {
    let config = parse("").expect("empty config is valid");
    assert!(config.email.is_empty() && config.chat.is_empty() && config.relay.is_none());
    assert!(!config.agent.name.is_empty());
    assert!(config.mouse_enabled());
    assert!(config.accounts().is_empty());

    let config = parse("keymap = \"vim\"\nmouse = false\n").expect("valid");
    assert_eq!(config.keymap.as_deref(), Some("vim"));
    assert!(!config.mouse_enabled());
}

#[test]
fn unknown_key_names_key_line_and_column() {
    let text = MINIMAL_EMAIL.replace(
        "username = \"contact\"\n",
        "username = \"contact\"\n  imapx = 1\n",
    );
    let err = parse_err(&text);
    assert!(matches!(err, ConfigError::Syntax { .. }));
    let (line, column, message) = where_what(&err);
    assert_eq!((line, column), (5, 3));
    assert!(message.contains("`imapx`"), "{message}");
    assert!(message.starts_with("email[0]: unknown field"), "{message}");
    assert!(
        err.to_string()
            .starts_with("/etc/comptoir/config.toml:5:3: email[0]: unknown field `imapx`"),
        "{err}"
    );
}

#[test]
fn unknown_top_level_table_is_rejected() {
    let err = parse_err("[agent]\nname = \"a\"\n\n[[emails]]\nname = \"x\"\n");
    let (line, column, message) = where_what(&err);
    assert_eq!((line, column), (4, 3));
    assert!(message.contains("unknown field `emails`"), "{message}");
}

#[test]
fn wrong_type_names_key_path_and_line_without_echoing_the_value() {
    let text = MINIMAL_EMAIL.replace("port = 993", "port = \"hunter2\"");
    let err = parse_err(&text);
    let (line, column, message) = where_what(&err);
    assert_eq!(line, 6);
    let value_at = text
        .lines()
        .nth(5)
        .and_then(|l| l.find("\"hunter2\""))
        .expect("value");
    assert_eq!(column, value_at + 1);
    assert!(
        message.starts_with("email[0].imap.port: invalid type"),
        "{message}"
    );
    assert!(message.contains("u16"), "{message}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn wrong_type_in_a_table_section() {
    let err = parse_err("[agent]\nname = 3\n");
    let (line, column, message) = where_what(&err);
    assert_eq!((line, column), (2, 8));
    assert!(message.starts_with("agent.name: invalid type"), "{message}");
}

#[test]
fn bad_tls_mode_is_rejected() {
    let err = parse_err(&MINIMAL_EMAIL.replace("\"starttls\"", "\"ssl\""));
    let (line, _, message) = where_what(&err);
    assert_eq!(line, 7);
    assert!(message.starts_with("email[0].smtp.tls:"), "{message}");
    assert!(message.contains("starttls"), "{message}");
}

#[test]
fn missing_required_key_points_at_the_table_header() {
    let text =
        format!("{MINIMAL_EMAIL}\n[[email]]\nname = \"second\"\naddress = \"b@example.net\"\n");
    let err = parse_err(&text);
    let (line, column, message) = where_what(&err);
    assert_eq!((line, column), (9, 1));
    assert!(message.starts_with("email[1]: missing field"), "{message}");
}

#[test]
fn toml_syntax_error_has_position() {
    let err = parse_err("[agent\nname = \"a\"\n");
    let (line, _, _) = where_what(&err);
    assert_eq!(line, 1);

    let err = parse_err("[agent]\nname = \"a\"\nname = \"b\"\n");
    let (line, column, message) = where_what(&err);
    assert_eq!((line, column), (3, 1));
    assert_eq!(message, "duplicate key `name`");
}

#[test]
fn duplicate_account_name_within_a_kind() {
    let second = MINIMAL_EMAIL.replace("contact@boutique", "other@boutique");
    let err = parse_err(&format!("{MINIMAL_EMAIL}\n{second}"));
    assert!(matches!(err, ConfigError::Invalid { .. }));
    let (line, column, message) = where_what(&err);
    assert_eq!((line, column), (10, 8));
    assert_eq!(
        message,
        "email[1].name: duplicate account name \"boutique\""
    );
}

#[test]
fn same_name_in_different_kinds_is_fine() {
    let text = format!(
        "{MINIMAL_EMAIL}\n[[mastodon]]\nname = \"boutique\"\napi_base = \"https://m.example/\"\ntoken_file = \"/t\"\n"
    );
    let config = parse(&text).expect("valid");
    // The trailing slash is dropped so channels can append paths.
    assert_eq!(config.mastodon[0].api_base, "https://m.example");
}

#[test]
fn account_name_must_be_url_safe() {
    let err = parse_err(&MINIMAL_EMAIL.replace("name = \"boutique\"", "name = \"la boutique\""));
    let (line, _, message) = where_what(&err);
    assert_eq!(line, 2);
    assert!(message.starts_with("email[0].name:"), "{message}");
}

#[test]
fn both_password_command_and_file_is_an_error() {
    let text = MINIMAL_EMAIL.replace(
        "password_command = \"pass show mail\"\n",
        "password_command = \"pass show mail\"\npassword_file = \"/run/secrets/mail\"\n",
    );
    let err = parse_err(&text);
    assert!(matches!(err, ConfigError::Invalid { .. }));
    let (line, column, message) = where_what(&err);
    assert_eq!((line, column), (6, 17));
    assert!(message.contains("password_command"), "{message}");
    assert!(message.contains("password_file"), "{message}");
    assert!(message.starts_with("email[0]:"), "{message}");
    assert!(!message.contains("pass show"), "{message}");
}

#[test]
fn neither_password_command_nor_file_is_an_error() {
    let text = MINIMAL_EMAIL.replace("password_command = \"pass show mail\"\n", "");
    let err = parse_err(&text);
    let (line, column, message) = where_what(&err);
    assert_eq!((line, column), (1, 1));
    assert_eq!(
        message,
        "email[0]: missing password_command or password_file"
    );
}

#[test]
fn optional_secret_may_be_absent_but_not_doubled() {
    let base = "[[telegram]]\nname = \"bot\"\ntoken_file = \"/t\"\n";
    let config = parse(base).expect("long polling needs no relay");
    assert!(config.telegram[0].webhook_secret.is_none());

    let err = parse_err(&format!(
        "[relay]\nlisten = \"127.0.0.1:1\"\n{base}webhook_secret_command = \"a\"\nwebhook_secret_file = \"/b\"\n"
    ));
    let (_, _, message) = where_what(&err);
    assert!(
        message.contains("webhook_secret_command") && message.contains("webhook_secret_file"),
        "{message}"
    );
}

#[test]
fn plain_password_is_rejected_with_a_specific_message() {
    let text = MINIMAL_EMAIL.replace(
        "password_command = \"pass show mail\"\n",
        "password = \"hunter2\"\n",
    );
    let err = parse_err(&text);
    let (line, column, message) = where_what(&err);
    assert_eq!((line, column), (5, 1));
    assert_eq!(
        message,
        "email[0].password: plain passwords are not accepted; use password_command or password_file"
    );
    assert!(!err.to_string().contains("hunter2"));
}

#[test]
fn plain_token_is_rejected_with_a_specific_message() {
    let err = parse_err(
        "[[mastodon]]\nname = \"m\"\napi_base = \"https://m.example\"\ntoken = \"abc\"\n",
    );
    let (line, _, message) = where_what(&err);
    assert_eq!(line, 4);
    assert_eq!(
        message,
        "mastodon[0].token: plain secrets are not accepted; use token_command or token_file"
    );
}

#[test]
fn invalid_timezone_is_rejected() {
    let err = parse_err("[agent]\nname = \"Camille\"\ntimezone = \"Mars/Olympus_Mons\"\n");
    assert!(matches!(err, ConfigError::Invalid { .. }));
    let (line, column, message) = where_what(&err);
    assert_eq!((line, column), (3, 12));
    assert!(message.starts_with("agent.timezone:"), "{message}");
    assert!(message.contains("Mars/Olympus_Mons"), "{message}");
}

#[test]
fn valid_timezone_is_usable() {
    let config = parse("[agent]\ntimezone = \"Asia/Tokyo\"\n").expect("valid");
    assert_eq!(config.agent.time_zone().iana_name(), Some("Asia/Tokyo"));
}

#[test]
fn invalid_listen_address_is_rejected() {
    let err = parse_err("[relay]\nlisten = \"localhost\"\n");
    let (line, column, message) = where_what(&err);
    assert_eq!((line, column), (2, 10));
    assert!(
        message.starts_with("relay.listen: invalid address"),
        "{message}"
    );
}

#[test]
fn chat_inbox_needs_the_relay() {
    let err = parse_err("[[chat]]\nname = \"site\"\nsecret_file = \"/s\"\n");
    let (line, _, message) = where_what(&err);
    assert_eq!(line, 1);
    assert!(message.starts_with("chat[0]:"), "{message}");
    assert!(message.contains("[relay]"), "{message}");
}

#[test]
fn bad_api_base_is_rejected() {
    let err = parse_err(
        "[[mastodon]]\nname = \"m\"\napi_base = \"mastodon.example\"\ntoken_file = \"/t\"\n",
    );
    let (line, _, message) = where_what(&err);
    assert_eq!(line, 3);
    assert!(message.starts_with("mastodon[0].api_base:"), "{message}");
}

#[test]
fn relative_secret_file_is_relative_to_the_config_file() {
    let text = MINIMAL_EMAIL.replace(
        "password_command = \"pass show mail\"",
        "password_file = \"secrets/mail\"",
    );
    let config = parse(&text).expect("valid");
    assert_eq!(
        config.email[0].password,
        SecretSource::File(PathBuf::from("/etc/comptoir/secrets/mail"))
    );
}

#[test]
fn load_reads_the_file_and_reports_a_missing_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, MINIMAL_EMAIL).expect("write");
    let config = config::load(&path).expect("valid");
    assert_eq!(config.email[0].smtp.tls, TlsMode::Starttls);

    let missing = dir.path().join("nope.toml");
    let err = config::load(&missing).expect_err("missing file");
    assert!(err.is_not_found());
    assert!(err.to_string().starts_with("cannot read config "), "{err}");
    assert!(err.to_string().contains("nope.toml"), "{err}");
}

#[test]
fn secret_command_resolves_and_trims() {
    let source = SecretSource::Command("printf 'hunter2\\n'".into());
    let secret = source.resolve("test password").expect("resolves");
    assert_eq!(secret.expose(), "hunter2");
}

#[test]
fn failing_secret_command_does_not_leak_its_output() {
    let source = SecretSource::Command("echo leaked-secret; echo leaked-stderr >&2; exit 3".into());
    let err = source
        .resolve("email \"boutique\" password")
        .expect_err("fails");
    assert!(matches!(err, SecretError::Status { .. }));
    let shown = err.to_string();
    assert_eq!(
        shown,
        "email \"boutique\" password: command exited with status 3"
    );
    let debug = format!("{err:?}");
    assert!(!debug.contains("leaked"), "{debug}");
}

#[test]
fn empty_secret_command_output_is_an_error() {
    let err = SecretSource::Command("printf '\\n'".into())
        .resolve("token")
        .expect_err("empty");
    assert!(matches!(err, SecretError::Empty { .. }));
    assert_eq!(err.to_string(), "token: command gave an empty secret");
}

#[test]
fn slow_secret_command_is_killed() {
    let started = Instant::now();
    let err = SecretSource::Command("sleep 10".into())
        .resolve_with_timeout("token", Duration::from_millis(200))
        .expect_err("times out");
    assert!(matches!(err, SecretError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn secret_file_resolves_and_trims() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("token");
    std::fs::write(&path, "s3cret \n\n").expect("write");
    let secret = SecretSource::File(path.clone())
        .resolve("token")
        .expect("resolves");
    assert_eq!(secret.expose(), "s3cret");

    let missing = dir.path().join("missing");
    let err = SecretSource::File(missing.clone())
        .resolve("token")
        .expect_err("missing");
    assert!(matches!(err, SecretError::ReadFile { .. }));
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );

    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").expect("write");
    let err = SecretSource::File(empty)
        .resolve("token")
        .expect_err("empty");
    assert!(matches!(err, SecretError::Empty { .. }));
}

#[test]
fn secrets_are_redacted_in_debug_output() {
    let secret = SecretString::new("hunter2");
    assert_eq!(format!("{secret:?}"), "SecretString([redacted])");
    assert_eq!(secret.expose(), "hunter2");

    let source = SecretSource::Command("echo hunter2".into());
    assert_eq!(format!("{source:?}"), "command");
    assert_eq!(source.to_string(), "command");
    let file = SecretSource::File(PathBuf::from("/run/secrets/x"));
    assert_eq!(file.to_string(), "file /run/secrets/x");

    let config = parse(&MINIMAL_EMAIL.replace("pass show mail", "echo hunter2")).expect("valid");
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[test]
fn paths_resolve_with_overrides() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config_file = dir.path().join("elsewhere.toml");
    let data_dir = dir.path().join("data");
    let paths = Paths::resolve(Some(&config_file), Some(&data_dir)).expect("resolves");
    assert_eq!(paths.config_file, config_file);
    assert_eq!(paths.data_dir, data_dir);
    assert_eq!(paths.store_file(), data_dir.join("store.sqlite"));
    assert_eq!(paths.attachments_dir(), data_dir.join("attachments"));
    assert_eq!(paths.lock_file(), data_dir.join("serve.lock"));
    assert_eq!(paths.log_dir(), paths.state_dir.join("logs"));
    assert!(!paths.state_dir.as_os_str().is_empty());
    // Nothing is created by resolving.
    assert!(!data_dir.exists());
}

#[test]
fn paths_resolve_defaults_end_in_comptoir() {
    // Only meaningful where there is a home directory, which test machines have.
    if let Ok(paths) = Paths::resolve(None, None) {
        assert!(paths.config_file.ends_with("comptoir/config.toml"));
        assert!(paths.data_dir.ends_with("comptoir"));
    }
}

#[test]
fn poll_seconds_defaults_to_a_minute_and_has_a_floor() {
    let config = parse(MINIMAL_EMAIL).expect("valid");
    assert_eq!(config.email[0].poll_seconds, config::DEFAULT_POLL_SECONDS);
    assert_eq!(config::DEFAULT_POLL_SECONDS, 60);

    let config = parse(&format!("{MINIMAL_EMAIL}poll_seconds = 5\n")).expect("valid");
    assert_eq!(config.email[0].poll_seconds, 5);

    let err = parse_err(&format!("{MINIMAL_EMAIL}poll_seconds = 4\n"));
    assert!(matches!(err, ConfigError::Invalid { .. }));
    let (line, column, message) = where_what(&err);
    assert_eq!((line, column), (8, 16));
    assert!(message.starts_with("email[0].poll_seconds:"), "{message}");
    assert!(message.contains("at least 5"), "{message}");

    let err = parse_err(&format!("{MINIMAL_EMAIL}poll_seconds = -1\n"));
    let (line, _, message) = where_what(&err);
    assert_eq!(line, 8);
    assert!(message.contains("poll_seconds"), "{message}");
}

const HOURS: &str = r#"
[hours]
timezone = "Europe/Paris"
mon = ["14:00-18:00", "09:00-12:30"]
tue = ["09:00-12:30", "14:00-18:00"]
fri = ["22:00-24:00"]
sat = ["00:00-02:00"]
holidays = ["2026-12-25", "2026-01-01", "2026-12-25"]

[presence]
idle_minutes = 5
grace_seconds = 30
"#;

#[test]
fn hours_and_presence_parse_sorted_with_defaults_when_absent() {
    use config::{PresenceConfig, Shift};
    let config = parse("").expect("valid");
    assert_eq!(config.hours, None, "no [hours] means always within hours");
    assert_eq!(config.presence, PresenceConfig::default());
    assert_eq!(
        (config.presence.idle_minutes, config.presence.grace_seconds),
        (10, 60)
    );

    let config = parse(HOURS).expect("valid");
    let hours = config.hours.expect("[hours]");
    assert_eq!(hours.timezone, "Europe/Paris");
    let shift = |start: u16, end: u16| Shift { start, end };
    assert_eq!(
        hours.week[0],
        [shift(540, 750), shift(840, 1080)],
        "monday's split shift, sorted"
    );
    assert_eq!(hours.week[1], hours.week[0]);
    assert!(hours.week[2].is_empty(), "a missing day is closed");
    assert_eq!(hours.week[4], [shift(1320, 1440)], "24:00 ends a day");
    assert_eq!(
        hours
            .holidays
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["2026-01-01", "2026-12-25"],
        "sorted, without repeats"
    );
    assert_eq!(
        hours.summary(),
        "Europe/Paris; mon 09:00-12:30, 14:00-18:00; tue 09:00-12:30, 14:00-18:00; \
         fri 22:00-24:00; sat 00:00-02:00; 2 holidays"
    );
    assert_eq!(config.presence.idle_minutes, 5);
    assert_eq!(config.presence.grace_seconds, 30);
}

#[test]
fn bad_hours_and_presence_name_key_line_and_column() {
    // (replace in HOURS, by, line, column, start of the message)
    let cases: &[(&str, &str, usize, usize, &str)] = &[
        (
            "\"Europe/Paris\"",
            "\"Europe/Pariss\"",
            3,
            12,
            "hours.timezone: unknown time zone \"Europe/Pariss\"",
        ),
        (
            "\"09:00-12:30\"]\ntue",
            "\"09:00-12h30\"]\ntue",
            4,
            23,
            "hours.mon[1]: \"09:00-12h30\" is not a range",
        ),
        (
            "\"14:00-18:00\", \"09:00-12:30\"]",
            "\"14:00-18:00\", \"19:00-18:30\"]",
            4,
            23,
            "hours.mon[1]: \"19:00-18:30\" does not end after it starts",
        ),
        (
            "tue = [\"09:00-12:30\", \"14:00-18:00\"]",
            "tue = [\"09:00-14:30\", \"14:00-18:00\"]",
            5,
            23,
            "hours.tue[1]: \"14:00-18:00\" overlaps \"09:00-14:30\"",
        ),
        (
            "sat = [\"00:00-02:00\"]",
            "sat = [\"24:00-24:00\"]",
            7,
            8,
            "hours.sat[0]: \"24:00-24:00\" is not a range",
        ),
        (
            "\"2026-01-01\"",
            "\"2026-02-30\"",
            8,
            27,
            "hours.holidays[1]: \"2026-02-30\" is not a date",
        ),
        (
            "\"2026-01-01\"",
            "\"2026-01-01T10:00\"",
            8,
            27,
            "hours.holidays[1]: \"2026-01-01T10:00\" is not a date",
        ),
        (
            "idle_minutes = 5",
            "idle_minutes = 0",
            11,
            16,
            "presence.idle_minutes: 0 is out of range",
        ),
        (
            "grace_seconds = 30",
            "grace_seconds = 7200",
            12,
            17,
            "presence.grace_seconds: 7200 is over the 3600 s limit",
        ),
    ];
    for (from, to, line, column, start) in cases {
        assert!(HOURS.contains(from), "fixture lacks {from:?}");
        let err = parse_err(&HOURS.replacen(from, to, 1));
        let (l, c, message) = where_what(&err);
        assert!(message.starts_with(start), "{to:?}: {message}");
        assert_eq!((l, c), (*line, *column), "{to:?}: {message}");
    }

    let err = parse_err("[hours]\nmon = [\"09:00-12:00\"]\n");
    assert!(
        where_what(&err).2.contains("missing field `timezone`"),
        "{err}"
    );
    let err = parse_err("[hours]\ntimezone = \"UTC\"\nmonday = []\n");
    assert!(
        where_what(&err).2.contains("unknown field `monday`"),
        "{err}"
    );
}

#[test]
fn config_check_prints_hours_and_presence() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.toml");
    std::fs::write(&cfg, HOURS).unwrap();
    let run = |cfg: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_comptoir"))
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join("config"))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_STATE_HOME", dir.path().join("state"))
            .args(["config", "check", "--config"])
            .arg(cfg)
            .output()
            .unwrap()
    };
    let out = run(&cfg);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("hours        Europe/Paris; mon 09:00-12:30, 14:00-18:00;"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "presence     idle after 5 min without input; chat stays live 30 s after the last agent"
        ),
        "{stdout}"
    );

    std::fs::write(&cfg, "").unwrap();
    let out = run(&cfg);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("hours        always (no [hours])"),
        "{stdout}"
    );
    assert!(
        stdout.contains("presence     idle after 10 min"),
        "{stdout}"
    );
    assert!(
        stdout.contains("workflow     no first-response target (no [workflow])"),
        "{stdout}"
    );

    std::fs::write(
        &cfg,
        "[workflow]\nfirst_response_target = \"2h\"\nchat = \"1m\"\n",
    )
    .unwrap();
    let out = run(&cfg);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("workflow     first response within 2h; chat 1m"),
        "{stdout}"
    );
}
