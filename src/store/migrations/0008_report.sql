-- 0008_report: what the response report (src/report/) reads, kept on each conversation
-- so a report over a million messages reads one row per conversation rather than every
-- message. Times are Unix ms, like the rest of the store.
--
-- first_inbound_at      the customer's first message that is not automated (a bounce or an
--                       auto-reply starts nothing): where first-response and resolution
--                       times are measured from.
-- first_reply_at        the shop's first reply that is not automated (an away message or an
--                       acknowledgement answers nothing); notes are never replies.
-- first_reply_agent_id  who wrote that reply: the agent a first response counts for.
-- resolved_at           when the conversation was last marked resolved; kept when it is
--                       reopened, so a resolution stays in the period it happened in.
-- resolved_by           who resolved it then (NULL: nobody known; the report then credits
--                       the assignee).
--
-- Triggers keep them: whoever writes a message or a status change (ingest, the outbox, a
-- sync of the Sent folder, the teamwork code) needs to know nothing about reports.

-- Resolutions are read from the status history of 0007_teamwork (conversation_events).

ALTER TABLE conversations ADD COLUMN first_inbound_at INTEGER;
ALTER TABLE conversations ADD COLUMN first_reply_at INTEGER;
ALTER TABLE conversations ADD COLUMN first_reply_agent_id INTEGER
    REFERENCES agents(id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN resolved_at INTEGER;
ALTER TABLE conversations ADD COLUMN resolved_by INTEGER REFERENCES agents(id) ON DELETE SET NULL;

-- Backfill. Each lookup walks one conversation's messages in time order and stops at the
-- first match, usually the first or second message.
UPDATE conversations SET first_inbound_at = (
    SELECT m.sent_at FROM messages m
    WHERE m.conversation_id = conversations.id AND m.kind = 'inbound' AND m.automated = 0
    ORDER BY m.sent_at LIMIT 1);
UPDATE conversations SET (first_reply_at, first_reply_agent_id) = (
    SELECT m.sent_at, m.agent_id FROM messages m
    WHERE m.conversation_id = conversations.id AND m.kind = 'outbound' AND m.automated = 0
    ORDER BY m.sent_at, m.id LIMIT 1);
-- A store from before the status history has no time of resolution: a resolved
-- conversation counts as resolved at its last message, the nearest time known.
UPDATE conversations SET (resolved_at, resolved_by) = (
    SELECT e.at, e.agent_id FROM conversation_events e
    WHERE e.conversation_id = conversations.id AND e.kind = 'status'
      AND e.new_value = 'resolved'
    ORDER BY e.at DESC, e.id DESC LIMIT 1);
UPDATE conversations SET resolved_at = last_message_at
    WHERE status = 'resolved' AND resolved_at IS NULL;

-- The UPDATEs match nothing (one primary-key probe) except for the message or event that
-- moves a figure, so ingest pays one lookup of a row it has just touched.
CREATE TRIGGER messages_report_inbound AFTER INSERT ON messages
WHEN new.kind = 'inbound' AND new.automated = 0
BEGIN
    UPDATE conversations SET first_inbound_at = new.sent_at
    WHERE id = new.conversation_id
      AND (first_inbound_at IS NULL OR first_inbound_at > new.sent_at);
END;
CREATE TRIGGER messages_report_reply AFTER INSERT ON messages
WHEN new.kind = 'outbound' AND new.automated = 0
BEGIN
    UPDATE conversations SET first_reply_at = new.sent_at, first_reply_agent_id = new.agent_id
    WHERE id = new.conversation_id
      AND (first_reply_at IS NULL OR first_reply_at > new.sent_at);
END;
CREATE TRIGGER conversation_events_report AFTER INSERT ON conversation_events
WHEN new.kind = 'status' AND new.new_value = 'resolved'
BEGIN
    UPDATE conversations SET resolved_at = new.at, resolved_by = new.agent_id
    WHERE id = new.conversation_id AND (resolved_at IS NULL OR resolved_at <= new.at);
END;

-- A period's conversations (by their first message) and resolutions, read from the index
-- alone.
CREATE INDEX conversations_report_started
    ON conversations(first_inbound_at, channel, first_reply_at, first_reply_agent_id)
    WHERE first_inbound_at IS NOT NULL;
CREATE INDEX conversations_report_resolved
    ON conversations(resolved_at, channel, first_inbound_at, resolved_by, assignee_id)
    WHERE resolved_at IS NOT NULL;
-- A period's message counts per channel, kind and agent, read from the index alone.
CREATE INDEX messages_report ON messages(sent_at, kind, automated, channel, agent_id);
