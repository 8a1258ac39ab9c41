//! Ports of the WhatsApp area. `kernel::EventPublisher` and `kernel::Clock` complete them.

use crate::commands::{Content, ImportSession, MessageFilter, SessionFilter};
use crate::message::{Message, MessageStatus, MessageType, StatusUpdate};
use crate::session::{ConnectionState, Session, SessionData, Transition};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kernel::{Page, PageRequest, Result};

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// `Ok(None)`: the page does not exist.
    async fn list(
        &self,
        filter: &SessionFilter,
        page: PageRequest,
    ) -> Result<Option<Page<Session>>>;
    /// `owner`: only a session of that user.
    async fn get(&self, id: i64, owner: Option<i64>) -> Result<Option<Session>>;
    /// The user's active session, else their most recently updated one.
    async fn current_of(&self, usuario: i64) -> Result<Option<Session>>;
    /// Inserts a row; an active one deactivates the user's other rows in the same
    /// transaction (one active session per user, guarded by a unique index). An unknown
    /// `usuario` → `Validation`.
    async fn insert(&self, data: &SessionData) -> Result<Session>;
    /// Writes the columns of `data` that differ from `since` (all when `None`).
    async fn update(
        &self,
        id: i64,
        data: &SessionData,
        since: Option<SessionData>,
    ) -> Result<Session>;
    async fn delete(&self, id: i64) -> Result<()>;
    /// The user's active session, created (`device_name`, status disconnected) if there is
    /// none; atomic under concurrent calls.
    async fn get_or_create_active(&self, usuario: i64, device_name: &str) -> Result<Session>;
    /// Applies a connection transition to the user's active session, if any.
    async fn apply_transition(&self, usuario: i64, t: &Transition) -> Result<Option<Session>>;
    /// Counts a failed (re)connect: `status = error`, `error_count + 1`, `last_error`.
    async fn record_error(&self, usuario: i64, error: &str) -> Result<()>;
    /// Upserts the user's active session from a backup (status disconnected, active);
    /// `true` when a row was created.
    async fn import(&self, usuario: i64, backup: &ImportSession) -> Result<(Session, bool)>;
    /// `reconnect_attempts + 1`, `last_reconnect_at = at`.
    async fn record_reconnect(&self, id: i64, at: DateTime<Utc>) -> Result<()>;
    /// The most recently updated active `ready` session of any user (the webhook's target).
    async fn latest_ready(&self) -> Result<Option<Session>>;
    /// Active sessions whose status is a live one (connecting…ready), to resynchronize with
    /// the gateway at start-up.
    async fn live(&self) -> Result<Vec<Session>>;
    /// The most recently updated active session of any user, whatever its status (the
    /// configured gateway's messages belong to it when no session is `ready`).
    async fn latest_active(&self) -> Result<Option<Session>>;
}

/// A message to store as received. `message_id` is always set (the intake generates one).
#[derive(Debug, Clone, PartialEq)]
pub struct NewInbound {
    pub session: i64,
    pub usuario: i64,
    /// The session owner's username (the returned message's `usuario_nome`).
    pub usuario_nome: String,
    pub message_id: String,
    pub message_type: MessageType,
    pub chat_id: String,
    pub contact_number: String,
    pub contact_name: String,
    /// The gateway's own id of the customer (an `…@lid` id, a BSUID), when it gives one.
    pub peer_id: Option<String>,
    pub text_content: String,
    pub media_url: String,
    pub media_mime_type: String,
    pub media_size: Option<i64>,
    pub payload: serde_json::Value,
    pub raw_payload: serde_json::Value,
    pub protocol_version: String,
    pub received_at: DateTime<Utc>,
}

/// An inbound message's media once it is in file storage.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMedia {
    /// `/media/<path relative to the storage root>`; served through signed links.
    pub url: String,
    pub mime_type: String,
    pub size: i64,
}

/// An outbound message to store `queued`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutbound {
    pub session: i64,
    pub usuario: i64,
    /// The sender's username (the returned message's `usuario_nome`).
    pub usuario_nome: String,
    pub message_id: String,
    pub client_message_id: String,
    pub to: String,
    pub content: Content,
    pub payload: serde_json::Value,
    pub queued_at: DateTime<Utc>,
}

/// A queued message handed to one sender, with how many sends were tried before.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub message: Message,
    pub attempts: u32,
}

/// Which stored message a status report names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageKey {
    Id(i64),
    /// The gateway's id (what delivery callbacks carry).
    Provider(String),
}

