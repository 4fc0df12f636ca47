//! Replies leave over SMTP (lettre), threaded under the customer's message, then a copy
//! goes to the account's Sent folder over IMAP.
//!
//! The reply's Message-ID is `<idempotency key@account domain>`, the same on every
//! attempt, which makes it the outbox's idempotency key on a protocol that has none: a
//! retry (or a resend after a crash) first looks for that Message-ID in the Sent folder,
//! and a reply found there counts as delivered without going out again. When that check
//! itself fails (the IMAP server is down), the attempt fails as transient and the outbox
//! tries later: a reply sent late is better than one sent twice.
//!
//! What stays possible: the server accepted the reply but the process died before the
//! copy reached Sent (or the APPEND failed, which is logged), and then a retry sends it a
//! second time. Without a Sent folder configured there is nothing to check, and a retry
//! always sends.

use std::fmt;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;
use jiff::tz::TimeZone;
use lettre::message::header::{ContentType, InReplyTo, References};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{flowed, imap, tls};
use crate::channels::{Channel, Delivered, Outbound, Quote, SendError};
use crate::config::{EmailAccount, TlsMode};
use crate::model;
use crate::secret::SecretString;

/// How many lines of the customer's message are quoted under a reply; the rest is cut
/// with `> [...]`, as the reply answers it and the whole thread is in the store anyway.
pub const QUOTED_LINES: usize = 40;

/// Limit on each SMTP exchange (connect, every command); well under the outbox's own
/// send timeout, so a slow server shows as an SMTP error rather than a bare timeout.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a goodbye to the IMAP server may take; it is a courtesy.
const LOGOUT_LIMIT: Duration = Duration::from_secs(2);

/// Longest server text kept in a reason shown to the agent.
const MAX_REASON_CHARS: usize = 300;

/// Why an [`SmtpChannel`] could not be set up. Every message is one line, without
/// secrets.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// The account's address cannot be the From of a reply or give a Message-ID domain.
    #[error("email {account:?}: {address:?} cannot send replies: {reason}")]
    Address {
        /// The account's name.
        account: String,
        /// Its `address`.
        address: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The TLS configuration could not be built (a bad `ca_file`).
    #[error("email {account:?}: SMTP TLS: {reason}")]
    Tls {
        /// The account's name.
        account: String,
        /// What went wrong.
        reason: String,
    },
}

/// The sending half of one email account: SMTP out, a copy into its Sent folder.
pub struct SmtpChannel {
    account: EmailAccount,
    password: SecretString,
    from: Address,
    domain: String,
    tls: Tls,
    time_zone: TimeZone,
    imap_options: imap::SyncOptions,
    // Built at the first send: lettre's connection pool spawns a task, which needs the
    // runtime that sends, not whatever thread built the channel.
    transport: OnceLock<AsyncSmtpTransport<Tokio1Executor>>,
}

impl fmt::Debug for SmtpChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpChannel")
            .field("account", &self.account.name)
            .field("server", &self.server())
            .finish_non_exhaustive()
    }
}

