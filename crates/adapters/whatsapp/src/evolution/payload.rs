//! Evolution API v2 webhook events → [`GatewayUpdate`]s.
//!
//! Every event has the envelope `{"event","instance","data",…}`; events of another instance
//! are ignored. Numbers are canonicalized here (`kernel::WaPeer`): a message addressed by its
//! `@lid` carries the phone JID in `key.remoteJidAlt` (Baileys 7; `key.senderPn` before), so
//! the chat is the number and the lid goes along as the peer id. Groups, broadcasts and our
//! own messages (`fromMe`) are acknowledged and ignored.

use crate::http::strip_data_url;
use chrono::{DateTime, Utc};
use kernel::WaPeer;
use serde_json::{Value, json};
use whatsapp::commands::InboundMessage;
use whatsapp::events::utc_iso;
use whatsapp::feed::GatewayUpdate;
use whatsapp::ports::MediaRef;
use whatsapp::{MessageStatus, MessageType, SessionStatus};

pub const PROTOCOL: &str = "evolution-v2";

/// The events our webhook subscribes to.
pub const EVENTS: [&str; 5] = [
    "QRCODE_UPDATED",
    "CONNECTION_UPDATE",
    "MESSAGES_UPSERT",
    "MESSAGES_UPDATE",
    "SEND_MESSAGE",
];

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    cur.as_str()
}

/// `messages.upsert` → `message.upsert`… names as Evolution writes them in payloads; config
/// names (`MESSAGES_UPSERT`) are accepted too.
fn event_name(v: &Value) -> String {
    v.get("event")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase()
        .replace('_', ".")
}

