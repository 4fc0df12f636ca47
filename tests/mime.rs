//! The email MIME layer on a corpus of real-shaped, malformed and hostile messages: a
//! snapshot of each parse (LF and CRLF alike), the properties that matter asserted one by
//! one, a proptest that parsing never panics, and a reply threading through real ingest.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a test fails loudly"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use comptoir::channels::Inbound;
use comptoir::channels::email::mime::{self, Automated, ParsedMail};
use comptoir::ingest::{self, MAX_TEXT_BYTES, Outcome};
use comptoir::store::Store;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

const OWN: &str = "contact@boutique.example";

fn now() -> Timestamp {
    "2026-03-10T00:00:00Z".parse().unwrap()
}

fn own() -> Vec<String> {
    vec![OWN.to_owned()]
}

fn parse(raw: &[u8]) -> ParsedMail {
    mime::parse_at(raw, "boutique", &own(), now())
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/eml")
}

/// Every corpus file as (`dir_NNN`, bytes), in a stable order.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for dir in ["rfc", "malformed", "hostile"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(corpus_dir().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        entries.sort();
        for path in entries {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            files.push((format!("{dir}_{stem}"), std::fs::read(&path).unwrap()));
        }
    }
    files
}

fn file(name: &str) -> Vec<u8> {
    std::fs::read(corpus_dir().join(name)).unwrap()
}

fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 20);
    for &b in raw {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn inbound(p: &ParsedMail) -> &Inbound {
    p.inbound.as_ref().expect("an inbound message")
}

/// Controls shown as `\u{..}`, so an escape sequence is visible in a snapshot instead of
/// acting on the terminal that shows it.
fn visible(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A readable, stable summary of a parse. With `line_ending_free`, what depends on the
/// exact bytes (synthetic ids, the bytes of textual attachments) is left out, so the LF
/// and CRLF forms of one message compare equal.
fn summary(p: &ParsedMail, line_ending_free: bool) -> String {
    let synthetic = |id: &str| {
        if line_ending_free && id.ends_with("@comptoir.invalid>") {
            "<synthetic@comptoir.invalid>".to_owned()
        } else {
            id.to_owned()
        }
    };
    let mut s = String::new();
    writeln!(s, "message_id: {}", visible(&synthetic(&p.message_id))).unwrap();
    writeln!(s, "in_reply_to: {:?}", p.in_reply_to).unwrap();
    writeln!(s, "references: {:?}", p.references).unwrap();
    writeln!(s, "reply_to: {:?}", p.reply_to).unwrap();
    writeln!(s, "subject: {:?}", p.subject.as_deref().map(visible)).unwrap();
    writeln!(
        s,
        "normalized_subject: {:?}",
        visible(&p.normalized_subject)
    )
    .unwrap();
    writeln!(s, "date: {:?}", p.date.map(|d| d.to_string())).unwrap();
    writeln!(s, "automated: {:?}", p.automated).unwrap();
    writeln!(s, "from_us: {}", p.from_us).unwrap();
    writeln!(s, "problems:").unwrap();
    for problem in &p.problems {
        writeln!(s, "  - {}", visible(problem)).unwrap();
    }
    let Some(m) = &p.inbound else {
        writeln!(s, "inbound: none").unwrap();
        return s;
    };
    writeln!(s, "inbound:").unwrap();
    writeln!(s, "  channel/account: {}/{}", m.channel, m.account).unwrap();
    writeln!(s, "  external_id: {}", visible(&synthetic(&m.external_id))).unwrap();
    writeln!(s, "  thread_key: {}", visible(&synthetic(&m.thread_key))).unwrap();
    writeln!(s, "  references: {:?}", m.references).unwrap();
    writeln!(s, "  from: {}", visible(&m.from.handle)).unwrap();
    writeln!(
        s,
        "  display_name: {:?}",
        m.from.display_name.as_deref().map(visible)
    )
    .unwrap();
    writeln!(s, "  sent_at: {}", m.sent_at).unwrap();
    writeln!(s, "  automated: {}", m.automated).unwrap();
    writeln!(s, "  raw kept: {}", m.raw.is_some()).unwrap();
    writeln!(s, "  attachments:").unwrap();
    for a in &m.attachments {
        // Text, forwarded messages, and parts kept undecoded carry their line endings.
        let raw_dependent = a.mime.starts_with("text/")
            || a.mime.starts_with("message/")
            || p.problems
                .iter()
                .any(|x| x.contains("could not be decoded"));
        if line_ending_free && raw_dependent {
            writeln!(s, "    - {:?} {}", visible(&a.name), a.mime).unwrap();
        } else {
            let sha: String = Sha256::digest(&a.bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            writeln!(
                s,
                "    - {:?} {} {} bytes sha256:{}",
                visible(&a.name),
                a.mime,
                a.bytes.len(),
                &sha[..12]
            )
            .unwrap();
        }
    }
    writeln!(s, "  text:").unwrap();
    for line in m.text.lines() {
        writeln!(s, "    | {}", visible(line)).unwrap();
    }
    s
}

#[test]
fn every_corpus_file_parses_the_same_with_lf_and_crlf() {
    let corpus = corpus();
    assert!(corpus.len() >= 20, "the corpus has {} files", corpus.len());
    for (name, raw) in &corpus {
        let lf = parse(raw);
        let crlf = parse(&crlf(raw));
        assert_eq!(
            summary(&lf, true),
            summary(&crlf, true),
            "{name}: LF and CRLF differ"
        );
        insta::assert_snapshot!(name.as_str(), summary(&lf, false));
    }
}

#[test]
fn charsets_decode_to_the_right_characters() {
    let latin1 = parse(&file("rfc/002.eml"));
    let m = inbound(&latin1);
    assert!(m.text.contains("J'ai reçu la théière"), "{}", m.text);
    assert!(m.text.contains("À bientôt,\nFrançoise"), "{}", m.text);
    assert_eq!(latin1.subject.as_deref(), Some("Théière cassée"));
    assert_eq!(m.from.display_name.as_deref(), Some("Françoise Léger"));

    let cp1252 = parse(&file("rfc/003.eml"));
    let m = inbound(&cp1252);
    assert!(
        m.text
            .contains("“€ 45” but I paid € 40 – could you check? It’s"),
        "{}",
        m.text
    );
    assert_eq!(m.from.display_name.as_deref(), Some("O'Brien, Sean"));

    let jis = parse(&file("rfc/004.eml"));
    let m = inbound(&jis);
    assert!(m.text.starts_with("こんにちは。注文番号1099"), "{}", m.text);
    assert_eq!(jis.subject.as_deref(), Some("配送について"));
    assert_eq!(m.from.display_name.as_deref(), Some("山田太郎"));

    let words = parse(&file("rfc/005.eml"));
    assert_eq!(
        words.subject.as_deref(),
        Some("Rücksendung – Bestellung 2031 📦 (dringend)")
    );
    assert_eq!(
        inbound(&words).from.display_name.as_deref(),
        Some("Zoë Müller")
    );
}

#[test]
fn an_unknown_charset_is_read_as_utf8_and_noted() {
    let p = parse(&file("malformed/002.eml"));
    assert!(inbound(&p).text.contains("Qapla'! The order arrived"));
    assert!(
        p.problems.iter().any(|x| x.contains("x-klingon")),
        "{:?}",
        p.problems
    );
}

#[test]
fn flowed_text_is_unwrapped() {
    let delsp = parse(&file("rfc/006.eml"));
    let text = &inbound(&delsp).text;
    assert!(
        text.starts_with(
            "This is a long paragraph that was wrapped by the mail client at a width of \
             seventy-two characters, in the middle of words, with DelSp so the soft-break \
             space goes.\n>This line starts with > but is only stuffed, not quoted.\n"
        ),
        "{text}"
    );
    assert!(text.ends_with("-- \nLena"), "{text:?}");

    let quoted = parse(&file("rfc/007.eml"));
    let text = &inbound(&quoted).text;
    assert!(
        text.contains("Thank you for the quick answer and the replacement.\n"),
        "{text}"
    );
    assert!(
        text.contains("> We have sent a new lid by express, it should arrive tomorrow.\n"),
        "{text}"
    );
    assert!(
        text.ends_with(">> Original question that was also flowed."),
        "{text}"
    );
}

#[test]
fn plain_text_is_preferred_to_html() {
    let p = parse(&file("rfc/008.eml"));
    let text = &inbound(&p).text;
    assert_eq!(
        text,
        "The plain version wins: please change my address to 3 rue des Lilas."
    );
    assert!(inbound(&p).attachments.is_empty());
}

#[test]
fn html_keeps_links_and_drops_scripts_styles_and_pixels() {
    let p = parse(&file("rfc/009.eml"));
    let text = &inbound(&p).text;
    assert!(text.contains("the order page"), "{text}");
    assert!(text.contains("https://shop.example/orders/1042"), "{text}");
    assert!(
        text.contains("https://tracking.example/parcel?id=XY123"),
        "{text}"
    );
    assert!(text.contains("& more"), "{text}");
    for absent in [
        "secret-script",
        "secret-style",
        "color: red",
        "pixel.example",
        "Ignored title",
    ] {
        assert!(!text.contains(absent), "{absent:?} in {text}");
    }

    let hostile = parse(&file("hostile/004.eml"));
    let text = &inbound(&hostile).text;
    assert!(text.contains("Visible text."), "{text}");
    for absent in [
        "script-marker",
        "style-marker",
        "onload-marker",
        "pixel.png",
        "document.cookie",
    ] {
        assert!(!text.contains(absent), "{absent:?} in {text}");
    }
}

#[test]
fn attachments_are_listed_with_names_types_and_sizes() {
    let p = parse(&file("rfc/010.eml"));
    let m = inbound(&p);
    let listed: Vec<(&str, &str, usize)> = m
        .attachments
        .iter()
        .map(|a| (a.name.as_str(), a.mime.as_str(), a.bytes.len()))
        .collect();
    assert_eq!(
        listed,
        [
            ("invoice-1042.pdf", "application/pdf", 77),
            ("attachment-2", "image/png", 70),
            ("façture €.pdf", "application/pdf", 77),
        ]
    );
    assert!(m.attachments[0].bytes.starts_with(b"%PDF-1.4"));
    assert!(m.attachments[1].bytes.starts_with(b"\x89PNG"));
    assert_eq!(
        m.text,
        "Here is the photo of the broken cup and the invoice."
    );
}

#[test]
fn a_forwarded_message_is_an_attachment_named_from_its_subject() {
    let p = parse(&file("rfc/011.eml"));
    let m = inbound(&p);
    assert_eq!(m.attachments.len(), 1);
    let fwd = &m.attachments[0];
    assert_eq!(fwd.name, "Your order confirmation.eml");
    assert_eq!(fwd.mime, "message/rfc822");
    let bytes = String::from_utf8(fwd.bytes.clone()).unwrap();
    assert!(bytes.starts_with("From: Boutique"), "{bytes:?}");
    assert!(
        bytes.trim_end().ends_with("Order 77: one blue teapot."),
        "{bytes:?}"
    );
    assert!(!bytes.contains("--FWD"), "{bytes:?}");
    assert_eq!(m.text, "See the confirmation below: the colour is wrong.");
}

#[test]
fn replies_carry_their_thread_root_and_references() {
    let p = parse(&file("rfc/012.eml"));
    let m = inbound(&p);
    assert_eq!(m.external_id, "<order-1042-q2@example.com>");
    assert_eq!(m.thread_key, "<order-1042-q1@example.com>");
    assert_eq!(
        m.references,
        [
            "<reply-to-anne@boutique.example>",
            "<order-1042-q1@example.com>"
        ]
    );
    assert_eq!(p.normalized_subject, "where is my order 1042?");
    assert!(!p.from_us);

    // Only In-Reply-To: it is the root.
    let ooo = parse(&file("rfc/013.eml"));
    assert_eq!(inbound(&ooo).thread_key, "<ship-55@boutique.example>");
}

#[test]
fn automatic_mail_is_marked() {
    for (name, want) in [
        ("rfc/013.eml", Automated::AutoReply),
        ("rfc/014.eml", Automated::Bounce),
        ("rfc/015.eml", Automated::Bulk),
    ] {
        let p = parse(&file(name));
        assert_eq!(p.automated, Some(want), "{name}");
        assert!(inbound(&p).automated, "{name}");
    }
    let bounce = parse(&file("rfc/014.eml"));
    assert_eq!(inbound(&bounce).from.handle, "mailer-daemon@mx.example.net");
    assert!(inbound(&bounce).text.contains("550 5.1.1 User unknown"));
    let person = parse(&file("rfc/001.eml"));
    assert_eq!(person.automated, None);
    assert!(!inbound(&person).automated);
}

#[test]
fn the_shops_own_mail_is_recognised_and_reply_to_kept() {
    let p = parse(&file("rfc/016.eml"));
    assert!(p.from_us);
    assert_eq!(inbound(&p).from.handle, OWN);
    assert_eq!(p.reply_to.as_deref(), Some("support@boutique.example"));
    assert_eq!(
        inbound(&p).from.display_name.as_deref(),
        Some("Camille (Boutique)")
    );
}

#[test]
fn header_injection_leaves_no_line_break_in_names_or_subjects() {
    let p = parse(&file("hostile/001.eml"));
    let m = inbound(&p);
    let name = m.from.display_name.as_deref().unwrap();
    let subject = p.subject.as_deref().unwrap();
    for field in [name, subject, m.from.handle.as_str()] {
        assert!(!field.contains(['\r', '\n']), "{field:?}");
    }
    assert_eq!(name, "Eve Bcc: all@x");
    assert_eq!(subject, "Refund Bcc: all@x X-Injected: 1");
    assert_eq!(p.reply_to.as_deref(), Some("eve@evil.example"));
}

#[test]
fn escape_sequences_in_subjects_are_left_for_the_terminal_layer() {
    let p = parse(&file("hostile/002.eml"));
    let subject = p.subject.as_deref().unwrap();
    assert!(
        subject.contains("\x1b]8;;https://evil.example"),
        "{subject:?}"
    );
    assert!(subject.contains("\x1b[2J"), "{subject:?}");
    assert!(subject.contains("\x1b[31mred\x1b[0m"), "{subject:?}");
    assert!(!subject.contains(['\r', '\n']));
}

#[test]
fn nul_bytes_are_replaced() {
    let p = parse(&file("hostile/003.eml"));
    let m = inbound(&p);
    assert_eq!(m.text, "Before\u{FFFD}after.");
    assert!(!p.subject.as_deref().unwrap().contains('\0'));
}

#[test]
fn missing_id_and_date_get_stable_stand_ins() {
    let raw = file("malformed/003.eml");
    let p = parse(&raw);
    let m = inbound(&p);
    assert!(m.external_id.starts_with('<'));
    assert!(m.external_id.ends_with("@comptoir.invalid>"));
    assert_eq!(m.external_id, parse(&raw).message_id, "stable");
    assert_eq!(m.thread_key, m.external_id);
    assert_eq!(p.date, None);
    assert_eq!(m.sent_at, now());
    assert_eq!(p.problems.len(), 2, "{:?}", p.problems);
}

#[test]
fn a_missing_sender_and_an_unreadable_date_are_noted() {
    let p = parse(&file("malformed/004.eml"));
    assert_eq!(inbound(&p).from.handle, mime::UNKNOWN_SENDER);
    assert!(p.problems.iter().any(|x| x.contains("From")));

    let p = parse(&file("malformed/005.eml"));
    assert_eq!(p.date, None);
    assert_eq!(inbound(&p).sent_at, now());
    assert!(p.problems.iter().any(|x| x.contains("Date")));
}

#[test]
fn a_date_in_the_future_is_pulled_back_to_a_day_ahead() {
    let p = parse(&file("hostile/005.eml"));
    assert_eq!(p.date, Some("2100-01-01T00:00:00Z".parse().unwrap()));
    assert_eq!(
        inbound(&p).sent_at,
        now().checked_add(SignedDuration::from_hours(24)).unwrap()
    );
}

#[test]
fn bytes_that_are_not_mail_have_no_inbound_but_say_why() {
    for raw in [
        &b""[..],
        b"\n\n\n",
        b"\0\0\0",
        b"just some words\nand more\n",
    ] {
        let p = parse(raw);
        assert!(p.inbound.is_none(), "{raw:?}: {p:?}");
        assert!(!p.problems.is_empty());
        assert!(p.message_id.ends_with("@comptoir.invalid>"));
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + bytes.len() / 57 + 4);
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push('\n');
        }
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * k) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn a_ten_megabyte_attachment_is_kept_whole() {
    let size = 10 * 1024 * 1024;
    let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let raw = format!(
        "From: Big <big@example.com>\nSubject: Big file\nDate: Mon, 09 Mar 2026 09:00:00 +0100\n\
         Message-ID: <big@example.com>\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\n\
         The scan.\n--B\nContent-Type: image/tiff; name=\"scan.tiff\"\n\
         Content-Transfer-Encoding: base64\n\n{}\n--B--\n",
        base64(&payload)
    );
    let p = parse(raw.as_bytes());
    let m = inbound(&p);
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].name, "scan.tiff");
    assert_eq!(m.attachments[0].bytes.len(), size);
    assert!(m.attachments[0].bytes == payload);
    assert!(m.raw.is_none(), "under the limits, raw is not doubled");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
}

