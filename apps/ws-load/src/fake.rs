//! A fake DX Connect, just enough to check the generator's measurements: login, the webhook,
//! the WebSocket endpoint (403 without a valid token, `ping`, `inject_incoming`), and the
//! fan-out of `message_received` to a user's sockets through the real hub
//! (`adapter-realtime`).
//!
//! Tokens are `fake.<user id>`, one id per user name. The webhook's "session owner" is the
//! user who logged in last. Knobs make it misbehave on purpose, so tests can check that the
//! generator sees it: `drop_every` (each socket skips every k-th event frame), `delay`
//! (added before each event frame is written), `http_delay` (before each webhook and send
//! answer). `POST /api/v1/whatsapp/send/` answers 202 to a valid bearer token, 401 otherwise;
//! [`Counts`] records what was accepted, so tests compare it with the generator's count.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use adapter_realtime::{Delivery, Hub, HubConfig};
use futures_util::{SinkExt, StreamExt};
use kernel::{Audience, Event, EventPublisher};
use parking_lot::Mutex;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};

use crate::http::{Request, read_request};

#[derive(Debug, Clone, Default)]
pub struct FakeOptions {
    /// Required password (any when `None`).
    pub password: Option<String>,
    /// Each socket skips every k-th event frame.
    pub drop_every: Option<u64>,
    /// Delay before each event frame is written.
    pub delay: Option<Duration>,
    /// Delay before each answer to the webhook and to send (so that requests are in flight
    /// when an HTTP load's deadline passes).
    pub http_delay: Option<Duration>,
}

struct State {
    opts: FakeOptions,
    hub: Arc<Hub>,
    users: Mutex<HashMap<String, i64>>,
    owner: AtomicI64,
    counts: Arc<Counts>,
}

/// What the fake server accepted (answered with 2xx), to check an HTTP load's own count.
#[derive(Debug, Default)]
pub struct Counts {
    pub webhooks: AtomicU64,
    /// Distinct webhook `message_id`s.
    pub webhook_ids: Mutex<std::collections::HashSet<String>>,
    pub sends: AtomicU64,
}

pub struct FakeServer {
    pub addr: SocketAddr,
    pub hub: Arc<Hub>,
    pub counts: Arc<Counts>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn start(listen: SocketAddr, opts: FakeOptions) -> std::io::Result<FakeServer> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let hub = Hub::new(HubConfig::default());
    let counts = Arc::new(Counts::default());
    let state = Arc::new(State {
        opts,
        hub: Arc::clone(&hub),
        users: Mutex::new(HashMap::new()),
        owner: AtomicI64::new(0),
        counts: Arc::clone(&counts),
    });
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                let _ = serve(stream, state).await;
            });
        }
    });
    Ok(FakeServer {
        addr,
        hub,
        counts,
        task,
    })
}

async fn respond(stream: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    let text = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(text.as_bytes()).await
}

fn now_iso() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    format!("{secs:.6}")
}

fn message_received(from: &str, text: &str, message_id: &str) -> Event {
    Event::encode(
        "message_received",
        &serde_json::json!({
            "event": "message_received",
            "data": {
                "from": from, "message": text, "message_id": message_id,
                "timestamp": now_iso(), "latency_ms": 0.0,
            },
            "version": "v1",
        }),
    )
}

