//! The use cases of §4.8: the caller's presence, set-status, heartbeat, typing indicators and
//! notification preferences. Events are published after the write they announce has
//! committed (each repository call is its own transaction).

use super::events::{PresenceChanged, Typing};
use super::model::{
    ChatId, DEFAULT_INACTIVE_AFTER_SECS, PreferenciasPatch, PreferenciasView, PresenceStatus,
    PresenceView, StatusChange, StatusMessage,
};
use super::ports::{PreferenciasRepository, PresenceRepository, SocketPresence, TypingRepository};
use chrono::{DateTime, Duration, Utc};
use kernel::{Clock, EventPublisher, Result};
use std::sync::Arc;

/// Who is calling: the authenticated agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub id: i64,
    pub username: String,
}

/// `POST /presence/set-status/`.
#[derive(Debug, Clone, PartialEq)]
pub struct SetStatus {
    pub status: PresenceStatus,
    /// Replaces the stored `status_message` when present and non-empty.
    pub message: Option<StatusMessage>,
}

/// Tunables of presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceConfig {
    /// No heartbeat for longer than this: `esta_inativo`, and the timeout job turns the agent
    /// `offline` (§4.8: 2 minutes).
    pub inactive_after: Duration,
}

impl Default for PresenceConfig {
    fn default() -> Self {
        Self {
            inactive_after: Duration::seconds(DEFAULT_INACTIVE_AFTER_SECS),
        }
    }
}

/// The shared dependencies of the presence use cases and of the timeout job.
#[derive(Clone)]
pub struct Deps {
    pub presences: Arc<dyn PresenceRepository>,
    pub typing: Arc<dyn TypingRepository>,
    pub preferencias: Arc<dyn PreferenciasRepository>,
    pub sockets: Arc<dyn SocketPresence>,
    pub events: Arc<dyn EventPublisher>,
    pub clock: Arc<dyn Clock>,
    pub config: PresenceConfig,
}

impl Deps {
    pub(crate) fn publish_presence(
        &self,
        agent: i64,
        status: PresenceStatus,
        message: &str,
        at: DateTime<Utc>,
    ) {
        let (audience, event) = PresenceChanged::event(agent, status, message, at);
        self.events.publish(audience, event);
    }
}

pub struct PresencaService {
    d: Deps,
}

impl PresencaService {
    pub fn new(d: Deps) -> Self {
        Self { d }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.d.clock.now()
    }

    /// `GET /presence/me/`: get-or-create (`offline`), with the live socket state.
    pub async fn me(&self, caller: &Caller) -> Result<PresenceView> {
        let now = self.now();
        let presence = self.d.presences.get_or_create(caller.id, now).await?;
        let connected = self.d.sockets.open_sockets(caller.id).await? > 0;
        Ok(PresenceView::of(
            presence,
            connected,
            now,
            self.d.config.inactive_after,
        ))
    }

    /// `POST /presence/set-status/`: always announced, even when the status stays.
    pub async fn set_status(&self, caller: &Caller, cmd: SetStatus) -> Result<StatusChange> {
        let now = self.now();
        let message = cmd.message.unwrap_or_default();
        let change = self
            .d
            .presences
            .set_status(caller.id, cmd.status, &message, now)
            .await?;
        self.d.publish_presence(
            caller.id,
            change.presence.status,
            &change.presence.status_message,
            now,
        );
        Ok(change)
    }

    /// `POST /presence/heartbeat/`: an `offline` agent with an open socket comes `online`
    /// (and that is announced).
    pub async fn heartbeat(&self, caller: &Caller) -> Result<()> {
        let now = self.now();
        let connected = self.d.sockets.open_sockets(caller.id).await? > 0;
        if let Some(p) = self
            .d
            .presences
            .heartbeat(caller.id, now, connected)
            .await?
        {
            self.d
                .publish_presence(caller.id, p.status, &p.status_message, now);
        }
        Ok(())
    }

    /// `POST /typing/`.
    pub async fn start_typing(&self, caller: &Caller, chat: ChatId) -> Result<()> {
        let now = self.now();
        self.d.typing.start(caller.id, &chat, now).await?;
        let (audience, event) = Typing::event(true, caller.id, &caller.username, &chat, now);
        self.d.events.publish(audience, event);
        Ok(())
    }

    /// `DELETE /typing/`: `false` (nothing announced) when the caller has no indicator for
    /// that chat.
    pub async fn stop_typing(&self, caller: &Caller, chat: ChatId) -> Result<bool> {
        let now = self.now();
        if !self.d.typing.stop(caller.id, &chat, now).await? {
            return Ok(false);
        }
        let (audience, event) = Typing::event(false, caller.id, &caller.username, &chat, now);
        self.d.events.publish(audience, event);
        Ok(true)
    }

    /// `GET /me/preferencias-notificacao/`: get-or-create with the defaults.
    pub async fn preferencias(&self, caller: &Caller) -> Result<PreferenciasView> {
        let now = self.now();
        let p = self.d.preferencias.get_or_create(caller.id, now).await?;
        Ok(PreferenciasView {
            esta_em_nao_perturbe: p.esta_em_nao_perturbe(now),
            preferencias: p,
        })
    }

    /// `PATCH /me/preferencias-notificacao/`: writes the fields the patch sets.
    pub async fn update_preferencias(
        &self,
        caller: &Caller,
        patch: PreferenciasPatch,
    ) -> Result<PreferenciasView> {
        let now = self.now();
        let p = self.d.preferencias.update(caller.id, &patch, now).await?;
        Ok(PreferenciasView {
            esta_em_nao_perturbe: p.esta_em_nao_perturbe(now),
            preferencias: p,
        })
    }
}
