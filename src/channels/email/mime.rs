//! Raw RFC 5322 bytes in, one normalised message out.
//!
//! Parsing is total: [`parse`] never fails and never panics. Whatever cannot be read is
//! replaced by a best-effort value and described in [`ParsedMail::problems`], so the
//! message is still stored; only bytes with no header at all come back without an
//! [`Inbound`], for the dead-letter list.
//!
//! The body text is the text/plain part when there is one (format=flowed unwrapped, per
//! RFC 3676), else the HTML part rendered by html2text, links kept as numbered footnotes
//! (`[text][1]` … `[1]: https://…`). The text is left as the sender wrote it, escape
//! sequences included: making it safe for the terminal is `tui::text`'s job. Only NUL
//! is replaced, because SQLite text must not hold it; and single-line fields (subject,
//! names) lose their line breaks, because a reply writes them back into headers.

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

use jiff::{SignedDuration, Timestamp};
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{
    Address, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};
use sha2::{Digest, Sha256};

use crate::channels::{Contact, Inbound, InboundAttachment};
use crate::ingest::{MAX_ATTACHMENT_BYTES, MAX_TEXT_BYTES};
use crate::model::Channel;

/// The handle given to a message with no usable From address.
pub const UNKNOWN_SENDER: &str = "unknown@invalid";

/// How far in the future a Date header may be before it is pulled back: clocks drift and
/// time zones get mislabelled, but a message dated next year would sit on top of the
/// queue forever.
const MAX_FUTURE: SignedDuration = SignedDuration::from_hours(24);

/// Why a message was written by a machine rather than a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Automated {
    /// An out-of-office or other automatic answer (`Auto-Submitted`, `X-Autoreply`,
    /// `Precedence: auto_reply`, a read receipt).
    AutoReply,
    /// A delivery failure report (`multipart/report; report-type=delivery-status`, or
    /// sent by `MAILER-DAEMON` / `postmaster`).
    Bounce,
    /// Bulk or list mail (`Precedence: bulk`, `junk` or `list`).
    Bulk,
}

/// One email, parsed as far as it could be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedMail {
    /// The message for `ingest`; `None` only when the bytes are not a mail message at
    /// all, and then [`ParsedMail::problems`] says why.
    pub inbound: Option<Inbound>,
    /// The Message-ID in angle brackets, or a synthetic `<sha256@comptoir.invalid>` when
    /// it has none, so the same bytes always dedupe.
    pub message_id: String,
    /// The `In-Reply-To` ids, in angle brackets.
    pub in_reply_to: Vec<String>,
    /// The `References` ids, oldest first, in angle brackets.
    pub references: Vec<String>,
    /// The first `Reply-To` address, lowercased: where replies go when it is set.
    pub reply_to: Option<String>,
    /// The decoded subject on one line.
    pub subject: Option<String>,
    /// The subject without reply prefixes and list tags, for threading by subject.
    pub normalized_subject: String,
    /// The Date header as written, if it could be read.
    pub date: Option<Timestamp>,
    /// Why the message is automatic, if it is.
    pub automated: Option<Automated>,
    /// Sent from one of the shop's own addresses (a copy of a reply, a message from the
    /// Sent folder).
    pub from_us: bool,
    /// What could not be read, one line each; empty for a clean message.
    pub problems: Vec<String>,
}

/// Parses one raw message received on `account`; `own_addresses` are the shop's own
/// addresses, to recognise its own mail. The current time fills a missing Date.
#[must_use]
pub fn parse(raw: &[u8], account: &str, own_addresses: &[String]) -> ParsedMail {
    parse_at(raw, account, own_addresses, Timestamp::now())
}

/// [`parse`] with the clock given, so tests and replays are reproducible: `now` fills a
/// missing or unreadable Date and bounds one in the future.
#[must_use]
pub fn parse_at(raw: &[u8], account: &str, own_addresses: &[String], now: Timestamp) -> ParsedMail {
    // mail-parser and html2text are fuzzed, but both carry debug assertions and deep
    // recursion paths; a panic in either must cost one message its parse, not the task.
    match catch_unwind(AssertUnwindSafe(|| {
        parse_inner(raw, account, own_addresses, now)
    })) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => unreadable(
            raw,
            "not a mail message: no From, Subject, Message-ID or Date header".into(),
        ),
        Err(_) => unreadable(raw, "the MIME parser failed on this message".into()),
    }
}

