//! Meta WhatsApp Cloud API: the number (`META_PHONE_NUMBER_ID`) is always connected while
//! the access token is valid.
//!
//! - `connect` checks the credentials (`GET /{version}/{phone_number_id}`): `ready`, or
//!   `error` with Meta's reason. `disconnect` only stops the user's session here.
//!   `reconnect` checks again; while Meta cannot be reached (or fails with a 5xx) it retries
//!   in the background by the backoff.
//! - `send`: `POST /{version}/{phone_number_id}/messages` (text, or image / audio / video /
//!   document by link); the `wamid` returned is what the status webhooks name. Errors:
//!   130429 / 131056 (throughput) are transient; 190 (token invalid or expired) puts every
//!   session in `error` and keeps the message queued; 131047 (outside the 24-hour window) and
//!   131026 (undeliverable) fail the message with the reason.
//! - `fetch_media`: `GET /{version}/{media_id}` gives a short-lived URL, fetched with the same
//!   token.

pub mod payload;

use crate::config::MetaConfig;
use crate::http::{CALL_TIMEOUT, MEDIA_MAX_BYTES, MEDIA_TIMEOUT, read_bounded};
use async_trait::async_trait;
use kernel::{DomainError, Result};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use whatsapp::commands::Content;
use whatsapp::ports::{
    Backoff, FetchedMedia, GatewayEvents, MediaRef, OutboundMessage, SendError, SessionRef,
    WhatsAppGateway,
};
use whatsapp::{ConnectionState, MessageType, SessionStatus};

const ANSWER_MAX_BYTES: usize = 1024 * 1024;

/// A Graph API error: `{"error":{"message","type","code","error_data":{"details"},…}}`.
#[derive(Debug, Clone, PartialEq)]
struct GraphError {
    http: u16,
    code: i64,
    message: String,
}

impl GraphError {
    fn of(http: u16, v: &Value) -> Self {
        let e = v.get("error").unwrap_or(&Value::Null);
        let details = e
            .get("error_data")
            .and_then(|d| d.get("details"))
            .and_then(Value::as_str);
        Self {
            http,
            code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
            message: details
                .or_else(|| e.get("message").and_then(Value::as_str))
                .unwrap_or("")
                .to_string(),
        }
    }

    fn token_invalid(&self) -> bool {
        self.code == 190 || self.http == 401
    }
}

/// Why the credential check failed.
#[derive(Debug, Clone)]
struct Refused {
    reason: String,
    retry: bool,
}

/// What a token failure tells the users.
const TOKEN_INVALID: &str =
    "Token de acesso da Meta inválido ou expirado (190): gere um novo e reinicie a sessão";

/// Maps a failed send to a [`SendError`]; `true` when the token is no longer valid.
fn send_error(e: &GraphError) -> (SendError, bool) {
    let (code, msg) = (e.code, &e.message);
    let err = match code {
        130429 | 131056 | 80007 | 131048 => {
            SendError::Transient(format!("limite de envio da Meta ({code}): {msg}"))
        }
        _ if e.token_invalid() => return (SendError::NotConnected, true),
        131047 => SendError::Permanent(format!(
            "Fora da janela de 24 horas de atendimento: é preciso enviar uma mensagem de template (131047). {msg}"
        )),
        131026 => SendError::Permanent(format!(
            "Mensagem não entregue: o destinatário não pode recebê-la (131026). {msg}"
        )),
        // "Something went wrong", "service unavailable": Meta's own trouble.
        1 | 2 | 131000 | 131016 => {
            SendError::Transient(format!("Meta indisponível ({code}): {msg}"))
        }
        _ if e.http >= 500 => SendError::Transient(format!("Meta respondeu {}: {msg}", e.http)),
        _ => SendError::Permanent(format!("A Meta recusou a mensagem ({code}): {msg}")),
    };
    (err, false)
}