impl SmtpChannel {
    /// The sender for `account`, logging in with `password` on both SMTP and IMAP.
    /// Dates in the quote line are in the system's time zone unless
    /// [`SmtpChannel::with_time_zone`] says otherwise.
    ///
    /// # Errors
    /// An address that is not a valid mailbox, or a `ca_file` that cannot be read.
    pub fn new(account: &EmailAccount, password: SecretString) -> Result<SmtpChannel, SmtpError> {
        let address_error = |reason: String| SmtpError::Address {
            account: account.name.clone(),
            address: account.address.clone(),
            reason,
        };
        let from: Address = account
            .address
            .trim()
            .parse()
            .map_err(|e| address_error(format!("{e}")))?;
        let domain = from.domain().to_ascii_lowercase();
        if !domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return Err(address_error(
                "its domain is not usable in a Message-ID".into(),
            ));
        }
        let tls = match account.smtp.tls {
            TlsMode::None => Tls::None,
            TlsMode::Implicit => Tls::Wrapper(tls_parameters(account)?),
            TlsMode::Starttls => Tls::Required(tls_parameters(account)?),
        };
        Ok(SmtpChannel {
            account: account.clone(),
            password,
            from,
            domain,
            tls,
            time_zone: TimeZone::system(),
            imap_options: imap::SyncOptions {
                connect_timeout: Duration::from_secs(10),
                command_timeout: SMTP_TIMEOUT,
                ..imap::SyncOptions::default()
            },
            transport: OnceLock::new(),
        })
    }

    /// Shows the quoted message's date in `zone` (the agent's).
    #[must_use]
    pub fn with_time_zone(mut self, zone: TimeZone) -> Self {
        self.time_zone = zone;
        self
    }

    /// The Message-ID every attempt of `reply` carries.
    #[must_use]
    pub fn message_id(&self, reply: &Outbound) -> String {
        format!("<{}@{}>", safe_id_part(&reply.idempotency_key), self.domain)
    }

    /// The reply as the bytes sent and filed in Sent.
    ///
    /// # Errors
    /// [`SendError::Permanent`] when the recipient is not a valid address, since no
    /// attempt can change that.
    pub fn compose(&self, reply: &Outbound) -> Result<Message, SendError> {
        let to_address: Address = reply.to.trim().parse().map_err(|e| {
            SendError::Permanent(format!(
                "the customer's address {:?} is not one mail can go to: {e}",
                one_line(&reply.to)
            ))
        })?;
        let to_name = reply
            .to_name
            .as_deref()
            .map(one_line)
            .filter(|n| !n.is_empty());
        let from_name = Some(one_line(&reply.author)).filter(|n| !n.is_empty());
        let mut builder = Message::builder()
            .from(Mailbox::new(from_name, self.from.clone()))
            .to(Mailbox::new(to_name, to_address))
            .subject(reply_subject(reply.subject.as_deref()))
            .date(SystemTime::now())
            .message_id(Some(self.message_id(reply)));
        if let Some(parent) = reply.in_reply_to.as_deref().filter(|id| is_safe_id(id)) {
            builder = builder.header(InReplyTo::from(parent.to_owned()));
        }
        let references: Vec<&str> = reply
            .references
            .iter()
            .map(String::as_str)
            .filter(|id| is_safe_id(id))
            .collect();
        if !references.is_empty() {
            builder = builder.header(References::from(references.join(" ")));
        }
        let body = reply_body(&reply.text, reply.quote.as_ref(), &self.time_zone);
        let part = SinglePart::builder()
            .header(flowed_content_type())
            .body(body);
        builder
            .singlepart(part)
            .map_err(|e| SendError::Permanent(format!("the reply cannot be built: {e}")))
    }

    fn server(&self) -> String {
        format!("{}:{}", self.account.smtp.host, self.account.smtp.port)
    }

    fn transport(&self) -> &AsyncSmtpTransport<Tokio1Executor> {
        self.transport.get_or_init(|| {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.account.smtp.host.clone())
                .port(self.account.smtp.port)
                .tls(self.tls.clone())
                .credentials(Credentials::new(
                    self.account.username.clone(),
                    self.password.expose().to_owned(),
                ))
                .timeout(Some(SMTP_TIMEOUT))
                .build()
        })
    }

    /// Whether a copy with `message_id` is in the Sent folder: `Ok(false)` when there is
    /// no Sent folder to look in.
    async fn in_sent(&self, message_id: &str) -> Result<bool, imap::ImapError> {
        let Some(folder) = &self.account.sent_folder else {
            return Ok(false);
        };
        let mut imap =
            imap::Connection::open(&self.account, self.password.expose(), &self.imap_options)
                .await?;
        let found = imap.has_message_id(folder, message_id).await;
        imap.logout(LOGOUT_LIMIT).await;
        found
    }

    /// Files the sent bytes in the Sent folder, read (`\Seen`), as a mail client does.
    async fn copy_to_sent(&self, folder: &str, raw: &[u8]) -> Result<(), imap::ImapError> {
        let mut imap =
            imap::Connection::open(&self.account, self.password.expose(), &self.imap_options)
                .await?;
        let appended = imap.append(folder, r"(\Seen)", raw).await;
        imap.logout(LOGOUT_LIMIT).await;
        appended
    }

    async fn deliver(&self, reply: &Outbound) -> Result<Delivered, SendError> {
        let message_id = self.message_id(reply);
        if reply.attempt > 1 {
            match self.in_sent(&message_id).await {
                Ok(true) => {
                    tracing::info!(
                        account = %self.account.name,
                        message = %reply.message_id,
                        attempt = reply.attempt,
                        "reply already in the Sent folder: not sent again"
                    );
                    return Ok(Delivered {
                        channel_message_id: message_id,
                    });
                }
                Ok(false) => {}
                Err(e) => {
                    return Err(SendError::Transient {
                        reason: format!(
                            "not sent again until the Sent folder can be checked for an earlier copy: {e}"
                        ),
                        retry_after: None,
                    });
                }
            }
        }
        let message = self.compose(reply)?;
        let raw = message.formatted();
        self.transport()
            .send_raw(message.envelope(), &raw)
            .await
            .map_err(|e| self.send_error(&e))?;
        if let Some(folder) = &self.account.sent_folder
            && let Err(e) = self.copy_to_sent(folder, &raw).await
        {
            // The customer has it: sending again would only duplicate it.
            tracing::warn!(
                account = %self.account.name,
                message = %reply.message_id,
                folder = %folder,
                "reply sent, but its copy was not filed in the Sent folder: {e}"
            );
        }
        Ok(Delivered {
            channel_message_id: message_id,
        })
    }

    /// Sorts an SMTP failure for the outbox: a refused login or anything the network or
    /// a 4xx did is worth another try (the agent can fix a password meanwhile); any other
    /// 5xx, such as an unknown recipient, will be refused again.
    fn send_error(&self, e: &lettre::transport::smtp::Error) -> SendError {
        let text = clean_reason(&e.to_string(), self.password.expose());
        let server = self.server();
        let code = e.status().map(|c| c.to_string());
        let login_refused = matches!(code.as_deref(), Some("530" | "534" | "535" | "538" | "454"));
        if login_refused {
            SendError::Transient {
                reason: format!(
                    "SMTP server {server} refused the login of {}: {text}",
                    one_line(&self.account.username)
                ),
                retry_after: None,
            }
        } else if e.is_permanent() {
            SendError::Permanent(format!("SMTP server {server} refused the reply: {text}"))
        } else {
            SendError::Transient {
                reason: format!("SMTP server {server}: {text}"),
                retry_after: None,
            }
        }
    }
}

