//! A whole conversation through the Meta Cloud API: the verification handshake, the
//! credential check on `start`, signed webhooks (a bad signature refused), a customer seen
//! by number and by BSUID landing in one chat, a duplicate delivery, the agent's accept and
//! reply reaching the fake with the right body, statuses out of order and duplicated, a
//! failure (131026), and inbound media through the media node.

use super::{Server, fetch_signed, free_port};
use crate::fakes::meta::{
    self, APP_SECRET, FakeMeta, PHONE_NUMBER_ID, TOKEN, VERIFY_TOKEN, VERSION,
};
use serde_json::{Value, json};

const CUSTOMER: &str = "5511987654321";
const BSUID: &str = "BR.1502576394655843";

pub fn env(fake: &FakeMeta) -> Vec<(&'static str, String)> {
    vec![
        ("WHATSAPP_GATEWAY", "meta".into()),
        ("META_GRAPH_URL", fake.base().to_string()),
        ("META_API_VERSION", VERSION.into()),
        ("META_PHONE_NUMBER_ID", PHONE_NUMBER_ID.into()),
        ("META_ACCESS_TOKEN", TOKEN.into()),
        ("META_APP_SECRET", APP_SECRET.into()),
        ("META_VERIFY_TOKEN", VERIFY_TOKEN.into()),
    ]
}

/// The server on a fake Meta with the admin's session ready.
pub async fn ready() -> (FakeMeta, Server, super::Socket) {
    let fake = FakeMeta::start();
    let server = Server::boot(free_port(), &env(&fake)).await;
    let mut ws = server.socket(&server.token).await;
    let (s, v) = server
        .post("/api/v1/whatsapp/sessions/start/", json!({}))
        .await;
    assert_eq!((s, v["status"].as_str()), (202, Some("ready")), "{v}");
    ws.status("ready").await;
    (fake, server, ws)
}

