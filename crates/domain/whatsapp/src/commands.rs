//! Typed commands and queries of the WhatsApp use cases. The edge (`apps/server`) builds them
//! from bodies and query strings; webhooks, WebSocket frames and jobs build them directly.

use crate::message::{Direction, MessageStatus, MessageType};
use crate::session::SessionStatus;
use chrono::{DateTime, Utc};
use kernel::OrderBy;

/// `GET /whatsapp/sessions/` filters. `usuario` is the caller's scope (None: a superuser).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionFilter {
    pub usuario: Option<i64>,
    pub status: Option<SessionStatus>,
    pub is_active: Option<bool>,
    /// Terms over `phone_number, device_name`; each must match one of them.
    pub search: Vec<String>,
    pub ordering: Vec<OrderBy>,
}

pub const SESSION_ORDERING: [&str; 3] = ["created_at", "updated_at", "connected_at"];
pub const MESSAGE_ORDERING: [&str; 3] = ["created_at", "sent_at", "delivered_at"];

/// `GET /whatsapp/messages/` filters. `usuario` is the caller's scope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageFilter {
    pub usuario: Option<i64>,
    pub direction: Option<Direction>,
    pub message_type: Option<MessageType>,
    pub status: Option<MessageStatus>,
    pub chat_id: Option<String>,
    pub is_from_me: Option<bool>,
    pub session: Option<i64>,
    /// Terms over `text_content, contact_number, contact_name`.
    pub search: Vec<String>,
    pub ordering: Vec<OrderBy>,
}

/// Field limits of the session's writable fields (§3).
pub const DEVICE_NAME_MAX: usize = 255;
pub const PHONE_NUMBER_MAX: usize = 20;

/// `POST`/`PUT`/`PATCH` of a session row: the fields given (`PATCH` may give none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionChanges {
    pub usuario: Option<i64>,
    pub status: Option<SessionStatus>,
    pub device_name: Option<String>,
    pub phone_number: Option<String>,
    pub qr_code: Option<String>,
    pub last_error: Option<String>,
    pub is_active: Option<bool>,
}

/// `POST /whatsapp/sessions/import/`: the fields of an export that are used.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportSession {
    pub device_name: String,
    pub phone_number: String,
    pub session_data: serde_json::Value,
    pub auto_reconnect: bool,
    pub proxy_enabled: bool,
    pub proxy_url: String,
}

/// What an outbound message carries (`/whatsapp/send/` `type`).
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Text(String),
    /// `image`, `audio`, `video` or `document`, with its URL and optional caption.
    Media {
        kind: MessageType,
        url: String,
        caption: String,
    },
}

impl Content {
    pub fn message_type(&self) -> MessageType {
        match self {
            Content::Text(_) => MessageType::Text,
            Content::Media { kind, .. } => *kind,
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Content::Text(t) => t,
            Content::Media { caption, .. } => caption,
        }
    }

    pub fn media_url(&self) -> &str {
        match self {
            Content::Text(_) => "",
            Content::Media { url, .. } => url,
        }
    }
}

pub const TO_MAX: usize = 20;
pub const CLIENT_MESSAGE_ID_MAX: usize = 255;

/// `POST /whatsapp/send/`.
#[derive(Debug, Clone, PartialEq)]
pub struct SendMessage {
    pub to: String,
    pub content: Content,
    pub client_message_id: Option<String>,
}

/// An inbound message as a gateway, the webhook or an inject delivers it.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub from: String,
    pub chat_id: String,
    pub message_type: MessageType,
    pub text: String,
    pub media_url: String,
    pub media_mime_type: String,
    pub media_size: Option<i64>,
    pub contact_name: String,
    /// The provider's id; `None` gets a generated one.
    pub message_id: Option<String>,
    /// The `timestamp` the sender gave, echoed in `message_received`.
    pub timestamp: Option<String>,
    /// The stored `payload` object.
    pub payload: serde_json::Value,
    /// The whole body as received.
    pub raw_payload: serde_json::Value,
    pub protocol_version: String,
    /// The gateway's own id of the customer besides (or instead of) the number: an
    /// Evolution `…@lid` id or a Meta BSUID (`kernel::WaPeer`). When the message carries no
    /// number, `from` and `chat_id` are this id (until the intake finds the number it was
    /// seen with before).
    pub peer_id: Option<String>,
    /// Media to download from the gateway into file storage.
    pub media: Option<crate::ports::MediaRef>,
}

/// Which session an inbound message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboundTarget {
    /// The public webhook: the most recently updated active `ready` session (any user).
    AnyReadySession,
    /// An inject by this user: that user's session.
    SessionOf(i64),
    /// A real gateway's webhook: the configured gateway's session — the most recently
    /// updated `ready` one, else the most recently updated active one whatever its status (a
    /// message is never refused because the connection blinked).
    ConfiguredGateway,
}

/// The type of a webhook message: `media_url` present → `image`/`audio`/`video` by the
/// `media_type` prefix, else `document`; no media → `text` (§4.5).
pub fn webhook_message_type(media_url: Option<&str>, media_type: Option<&str>) -> MessageType {
    match media_url {
        Some(u) if !u.is_empty() => {
            let t = media_type.unwrap_or("");
            if t.starts_with("image") {
                MessageType::Image
            } else if t.starts_with("audio") {
                MessageType::Audio
            } else if t.starts_with("video") {
                MessageType::Video
            } else {
                MessageType::Document
            }
        }
        _ => MessageType::Text,
    }
}

/// The default webhook `message_id`: `webhook_<unix seconds with fraction>`.
pub fn webhook_message_id(at: DateTime<Utc>) -> String {
    format!(
        "webhook_{}.{:06}",
        at.timestamp(),
        at.timestamp_subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_types_follow_the_media_prefix() {
        assert_eq!(
            webhook_message_type(None, Some("image/png")),
            MessageType::Text
        );
        assert_eq!(webhook_message_type(Some(""), None), MessageType::Text);
        assert_eq!(
            webhook_message_type(Some("u"), Some("image/png")),
            MessageType::Image
        );
        assert_eq!(
            webhook_message_type(Some("u"), Some("audio/ogg")),
            MessageType::Audio
        );
        assert_eq!(
            webhook_message_type(Some("u"), Some("video/mp4")),
            MessageType::Video
        );
        assert_eq!(
            webhook_message_type(Some("u"), Some("application/pdf")),
            MessageType::Document
        );
        assert_eq!(webhook_message_type(Some("u"), None), MessageType::Document);
    }

    #[test]
    fn webhook_ids_carry_the_fractional_unix_time() {
        let t = DateTime::<Utc>::from_timestamp(1_760_275_125, 481_809_000).unwrap();
        assert_eq!(webhook_message_id(t), "webhook_1760275125.481809");
    }
}

/// Who calls a use case: non-superusers see only their own sessions and messages (§4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub id: i64,
    pub is_superuser: bool,
}

impl Caller {
    /// The owner filter of the caller's rows (`None`: every row).
    pub fn scope(&self) -> Option<i64> {
        (!self.is_superuser).then_some(self.id)
    }
}
