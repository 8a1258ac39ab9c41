//! The mapping over the sample payloads of GATEWAYS.md §1 (Meta Cloud API).

use super::*;
use serde_json::json;

const PNID: &str = "106540352242922";

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_749_416_999, 0).unwrap()
}

fn envelope(value: Value) -> Value {
    json!({"object": "whatsapp_business_account",
           "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}]})
}

fn value(contacts: Value, messages: Value) -> Value {
    json!({"messaging_product": "whatsapp",
           "metadata": {"display_phone_number": "551140028922", "phone_number_id": PNID},
           "contacts": contacts, "messages": messages})
}

fn one(body: Value) -> GatewayUpdate {
    let mut all = decode(&body, PNID, now());
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn inbound(u: GatewayUpdate) -> InboundMessage {
    match u {
        GatewayUpdate::Inbound(m) => *m,
        other => panic!("not an inbound message: {other:?}"),
    }
}

#[test]
fn the_sample_text_message_with_its_bsuid() {
    let body = envelope(value(
        json!([{"profile": {"name": "Maria Souza"}, "wa_id": "5511987654321",
                "user_id": "BR.1502576394655843"}]),
        json!([{"from": "5511987654321", "id": "wamid.HBgL1", "timestamp": "1749416383",
                "type": "text", "text": {"body": "Quero a segunda via do boleto"}}]),
    ));
    let m = inbound(one(body));
    assert_eq!(
        (m.from.as_str(), m.chat_id.as_str()),
        ("5511987654321", "5511987654321")
    );
    assert_eq!(m.text, "Quero a segunda via do boleto");
    assert_eq!(m.contact_name, "Maria Souza");
    assert_eq!(m.peer_id.as_deref(), Some("BR.1502576394655843"));
    assert_eq!(m.message_id.as_deref(), Some("wamid.HBgL1"));
    assert_eq!(
        m.timestamp.as_deref(),
        Some("2025-06-08T20:59:43.000000+00:00")
    );
    assert_eq!(m.protocol_version, "meta-cloud");
    assert_eq!(m.raw_payload["metadata"]["phone_number_id"], PNID);
}

#[test]
fn a_number_without_the_ninth_digit_is_canonical_and_a_username_user_is_its_bsuid() {
    let m = inbound(one(envelope(value(
        json!([{"profile": {"name": "Zé"}, "wa_id": "551187654321"}]),
        json!([{"from": "551187654321", "id": "wamid.2", "timestamp": "1749416383",
                "type": "text", "text": {"body": "oi"}}]),
    ))));
    assert_eq!(m.chat_id, "5511987654321");
    assert_eq!(m.peer_id, None);
    // A user who adopted a username: no number, only the BSUID.
    let m = inbound(one(envelope(value(
        json!([{"profile": {"name": "Zé", "username": "ze.silva"}, "user_id": "BR.777"}]),
        json!([{"from_user_id": "BR.777", "id": "wamid.3", "timestamp": "1749416383",
                "type": "text", "text": {"body": "oi"}}]),
    ))));
    assert_eq!(
        (m.chat_id.as_str(), m.peer_id.as_deref()),
        ("BR.777", Some("BR.777"))
    );
}

#[test]
fn media_messages_name_their_media_id() {
    let m = inbound(one(envelope(value(
        json!([{"profile": {"name": "Maria"}, "wa_id": "5511987654321"}]),
        json!([{"from": "5511987654321", "id": "wamid.4", "timestamp": "1749416383",
                "type": "image", "image": {"id": "MEDIA-1", "mime_type": "image/jpeg",
                "sha256": "abc", "caption": "comprovante"}}]),
    ))));
    assert_eq!(
        (m.message_type, m.text.as_str()),
        (MessageType::Image, "comprovante")
    );
    let r = m.media.expect("media");
    assert_eq!(
        (r.provider_ref.as_str(), r.mime_type.as_str()),
        ("MEDIA-1", "image/jpeg")
    );
    assert_eq!(m.media_url, "");
    for (kind, t) in [
        ("audio", MessageType::Audio),
        ("video", MessageType::Video),
        ("document", MessageType::Document),
        ("sticker", MessageType::Sticker),
    ] {
        let m = inbound(one(envelope(value(
            json!([{"wa_id": "5511987654321"}]),
            json!([{"from": "5511987654321", "id": kind, "type": kind,
                    kind: {"id": "M", "mime_type": "x/y", "filename": "f.pdf"}}]),
        ))));
        assert_eq!(m.message_type, t);
        assert_eq!(m.media.unwrap().provider_ref, "M");
    }
}

#[test]
fn replies_locations_and_reactions() {
    let msg = |m: Value| {
        one(envelope(value(
            json!([{"wa_id": "5511987654321"}]),
            json!([m]),
        )))
    };
    let b = inbound(msg(
        json!({"from": "5511987654321", "id": "i1", "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": "b1", "title": "Sim"}}}),
    ));
    assert_eq!(b.text, "Sim");
    let l = inbound(msg(
        json!({"from": "5511987654321", "id": "l1", "type": "location",
        "location": {"latitude": -23.5, "longitude": -46.6, "name": "Loja"}}),
    ));
    assert_eq!(
        (l.message_type, l.text.as_str()),
        (MessageType::Location, "-23.5,-46.6 Loja")
    );
    assert!(matches!(
        msg(
            json!({"from": "5511987654321", "id": "r1", "type": "reaction",
                   "reaction": {"message_id": "wamid.1", "emoji": "👍"}})
        ),
        GatewayUpdate::Ignored(_)
    ));
}

fn statuses(list: Value) -> Vec<GatewayUpdate> {
    let body = envelope(json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "551140028922", "phone_number_id": PNID},
        "statuses": list}));
    decode(&body, PNID, now())
}