fn count(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn the_verification_handshake_answers_only_the_right_token() {
    let fake = FakeMeta::start();
    let server = Server::boot(free_port(), &env(&fake)).await;
    let (s, ct, body) = fake
        .handshake(&server.base, "subscribe", VERIFY_TOKEN, "1158201444")
        .await;
    assert_eq!((s, body.as_str()), (200, "1158201444"));
    assert!(ct.starts_with("text/plain"), "{ct}");
    for (mode, token) in [("subscribe", "wrong-token"), ("unsubscribe", VERIFY_TOKEN)] {
        let (s, _, _) = fake.handshake(&server.base, mode, token, "1").await;
        assert_eq!(s, 403, "{mode} {token}");
    }
    // No session yet: a signed message waits for one (503, Meta delivers it again).
    let body = meta::text(Some(CUSTOMER), None, "wamid.EARLY", "oi");
    assert_eq!(fake.post(&server.base, &body, None).await.0, 503);
}

#[tokio::test]
async fn a_conversation_runs_end_to_end_through_meta() {
    let fake = FakeMeta::start();
    let server = Server::boot(free_port(), &env(&fake)).await;
    let mut ws = server.socket(&server.token).await;

    // Start checks the credentials against the phone number node: ready at once.
    let (s, v) = server
        .post("/api/v1/whatsapp/sessions/start/", json!({}))
        .await;
    assert_eq!((s, v["status"].as_str()), (202, Some("ready")), "{v}");
    let check = fake
        .log
        .wait_for("GET", &format!("/{VERSION}/{PHONE_NUMBER_ID}"), 1)
        .await;
    assert_eq!(
        check[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert!(check[0].query.contains("fields="), "{}", check[0].query);
    let frames = ws.status("ready").await;
    assert!(frames.iter().any(|f| f["status"] == "connecting"));

    // Signatures: a wrong one, a wrong key, none at all.
    let first = meta::text(
        Some("551187654321"),
        Some(BSUID),
        "wamid.IN0001",
        "Quero a segunda via",
    );
    let raw = serde_json::to_vec(&first).unwrap();
    for bad in [
        "sha256=00".to_string(),
        meta::sign(&raw, "another-secret"),
        String::new(),
    ] {
        assert_eq!(
            fake.post(&server.base, &first, Some(&bad)).await.0,
            401,
            "{bad}"
        );
    }
    let r = server
        .http
        .post(server.url("/api/v1/whatsapp/webhook/meta/"))
        .json(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(server.messages_of(CUSTOMER).await.is_empty());

    // The customer writes (her number without the ninth digit, with her BSUID).
    let (s, v) = fake.post(&server.base, &first, None).await;
    assert_eq!((s, count(&v, "stored")), (200, 1), "{v}");
    let received = ws.event("message_received").await;
    assert_eq!(received["data"]["from"], CUSTOMER);
    let new_chat = ws.event("new_chat").await;
    assert_eq!(new_chat["data"]["chat_id"], CUSTOMER);
    // A duplicate delivery changes nothing.
    let (s, v) = fake.post(&server.base, &first, None).await;
    assert_eq!((s, count(&v, "duplicates")), (200, 1), "{v}");
    // After adopting a username she arrives by BSUID only: the same chat.
    let by_bsuid = meta::text(None, Some(BSUID), "wamid.IN0002", "Pode ser no pix?");
    assert_eq!(fake.post(&server.base, &by_bsuid, None).await.0, 200);
    let msgs = server.messages_of(CUSTOMER).await;
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    let (_, chats) = server.get("/api/v1/chats/").await;
    assert_eq!(chats.as_array().map(Vec::len), Some(1), "{chats}");

    // The agent accepts and replies; the reply reaches Meta with the right body.
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
    let sends = fake.log.wait_for("POST", "/messages", 1).await;
    assert_eq!(
        fake.sends()[0],
        json!({"messaging_product": "whatsapp", "recipient_type": "individual",
               "to": CUSTOMER, "type": "text", "text": {"preview_url": false, "body": reply}})
    );
    assert_eq!(
        sends[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    server
        .until("/api/v1/whatsapp/messages/?direction=outbound", |v| {
            v["results"][0]["status"] == "sent"
        })
        .await;

    // Statuses: read before delivered, then delivered again; the status stays read.
    let wamid = "wamid.FAKE0001";
    let (s, v) = fake
        .post(
            &server.base,
            &meta::statuses(&[
                (wamid, "read", 1_782_900_060),
                (wamid, "delivered", 1_782_900_050),
            ]),
            None,
        )
        .await;
    assert_eq!((s, count(&v, "statuses")), (200, 2), "{v}");
    let again = meta::statuses(&[(wamid, "delivered", 1_782_900_050)]);
    assert_eq!(fake.post(&server.base, &again, None).await.0, 200);
    let m = server.message(&message_id).await;
    assert_eq!(m["status"], "read", "{m}");
    assert!(m["delivered_at"].is_string(), "{m}");

    // Another reply fails on the way (131026): failed, with the reason.
    let (s, v) = server
        .post(
            "/api/v1/whatsapp/send/",
            json!({"to": CUSTOMER, "text": "Ainda aí?"}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let second = v["message_id"].as_str().unwrap().to_string();
    fake.log.wait_for("POST", "/messages", 2).await;
    server
        .until("/api/v1/whatsapp/messages/?direction=outbound", |v| {
            v["results"][0]["status"] == "sent"
        })
        .await;
    let failed = meta::statuses(&[("wamid.FAKE0002", "failed", 1_782_900_070)]);
    assert_eq!(fake.post(&server.base, &failed, None).await.0, 200);
    let m = server.message(&second).await;
    assert_eq!(m["status"], "failed", "{m}");
    assert!(
        m["error_message"].as_str().unwrap().contains("131026"),
        "{m}"
    );

    // An image: fetched through the media node with the token, served by a signed link.
    let jpeg = b"\xff\xd8\xff\xe0 meta jpeg bytes";
    fake.add_media("MEDIA-77", "image/jpeg", jpeg);
    let image = meta::change(json!({
        "contacts": [{"profile": {"name": "Maria Souza"}, "wa_id": CUSTOMER, "user_id": BSUID}],
        "messages": [{"from": CUSTOMER, "id": "wamid.IMG1", "timestamp": "1782900080",
                      "type": "image", "image": {"id": "MEDIA-77", "mime_type": "image/jpeg",
                                                 "sha256": "0", "caption": "comprovante"}}]}));
    let (s, v) = fake.post(&server.base, &image, None).await;
    assert_eq!((s, count(&v, "stored")), (200, 1), "{v}");
    let bytes = fake.log.to("GET", "/media-bytes/MEDIA-77");
    assert_eq!(bytes.len(), 1);
    assert_eq!(
        bytes[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let m = server.message("wamid.IMG1").await;
    let link = m["media_url"].as_str().unwrap().to_string();
    assert!(
        link.contains("/media/whatsapp/media/") && link.contains("sig="),
        "{m}"
    );
    assert_eq!(m["text_content"], "comprovante");
    assert_eq!(
        fetch_signed(&server.http, &link).await,
        (200, jpeg.to_vec())
    );
}

/// The fake's own protocol: an upload (multipart, bearer) gives a media id whose node and
/// bytes can be fetched back, as the Cloud API's do (the adapter sends media by link today).
#[tokio::test]
async fn the_fake_meta_serves_upload_and_download_like_the_cloud_api() {
    let fake = FakeMeta::start();
    let http = crate::common::client_builder().build().unwrap();
    let form = reqwest::multipart::Form::new()
        .text("messaging_product", "whatsapp")
        .text("type", "image/png")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"png!".to_vec()).file_name("a.png"),
        );
    let url = format!("{}/{VERSION}/{PHONE_NUMBER_ID}/media", fake.base());
    let r = http.post(&url).multipart(form).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "no token");
    let form = reqwest::multipart::Form::new()
        .text("messaging_product", "whatsapp")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"png!".to_vec()).file_name("a.png"),
        );
    let r = http
        .post(&url)
        .bearer_auth(TOKEN)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let node: Value = http
        .get(format!("{}/{VERSION}/{id}", fake.base()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(node["id"], id.as_str());
    let bytes = http
        .get(node["url"].as_str().unwrap())
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&bytes).contains("png!"));
}
