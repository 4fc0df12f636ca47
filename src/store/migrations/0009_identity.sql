-- 0009_identity: customer identity that is reversible and explained (issue 7, item 2).
-- Nothing here ever merges two customers by itself: ingest links a sender by the
-- channel's own id only; what a sender merely says about themselves (a chat's pre-chat
-- email) is a claim, shown as a suggestion until an agent links the two with :link.

-- Set when an agent linked this customer into another: the row is kept (never deleted)
-- so that :unlink can bring it back as it was.
ALTER TABLE customers ADD COLUMN merged_into INTEGER REFERENCES customers(id);

-- 1 when the handle is a claim nobody proved (a chat's pre-chat email): it was linked
-- because nobody else held it, and the channel's own sender with that address takes it
-- over instead of joining the claimant.
ALTER TABLE handles ADD COLUMN claimed INTEGER NOT NULL DEFAULT 0;

-- What a sender said about themselves, from which channel; kept even when the value
-- belongs to someone else, since that is exactly what a suggestion is made of.
CREATE TABLE customer_claims (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (customer_id, kind, value)
) WITHOUT ROWID;
CREATE INDEX customer_claims_value ON customer_claims(kind, value);

CREATE TABLE customer_tags (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    tag         TEXT    NOT NULL,
    PRIMARY KEY (customer_id, tag)
) WITHOUT ROWID;
CREATE INDEX customer_tags_tag ON customer_tags(tag);

CREATE TABLE customer_notes (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    agent_id    INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    body        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX customer_notes_customer ON customer_notes(customer_id, created_at);

-- The kept log of :link. `named` is 1 when the link gave a nameless survivor the merged
-- customer's name, so :unlink takes it back.
CREATE TABLE customer_links (
    id          INTEGER PRIMARY KEY,
    survivor_id INTEGER NOT NULL REFERENCES customers(id),
    merged_id   INTEGER NOT NULL REFERENCES customers(id),
    agent_id    INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    at          INTEGER NOT NULL,
    undone_at   INTEGER,
    named       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX customer_links_survivor ON customer_links(survivor_id, id);
CREATE INDEX customer_links_merged ON customer_links(merged_id, id);

-- Exactly what one link moved from the merged customer to the survivor. `what` is
-- handle / claim (key "kind<US>value"), conversation / note (key the row id), tag (key
-- the tag). A tag or claim the survivor already had stays where it was on the merged
-- customer, so it is neither moved nor logged.
CREATE TABLE customer_link_moves (
    link_id INTEGER NOT NULL REFERENCES customer_links(id) ON DELETE CASCADE,
    what    TEXT    NOT NULL CHECK (what IN ('handle', 'claim', 'conversation', 'note', 'tag')),
    key     TEXT    NOT NULL,
    PRIMARY KEY (link_id, what, key)
) WITHOUT ROWID;
