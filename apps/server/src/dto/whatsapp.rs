//! WhatsApp wire shapes (contract §3 WhatsAppSession*, WhatsAppMessage*, §4.5) and the parsing
//! of bodies and queries into the domain's typed commands.

use crate::http::{ApiError, ApiResult};
use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use kernel::clock::format_local;
use kernel::input::{Input, parse_bool_str};
use kernel::page::search_terms;
use kernel::{FieldErrors, OrderBy, messages as m};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use whatsapp::commands::{
    self as c, Content, ImportSession, MessageFilter, SendMessage, SessionChanges, SessionFilter,
};
use whatsapp::session::{DEFAULT_DEVICE_NAME, SESSION_STATUSES};
use whatsapp::sessions::{SessionMetrics, acceptable_rate};
use whatsapp::{Direction, Message, MessageStatus, MessageType, Session, SessionStatus};

fn local(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(format_local)
}

/// **WhatsAppSessionList**.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionListOut {
    pub id: i64,
    pub usuario: i64,
    pub usuario_nome: String,
    #[schema(value_type = String, example = "ready")]
    pub status: SessionStatus,
    pub phone_number: String,
    pub is_connected: bool,
    pub total_messages_sent: i64,
    pub total_messages_received: i64,
    pub last_message_at: Option<String>,
    pub updated_at: String,
}

impl From<&Session> for SessionListOut {
    fn from(s: &Session) -> Self {
        Self {
            id: s.id,
            usuario: s.usuario,
            usuario_nome: s.usuario_nome.clone(),
            status: s.status,
            phone_number: s.phone_number.clone(),
            is_connected: s.is_connected(),
            total_messages_sent: s.total_messages_sent,
            total_messages_received: s.total_messages_received,
            last_message_at: local(s.last_message_at),
            updated_at: format_local(s.updated_at),
        }
    }
}

/// **WhatsAppSession**.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    #[serde(flatten)]
    pub list: SessionListOut,
    pub device_name: String,
    pub qr_code: String,
    pub created_at: String,
    pub connected_at: Option<String>,
    pub disconnected_at: Option<String>,
    pub last_error: String,
    pub error_count: i64,
    pub is_active: bool,
    pub uptime_seconds: Option<i64>,
}

impl SessionOut {
    pub fn of(s: &Session, now: DateTime<Utc>) -> Self {
        Self {
            list: SessionListOut::from(s),
            device_name: s.device_name.clone(),
            qr_code: s.qr_code.clone(),
            created_at: format_local(s.created_at),
            connected_at: local(s.connected_at),
            disconnected_at: local(s.disconnected_at),
            last_error: s.last_error.clone(),
            error_count: s.error_count,
            is_active: s.is_active,
            uptime_seconds: s.uptime_seconds(now),
        }
    }
}

/// Writable session fields (all optional on input; `PUT` needs none beyond the defaults).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct SessionIn {
    pub usuario: Option<i64>,
    #[schema(value_type = Option<String>, example = "disconnected")]
    pub status: Option<String>,
    #[schema(max_length = 255)]
    pub device_name: Option<String>,
    #[schema(max_length = 20)]
    pub phone_number: Option<String>,
    pub qr_code: Option<String>,
    pub last_error: Option<String>,
    pub is_active: Option<bool>,
}

/// `GET /sessions/status/` with a session.
pub fn status_body(s: &Session, now: DateTime<Utc>) -> Value {
    let utc = |t: Option<DateTime<Utc>>| t.map(whatsapp::events::utc_iso);
    json!({
        "session_id": s.id,
        "status": s.status,
        "is_connected": s.is_connected(),
        "phone_number": s.phone_number,
        "device_name": s.device_name,
        "connected_at": utc(s.connected_at),
        "uptime_seconds": s.uptime_seconds(now),
        "total_messages_sent": s.total_messages_sent,
        "total_messages_received": s.total_messages_received,
        "last_message_at": utc(s.last_message_at),
        "error_count": s.error_count,
    })
}

pub fn metrics_body(mx: &SessionMetrics) -> Value {
    let a = &mx.aggregates;
    json!({
        "session_id": mx.session_id,
        "total_messages": a.total,
        "messages_sent": a.outbound,
        "messages_received": a.inbound,
        "messages_with_error": a.with_error,
        "avg_latency_ms": a.avg_latency_to_sent_ms,
        "latency_acceptable_rate": acceptable_rate(a.acceptable, a.total),
        "uptime_seconds": mx.uptime_seconds,
        "error_count": mx.error_count,
    })
}