#[derive(Clone)]
pub struct MetaGateway {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: MetaConfig,
    http: reqwest::Client,
    events: OnceLock<Weak<dyn GatewayEvents>>,
    /// Each user's session as this process knows it.
    users: Mutex<HashMap<i64, ConnectionState>>,
    /// Bumped by every connect and stop: a background retry of an older one gives up.
    generation: AtomicU64,
}

impl Inner {
    fn listener(&self) -> Option<Arc<dyn GatewayEvents>> {
        self.events.get().and_then(Weak::upgrade)
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}/{path}", self.cfg.graph_url, self.cfg.api_version)
    }

    fn set(&self, usuario: i64, state: ConnectionState) {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        users.insert(usuario, state);
    }

    fn get(&self, usuario: i64) -> Option<ConnectionState> {
        let users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        users.get(&usuario).copied()
    }

    async fn call(
        &self,
        rb: reqwest::RequestBuilder,
        max: usize,
    ) -> std::result::Result<(u16, Value), String> {
        let resp = rb
            .bearer_auth(self.cfg.access_token.expose())
            .timeout(CALL_TIMEOUT)
            .send()
            .await
            .map_err(|e| format!("Graph API inacessível: {}", e.without_url()))?;
        let status = resp.status().as_u16();
        let bytes = read_bounded(resp, max)
            .await
            .ok_or_else(|| "resposta da Graph API grande demais".to_string())?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// `Ok(())` when the token may use the phone number, else why not (and whether trying
    /// again later may help: Meta unreachable or failing, not a refusal).
    async fn check(&self) -> std::result::Result<(), Refused> {
        let url = format!(
            "{}?fields=id,display_phone_number,verified_name",
            self.url(&self.cfg.phone_number_id)
        );
        let rb = self.http.get(url);
        let (st, v) = self
            .call(rb, ANSWER_MAX_BYTES)
            .await
            .map_err(|reason| Refused {
                reason,
                retry: true,
            })?;
        if (200..300).contains(&st) {
            return Ok(());
        }
        let e = GraphError::of(st, &v);
        Err(if e.token_invalid() {
            Refused {
                reason: TOKEN_INVALID.to_string(),
                retry: false,
            }
        } else {
            Refused {
                reason: format!("A Meta recusou as credenciais ({}): {}", e.code, e.message),
                retry: st >= 500,
            }
        })
    }

    /// The credential check of `connect`: `ready`, or `error` told to the user.
    async fn connect(&self, r: SessionRef) -> std::result::Result<ConnectionState, Refused> {
        let listener = self.listener();
        match self.check().await {
            Ok(()) => {
                self.set(r.usuario, SessionStatus::Ready);
                if let Some(l) = &listener {
                    l.connection_changed(r.usuario, SessionStatus::Connecting, None)
                        .await;
                    l.connection_changed(r.usuario, SessionStatus::Ready, None)
                        .await;
                }
                Ok(SessionStatus::Ready)
            }
            Err(refused) => {
                self.set(r.usuario, SessionStatus::Error);
                if let Some(l) = &listener {
                    l.connection_failed(r.usuario, refused.reason.clone()).await;
                }
                Err(refused)
            }
        }
    }

    /// Checks again by `backoff` until the check passes, is refused for good, or a newer
    /// connect or stop supersedes it.
    async fn keep_checking(self: Arc<Self>, r: SessionRef, backoff: Backoff, generation: u64) {
        for n in 1u32.. {
            tokio::time::sleep(backoff.delay(n)).await;
            if self.generation.load(Ordering::SeqCst) != generation {
                return;
            }
            match self.connect(r).await {
                Err(Refused { retry: true, .. }) => continue,
                _ => return,
            }
        }
    }

    /// The token was refused: every session of this process is in error, and every live one
    /// is told (the handler writes the rows).
    async fn token_lost(&self) {
        {
            let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
            for s in users.values_mut() {
                *s = SessionStatus::Error;
            }
        }
        if let Some(l) = self.listener() {
            l.gateway_lost(TOKEN_INVALID.to_string(), false).await;
        }
    }
}

