//! A whole conversation through Evolution API v2: pairing by QR code, a customer's messages
//! in every identity form (old mobile JID, `@lid` with its number, `@lid` alone) landing in
//! one chat, the agent's accept and reply reaching the fake with the right body, acks out
//! of order, inbound media served by signed link, and the receiver's refusals.

use super::{Server, fetch_signed, free_port};
use crate::fakes::evolution::{API_KEY, FakeEvolution};
use crate::fakes::{QR_PNG_1, QR_PNG_2};
use serde_json::{Value, json};

pub const SECRET: &str = "segredo-do-webhook-evolution";
pub const INSTANCE: &str = "loja-centro";
const CUSTOMER: &str = "5511987654321";
const OLD_JID: &str = "551187654321@s.whatsapp.net";
const LID: &str = "123456789012345@lid";

pub fn env(fake: &FakeEvolution, port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("WHATSAPP_GATEWAY", "evolution".into()),
        ("EVOLUTION_URL", fake.base().to_string()),
        ("EVOLUTION_API_KEY", API_KEY.into()),
        ("EVOLUTION_INSTANCE", INSTANCE.into()),
        ("EVOLUTION_WEBHOOK_SECRET", SECRET.into()),
        (
            "EVOLUTION_WEBHOOK_URL",
            format!("http://127.0.0.1:{port}/api/v1/whatsapp/webhook/evolution/"),
        ),
    ]
}

/// The server on a fake Evolution, its session paired and open; the admin's socket has
/// seen it become ready.
pub async fn paired() -> (FakeEvolution, Server, super::Socket) {
    let fake = FakeEvolution::start(INSTANCE);
    let port = free_port();
    let server = Server::boot(port, &env(&fake, port)).await;
    let mut ws = server.socket(&server.token).await;
    let (s, v) = server
        .post("/api/v1/whatsapp/sessions/start/", json!({}))
        .await;
    assert_eq!((s, v["status"].as_str()), (202, Some("qrcode")), "{v}");
    ws.until(|v| v["type"] == "qrcode").await;
    assert_eq!(fake.open().await.0, 200);
    ws.status("ready").await;
    (fake, server, ws)
}