impl Channel for SmtpChannel {
    fn kind(&self) -> model::Channel {
        model::Channel::Email
    }

    fn account(&self) -> &str {
        &self.account.name
    }

    fn send<'a>(&'a self, reply: &'a Outbound) -> BoxFuture<'a, Result<Delivered, SendError>> {
        Box::pin(self.deliver(reply))
    }
}

/// lettre's TLS settings: the webpki roots plus the account's `ca_file`, checked first
/// by the IMAP side's loader so a bad file gets the same clear error.
fn tls_parameters(account: &EmailAccount) -> Result<TlsParameters, SmtpError> {
    let fail = |reason: String| SmtpError::Tls {
        account: account.name.clone(),
        reason,
    };
    let mut builder = TlsParameters::builder(account.smtp.host.clone());
    if let Some(path) = account.ca_file.as_deref() {
        tls::client_config(Some(path)).map_err(|e| fail(e.to_string()))?;
        builder = builder.add_root_certificate(read_ca(path).map_err(fail)?);
    }
    builder
        .build_rustls()
        .map_err(|e| fail(one_line(&e.to_string())))
}

fn read_ca(path: &Path) -> Result<Certificate, String> {
    let pem = std::fs::read(path).map_err(|e| format!("CA file {}: {e}", path.display()))?;
    Certificate::from_pem(&pem).map_err(|e| format!("CA file {}: {e}", path.display()))
}

fn flowed_content_type() -> ContentType {
    ContentType::parse("text/plain; charset=utf-8; format=flowed")
        .unwrap_or(ContentType::TEXT_PLAIN)
}

/// `Re: ` and the conversation's subject, unless it already carries a reply prefix; a
/// conversation without one gets `Re: your message`.
#[must_use]
pub fn reply_subject(subject: Option<&str>) -> String {
    let subject = subject.map(one_line).unwrap_or_default();
    if subject.is_empty() {
        "Re: your message".to_owned()
    } else if has_reply_prefix(&subject) {
        subject
    } else {
        format!("Re: {subject}")
    }
}

/// `Re:` and its cousins in other languages (`AW:`, `SV:`, `Réf.`), with an optional
/// count (`Re[2]:`) and spaces before the colon, case-insensitive.
fn has_reply_prefix(subject: &str) -> bool {
    const PREFIXES: [&str; 9] = ["re", "aw", "sv", "vs", "antw", "rif", "odp", "r", "réf"];
    let lower = subject.to_lowercase();
    PREFIXES.iter().any(|prefix| {
        let Some(rest) = lower.strip_prefix(prefix) else {
            return false;
        };
        if *prefix == "réf" && rest.starts_with('.') {
            return true;
        }
        let rest = match rest.strip_prefix(['[', '(']) {
            Some(counted) => counted
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .strip_prefix([']', ')'])
                .unwrap_or(counted),
            None => rest,
        };
        rest.trim_start().starts_with(':')
    })
}

/// The body: the reply, a blank line, an attribution line and the customer's message
/// quoted (its first [`QUOTED_LINES`] lines), all as format=flowed text.
#[must_use]
pub fn reply_body(text: &str, quote: Option<&Quote>, zone: &TimeZone) -> String {
    let mut out = flowed::encode(clean_text(text).trim_end());
    let Some(quote) = quote else {
        return out;
    };
    let quoted = clean_text(&quote.text);
    let lines: Vec<&str> = quoted.trim_end().lines().collect();
    if lines.iter().all(|l| l.trim().is_empty()) {
        return out;
    }
    out.push('\n');
    let when = quote
        .sent_at
        .to_zoned(zone.clone())
        .strftime("%a, %-d %b %Y at %H:%M")
        .to_string();
    let author = one_line(&quote.author);
    flowed::push_paragraph(&mut out, 0, &format!("On {when}, {author} wrote:"));
    for line in lines.iter().take(QUOTED_LINES) {
        // The customer's own quotes (`> ` per level, as mime unflows them) go one deeper.
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let rest = &line[depth..];
        let content = rest.strip_prefix(' ').unwrap_or(rest);
        flowed::push_paragraph(&mut out, depth + 1, content);
    }
    if lines.len() > QUOTED_LINES {
        flowed::push_paragraph(&mut out, 1, "[...]");
    }
    out
}

