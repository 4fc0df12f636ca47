//! The `comptoir` binary as a user runs it: help, config check, export, and the one-line
//! errors for bad input.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{at, chat, comptoir_in as comptoir, email};
use comptoir::ingest;
use comptoir::store::Store;

fn run(cmd: &mut Command) -> (i32, String, String) {
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

fn assert_one_line_error(stderr: &str) {
    assert_eq!(
        stderr.lines().count(),
        1,
        "expected one line on stderr, got {stderr:?}"
    );
    assert!(stderr.starts_with("comptoir: "), "{stderr:?}");
    assert!(!stderr.contains("panicked"), "{stderr:?}");
}

#[test]
fn every_subcommand_has_help() {
    let home = tempfile::tempdir().expect("tempdir");
    for args in [
        vec!["--help"],
        vec!["config", "--help"],
        vec!["config", "check", "--help"],
        vec!["export", "--help"],
        vec!["completions", "--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["keymap", "check", "--help"],
    ] {
        let (code, out, _) = run(comptoir(home.path()).args(&args));
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage:"), "{args:?}: {out}");
    }
    let (code, _, err) = run(comptoir(home.path()).arg("frobnicate"));
    assert_eq!(code, 2, "bad usage exits 2");
    assert!(err.contains("frobnicate"));
    let (code, out, _) = run(comptoir(home.path()).args(["completions", "bash"]));
    assert_eq!(code, 0);
    assert!(out.contains("_comptoir"), "a bash completion function");
}

const CONFIG: &str = r#"
[agent]
name = "Camille"
timezone = "Europe/Paris"

[[email]]
name = "boutique"
address = "contact@boutique.example"
username = "contact@boutique.example"
password_command = "printf 'hunter2-secret\n'"
imap = { host = "imap.example.net", port = 993, tls = "implicit" }
smtp = { host = "smtp.example.net", port = 465, tls = "implicit" }

[relay]
listen = "127.0.0.1:8780"

[[chat]]
name = "site"
secret_command = "printf whsec_ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM="
"#;

#[test]
fn config_check_prints_paths_and_accounts_but_never_a_secret() {
    let home = tempfile::tempdir().expect("tempdir");
    let cfg = home.path().join("comptoir.toml");
    std::fs::write(&cfg, CONFIG).expect("write");
    let (code, out, err) = run(comptoir(home.path())
        .args(["config", "check", "--config"])
        .arg(&cfg));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&cfg.display().to_string()));
    assert!(out.contains("store.sqlite"));
    assert!(out.contains("Camille (Europe/Paris)"));
    assert!(
        out.contains("boutique") && out.contains("imap.example.net:993"),
        "{out}"
    );
    assert!(out.contains("email.boutique.password: ok"), "{out}");
    assert!(
        !out.contains("hunter2") && !err.contains("hunter2"),
        "a secret leaked: {out}"
    );
    assert!(!out.contains("ZGVmZ2hp"), "a secret leaked: {out}");
    // No log line reached the terminal.
    assert!(err.is_empty(), "{err}");

    // A secret command that fails is reported by name, without its output.
    std::fs::write(
        &cfg,
        CONFIG.replace("printf 'hunter2-secret\\n'", "echo hunter2-leak; exit 3"),
    )
    .expect("write");
    let (code, out, err) = run(comptoir(home.path())
        .args(["config", "check", "--config"])
        .arg(&cfg));
    assert_eq!(code, 2);
    assert!(out.contains("email.boutique.password: FAILED"), "{out}");
    assert!(!out.contains("hunter2-leak") && !err.contains("hunter2-leak"));
    assert_one_line_error(&err);
}

