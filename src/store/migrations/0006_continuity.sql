-- Continuity: the Message-ID of each email that carried a chat reply to a visitor who had
-- left, and the chat conversation it belongs to, so that the customer's email answer
-- (which names it in In-Reply-To or References) joins that conversation rather than
-- opening a new one. Written before the email goes out, so a crash right after sending
-- still threads the answer.
CREATE TABLE continuity (
    message_id      TEXT    NOT NULL PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    reply_id        INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    account         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX continuity_conversation ON continuity(conversation_id);