/// The Message-ID of a header block (e.g. `BODY[HEADER.FIELDS (MESSAGE-ID)]`) in the
/// `<id>` form [`parse`] gives as `external_id`; `None` when it has none, since the
/// synthetic id of such a message needs its whole bytes.
#[must_use]
pub fn header_message_id(header: &[u8]) -> Option<String> {
    catch_unwind(AssertUnwindSafe(|| {
        MessageParser::default()
            .parse_headers(header)
            .and_then(|m| m.message_id().and_then(bracket_id))
    }))
    .ok()
    .flatten()
}

/// The result for bytes that yield no message at all: enough for the dead-letter list.
fn unreadable(raw: &[u8], problem: String) -> ParsedMail {
    ParsedMail {
        inbound: None,
        message_id: synthetic_id(raw),
        in_reply_to: Vec::new(),
        references: Vec::new(),
        reply_to: None,
        subject: None,
        normalized_subject: String::new(),
        date: None,
        automated: None,
        from_us: false,
        problems: vec![problem],
    }
}

fn parse_inner(
    raw: &[u8],
    account: &str,
    own_addresses: &[String],
    now: Timestamp,
) -> Option<ParsedMail> {
    let message = MessageParser::default().parse(raw)?;
    // mail-parser reads nearly anything as headers; without one of these four, the bytes
    // were not a message, and an empty conversation from nobody helps no one.
    if ["From", "Subject", "Message-ID", "Date"]
        .into_iter()
        .all(|h| message.header_raw(h).is_none())
    {
        return None;
    }
    let mut problems = Vec::new();

    let message_id = match message.message_id().and_then(bracket_id) {
        Some(id) => id,
        None => {
            problems.push("no Message-ID: a synthetic id from the bytes is used".into());
            synthetic_id(raw)
        }
    };
    let in_reply_to = ids(message.in_reply_to());
    let references = ids(message.references());
    let thread_key = references
        .first()
        .or(in_reply_to.first())
        .unwrap_or(&message_id)
        .clone();
    let mut all_references: Vec<String> = Vec::new();
    for id in in_reply_to.iter().chain(&references) {
        if !all_references.contains(id) {
            all_references.push(id.clone());
        }
    }

    let from = sender(message.from(), &mut problems);
    let from_us = own_addresses
        .iter()
        .any(|own| own.trim().eq_ignore_ascii_case(&from.handle));
    let reply_to = message
        .reply_to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(clean_address)
        .filter(|a| !a.is_empty());

    let subject = message.subject().map(one_line).filter(|s| !s.is_empty());
    let normalized_subject = subject
        .as_deref()
        .map(normalize_subject)
        .unwrap_or_default();

    let date = date_of(&message, &mut problems);
    let latest = now.checked_add(MAX_FUTURE).unwrap_or(Timestamp::MAX);
    let sent_at = match date {
        Some(d) if d > latest => {
            problems.push(format!("Date {d} is in the future: {latest} is used"));
            latest
        }
        Some(d) => d,
        None => now,
    };

    let automated = automated(&message, &from.handle);
    let text = body_text(&message, &mut problems);
    let attachments = attachments(&message, raw, &mut problems);
    note_bad_parts(&message, &mut problems);

    let oversized = text.len() > MAX_TEXT_BYTES
        || attachments
            .iter()
            .any(|a| a.bytes.len() > MAX_ATTACHMENT_BYTES);
    let inbound = Inbound {
        channel: Channel::Email,
        account: account.to_owned(),
        thread_key,
        external_id: message_id.clone(),
        references: all_references,
        from,
        reply_to: reply_to.clone(),
        subject: subject.clone(),
        text,
        attachments,
        sent_at,
        automated: automated.is_some(),
        raw: oversized.then(|| raw.to_vec()),
    };
    Some(ParsedMail {
        inbound: Some(inbound),
        message_id,
        in_reply_to,
        references,
        reply_to,
        subject,
        normalized_subject,
        date,
        automated,
        from_us,
        problems,
    })
}

