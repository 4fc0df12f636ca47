//! A deterministic mailbox for the email benchmark: customers writing to a shop, some of
//! them following up in threads, in plain text, text + HTML, or with a small attachment,
//! written straight into a Maildir (far faster than APPENDing 20,000 messages).
//!
//! Include it with `#[path = "common/mailgen.rs"] mod mailgen;`.
//!
//! Every subject carries its thread's order number as `#4NNNNNN`, early enough to survive
//! a narrow column, so a screen can be searched for "one of the newest conversations".

#![allow(clippy::expect_used, reason = "a benchmark fails loudly")]

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fastrand::Rng;

/// The uid and gid Dovecot runs the mail user as (nobody:nogroup on Debian), as in
/// tests/common/dovecot.rs.
const MAIL_UID: u32 = 65534;

const FIRST: &[&str] = &[
    "Léa", "Camille", "Manon", "Chloé", "Inès", "Sarah", "Jade", "Louise", "Emma", "Zoé", "Lucas",
    "Hugo", "Louis", "Nathan", "Gabriel", "Jules", "Arthur", "Adam", "Raphaël", "Noé", "Karim",
    "Yasmine", "Mehdi", "Nadia", "Thomas", "Sophie", "Julien", "Claire", "Antoine", "Marie",
    "Olivia", "James", "Amelia", "Oliver", "Isla", "Jack", "Mia", "Harry", "Ava", "Mateo", "Lucía",
    "Jan", "Anna",
];
const LAST: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Benali",
    "Nguyen",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Müller",
    "Kowalski",
    "García",
    "Rossi",
    "Haddad",
];
const DOMAINS: &[&str] = &[
    "gmail.com",
    "orange.fr",
    "free.fr",
    "hotmail.fr",
    "yahoo.fr",
    "outlook.com",
    "laposte.net",
    "sfr.fr",
    "icloud.com",
    "proton.me",
    "wanadoo.fr",
    "gmx.de",
];
/// Subject shapes; `{}` is the order number. The number comes within the first 18
/// characters of each.
const SUBJECTS: &[&str] = &[
    "Commande #{} : colis non reçu",
    "Cde #{} - retard de livraison",
    "Retour #{} — taille trop petite",
    "Question #{} sur la livraison",
    "Colis #{} abîmé à la réception",
    "Facture #{} introuvable",
    "Remboursement #{} ?",
    "Commande #{} annulée ?",
    "Order #{} not delivered",
    "Order #{}: wrong size",
    "Échange #{} : autre couleur svp",
    "Suivi #{} bloqué depuis 5 jours",
];
const SENTENCES: &[&str] = &[
    "Bonjour, je n'ai toujours pas reçu ma commande.",
    "Le suivi indique que le colis est bloqué au centre de tri depuis plusieurs jours.",
    "Pouvez-vous me dire quand il sera livré ?",
    "La taille ne convient pas, je voudrais l'échanger contre un M.",
    "L'article est arrivé abîmé, je joins une photo.",
    "J'ai été débitée deux fois pour la même commande.",
    "Merci de me rembourser au plus vite.",
    "Le code promo n'a pas été appliqué au moment du paiement.",
    "Est-il possible de changer l'adresse de livraison ?",
    "Je suis cliente depuis des années et je suis très déçue.",
    "Hello, my parcel still hasn't arrived and the tracking has not moved.",
    "Could you please send a replacement in the right size?",
    "I was charged twice for this order, please refund one of them.",
    "The colour is not the one shown on the website.",
    "Cordialement,",
    "Bonne journée !",
    "Merci d'avance pour votre réponse.",
    "Kind regards,",
];

/// What the benchmark needs to know of the mailbox it wrote.
pub struct Mailbox {
    /// How many messages were written.
    pub messages: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Order tokens (`#4NNNNNN`) of the threads of the newest `newest_batch` messages:
    /// one of them on screen means "the newest conversations are shown".
    pub newest_tokens: Vec<String>,
    /// The newest message's subject, as its header says (decoded).
    pub newest_subject: String,
}

struct Thread {
    token: String,
    subject: String,
    from_name: String,
    from_addr: String,
    root_id: String,
    last_id: String,
}

