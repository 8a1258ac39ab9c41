//! A fake Meta Graph API (GATEWAYS.md §1): the phone number node (credential check),
//! `messages` (scripted errors, else the success shape with a fresh `wamid`), media upload,
//! the media node and `/media-bytes/{id}` — every call checked for the bearer token. Its
//! driver posts signed webhooks (HMAC-SHA256 with the app secret) and the handshake.

use super::{Log, Recorded, Running, reply, serve};
use actix_web::HttpResponse;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const VERSION: &str = "v26.0";
pub const PHONE_NUMBER_ID: &str = "106540352242922";
pub const TOKEN: &str = "EAAG-fake-system-user-token";
pub const APP_SECRET: &str = "fake-app-secret";
pub const VERIFY_TOKEN: &str = "fake-verify-token";

#[derive(Default)]
struct Inner {
    /// Error codes to answer the next sends with, in order (then success again).
    send_errors: Vec<i64>,
    /// The token was revoked: every call answers 190.
    revoked: bool,
    /// Answers 500 to this many credential checks (Meta failing).
    failing_checks: usize,
    media: HashMap<String, (String, Vec<u8>)>,
}

pub struct FakeMeta {
    pub log: Arc<Log>,
    inner: Arc<Mutex<Inner>>,
    running: Running,
    http: reqwest::Client,
}

fn graph_error(code: i64) -> HttpResponse {
    let (http, msg) = match code {
        190 => (
            401,
            "Invalid OAuth access token - Cannot parse access token",
        ),
        130429 => (400, "Rate limit hit"),
        131047 => (400, "Re-engagement message"),
        131026 => (400, "Message undeliverable"),
        _ => (400, "Invalid parameter"),
    };
    reply(
        http,
        json!({"error": {"message": msg, "type": "OAuthException", "code": code,
                         "error_data": {"messaging_product": "whatsapp", "details": msg},
                         "fbtrace_id": "AbCdEf"}}),
    )
}