pub fn export_body(s: &Session, now: DateTime<Utc>) -> Value {
    json!({
        "session_id": s.id,
        "usuario_id": s.usuario,
        "device_name": s.device_name,
        "phone_number": s.phone_number,
        "session_data": s.session_data,
        "auto_reconnect": s.auto_reconnect,
        "proxy_enabled": s.proxy_enabled,
        "proxy_url": s.proxy_url,
        "created_at": format_local(s.created_at),
        "connected_at": local(s.connected_at),
        "export_timestamp": format_local(now),
    })
}

/// **WhatsAppMessageList**.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageListOut {
    pub id: i64,
    pub message_id: String,
    #[schema(value_type = String, example = "outbound")]
    pub direction: Direction,
    #[schema(value_type = String, example = "text")]
    pub message_type: MessageType,
    pub contact_number: String,
    pub text_content: String,
    #[schema(value_type = String, example = "read")]
    pub status: MessageStatus,
    pub created_at: String,
    pub total_latency_ms: Option<i64>,
    pub is_latency_acceptable: bool,
}

impl From<&Message> for MessageListOut {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id,
            message_id: m.message_id.clone(),
            direction: m.direction,
            message_type: m.message_type,
            contact_number: m.contact_number.clone(),
            text_content: m.text_content.clone(),
            status: m.status,
            created_at: format_local(m.created_at),
            total_latency_ms: m.total_latency_ms(),
            is_latency_acceptable: m.is_latency_acceptable(),
        }
    }
}

/// **WhatsAppMessage**.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    pub id: i64,
    pub session: i64,
    pub usuario: i64,
    pub usuario_nome: String,
    pub message_id: String,
    pub client_message_id: String,
    #[schema(value_type = String)]
    pub direction: Direction,
    #[schema(value_type = String)]
    pub message_type: MessageType,
    pub chat_id: String,
    pub contact_number: String,
    pub contact_name: String,
    pub text_content: String,
    pub media_url: String,
    pub media_mime_type: String,
    pub media_size: Option<i64>,
    #[schema(value_type = Object)]
    pub payload: Value,
    #[schema(value_type = Object)]
    pub raw_payload: Value,
    pub protocol_version: String,
    #[schema(value_type = String)]
    pub status: MessageStatus,
    pub created_at: String,
    pub queued_at: String,
    pub sent_at: Option<String>,
    pub delivered_at: Option<String>,
    pub read_at: Option<String>,
    pub error_message: String,
    pub is_from_me: bool,
    pub latency_to_sent_ms: Option<i64>,
    pub latency_to_delivered_ms: Option<i64>,
    pub latency_to_read_ms: Option<i64>,
    pub total_latency_ms: Option<i64>,
    pub is_latency_acceptable: bool,
}

impl From<&Message> for MessageOut {
    fn from(m: &Message) -> Self {
        Self {
            id: m.id,
            session: m.session,
            usuario: m.usuario,
            usuario_nome: m.usuario_nome.clone(),
            message_id: m.message_id.clone(),
            client_message_id: m.client_message_id.clone(),
            direction: m.direction,
            message_type: m.message_type,
            chat_id: m.chat_id.clone(),
            contact_number: m.contact_number.clone(),
            contact_name: m.contact_name.clone(),
            text_content: m.text_content.clone(),
            media_url: m.media_url.clone(),
            media_mime_type: m.media_mime_type.clone(),
            media_size: m.media_size,
            payload: m.payload.clone(),
            raw_payload: m.raw_payload.clone(),
            protocol_version: m.protocol_version.clone(),
            status: m.status,
            created_at: format_local(m.created_at),
            queued_at: format_local(m.queued_at),
            sent_at: local(m.sent_at),
            delivered_at: local(m.delivered_at),
            read_at: local(m.read_at),
            error_message: m.error_message.clone(),
            is_from_me: m.is_from_me,
            latency_to_sent_ms: m.latency_to_sent_ms,
            latency_to_delivered_ms: m.latency_to_delivered_ms,
            latency_to_read_ms: m.latency_to_read_ms,
            total_latency_ms: m.total_latency_ms(),
            is_latency_acceptable: m.is_latency_acceptable(),
        }
    }
}

type Query = [(String, String)];

