//! The real binary in a real terminal: `comptoir demo` inside a private tmux server,
//! driven with send-keys and read with capture-pane. Each step waits for a screen
//! condition with a deadline.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use std::process::Command;
use std::time::{Duration, Instant};

#[path = "common/tmux.rs"]
mod tmux;
use tmux::Tmux;

/// The selected queue row: the one drawn reversed is not visible in plain capture, so
/// the thread title (which follows the selection) tells which conversation is open.
fn thread_title(screen: &str) -> String {
    screen.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn demo_moves_replies_switches_keymap_and_quits() {
    let home = tempfile::tempdir().expect("tempdir");
    let program = format!("{} demo", env!("CARGO_BIN_EXE_comptoir"));
    let tmux = Tmux::start(&program, home.path(), 120, 40);

    // The queue, thread and status line are up.
    let first = tmux.wait("the demo queue", 20, |s| {
        s.contains("Queue") && s.contains("unanswered")
    });
    assert!(first.contains("Camille"), "{first}");

    // Moving changes the open conversation.
    let before = thread_title(&first);
    tmux.keys(&["j"]);
    tmux.wait("the selection to move", 5, |s| thread_title(s) != before);

    // Open the thread, reply, send: queued, then sent by the demo channel.
    tmux.keys(&["Enter"]);
    tmux.keys(&["r"]);
    tmux.wait("the composer", 5, |s| s.contains("Reply to"));
    tmux.type_text("Merci, nous regardons tout de suite !");
    tmux.keys(&["C-s"]);
    tmux.wait("the reply queued", 5, |s| {
        s.contains("Reply queued") && s.contains("Merci, nous regardons")
    });
    tmux.wait("the reply sent", 15, |s| {
        s.lines()
            .any(|l| l.contains("Camille") && l.contains("✓ sent"))
            && s.contains("Merci, nous regardons")
    });

    // The help overlay lists bindings, and closes.
    tmux.keys(&["?"]);
    tmux.wait("help", 5, |s| {
        s.contains("type to filter") && s.contains("status.resolve")
    });
    tmux.keys(&["Escape"]);
    tmux.wait("help closed", 5, |s| !s.contains("type to filter"));

    // Switch to the vim keymap at run time, then use a count.
    tmux.keys(&["Escape"]);
    tmux.keys(&[":"]);
    tmux.type_text("keymap vim");
    tmux.keys(&["Enter"]);
    tmux.wait("the vim keymap", 5, |s| s.contains("keymap: vim"));
    let before = thread_title(&tmux.screen());
    tmux.keys(&["5", "j"]);
    tmux.wait("a counted move", 5, |s| thread_title(s) != before);

    // Quit: the program ends cleanly.
    tmux.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(code) = tmux.pane_dead() {
            assert_eq!(code, 0, "exit status; screen:\n{}", tmux.screen());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "comptoir did not quit; screen:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn tiny_and_huge_terminals_draw_without_a_panic() {
    let home = tempfile::tempdir().expect("tempdir");
    let program = format!("{} demo", env!("CARGO_BIN_EXE_comptoir"));
    let tmux = Tmux::start(&program, home.path(), 20, 5);
    tmux.wait("something drawn", 20, |s| !s.trim().is_empty());
    for (w, h) in [(300u16, 100u16), (21, 6), (80, 24), (160, 48)] {
        let out = tmux.run(&[
            "resize-window",
            "-t",
            "t",
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
        ]);
        assert!(out.status.success());
        tmux.wait("a redraw at the new size", 5, |s| {
            s.lines().count() >= usize::from(h.min(5))
        });
        assert_eq!(
            tmux.pane_dead(),
            None,
            "comptoir died at {w}x{h}:\n{}",
            tmux.screen()
        );
    }
    tmux.keys(&["q"]);
}

#[test]
fn the_editor_suspends_the_tui_and_its_text_comes_back() {
    let home = tempfile::tempdir().expect("tempdir");
    // An "editor" that writes the reply and exits, as an agent would in vim.
    let editor = home.path().join("fake-editor");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'Texte écrit dans l’éditeur\\n' > \"$1\"\n",
    )
    .expect("write");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&editor)
        .status()
        .expect("chmod");
    let program = format!(
        "env EDITOR={} {} demo",
        editor.display(),
        env!("CARGO_BIN_EXE_comptoir")
    );
    let tmux = Tmux::start(&program, home.path(), 120, 40);
    tmux.wait("the demo queue", 20, |s| s.contains("Queue"));
    tmux.keys(&["e"]);
    let screen = tmux.wait("the draft back from the editor", 10, |s| {
        s.contains("Texte écrit dans l’éditeur") && s.contains("Reply to")
    });
    assert!(screen.contains("Draft back from the editor"), "{screen}");
    tmux.keys(&["C-s"]);
    tmux.wait("the reply queued", 5, |s| s.contains("Reply queued"));
}

