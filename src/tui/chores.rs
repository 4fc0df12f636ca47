//! The effects that do more than one store write: retrying, saving and deleting dead
//! letters, saving attachments, and asking for older mail. Each returns what the agent
//! is told on the command line; the runner shows it.

use std::path::Path;

use jiff::Timestamp;

use crate::channels::email::mime;
use crate::ingest::{self, Outcome};
use crate::model::Channel;
use crate::store::{Store, StoreError};
use crate::tui::files;

/// What the agent is told about a chore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// It worked; this is what happened.
    Done(String),
    /// It did not; this is why.
    Failed(String),
}

/// Parses a dead letter's raw bytes again and stores the message. Once stored (or found
/// stored already) the dead letter goes; when it fails again exactly one dead letter
/// stays, with the newest reason. Only email can be retried: other channels keep their
/// request bodies, which no parser here reads yet.
///
/// # Errors
/// A store failure.
pub fn retry_dead_letter(store: &mut Store, id: i64, now: Timestamp) -> Result<Report, StoreError> {
    let (Some(letter), Some(raw)) = (store.dead_letter(id)?, store.dead_letter_raw(id)?) else {
        return Ok(Report::Failed("That dead letter is gone already".into()));
    };
    if letter.channel != Channel::Email {
        return Ok(Report::Failed(format!(
            "Retry is not supported for {} dead letters yet",
            letter.channel
        )));
    }
    // The sender's own addresses only set `from_us`, which ingest does not use.
    let parsed = mime::parse(&raw, &letter.account, &[]);
    let Some(mut inbound) = parsed.inbound else {
        let reason = if parsed.problems.is_empty() {
            "not a readable email".to_owned()
        } else {
            parsed.problems.join("; ")
        };
        return Ok(Report::Failed(format!("still fails: {reason}")));
    };
    // Should it fail again, the new dead letter keeps the bytes as received, not a
    // rendering of what was parsed.
    inbound.raw = Some(raw);
    match ingest::ingest(store, &inbound, now)? {
        Outcome::New { .. } => {
            store.remove_dead_letter(id)?;
            Ok(Report::Done(
                "Stored: the message is in its conversation; dead letter removed".into(),
            ))
        }
        Outcome::Duplicate { .. } => {
            store.remove_dead_letter(id)?;
            Ok(Report::Done(
                "Already stored before: dead letter removed".into(),
            ))
        }
        Outcome::DeadLettered { id: again } => {
            // Ingest keeps one dead letter per external id; the old one may have had
            // another id (or none), and then two would be listed.
            if again != id {
                store.remove_dead_letter(id)?;
            }
            let reason = store
                .dead_letter(again)?
                .map_or_else(|| letter.reason.clone(), |d| d.reason);
            Ok(Report::Failed(format!("still fails: {reason}")))
        }
    }
}

/// Writes a dead letter's raw bytes to a new file: `path` (a directory or a file), else
/// `dead-letter-ID.eml` (`.txt` for other channels) in `save_dir`.
///
/// # Errors
/// A store failure; a file that cannot be written is a [`Report::Failed`].
pub fn save_dead_letter(
    store: &mut Store,
    id: i64,
    path: Option<&str>,
    save_dir: &Path,
) -> Result<Report, StoreError> {
    let (Some(letter), Some(raw)) = (store.dead_letter(id)?, store.dead_letter_raw(id)?) else {
        return Ok(Report::Failed("That dead letter is gone already".into()));
    };
    let ext = if letter.channel == Channel::Email {
        "eml"
    } else {
        "txt"
    };
    let name = format!("dead-letter-{id}.{ext}");
    Ok(
        match files::save_new(
            path.map(files::typed_path).as_deref(),
            save_dir,
            &name,
            &raw,
        ) {
            Ok(written) => Report::Done(format!(
                "saved dead letter {id} ({}) to {}",
                files::human_size(raw.len() as u64),
                written.display()
            )),
            Err(e) => Report::Failed(format!(
                "cannot save to {}: {e}",
                path.map_or_else(|| save_dir.display().to_string(), str::to_owned)
            )),
        },
    )
}

/// Deletes a dead letter.
///
/// # Errors
/// A store failure.
pub fn delete_dead_letter(store: &mut Store, id: i64) -> Result<Report, StoreError> {
    Ok(if store.remove_dead_letter(id)? {
        Report::Done("Dead letter deleted".into())
    } else {
        Report::Failed("That dead letter is gone already".into())
    })
}

/// Copies attachment `number` (named `name` by its sender) from the blob store to a new
/// file: `path` (a directory or a file), else its own name made safe in `save_dir`.
#[must_use]
pub fn save_attachment(
    store: &Store,
    sha256: &str,
    name: &str,
    number: usize,
    path: Option<&str>,
    save_dir: &Path,
) -> Report {
    let bytes = match store.blobs().get(sha256) {
        Ok(b) => b,
        Err(e) => {
            return Report::Failed(format!("attachment {number} is not on disk: {e}"));
        }
    };
    let file = files::safe_name(name, &format!("attachment-{number}"));
    match files::save_new(
        path.map(files::typed_path).as_deref(),
        save_dir,
        &file,
        &bytes,
    ) {
        Ok(written) => Report::Done(format!(
            "saved {file} ({}) to {}",
            files::human_size(bytes.len() as u64),
            written.display()
        )),
        Err(e) => Report::Failed(format!(
            "cannot save to {}: {e}",
            path.map_or_else(|| save_dir.display().to_string(), str::to_owned)
        )),
    }
}

/// Asks every email account for `days` more days of older mail.
///
/// # Errors
/// A store failure.
pub fn fetch_older(store: &mut Store, days: u32) -> Result<Report, StoreError> {
    Ok(match store.request_older_email(None, days)? {
        0 => {
            Report::Failed("No email folder has synced yet: there is nothing older to fetch".into())
        }
        n => Report::Done(format!(
            "Asked {n} folder{} for {days} more days: the channel process fetches them",
            if n == 1 { "" } else { "s" }
        )),
    })
}
