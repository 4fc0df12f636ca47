//! Schema migrations, in cargo's form: an append-only list whose index is SQLite's
//! `user_version`. Never edit or reorder an entry that has shipped; add a new one.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::{APPLICATION_ID, Result, StoreError};

/// Each entry brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_email_sync.sql"),
    include_str!("migrations/0003_email_reply.sql"),
    include_str!("migrations/0004_webhook_receipts.sql"),
    include_str!("migrations/0005_presence.sql"),
    include_str!("migrations/0006_continuity.sql"),
    include_str!("migrations/0007_teamwork.sql"),
    include_str!("migrations/0008_report.sql"),
    include_str!("migrations/0009_identity.sql"),
    include_str!("migrations/0010_search.sql"),
    include_str!("migrations/0011_condstore.sql"),
];

/// The schema version this binary writes.
#[allow(
    clippy::cast_possible_wrap,
    reason = "the list holds a handful of entries"
)]
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Applies the migrations the store lacks, all in one exclusive transaction, so a crash
/// or a second process opening the store at the same moment never sees half a schema.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    // The common case, an up-to-date store, costs one pragma and no lock.
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    let current: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    let start = usize::try_from(current).unwrap_or(0);
    for sql in &MIGRATIONS[start..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.commit()?;
    Ok(())
}