/// `<sha256-hex@comptoir.invalid>`: stable for the same bytes, and `.invalid` can never
/// collide with a real Message-ID.
fn synthetic_id(raw: &[u8]) -> String {
    format!("<{}@comptoir.invalid>", hex(&Sha256::digest(raw)))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// One message id in the `<id>` form ingest stores and looks up; whitespace and
/// controls are dropped, since an id is one token and is written back into headers.
fn bracket_id(id: &str) -> Option<String> {
    let inner: String = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    (!inner.is_empty()).then(|| format!("<{inner}>"))
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<&str> = match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(AsRef::as_ref).collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for id in list.into_iter().filter_map(bracket_id) {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

fn sender(from: Option<&Address<'_>>, problems: &mut Vec<String>) -> Contact {
    let first = from.and_then(|a| a.iter().find(|a| a.address().is_some()));
    let handle = first
        .and_then(|a| a.address())
        .map(clean_address)
        .filter(|a| !a.is_empty());
    let display_name = first
        .and_then(|a| a.name())
        .or_else(|| from.and_then(|a| a.first()).and_then(|a| a.name()))
        .map(one_line)
        .filter(|n| !n.is_empty());
    let handle = handle.unwrap_or_else(|| {
        problems.push(format!("no From address: the sender is {UNKNOWN_SENDER}"));
        UNKNOWN_SENDER.to_owned()
    });
    Contact {
        handle,
        display_name,
        email: None,
        phone: None,
    }
}

/// An address is a handle and goes back into a To header: lowercased, no whitespace or
/// controls.
fn clean_address(address: &str) -> String {
    address
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A header value on one line: line breaks and tabs become spaces (an encoded word can
/// smuggle `\r\n` into a name, and a reply writes it back into a header), runs of
/// spaces collapse, NUL becomes U+FFFD. Other controls stay for `tui::text` to show.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = match c {
            '\0' => '\u{FFFD}',
            '\r' | '\n' | '\t' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => ' ',
            c => c,
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

fn date_of(message: &Message<'_>, problems: &mut Vec<String>) -> Option<Timestamp> {
    if message.header_raw("Date").is_none() {
        problems.push("no Date: the time of receipt is used".into());
        return None;
    }
    let parsed = message
        .date()
        .filter(|d| d.is_valid())
        .and_then(|d| Timestamp::from_second(d.to_timestamp()).ok());
    if parsed.is_none() {
        let raw = message.header_raw("Date").map(one_line).unwrap_or_default();
        problems.push(format!(
            "unreadable Date {raw:?}: the time of receipt is used"
        ));
    }
    parsed
}

fn header_text<'m>(message: &'m Message<'_>, name: &str) -> Option<Cow<'m, str>> {
    message
        .header_raw(name)
        .map(|v| Cow::Owned(v.trim().to_ascii_lowercase()))
}

fn automated(message: &Message<'_>, from: &str) -> Option<Automated> {
    let root_type = message.content_type();
    let report_type = root_type
        .filter(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        })
        .and_then(|ct| ct.attribute("report-type"))
        .map(str::to_ascii_lowercase);
    let local = from.split('@').next().unwrap_or_default();
    if report_type.as_deref() == Some("delivery-status")
        || local == "mailer-daemon"
        || local == "postmaster"
    {
        return Some(Automated::Bounce);
    }
    let auto_submitted = header_text(message, "Auto-Submitted")
        .is_some_and(|v| v.split(';').next().is_some_and(|t| t.trim() != "no"));
    let precedence = header_text(message, "Precedence");
    if auto_submitted
        || message.header_raw("X-Autoreply").is_some()
        || message.header_raw("X-Autorespond").is_some()
        || precedence.as_deref() == Some("auto_reply")
        || report_type.as_deref() == Some("disposition-notification")
    {
        return Some(Automated::AutoReply);
    }
    if matches!(precedence.as_deref(), Some("bulk" | "junk" | "list")) {
        return Some(Automated::Bulk);
    }
    None
}

fn body_text(message: &Message<'_>, problems: &mut Vec<String>) -> String {
    let parts: Vec<&MessagePart<'_>> = message
        .text_body
        .iter()
        .chain(if message.text_body.is_empty() {
            message.html_body.iter()
        } else {
            [].iter()
        })
        .filter_map(|&id| message.parts.get(id as usize))
        .collect();
    let mut pieces: Vec<String> = Vec::with_capacity(parts.len());
    for part in parts {
        let piece = match &part.body {
            PartType::Text(text) => {
                let text = unix_newlines(text);
                let ct = part.content_type();
                let flowed = ct
                    .and_then(|ct| ct.attribute("format"))
                    .is_some_and(|f| f.eq_ignore_ascii_case("flowed"));
                if flowed {
                    let delsp = ct
                        .and_then(|ct| ct.attribute("delsp"))
                        .is_some_and(|d| d.eq_ignore_ascii_case("yes"));
                    unflow(&text, delsp)
                } else {
                    text.into_owned()
                }
            }
            PartType::Html(html) => html_to_text(html, problems),
            _ => continue,
        };
        let piece = piece.trim_end();
        if !piece.is_empty() {
            pieces.push(piece.to_owned());
        }
    }
    no_nul(pieces.join("\n\n"))
}

fn unix_newlines(text: &str) -> Cow<'_, str> {
    if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    }
}

fn no_nul(text: String) -> String {
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    }
}

/// Undoes RFC 3676 format=flowed: a line ending in a space continues on the next line
/// of the same quote depth. Space-stuffing is removed; with `delsp`, the soft-break
/// space itself is removed too (it was added by the sender, not typed). Quoted lines
/// come back as `> ` per level.
#[must_use]
pub fn unflow(text: &str, delsp: bool) -> String {
    let mut out = String::with_capacity(text.len());
    // The paragraph being joined: its quote depth, and whether its last line was flowed.
    let mut open: Option<usize> = None;
    for line in text.split('\n') {
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let mut content = &line[depth..];
        if let Some(rest) = content.strip_prefix(' ') {
            content = rest;
        }
        let signature = content == "-- ";
        let flowed = !signature && content.ends_with(' ');
        if delsp && flowed {
            content = &content[..content.len() - 1];
        }
        if open != Some(depth) {
            if open.is_some() {
                out.push('\n');
            }
            if depth > 0 {
                out.push_str(&">".repeat(depth));
                out.push(' ');
            }
        }
        out.push_str(content);
        if flowed {
            open = Some(depth);
        } else {
            open = None;
            out.push('\n');
        }
    }
    // Every hard line added a newline, the last one included; the text's own final
    // newline, if any, came back as an empty last line, which restores it.
    if open.is_none() {
        out.pop();
    }
    out
}

/// The HTML as plain text, wide enough that html2text never wraps a paragraph (the TUI
/// wraps to the window). Scripts and styles are dropped by html2text; images without
/// alt text, which is what tracking pixels are, are dropped and no image URL is kept.
fn html_to_text(html: &str, problems: &mut Vec<String>) -> String {
    const WIDTH: usize = 400;
    let rendered = html2text::config::plain()
        .link_footnotes(true)
        .no_link_wrapping()
        .allow_width_overflow()
        .empty_img_mode(html2text::config::ImageRenderMode::IgnoreEmpty)
        .string_from_read(html.as_bytes(), WIDTH);
    match rendered {
        Ok(text) => text
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => {
            problems.push(format!("HTML could not be rendered ({e}): shown as source"));
            html.to_owned()
        }
    }
}

/// Every part mail-parser did not take as body text: files, images, forwarded messages,
/// and text it could not place in the body (an undecodable part, `text/rfc822-headers`
/// in a bounce, an unnamed `text/csv`), so no part of a message is silently dropped.
fn attachments(
    message: &Message<'_>,
    raw: &[u8],
    problems: &mut Vec<String>,
) -> Vec<InboundAttachment> {
    let mut out = Vec::new();
    for &id in &message.attachments {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        let name = part
            .attachment_name()
            .map(one_line)
            .filter(|n| !n.is_empty());
        let declared = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_owned(),
            })
            .map(|t| one_line(&t).to_ascii_lowercase());
        let (mime, bytes, subject): (String, Cow<'_, [u8]>, Option<String>) = match &part.body {
            PartType::Text(t) => (
                declared.unwrap_or_else(|| "text/plain".into()),
                Cow::Borrowed(t.as_bytes()),
                None,
            ),
            PartType::Html(t) => (
                declared.unwrap_or_else(|| "text/html".into()),
                Cow::Borrowed(t.as_bytes()),
                None,
            ),
            PartType::Binary(b) | PartType::InlineBinary(b) => (
                declared.unwrap_or_else(|| "application/octet-stream".into()),
                Cow::Borrowed(b.as_ref()),
                None,
            ),
            PartType::Message(m) => (
                "message/rfc822".into(),
                nested_bytes(part, m, raw),
                m.subject().map(one_line).filter(|s| !s.is_empty()),
            ),
            PartType::Multipart(_) => continue,
        };
        let n = out.len() + 1;
        let name = name.unwrap_or_else(|| match subject {
            Some(s) => format!("{s}.eml"),
            None if mime == "message/rfc822" => format!("attachment-{n}.eml"),
            None => format!("attachment-{n}"),
        });
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            problems.push(format!(
                "attachment {name:?} of {} bytes is over the {MAX_ATTACHMENT_BYTES} byte limit",
                bytes.len()
            ));
        }
        out.push(InboundAttachment {
            name: no_nul(name),
            mime,
            bytes: bytes.into_owned(),
        });
    }
    out
}

