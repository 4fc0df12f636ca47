-- How far each IMAP folder has been read: the folder's UIDVALIDITY when it was read, and
-- the highest UID whose message is committed. A changed UIDVALIDITY means the UIDs were
-- renumbered, so the channel starts the folder over.
CREATE TABLE email_sync (
    account     TEXT    NOT NULL,
    folder      TEXT    NOT NULL,
    uidvalidity INTEGER NOT NULL,
    last_uid    INTEGER NOT NULL,
    PRIMARY KEY (account, folder)
) WITHOUT ROWID;
