//! The email channel: mail fetched over IMAP becomes [`Inbound`](crate::channels::Inbound)
//! messages, and replies leave over SMTP.
//!
//! [`mime`] is the pure half: raw RFC 5322 bytes in, one normalised message out, with no
//! I/O, so it can be tested on a corpus and fuzzed. The IMAP sync (IDLE, flags) and SMTP
//! sending come in their own modules later, on top of it.

pub mod mime;