#[test]
fn a_text_over_the_ingest_limit_keeps_its_raw_bytes() {
    let raw = format!(
        "From: a@example.com\nMessage-ID: <long@example.com>\nDate: Mon, 09 Mar 2026 09:00:00 +0100\n\n{}\n",
        "all work and no play\n".repeat(MAX_TEXT_BYTES / 20)
    );
    let p = parse(raw.as_bytes());
    let m = inbound(&p);
    assert!(m.text.len() > MAX_TEXT_BYTES);
    assert_eq!(m.raw.as_deref(), Some(raw.as_bytes()));
}

#[test]
fn sixty_nested_multiparts_parse_on_a_small_stack() {
    let depth = 60;
    let mut raw = String::from(
        "From: Deep <deep@example.com>\nSubject: Deep\nMessage-ID: <deep@example.com>\n\
         Date: Mon, 09 Mar 2026 09:00:00 +0100\nMIME-Version: 1.0\n",
    );
    for level in 0..depth {
        write!(
            raw,
            "Content-Type: multipart/mixed; boundary=\"level{level}\"\n\n--level{level}\n"
        )
        .unwrap();
    }
    raw.push_str("Content-Type: text/plain\n\nAt the bottom.\n");
    for level in (0..depth).rev() {
        writeln!(raw, "--level{level}--").unwrap();
    }
    let p = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || parse(raw.as_bytes()))
        .unwrap()
        .join()
        .expect("no overflow, no panic");
    assert_eq!(inbound(&p).text, "At the bottom.");
}

