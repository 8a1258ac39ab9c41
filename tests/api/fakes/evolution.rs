//! A fake Evolution API v2 (GATEWAYS.md §2): instance create / connect / state / restart /
//! logout, webhook set, sendText / sendMedia / sendWhatsAppAudio, sendPresence and
//! getBase64FromMediaMessage, every call checked for the `apikey` header. Its driver posts
//! the webhook events to the URL, with the headers, the server registered — so a server that
//! registered the wrong secret fails its own receiver.

use super::{Log, QR_PNG_1, Recorded, Running, reply, serve};
use actix_web::HttpResponse;
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const API_KEY: &str = "evolution-global-key";

#[derive(Default)]
struct Inner {
    /// `None`: the instance does not exist.
    state: Option<String>,
    /// What `/webhook/set` or `/instance/create` registered.
    webhook: Option<Value>,
    qr: String,
    /// Answers `500` to this many `connectionState` calls (Evolution unreachable/broken).
    fail_state: usize,
    /// Answers a send with this status (then 201 again), in order.
    send_failures: Vec<u16>,
    /// Media by message key id: (mime type, bytes).
    media: HashMap<String, (String, Vec<u8>)>,
}

pub struct FakeEvolution {
    pub log: Arc<Log>,
    pub instance: String,
    inner: Arc<Mutex<Inner>>,
    ids: Arc<AtomicUsize>,
    running: Running,
    http: reqwest::Client,
}

fn not_found(instance: &str) -> HttpResponse {
    reply(
        404,
        json!({"status": 404, "error": "Not Found",
               "response": {"message": [format!("The \"{instance}\" instance does not exist")]}}),
    )
}

fn data_url(png: &str) -> String {
    format!("data:image/png;base64,{png}")
}