fn last<'a>(q: &'a Query, key: &str) -> Option<&'a str> {
    q.iter()
        .rev()
        .find(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

fn ordering(q: &Query, allowed: &[&'static str]) -> Vec<OrderBy> {
    let raw = q
        .iter()
        .find(|(k, _)| k == "ordering")
        .map(|(_, v)| v.as_str());
    OrderBy::parse(raw, allowed, &[])
}

/// A choice filter: `parse`d, or the contract's invalid-choice error.
fn choice<T>(
    q: &Query,
    key: &str,
    parse: fn(&str) -> Option<T>,
    errors: &mut FieldErrors,
) -> Option<T> {
    let v = last(q, key)?;
    let r = parse(v);
    if r.is_none() {
        errors.add(key, m::invalid_filter_choice(v));
    }
    r
}

fn bool_filter(q: &Query, key: &str, errors: &mut FieldErrors) -> Option<bool> {
    let v = last(q, key)?;
    let r = parse_bool_str(v);
    if r.is_none() {
        errors.add(key, m::invalid_filter_choice(v));
    }
    r
}

fn validation(errors: FieldErrors) -> ApiResult<()> {
    errors.into_result().map_err(ApiError::from)
}

/// `GET /whatsapp/sessions/`.
pub fn session_filter(q: &Query) -> ApiResult<SessionFilter> {
    let mut e = FieldErrors::new();
    let f = SessionFilter {
        usuario: None,
        status: choice(q, "status", SessionStatus::parse, &mut e),
        is_active: bool_filter(q, "is_active", &mut e),
        search: search_terms("search", last(q, "search"), &mut e),
        ordering: ordering(q, &c::SESSION_ORDERING),
    };
    validation(e)?;
    Ok(f)
}

/// `GET /whatsapp/messages/`.
pub fn message_filter(q: &Query) -> ApiResult<MessageFilter> {
    let mut e = FieldErrors::new();
    let session = match last(q, "session") {
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                e.add(
                    "session",
                    "Faça uma escolha válida. Esta escolha não faz parte das escolhas disponíveis.",
                );
                None
            }
        },
        None => None,
    };
    let f = MessageFilter {
        usuario: None,
        direction: choice(q, "direction", Direction::parse, &mut e),
        message_type: choice(q, "message_type", MessageType::parse, &mut e),
        status: choice(q, "status", MessageStatus::parse, &mut e),
        chat_id: last(q, "chat_id").map(str::to_string),
        is_from_me: bool_filter(q, "is_from_me", &mut e),
        session,
        search: search_terms("search", last(q, "search"), &mut e),
        ordering: ordering(q, &c::MESSAGE_ORDERING),
    };
    validation(e)?;
    Ok(f)
}

/// A session body (`POST`, `PUT`, `PATCH`): every given field, validated.
pub fn session_changes(input: &Input) -> ApiResult<SessionChanges> {
    let mut e = FieldErrors::new();
    let changes = SessionChanges {
        usuario: input.int("usuario", false, &mut e).flatten(),
        status: input
            .choice("status", &SESSION_STATUSES, &mut e)
            .and_then(|s| SessionStatus::parse(&s)),
        device_name: input.text("device_name", Some(c::DEVICE_NAME_MAX), true, &mut e),
        phone_number: input.text("phone_number", Some(c::PHONE_NUMBER_MAX), true, &mut e),
        qr_code: input.text("qr_code", None, true, &mut e),
        last_error: input.text("last_error", None, true, &mut e),
        is_active: input.boolean("is_active", &mut e),
    };
    validation(e)?;
    Ok(changes)
}

/// A 400 `{"error": …}` (the contract's endpoint-specific failure body).
fn error(msg: impl Into<String>) -> ApiError {
    kernel::DomainError::BadRequest(msg.into()).into()
}

fn str_of(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
}

fn bool_of(v: Option<&Value>, default: bool) -> bool {
    v.and_then(kernel::input::parse_bool).unwrap_or(default)
}