#[test]
fn an_invalid_config_is_one_line_naming_file_line_and_key() {
    let home = tempfile::tempdir().expect("tempdir");
    let cfg = home.path().join("comptoir.toml");
    std::fs::write(&cfg, CONFIG.replace("port = 465", "port = \"465\"")).expect("write");
    let (code, _, err) = run(comptoir(home.path())
        .args(["config", "check", "--config"])
        .arg(&cfg));
    assert_eq!(code, 2);
    assert_one_line_error(&err);
    assert!(
        err.contains(&format!("{}:12:44: email[0].smtp.port", cfg.display())),
        "{err}"
    );
    assert!(err.contains("port"), "{err}");

    std::fs::write(
        &cfg,
        format!("{CONFIG}\n[[chat]]\nname = \"site\"\nsecret_file = \"/x\"\nbogus = 1\n"),
    )
    .expect("write");
    let (code, _, err) = run(comptoir(home.path())
        .args(["config", "check", "--config"])
        .arg(&cfg));
    assert_eq!(code, 2);
    assert_one_line_error(&err);
    assert!(err.contains("bogus"), "{err}");

    let (code, _, err) =
        run(comptoir(home.path()).args(["config", "check", "--config", "/nonexistent/c.toml"]));
    assert_eq!(code, 2);
    assert_one_line_error(&err);
    assert!(err.contains("/nonexistent/c.toml"), "{err}");
}

fn seeded_data_dir(home: &Path) -> std::path::PathBuf {
    let data = home.join("shop");
    let mut store = Store::open(&data.join("store.sqlite")).expect("open");
    let agent = store.ensure_agent("Camille").expect("agent");
    let mut c = chat("c1", "visitor-1", "Où est ma commande 1042 ?");
    c.from.email = Some("anne@example.com".into());
    c.from.display_name = Some("Anne".into());
    let ingest::Outcome::New { conversation, .. } =
        ingest::ingest(&mut store, &c, at(0)).expect("ingest")
    else {
        panic!("new");
    };
    store
        .queue_reply(conversation, agent, "Elle part demain.", at(60))
        .expect("reply");
    store
        .add_note(conversation, agent, "Client fidèle", at(61))
        .expect("note");
    let mut later = email("<e2@x>", "bob@example.com", "<e2@x>", "Bonjour\u{1b}[31m");
    later.sent_at = at(86_400 * 30);
    ingest::ingest(&mut store, &later, at(86_400 * 30)).expect("ingest");
    data
}

