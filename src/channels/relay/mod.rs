//! The chat relay: the HTTP server a shop's website backend posts visitors' messages to,
//! signed per Standard Webhooks ([`signature`]), checked ([`message`]) and ingested
//! before they are acknowledged ([`server`]).

pub mod message;
pub mod server;
pub mod signature;
