//! The Sent folder, for the SMTP side: is a reply there already, and filing a copy.

use super::{Connection, ImapError};

/// What the SMTP side needs of a session: the Sent folder, searched and appended to.
impl Connection<'_> {
    /// Whether `folder` holds a message whose `Message-ID` header contains `message_id`
    /// (a hand-sent `UID SEARCH`, like the sync's, so a dropped connection is an error
    /// and not "not found").
    pub(crate) async fn has_message_id(
        &mut self,
        folder: &str,
        message_id: &str,
    ) -> Result<bool, ImapError> {
        self.selected = None;
        self.conn
            .step("EXAMINE", self.session.examine(folder))
            .await?;
        let quoted = format!(
            "\"{}\"",
            message_id.replace('\\', "\\\\").replace('"', "\\\"")
        );
        let found = self
            .conn
            .search(&mut self.session, &format!("HEADER Message-ID {quoted}"))
            .await?;
        Ok(!found.is_empty())
    }

    /// APPENDs `raw` to `folder` with `flags` (e.g. `(\Seen)`).
    pub(crate) async fn append(
        &mut self,
        folder: &str,
        flags: &str,
        raw: &[u8],
    ) -> Result<(), ImapError> {
        self.conn
            .step(
                "APPEND",
                self.session.append(folder, Some(flags), None, raw),
            )
            .await
    }
}
