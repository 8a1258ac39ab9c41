//! The mapping over the sample payloads of GATEWAYS.md §2 (Evolution API v2).

use super::*;
use serde_json::json;

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_749_416_400, 0).unwrap()
}

fn envelope(event: &str, data: Value) -> Value {
    json!({"event": event, "instance": "loja-centro", "data": data,
           "destination": "https://api.example.com/gw/evolution",
           "date_time": "2025-06-01T10:00:00.000Z",
           "sender": "5511999990000@s.whatsapp.net", "server_url": "http://localhost:8080",
           "apikey": null})
}

fn one(body: Value) -> GatewayUpdate {
    let mut all = decode(&body, "loja-centro", now());
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn inbound(u: GatewayUpdate) -> InboundMessage {
    match u {
        GatewayUpdate::Inbound(m) => *m,
        other => panic!("not an inbound message: {other:?}"),
    }
}

fn text_upsert(key: Value) -> Value {
    envelope(
        "messages.upsert",
        json!({"key": key, "pushName": "Maria Souza", "status": "DELIVERY_ACK",
               "message": {"conversation": "Quero a segunda via do boleto"},
               "messageType": "conversation", "messageTimestamp": 1717171717,
               "instanceId": "i-1", "source": "android"}),
    )
}

#[test]
fn a_text_message_from_an_old_mobile_jid_becomes_the_canonical_number() {
    let m = inbound(one(text_upsert(
        json!({"remoteJid": "551187654321@s.whatsapp.net", "fromMe": false, "id": "3EB0C7A1"}),
    )));
    assert_eq!(
        (m.from.as_str(), m.chat_id.as_str()),
        ("5511987654321", "5511987654321")
    );
    assert_eq!(m.message_type, MessageType::Text);
    assert_eq!(m.text, "Quero a segunda via do boleto");
    assert_eq!(m.contact_name, "Maria Souza");
    assert_eq!(m.message_id.as_deref(), Some("3EB0C7A1"));
    assert_eq!(
        m.timestamp.as_deref(),
        Some("2024-05-31T16:08:37.000000+00:00")
    );
    assert_eq!(m.peer_id, None);
    assert!(m.media.is_none());
    assert_eq!(m.protocol_version, "evolution-v2");
    assert_eq!(m.raw_payload["event"], "messages.upsert");
}

#[test]
fn a_lid_addressed_message_is_the_number_with_the_lid_along() {
    let m = inbound(one(text_upsert(json!({
        "remoteJid": "123456789012345@lid", "remoteJidAlt": "5511987654321@s.whatsapp.net",
        "addressingMode": "lid", "fromMe": false, "id": "3EB0C7A2"}))));
    assert_eq!(m.chat_id, "5511987654321");
    assert_eq!(m.peer_id.as_deref(), Some("123456789012345@lid"));
    assert_eq!(m.payload["peer_id"], "123456789012345@lid");
    // Older Evolution versions name the number in `senderPn`.
    let m = inbound(one(text_upsert(json!({
        "remoteJid": "123456789012345@lid", "senderPn": "5511987654321@s.whatsapp.net",
        "fromMe": false, "id": "3EB0C7A3"}))));
    assert_eq!(m.chat_id, "5511987654321");
    // Only the lid: the chat is the lid until the number is known.
    let m = inbound(one(text_upsert(
        json!({"remoteJid": "123456789012345@lid", "fromMe": false, "id": "3EB0C7A4"}),
    )));
    assert_eq!(
        (m.chat_id.as_str(), m.from.as_str()),
        ("123456789012345@lid", "123456789012345@lid")
    );
    assert_eq!(m.peer_id.as_deref(), Some("123456789012345@lid"));
}

#[test]
fn groups_our_own_messages_and_other_instances_are_ignored() {
    let ignored = |b: Value| matches!(one(b), GatewayUpdate::Ignored(_));
    assert!(ignored(text_upsert(
        json!({"remoteJid": "120363025246125486@g.us",
        "participant": "5511987654321@s.whatsapp.net", "fromMe": false, "id": "G1"})
    )));
    assert!(ignored(text_upsert(
        json!({"remoteJid": "5511987654321@s.whatsapp.net", "fromMe": true, "id": "OWN"})
    )));
    assert!(ignored(text_upsert(
        json!({"remoteJid": "status@broadcast", "fromMe": false, "id": "S1"})
    )));
    let mut other = text_upsert(
        json!({"remoteJid": "5511987654321@s.whatsapp.net", "fromMe": false, "id": "X"}),
    );
    other["instance"] = json!("outra-loja");
    assert!(ignored(other));
}

#[test]
fn media_messages_are_fetched_by_their_key_id() {
    let body = envelope(
        "messages.upsert",
        json!({"key": {"remoteJid": "5511987654321@s.whatsapp.net", "fromMe": false, "id": "IMG1"},
               "pushName": "Maria", "messageType": "imageMessage",
               "message": {"imageMessage": {"url": "https://mmg.whatsapp.net/o1/v/t62.7118-24/f1.enc",
                   "mimetype": "image/jpeg", "caption": "comprovante", "fileLength": "48213"}},
               "messageTimestamp": 1717171717}),
    );
    let m = inbound(one(body));
    assert_eq!(m.message_type, MessageType::Image);
    assert_eq!(m.text, "comprovante");
    assert_eq!(
        m.media_url, "",
        "the provider's encrypted URL is never kept"
    );
    let media = m.media.expect("media");
    assert_eq!(
        (media.provider_ref.as_str(), media.mime_type.as_str()),
        ("IMG1", "image/jpeg")
    );
    let doc = envelope(
        "messages.upsert",
        json!({"key": {"remoteJid": "5511987654321@s.whatsapp.net", "fromMe": false, "id": "DOC1"},
               "messageType": "documentMessage",
               "message": {"documentMessage": {"mimetype": "application/pdf", "fileName": "boleto.pdf"}}}),
    );
    let m = inbound(one(doc));
    assert_eq!(
        (m.message_type, m.text.as_str()),
        (MessageType::Document, "boleto.pdf")
    );
    assert_eq!(m.media.unwrap().file_name, "boleto.pdf");
    for (kind, t) in [
        ("audioMessage", MessageType::Audio),
        ("videoMessage", MessageType::Video),
        ("stickerMessage", MessageType::Sticker),
    ] {
        let b = envelope(
            "messages.upsert",
            json!({"key": {"remoteJid": "5511987654321@s.whatsapp.net", "fromMe": false, "id": kind},
                   "messageType": kind, "message": {kind: {"mimetype": "x/y"}}}),
        );
        let m = inbound(one(b));
        assert_eq!(m.message_type, t);
        assert!(m.media.is_some());
    }
}

#[test]
fn acks_of_our_messages_become_statuses() {
    let upd = |status: Value| {
        envelope(
            "messages.update",
            json!({"keyId": "3EB0C7", "remoteJid": "5511987654321@s.whatsapp.net", "fromMe": true,
                   "participant": null, "status": status, "instanceId": "i-1", "messageId": "m-1"}),
        )
    };
    let at = DateTime::parse_from_rfc3339("2025-06-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    for (raw, want) in [
        (json!("SERVER_ACK"), MessageStatus::Sent),
        (json!("DELIVERY_ACK"), MessageStatus::Delivered),
        (json!("READ"), MessageStatus::Read),
        (json!("PLAYED"), MessageStatus::Read),
        (json!("ERROR"), MessageStatus::Failed),
        (json!(3), MessageStatus::Delivered),
    ] {
        match one(upd(raw.clone())) {
            GatewayUpdate::Status {
                provider_id,
                status,
                at: t,
                ..
            } => {
                assert_eq!(
                    (provider_id.as_str(), status, t),
                    ("3EB0C7", want, at),
                    "{raw}"
                );
            }
            other => panic!("{raw}: {other:?}"),
        }
    }
    assert!(matches!(
        one(upd(json!("PENDING"))),
        GatewayUpdate::Ignored(_)
    ));
    assert!(matches!(
        one(upd(json!("DELETED"))),
        GatewayUpdate::Ignored(_)
    ));
    let mut inbound_ack = upd(json!("READ"));
    inbound_ack["data"]["fromMe"] = json!(false);
    assert!(matches!(one(inbound_ack), GatewayUpdate::Ignored(_)));
}

#[test]
fn connection_events_and_qr_codes() {
    let conn = |state: &str, reason: i64| {
        one(envelope(
            "connection.update",
            json!({"instance": "loja-centro", "state": state, "statusReason": reason}),
        ))
    };
    assert_eq!(
        conn("open", 200),
        GatewayUpdate::Connection {
            state: SessionStatus::Ready,
            qr_b64: None
        }
    );
    assert_eq!(
        conn("connecting", 200),
        GatewayUpdate::Connection {
            state: SessionStatus::Connecting,
            qr_b64: None
        }
    );
    assert!(matches!(
        conn("close", 401),
        GatewayUpdate::ConnectionLost {
            needs_qrcode: true,
            ..
        }
    ));
    assert!(matches!(
        conn("close", 403),
        GatewayUpdate::ConnectionLost {
            needs_qrcode: false,
            ..
        }
    ));
    assert!(matches!(
        conn("refused", 428),
        GatewayUpdate::ConnectionLost {
            needs_qrcode: true,
            ..
        }
    ));
    let qr = one(envelope(
        "qrcode.updated",
        json!({"qrcode": {"instance": "loja-centro", "pairingCode": null, "code": "2@abc",
                          "base64": "data:image/png;base64,iVBORw0KGgo="}}),
    ));
    assert_eq!(
        qr,
        GatewayUpdate::Connection {
            state: SessionStatus::Qrcode,
            qr_b64: Some("iVBORw0KGgo=".into())
        }
    );
    assert!(matches!(
        one(envelope(
            "qrcode.updated",
            json!({"message": "QR code limit reached, please login again", "statusCode": 500})
        )),
        GatewayUpdate::ConnectionLost {
            needs_qrcode: true,
            ..
        }
    ));
    // Config-style names are accepted; other events are acknowledged and dropped.
    assert!(matches!(
        one(envelope("CONNECTION_UPDATE", json!({"state": "open"}))),
        GatewayUpdate::Connection { .. }
    ));
    assert!(matches!(
        one(envelope("presence.update", json!({"id": "x"}))),
        GatewayUpdate::Ignored(_)
    ));
}