fn handle(inner: &Mutex<Inner>, ids: &AtomicUsize, instance: &str, r: &Recorded) -> HttpResponse {
    if r.header("apikey") != Some(API_KEY) {
        return reply(
            401,
            json!({"status": 401, "error": "Unauthorized", "response": {"message": "Unauthorized"}}),
        );
    }
    let mut s = inner.lock().unwrap();
    let path = r.path.as_str();
    let on = |route: &str| path == format!("{route}/{instance}");
    match r.method.as_str() {
        "POST" if path == "/instance/create" => {
            if s.state.is_some() {
                return reply(
                    403,
                    json!({"status": 403, "error": "Forbidden", "response": {"message":
                        [format!("This name \"{instance}\" is already in use.")]}}),
                );
            }
            let body = r.json();
            s.state = Some("connecting".into());
            s.webhook = body.get("webhook").cloned();
            reply(
                201,
                json!({"instance": {"instanceName": instance, "instanceId": "i-1",
                           "integration": "WHATSAPP-BAILEYS", "status": "connecting"},
                       "hash": "instance-token", "webhook": {"webhookUrl": body["webhook"]["url"]},
                       "qrcode": {"pairingCode": null, "code": "2@fake", "base64": data_url(&s.qr), "count": 1}}),
            )
        }
        "GET" if on("/instance/connectionState") => {
            if s.fail_state > 0 {
                s.fail_state -= 1;
                return reply(
                    500,
                    json!({"status": 500, "error": "Internal Server Error"}),
                );
            }
            match &s.state {
                None => not_found(instance),
                Some(st) => reply(
                    200,
                    json!({"instance": {"instanceName": instance, "state": st}}),
                ),
            }
        }
        "GET" if on("/instance/connect") => match s.state.clone() {
            None => not_found(instance),
            Some(st) if st == "open" => reply(
                200,
                json!({"instance": {"instanceName": instance, "state": "open"}}),
            ),
            Some(_) => {
                s.state = Some("connecting".into());
                reply(
                    200,
                    json!({"pairingCode": null, "code": "2@fake", "base64": data_url(&s.qr), "count": 1}),
                )
            }
        },
        "POST" if on("/instance/restart") => match s.state.as_deref() {
            None => not_found(instance),
            Some("close") => reply(
                400,
                json!({"status": 400, "error": "Bad Request", "response": {"message":
                    [format!("The \"{instance}\" instance is not connected")]}}),
            ),
            Some(_) => {
                s.state = Some("connecting".into());
                reply(
                    200,
                    json!({"instance": {"instanceName": instance, "state": "connecting"}}),
                )
            }
        },
        "DELETE" if on("/instance/logout") => {
            s.state = Some("close".into());
            reply(
                200,
                json!({"status": "SUCCESS", "error": false, "response": {"message": "Instance logged out"}}),
            )
        }
        "POST" if on("/webhook/set") => {
            if s.state.is_none() {
                return not_found(instance);
            }
            s.webhook = r.json().get("webhook").cloned();
            reply(201, json!({"webhook": s.webhook}))
        }
        "POST"
            if on("/message/sendText")
                || on("/message/sendMedia")
                || on("/message/sendWhatsAppAudio") =>
        {
            if s.state.as_deref() != Some("open") {
                return reply(
                    400,
                    json!({"status": 400, "error": "Bad Request", "response": {"message": ["Connection Closed"]}}),
                );
            }
            if !s.send_failures.is_empty() {
                let st = s.send_failures.remove(0);
                return reply(st, json!({"status": st, "error": "Too Many Requests"}));
            }
            let body = r.json();
            let id = format!("3EB0FAKE{:04}", ids.fetch_add(1, Ordering::SeqCst));
            let jid = format!("{}@s.whatsapp.net", body["number"].as_str().unwrap_or(""));
            reply(
                201,
                json!({"key": {"remoteJid": jid, "fromMe": true, "id": id}, "pushName": "",
                       "status": "PENDING", "message": {"conversation": body["text"]},
                       "messageType": "conversation", "messageTimestamp": 1717171717,
                       "instanceId": "i-1", "source": "unknown"}),
            )
        }
        "POST" if on("/chat/sendPresence") => reply(201, json!({"presence": "composing"})),
        "POST" if on("/chat/getBase64FromMediaMessage") => {
            let id = r.json()["message"]["key"]["id"]
                .as_str()
                .unwrap_or("")
                .to_string();
            match s.media.get(&id) {
                Some((mime, bytes)) => reply(
                    201,
                    json!({"mediaType": "imageMessage", "fileName": format!("{id}.jpg"),
                           "caption": null, "size": {"fileLength": bytes.len()}, "mimetype": mime,
                           "base64": base64::engine::general_purpose::STANDARD.encode(bytes),
                           "buffer": null}),
                ),
                None => reply(
                    400,
                    json!({"status": 400, "error": "Bad Request", "response": {"message": ["Message not found"]}}),
                ),
            }
        }
        _ => reply(404, json!({"status": 404, "error": "Not Found"})),
    }
}

impl FakeEvolution {
    pub fn start(instance: &str) -> Self {
        let log = Arc::new(Log::default());
        let inner = Arc::new(Mutex::new(Inner {
            qr: QR_PNG_1.to_string(),
            ..Default::default()
        }));
        let ids = Arc::new(AtomicUsize::new(1));
        let (i, n, name) = (inner.clone(), ids.clone(), instance.to_string());
        let running = serve(log.clone(), move |r| handle(&i, &n, &name, r));
        Self {
            log,
            instance: instance.to_string(),
            inner,
            ids,
            running,
            http: crate::common::client_builder().build().expect("client"),
        }
    }

    pub fn base(&self) -> &str {
        &self.running.base
    }

    pub fn state(&self) -> Option<String> {
        self.inner.lock().unwrap().state.clone()
    }

    pub fn webhook(&self) -> Option<Value> {
        self.inner.lock().unwrap().webhook.clone()
    }

    pub fn fail_state_calls(&self, n: usize) {
        self.inner.lock().unwrap().fail_state = n;
    }

    pub fn fail_sends(&self, statuses: &[u16]) {
        self.inner.lock().unwrap().send_failures = statuses.to_vec();
    }

    pub fn add_media(&self, key_id: &str, mime: &str, bytes: &[u8]) {
        let mut s = self.inner.lock().unwrap();
        s.media
            .insert(key_id.to_string(), (mime.to_string(), bytes.to_vec()));
    }

