//! The chat relay: the HTTP server a shop's website backend posts visitors' messages to,
//! signed per Standard Webhooks ([`signature`]), checked ([`message`]) and ingested
//! before they are acknowledged ([`server`]); and the browser side of the chat: visitor
//! tokens ([`token`]), the widget's routes ([`visitor`], [`sse`]) with their rate limits
//! ([`limits`]) and CORS ([`cors`]), and the replies' way back ([`hub`], [`channel`],
//! and by email to a visitor who has left: [`continuity`]), and the optional
//! acknowledgement while nobody is available ([`away`]).

pub mod availability;
pub mod away;
pub mod channel;
pub mod continuity;
pub mod cors;
pub mod form;
pub mod hub;
pub mod limits;
pub mod message;
pub mod server;
pub mod signature;
pub mod sse;
pub mod status;
pub mod token;
pub mod visitor;
pub mod widget;
