-- The first answer the relay gave to each signed webhook, by the sender's `webhook-id`.
-- A sender retries when it missed our answer (a timeout, a dropped connection); the retry
-- gets the same status and body and stores nothing twice. Written in the same transaction
-- as the message it answers, so neither exists without the other.
CREATE TABLE webhook_receipts (
    channel     TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    webhook_id  TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (channel, account, webhook_id)
) WITHOUT ROWID;
