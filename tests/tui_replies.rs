//! A canned reply end to end: the real binary in a private tmux server on a config with
//! a `[shop]` name, whose replies folder the inbox fills with the shipped examples. The
//! agent opens a reply, picks one with `<C-r>` and a few letters, sends it, and the
//! reply, its variables filled, lands in the store's outbox.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use std::time::{Duration, Instant};

use comptoir::channels::{Contact, Inbound};
use comptoir::model::{Channel, MessageKind};
use comptoir::store::Store;

#[path = "common/tmux.rs"]
mod tmux;
use tmux::Tmux;

#[test]
fn a_canned_reply_is_picked_with_ctrl_r_sent_and_stored() {
    let home = tempfile::tempdir().expect("tempdir");
    let data = home.path().join("shop");
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[agent]\nname = \"Camille\"\ntimezone = \"Europe/Paris\"\n\n[shop]\nname = \"La Petite Épicerie\"\n",
    )
    .expect("config");
    let mut store = Store::open(&data.join("store.sqlite")).expect("store");
    let inbound = Inbound {
        channel: Channel::Chat,
        account: "site".into(),
        thread_key: "visitor-ada".into(),
        external_id: "m1".into(),
        references: Vec::new(),
        reply_to: None,
        from: Contact {
            handle: "visitor-ada".into(),
            display_name: Some("Ada Lovelace".into()),
            ..Contact::default()
        },
        subject: None,
        text: "Bonjour, une question".into(),
        attachments: Vec::new(),
        sent_at: jiff::Timestamp::now(),
        automated: false,
        raw: None,
    };
    let conversation = match comptoir::ingest::ingest(&mut store, &inbound, jiff::Timestamp::now())
        .expect("ingest")
    {
        comptoir::ingest::Outcome::New { conversation, .. } => conversation,
        other => panic!("not stored: {other:?}"),
    };
    let program = format!(
        "{} --config {} --data-dir {}",
        env!("CARGO_BIN_EXE_comptoir"),
        config.display(),
        data.display()
    );
    let tmux = Tmux::start(&program, home.path(), 120, 40);
    tmux.wait("the inbox", 20, |s| s.contains("Ada Lovelace"));
    assert!(
        home.path().join("replies/greeting.md").is_file(),
        "the examples were written beside the config"
    );

    tmux.keys(&["r"]);
    tmux.wait("the composer", 5, |s| s.contains("Reply to"));
    tmux.keys(&["C-r"]);
    tmux.wait("the picker", 5, |s| s.contains("Canned replies"));
    tmux.type_text("greet");
    let screen = tmux.wait("the preview, variables filled", 5, |s| {
        s.contains("Thank you for writing to La Petite") && s.contains("Hello Ada,")
    });
    assert!(screen.contains("as sent on chat"), "{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait("the reply in the draft", 5, |s| {
        !s.contains("Canned replies") && s.contains("Inserted “Greeting”")
    });
    tmux.keys(&["C-s"]);
    tmux.wait("the reply queued", 5, |s| s.contains("Reply queued"));

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let thread = store.thread(conversation).expect("thread");
        if let Some(reply) = thread.iter().find(|m| m.kind == MessageKind::Outbound) {
            assert_eq!(
                reply.body,
                "Hello Ada,\n\nThank you for writing to La Petite Épicerie. I'm Camille and I'll help you with this."
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reply never reached the store; screen:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.keys(&["q"]);
}