/// A forwarded message's own bytes. mail-parser gives a nested message the whole outer
/// message as its `raw_message` unless the part was transfer-encoded, so the part's
/// offsets into the outer bytes are the reliable source.
fn nested_bytes<'a>(
    part: &MessagePart<'_>,
    nested: &'a Message<'_>,
    raw: &'a [u8],
) -> Cow<'a, [u8]> {
    if part.encoding == mail_parser::Encoding::None {
        let (start, end) = (part.offset_body as usize, part.offset_end as usize);
        if let Some(bytes) = raw.get(start..end) {
            return Cow::Borrowed(bytes);
        }
    }
    Cow::Borrowed(nested.raw_message())
}

/// Problems mail-parser recovered from silently: undecodable parts and charsets it does
/// not know (read as UTF-8, with replacement characters).
fn note_bad_parts(message: &Message<'_>, problems: &mut Vec<String>) {
    let mut unknown: Vec<String> = Vec::new();
    let mut broken = 0usize;
    for part in &message.parts {
        if part.is_encoding_problem {
            broken += 1;
        }
        if let Some(charset) = part.content_type().and_then(|ct| ct.attribute("charset"))
            && matches!(part.body, PartType::Text(_) | PartType::Html(_))
            && !is_utf8(charset)
            && charset_decoder(charset.as_bytes()).is_none()
        {
            let charset = one_line(charset).to_ascii_lowercase();
            if !unknown.contains(&charset) {
                unknown.push(charset);
            }
        }
    }
    if broken > 0 {
        problems.push(format!(
            "{broken} MIME part(s) could not be decoded: kept as they came"
        ));
    }
    for charset in unknown {
        problems.push(format!("unknown charset {charset:?}: read as UTF-8"));
    }
}

