//! Schemas of the WebSocket frames (contract §5), for the OpenAPI document's components.
//! The frames themselves are built by the domain crates' typed events; these types only
//! describe them (a test checks that real frames match). Examples: `docs/websocket.md`.
#![allow(dead_code)]

use serde_json::Value;
use utoipa::ToSchema;

/// `{"type":"session_status","status":…,"ts":…}` (to the acting user).
#[derive(ToSchema)]
pub struct WsEventSessionStatus {
    #[schema(example = "session_status")]
    pub r#type: String,
    /// `connecting`, `qrcode`, `authenticated`, `ready`, `disconnected` (or `error`).
    #[schema(example = "ready")]
    pub status: String,
    /// UTC ISO-8601 with `+00:00`.
    #[schema(example = "2025-10-12T13:18:45.481809+00:00")]
    pub ts: String,
}

/// `{"type":"qrcode","image_b64":…,"ts":…}`, right after `session_status: qrcode`.
#[derive(ToSchema)]
pub struct WsEventQrcode {
    #[schema(example = "qrcode")]
    pub r#type: String,
    #[schema(example = "c3R1Yi1xcg==")]
    pub image_b64: String,
    pub ts: String,
}

/// `{"type":"message_status","message_id":…,"status":…,"ts":…}` (to the sender).
#[derive(ToSchema)]
pub struct WsEventMessageStatus {
    #[schema(example = "message_status")]
    pub r#type: String,
    pub message_id: String,
    /// `queued`, `sent`, `delivered`, `read` (or `failed`).
    pub status: String,
    pub ts: String,
}

/// Data of `message_received`.
#[derive(ToSchema)]
pub struct MessageReceivedData {
    pub from: String,
    pub message: String,
    pub message_id: String,
    pub timestamp: String,
    pub media_url: Option<String>,
    pub media_type: Option<String>,
    pub latency_ms: f64,
}

/// `{"event":"message_received","data":{…},"version":"v1"}` (to the session's owner).
#[derive(ToSchema)]
pub struct WsEventMessageReceived {
    #[schema(example = "message_received")]
    pub event: String,
    pub data: MessageReceivedData,
    #[schema(example = "v1")]
    pub version: String,
}

/// Data of `message_sent`.
#[derive(ToSchema)]
pub struct MessageSentData {
    pub message_id: String,
    /// `queued` on success, `failed` when the outbox gave up.
    pub status: String,
    pub to: String,
    pub timestamp: String,
    pub error: Option<String>,
}

/// `{"event":"message_sent","data":{…},"version":"v1"}` (to the sender).
#[derive(ToSchema)]
pub struct WsEventMessageSent {
    #[schema(example = "message_sent")]
    pub event: String,
    pub data: MessageSentData,
    #[schema(example = "v1")]
    pub version: String,
}

/// Client frame `{"type":"ping"}` → `{"type":"pong"}`.
#[derive(ToSchema)]
pub struct WsClientPing {
    #[schema(example = "ping")]
    pub r#type: String,
}

/// Client frame `inject_incoming` (same effects as `POST /whatsapp/inject-incoming/`).
#[derive(ToSchema)]
pub struct WsClientInject {
    #[schema(example = "inject_incoming")]
    pub r#type: String,
    /// Default `5511999999999`.
    pub from: Option<String>,
    pub chat_id: Option<String>,
    #[schema(value_type = Object)]
    pub payload: Value,
}

/// Reply to `inject_incoming`: `{"type":"inject_success","message_id","chat_id"}` or
/// `{"type":"inject_error","error"}`.
#[derive(ToSchema)]
pub struct WsInjectReply {
    #[schema(example = "inject_success")]
    pub r#type: String,
    pub message_id: Option<String>,
    pub chat_id: Option<String>,
    pub error: Option<String>,
}