#[test]
fn deeply_nested_html_renders_without_overflow() {
    let depth = 5_000;
    let html = format!(
        "{}deep text{}",
        "<div><span><b>".repeat(depth),
        "</b></span></div>".repeat(depth)
    );
    let raw = format!(
        "From: h@example.com\nMessage-ID: <deep-html@example.com>\n\
         Date: Mon, 09 Mar 2026 09:00:00 +0100\nContent-Type: text/html\n\n{html}\n"
    );
    let p = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || parse(raw.as_bytes()))
        .unwrap()
        .join()
        .expect("no overflow, no panic");
    assert!(inbound(&p).text.contains("deep text"), "{:?}", p.problems);
}

#[test]
fn a_reply_joins_its_original_through_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("store.sqlite")).unwrap();
    let conversation = |outcome| match outcome {
        Outcome::New { conversation, .. } => conversation,
        other => panic!("expected a new message, got {other:?}"),
    };
    let first = parse(&file("rfc/001.eml"));
    let reply = parse(&file("rfc/012.eml"));
    let a = conversation(ingest::ingest(&mut store, inbound(&first), now()).unwrap());
    let b = conversation(ingest::ingest(&mut store, inbound(&reply), now()).unwrap());
    assert_eq!(a, b);
    let thread = store.thread(a).unwrap();
    assert_eq!(thread.len(), 2);
    assert!(thread[1].body.starts_with("It has arrived"));
}

