-- comptoir store, version 1. Times are Unix milliseconds (UTC).

CREATE TABLE agents (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    availability  TEXT NOT NULL DEFAULT 'offline'
                  CHECK (availability IN ('available', 'away', 'offline')),
    last_seen_at  INTEGER
);

CREATE TABLE customers (
    id            INTEGER PRIMARY KEY,
    display_name  TEXT,
    created_at    INTEGER NOT NULL
);

-- One row per way to reach a customer. (kind, value) is unique, which is what links the
-- same email address or phone number seen on two channels to one customer.
CREATE TABLE handles (
    kind          TEXT NOT NULL,
    value         TEXT NOT NULL,
    customer_id   INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX handles_customer ON handles(customer_id);

CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    channel         TEXT NOT NULL,
    account         TEXT NOT NULL,
    thread_key      TEXT NOT NULL,
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    peer            TEXT NOT NULL,
    subject         TEXT,
    status          TEXT NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    snoozed_until   INTEGER,
    assignee_id     INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL,
    last_message_at INTEGER NOT NULL,
    last_reply_at   INTEGER,
    -- the oldest customer message not answered yet; NULL once the shop has replied
    waiting_since   INTEGER,
    preview         TEXT NOT NULL DEFAULT '',
    message_count   INTEGER NOT NULL DEFAULT 0,
    -- "longest waiting first, then most recent": one integer so one index serves the queue
    queue_rank      INTEGER GENERATED ALWAYS AS (
                        CASE WHEN waiting_since IS NOT NULL THEN waiting_since
                             ELSE 9000000000000000 - last_message_at END) VIRTUAL,
    UNIQUE (channel, account, thread_key)
);
CREATE INDEX conversations_queue ON conversations(status, queue_rank);
CREATE INDEX conversations_channel ON conversations(channel, status, queue_rank);
CREATE INDEX conversations_assignee ON conversations(assignee_id, status, queue_rank);
CREATE INDEX conversations_customer ON conversations(customer_id, last_message_at);
CREATE INDEX conversations_waiting ON conversations(status, waiting_since) WHERE waiting_since IS NOT NULL;
CREATE INDEX conversations_snoozed ON conversations(snoozed_until) WHERE status = 'snoozed';

CREATE TABLE conversation_labels (
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    label           TEXT NOT NULL,
    PRIMARY KEY (conversation_id, label)
) WITHOUT ROWID;

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('inbound', 'outbound', 'note')),
    channel         TEXT NOT NULL,
    account         TEXT NOT NULL,
    external_id     TEXT,
    author          TEXT NOT NULL,
    agent_id        INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    body            TEXT NOT NULL,
    sent_at         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    automated       INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX messages_external ON messages(channel, account, external_id)
    WHERE external_id IS NOT NULL;
CREATE INDEX messages_conversation ON messages(conversation_id, sent_at);

-- Metadata only: the bytes live in attachments/, named by their SHA-256.
CREATE TABLE attachments (
    id          INTEGER PRIMARY KEY,
    message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    mime        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL
);
CREATE INDEX attachments_message ON attachments(message_id);

CREATE TABLE outbox (
    message_id          INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    idempotency_key     TEXT NOT NULL UNIQUE,
    status              TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    lease_until         INTEGER,
    last_error          TEXT,
    channel_message_id  TEXT,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);

CREATE TABLE dead_letters (
    id           INTEGER PRIMARY KEY,
    channel      TEXT NOT NULL,
    account      TEXT NOT NULL,
    external_id  TEXT,
    reason       TEXT NOT NULL,
    raw          BLOB NOT NULL,
    received_at  INTEGER NOT NULL
);

CREATE VIRTUAL TABLE messages_fts USING fts5(
    body,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
-- Merge index segments in larger steps than the default 4: ingest on a big store gains
-- about 15% and search stays far under its budget.
INSERT INTO messages_fts(messages_fts, rank) VALUES ('automerge', 8);
-- New messages are indexed once per write transaction (Store::write), not by a trigger:
-- FTS5 flushes its pending terms at every statement savepoint, so a per-row trigger
-- turned each message into its own index segment and ingest into constant merging.
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body);
END;