fn handle(
    inner: &Mutex<Inner>,
    ids: &AtomicUsize,
    base: &Mutex<String>,
    r: &Recorded,
) -> HttpResponse {
    let mut s = inner.lock().unwrap();
    if s.revoked || r.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
        return graph_error(190);
    }
    let parts: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
    match (r.method.as_str(), parts.as_slice()) {
        ("GET", [v, id]) if *v == VERSION && *id == PHONE_NUMBER_ID && s.failing_checks > 0 => {
            s.failing_checks -= 1;
            reply(
                500,
                json!({"error": {"message": "An unknown error has occurred.", "type": "OAuthException",
                                 "code": 1, "fbtrace_id": "x"}}),
            )
        }
        ("GET", [v, id]) if *v == VERSION && *id == PHONE_NUMBER_ID => reply(
            200,
            json!({"verified_name": "Loja Centro", "display_phone_number": "+55 11 4002-8922",
                   "id": PHONE_NUMBER_ID}),
        ),
        ("POST", [v, id, "messages"]) if *v == VERSION && *id == PHONE_NUMBER_ID => {
            if !s.send_errors.is_empty() {
                return graph_error(s.send_errors.remove(0));
            }
            let body = r.json();
            let n = ids.fetch_add(1, Ordering::SeqCst);
            reply(
                200,
                json!({"messaging_product": "whatsapp",
                       "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                       "messages": [{"id": format!("wamid.FAKE{n:04}")}]}),
            )
        }
        ("POST", [v, id, "media"]) if *v == VERSION && *id == PHONE_NUMBER_ID => {
            let multipart = r
                .header("content-type")
                .is_some_and(|c| c.starts_with("multipart/form-data"));
            if !multipart || !String::from_utf8_lossy(&r.body).contains("messaging_product") {
                return graph_error(100);
            }
            let n = ids.fetch_add(1, Ordering::SeqCst);
            let id = format!("UPLOADED{n}");
            s.media.insert(
                id.clone(),
                ("application/octet-stream".into(), r.body.clone()),
            );
            reply(200, json!({"id": id}))
        }
        ("GET", ["media-bytes", id]) => match s.media.get(*id) {
            Some((mime, bytes)) => HttpResponse::Ok()
                .content_type(mime.as_str())
                .body(bytes.clone()),
            None => graph_error(100),
        },
        ("GET", [v, id]) if *v == VERSION => match s.media.get(*id) {
            Some((mime, bytes)) => reply(
                200,
                json!({"messaging_product": "whatsapp",
                       "url": format!("{}/media-bytes/{id}", base.lock().unwrap()),
                       "mime_type": mime, "sha256": "0", "file_size": bytes.len(), "id": id}),
            ),
            None => graph_error(100),
        },
        _ => graph_error(100),
    }
}

/// `sha256=<hex>` of `body` with the app secret (computed here, independently of the server).
pub fn sign(body: &[u8], secret: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl FakeMeta {
    pub fn start() -> Self {
        let log = Arc::new(Log::default());
        let inner = Arc::new(Mutex::new(Inner::default()));
        let ids = Arc::new(AtomicUsize::new(1));
        let base = Arc::new(Mutex::new(String::new()));
        let (i, n, b) = (inner.clone(), ids, base.clone());
        let running = serve(log.clone(), move |r| handle(&i, &n, &b, r));
        *base.lock().unwrap() = running.base.clone();
        Self {
            log,
            inner,
            running,
            http: crate::common::client_builder().build().expect("client"),
        }
    }

    pub fn base(&self) -> &str {
        &self.running.base
    }

    pub fn fail_sends(&self, codes: &[i64]) {
        self.inner.lock().unwrap().send_errors = codes.to_vec();
    }

    pub fn fail_checks(&self, n: usize) {
        self.inner.lock().unwrap().failing_checks = n;
    }

    pub fn revoke_token(&self) {
        self.inner.lock().unwrap().revoked = true;
    }

    pub fn add_media(&self, id: &str, mime: &str, bytes: &[u8]) {
        let mut s = self.inner.lock().unwrap();
        s.media
            .insert(id.to_string(), (mime.to_string(), bytes.to_vec()));
    }

    /// The `messages` bodies received, in order.
    pub fn sends(&self) -> Vec<Value> {
        self.log
            .to("POST", "/messages")
            .iter()
            .map(Recorded::json)
            .collect()
    }

    /// Posts `body` to the server's receiver with the signature `signature` (computed with
    /// the right secret when `None`).
    pub async fn post(&self, server: &str, body: &Value, signature: Option<&str>) -> (u16, Value) {
        let raw = serde_json::to_vec(body).expect("json");
        let sig = signature.map_or_else(|| sign(&raw, APP_SECRET), str::to_string);
        let r = self
            .http
            .post(format!("{server}/api/v1/whatsapp/webhook/meta/"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(raw)
            .send()
            .await
            .expect("post the webhook");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The subscription handshake: status and body text.
    pub async fn handshake(
        &self,
        server: &str,
        mode: &str,
        token: &str,
        challenge: &str,
    ) -> (u16, String, String) {
        let url = format!(
            "{server}/api/v1/whatsapp/webhook/meta/?hub.mode={mode}&hub.verify_token={token}&hub.challenge={challenge}"
        );
        let r = self.http.get(url).send().await.expect("handshake");
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, ct, r.text().await.unwrap_or_default())
    }
}

/// A `messages` change value for the fake's phone number.
pub fn change(extra: Value) -> Value {
    let mut v = json!({"messaging_product": "whatsapp",
                       "metadata": {"display_phone_number": "551140028922",
                                    "phone_number_id": PHONE_NUMBER_ID}});
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            o.insert(k.clone(), x.clone());
        }
    }
    json!({"object": "whatsapp_business_account",
           "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": v}]}]})
}

/// An inbound text message from `wa_id` (with the BSUID `user_id` when given).
pub fn text(wa_id: Option<&str>, user_id: Option<&str>, id: &str, body: &str) -> Value {
    let mut contact = json!({"profile": {"name": "Maria Souza"}});
    let mut message = json!({"id": id, "timestamp": "1782900000", "type": "text",
                             "text": {"body": body}});
    if let Some(w) = wa_id {
        contact["wa_id"] = json!(w);
        message["from"] = json!(w);
    }
    if let Some(u) = user_id {
        contact["user_id"] = json!(u);
        message["from_user_id"] = json!(u);
    }
    change(json!({"contacts": [contact], "messages": [message]}))
}

/// Status webhooks of our messages: `(wamid, status, unix seconds)`.
pub fn statuses(list: &[(&str, &str, i64)]) -> Value {
    let items: Vec<Value> = list
        .iter()
        .map(|(id, status, t)| {
            let mut s = json!({"id": id, "status": status, "timestamp": t.to_string(),
                               "recipient_id": "5511987654321",
                               "pricing": {"billable": false, "pricing_model": "PMP",
                                           "category": "service", "type": "free_customer_service"}});
            if *status == "failed" {
                s["errors"] = json!([{"code": 131026, "title": "Message undeliverable",
                                      "message": "Message undeliverable",
                                      "error_data": {"details": "Message Undeliverable."}}]);
            }
            s
        })
        .collect();
    change(json!({"statuses": items}))
}
