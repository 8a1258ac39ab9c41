//! The WhatsApp area (contract §3 WhatsAppSession*/WhatsAppMessage*, §4.5, §5.3 A/B).
//!
//! - [`session`]: the connection state machine, one active session per user.
//! - [`message`]: messages, the status lattice and latencies.
//! - [`events`]: the typed real-time events, in the contract's exact envelopes.
//! - [`ports`]: repositories, the gateway (shaped for Evolution API v2 and Meta Cloud API, the
//!   simulator is only one adapter), the inbound handler (chat intake) — plus
//!   `kernel::EventPublisher` and `kernel::Clock`.
//! - use cases: [`sessions::SessionService`], [`messages::MessageService`] (send, lists,
//!   statistics, delivery statuses), [`intake::InboundIntake`] (webhook/inject),
//!   [`feed::GatewayFeed`] (what a real gateway's webhook reports) and [`outbox::Outbox`] (the
//!   sender).

pub mod commands;
pub mod events;
pub mod feed;
mod gateway_state;
pub mod intake;
pub mod message;
pub mod messages;
pub mod outbox;
pub mod ports;
pub mod session;
pub mod sessions;

pub use message::{Direction, Message, MessageStatus, MessageType};
pub use session::{ConnectionState, Session, SessionStatus};

#[cfg(test)]
mod gateway_tests;
#[cfg(test)]
mod service_tests;