/// Aggregates over a set of messages (one session's, or a caller's).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageAggregates {
    pub total: i64,
    pub outbound: i64,
    pub inbound: i64,
    /// Status `failed` or `error`.
    pub with_error: i64,
    /// Mean queued → sent of outbound messages with `sent_at`.
    pub avg_latency_to_sent_ms: Option<f64>,
    pub avg_latency_to_delivered_ms: Option<f64>,
    /// Outbound with latency to sent over 5000 ms.
    pub over_5s: i64,
    /// Messages (all directions) whose latency is acceptable (§3 rule).
    pub acceptable: i64,
    /// Outbound messages whose latency to sent is acceptable.
    pub outbound_acceptable: i64,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait MessageRepository: Send + Sync {
    async fn list(
        &self,
        filter: &MessageFilter,
        page: PageRequest,
    ) -> Result<Option<Page<Message>>>;
    async fn get(&self, id: i64, owner: Option<i64>) -> Result<Option<Message>>;
    /// Stores an inbound message (`delivered`, `delivered_at = received_at`) and counts it on
    /// its session (`total_messages_received`, `last_message_at`), in one transaction. A
    /// `message_id` already stored (unique index: concurrent deliveries of one id race on
    /// it) stores nothing and returns the stored row with `false`.
    async fn insert_inbound(&self, m: &NewInbound) -> Result<(Message, bool)>;
    /// Stores an outbound message `queued` and counts it on its session
    /// (`total_messages_sent`, `last_message_at`), in one transaction. A `message_id` already
    /// stored → the stored row with `false` (a retried send is not sent twice).
    async fn insert_outbound(&self, m: &NewOutbound) -> Result<(Message, bool)>;
    /// Hands up to `limit` queued messages that are due (`next_attempt_at <= now`, not
    /// leased) to the caller until `lease_until`, counting an attempt: no two callers get the
    /// same message while its lease runs (decided by the database).
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Claimed>>;
    /// A claimed message is back in the queue, due at `due`; `count_attempt: false` gives the
    /// attempt back (the session was not connected: not the message's fault).
    async fn retry_later(
        &self,
        id: i64,
        due: DateTime<Utc>,
        error: &str,
        count_attempt: bool,
    ) -> Result<()>;
    /// `queued` → `sent` with the gateway's id; `false` when it was not queued any more.
    async fn mark_sent(&self, id: i64, provider_id: &str, at: DateTime<Utc>) -> Result<bool>;
    /// Applies a status report if the lattice allows it: the row's status must be one of
    /// `MessageStatus::predecessors(update.status)` (a conditional update); each status sets
    /// its timestamp (and latency) only once. Returns the updated row, or `None` when nothing
    /// changed (unknown message, or a report that would move the status backwards).
    async fn apply_status(
        &self,
        key: &MessageKey,
        update: &StatusUpdate,
    ) -> Result<Option<Message>>;
    /// Outbound messages with a latency to sent over 5000 ms, newest first.
    async fn high_latency(&self, owner: Option<i64>) -> Result<Vec<Message>>;
    /// Aggregates over the messages of `session`, or of every session of `owner` (None: all).
    async fn aggregates(
        &self,
        session: Option<i64>,
        owner: Option<i64>,
    ) -> Result<MessageAggregates>;
    /// The session that most recently received a message of `chat_id` (the one to answer
    /// through).
    async fn session_of_chat(&self, chat_id: &str) -> Result<Option<i64>>;
    /// Records where an inbound message's media was stored; the updated row.
    async fn set_media(&self, id: i64, media: &StoredMedia) -> Result<Option<Message>>;
    /// The chat id of the latest inbound message that carried `peer_id` with a number (a chat
    /// id other than the peer id itself): the number that peer was last seen with.
    async fn chat_of_peer(&self, peer_id: &str) -> Result<Option<String>>;
    /// Whether some stored message's media is the file at `media_url` (`/media/…`).
    async fn has_media(&self, media_url: &str) -> Result<bool>;
}

/// Whose connection a gateway call is about. The simulator keys on the user; real gateways
/// derive their instance (Evolution) or phone number id (Meta) from the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRef {
    pub usuario: i64,
    /// `None` for the legacy endpoints, which never create a session row.
    pub session: Option<i64>,
}

/// An outbound message as a gateway sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    pub message_id: String,
    pub to: String,
    pub content: Content,
}

/// Why a gateway could not send.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// The session is not connected: retry once it is (no attempt is counted).
    #[error("sessão não conectada")]
    NotConnected,
    /// A timeout, a 5xx, a rate limit: retry with backoff.
    #[error("falha temporária: {0}")]
    Transient(String),
    /// The provider refused the message (bad number, media rejected…): never retried.
    #[error("{0}")]
    Permanent(String),
}

/// An inbound message's media as the gateway names it, to be downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRef {
    /// What the gateway needs to fetch it: Meta's media id, Evolution's message key id.
    pub provider_ref: String,
    pub mime_type: String,
    /// The sender's file name, if any.
    pub file_name: String,
}

/// Downloaded media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedMedia {
    pub bytes: Vec<u8>,
    pub mime_type: String,
}

/// How a reconnect that fails is retried: after `base`, doubling, at most `cap` apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: std::time::Duration,
    pub cap: std::time::Duration,
}