/// Writes `count` messages into `maildir/cur` (creating the Maildir), dated over the
/// `days` before `now`, newest last; one in ten is already `\Seen`. File names begin with
/// the delivery time so Dovecot numbers the UIDs in date order, and each file's mtime is
/// its date (Dovecot's INTERNALDATE for Maildir, which SEARCH SINCE reads).
pub fn write_maildir(
    maildir: &Path,
    count: usize,
    days: u64,
    now: SystemTime,
    seed: u64,
    newest_batch: usize,
) -> Mailbox {
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("create the Maildir");
    }
    let mut rng = Rng::with_seed(seed);
    let span = Duration::from_secs(days * 24 * 3600);
    let start = now - span;
    // Sorted delivery times, at least a second apart at the top so "newest" is unique.
    let mut times: Vec<u64> = (0..count)
        .map(|_| rng.u64(0..span.as_secs() - 3600))
        .collect();
    times.sort_unstable();
    // Strictly increasing, so file names sort in date order and the newest is unique.
    for i in 1..times.len() {
        times[i] = times[i].max(times[i - 1] + 1);
    }
    let base = start
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();

    let mut threads: Vec<Thread> = Vec::new();
    let mut thread_of: Vec<usize> = Vec::with_capacity(count);
    let mut bytes = 0u64;
    let mut newest_subject = String::new();
    let pid = std::process::id();
    for (i, offset) in times.iter().enumerate() {
        let at = base + offset;
        // A third are follow-ups in one of the recent threads, as customers chase up.
        let follow_up = !threads.is_empty() && rng.u8(0..3) == 0;
        let t = if follow_up {
            let recent = threads.len().min(400);
            threads.len() - 1 - rng.usize(0..recent)
        } else {
            threads.push(new_thread(&mut rng, threads.len()));
            threads.len() - 1
        };
        thread_of.push(t);
        let id = format!(
            "<{i:05}.{:x}@{}>",
            rng.u64(..),
            domain_of(&threads[t].from_addr)
        );
        let raw = render(&mut rng, &threads[t], follow_up, &id, at);
        if follow_up {
            threads[t].last_id.clone_from(&id);
        } else {
            threads[t].root_id.clone_from(&id);
            threads[t].last_id.clone_from(&id);
        }
        if i + 1 == count {
            newest_subject = if follow_up {
                format!("Re: {}", threads[t].subject)
            } else {
                threads[t].subject.clone()
            };
        }
        let flags = if rng.u8(0..10) == 0 { "S" } else { "" };
        let name = format!("{at}.M{i:05}P{pid}.bench,S={}:2,{flags}", raw.len());
        let path = maildir.join("cur").join(name);
        std::fs::write(&path, &raw).expect("write a message");
        let file = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("reopen a message");
        file.set_modified(UNIX_EPOCH + Duration::from_secs(at))
            .expect("set the delivery time");
        std::os::unix::fs::chown(&path, Some(MAIL_UID), Some(MAIL_UID)).expect("chown");
        bytes += raw.len() as u64;
    }
    let mut owned = maildir.to_path_buf();
    std::os::unix::fs::chown(&owned, Some(MAIL_UID), Some(MAIL_UID)).expect("chown");
    for sub in ["cur", "new", "tmp"] {
        std::os::unix::fs::chown(maildir.join(sub), Some(MAIL_UID), Some(MAIL_UID)).expect("chown");
    }
    // The home above the Maildir too, when the generator created it.
    if owned.pop() {
        std::os::unix::fs::chown(&owned, Some(MAIL_UID), Some(MAIL_UID)).expect("chown");
    }

    let mut newest_tokens: Vec<String> = thread_of[count.saturating_sub(newest_batch)..]
        .iter()
        .map(|&t| threads[t].token.clone())
        .collect();
    newest_tokens.sort_unstable();
    newest_tokens.dedup();
    Mailbox {
        messages: count,
        bytes,
        newest_tokens,
        newest_subject,
    }
}

fn new_thread(rng: &mut Rng, n: usize) -> Thread {
    let first = FIRST[rng.usize(0..FIRST.len())];
    let last = LAST[rng.usize(0..LAST.len())];
    let token = format!("#{}", 4_000_000 + n * 7 + rng.usize(0..7));
    let shape = SUBJECTS[rng.usize(0..SUBJECTS.len())];
    let subject = shape.replace("#{}", &token);
    let local: String = format!("{first}.{last}")
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ë' => 'e',
            'ç' => 'c',
            'ü' => 'u',
            'í' => 'i',
            'ï' => 'i',
            c if c.is_ascii_alphanumeric() || c == '.' => c,
            _ => '-',
        })
        .collect();
    let from_addr = format!(
        "{local}{}@{}",
        rng.u16(1..99),
        DOMAINS[rng.usize(0..DOMAINS.len())]
    );
    Thread {
        token,
        subject,
        from_name: format!("{first} {last}"),
        from_addr,
        root_id: String::new(),
        last_id: String::new(),
    }
}