fn count(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn a_conversation_runs_end_to_end_through_evolution() {
    let fake = FakeEvolution::start(INSTANCE);
    let port = free_port();
    let server = Server::boot(port, &env(&fake, port)).await;
    let mut ws = server.socket(&server.token).await;

    // Start: the instance is created with our webhook and its secret header; the QR code
    // (the real image) reaches the user's sockets.
    let (s, v) = server
        .post("/api/v1/whatsapp/sessions/start/", json!({}))
        .await;
    assert_eq!((s, v["status"].as_str()), (202, Some("qrcode")), "{v}");
    let create = fake.log.to("POST", "/instance/create");
    assert_eq!(create.len(), 1);
    assert_eq!(create[0].json()["instanceName"], INSTANCE);
    assert_eq!(create[0].header("apikey"), Some(API_KEY));
    let hook = fake.webhook().expect("webhook registered");
    assert_eq!(
        hook["url"],
        format!("{}/api/v1/whatsapp/webhook/evolution/", server.base)
    );
    assert_eq!(hook["headers"]["X-Webhook-Secret"], SECRET);
    assert_eq!(hook["byEvents"], false);
    for e in [
        "MESSAGES_UPSERT",
        "MESSAGES_UPDATE",
        "CONNECTION_UPDATE",
        "QRCODE_UPDATED",
    ] {
        assert!(
            hook["events"].as_array().unwrap().contains(&json!(e)),
            "{e}"
        );
    }
    let frames = ws.until(|v| v["type"] == "qrcode").await;
    assert!(
        frames
            .iter()
            .any(|f| f["type"] == "session_status" && f["status"] == "connecting")
    );
    assert_eq!(frames.last().unwrap()["image_b64"], QR_PNG_1);

    // A renewed QR code is relayed; reading it opens the connection.
    assert_eq!(fake.renew_qr(QR_PNG_2).await.0, 200);
    let qr = ws.until(|v| v["type"] == "qrcode").await.pop().unwrap();
    assert_eq!(qr["image_b64"], QR_PNG_2);
    assert_eq!(fake.open().await.0, 200);
    let frames = ws.status("ready").await;
    assert!(frames.iter().any(|f| f["status"] == "authenticated"));
    server
        .until("/api/v1/whatsapp/sessions/status/", |v| {
            v["status"] == "ready"
        })
        .await;

    // The customer writes from the pre-2016 JID (no ninth digit): one canonical number.
    let first = json!({"remoteJid": OLD_JID, "id": "3EB0IN0001"});
    let (s, v) = fake
        .text(
            first.clone(),
            "Quero a segunda via do boleto",
            "Maria Souza",
        )
        .await;
    assert_eq!((s, count(&v, "stored")), (200, 1), "{v}");
    let received = ws.event("message_received").await;
    assert_eq!(received["data"]["from"], CUSTOMER);
    assert_eq!(received["data"]["message"], "Quero a segunda via do boleto");
    let new_chat = ws.event("new_chat").await;
    assert_eq!(new_chat["data"]["chat_id"], CUSTOMER);
    assert_eq!(
        new_chat["data"]["mensagem_inicial"],
        "Quero a segunda via do boleto"
    );
    // The same delivery again (at-least-once): nothing new.
    let (s, v) = fake
        .text(first, "Quero a segunda via do boleto", "Maria Souza")
        .await;
    assert_eq!((s, count(&v, "duplicates")), (200, 1), "{v}");

    // Addressed by her lid (with the number along), then by the lid alone: the same chat.
    let by_lid = json!({"remoteJid": LID, "remoteJidAlt": format!("{CUSTOMER}@s.whatsapp.net"),
                        "addressingMode": "lid", "id": "3EB0IN0002"});
    assert_eq!(
        fake.text(by_lid, "Pode ser no pix?", "Maria Souza").await.0,
        200
    );
    let lid_only = json!({"remoteJid": LID, "id": "3EB0IN0003"});
    assert_eq!(fake.text(lid_only, "Obrigada", "Maria Souza").await.0, 200);
    let msgs = server.messages_of(CUSTOMER).await;
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    assert!(server.messages_of(LID).await.is_empty());
    let (_, chats) = server.get("/api/v1/chats/").await;
    let chats = chats.as_array().cloned().unwrap_or_default();
    assert_eq!(chats.len(), 1, "{chats:?}");
    assert_eq!(chats[0]["chat_id"], CUSTOMER);

    // The agent accepts and replies; the reply reaches Evolution with the right body.
    let (s, v) = server
        .post(&format!("/api/v1/chats/{CUSTOMER}/aceitar/"), json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    let reply = "Olá, Maria! Segue o boleto.";
    let (s, v) = server
        .post(
            "/api/v1/whatsapp/send/",
            json!({"to": CUSTOMER, "text": reply}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let message_id = v["message_id"].as_str().unwrap().to_string();
    let sends = fake
        .log
        .wait_for("POST", &format!("/message/sendText/{INSTANCE}"), 1)
        .await;
    assert_eq!(sends[0].json(), json!({"number": CUSTOMER, "text": reply}));
    assert_eq!(sends[0].header("apikey"), Some(API_KEY));
    let path = "/api/v1/whatsapp/messages/?direction=outbound";
    server
        .until(path, |v| v["results"][0]["status"] == "sent")
        .await;

    // Acks out of order: read before delivered; the status never moves back.
    let key = "3EB0FAKE0001";
    let jid = format!("{CUSTOMER}@s.whatsapp.net");
    assert_eq!(fake.ack(key, &jid, "READ").await.0, 200);
    assert_eq!(fake.ack(key, &jid, "DELIVERY_ACK").await.0, 200);
    let m = server.message(&message_id).await;
    assert_eq!(m["status"], "read", "{m}");
    assert!(
        m["read_at"].is_string() && m["delivered_at"].is_string(),
        "{m}"
    );

    // An image: downloaded from Evolution into storage, served by a signed link.
    let jpeg = b"\xff\xd8\xff\xe0 fake jpeg bytes";
    let (s, v) = fake.image(&jid, "3EB0IMG0001", jpeg).await;
    assert_eq!((s, count(&v, "stored")), (200, 1), "{v}");
    let m = server.message("3EB0IMG0001").await;
    let link = m["media_url"].as_str().unwrap().to_string();
    assert!(
        link.starts_with(&format!("{}/media/whatsapp/media/", server.base))
            && link.contains("sig="),
        "{m}"
    );
    assert_eq!(
        (m["media_mime_type"].as_str(), m["media_size"].as_i64()),
        (Some("image/jpeg"), Some(jpeg.len() as i64))
    );
    assert_eq!(m["message_type"], "image");
    assert_eq!(
        fetch_signed(&server.http, &link).await,
        (200, jpeg.to_vec())
    );
    let unsigned = link.split('?').next().unwrap();
    assert_eq!(fetch_signed(&server.http, unsigned).await.0, 401);
    // The agent's chat window shows the same signed link.
    let (s, window) = server
        .get(&format!("/api/v1/chats/{CUSTOMER}/messages/"))
        .await;
    assert_eq!(s, 200, "{window}");
    let newest = &window["results"][0];
    assert_eq!(newest["message_id"], "3EB0IMG0001", "{window}");
    let shown = newest["media_url"].as_str().unwrap();
    assert!(shown.contains("sig="), "{newest}");
    assert_eq!(
        fetch_signed(&server.http, shown).await,
        (200, jpeg.to_vec())
    );
}

#[tokio::test]
async fn a_customer_first_seen_by_her_lid_alone_joins_her_number_when_it_arrives() {
    let (fake, server, mut ws) = paired().await;
    // Her number hidden: the chat opens under the lid.
    let lid_only = json!({"remoteJid": LID, "id": "3EB0LID0001"});
    assert_eq!(
        fake.text(lid_only, "Oi, tudo bem?", "Maria Souza").await.0,
        200
    );
    let opened = ws.event("new_chat").await;
    assert_eq!(opened["data"]["chat_id"], LID, "{opened}");
    let (_, chats) = server.get("/api/v1/chats/").await;
    assert_eq!(chats[0]["chat_id"], LID, "{chats}");
    // A message that carries both: the open chat, its queue row and its messages move to
    // the number; no second chat.
    let both = json!({"remoteJid": LID, "remoteJidAlt": format!("{CUSTOMER}@s.whatsapp.net"),
                      "addressingMode": "lid", "id": "3EB0LID0002"});
    assert_eq!(
        fake.text(both, "Meu boleto venceu", "Maria Souza").await.0,
        200
    );
    let (_, chats) = server.get("/api/v1/chats/").await;
    let chats = chats.as_array().cloned().unwrap_or_default();
    assert_eq!(chats.len(), 1, "{chats:?}");
    assert_eq!(chats[0]["chat_id"], CUSTOMER, "{chats:?}");
    assert_eq!(server.messages_of(CUSTOMER).await.len(), 2);
    assert!(server.messages_of(LID).await.is_empty());
    // The lid alone again, and the number alone: both land in that one chat.
    let again = json!({"remoteJid": LID, "id": "3EB0LID0003"});
    assert_eq!(fake.text(again, "Alô?", "Maria Souza").await.0, 200);
    let by_number = json!({"remoteJid": format!("{CUSTOMER}@s.whatsapp.net"), "id": "3EB0LID0004"});
    assert_eq!(
        fake.text(by_number, "Consegue ver?", "Maria Souza").await.0,
        200
    );
    assert_eq!(server.messages_of(CUSTOMER).await.len(), 4);
    let (_, chats) = server.get("/api/v1/chats/").await;
    let chats = chats.as_array().cloned().unwrap_or_default();
    assert_eq!(chats.len(), 1, "{chats:?}");
    assert_eq!(chats[0]["chat_id"], CUSTOMER, "{chats:?}");
    let (_, queue) = server.get("/api/v1/atendimento/filas/?page_size=100").await;
    let rows = queue["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 1, "{queue}");
    assert_eq!(rows[0]["numero_whatsapp"], CUSTOMER, "{queue}");
}

#[tokio::test]
async fn the_receiver_refuses_a_missing_or_wrong_secret_and_ignores_groups() {
    let (fake, server, _ws) = paired().await;
    let body = json!({"event": "messages.upsert", "instance": INSTANCE, "data": {
        "key": {"remoteJid": format!("{CUSTOMER}@s.whatsapp.net"), "fromMe": false, "id": "X1"},
        "message": {"conversation": "oi"}, "messageType": "conversation"}});
    assert_eq!(fake.post_raw(&body, false).await.0, 401);
    let url = server.url("/api/v1/whatsapp/webhook/evolution/");
    for wrong in ["segredo-do-webhook-evolutioN", "x", ""] {
        let r = server
            .http
            .post(&url)
            .header("X-Webhook-Secret", wrong)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{wrong:?}");
    }
    assert!(server.messages_of(CUSTOMER).await.is_empty());
    // A group message: acknowledged, never a chat.
    let group = json!({"remoteJid": "120363025246125486@g.us",
                       "participant": format!("{CUSTOMER}@s.whatsapp.net"), "id": "G1"});
    let (s, v) = fake.text(group, "oi grupo", "Maria").await;
    assert_eq!(
        (s, count(&v, "ignored"), count(&v, "stored")),
        (200, 1, 0),
        "{v}"
    );
    let (_, chats) = server.get("/api/v1/chats/").await;
    assert_eq!(chats.as_array().map(Vec::len), Some(0), "{chats}");
    // Not JSON.
    let r = server
        .http
        .post(&url)
        .header("X-Webhook-Secret", SECRET)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    // The Meta receiver is not this server's gateway.
    let r = server
        .http
        .get(server.url("/api/v1/whatsapp/webhook/meta/?hub.mode=subscribe"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}
