//! Meta Cloud API webhooks → [`GatewayUpdate`]s.
//!
//! One delivery holds `entry[].changes[]`; each `messages` change holds `messages[]` (with
//! `contacts[]`: the profile name, `wa_id` and, from 2026, the business-scoped `user_id`)
//! or `statuses[]`. Changes of another phone number id are ignored. The sender's number
//! (`from` / `wa_id`) is canonicalized; its BSUID goes along as the peer id, and is the chat
//! when a user who adopted a username arrives without a number.

use chrono::{DateTime, Utc};
use kernel::{CanonicalNumber, WaPeer};
use serde_json::{Value, json};
use whatsapp::commands::InboundMessage;
use whatsapp::events::utc_iso;
use whatsapp::feed::GatewayUpdate;
use whatsapp::ports::MediaRef;
use whatsapp::{MessageStatus, MessageType};

pub const PROTOCOL: &str = "meta-cloud";

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// Unix seconds as a string (Meta's `timestamp`).
fn time_of(v: &Value) -> Option<DateTime<Utc>> {
    let t = v.get("timestamp")?;
    let secs = t
        .as_str()
        .and_then(|s| s.parse().ok())
        .or_else(|| t.as_i64())?;
    DateTime::<Utc>::from_timestamp(secs, 0)
}

/// Decodes one webhook delivery for the phone number `phone_number_id`.
pub fn decode(body: &Value, phone_number_id: &str, now: DateTime<Utc>) -> Vec<GatewayUpdate> {
    if s(body, "object") != "whatsapp_business_account" {
        return vec![GatewayUpdate::Ignored("objeto desconhecido".into())];
    }
    let mut out = Vec::new();
    let entries = body.get("entry").and_then(Value::as_array);
    for entry in entries.into_iter().flatten() {
        let changes = entry.get("changes").and_then(Value::as_array);
        for change in changes.into_iter().flatten() {
            let value = change.get("value").unwrap_or(&Value::Null);
            if s(change, "field") != "messages" {
                out.push(GatewayUpdate::Ignored(format!(
                    "campo {}",
                    s(change, "field")
                )));
                continue;
            }
            let pnid = value
                .get("metadata")
                .map(|m| s(m, "phone_number_id"))
                .unwrap_or("");
            if pnid != phone_number_id {
                out.push(GatewayUpdate::Ignored("outro número".into()));
                continue;
            }
            let contacts: &[Value] = value
                .get("contacts")
                .and_then(Value::as_array)
                .map_or(&[], Vec::as_slice);
            for m in value
                .get("messages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push(message(value, contacts, m));
            }
            for st in value
                .get("statuses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push(status(st, now));
            }
        }
    }
    out
}

/// The contact a message came from: the one with its `wa_id` or `user_id`, else the only one.
fn contact_of<'a>(contacts: &'a [Value], m: &Value) -> Option<&'a Value> {
    let from = s(m, "from");
    let user = s(m, "from_user_id");
    contacts
        .iter()
        .find(|c| {
            (!from.is_empty() && s(c, "wa_id") == from)
                || (!user.is_empty() && s(c, "user_id") == user)
        })
        .or_else(|| (contacts.len() == 1).then(|| &contacts[0]))
}

fn bsuid_of(contact: Option<&Value>, m: &Value) -> Option<String> {
    [
        contact.map(|c| s(c, "user_id")).unwrap_or(""),
        s(m, "from_user_id"),
    ]
    .into_iter()
    .find_map(|id| match WaPeer::parse(id) {
        Ok(WaPeer::Bsuid(b)) => Some(b),
        _ => None,
    })
}