/// UTF-8 is what mail-parser falls back to, so its decoder table leaves it out.
fn is_utf8(charset: &str) -> bool {
    let c = charset.trim().trim_matches('"');
    c.eq_ignore_ascii_case("utf-8") || c.eq_ignore_ascii_case("utf8")
}

/// A subject reduced to what stays the same across a thread: reply and forward prefixes
/// in the usual languages (`Re:`, `Fwd:`, `AW:`, `WG:`, `TR:`, `SV:`, `Réf.`, also
/// `RE :` and `Re[2]:`) and list tags like `[shop]` are stripped, wherever they repeat;
/// spaces collapse; the result is lowercase.
#[must_use]
pub fn normalize_subject(subject: &str) -> String {
    const PREFIXES: [&str; 18] = [
        "re", "fwd", "fw", "aw", "wg", "tr", "sv", "vs", "antw", "rv", "enc", "rif", "réf", "ref",
        "odp", "vl", "vb", "r",
    ];
    let lower = subject.to_lowercase();
    let mut rest = lower.trim();
    loop {
        let before = rest;
        if let Some(tagged) = rest.strip_prefix('[')
            && let Some(end) = tagged.find(']')
        {
            rest = tagged[end + 1..].trim_start();
        }
        for prefix in PREFIXES {
            if let Some(after) = strip_reply_prefix(rest, prefix) {
                rest = after;
                break;
            }
        }
        if rest == before {
            break;
        }
    }
    rest.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `rest` after `prefix` used as a reply marker: the word, an optional count (`[2]`,
/// `(2)`, `^2`), optional spaces, then `:`; or `réf.` / `ref.` with a dot.
fn strip_reply_prefix<'s>(rest: &'s str, prefix: &str) -> Option<&'s str> {
    let after = rest.strip_prefix(prefix)?;
    let after = if let Some(counted) = after.strip_prefix(['[', '(']) {
        let close = counted.find([']', ')'])?;
        counted[..close]
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| &counted[close + 1..])?
    } else if let Some(counted) = after.strip_prefix('^') {
        counted.trim_start_matches(|c: char| c.is_ascii_digit())
    } else {
        after
    };
    if matches!(prefix, "réf" | "ref")
        && let Some(dotted) = after.strip_prefix('.')
    {
        let dotted = dotted.trim_start();
        return Some(
            dotted
                .strip_prefix([':', '：'])
                .unwrap_or(dotted)
                .trim_start(),
        );
    }
    let colon = after.trim_start().strip_prefix([':', '：'])?;
    Some(colon.trim_start())
}

