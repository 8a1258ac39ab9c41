//! Session use cases (§4.5) and the handler of what gateways report.

use crate::commands::{Caller, ImportSession, SessionChanges, SessionFilter};
use crate::events::SessionEvent;
use crate::message::{MessageStatus, StatusUpdate};
use crate::ports::{
    Backoff, GatewayEvents, MessageAggregates, MessageKey, MessageRepository, OutboxSignal,
    SessionRef, SessionRepository, WhatsAppGateway,
};
use crate::session::{
    ConnectionState, DEFAULT_DEVICE_NAME, Session, SessionData, SessionStatus, Transition,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kernel::{
    Audience, Clock, DomainError, EventPublisher, FieldErrors, Page, PageRequest, Result,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const NOT_FOUND: &str = "WhatsAppSession";

/// The shared dependencies of the WhatsApp use cases.
#[derive(Clone)]
pub struct Deps {
    pub sessions: Arc<dyn SessionRepository>,
    pub messages: Arc<dyn MessageRepository>,
    pub gateway: Arc<dyn WhatsAppGateway>,
    pub events: Arc<dyn EventPublisher>,
    pub clock: Arc<dyn Clock>,
    /// Where inbound media is stored.
    pub files: Arc<dyn kernel::storage::FileStorage>,
}

/// Result of `start`.
#[derive(Debug, Clone, PartialEq)]
pub struct Started {
    pub session_id: i64,
    pub status: SessionStatus,
}

/// Result of `metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionMetrics {
    pub session_id: i64,
    pub aggregates: MessageAggregates,
    pub uptime_seconds: Option<i64>,
    pub error_count: i64,
}

/// Percent with two decimals; 100.0 when there is nothing to judge.
pub fn acceptable_rate(acceptable: i64, total: i64) -> f64 {
    if total == 0 {
        100.0
    } else {
        (acceptable as f64 * 10000.0 / total as f64).round() / 100.0
    }
}

pub struct SessionService {
    d: Deps,
}

impl SessionService {
    pub fn new(d: Deps) -> Self {
        Self { d }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.d.clock.now()
    }

    pub async fn list(
        &self,
        caller: Caller,
        mut filter: SessionFilter,
        page: PageRequest,
    ) -> Result<Page<Session>> {
        filter.usuario = caller.scope();
        self.d
            .sessions
            .list(&filter, page)
            .await?
            .ok_or(DomainError::InvalidPage)
    }

    pub async fn get(&self, caller: Caller, id: i64) -> Result<Session> {
        self.d
            .sessions
            .get(id, caller.scope())
            .await?
            .ok_or(DomainError::NotFound(NOT_FOUND))
    }

    /// Checks `usuario` against the caller: non-superusers may only name themselves.
    fn check_owner(caller: Caller, usuario: i64) -> Result<()> {
        if caller.is_superuser || usuario == caller.id {
            Ok(())
        } else {
            Err(DomainError::Validation(FieldErrors::single(
                "usuario",
                "Você só pode gerenciar as suas próprias sessões.",
            )))
        }
    }

    /// `POST /sessions/`: `usuario` defaults to the caller.
    pub async fn create(&self, caller: Caller, c: SessionChanges) -> Result<Session> {
        let usuario = c.usuario.unwrap_or(caller.id);
        Self::check_owner(caller, usuario)?;
        let data = SessionData {
            usuario,
            status: c.status.unwrap_or_default(),
            device_name: c.device_name.unwrap_or_default(),
            phone_number: c.phone_number.unwrap_or_default(),
            qr_code: c.qr_code.unwrap_or_default(),
            last_error: c.last_error.unwrap_or_default(),
            is_active: c.is_active.unwrap_or(true),
        };
        self.d.sessions.insert(&data).await
    }

    /// `PUT`/`PATCH`: the given fields replace the stored ones.
    pub async fn update(&self, caller: Caller, id: i64, c: SessionChanges) -> Result<Session> {
        let current = self.get(caller, id).await?;
        let since = SessionData::of(&current);
        let mut data = since.clone();
        if let Some(u) = c.usuario {
            Self::check_owner(caller, u)?;
            data.usuario = u;
        }
        if let Some(s) = c.status {
            data.status = s;
        }
        if let Some(v) = c.device_name {
            data.device_name = v;
        }
        if let Some(v) = c.phone_number {
            data.phone_number = v;
        }
        if let Some(v) = c.qr_code {
            data.qr_code = v;
        }
        if let Some(v) = c.last_error {
            data.last_error = v;
        }
        if let Some(v) = c.is_active {
            data.is_active = v;
        }
        self.d.sessions.update(id, &data, Some(since)).await
    }

    pub async fn delete(&self, caller: Caller, id: i64) -> Result<()> {
        self.get(caller, id).await?;
        self.d.sessions.delete(id).await
    }

    /// `POST /sessions/start/`: get-or-create the caller's active session and connect it,
    /// unless a connection is already on its way or up (then nothing new happens).
    pub async fn start(&self, caller: Caller) -> Result<Started> {
        let session = self
            .d
            .sessions
            .get_or_create_active(caller.id, DEFAULT_DEVICE_NAME)
            .await?;
        let r = SessionRef {
            usuario: caller.id,
            session: Some(session.id),
        };
        // A session already on its way or up, on a connection the gateway says is live too,
        // is left alone (a real gateway's connection is shared: asking it again would
        // restart what another user's session shows).
        if session.status.is_live() && self.d.gateway.state(r).await.is_live() {
            return Ok(Started {
                session_id: session.id,
                status: session.status,
            });
        }
        let status = self.connect(r).await?;
        Ok(Started {
            session_id: session.id,
            status,
        })
    }

    /// The gateway decides, atomically, whether a connection is already live (port contract).
    async fn connect(&self, r: SessionRef) -> Result<ConnectionState> {
        self.d.gateway.connect(r).await
    }

    /// `POST /sessions/stop/`: the gateway reports `disconnected` (event and row).
    pub async fn stop(&self, caller: Caller) -> Result<()> {
        let current = self.d.sessions.current_of(caller.id).await?;
        self.d
            .gateway
            .disconnect(SessionRef {
                usuario: caller.id,
                session: current.map(|s| s.id),
            })
            .await
    }

    /// `GET /sessions/status/`: the caller's session row (which follows the connection).
    pub async fn status(&self, caller: Caller) -> Result<Option<Session>> {
        self.d.sessions.current_of(caller.id).await
    }

    pub async fn metrics(&self, caller: Caller, id: i64) -> Result<SessionMetrics> {
        let s = self.get(caller, id).await?;
        let aggregates = self.d.messages.aggregates(Some(s.id), None).await?;
        Ok(SessionMetrics {
            session_id: s.id,
            aggregates,
            uptime_seconds: s.uptime_seconds(self.now()),
            error_count: s.error_count,
        })
    }

    pub async fn import(&self, caller: Caller, backup: ImportSession) -> Result<(Session, bool)> {
        self.d.sessions.import(caller.id, &backup).await
    }

    /// `POST /sessions/{id}/reconnect/`: unless `auto_reconnect` is off, counts the attempt
    /// and restarts the connection of the session's owner; a real gateway that cannot
    /// reconnect retries by `backoff` (`reconnect_backoff_seconds`, doubling up to a cap).
    /// Returns the session.
    pub async fn reconnect(&self, caller: Caller, id: i64, backoff: Backoff) -> Result<Session> {
        let s = self.get(caller, id).await?;
        if !s.auto_reconnect {
            return Ok(s);
        }
        self.d.sessions.record_reconnect(s.id, self.now()).await?;
        let r = SessionRef {
            usuario: s.usuario,
            session: Some(s.id),
        };
        if let Err(e) = self.d.gateway.reconnect(r, backoff).await {
            report_failure(&self.d, s.usuario, &e.to_string()).await?;
        }
        Ok(s)
    }

    /// Legacy `session/start`: connects without creating a row.
    pub async fn start_legacy(&self, caller: Caller) -> Result<ConnectionState> {
        let current = self.d.sessions.current_of(caller.id).await?;
        self.connect(SessionRef {
            usuario: caller.id,
            session: current.map(|s| s.id),
        })
        .await
    }

    /// Legacy `session/status`: the connection's state.
    pub async fn state_legacy(&self, caller: Caller) -> ConnectionState {
        self.d
            .gateway
            .state(SessionRef {
                usuario: caller.id,
                session: None,
            })
            .await
    }

    /// At start-up: rows that say a connection is live are brought back to what the gateway
    /// knows (the simulator starts disconnected after a restart).
    pub async fn resync(&self) -> Result<usize> {
        let mut changed = 0;
        for s in self.d.sessions.live().await? {
            let r = SessionRef {
                usuario: s.usuario,
                session: Some(s.id),
            };
            let state = self.d.gateway.state(r).await;
            if state != s.status {
                self.d
                    .sessions
                    .apply_transition(s.usuario, &Transition::to(state, self.now()))
                    .await?;
                changed += 1;
            }
        }
        Ok(changed)
    }
}

/// A failed (re)connect: counted on the user's active session, then `session_status: error`
/// to the user (after the write).
pub(crate) async fn report_failure(d: &Deps, usuario: i64, error: &str) -> Result<()> {
    d.sessions.record_error(usuario, error).await?;
    d.events.publish(
        Audience::User(usuario),
        SessionEvent::status(SessionStatus::Error, d.clock.now()),
    );
    Ok(())
}

/// A message sent without a row (legacy `POST /whatsapp/messages`): whom its statuses go to.
#[derive(Debug, Clone)]
struct Unsaved {
    usuario: i64,
    message_id: String,
}

/// Most unsaved legacy messages whose statuses are still awaited.
const UNSAVED_MAX: usize = 10_000;

/// Turns what a gateway reports into row updates and events (§4.5, §5.3 A).
pub struct GatewayEventHandler {
    pub(crate) d: Deps,
    outbox: Option<Arc<dyn OutboxSignal>>,
    unsaved: Mutex<HashMap<String, Unsaved>>,
    /// Reports that named a provider id no stored message carries yet: a gateway may report
    /// `delivered` before the sender has recorded the id its `send` returned. Replayed by
    /// [`GatewayEventHandler::provider_id_recorded`].
    early: Mutex<Early>,
}

/// Receipts waiting for their provider id to be recorded, and the ids recorded lately.
#[derive(Default)]
struct Early {
    /// Per provider id, in arrival order. While an entry exists (waiting, or being replayed),
    /// new receipts for that id join it, so they are applied in order.
    waiting: HashMap<String, Vec<StatusUpdate>>,
    /// Ids the sender recorded (bounded): a receipt that missed its row just before the id
    /// was recorded is applied again instead of waiting forever.
    recorded: std::collections::HashSet<String>,
    recorded_order: std::collections::VecDeque<String>,
}

impl Early {
    fn remember(&mut self, id: &str) {
        if self.recorded.insert(id.to_string()) {
            self.recorded_order.push_back(id.to_string());
            if self.recorded_order.len() > UNSAVED_MAX
                && let Some(old) = self.recorded_order.pop_front()
            {
                self.recorded.remove(&old);
            }
        }
    }
}

impl GatewayEventHandler {
    pub fn new(d: Deps) -> Self {
        Self {
            d,
            outbox: None,
            unsaved: Mutex::new(HashMap::new()),
            early: Mutex::new(Early::default()),
        }
    }

    /// Wakes the sender when a session becomes ready (its queued messages can go).
    pub fn with_outbox(mut self, outbox: Arc<dyn OutboxSignal>) -> Self {
        self.outbox = Some(outbox);
        self
    }

    /// The sender stored `provider_id` on its message: reports that arrived before are
    /// applied now, in the order they came.
    pub async fn provider_id_recorded(&self, provider_id: &str) {
        let has_waiting = {
            let mut e = self.early.lock().unwrap_or_else(|e| e.into_inner());
            e.remember(provider_id);
            e.waiting.contains_key(provider_id)
        };
        if !has_waiting {
            return;
        }
        // Replays until no receipt is left; receipts arriving meanwhile join the entry.
        loop {
            let batch = {
                let mut e = self.early.lock().unwrap_or_else(|e| e.into_inner());
                match e.waiting.get_mut(provider_id) {
                    Some(list) if !list.is_empty() => std::mem::take(list),
                    _ => {
                        e.waiting.remove(provider_id);
                        return;
                    }
                }
            };
            for u in batch {
                self.apply(provider_id, u).await;
            }
        }
    }

    /// Queues `update` behind receipts of the same id still waiting; `false` when none wait.
    fn join_waiting(&self, provider_id: &str, update: &StatusUpdate) -> bool {
        let mut e = self.early.lock().unwrap_or_else(|e| e.into_inner());
        match e.waiting.get_mut(provider_id) {
            Some(list) => {
                list.push(update.clone());
                true
            }
            None => false,
        }
    }

    /// Applies one report to the stored message; `false` when no message carries the id.
    async fn apply(&self, provider_id: &str, update: StatusUpdate) -> bool {
        let at = update.at;
        match self
            .d
            .messages
            .apply_status(&MessageKey::Provider(provider_id.to_string()), &update)
            .await
        {
            Ok(Some(m)) => {
                self.d.events.publish(
                    Audience::User(m.usuario),
                    SessionEvent::message_status(&m.message_id, m.status, at),
                );
                true
            }
            Ok(None) => false,
            Err(e) => {
                log_failure(&e);
                true
            }
        }
    }

    /// Remembers that statuses of `provider_id` belong to an unsaved message of `usuario`.
    pub fn expect_unsaved(&self, provider_id: &str, usuario: i64, message_id: &str) {
        let mut map = self.unsaved.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= UNSAVED_MAX {
            map.clear();
        }
        map.insert(
            provider_id.to_string(),
            Unsaved {
                usuario,
                message_id: message_id.to_string(),
            },
        );
    }
}

#[async_trait]
impl GatewayEvents for GatewayEventHandler {
    async fn connection_changed(&self, usuario: i64, state: ConnectionState, qr: Option<String>) {
        let at = self.d.clock.now();
        let mut t = Transition::to(state, at);
        t.qr_code = qr.clone();
        if let Err(e) = self.d.sessions.apply_transition(usuario, &t).await {
            log_failure(&e);
        }
        self.d
            .events
            .publish(Audience::User(usuario), SessionEvent::status(state, at));
        if let (SessionStatus::Qrcode, Some(qr)) = (state, qr) {
            self.d
                .events
                .publish(Audience::User(usuario), SessionEvent::qrcode(&qr, at));
        }
        if state == SessionStatus::Ready
            && let Some(o) = &self.outbox
        {
            o.notify();
        }
    }

    async fn connection_failed(&self, usuario: i64, error: String) {
        if let Err(e) = report_failure(&self.d, usuario, &error).await {
            log_failure(&e);
        }
    }

    async fn gateway_state(&self, state: ConnectionState, qr_b64: Option<String>) {
        if let Err(e) = self.follow_gateway(state, qr_b64).await {
            log_failure(&e);
        }
    }

    async fn gateway_lost(&self, reason: String, needs_qrcode: bool) {
        if let Err(e) = self.lose_gateway(&reason, needs_qrcode).await {
            log_failure(&e);
        }
    }

    async fn delivery_status(
        &self,
        provider_id: String,
        status: MessageStatus,
        at: DateTime<Utc>,
        error: Option<String>,
    ) {
        let update = StatusUpdate {
            status,
            at,
            error_message: error,
        };
        if self.join_waiting(&provider_id, &update)
            || self.apply(&provider_id, update.clone()).await
        {
            return;
        }
        let unsaved = {
            let mut map = self.unsaved.lock().unwrap_or_else(|e| e.into_inner());
            let found = map.get(&provider_id).cloned();
            if matches!(status, MessageStatus::Read) || status.is_failure() {
                map.remove(&provider_id);
            }
            found
        };
        if let Some(u) = unsaved {
            self.d.events.publish(
                Audience::User(u.usuario),
                SessionEvent::message_status(&u.message_id, status, at),
            );
            return;
        }
        // Either a stored message whose id is not recorded yet, or a stranger's: kept for a
        // while (bounded), replayed when the sender records the id.
        let recorded_meanwhile = {
            let mut e = self.early.lock().unwrap_or_else(|e| e.into_inner());
            if e.recorded.contains(&provider_id) {
                true
            } else {
                if e.waiting.len() >= UNSAVED_MAX {
                    e.waiting.clear();
                }
                e.waiting
                    .entry(provider_id.clone())
                    .or_default()
                    .push(update.clone());
                false
            }
        };
        if recorded_meanwhile {
            self.apply(&provider_id, update).await;
        }
    }
}

/// A failure in a callback has no caller to answer: it is logged.
pub(crate) fn log_failure(e: &DomainError) {
    tracing::warn!(error = %e, "whatsapp gateway callback failed");
}
