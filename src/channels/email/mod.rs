//! The email channel: mail fetched over IMAP becomes [`Inbound`](crate::channels::Inbound)
//! messages, and replies leave over SMTP.
//!
//! [`mime`] is the pure half: raw RFC 5322 bytes in, one normalised message out, with no
//! I/O, so it can be tested on a corpus and fuzzed. [`imap`] syncs folders into the store
//! (one pass: new mail since the last stored UID, bounded first sync, UIDVALIDITY
//! changes) over the one TLS stack of [`tls`]. [`smtp`] sends replies (threaded, quoting
//! the customer, as [`flowed`] text) and files them in the Sent folder. [`account`] runs
//! one account's life: sync, IDLE, reconnect with backoff, health in the store.

pub mod account;
pub mod flowed;
pub mod imap;
pub mod mime;
pub mod smtp;
pub mod tls;