impl MetaGateway {
    pub fn new(cfg: MetaConfig, http: reqwest::Client) -> Self {
        Self {
            inner: Arc::new(Inner {
                cfg,
                http,
                events: OnceLock::new(),
                users: Mutex::new(HashMap::new()),
                generation: AtomicU64::new(0),
            }),
        }
    }

    /// Where connection changes are reported (set once, at wiring; held weakly).
    pub fn bind(&self, events: &Arc<dyn GatewayEvents>) {
        let _ = self.inner.events.set(Arc::downgrade(events));
    }
}

/// The `messages` body of `m`.
fn message_body(m: &OutboundMessage) -> Value {
    let mut body = json!({"messaging_product": "whatsapp", "recipient_type": "individual",
                          "to": m.to});
    match &m.content {
        Content::Text(t) => {
            body["type"] = json!("text");
            body["text"] = json!({"preview_url": false, "body": t});
        }
        Content::Media { kind, url, caption } => {
            let kind = match kind {
                MessageType::Image => "image",
                MessageType::Audio => "audio",
                MessageType::Video => "video",
                _ => "document",
            };
            let mut media = json!({"link": url});
            if kind != "audio" && !caption.is_empty() {
                media["caption"] = json!(caption);
            }
            if kind == "document" {
                let path = url.split(['?', '#']).next().unwrap_or("");
                let name = path.rsplit('/').next().unwrap_or("").trim();
                media["filename"] = json!(if name.is_empty() { "documento" } else { name });
            }
            body["type"] = json!(kind);
            body[kind] = media;
        }
    }
    body
}

#[async_trait]
impl WhatsAppGateway for MetaGateway {
    async fn connect(&self, r: SessionRef) -> Result<ConnectionState> {
        if self.inner.get(r.usuario) == Some(SessionStatus::Ready) {
            return Ok(SessionStatus::Ready);
        }
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        Ok(self.inner.connect(r).await.unwrap_or(SessionStatus::Error))
    }

    async fn reconnect(&self, r: SessionRef, backoff: Backoff) -> Result<ConnectionState> {
        let generation = self.inner.generation.fetch_add(1, Ordering::SeqCst) + 1;
        match self.inner.connect(r).await {
            Ok(s) => Ok(s),
            Err(refused) => {
                if refused.retry {
                    tokio::spawn(self.inner.clone().keep_checking(r, backoff, generation));
                }
                Ok(SessionStatus::Error)
            }
        }
    }

    async fn disconnect(&self, r: SessionRef) -> Result<()> {
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        self.inner.set(r.usuario, SessionStatus::Disconnected);
        if let Some(l) = self.inner.listener() {
            l.connection_changed(r.usuario, SessionStatus::Disconnected, None)
                .await;
        }
        Ok(())
    }

    async fn state(&self, r: SessionRef) -> ConnectionState {
        if let Some(s) = self.inner.get(r.usuario) {
            return s;
        }
        // A session row that says it is live (resynchronized at start-up) is resumed while
        // the token is valid; the legacy endpoints (no row) start disconnected.
        if r.session.is_none() {
            return SessionStatus::Disconnected;
        }
        let s = match self.inner.check().await {
            Ok(()) => SessionStatus::Ready,
            Err(_) => SessionStatus::Error,
        };
        self.inner.set(r.usuario, s);
        s
    }

