//! Evolution API v2 (EvolutionAPI/evolution-api 2.3): one instance (`EVOLUTION_INSTANCE`)
//! shared by every user's session, paired by QR code.
//!
//! - `connect`: creates the instance if it does not exist (with our webhook and its secret
//!   header), else re-registers the webhook; an open instance is `ready` at once, otherwise
//!   the QR code is fetched and relayed (`qrcode` with the real PNG). What follows — renewed
//!   QR codes, `open`, a `close` — arrives through the webhook ([`payload`]).
//! - `disconnect`: logs the instance out (`DELETE /instance/logout`), for every session.
//! - `reconnect`: restarts the instance and connects; if Evolution cannot be reached, retries
//!   in the background by the backoff until it can, or until a newer connect or stop.
//! - `send`: `sendText`, `sendMedia` (image, video, document by URL), `sendWhatsAppAudio`;
//!   the returned `key.id` is the provider id its `messages.update` acks name. A 429 or a 5xx
//!   is transient (retried with backoff), an instance that is not connected waits for it.
//! - `fetch_media`: `getBase64FromMediaMessage` by the message's key id.
//!
//! Every call carries the `apikey` header; no secret is ever logged.

pub mod payload;

use crate::config::EvolutionConfig;
use crate::http::{CALL_TIMEOUT, MEDIA_MAX_BYTES, MEDIA_TIMEOUT, read_bounded, strip_data_url};
use async_trait::async_trait;
use base64::Engine;
use kernel::{DomainError, Result};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use whatsapp::commands::Content;
use whatsapp::ports::{
    Backoff, FetchedMedia, GatewayEvents, MediaRef, OutboundMessage, SendError, SessionRef,
    WhatsAppGateway,
};
use whatsapp::{ConnectionState, MessageType, SessionStatus};

/// Largest JSON answer read from Evolution (QR codes, message records).
const ANSWER_MAX_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct EvolutionGateway {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: EvolutionConfig,
    http: reqwest::Client,
    events: OnceLock<Weak<dyn GatewayEvents>>,
    /// Bumped by every connect and stop: a background reconnect of an older one gives up.
    generation: AtomicU64,
}

/// What `GET /instance/connect` says.
enum Pairing {
    Qr(String),
    Open,
    Pending,
}