/// Decodes one webhook delivery for `instance`.
pub fn decode(body: &Value, instance: &str, now: DateTime<Utc>) -> Vec<GatewayUpdate> {
    if body.get("instance").and_then(Value::as_str) != Some(instance) {
        return vec![GatewayUpdate::Ignored("instância desconhecida".into())];
    }
    let data = body.get("data").unwrap_or(&Value::Null);
    let items: Vec<&Value> = match data {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let at = body
        .get("date_time")
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map_or(now, |t| t.with_timezone(&Utc));
    match event_name(body).as_str() {
        "messages.upsert" => items.into_iter().map(|d| upsert(body, d)).collect(),
        "messages.update" => items.into_iter().map(|d| update(d, at)).collect(),
        "connection.update" => vec![connection(data)],
        "qrcode.updated" => vec![qrcode(data)],
        other => vec![GatewayUpdate::Ignored(format!("evento {other}"))],
    }
}

fn connection(d: &Value) -> GatewayUpdate {
    let code = d.get("statusReason").and_then(Value::as_i64).unwrap_or(0);
    match d.get("state").and_then(Value::as_str).unwrap_or("") {
        "open" => GatewayUpdate::Connection {
            state: SessionStatus::Ready,
            qr_b64: None,
        },
        "connecting" => GatewayUpdate::Connection {
            state: SessionStatus::Connecting,
            qr_b64: None,
        },
        // Evolution reconnects by itself unless the phone logged out (401) or WhatsApp
        // refused the device: a `close` that reaches the webhook is final.
        "close" if code == 401 => GatewayUpdate::ConnectionLost {
            reason: "A sessão foi encerrada no celular (401): leia um novo QR code".into(),
            needs_qrcode: true,
        },
        "close" => GatewayUpdate::ConnectionLost {
            reason: format!("Conexão encerrada pelo WhatsApp (código {code})"),
            needs_qrcode: false,
        },
        "refused" => GatewayUpdate::ConnectionLost {
            reason: "O QR code não foi lido a tempo: inicie a sessão de novo".into(),
            needs_qrcode: true,
        },
        other => GatewayUpdate::Ignored(format!("estado de conexão {other:?}")),
    }
}

fn qrcode(d: &Value) -> GatewayUpdate {
    match str_at(d, &["qrcode", "base64"]) {
        Some(b64) if !b64.is_empty() => GatewayUpdate::Connection {
            state: SessionStatus::Qrcode,
            qr_b64: Some(strip_data_url(b64).to_string()),
        },
        _ => match d.get("message").and_then(Value::as_str) {
            // "QR code limit reached, please login again".
            Some(m) => GatewayUpdate::ConnectionLost {
                reason: format!("Evolution: {m}"),
                needs_qrcode: true,
            },
            None => GatewayUpdate::Ignored("qrcode sem imagem".into()),
        },
    }
}

/// `SERVER_ACK` … `PLAYED` (also Baileys' numbers 0..5).
fn status(v: Option<&Value>) -> Option<MessageStatus> {
    let s = match v? {
        Value::String(s) => s.to_ascii_uppercase(),
        Value::Number(n) => match n.as_i64()? {
            0 => "ERROR".into(),
            2 => "SERVER_ACK".into(),
            3 => "DELIVERY_ACK".into(),
            4 => "READ".into(),
            5 => "PLAYED".into(),
            _ => return None,
        },
        _ => return None,
    };
    Some(match s.as_str() {
        "SERVER_ACK" => MessageStatus::Sent,
        "DELIVERY_ACK" => MessageStatus::Delivered,
        "READ" | "PLAYED" => MessageStatus::Read,
        "ERROR" => MessageStatus::Failed,
        _ => return None,
    })
}

fn update(d: &Value, at: DateTime<Utc>) -> GatewayUpdate {
    let id = d
        .get("keyId")
        .and_then(Value::as_str)
        .or_else(|| str_at(d, &["key", "id"]));
    let from_me = d
        .get("fromMe")
        .or_else(|| d.get("key").and_then(|k| k.get("fromMe")))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    match (id, status(d.get("status")), from_me) {
        (Some(id), Some(status), true) => GatewayUpdate::Status {
            provider_id: id.to_string(),
            status,
            at,
            error: (status == MessageStatus::Failed)
                .then(|| "A Evolution API informou erro no envio".to_string()),
        },
        (_, _, false) => GatewayUpdate::Ignored("recibo de mensagem recebida".into()),
        _ => GatewayUpdate::Ignored("atualização sem id ou estado".into()),
    }
}

/// The chat (a number, else the lid) and the lid of a message's key.
fn peers(key: &Value) -> Result<(String, Option<String>), GatewayUpdate> {
    let mut number = None;
    let mut lid = None;
    for field in ["remoteJid", "remoteJidAlt", "senderPn"] {
        let Some(raw) = key.get(field).and_then(Value::as_str) else {
            continue;
        };
        match WaPeer::parse(raw) {
            Ok(WaPeer::Number(n)) => {
                number.get_or_insert(n);
            }
            Ok(p @ WaPeer::Lid(_)) => {
                lid.get_or_insert(p.key());
            }
            Ok(p) if !p.is_chat() => {
                return Err(GatewayUpdate::Ignored("grupo ou transmissão".into()));
            }
            _ => {}
        }
    }
    match (number, lid) {
        (Some(n), lid) => Ok((n.into_string(), lid)),
        (None, Some(lid)) => Ok((lid.clone(), Some(lid))),
        (None, None) => Err(GatewayUpdate::Ignored("remetente ilegível".into())),
    }
}

/// Type, text and media of a message record's `message`.
fn content(kind: &str, m: &Value) -> (MessageType, String, Option<(String, String)>) {
    let media = |field: &str| {
        let o = m.get(field).unwrap_or(&Value::Null);
        let mime = o.get("mimetype").and_then(Value::as_str).unwrap_or("");
        let name = o.get("fileName").and_then(Value::as_str).unwrap_or("");
        Some((mime.to_string(), name.to_string()))
    };
    let text = |path: &[&str]| str_at(m, path).unwrap_or("").to_string();
    match kind {
        "conversation" => (MessageType::Text, text(&["conversation"]), None),
        "extendedTextMessage" => (
            MessageType::Text,
            text(&["extendedTextMessage", "text"]),
            None,
        ),
        "imageMessage" => (
            MessageType::Image,
            text(&["imageMessage", "caption"]),
            media("imageMessage"),
        ),
        "videoMessage" => (
            MessageType::Video,
            text(&["videoMessage", "caption"]),
            media("videoMessage"),
        ),
        "audioMessage" => (MessageType::Audio, String::new(), media("audioMessage")),
        "documentMessage" => (
            MessageType::Document,
            text(&["documentMessage", "caption"]),
            media("documentMessage"),
        ),
        "stickerMessage" => (MessageType::Sticker, String::new(), media("stickerMessage")),
        "locationMessage" => {
            let l = m.get("locationMessage").unwrap_or(&Value::Null);
            let coord = |k: &str| l.get(k).and_then(Value::as_f64).unwrap_or(0.0);
            let name = l.get("name").and_then(Value::as_str).unwrap_or("");
            let t = format!(
                "{},{} {name}",
                coord("degreesLatitude"),
                coord("degreesLongitude")
            );
            (MessageType::Location, t.trim().to_string(), None)
        }
        "contactMessage" => (
            MessageType::Contact,
            text(&["contactMessage", "displayName"]),
            None,
        ),
        "contactsArrayMessage" => (
            MessageType::Contact,
            text(&["contactsArrayMessage", "displayName"]),
            None,
        ),
        other => (
            MessageType::Text,
            format!("[mensagem do tipo {other}]"),
            None,
        ),
    }
}

fn upsert(body: &Value, d: &Value) -> GatewayUpdate {
    let key = d.get("key").unwrap_or(&Value::Null);
    if key.get("fromMe").and_then(Value::as_bool).unwrap_or(false) {
        return GatewayUpdate::Ignored("mensagem nossa".into());
    }
    let kind = d.get("messageType").and_then(Value::as_str).unwrap_or("");
    if matches!(
        kind,
        "reactionMessage" | "protocolMessage" | "editedMessage" | "pollUpdateMessage"
    ) {
        return GatewayUpdate::Ignored(format!("mensagem {kind}"));
    }
    let (chat, lid) = match peers(key) {
        Ok(p) => p,
        Err(ignored) => return ignored,
    };
    let Some(id) = key
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        return GatewayUpdate::Ignored("mensagem sem id".into());
    };
    let message = d.get("message").unwrap_or(&Value::Null);
    let (message_type, mut text, media) = content(kind, message);
    let name = d
        .get("pushName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let timestamp = d
        .get("messageTimestamp")
        .and_then(Value::as_i64)
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .map(utc_iso);
    let (mime, file_name) = media.clone().unwrap_or_default();
    // A document without a caption shows its file name.
    if message_type == MessageType::Document && text.is_empty() {
        text = file_name;
    }
    GatewayUpdate::Inbound(Box::new(InboundMessage {
        from: chat.clone(),
        chat_id: chat,
        message_type,
        payload: json!({
            "type": message_type.as_str(),
            "text": text,
            "media_url": null,
            "mime_type": (!mime.is_empty()).then_some(&mime),
            "contact_name": name,
            "message_id": id,
            "peer_id": lid,
        }),
        text,
        media_url: String::new(),
        media_mime_type: mime.clone(),
        media_size: None,
        contact_name: name,
        message_id: Some(id.to_string()),
        timestamp,
        raw_payload: body.clone(),
        protocol_version: PROTOCOL.to_string(),
        peer_id: lid,
        media: media.map(|(mime_type, file_name)| MediaRef {
            provider_ref: id.to_string(),
            mime_type,
            file_name,
        }),
    }))
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
