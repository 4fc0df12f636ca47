//! The one door into the store: an [`Inbound`] becomes a stored message, linked to its
//! customer and conversation, in one transaction.
//!
//! A channel acknowledges upstream (IMAP flag, webhook 2xx, Telegram offset) only after
//! [`ingest`] returns `Ok`: every [`Outcome`] means "safe to acknowledge", an `Err`
//! means "the store could not take it now, keep it and try again". A message that can
//! never be stored as a message (too large, no id, a constraint it breaks) becomes a
//! dead letter with its raw bytes and is acknowledged, so it never blocks the ones
//! behind it.

mod memo;

use jiff::Timestamp;

use memo::Memo;

use crate::channels::Inbound;
use crate::channels::email::mime::normalize_subject;
use crate::model::{
    Attachment, ConversationId, Handle, HandleKind, MessageId, MessageKind, StatusName,
};
use crate::store::{NewConversation, NewMessage, Store, StoreError, Tx};

/// How far back a reply that lost its threading headers is matched to a conversation
/// with the same sender and subject.
pub const SUBJECT_THREAD_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_hours(30 * 24);

/// The largest message text stored as a message; larger ones become dead letters.
pub const MAX_TEXT_BYTES: usize = 1 << 20;

/// The largest attachment stored; a message carrying a larger one becomes a dead letter.
pub const MAX_ATTACHMENT_BYTES: usize = 64 << 20;

/// What happened to one inbound message. Every variant is safe to acknowledge upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stored now.
    New {
        /// Its conversation.
        conversation: ConversationId,
        /// The stored message.
        message: MessageId,
        /// The conversation was opened for it.
        opened: bool,
        /// It brought a resolved or snoozed conversation back to the open queue.
        reopened: bool,
    },
    /// Stored before; nothing changed.
    Duplicate {
        /// The message stored the first time.
        message: MessageId,
    },
    /// Could not be a message; kept in the dead-letter list with its raw bytes.
    DeadLettered {
        /// The dead letter's id.
        id: i64,
    },
}

/// Stores one inbound message.
///
/// # Errors
/// Only failures of the store as a whole (busy, disk full, damaged); the message was not
/// stored and the channel must not acknowledge it.
pub fn ingest(store: &mut Store, inbound: &Inbound, now: Timestamp) -> Result<Outcome, StoreError> {
    let mut outcomes = ingest_batch(store, std::slice::from_ref(inbound), now)?;
    outcomes
        .pop()
        .ok_or_else(|| StoreError::Invalid("ingest returned no outcome".into()))
}

/// Stores a batch of inbound messages in one transaction (much faster than one by one:
/// one commit, one fsync). One bad message is dead-lettered without undoing the others.
///
/// # Errors
/// As [`ingest`]: nothing of the batch is stored then.
pub fn ingest_batch(
    store: &mut Store,
    batch: &[Inbound],
    now: Timestamp,
) -> Result<Vec<Outcome>, StoreError> {
    // Files go to disk before the rows that name them, outside the transaction; they are
    // content-addressed, so a retry after a failure rewrites nothing.
    let files = prepare_all(store, batch)?;
    // Most batches are clean: store them in one go. Only when a message breaks a
    // constraint is the batch redone with a savepoint per message, so that one message
    // is set aside and the others are kept.
    let run = |store: &mut Store, careful: bool| {
        store.write(|tx| {
            let mut memo = Memo::on();
            let mut outcomes = Vec::with_capacity(batch.len());
            for (inbound, files) in batch.iter().zip(&files) {
                outcomes.push(match files {
                    Err(reason) => dead_letter_in(tx, inbound, reason, now),
                    Ok(files) if !careful => store_one(tx, inbound, files, now, &mut memo),
                    Ok(files) => {
                        match tx
                            .savepoint(|tx| store_one(tx, inbound, files, now, &mut Memo::off()))
                        {
                            Err(e) if e.is_about_the_data() => {
                                dead_letter_in(tx, inbound, &e.to_string(), now)
                            }
                            other => other,
                        }
                    }
                }?);
            }
            memo.flush(tx)?;
            Ok(outcomes)
        })
    };
    match run(store, false) {
        Err(e) if e.is_about_the_data() => run(store, true),
        other => other,
    }
}

/// One inbound message made ready by [`ingest_with`]: its files are on disk, and
/// [`Pending::store`] records it inside the caller's transaction.
#[derive(Debug)]
pub struct Pending<'a> {
    inbound: &'a Inbound,
    files: Result<Vec<Attachment>, String>,
    now: Timestamp,
}