async fn serve(mut stream: TcpStream, state: Arc<State>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    while let Some(req) = read_request(&mut stream, buf).await? {
        buf = req.rest.clone();
        let path = req.path().to_string();
        match (req.method.as_str(), path.as_str()) {
            ("GET", "/ws/whatsapp/" | "/ws/atendimento/") => {
                return upgrade(stream, req, state).await;
            }
            ("POST", "/api/v1/auth/token/") => {
                let v: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
                let (user, pass) = (v["username"].as_str(), v["password"].as_str());
                match (user, pass) {
                    (Some(u), Some(p)) if state.opts.password.as_deref().is_none_or(|x| x == p) => {
                        let id = {
                            let mut users = state.users.lock();
                            let next = users.len() as i64 + 1;
                            *users.entry(u.to_string()).or_insert(next)
                        };
                        state.owner.store(id, Ordering::Relaxed);
                        let body =
                            serde_json::json!({ "access": format!("fake.{id}"), "refresh": "r" });
                        respond(&mut stream, "200 OK", &body.to_string()).await?;
                    }
                    _ => {
                        let body =
                            r#"{"detail":"No active account found with the given credentials"}"#;
                        respond(&mut stream, "401 Unauthorized", body).await?;
                    }
                }
            }
            ("POST", "/api/v1/whatsapp/webhook/") => {
                let v: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
                let d = &v["data"];
                match (
                    v["event"].as_str(),
                    d["from"].as_str(),
                    d["message"].as_str(),
                ) {
                    (Some("message_received"), Some(from), Some(text)) => {
                        let id = d["message_id"].as_str().unwrap_or("webhook_0").to_string();
                        if let Some(delay) = state.opts.http_delay {
                            tokio::time::sleep(delay).await;
                        }
                        state.counts.webhooks.fetch_add(1, Ordering::Relaxed);
                        state.counts.webhook_ids.lock().insert(id.clone());
                        let owner = state.owner.load(Ordering::Relaxed);
                        state
                            .hub
                            .publish(Audience::User(owner), message_received(from, text, &id));
                        let body = serde_json::json!({ "id": 1, "message_id": id });
                        respond(&mut stream, "200 OK", &body.to_string()).await?;
                    }
                    _ => respond(&mut stream, "400 Bad Request", r#"{"error":"bad"}"#).await?,
                }
            }
            ("POST", "/api/v1/whatsapp/send/") => {
                let user = req
                    .header("authorization")
                    .and_then(|h| h.strip_prefix("Bearer fake."))
                    .and_then(|id| id.parse::<i64>().ok())
                    .filter(|id| *id > 0 && (*id as usize) <= state.users.lock().len());
                if user.is_none() {
                    let body =
                        r#"{"detail":"As credenciais de autenticação não foram fornecidas."}"#;
                    respond(&mut stream, "401 Unauthorized", body).await?;
                    continue;
                }
                if let Some(delay) = state.opts.http_delay {
                    tokio::time::sleep(delay).await;
                }
                let n = state.counts.sends.fetch_add(1, Ordering::Relaxed) + 1;
                let body = serde_json::json!({ "id": n, "status": "pending" });
                respond(&mut stream, "202 Accepted", &body.to_string()).await?;
            }
            _ => respond(&mut stream, "404 Not Found", r#"{"detail":"Not found."}"#).await?,
        }
    }
    Ok(())
}

async fn upgrade(mut stream: TcpStream, req: Request, state: Arc<State>) -> std::io::Result<()> {
    let user = req
        .query("token")
        .and_then(|t| t.strip_prefix("fake."))
        .and_then(|id| id.parse::<i64>().ok())
        .filter(|id| *id > 0 && (*id as usize) <= state.users.lock().len());
    let (Some(user), Some(key)) = (user, req.header("sec-websocket-key")) else {
        return stream
            .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
    };
    let accept = derive_accept_key(key.as_bytes());
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await?;
    let ws = WebSocketStream::from_partially_read(
        stream,
        req.rest,
        Role::Server,
        Some(crate::ws::config()),
    )
    .await;
    socket(ws, user, state).await;
    Ok(())
}

/// The socket loop: hub deliveries out, client messages in.
async fn socket(mut ws: WebSocketStream<TcpStream>, user: i64, state: Arc<State>) {
    let mut sub = state.hub.register(user);
    let mut events = 0u64;
    loop {
        tokio::select! {
            d = sub.recv() => match d {
                Delivery::Frame(f) => {
                    events += 1;
                    if state.opts.drop_every.is_some_and(|k| k > 0 && events.is_multiple_of(k)) {
                        continue;
                    }
                    if let Some(delay) = state.opts.delay {
                        tokio::time::sleep(delay).await;
                    }
                    if ws.send(Message::text(f.to_string())).await.is_err() {
                        return;
                    }
                }
                Delivery::Overflow => {
                    let frame = CloseFrame { code: CloseCode::Again, reason: "too slow".into() };
                    let _ = ws.close(Some(frame)).await;
                    return;
                }
                Delivery::Closed => {
                    let _ = ws.close(None).await;
                    return;
                }
            },
            m = ws.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    let Ok(v) = serde_json::from_str::<serde_json::Value>(t.as_str()) else {
                        continue;
                    };
                    let reply = match v["type"].as_str() {
                        Some("ping") => Some(serde_json::json!({ "type": "pong" })),
                        Some("inject_incoming") => {
                            let from = v["from"].as_str().unwrap_or("5511999999999").to_string();
                            let chat_id = v["chat_id"].as_str().unwrap_or(&from).to_string();
                            let p = &v["payload"];
                            let id = p["message_id"].as_str().unwrap_or("inj_0").to_string();
                            let text = p["text"].as_str().unwrap_or("");
                            state.hub.publish(Audience::User(user), message_received(&from, text, &id));
                            Some(serde_json::json!({
                                "type": "inject_success", "message_id": id, "chat_id": chat_id,
                            }))
                        }
                        _ => None,
                    };
                    if let Some(r) = reply
                        && ws.send(Message::text(r.to_string())).await.is_err()
                    {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