/// Type, text and media of a message.
fn content(m: &Value) -> Result<(MessageType, String, Option<MediaRef>), GatewayUpdate> {
    let kind = s(m, "type");
    let obj = m.get(kind).unwrap_or(&Value::Null);
    let media = |t: MessageType| {
        let r = MediaRef {
            provider_ref: s(obj, "id").to_string(),
            mime_type: s(obj, "mime_type").to_string(),
            file_name: s(obj, "filename").to_string(),
        };
        let text = match s(obj, "caption") {
            "" => r.file_name.clone(),
            c => c.to_string(),
        };
        Ok((t, text, (!r.provider_ref.is_empty()).then_some(r)))
    };
    match kind {
        "text" => Ok((MessageType::Text, s(obj, "body").to_string(), None)),
        "image" => media(MessageType::Image),
        "video" => media(MessageType::Video),
        "audio" => media(MessageType::Audio),
        "document" => media(MessageType::Document),
        "sticker" => media(MessageType::Sticker),
        "location" => {
            let n = |k: &str| obj.get(k).and_then(Value::as_f64).unwrap_or(0.0);
            let label = format!("{} {}", s(obj, "name"), s(obj, "address"));
            let t = format!("{},{} {}", n("latitude"), n("longitude"), label.trim());
            Ok((MessageType::Location, t.trim().to_string(), None))
        }
        "contacts" => {
            let names: Vec<&str> = m
                .get("contacts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| c.get("name").and_then(|n| n.get("formatted_name")))
                .filter_map(Value::as_str)
                .collect();
            Ok((MessageType::Contact, names.join(", "), None))
        }
        "interactive" => {
            let reply = obj
                .get("button_reply")
                .or_else(|| obj.get("list_reply"))
                .unwrap_or(&Value::Null);
            Ok((MessageType::Text, s(reply, "title").to_string(), None))
        }
        "button" => Ok((MessageType::Text, s(obj, "text").to_string(), None)),
        "reaction" | "system" => Err(GatewayUpdate::Ignored(format!("mensagem {kind}"))),
        other => Ok((
            MessageType::Text,
            format!("[mensagem do tipo {other}]"),
            None,
        )),
    }
}

fn message(value: &Value, contacts: &[Value], m: &Value) -> GatewayUpdate {
    let contact = contact_of(contacts, m);
    let number = [s(m, "from"), contact.map(|c| s(c, "wa_id")).unwrap_or("")]
        .into_iter()
        .find_map(|n| CanonicalNumber::parse(n).ok());
    let bsuid = bsuid_of(contact, m);
    let chat = match (&number, &bsuid) {
        (Some(n), _) => n.as_str().to_string(),
        (None, Some(b)) => b.clone(),
        (None, None) => return GatewayUpdate::Ignored("remetente ilegível".into()),
    };
    let Some(id) = m
        .get("id")
        .and_then(Value::as_str)
        .filter(|i| !i.is_empty())
    else {
        return GatewayUpdate::Ignored("mensagem sem id".into());
    };
    let (message_type, text, media) = match content(m) {
        Ok(c) => c,
        Err(ignored) => return ignored,
    };
    let name = contact
        .and_then(|c| c.get("profile"))
        .map(|p| s(p, "name"))
        .unwrap_or("")
        .to_string();
    let mime = media
        .as_ref()
        .map(|r| r.mime_type.clone())
        .unwrap_or_default();
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
            "peer_id": bsuid,
        }),
        text,
        media_url: String::new(),
        media_mime_type: mime,
        media_size: None,
        contact_name: name,
        message_id: Some(id.to_string()),
        timestamp: time_of(m).map(utc_iso),
        raw_payload: value.clone(),
        protocol_version: PROTOCOL.to_string(),
        peer_id: bsuid,
        media,
    }))
}

/// The error text of a failed status: `131026 Message undeliverable: …`.
fn error_of(st: &Value) -> Option<String> {
    let e = st.get("errors")?.as_array()?.first()?;
    let code = e.get("code").and_then(Value::as_i64).unwrap_or(0);
    let detail = e
        .get("error_data")
        .map(|d| s(d, "details"))
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| s(e, "message"));
    Some(match code {
        131026 => format!("Mensagem não entregue: o destinatário não pode recebê-la (131026). {detail}"),
        131047 => format!(
            "Fora da janela de 24 horas: só uma mensagem de template pode ser enviada (131047). {detail}"
        ),
        _ => format!("{} ({code}). {detail}", s(e, "title")),
    }
    .trim()
    .to_string())
}

fn status(st: &Value, now: DateTime<Utc>) -> GatewayUpdate {
    let status = match s(st, "status") {
        "sent" => MessageStatus::Sent,
        "delivered" => MessageStatus::Delivered,
        "read" | "played" => MessageStatus::Read,
        "failed" => MessageStatus::Failed,
        other => return GatewayUpdate::Ignored(format!("estado {other:?}")),
    };
    match st
        .get("id")
        .and_then(Value::as_str)
        .filter(|i| !i.is_empty())
    {
        Some(id) => GatewayUpdate::Status {
            provider_id: id.to_string(),
            status,
            at: time_of(st).unwrap_or(now),
            error: if status == MessageStatus::Failed {
                Some(error_of(st).unwrap_or_else(|| "Falha informada pela Meta".into()))
            } else {
                None
            },
        },
        None => GatewayUpdate::Ignored("estado sem id".into()),
    }
}

#[cfg(test)]
#[path = "payload_tests.rs"]
mod tests;