    async fn send(
        &self,
        r: SessionRef,
        m: &OutboundMessage,
    ) -> std::result::Result<String, SendError> {
        if self.inner.get(r.usuario) != Some(SessionStatus::Ready) {
            return Err(SendError::NotConnected);
        }
        let path = format!("{}/messages", self.inner.cfg.phone_number_id);
        let rb = self
            .inner
            .http
            .post(self.inner.url(&path))
            .json(&message_body(m));
        let (st, v) = self
            .inner
            .call(rb, ANSWER_MAX_BYTES)
            .await
            .map_err(SendError::Transient)?;
        if (200..300).contains(&st) {
            return v["messages"][0]["id"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .ok_or_else(|| {
                    SendError::Permanent("A Meta aceitou a mensagem sem devolver o id".into())
                });
        }
        let (err, token_lost) = send_error(&GraphError::of(st, &v));
        if token_lost {
            self.inner.token_lost().await;
        }
        Err(err)
    }

    async fn fetch_media(&self, _r: SessionRef, media: &MediaRef) -> Result<FetchedMedia> {
        let unavailable = DomainError::Unavailable;
        let rb = self.inner.http.get(self.inner.url(&media.provider_ref));
        let (st, v) = self
            .inner
            .call(rb, ANSWER_MAX_BYTES)
            .await
            .map_err(unavailable)?;
        if !(200..300).contains(&st) {
            let e = GraphError::of(st, &v);
            return Err(unavailable(format!(
                "A Meta não entregou a mídia ({}): {}",
                e.code, e.message
            )));
        }
        let url = v["url"].as_str().unwrap_or("").to_string();
        let mime = v["mime_type"].as_str().unwrap_or("").to_string();
        let resp = self
            .inner
            .http
            .get(url)
            .bearer_auth(self.inner.cfg.access_token.expose())
            .timeout(MEDIA_TIMEOUT)
            .send()
            .await
            .map_err(|e| unavailable(format!("download da mídia falhou: {}", e.without_url())))?;
        if !resp.status().is_success() {
            return Err(unavailable(format!(
                "download da mídia respondeu {}",
                resp.status().as_u16()
            )));
        }
        let bytes = read_bounded(resp, MEDIA_MAX_BYTES)
            .await
            .ok_or_else(|| unavailable("mídia grande demais".into()))?;
        Ok(FetchedMedia {
            bytes,
            mime_type: mime,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(http: u16, code: i64) -> GraphError {
        GraphError::of(
            http,
            &json!({"error": {"message": "m", "type": "OAuthException", "code": code,
                              "error_data": {"messaging_product": "whatsapp", "details": "d"},
                              "fbtrace_id": "x"}}),
        )
    }

    #[test]
    fn graph_errors_map_to_retries_failures_and_token_loss() {
        for code in [130429, 131056] {
            assert!(matches!(
                send_error(&err(400, code)).0,
                SendError::Transient(_)
            ));
        }
        assert_eq!(send_error(&err(401, 190)), (SendError::NotConnected, true));
        match send_error(&err(400, 131047)).0 {
            SendError::Permanent(m) => assert!(m.contains("template") && m.contains("131047")),
            other => panic!("{other:?}"),
        }
        match send_error(&err(400, 131026)).0 {
            SendError::Permanent(m) => assert!(m.contains("131026")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            send_error(&err(500, 0)).0,
            SendError::Transient(_)
        ));
        assert!(matches!(
            send_error(&err(400, 100)).0,
            SendError::Permanent(_)
        ));
        assert_eq!(err(400, 100).message, "d");
    }

    #[test]
    fn message_bodies_follow_the_cloud_api() {
        let text = OutboundMessage {
            message_id: "m".into(),
            to: "5511987654321".into(),
            content: Content::Text("Olá!".into()),
        };
        assert_eq!(
            message_body(&text),
            json!({"messaging_product": "whatsapp", "recipient_type": "individual",
                   "to": "5511987654321", "type": "text",
                   "text": {"preview_url": false, "body": "Olá!"}})
        );
        let doc = OutboundMessage {
            message_id: "m".into(),
            to: "5511987654321".into(),
            content: Content::Media {
                kind: MessageType::Document,
                url: "https://files.example.com/contrato.pdf".into(),
                caption: "Seu contrato".into(),
            },
        };
        assert_eq!(
            message_body(&doc)["document"],
            json!({"link": "https://files.example.com/contrato.pdf", "caption": "Seu contrato",
                   "filename": "contrato.pdf"})
        );
        let audio = OutboundMessage {
            message_id: "m".into(),
            to: "5511987654321".into(),
            content: Content::Media {
                kind: MessageType::Audio,
                url: "https://x/a.ogg".into(),
                caption: "ignored".into(),
            },
        };
        assert_eq!(
            message_body(&audio)["audio"],
            json!({"link": "https://x/a.ogg"})
        );
    }
}