fn domain_of(addr: &str) -> &str {
    addr.rsplit('@').next().unwrap_or("example.com")
}

/// One message, CRLF line ends, as a mail client would have sent it.
fn render(rng: &mut Rng, thread: &Thread, follow_up: bool, id: &str, at: u64) -> Vec<u8> {
    let mut h = String::new();
    let subject = if follow_up {
        format!("Re: {}", thread.subject)
    } else {
        thread.subject.clone()
    };
    let _ = write!(h, "Return-Path: <{}>\r\n", thread.from_addr);
    let _ = write!(
        h,
        "Received: from mx.{} by mx.boutique.example; {}\r\n",
        domain_of(&thread.from_addr),
        rfc2822(at)
    );
    // Half the names and subjects with accents go out as RFC 2047 encoded words, as many
    // clients send them.
    let encode = rng.bool();
    let _ = write!(
        h,
        "From: {} <{}>\r\nTo: Boutique <contact@boutique.example>\r\n",
        header_text(&thread.from_name, encode),
        thread.from_addr
    );
    let _ = write!(h, "Subject: {}\r\n", header_text(&subject, encode));
    let _ = write!(h, "Date: {}\r\nMessage-ID: {id}\r\n", rfc2822(at));
    if follow_up {
        let _ = write!(
            h,
            "In-Reply-To: {}\r\nReferences: {} {}\r\n",
            thread.last_id, thread.root_id, thread.last_id
        );
    }
    h.push_str("MIME-Version: 1.0\r\nUser-Agent: Bench/1.0\r\n");

    let mut text = String::new();
    for _ in 0..rng.usize(2..9) {
        text.push_str(SENTENCES[rng.usize(0..SENTENCES.len())]);
        text.push_str(if rng.u8(0..3) == 0 { "\r\n\r\n" } else { " " });
    }
    let _ = write!(
        text,
        "\r\n\r\n{}\r\nCommande {}\r\n",
        thread.from_name, thread.token
    );
    match rng.u8(0..20) {
        // Text and HTML, as webmail sends.
        0..=3 => {
            let b = format!("alt-{:x}", rng.u64(..));
            let html = format!(
                "<html><body><div dir=\"ltr\"><p>{}</p><p style=\"color:#888\">Envoyé depuis mon téléphone</p></div></body></html>",
                text.replace("\r\n\r\n", "</p><p>").replace("\r\n", "<br>")
            );
            let _ = write!(
                h,
                "Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n\
                 --{b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n\
                 --{b}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{html}\r\n--{b}--\r\n"
            );
        }
        // A small photo or PDF.
        4 => {
            let b = format!("mix-{:x}", rng.u64(..));
            let size = rng.usize(2_000..20_000);
            let data: Vec<u8> = (0..size).map(|_| rng.u8(..)).collect();
            let (name, mime) = if rng.bool() {
                ("photo.jpg", "image/jpeg")
            } else {
                ("facture.pdf", "application/pdf")
            };
            let _ = write!(
                h,
                "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n\
                 --{b}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n\
                 --{b}\r\nContent-Type: {mime}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--{b}--\r\n",
                base64_lines(&data)
            );
        }
        _ => {
            let _ = write!(
                h,
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}"
            );
        }
    }
    h.into_bytes()
}

/// Non-ASCII header text as an RFC 2047 `B` encoded word when `encode`, else raw UTF-8
/// (RFC 6532), which Dovecot and most clients accept too.
fn header_text(text: &str, encode: bool) -> String {
    if encode && !text.is_ascii() {
        format!("=?UTF-8?B?{}?=", base64(text.as_bytes()))
    } else {
        text.to_owned()
    }
}

fn rfc2822(at: u64) -> String {
    let ts = jiff::Timestamp::from_second(i64::try_from(at).expect("a date")).expect("a date");
    ts.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 in 76-character lines, as MIME wants it.
fn base64_lines(data: &[u8]) -> String {
    let flat = base64(data);
    let mut out = String::with_capacity(flat.len() + flat.len() / 38);
    for (i, c) in flat.chars().enumerate() {
        if i > 0 && i % 76 == 0 {
            out.push_str("\r\n");
        }
        out.push(c);
    }
    out
}