#[cfg(test)]
mod tests {
    use super::{header_message_id, normalize_subject, one_line, parse, unflow};

    #[test]
    fn a_header_block_gives_the_id_parse_stores() {
        let raw = b"From: a@x\r\nMessage-ID:  <42@shop.test> \r\nSubject: s\r\n\r\nbody\r\n";
        let stored = parse(raw, "a", &[]).message_id;
        assert_eq!(
            header_message_id(b"Message-ID: <42@shop.test>\r\n\r\n"),
            Some(stored)
        );
        assert_eq!(header_message_id(b"\r\n"), None);
        assert_eq!(header_message_id(b""), None);
    }

    #[test]
    fn flowed_lines_join_and_hard_breaks_stay() {
        assert_eq!(
            unflow("Hello \nworld.\nNext line\n", false),
            "Hello world.\nNext line\n"
        );
        assert_eq!(unflow("Hel\nlo \nthere", false), "Hel\nlo there");
        assert_eq!(unflow("Spl \nit", true), "Split");
        assert_eq!(unflow(" >not a quote\n", false), ">not a quote\n");
        assert_eq!(
            unflow(">> quoted \n>> text\n> less\n", false),
            ">> quoted text\n> less\n"
        );
        assert_eq!(unflow("-- \nsig", false), "-- \nsig");
    }

    #[test]
    fn subjects_normalise_across_languages_and_tags() {
        for (input, want) in [
            ("Re: Order 1042", "order 1042"),
            ("RE: re: Fwd: Order   1042", "order 1042"),
            ("AW: WG: Bestellung", "bestellung"),
            ("TR : Commande", "commande"),
            ("Réf. : Commande", "commande"),
            ("SV: [shop] Re[2]: Hello", "hello"),
            (
                "[Boutique] [ticket] Re: Où est mon colis ?",
                "où est mon colis ?",
            ),
            ("Return policy", "return policy"),
            ("Re:", ""),
            ("Reference numbers", "reference numbers"),
        ] {
            assert_eq!(normalize_subject(input), want, "{input:?}");
        }
    }

    #[test]
    fn one_line_removes_breaks_and_nul() {
        assert_eq!(one_line("Eve\r\nBcc: all@x"), "Eve Bcc: all@x");
        assert_eq!(one_line("a\0b\t\tc "), "a\u{FFFD}b c");
    }
}
