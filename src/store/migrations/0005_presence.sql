-- What availability is computed from besides the explicit toggle (see presence.rs):
-- `last_seen_at` is now a TUI's heartbeat, written every half minute while one is open;
-- `last_input_at` is the agent's last key or click in one, written at most every half
-- minute; `left_available_at` is when the toggle last went from available to away or
-- offline, so the chat's grace period after the last agent leaves is computed from the
-- store by whoever asks, not kept in one process.
ALTER TABLE agents ADD COLUMN last_input_at INTEGER;
ALTER TABLE agents ADD COLUMN left_available_at INTEGER;
