//! Ports of presence, typing and notification preferences. `kernel::EventPublisher` and
//! `kernel::Clock` complete them.
//!
//! Every rule that must hold under concurrent calls is part of a port's contract and is kept
//! by the database (one row per agent by a unique index; conditional updates whose outcome
//! says who won), never by reading first in the service.

use super::model::{
    ChatId, Preferencias, PreferenciasPatch, Presence, PresenceStatus, StatusChange, StatusMessage,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kernel::Result;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PresenceRepository: Send + Sync {
    /// The agent's presence, created (`offline`, empty message, every timestamp `at`) when
    /// there is none; one row per agent however many calls race (unique index on the agent).
    async fn get_or_create(&self, agent: i64, at: DateTime<Utc>) -> Result<Presence>;

    /// Sets the status (creating the row first if needed) and returns the status it replaced
    /// with the row after, both read in the same transaction as the write. `status_changed_at`
    /// moves to `at` only when the status changes; `status_message` is replaced only by a
    /// non-empty `message`.
    async fn set_status(
        &self,
        agent: i64,
        status: PresenceStatus,
        message: &StatusMessage,
        at: DateTime<Utc>,
    ) -> Result<StatusChange>;

    /// Records a heartbeat at `at` (creating the row first if needed) and stores `connected`
    /// as the last observed socket state. When `connected` and the status is `offline`, the
    /// status becomes `online` in the same conditional statement: the row is returned then
    /// (the agent came online), `None` otherwise.
    async fn heartbeat(
        &self,
        agent: i64,
        at: DateTime<Utc>,
        connected: bool,
    ) -> Result<Option<Presence>>;

    /// One tick of the presence timeout: every agent in `online`/`busy`/`away` whose last
    /// heartbeat is older than `cutoff` becomes `offline` (not connected, status changed at
    /// `at`), in one conditional statement; returns those agents. With several processes on
    /// one database the tick runs in exactly one of them: a process that finds another one
    /// in the middle of its tick does nothing and returns no agent.
    async fn expire_stale(&self, cutoff: DateTime<Utc>, at: DateTime<Utc>) -> Result<Vec<i64>>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait TypingRepository: Send + Sync {
    /// Upserts the indicator of (`agent`, `chat`) with `is_typing = true` (one row per pair,
    /// unique index).
    async fn start(&self, agent: i64, chat: &ChatId, at: DateTime<Utc>) -> Result<()>;

    /// Sets `is_typing = false` on the indicator of (`agent`, `chat`); `false` when there is no
    /// such indicator.
    async fn stop(&self, agent: i64, chat: &ChatId, at: DateTime<Utc>) -> Result<bool>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PreferenciasRepository: Send + Sync {
    /// The agent's preferences, created with the defaults when there are none; one row per
    /// agent however many calls race.
    async fn get_or_create(&self, usuario: i64, at: DateTime<Utc>) -> Result<Preferencias>;

    /// Writes the fields `patch` sets, and `atualizado_em = at`, nothing else (creating the
    /// row first if needed); returns the row after.
    async fn update(
        &self,
        usuario: i64,
        patch: &PreferenciasPatch,
        at: DateTime<Utc>,
    ) -> Result<Preferencias>;
}

/// How many authenticated sockets an agent has open. In-process this is the hub's count; with
/// several instances it comes through the shared broker, hence a port.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SocketPresence: Send + Sync {
    async fn open_sockets(&self, agent: i64) -> Result<usize>;
}