impl Pending<'_> {
    /// Stores the message in `tx` as [`ingest`] would: deduplicated, linked, or set
    /// aside as a dead letter when it cannot be a message.
    ///
    /// # Errors
    /// A failure of the store as a whole; the caller's transaction must not commit then.
    pub fn store(self, tx: &mut Tx<'_>) -> Result<Outcome, StoreError> {
        let Pending {
            inbound,
            files,
            now,
        } = self;
        match files {
            Err(reason) => dead_letter_in(tx, inbound, &reason, now),
            Ok(files) => match tx
                .savepoint(|tx| store_one(tx, inbound, &files, now, &mut Memo::off()))
            {
                Err(e) if e.is_about_the_data() => dead_letter_in(tx, inbound, &e.to_string(), now),
                other => other,
            },
        }
    }
}

/// Stores one inbound message in a transaction the caller shares: `f` runs inside it
/// with the message ready to store, so that what the caller records beside it (a
/// webhook's receipt) commits with the message or not at all, and so that the caller
/// may decide, on what the store already holds, not to store it. Nothing is committed
/// unless `f` returns `Ok`.
///
/// # Errors
/// A failure of the store as a whole, or whatever `f` returns; nothing is stored then.
pub fn ingest_with<T>(
    store: &mut Store,
    inbound: &Inbound,
    now: Timestamp,
    f: impl FnOnce(&mut Tx<'_>, Pending<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let files = prepare(store, inbound)?;
    store.write(|tx| {
        f(
            tx,
            Pending {
                inbound,
                files,
                now,
            },
        )
    })
}

/// Checks an inbound and writes its files (outside any transaction: they are
/// content-addressed, so a retry after a failure rewrites nothing). The inner `Err` is
/// why it must be a dead letter instead.
fn prepare(
    store: &Store,
    inbound: &Inbound,
) -> Result<Result<Vec<Attachment>, String>, StoreError> {
    let mut prepared = prepare_all(store, std::slice::from_ref(inbound))?;
    prepared
        .pop()
        .ok_or_else(|| StoreError::Invalid("prepare returned nothing".into()))
}

/// [`prepare`] for a whole batch: every file of the batch is written and synced
/// together (a first sync brings hundreds of attachments; synced one by one they cost
/// more than the batch's SQL).
fn prepare_all(
    store: &Store,
    batch: &[Inbound],
) -> Result<Vec<Result<Vec<Attachment>, String>>, StoreError> {
    let checked: Vec<Result<(), String>> = batch.iter().map(check).collect();
    let bytes: Vec<&[u8]> = batch
        .iter()
        .zip(&checked)
        .filter(|(_, ok)| ok.is_ok())
        .flat_map(|(inbound, _)| inbound.attachments.iter().map(|a| a.bytes.as_slice()))
        .collect();
    let mut shas = store
        .blobs()
        .put_all(&bytes)
        .map_err(|e| match e.raw_os_error() {
            Some(28) => StoreError::DiskFull,
            _ => StoreError::Io {
                path: store.blobs().path_of(""),
                source: e,
            },
        })?
        .into_iter();
    let mut prepared = Vec::with_capacity(batch.len());
    for (inbound, ok) in batch.iter().zip(checked) {
        prepared.push(match ok {
            Err(reason) => Err(reason),
            Ok(()) => inbound
                .attachments
                .iter()
                .map(|a| {
                    Ok(Attachment {
                        name: a.name.clone(),
                        mime: a.mime.clone(),
                        size: a.bytes.len() as u64,
                        sha256: shas.next().ok_or_else(|| {
                            StoreError::Invalid("a stored file went missing".into())
                        })?,
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()
                .map(Ok)?,
        });
    }
    Ok(prepared)
}

/// Sets aside something a channel received but could not even turn into an [`Inbound`]
/// (an email that does not parse, a webhook body that is not JSON).
///
/// # Errors
/// A store failure; the channel must not acknowledge then.
pub fn dead_letter(
    store: &mut Store,
    channel: crate::model::Channel,
    account: &str,
    external_id: Option<&str>,
    raw: &[u8],
    reason: &str,
    now: Timestamp,
) -> Result<i64, StoreError> {
    store.write(|tx| keep_dead_letter(tx, channel, account, external_id, reason, raw, now))
}

/// Adds a dead letter unless this external id already has one: a channel that
/// redelivers a bad message must not fill the list with copies.
fn keep_dead_letter(
    tx: &mut Tx<'_>,
    channel: crate::model::Channel,
    account: &str,
    external_id: Option<&str>,
    reason: &str,
    raw: &[u8],
    now: Timestamp,
) -> Result<i64, StoreError> {
    if let Some(id) = external_id
        && let Some(existing) = tx.dead_letter_by_external(channel, account, id)?
    {
        return Ok(existing);
    }
    let id = tx.add_dead_letter(channel, account, external_id, reason, raw, now)?;
    tracing::warn!(%channel, account, id, reason, "inbound message set aside");
    Ok(id)
}

/// What makes an inbound impossible to store as a message, before touching the store.
fn check(inbound: &Inbound) -> Result<(), String> {
    if inbound.external_id.trim().is_empty() {
        return Err("no external message id: it could not be deduplicated".into());
    }
    if inbound.thread_key.trim().is_empty() {
        return Err("no thread key".into());
    }
    if inbound.from.handle.trim().is_empty() {
        return Err("no sender".into());
    }
    if inbound.text.len() > MAX_TEXT_BYTES {
        return Err(format!(
            "text of {} bytes is over the {} byte limit",
            inbound.text.len(),
            MAX_TEXT_BYTES
        ));
    }
    if let Some(a) = inbound
        .attachments
        .iter()
        .find(|a| a.bytes.len() > MAX_ATTACHMENT_BYTES)
    {
        return Err(format!(
            "attachment {:?} of {} bytes is over the {} byte limit",
            a.name,
            a.bytes.len(),
            MAX_ATTACHMENT_BYTES
        ));
    }
    Ok(())
}

/// Stores one message. With a memo that is on, what earlier messages of the batch
/// learnt is reused and the conversation's queue columns are updated when the memo is
/// flushed; the result is the same as storing each message in turn.
fn store_one(
    tx: &mut Tx<'_>,
    inbound: &Inbound,
    files: &[Attachment],
    now: Timestamp,
    memo: &mut Memo,
) -> Result<Outcome, StoreError> {
    let channel = inbound.channel;
    let account = inbound.account.as_str();
    if let Some(message) = tx.message_by_external(channel, account, &inbound.external_id)? {
        return Ok(Outcome::Duplicate { message });
    }

    let handles = handles_of(inbound);
    let name = inbound
        .from
        .display_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let customer = match memo.customer(&handles) {
        Some(c) => {
            if let Some(name) = name
                && !memo.is_named(c)
            {
                tx.fill_display_name(c, name)?;
                memo.remember_named(c);
            }
            c
        }
        None => {
            // Found by the channel's own sender id only; an email or phone number the
            // sender gave is a claim, never a reason to join someone (store/identity.rs).
            let customer =
                tx.customer_for_sender(channel, &handles, name, &inbound.references, now)?;
            if name.is_some() {
                memo.remember_named(customer);
            }
            memo.remember_customer(handles, customer);
            customer
        }
    };

    let peer = inbound.from.handle.trim();
    let subject_key = inbound
        .subject
        .as_deref()
        .map(normalize_subject)
        .filter(|k| !k.is_empty());
    let mut found = memo.conversation(channel, account, &inbound.thread_key);
    let by_thread = match found {
        Some(_) => true,
        None => {
            found = tx.conversation_by_thread(channel, account, &inbound.thread_key)?;
            found.is_some()
        }
    };
    if found.is_none() {
        found = tx.conversation_by_references(channel, account, &inbound.references)?;
    }
    // An answer to the email copy of a chat reply goes back to that chat conversation.
    if found.is_none() && channel == crate::model::Channel::Email {
        found = tx.conversation_by_follow_up(&inbound.references)?;
    }
    if found.is_none()
        && let Some(key) = subject_key.as_deref()
        && is_reply(inbound)
    {
        let since = inbound
            .sent_at
            .checked_sub(SUBJECT_THREAD_WINDOW)
            .unwrap_or(Timestamp::MIN);
        // The lookup reads `last_message_at`, which held-back updates change.
        memo.flush(tx)?;
        found = tx.conversation_by_subject(channel, account, peer, key, since)?;
    }
    let (conversation, opened, reopened) = match found {
        Some((id, status)) => {
            let reopen =
                !inbound.automated && matches!(status, StatusName::Resolved | StatusName::Snoozed);
            if reopen {
                tx.reopen(id, inbound.sent_at)?;
            }
            memo.remember_status(id, if reopen { StatusName::Open } else { status });
            if by_thread {
                memo.remember_thread(channel, account, &inbound.thread_key, id);
            }
            (id, false, reopen)
        }
        None => {
            let id = tx.open_conversation(&NewConversation {
                channel,
                account,
                thread_key: &inbound.thread_key,
                customer,
                peer,
                subject: inbound.subject.as_deref(),
                subject_key: subject_key.as_deref(),
                first_message_at: inbound.sent_at,
                now,
            })?;
            memo.remember_status(id, StatusName::Open);
            memo.remember_thread(channel, account, &inbound.thread_key, id);
            (id, true, false)
        }
    };

    let message = tx.insert_message(&NewMessage {
        conversation,
        kind: MessageKind::Inbound,
        channel,
        account,
        external_id: Some(&inbound.external_id),
        author: name.unwrap_or(inbound.from.handle.trim()),
        agent: None,
        body: &inbound.text,
        sent_at: inbound.sent_at,
        automated: inbound.automated,
        reply_to: inbound.reply_to.as_deref(),
        now,
    })?;
    for file in files {
        tx.insert_attachment(message, file)?;
    }
    memo.note_inbound(
        tx,
        conversation,
        inbound.sent_at,
        &inbound.text,
        inbound.automated,
    )?;
    Ok(Outcome::New {
        conversation,
        message,
        opened,
        reopened,
    })
}

/// A message that says it answers something: it names other messages, or its subject
/// carries a reply or forward prefix. Only those are threaded by subject, so a customer's
/// fresh "Order question" next month does not land in last month's conversation.
fn is_reply(inbound: &Inbound) -> bool {
    if !inbound.references.is_empty() {
        return true;
    }
    inbound.subject.as_deref().is_some_and(|subject| {
        let plain = subject
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        normalize_subject(subject) != plain
    })
}

fn dead_letter_in(
    tx: &mut Tx<'_>,
    inbound: &Inbound,
    reason: &str,
    now: Timestamp,
) -> Result<Outcome, StoreError> {
    let external_id = Some(inbound.external_id.as_str()).filter(|id| !id.trim().is_empty());
    let raw = inbound.raw.clone().unwrap_or_else(|| raw_of(inbound));
    let id = keep_dead_letter(
        tx,
        inbound.channel,
        &inbound.account,
        external_id,
        reason,
        &raw,
        now,
    )?;
    Ok(Outcome::DeadLettered { id })
}

/// A readable copy of an inbound that came without raw bytes, so the dead letter still
/// holds everything the channel gave us.
fn raw_of(inbound: &Inbound) -> Vec<u8> {
    let mut raw = format!(
        "channel: {}\naccount: {}\nthread: {}\nid: {}\nfrom: {} {:?}\nsent-at: {}\nsubject: {:?}\n",
        inbound.channel,
        inbound.account,
        inbound.thread_key,
        inbound.external_id,
        inbound.from.handle,
        inbound.from.display_name,
        inbound.sent_at,
        inbound.subject,
    )
    .into_bytes();
    for a in &inbound.attachments {
        raw.extend_from_slice(
            format!(
                "attachment: {:?} {} {} bytes\n",
                a.name,
                a.mime,
                a.bytes.len()
            )
            .as_bytes(),
        );
    }
    raw.push(b'\n');
    raw.extend_from_slice(inbound.text.as_bytes());
    raw
}

/// Every handle this sender is known by: the channel's own id first, then any email
/// address or phone number they gave, which are claims (suggestions, not links).
fn handles_of(inbound: &Inbound) -> Vec<Handle> {
    let mut handles = vec![Handle::for_sender(inbound.channel, &inbound.from.handle)];
    let extra = [
        inbound
            .from
            .email
            .as_deref()
            .map(|e| Handle::new(HandleKind::Email, e)),
        inbound
            .from
            .phone
            .as_deref()
            .map(|p| Handle::new(HandleKind::Phone, p)),
    ];
    for h in extra.into_iter().flatten() {
        if !h.value.is_empty() && h.value != "+" && !handles.contains(&h) {
            handles.push(h);
        }
    }
    handles
}

/// The queue row's preview: the start of the text on one line, quoted lines left out.
fn preview(text: &str) -> String {
    const MAX_CHARS: usize = 200;
    let words = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('>'))
        .flat_map(str::split_whitespace);
    let mut out = String::with_capacity(MAX_CHARS);
    let mut chars = 0;
    for word in words {
        if !out.is_empty() {
            out.push(' ');
            chars += 1;
        }
        out.push_str(word);
        chars += word.chars().count();
        if chars >= MAX_CHARS {
            return out.chars().take(MAX_CHARS).collect();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::preview;

    #[test]
    fn previews_skip_quotes_and_stay_short() {
        assert_eq!(
            preview("Bonjour,\n\n> old text\nmy parcel  is late"),
            "Bonjour, my parcel is late"
        );
        assert_eq!(preview(&"x".repeat(500)).chars().count(), 200);
        assert_eq!(preview(""), "");
    }
}
