-- Where a customer asked replies to go (email Reply-To), kept per message so a reply
-- goes to the newest one.
ALTER TABLE messages ADD COLUMN reply_to TEXT;

-- The conversation's subject without "Re:"/"Fwd:" prefixes, lowercased: with the peer it
-- threads an email that lost its In-Reply-To/References (a client that strips them).
ALTER TABLE conversations ADD COLUMN subject_key TEXT;
CREATE INDEX conversations_subject ON conversations(channel, account, peer, subject_key)
    WHERE subject_key IS NOT NULL;

-- How far back a folder has been read (Unix ms of the IMAP SINCE date; NULL: the whole
-- folder), and how many more days back an agent asked to read ("fetch older").
ALTER TABLE email_sync ADD COLUMN synced_since INTEGER;
ALTER TABLE email_sync ADD COLUMN older_days_requested INTEGER NOT NULL DEFAULT 0;

-- Each channel account's health as its running process sees it, for every TUI's status
-- line (the channels may run in `comptoir serve`, another process).
CREATE TABLE channel_health (
    channel     TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    state       TEXT    NOT NULL
                CHECK (state IN ('connecting', 'syncing', 'idle', 'polling', 'backoff',
                                 'auth_failed', 'stopped')),
    done        INTEGER,
    total       INTEGER,
    until       INTEGER,
    last_error  TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (channel, account)
) WITHOUT ROWID;