/// A home with a config naming only the agent (no channel), and where its store goes.
fn agent_home() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let home = tempfile::tempdir().expect("tempdir");
    let data = home.path().join("shop");
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[agent]\nname = \"Camille\"\ntimezone = \"Europe/Paris\"\n",
    )
    .expect("config");
    (home, data, config)
}

#[test]
fn a_message_written_by_another_process_shows_up() {
    use comptoir::channels::{Contact, Inbound};
    use comptoir::model::Channel;
    use comptoir::store::Store;

    let (home, data, config) = agent_home();
    let inbound = |id: &str, text: &str| Inbound {
        channel: Channel::Chat,
        account: "site".into(),
        thread_key: format!("visitor-{id}"),
        external_id: id.into(),
        references: Vec::new(),
        reply_to: None,
        from: Contact {
            handle: format!("visitor-{id}"),
            display_name: Some(format!("Visiteur {id}")),
            ..Contact::default()
        },
        subject: None,
        text: text.into(),
        attachments: Vec::new(),
        sent_at: jiff::Timestamp::now(),
        automated: false,
        raw: None,
    };
    let mut store = Store::open(&data.join("store.sqlite")).expect("store");
    comptoir::ingest::ingest(
        &mut store,
        &inbound("a", "Première question"),
        jiff::Timestamp::now(),
    )
    .expect("ingest");
    let program = format!(
        "{} --config {} --data-dir {}",
        env!("CARGO_BIN_EXE_comptoir"),
        config.display(),
        data.display()
    );
    let tmux = Tmux::start(&program, home.path(), 120, 40);
    tmux.wait("the inbox", 20, |s| {
        s.contains("Visiteur a") && s.contains("Camille")
    });
    // The TUI marks its agent available while it is open.
    tmux.wait("presence", 5, |s| s.contains("● available"));
    comptoir::ingest::ingest(
        &mut store,
        &inbound("b", "Une autre question \u{1b}[31mrouge"),
        jiff::Timestamp::now(),
    )
    .expect("ingest");
    let screen = tmux.wait("the other process's message", 10, |s| {
        s.contains("Visiteur b")
    });
    assert!(
        screen.contains("Une autre question ro") && !screen.contains("[31m"),
        "sanitised preview: {screen}"
    );
    tmux.keys(&["q"]);
}

#[test]
fn the_dead_letter_view_opens_from_a_key_and_shows_a_sanitised_reason() {
    use comptoir::model::Channel;
    use comptoir::store::Store;

    let (home, data, config) = agent_home();
    let mut store = Store::open(&data.join("store.sqlite")).expect("store");
    comptoir::ingest::dead_letter(
        &mut store,
        Channel::Email,
        "boutique",
        Some("<bad@x>"),
        b"Subject: \x1b[31mrouge\x1b]0;titre\x07 facture\r\n\r\nbody",
        "parser \u{1b}[31mfailed\u{1b}]52;c;cHduZWQ=\u{7} here",
        jiff::Timestamp::now(),
    )
    .expect("dead letter");
    let program = format!(
        "{} --config {} --data-dir {}",
        env!("CARGO_BIN_EXE_comptoir"),
        config.display(),
        data.display()
    );
    let tmux = Tmux::start(&program, home.path(), 120, 40);
    tmux.wait("the dead-letter count", 20, |s| s.contains("1 dead letter"));
    tmux.keys(&["D"]);
    let screen = tmux.wait("the dead-letter view", 10, |s| {
        s.contains("Dead letters · 1") && s.contains("Subject: rouge facture")
    });
    assert!(
        screen.contains("parser failed here")
            && !screen.contains("[31m")
            && !screen.contains("]52;")
            && !screen.contains("titre"),
        "sanitised reason and headers: {screen}"
    );
    // Another process sets a second message aside: the open view follows the store.
    comptoir::ingest::dead_letter(
        &mut store,
        Channel::Email,
        "boutique",
        Some("<worse@x>"),
        b"X: y\r\n\r\n",
        "second reason",
        jiff::Timestamp::now(),
    )
    .expect("dead letter");
    tmux.wait("the second dead letter", 10, |s| {
        s.contains("Dead letters · 2")
            && s.contains("second reason")
            && s.contains("2 dead letters")
    });
    tmux.keys(&["q"]);
    tmux.wait("the inbox again", 10, |s| !s.contains("Dead letters ·"));
    tmux.keys(&["q"]);
    tmux.wait("the exit", 10, |_| tmux.pane_dead().is_some());
}