/// Text for a body: Unix line ends, and no control characters other than tabs and line
/// breaks (a stray escape or NUL does no one any good in a mail).
fn clean_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .collect()
}

/// One header-safe line: every control character (CR and LF included) becomes a space
/// and runs of white space collapse, so no value can start a header of its own.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Server text for the agent: one line, the password blanked out should the server echo
/// it, and not endless.
fn clean_reason(text: &str, password: &str) -> String {
    let text = if password.is_empty() {
        text.to_owned()
    } else {
        text.replace(password, "********")
    };
    let line = one_line(&text);
    if line.chars().count() > MAX_REASON_CHARS {
        let mut cut: String = line.chars().take(MAX_REASON_CHARS).collect();
        cut.push('…');
        cut
    } else {
        line
    }
}

/// A message id that may go in a header as it is: `<…>`, printable ASCII, no spaces,
/// quotes or nested brackets, and not absurdly long.
fn is_safe_id(id: &str) -> bool {
    let Some(inner) = id.strip_prefix('<').and_then(|i| i.strip_suffix('>')) else {
        return false;
    };
    !inner.is_empty()
        && id.len() <= 250
        && inner
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"' | b'\\'))
}

/// The idempotency key as the left part of a Message-ID: it is hex from the store, but
/// anything else is replaced rather than trusted.
fn safe_id_part(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_get_one_reply_prefix() {
        assert_eq!(reply_subject(Some("Commande 42")), "Re: Commande 42");
        assert_eq!(reply_subject(Some("RE: Commande")), "RE: Commande");
        assert_eq!(reply_subject(Some("re : Commande")), "re : Commande");
        assert_eq!(reply_subject(Some("AW: Bestellung")), "AW: Bestellung");
        assert_eq!(reply_subject(Some("Re[2]: x")), "Re[2]: x");
        assert_eq!(reply_subject(Some("Réf. 12")), "Réf. 12");
        assert_eq!(
            reply_subject(Some("Regarding my order")),
            "Re: Regarding my order"
        );
        assert_eq!(reply_subject(None), "Re: your message");
        assert_eq!(reply_subject(Some("  \r\n ")), "Re: your message");
        assert_eq!(
            reply_subject(Some("Hi\r\nBcc: evil@example.com")),
            "Re: Hi Bcc: evil@example.com"
        );
    }

    #[test]
    fn only_plain_message_ids_reach_a_header() {
        assert!(is_safe_id("<abc@example.com>"));
        assert!(!is_safe_id("<a b@example.com>"));
        assert!(!is_safe_id("<a@x>\r\nBcc: e@x"));
        assert!(!is_safe_id("abc@example.com"));
        assert!(!is_safe_id("<>"));
        assert_eq!(safe_id_part("0123abcd"), "0123abcd");
        assert_eq!(safe_id_part("a>b@c"), "a_b_c");
    }

    #[test]
    fn reasons_are_one_line_without_the_password() {
        assert_eq!(
            clean_reason("535 5.7.8 bad\r\n credentials hunter2", "hunter2"),
            "535 5.7.8 bad credentials ********"
        );
        assert!(clean_reason(&"x".repeat(1000), "").chars().count() <= MAX_REASON_CHARS + 1);
    }

    #[test]
    fn the_body_quotes_the_customer_under_the_reply() {
        let quote = Quote {
            author: "Alice\r\nMartin".into(),
            sent_at: "2026-03-05T10:07:00Z"
                .parse()
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH),
            text: "Bonjour,\n\n> old quote\nMa commande ?\n".into(),
        };
        let body = reply_body("Elle part demain.\n\n", Some(&quote), &TimeZone::UTC);
        assert_eq!(
            body,
            "Elle part demain.\n\nOn Thu, 5 Mar 2026 at 10:07, Alice Martin wrote:\n\
             > Bonjour,\n>\n>> old quote\n> Ma commande ?\n"
        );
        let long = Quote {
            text: (1..=100).map(|i| format!("line {i}\n")).collect(),
            ..quote
        };
        let body = reply_body("ok", Some(&long), &TimeZone::UTC);
        assert!(body.contains("> line 40\n> [...]\n"), "{body}");
        assert!(!body.contains("line 41"), "{body}");
        assert_eq!(reply_body("ok", None, &TimeZone::UTC), "ok\n");
    }
}
