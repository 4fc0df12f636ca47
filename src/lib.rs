//! comptoir: a terminal inbox for customer conversations.
//!
//! The data flows one way (DESIGN.md): channels turn the outside world into
//! [`channels::Inbound`] values; [`ingest`] is the one door into the [`store`];
//! the [`outbox`] is the one door out, through [`channels::Channel`] senders.
//! Front ends read the store and write replies, notes and statuses to it; they never
//! talk to a channel. The arrows point one way: `model` ← `store` ← `ingest`/`outbox`
//! ← `channels`.

pub mod channels;
pub mod config;
pub mod demo;
pub mod ingest;
pub mod logging;
pub mod model;
pub mod outbox;
pub mod presence;
pub mod replies;
pub mod report;
pub mod secret;
pub mod serve;
pub mod snooze;
pub mod store;
pub mod tui;