#[path = "common/dovecot.rs"]
mod dovecot;

fn mail(n: u32, name: &str) -> Vec<u8> {
    format!(
        "From: {name} <customer{n}@example.com>\r\nTo: contact@boutique.example\r\n\
         Subject: Commande {n}\r\nDate: Mon, 23 Nov 2026 09:{n:02}:00 +0000\r\n\
         Message-ID: <inbox-{n}@shop.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nOù en est la commande {n} ?\r\n"
    )
    .into_bytes()
}

#[test]
fn the_inbox_runs_the_email_channel_when_no_serve_does() {
    let server = dovecot::Dovecot::start();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(server.append("INBOX", &mail(1, "Léa Courriel"), None));

    let home = tempfile::tempdir().expect("tempdir");
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[agent]\nname = \"Camille\"\n\n[[email]]\nname = \"boutique\"\naddress = \"contact@boutique.example\"\n\
             username = \"{user}\"\npassword_command = \"printf {password}\"\n\
             imap = {{ host = \"127.0.0.1\", port = {port}, tls = \"implicit\" }}\n\
             smtp = {{ host = \"127.0.0.1\", port = 1, tls = \"none\" }}\nca_file = \"{cert}\"\npoll_seconds = 5\n",
            user = dovecot::USER,
            password = dovecot::PASSWORD,
            port = server.tls_port,
            cert = server.cert().display(),
        ),
    )
    .expect("config");
    let data = home.path().join("shop");
    let program = format!(
        "{} --config {} --data-dir {}",
        env!("CARGO_BIN_EXE_comptoir"),
        config.display(),
        data.display()
    );
    let tmux = Tmux::start(&program, home.path(), 120, 40);
    tmux.wait("the channels notice", 20, |s| {
        s.contains("Channels run in this inbox")
    });
    tmux.wait("the first email synced", 30, |s| s.contains("Commande 1"));

    // While the inbox runs the channels, a `serve` on the same store is refused.
    let out = Command::new(env!("CARGO_BIN_EXE_comptoir"))
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .arg("serve")
        .output()
        .expect("run serve");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds"));

    // New mail arrives at the next poll.
    rt.block_on(server.append("INBOX", &mail(2, "Noé Courriel"), None));
    tmux.wait("the second email synced", 30, |s| s.contains("Commande 2"));

    tmux.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while tmux.pane_dead().is_none() {
        assert!(
            Instant::now() < deadline,
            "the inbox did not quit:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(tmux.pane_dead(), Some(0));
}

/// One HTTP/1.1 request to the demo's relay on loopback, as a browser would send it;
/// returns the status and the body. `Connection: close` lets the body run to the end.
fn http(method: &str, url: &str, bearer: Option<&str>, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut stream = std::net::TcpStream::connect(host).expect("connect to the relay");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let auth = bearer.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Reads the server-sent events at `url` on a thread until `wanted` shows up in them; the
/// receiver gets everything read by then (nothing if the stream ends first).
fn listen(url: &str, wanted: &str) -> std::sync::mpsc::Receiver<String> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http URL").to_owned();
    let wanted = wanted.to_owned();
    let (tx, rx) = std::sync::mpsc::channel();
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(host).expect("connect to the relay");
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                return;
            }
            seen.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&seen);
            if text.contains(&wanted) {
                let _ = tx.send(text.into_owned());
                return;
            }
        }
    });
    rx
}

