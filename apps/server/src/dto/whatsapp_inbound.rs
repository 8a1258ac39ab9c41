//! The inbound bodies of the simulator's protocol: `POST /whatsapp/webhook/` and the injects
//! (HTTP and WebSocket), parsed into the domain's [`InboundMessage`]. Numbers are
//! canonicalized here (`kernel::WaPeer`: E.164 with the Brazilian ninth digit); a free-form
//! chat id (`"c1"`) is kept as given; a group id is refused (groups are never chats).

use crate::http::{ApiError, ApiResult};
use kernel::whatsapp_id::{WaPeer, canonical_or_raw};
use serde_json::{Value, json};
use whatsapp::MessageType;
use whatsapp::commands::{self as c, InboundMessage};

/// A 400 `{"error": …}` (the contract's endpoint-specific failure body).
fn error(msg: impl Into<String>) -> ApiError {
    kernel::DomainError::BadRequest(msg.into()).into()
}

fn str_of(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
}

pub const GROUP_REFUSED: &str = "Mensagens de grupo não são atendidas";

fn is_group(raw: &str) -> bool {
    WaPeer::parse(raw).is_ok_and(|p| !p.is_chat())
}

/// `POST /whatsapp/webhook/`.
pub fn webhook(body: &Value) -> ApiResult<InboundMessage> {
    let event = body.get("event");
    if str_of(event) != Some("message_received") {
        let shown = match event {
            None | Some(Value::Null) => "None".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        return Err(error(format!("Evento não suportado: {shown}")));
    }
    let data = body.get("data").and_then(Value::as_object);
    let get = |k: &str| data.and_then(|d| d.get(k)).filter(|v| !v.is_null());
    let missing: Vec<&str> = ["from", "message"]
        .into_iter()
        .filter(|k| get(k).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(error(format!(
            "Campos obrigatórios ausentes: {}",
            missing.join(", ")
        )));
    }
    let text_of = |k: &str| -> String {
        match get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        }
    };
    let raw_from = text_of("from");
    if is_group(&raw_from) {
        return Err(error(GROUP_REFUSED));
    }
    let from = canonical_or_raw(&raw_from);
    let message = text_of("message");
    let media_url = str_of(get("media_url")).map(str::to_string);
    let media_type = str_of(get("media_type")).map(str::to_string);
    let contact_name = text_of("contact_name");
    let message_id = get("message_id").map(|_| text_of("message_id"));
    let kind = c::webhook_message_type(media_url.as_deref(), media_type.as_deref());
    let version = str_of(body.get("version")).unwrap_or("v1").to_string();
    Ok(InboundMessage {
        chat_id: from.clone(),
        from,
        message_type: kind,
        payload: json!({
            "type": kind.as_str(),
            "text": message,
            "media_url": media_url,
            "mime_type": media_type,
            "contact_name": contact_name,
            "message_id": message_id,
        }),
        text: message,
        media_url: media_url.unwrap_or_default(),
        media_mime_type: media_type.unwrap_or_default(),
        media_size: None,
        contact_name,
        message_id,
        timestamp: get("timestamp").map(|_| text_of("timestamp")),
        raw_payload: body.clone(),
        protocol_version: version,
        peer_id: None,
        media: None,
    })
}

/// Why an inject was refused (HTTP answers 400 `{"error"}`; WS `inject_error`).
pub struct InjectError(pub String);

/// `POST /whatsapp/inject-incoming/` (`strict`) and the WS `inject_incoming` frame (no
/// validation of the type, a default `from`).
pub fn inject(body: &Value, strict: bool) -> Result<InboundMessage, InjectError> {
    let bad = |m: &str| InjectError(m.to_string());
    let from = match str_of(body.get("from")).map(str::trim) {
        Some(f) if !f.is_empty() => f.to_string(),
        _ if !strict => "5511999999999".to_string(),
        _ => return Err(bad("Campo \"from\" é obrigatório")),
    };
    let payload = match body.get("payload").and_then(Value::as_object) {
        Some(p) if !p.is_empty() => p.clone(),
        _ if !strict => serde_json::Map::new(),
        _ => return Err(bad("Campo \"payload\" é obrigatório")),
    };
    let chat_id = str_of(body.get("chat_id"))
        .filter(|s| !s.is_empty())
        .unwrap_or(&from)
        .to_string();
    if is_group(&from) || is_group(&chat_id) {
        return Err(InjectError(GROUP_REFUSED.to_string()));
    }
    let (from, chat_id) = (canonical_or_raw(&from), canonical_or_raw(&chat_id));
    let kind_raw = str_of(payload.get("type")).unwrap_or("text");
    let kind = match MessageType::parse(kind_raw) {
        Some(
            k @ (MessageType::Text
            | MessageType::Image
            | MessageType::Audio
            | MessageType::Video
            | MessageType::Document),
        ) => k,
        _ if !strict => MessageType::Text,
        _ => {
            return Err(InjectError(format!(
                "Tipo de mensagem inválido: {kind_raw}"
            )));
        }
    };
    let s = |k: &str| match payload.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    let text = s("text");
    if strict && kind == MessageType::Text && text.is_empty() {
        return Err(bad(
            "Campo \"payload.text\" é obrigatório para mensagens de texto",
        ));
    }
    let message_id = Some(s("message_id")).filter(|m| !m.is_empty());
    Ok(InboundMessage {
        from,
        chat_id,
        message_type: kind,
        text,
        media_url: s("media_url"),
        media_mime_type: s("mime_type"),
        media_size: payload.get("media_size").and_then(Value::as_i64),
        contact_name: s("contact_name"),
        message_id,
        timestamp: None,
        payload: Value::Object(payload),
        raw_payload: body.clone(),
        protocol_version: "v1".to_string(),
        peer_id: None,
        media: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_and_inject_numbers_are_canonical() {
        let m = webhook(&json!({"event": "message_received",
            "data": {"from": "+55 (11) 8765-4321", "message": "oi"}}))
        .unwrap();
        assert_eq!(
            (m.from.as_str(), m.chat_id.as_str()),
            ("5511987654321", "5511987654321")
        );
        let m = inject(
            &json!({"from": "551187654321", "payload": {"text": "oi"}}),
            true,
        )
        .map_err(|e| e.0)
        .unwrap();
        assert_eq!(
            (m.from.as_str(), m.chat_id.as_str()),
            ("5511987654321", "5511987654321")
        );
        // A free-form chat id and short test numbers are kept as given.
        let m = inject(
            &json!({"from": "5511777", "chat_id": "c1", "payload": {"text": "oi"}}),
            true,
        )
        .map_err(|e| e.0)
        .unwrap();
        assert_eq!((m.from.as_str(), m.chat_id.as_str()), ("5511777", "c1"));
    }

    #[test]
    fn groups_are_never_chats() {
        let r = webhook(&json!({"event": "message_received",
            "data": {"from": "120363025246125486@g.us", "message": "oi"}}));
        assert!(r.is_err());
        let r = inject(
            &json!({"from": "5511987654321", "chat_id": "120363025246125486@g.us",
                    "payload": {"text": "oi"}}),
            false,
        );
        assert_eq!(r.err().map(|e| e.0).as_deref(), Some(GROUP_REFUSED));
    }
}