/// What every parse must give, whatever the input.
fn check_invariants(p: &ParsedMail) {
    assert!(
        !p.problems.iter().any(|x| x.contains("MIME parser failed")),
        "the parser panicked: {:?}",
        p.problems
    );
    assert!(p.message_id.starts_with('<') && p.message_id.ends_with('>'));
    if let Some(m) = &p.inbound {
        assert!(!m.external_id.trim().is_empty());
        assert!(!m.thread_key.trim().is_empty());
        assert!(!m.from.handle.trim().is_empty());
        assert!(!m.text.contains('\0'));
        for field in [m.from.display_name.as_deref(), m.subject.as_deref()]
            .into_iter()
            .flatten()
        {
            assert!(!field.contains(['\r', '\n', '\0']), "{field:?}");
        }
    } else {
        assert!(!p.problems.is_empty());
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes never make `parse` panic, and what it returns is always storable.
    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_invariants(&parse(&raw));
    }

    /// Nor do corpus files with bytes flipped, inserted and deleted: the nearly-valid
    /// messages that reach the deeper paths of the parser.
    #[test]
    fn mutated_corpus_files_never_panic(
        pick in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..16),
        as_crlf in any::<bool>(),
    ) {
        let corpus = corpus();
        let (_, raw) = &corpus[pick.index(corpus.len())];
        let mut raw = if as_crlf { crlf(raw) } else { raw.clone() };
        for m in mutations {
            match m {
                Mutation::Flip(i, b) if !raw.is_empty() => {
                    let i = i % raw.len();
                    raw[i] ^= b;
                }
                Mutation::Insert(i, b) => raw.insert(i % (raw.len() + 1), b),
                Mutation::Delete(i) if !raw.is_empty() => {
                    raw.remove(i % raw.len());
                }
                _ => {}
            }
        }
        check_invariants(&parse(&raw));
    }
}