#[test]
fn the_demo_shows_its_widget_page_and_a_browser_visitor_reaches_the_queue() {
    let home = tempfile::tempdir().expect("tempdir");
    let program = format!("{} demo", env!("CARGO_BIN_EXE_comptoir"));
    let tmux = Tmux::start(&program, home.path(), 120, 40);

    // The test page's URL is on the command line, and the chat is live.
    let screen = tmux.wait("the widget URL", 20, |s| {
        s.contains("Chat with yourself: http://127.0.0.1:") && s.contains("chat: live")
    });
    let url = screen
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("a URL")
        .to_owned();
    let base = url
        .strip_suffix("/chat/site/widget")
        .unwrap_or_else(|| panic!("the widget page's URL: {url}"));
    let (status, page) = http("GET", &url, None, "");
    assert_eq!(status, 200, "{page}");

    // A visitor, as the widget creates one, writes; the TUI's queue shows them.
    let (status, visitor) = http("POST", &format!("{base}/chat/site/visitors"), None, "{}");
    assert_eq!(status, 201, "{visitor}");
    let visitor: serde_json::Value = serde_json::from_str(&visitor).unwrap();
    let (id, token) = (
        visitor["visitor_id"].as_str().unwrap(),
        visitor["token"].as_str().unwrap(),
    );
    let (status, answer) = http(
        "POST",
        &format!("{base}/chat/site/visitors/{id}/messages"),
        Some(token),
        r#"{"name":"Zoé Navigatrice","text":"Bonjour depuis le navigateur","client_id":"c1"}"#,
    );
    assert_eq!(status, 202, "{answer}");
    tmux.wait("the visitor in the queue", 10, |s| {
        s.lines()
            .any(|l| l.contains("chat") && l.contains("Zoé Naviga") && l.contains("Bonjour depuis"))
    });

    // The visitor's widget listens; the agent opens their conversation and replies; the
    // reply reaches the widget's event stream live.
    let reply = "Bonjour Zoé, ici Camille";
    let events = listen(
        &format!("{base}/chat/site/visitors/{id}/events?token={token}"),
        reply,
    );
    let mut title = thread_title(&tmux.screen());
    for _ in 0..40 {
        if title.contains("Zoé") {
            break;
        }
        tmux.keys(&["j"]);
        title = thread_title(&tmux.wait("the selection to move", 5, |s| thread_title(s) != title));
    }
    assert!(title.contains("Zoé"), "{title}");
    tmux.keys(&["Enter"]);
    tmux.keys(&["r"]);
    tmux.wait("the composer", 5, |s| s.contains("Reply to"));
    tmux.type_text(reply);
    tmux.keys(&["C-s"]);
    let stream = events
        .recv_timeout(Duration::from_secs(30))
        .expect("the event stream ended or timed out");
    assert!(stream.contains(reply), "{stream}");
    tmux.keys(&["Escape"]);

    // Away: the chat's own status turns to "leave a message" within seconds.
    tmux.keys(&["a"]);
    tmux.wait("the agent away", 5, |s| s.contains("◐ away"));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = http("GET", &format!("{base}/chat/site/status"), None, "");
        assert_eq!(status, 200, "{body}");
        let state: serde_json::Value = serde_json::from_str(&body).unwrap();
        if state["available"] == false {
            break;
        }
        assert!(Instant::now() < deadline, "still available: {body}");
        std::thread::sleep(Duration::from_millis(200));
    }

    // "You are away" replaced the address; `:widget` shows it again.
    assert!(!tmux.screen().contains(&url), "{}", tmux.screen());
    tmux.keys(&[":"]);
    tmux.type_text("widget");
    tmux.keys(&["Enter"]);
    tmux.wait("the widget URL again", 5, |s| {
        s.contains(&format!("Chat with yourself: {url}"))
    });
    tmux.keys(&["q"]);
}
