-- CONDSTORE (RFC 7162): each folder's HIGHESTMODSEQ when its flags were last looked at, so
-- the next sync asks the server only for what changed since. NULL until a server that
-- offers CONDSTORE has been read, and again after a UIDVALIDITY change.
ALTER TABLE email_sync ADD COLUMN highest_modseq INTEGER;