#[test]
fn statuses_keep_their_time_and_failures_their_reason() {
    let got = statuses(json!([
        {"id": "wamid.A", "status": "read", "timestamp": "1749416400", "recipient_id": "5511987654321"},
        {"id": "wamid.A", "status": "delivered", "timestamp": "1749416399", "recipient_id": "5511987654321",
         "conversation": {"id": "c", "origin": {"type": "service"}},
         "pricing": {"billable": true, "pricing_model": "PMP", "category": "service", "type": "free_customer_service"}},
        {"id": "wamid.B", "status": "failed", "timestamp": "1749416401", "recipient_id": "5511987654321",
         "errors": [{"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
                     "error_data": {"details": "Message Undeliverable."}}]},
        {"id": "wamid.C", "status": "played", "timestamp": "1749416402"},
    ]));
    let t = |s: i64| DateTime::<Utc>::from_timestamp(s, 0).unwrap();
    assert_eq!(
        got[0],
        GatewayUpdate::Status {
            provider_id: "wamid.A".into(),
            status: MessageStatus::Read,
            at: t(1_749_416_400),
            error: None
        }
    );
    assert_eq!(
        got[1],
        GatewayUpdate::Status {
            provider_id: "wamid.A".into(),
            status: MessageStatus::Delivered,
            at: t(1_749_416_399),
            error: None
        }
    );
    match &got[2] {
        GatewayUpdate::Status {
            status: MessageStatus::Failed,
            error: Some(e),
            ..
        } => {
            assert!(e.contains("131026") && e.contains("não entregue"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        got[3],
        GatewayUpdate::Status {
            status: MessageStatus::Read,
            ..
        }
    ));
}

#[test]
fn other_numbers_objects_and_fields_are_ignored() {
    let mut body = envelope(value(
        json!([]),
        json!([{"from": "5511987654321", "id": "x",
        "type": "text", "text": {"body": "oi"}}]),
    ));
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = json!("999");
    assert!(matches!(one(body), GatewayUpdate::Ignored(_)));
    assert!(matches!(
        one(json!({"object": "page", "entry": []})),
        GatewayUpdate::Ignored(_)
    ));
    let other = json!({"object": "whatsapp_business_account",
        "entry": [{"id": "W", "changes": [{"field": "account_update", "value": {}}]}]});
    assert!(matches!(one(other), GatewayUpdate::Ignored(_)));
}
