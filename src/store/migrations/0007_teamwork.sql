-- Teamwork: several agents on one store.
--
-- `conversation_events` is the log of every status, assignment and label change, newest
-- last. `kind = 'status'` rows carry the status names (`open|pending|snoozed|resolved`) in
-- `old_value` / `new_value` and are what resolution times are computed from; a snooze
-- that wakes by itself and a customer writing into a resolved conversation are logged with
-- `agent_id` NULL. `kind = 'assignee'` carries agent names (NULL: nobody); `kind = 'label'`
-- carries the label removed in `old_value` or added in `new_value`. `at` is Unix ms.
CREATE TABLE conversation_events (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    at              INTEGER NOT NULL,
    agent_id        INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('status', 'assignee', 'label')),
    old_value       TEXT,
    new_value       TEXT
);
CREATE INDEX conversation_events_conversation ON conversation_events(conversation_id, id);
CREATE INDEX conversation_events_kind ON conversation_events(kind, at);

-- What each open TUI is doing right now: the conversation its agent has open (NULL: none)
-- and whether they are writing a reply there. Each TUI (`session`) refreshes its row every
-- two seconds and deletes it when it quits; a row not refreshed for a few seconds (a TUI
-- that was killed, an SSH link that dropped) is ignored by readers.
CREATE TABLE agent_activity (
    agent_id        INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    session         TEXT    NOT NULL,
    conversation_id INTEGER REFERENCES conversations(id) ON DELETE CASCADE,
    replying        INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (agent_id, session)
) WITHOUT ROWID;
CREATE INDEX agent_activity_conversation ON agent_activity(conversation_id);

-- `filter.label NAME` lists a label's conversations without reading every label row.
CREATE INDEX conversation_labels_label ON conversation_labels(label, conversation_id);