    /// How many message ids the fake handed out.
    pub fn sent(&self) -> usize {
        self.ids.load(Ordering::SeqCst) - 1
    }

    /// Posts `event` with `data` to the registered webhook, with its headers. Returns the
    /// server's status and JSON answer.
    pub async fn emit(&self, event: &str, data: Value) -> (u16, Value) {
        let hook = self.webhook().expect("a webhook was registered");
        let body = json!({"event": event, "instance": self.instance, "data": data,
                          "destination": hook["url"], "date_time": "2026-07-01T10:00:00.000Z",
                          "sender": "551140028922@s.whatsapp.net", "server_url": self.base(),
                          "apikey": null});
        self.post_raw(&body, true).await
    }

    /// Posts `body` to the registered webhook URL, with the registered headers or none.
    pub async fn post_raw(&self, body: &Value, with_headers: bool) -> (u16, Value) {
        let hook = self.webhook().expect("a webhook was registered");
        let mut rb = self
            .http
            .post(hook["url"].as_str().expect("url"))
            .json(body);
        if with_headers && let Some(h) = hook["headers"].as_object() {
            for (k, v) in h {
                rb = rb.header(k.as_str(), v.as_str().unwrap_or(""));
            }
        }
        let r = rb.send().await.expect("post the webhook");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The QR code is renewed (a new image), as Evolution does every few seconds.
    pub async fn renew_qr(&self, png: &str) -> (u16, Value) {
        self.inner.lock().unwrap().qr = png.to_string();
        let qrcode = json!({"qrcode": {"instance": self.instance, "pairingCode": null,
                                       "code": "2@renewed", "base64": data_url(png)}});
        self.emit("qrcode.updated", qrcode).await
    }

    /// The phone read the QR code.
    pub async fn open(&self) -> (u16, Value) {
        self.inner.lock().unwrap().state = Some("open".into());
        self.emit(
            "connection.update",
            json!({"instance": self.instance, "state": "open", "statusReason": 200,
                   "wuid": "551140028922@s.whatsapp.net", "profileName": "Loja"}),
        )
        .await
    }

    /// The phone logged the device out.
    pub async fn close(&self, reason: u16) -> (u16, Value) {
        self.inner.lock().unwrap().state = Some("close".into());
        self.emit(
            "connection.update",
            json!({"instance": self.instance, "state": "close", "statusReason": reason}),
        )
        .await
    }

    /// A customer's text message (`key` is the message key, without `fromMe`).
    pub async fn text(&self, key: Value, text: &str, name: &str) -> (u16, Value) {
        let mut key = key;
        key["fromMe"] = json!(false);
        self.emit(
            "messages.upsert",
            json!({"key": key, "pushName": name, "status": "DELIVERY_ACK",
                   "message": {"conversation": text}, "messageType": "conversation",
                   "messageTimestamp": 1782900000, "instanceId": "i-1", "source": "android"}),
        )
        .await
    }

    /// A customer's image (its bytes are served by `getBase64FromMediaMessage`).
    pub async fn image(&self, jid: &str, id: &str, bytes: &[u8]) -> (u16, Value) {
        self.add_media(id, "image/jpeg", bytes);
        self.emit(
            "messages.upsert",
            json!({"key": {"remoteJid": jid, "fromMe": false, "id": id}, "pushName": "Maria",
                   "message": {"imageMessage": {"url": "https://mmg.whatsapp.net/v/t62/abc.enc",
                       "mimetype": "image/jpeg", "caption": "comprovante",
                       "fileLength": bytes.len().to_string()}},
                   "messageType": "imageMessage", "messageTimestamp": 1782900001}),
        )
        .await
    }

    /// An ack of one of our messages.
    pub async fn ack(&self, key_id: &str, jid: &str, status: &str) -> (u16, Value) {
        self.emit(
            "messages.update",
            json!({"keyId": key_id, "remoteJid": jid, "fromMe": true, "participant": null,
                   "status": status, "instanceId": "i-1", "messageId": "m-1"}),
        )
        .await
    }
}
