//! Presence, typing indicators and notification preferences (contract §4.8).
//!
//! - [`model`]: `Presence` and its status, `Preferencias` with the do-not-disturb rule, the
//!   typed values of the commands (`StatusMessage`, `ChatId`, `PreferenciasPatch`).
//! - [`ports`]: `PresenceRepository`, `TypingRepository`, `PreferenciasRepository` and
//!   `SocketPresence` (open sockets per agent) — plus `kernel::EventPublisher` and
//!   `kernel::Clock`.
//! - [`events`]: `agent_presence_changed`, `typing_start`, `typing_stop` (§5.3 B).
//! - use cases: [`service::PresencaService`] and the timeout job [`job::PresenceTimeout`].
//!
//! `websocket_connected` is not stored state: it is what `SocketPresence` answers when the
//! presence is read (the database keeps only the last value a heartbeat or the timeout saw).

pub mod events;
pub mod job;
pub mod model;
pub mod ports;
pub mod service;

pub use model::{
    ChatId, Preferencias, PreferenciasPatch, PreferenciasView, Presence, PresenceStatus,
    PresenceView, StatusChange, StatusMessage, TextError,
};
pub use service::{Caller, Deps, PresencaService, PresenceConfig, SetStatus};

#[cfg(test)]
mod tests;