impl Backoff {
    /// Shortest wait between two tries, whatever the setting (0 would spin).
    pub const MIN: std::time::Duration = std::time::Duration::from_millis(100);
    /// Longest wait between two tries.
    pub const CAP: std::time::Duration = std::time::Duration::from_secs(300);

    /// `reconnect_backoff_seconds` of the WhatsApp settings.
    pub fn from_seconds(base: u64) -> Self {
        Self {
            base: std::time::Duration::from_secs(base).max(Self::MIN),
            cap: Self::CAP,
        }
    }

    /// The wait before retry number `n` (1-based): `base · 2^(n-1)`, capped.
    pub fn delay(&self, n: u32) -> std::time::Duration {
        let factor = 1u32 << n.saturating_sub(1).min(16);
        self.base
            .saturating_mul(factor)
            .min(self.cap.max(self.base))
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::from_seconds(5)
    }
}

/// A WhatsApp connection provider: the built-in simulator, Evolution API v2, Meta Cloud API.
/// Progress it cannot answer at once (QR codes, connection states, delivery statuses,
/// inbound messages) comes back through [`GatewayEvents`].
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait WhatsAppGateway: Send + Sync {
    /// Opens the connection; returns its state right after the call. A gateway that is
    /// already connecting or connected returns that state and does nothing new.
    async fn connect(&self, session: SessionRef) -> Result<ConnectionState>;
    /// Closes the connection (and reports `disconnected`), connected or not.
    async fn disconnect(&self, session: SessionRef) -> Result<()>;
    /// The connection's state as the gateway knows it.
    async fn state(&self, session: SessionRef) -> ConnectionState;
    /// Hands a message to the provider; returns the provider's message id.
    async fn send(
        &self,
        session: SessionRef,
        message: &OutboundMessage,
    ) -> std::result::Result<String, SendError>;
    /// Restarts the connection; a real gateway that cannot retries by `backoff` in the
    /// background. The default: close it if it is live, then connect.
    async fn reconnect(&self, session: SessionRef, backoff: Backoff) -> Result<ConnectionState> {
        let _ = backoff;
        if self.state(session).await != crate::session::SessionStatus::Disconnected {
            self.disconnect(session).await?;
        }
        self.connect(session).await
    }
    /// Downloads an inbound message's media (gateways without media: `Unavailable`).
    async fn fetch_media(&self, session: SessionRef, media: &MediaRef) -> Result<FetchedMedia> {
        let _ = (session, media);
        Err(kernel::DomainError::Unavailable(
            "este gateway não fornece mídia".to_string(),
        ))
    }
}

/// What a gateway reports back (the simulator calls it directly; real gateways from their
/// webhooks). Implemented by [`crate::sessions::GatewayEventHandler`].
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait GatewayEvents: Send + Sync {
    /// The connection of `usuario` is now `state`; `qr_b64` with `qrcode`.
    async fn connection_changed(
        &self,
        usuario: i64,
        state: ConnectionState,
        qr_b64: Option<String>,
    );
    /// A (re)connect failed.
    async fn connection_failed(&self, usuario: i64, error: String);
    /// A delivery status of an outbound message, by the provider's id.
    async fn delivery_status(
        &self,
        provider_id: String,
        status: MessageStatus,
        at: DateTime<Utc>,
        error: Option<String>,
    );
    /// The configured gateway's one connection (shared by every session) is now `state`:
    /// every live session follows it.
    async fn gateway_state(&self, state: ConnectionState, qr_b64: Option<String>) {
        let _ = (state, qr_b64);
    }
    /// The configured gateway's connection ended and will not come back by itself (logged
    /// out, token revoked): every live session goes to `error`, told why and whether a new
    /// QR code is needed.
    async fn gateway_lost(&self, reason: String, needs_qrcode: bool) {
        let _ = (reason, needs_qrcode);
    }
}

/// Every stored inbound message is handed to it once (chat intake, §6.1).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InboundMessageHandler: Send + Sync {
    async fn handle(&self, message: &Message) -> Result<()>;
}

/// Chat intake until the atendimento area provides it: nothing to do.
pub struct NoIntake;

#[async_trait]
impl InboundMessageHandler for NoIntake {
    async fn handle(&self, _message: &Message) -> Result<()> {
        Ok(())
    }
}

/// Every outbound message an agent queued (`/whatsapp/send/`) is handed to it once: the
/// chat counts it as agent activity (first response, unread reset).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OutboundMessageHandler: Send + Sync {
    async fn handle(&self, message: &Message) -> Result<()>;
}

#[async_trait]
impl OutboundMessageHandler for NoIntake {
    async fn handle(&self, _message: &Message) -> Result<()> {
        Ok(())
    }
}

/// Wakes the sender when a message was queued (so it need not poll fast).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait OutboxSignal: Send + Sync {
    fn notify(&self);
}