fn lines(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn export_writes_json_lines_filtered_by_customer_and_date() {
    let home = tempfile::tempdir().expect("tempdir");
    let data = seeded_data_dir(home.path());
    let (code, out, err) = run(comptoir(home.path())
        .arg("--data-dir")
        .arg(&data)
        .arg("export"));
    assert_eq!(code, 0, "{err}");
    let records = lines(&out);
    let types: Vec<&str> = records
        .iter()
        .map(|r| r["type"].as_str().expect("type"))
        .collect();
    assert_eq!(
        types,
        [
            "customer",
            "customer",
            "conversation",
            "conversation",
            "message",
            "message",
            "message",
            "message"
        ]
    );
    let note = records
        .iter()
        .find(|r| r["kind"] == "note")
        .expect("notes are exported");
    assert_eq!(note["body"], "Client fidèle");
    let reply = records
        .iter()
        .find(|r| r["kind"] == "outbound")
        .expect("replies are exported");
    assert_eq!(reply["delivery"]["state"], "queued");
    assert!(records[0]["handles"].as_array().expect("handles").len() >= 2);

    let (code, out, _) =
        run(comptoir(home.path())
            .arg("--data-dir")
            .arg(&data)
            .args(["export", "--customer", "1"]));
    assert_eq!(code, 0);
    let records = lines(&out);
    assert_eq!(records.len(), 5, "{out}");
    assert!(
        records
            .iter()
            .all(|r| r["type"] != "customer" || r["id"] == 1)
    );

    let since = (at(86_400 * 20)).to_string();
    let (code, out, _) = run(comptoir(home.path())
        .arg("--data-dir")
        .arg(&data)
        .args(["export", "--since", &since]));
    assert_eq!(code, 0);
    assert_eq!(lines(&out).len(), 3, "only Bob's recent email: {out}");

    let file = home.path().join("backup.jsonl");
    let (code, out, _) = run(comptoir(home.path())
        .arg("--data-dir")
        .arg(&data)
        .args(["export", "-o"])
        .arg(&file));
    assert_eq!(code, 0);
    assert!(out.is_empty());
    assert_eq!(
        lines(&std::fs::read_to_string(&file).expect("file")).len(),
        8
    );

    let (code, _, err) = run(comptoir(home.path()).arg("--data-dir").arg(&data).args([
        "export",
        "--since",
        "yesterday-ish",
    ]));
    assert_eq!(code, 2);
    assert_one_line_error(&err);
}

#[test]
fn export_failures_are_one_line_and_never_a_panic() {
    let home = tempfile::tempdir().expect("tempdir");
    let data = seeded_data_dir(home.path());

    // A reader that goes away: the pipe closes under us.
    let mut child = comptoir(home.path())
        .arg("--data-dir")
        .arg(&data)
        .arg("export")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let status = child.wait().expect("wait");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read");
    assert_eq!(status.code(), Some(1), "{err}");
    assert_one_line_error(&err);

    // A full disk.
    let full = std::fs::File::create("/dev/full").expect("/dev/full");
    let out = comptoir(home.path())
        .arg("--data-dir")
        .arg(&data)
        .arg("export")
        .stdout(full)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_one_line_error(&String::from_utf8_lossy(&out.stderr));

    // No store yet; a file that is not a store.
    let (code, _, err) =
        run(comptoir(home.path()).args(["--data-dir", "/nonexistent/dir", "export"]));
    assert_eq!(code, 2);
    assert_one_line_error(&err);
    let junk = home.path().join("junk");
    std::fs::create_dir_all(&junk).expect("dir");
    std::fs::write(
        junk.join("store.sqlite"),
        "not a database, just text that is long enough",
    )
    .expect("write");
    let (code, _, err) = run(comptoir(home.path())
        .arg("--data-dir")
        .arg(&junk)
        .arg("export"));
    assert_eq!(code, 1);
    assert_one_line_error(&err);
    assert!(err.contains("not a comptoir store"), "{err}");
}

#[test]
fn keymap_check_names_file_line_column_and_key() {
    let home = tempfile::tempdir().expect("tempdir");
    let good = home.path().join("good.toml");
    std::fs::write(
        &good,
        "[mode.queue]\nkeymap = [\n  { on = \"J\", run = \"move.down\" },\n]\n",
    )
    .expect("write");
    let (code, out, err) = run(comptoir(home.path()).args(["keymap", "check"]).arg(&good));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok"));

    let bad = home.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[mode.queue]\nkeymap = [\n  { on = \"<C-xx>\", run = \"move.down\" },\n  { on = \"x\", run = \"frobnicate\" },\n]\n",
    )
    .expect("write");
    let (code, _, err) = run(comptoir(home.path()).args(["keymap", "check"]).arg(&bad));
    assert_eq!(code, 2);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "two errors and a summary: {err}");
    assert!(
        lines[0].starts_with(&format!("{}:3:", bad.display())),
        "{err}"
    );
    assert!(lines[0].contains("<C-xx>"), "{err}");
    assert!(
        lines[1].starts_with(&format!("{}:4:", bad.display())) && lines[1].contains("frobnicate"),
        "{err}"
    );
    assert!(lines[2].starts_with("comptoir: 2 errors"), "{err}");
}

#[test]
fn without_a_terminal_the_tui_says_so_in_one_line() {
    let home = tempfile::tempdir().expect("tempdir");
    let cfg = home.path().join("c.toml");
    std::fs::write(&cfg, "[agent]\nname = \"Camille\"\n").expect("write");
    // `setsid` starts it in a new session: no controlling terminal, no /dev/tty.
    let mut cmd = Command::new("setsid");
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .stdin(Stdio::null())
        .arg(env!("CARGO_BIN_EXE_comptoir"))
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(home.path().join("d"));
    let (code, _, err) = run(&mut cmd);
    assert_eq!(code, 2, "{err}");
    assert_one_line_error(&err);
    assert!(err.contains("needs a terminal"), "{err}");
}