/// The message of an Evolution error body (`{"response":{"message":[…]}}`), or its `error`.
fn error_text(v: &Value) -> String {
    match v.get("response").and_then(|r| r.get("message")) {
        Some(Value::Array(a)) => a
            .iter()
            .map(|m| match m {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Some(Value::String(s)) => s.clone(),
        _ => v
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    }
}

fn unavailable(msg: String) -> DomainError {
    DomainError::Unavailable(msg)
}

fn state_of(remote: &str) -> ConnectionState {
    match remote {
        "open" => SessionStatus::Ready,
        "connecting" => SessionStatus::Connecting,
        "refused" => SessionStatus::Error,
        _ => SessionStatus::Disconnected,
    }
}

/// The last path segment of a URL, as the file name of a document.
fn file_name_of(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let name = path.rsplit('/').next().unwrap_or("").trim();
    if name.is_empty() {
        "documento".to_string()
    } else {
        name.to_string()
    }
}

impl Inner {
    fn listener(&self) -> Option<Arc<dyn GatewayEvents>> {
        self.events.get().and_then(Weak::upgrade)
    }

    async fn report(&self, usuario: i64, state: ConnectionState, qr: Option<String>) {
        if let Some(l) = self.listener() {
            l.connection_changed(usuario, state, qr).await;
        }
    }

    fn bump(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn path(&self, route: &str) -> String {
        format!("{}{route}/{}", self.cfg.url, self.cfg.instance)
    }

    /// One call; `Err` only when Evolution could not be reached (or answered nothing).
    async fn call(
        &self,
        method: Method,
        url: String,
        body: Option<Value>,
        max: usize,
    ) -> std::result::Result<(u16, Value), String> {
        let timeout = if max > ANSWER_MAX_BYTES {
            MEDIA_TIMEOUT
        } else {
            CALL_TIMEOUT
        };
        let mut rb = self
            .http
            .request(method, url)
            .header("apikey", self.cfg.api_key.expose())
            .timeout(timeout);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| format!("Evolution API inacessível: {}", e.without_url()))?;
        let status = resp.status().as_u16();
        let bytes = read_bounded(resp, max)
            .await
            .ok_or_else(|| "resposta da Evolution API grande demais".to_string())?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    fn webhook(&self) -> Value {
        json!({
            "enabled": true,
            "url": self.cfg.webhook_url,
            "byEvents": false,
            "base64": false,
            "headers": {"X-Webhook-Secret": self.cfg.webhook_secret.expose()},
            "events": payload::EVENTS,
        })
    }

    /// The instance's state, creating it (with our webhook) when it does not exist; a QR
    /// code when creating it produced one.
    async fn ensure_instance(&self) -> Result<(String, Option<String>)> {
        let (st, v) = self
            .call(
                Method::GET,
                self.path("/instance/connectionState"),
                None,
                ANSWER_MAX_BYTES,
            )
            .await
            .map_err(unavailable)?;
        match st {
            200..=299 => {
                let state = v["instance"]["state"]
                    .as_str()
                    .unwrap_or("close")
                    .to_string();
                let (st, v) = self
                    .call(
                        Method::POST,
                        self.path("/webhook/set"),
                        Some(json!({"webhook": self.webhook()})),
                        ANSWER_MAX_BYTES,
                    )
                    .await
                    .map_err(unavailable)?;
                if !(200..300).contains(&st) {
                    return Err(unavailable(format!(
                        "Evolution API recusou o webhook ({st}): {}",
                        error_text(&v)
                    )));
                }
                Ok((state, None))
            }
            404 => {
                let body = json!({
                    "instanceName": self.cfg.instance,
                    "integration": "WHATSAPP-BAILEYS",
                    "qrcode": true,
                    "groupsIgnore": true,
                    "webhook": self.webhook(),
                });
                let url = format!("{}/instance/create", self.cfg.url);
                let (st, v) = self
                    .call(Method::POST, url, Some(body), ANSWER_MAX_BYTES)
                    .await
                    .map_err(unavailable)?;
                if !(200..300).contains(&st) {
                    return Err(unavailable(format!(
                        "Evolution API não criou a instância ({st}): {}",
                        error_text(&v)
                    )));
                }
                let state = v["instance"]["status"]
                    .as_str()
                    .unwrap_or("connecting")
                    .to_string();
                let qr = v["qrcode"]["base64"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .map(|s| strip_data_url(s).to_string());
                Ok((state, qr))
            }
            401 | 403 => Err(unavailable(format!(
                "A Evolution API recusou a apikey ({st})"
            ))),
            _ => Err(unavailable(format!(
                "Evolution API respondeu {st}: {}",
                error_text(&v)
            ))),
        }
    }

    async fn pairing(&self) -> Result<Pairing> {
        let (st, v) = self
            .call(
                Method::GET,
                self.path("/instance/connect"),
                None,
                ANSWER_MAX_BYTES,
            )
            .await
            .map_err(unavailable)?;
        if !(200..300).contains(&st) {
            return Err(unavailable(format!(
                "Evolution API não iniciou a conexão ({st}): {}",
                error_text(&v)
            )));
        }
        if let Some(b64) = v["base64"].as_str().filter(|s| !s.is_empty()) {
            return Ok(Pairing::Qr(strip_data_url(b64).to_string()));
        }
        Ok(if v["instance"]["state"].as_str() == Some("open") {
            Pairing::Open
        } else {
            Pairing::Pending
        })
    }

    /// The connection flow of `connect` and `reconnect`.
    async fn connect(&self, r: SessionRef) -> Result<ConnectionState> {
        let (state, qr) = self.ensure_instance().await?;
        let u = r.usuario;
        self.report(u, SessionStatus::Connecting, None).await;
        let pairing = match (state.as_str(), qr) {
            ("open", _) => Pairing::Open,
            (_, Some(qr)) => Pairing::Qr(qr),
            _ => self.pairing().await?,
        };
        Ok(match pairing {
            Pairing::Open => {
                self.report(u, SessionStatus::Ready, None).await;
                SessionStatus::Ready
            }
            Pairing::Qr(qr) => {
                self.report(u, SessionStatus::Qrcode, Some(qr)).await;
                SessionStatus::Qrcode
            }
            Pairing::Pending => SessionStatus::Connecting,
        })
    }

    async fn reconnect_once(&self, r: SessionRef) -> Result<ConnectionState> {
        // A closed instance refuses a restart (400); connecting is what it needs then.
        self.call(
            Method::POST,
            self.path("/instance/restart"),
            None,
            ANSWER_MAX_BYTES,
        )
        .await
        .map_err(unavailable)?;
        self.connect(r).await
    }

    /// Retries by `backoff` until a try succeeds or a newer connect or stop supersedes it.
    async fn keep_reconnecting(self: Arc<Self>, r: SessionRef, backoff: Backoff, generation: u64) {
        for n in 1u32.. {
            tokio::time::sleep(backoff.delay(n)).await;
            if self.generation.load(Ordering::SeqCst) != generation {
                return;
            }
            match self.reconnect_once(r).await {
                Ok(_) => return,
                Err(e) => {
                    if let Some(l) = self.listener() {
                        l.connection_failed(r.usuario, e.to_string()).await;
                    }
                }
            }
        }
    }
}

impl EvolutionGateway {
    pub fn new(cfg: EvolutionConfig, http: reqwest::Client) -> Self {
        Self {
            inner: Arc::new(Inner {
                cfg,
                http,
                events: OnceLock::new(),
                generation: AtomicU64::new(0),
            }),
        }
    }

    /// Where connection changes are reported (set once, at wiring; held weakly).
    pub fn bind(&self, events: &Arc<dyn GatewayEvents>) {
        let _ = self.inner.events.set(Arc::downgrade(events));
    }
}

/// Maps an answer of a send endpoint to the provider id or a [`SendError`].
fn send_outcome(st: u16, v: &Value) -> std::result::Result<String, SendError> {
    let text = error_text(v);
    let lower = text.to_ascii_lowercase();
    match st {
        200..=299 => v["key"]["id"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                SendError::Permanent("A Evolution API aceitou a mensagem sem devolver o id".into())
            }),
        429 => Err(SendError::Transient(
            "limite de envio da Evolution API (429)".into(),
        )),
        500..=599 => Err(SendError::Transient(format!(
            "Evolution API respondeu {st}: {text}"
        ))),
        401 | 403 => Err(SendError::Permanent(format!(
            "A Evolution API recusou a apikey ({st})"
        ))),
        404 => Err(SendError::NotConnected),
        _ if lower.contains("connection closed") || lower.contains("not connected") => {
            Err(SendError::NotConnected)
        }
        _ if v.to_string().contains("\"exists\":false") => {
            Err(SendError::Permanent("O número não tem WhatsApp".into()))
        }
        _ => Err(SendError::Permanent(format!(
            "A Evolution API recusou a mensagem ({st}): {text}"
        ))),
    }
}

#[async_trait]
impl WhatsAppGateway for EvolutionGateway {
    async fn connect(&self, r: SessionRef) -> Result<ConnectionState> {
        self.inner.bump();
        self.inner.connect(r).await
    }

    async fn disconnect(&self, r: SessionRef) -> Result<()> {
        self.inner.bump();
        match self
            .inner
            .call(
                Method::DELETE,
                self.inner.path("/instance/logout"),
                None,
                ANSWER_MAX_BYTES,
            )
            .await
        {
            // 400: the instance was not connected; 404: it does not exist. Both are stopped.
            Ok((200..=299 | 400 | 404, _)) => {}
            Ok((st, v)) => {
                tracing::warn!(status = st, error = %error_text(&v), "evolution logout refused");
            }
            Err(e) => tracing::warn!(error = %e, "evolution logout failed"),
        }
        self.inner
            .report(r.usuario, SessionStatus::Disconnected, None)
            .await;
        if let Some(l) = self.inner.listener() {
            l.gateway_state(SessionStatus::Disconnected, None).await;
        }
        Ok(())
    }

    async fn state(&self, _r: SessionRef) -> ConnectionState {
        match self
            .inner
            .call(
                Method::GET,
                self.inner.path("/instance/connectionState"),
                None,
                ANSWER_MAX_BYTES,
            )
            .await
        {
            Ok((200..=299, v)) => state_of(v["instance"]["state"].as_str().unwrap_or("close")),
            Ok((404, _)) => SessionStatus::Disconnected,
            Ok(_) | Err(_) => SessionStatus::Error,
        }
    }

    async fn reconnect(&self, r: SessionRef, backoff: Backoff) -> Result<ConnectionState> {
        let generation = self.inner.bump();
        match self.inner.reconnect_once(r).await {
            Ok(s) => Ok(s),
            Err(e) => {
                if let Some(l) = self.inner.listener() {
                    l.connection_failed(r.usuario, e.to_string()).await;
                }
                tokio::spawn(self.inner.clone().keep_reconnecting(r, backoff, generation));
                Ok(SessionStatus::Error)
            }
        }
    }

    async fn send(
        &self,
        _r: SessionRef,
        m: &OutboundMessage,
    ) -> std::result::Result<String, SendError> {
        let (route, body) = match &m.content {
            Content::Text(t) => ("/message/sendText", json!({"number": m.to, "text": t})),
            Content::Media {
                kind: MessageType::Audio,
                url,
                ..
            } => (
                "/message/sendWhatsAppAudio",
                json!({"number": m.to, "audio": url}),
            ),
            Content::Media { kind, url, caption } => {
                let mediatype = match kind {
                    MessageType::Image => "image",
                    MessageType::Video => "video",
                    _ => "document",
                };
                let mut body = json!({"number": m.to, "mediatype": mediatype, "media": url,
                                      "caption": caption});
                if mediatype == "document" {
                    body["fileName"] = json!(file_name_of(url));
                }
                ("/message/sendMedia", body)
            }
        };
        let (st, v) = self
            .inner
            .call(
                Method::POST,
                self.inner.path(route),
                Some(body),
                ANSWER_MAX_BYTES,
            )
            .await
            .map_err(SendError::Transient)?;
        send_outcome(st, &v)
    }

    async fn fetch_media(&self, _r: SessionRef, media: &MediaRef) -> Result<FetchedMedia> {
        let body = json!({"message": {"key": {"id": media.provider_ref}}, "convertToMp4": false});
        let (st, v) = self
            .inner
            .call(
                Method::POST,
                self.inner.path("/chat/getBase64FromMediaMessage"),
                Some(body),
                MEDIA_MAX_BYTES / 3 * 4 + ANSWER_MAX_BYTES,
            )
            .await
            .map_err(unavailable)?;
        if !(200..300).contains(&st) {
            return Err(unavailable(format!(
                "Evolution API não entregou a mídia ({st}): {}",
                error_text(&v)
            )));
        }
        let b64 = v["base64"].as_str().unwrap_or("");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(strip_data_url(b64).trim())
            .map_err(|_| unavailable("mídia da Evolution API ilegível".into()))?;
        Ok(FetchedMedia {
            bytes,
            mime_type: v["mimetype"].as_str().unwrap_or("").to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_answers_map_to_provider_ids_and_errors() {
        let ok = json!({"key": {"remoteJid": "5511987654321@s.whatsapp.net", "fromMe": true,
                                "id": "3EB0C7"}, "status": "PENDING"});
        assert_eq!(send_outcome(201, &ok), Ok("3EB0C7".into()));
        assert!(matches!(
            send_outcome(429, &json!({})),
            Err(SendError::Transient(_))
        ));
        assert!(matches!(
            send_outcome(503, &json!({})),
            Err(SendError::Transient(_))
        ));
        assert!(matches!(
            send_outcome(401, &json!({})),
            Err(SendError::Permanent(_))
        ));
        assert_eq!(send_outcome(404, &json!({})), Err(SendError::NotConnected));
        let closed = json!({"status": 400, "error": "Bad Request",
                            "response": {"message": ["Connection Closed"]}});
        assert_eq!(send_outcome(400, &closed), Err(SendError::NotConnected));
        let missing = json!({"status": 400, "error": "Bad Request", "response": {"message":
            [{"exists": false, "jid": "5511900000000@s.whatsapp.net", "number": "5511900000000"}]}});
        assert_eq!(
            send_outcome(400, &missing),
            Err(SendError::Permanent("O número não tem WhatsApp".into()))
        );
        assert!(matches!(
            send_outcome(201, &json!({})),
            Err(SendError::Permanent(_))
        ));
    }

    #[test]
    fn remote_states_and_file_names() {
        assert_eq!(state_of("open"), SessionStatus::Ready);
        assert_eq!(state_of("connecting"), SessionStatus::Connecting);
        assert_eq!(state_of("close"), SessionStatus::Disconnected);
        assert_eq!(state_of("refused"), SessionStatus::Error);
        assert_eq!(
            file_name_of("https://x/docs/contrato.pdf?sig=1"),
            "contrato.pdf"
        );
        assert_eq!(file_name_of("https://x/"), "documento");
    }
}