/// `POST /sessions/import/`: an export object; empty → 400.
pub fn import_session(v: &Value) -> ApiResult<ImportSession> {
    let o = match v.as_object() {
        Some(o) if !o.is_empty() => o,
        _ => {
            return Err(error("Dados de backup não fornecidos"));
        }
    };
    let text = |k: &str, default: &str| str_of(o.get(k)).unwrap_or(default).to_string();
    let mut device_name = text("device_name", DEFAULT_DEVICE_NAME);
    if device_name.chars().count() > c::DEVICE_NAME_MAX {
        device_name = device_name.chars().take(c::DEVICE_NAME_MAX).collect();
    }
    let phone = text("phone_number", "");
    if phone.chars().count() > c::PHONE_NUMBER_MAX {
        return Err(ApiError::from(kernel::DomainError::Validation(
            FieldErrors::single("phone_number", m::max_length(c::PHONE_NUMBER_MAX)),
        )));
    }
    Ok(ImportSession {
        device_name,
        phone_number: phone,
        session_data: o.get("session_data").cloned().unwrap_or_else(|| json!({})),
        auto_reconnect: bool_of(o.get("auto_reconnect"), true),
        proxy_enabled: bool_of(o.get("proxy_enabled"), false),
        proxy_url: text("proxy_url", ""),
    })
}

/// Request of `POST /whatsapp/send/`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct SendIn {
    #[schema(max_length = 20)]
    pub to: String,
    /// `text` (default), `image`, `audio`, `video`, `document`.
    #[schema(value_type = Option<String>)]
    pub r#type: Option<String>,
    pub text: Option<String>,
    pub media_url: Option<String>,
    #[schema(max_length = 255)]
    pub client_message_id: Option<String>,
}

/// `POST /whatsapp/send/`.
pub fn send_message(input: &Input) -> ApiResult<SendMessage> {
    let mut e = FieldErrors::new();
    input.require(&["to"], &mut e);
    let to = input.text("to", Some(c::TO_MAX), false, &mut e);
    let kind = input
        .choice(
            "type",
            &["text", "image", "audio", "video", "document"],
            &mut e,
        )
        .unwrap_or_else(|| "text".to_string());
    let text = input
        .string("text", None, true, true, &mut e)
        .flatten()
        .unwrap_or_default();
    let media_url = input
        .string("media_url", None, true, true, &mut e)
        .flatten()
        .unwrap_or_default();
    let client_message_id = input
        .string(
            "client_message_id",
            Some(c::CLIENT_MESSAGE_ID_MAX),
            true,
            true,
            &mut e,
        )
        .flatten()
        .filter(|s| !s.is_empty());
    let content = match MessageType::parse(&kind) {
        Some(MessageType::Text) | None => {
            if text.is_empty() && !e.has("text") {
                e.add("text", "Campo obrigatório para mensagens de texto");
            }
            Content::Text(text)
        }
        Some(kind) => {
            if media_url.is_empty() && !e.has("media_url") {
                e.add(
                    "media_url",
                    format!("Campo obrigatório para mensagens do tipo {}", kind.as_str()),
                );
            } else if !media_url.is_empty() && url::Url::parse(&media_url).is_err() {
                e.add("media_url", "Insira uma URL válida.");
            }
            Content::Media {
                kind,
                url: media_url,
                caption: text,
            }
        }
    };
    // One identity per customer: the number as the chats know it (E.164, ninth digit).
    let to = to.map(|t| kernel::whatsapp_id::canonical_or_raw(&t));
    if let Some(t) = &to
        && kernel::WaPeer::parse(t).is_ok_and(|p| !p.is_chat())
    {
        e.add("to", super::whatsapp_inbound::GROUP_REFUSED);
    }
    validation(e)?;
    Ok(SendMessage {
        to: to.unwrap_or_default(),
        content,
        client_message_id,
    })
}

/// The body errors of the legacy send, in its own `detail` form.
pub fn legacy_send(v: &Value) -> ApiResult<(String, String, Option<String>)> {
    let bad = |m: &str| ApiError::detail(StatusCode::BAD_REQUEST, m);
    let to = str_of(v.get("to")).map(str::trim).unwrap_or("");
    if to.is_empty() {
        return Err(bad("Campo 'to' é obrigatório"));
    }
    if str_of(v.get("type")).unwrap_or("text") != "text" {
        return Err(bad("Campo 'type' inválido"));
    }
    let text = str_of(v.get("text")).unwrap_or("");
    if text.is_empty() {
        return Err(bad("Campo 'text' é obrigatório"));
    }
    let cid = str_of(v.get("client_message_id"))
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Ok((to.to_string(), text.to_string(), cid))
}

/// The storage path of an inbound message's stored media (`/media/<path>`), to be served
/// as a signed link; `None` for a URL given by the sender.
pub fn stored_media_path(media_url: &str) -> Option<&str> {
    media_url
        .strip_prefix("/media/")
        .filter(|p| p.starts_with(whatsapp::intake::MEDIA_DIR))
}

pub use super::whatsapp_inbound::{InjectError, inject, webhook};
