//! Helpers of the chat and atendimento tests: WebSocket clients that read events up to a
//! barrier, WhatsApp sessions and injected messages, and rows made through the API.
//!
//! "Who does not receive an event" is checked without sleeping: after the action, a
//! [`Barrier`] closes a throwaway chat, whose `chat_closed` goes to every authenticated
//! socket. A socket's frames leave in the order they were published, so an event the action
//! addressed to that socket arrives before the barrier's `chat_closed`.

use crate::common::TestApp;
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// One real WebSocket client on `/ws/atendimento/`.
pub struct Socket(Ws);

impl Socket {
    pub async fn open(app: &TestApp, token: &str) -> Self {
        let addr = app.base.trim_start_matches("http://").to_string();
        let url = format!("ws://{addr}/ws/atendimento/?token={token}");
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (ws, _) = tokio_tungstenite::client_async(url, tcp)
            .await
            .expect("handshake");
        Socket(ws)
    }

    /// The next JSON text frame, waiting at most 15 s.
    pub async fn next(&mut self) -> Value {
        // Pings do not extend the wait: a frame that never comes fails the test in time.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let m = tokio::time::timeout_at(deadline, self.0.next())
                .await
                .expect("a frame in time")
                .expect("socket open")
                .expect("frame");
            match m {
                Message::Text(t) => return serde_json::from_str(&t).expect("json frame"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// Frames up to the first one `pred` picks, which is returned last.
    pub async fn until(&mut self, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let mut seen = Vec::new();
        loop {
            let v = self.next().await;
            let done = pred(&v);
            seen.push(v);
            if done {
                return seen;
            }
        }
    }

    /// The first frame named `event` (an `event` or `type` key), skipping others.
    pub async fn event(&mut self, event: &str) -> Value {
        self.until(|v| name(v) == event)
            .await
            .pop()
            .expect("the event")
    }

    /// Every frame before the barrier `chat_id`'s `chat_closed`.
    pub async fn before(&mut self, barrier: &str) -> Vec<Value> {
        let mut seen = self
            .until(|v| name(v) == "chat_closed" && v["data"]["chat_id"] == barrier)
            .await;
        seen.pop();
        seen
    }
}

/// The frame's name: `event` (v1 and intake envelopes) or `type` (session envelopes).
pub fn name(v: &Value) -> &str {
    v["event"]
        .as_str()
        .or_else(|| v["type"].as_str())
        .unwrap_or("")
}

/// The names of `frames` about `chat_id`.
pub fn about(frames: &[Value], chat_id: &str) -> Vec<String> {
    frames
        .iter()
        .filter(|v| v["data"]["chat_id"] == chat_id)
        .map(|v| name(v).to_string())
        .collect()
}

/// Closes throwaway chats to mark a point in every socket's stream (see the module docs).
/// Its department is inactive, so the chat intake never picks it.
pub struct Barrier {
    departamento: i64,
    cliente: i64,
    next: std::sync::atomic::AtomicUsize,
}

impl Barrier {
    pub async fn new(app: &TestApp) -> Self {
        let departamento = departamento(
            app,
            json!({"nome": "zz barreira", "ativo": false, "descricao": "testes"}),
        )
        .await;
        Self {
            departamento,
            cliente: cliente(app, "Barreira").await,
            next: Default::default(),
        }
    }

    /// Publishes a `chat_closed` to every socket; returns its chat id.
    pub async fn fire(&self, app: &TestApp) -> String {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let chat_id = format!("barreira-{n}");
        let (s, v) = app
            .post(
                "/api/v1/atendimento/atendimentos/",
                &app.admin_token,
                json!({"departamento": self.departamento, "cliente": self.cliente,
                       "chat_id": chat_id, "numero_whatsapp": "0"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, v) = app
            .post(
                &format!("/api/v1/chats/{chat_id}/encerrar/"),
                &app.admin_token,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        chat_id
    }
}

/// Creates a departamento (as admin); returns its id.
pub async fn departamento(app: &TestApp, body: Value) -> i64 {
    let (s, v) = app
        .post("/api/v1/atendimento/departamentos/", &app.admin_token, body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().expect("id")
}

/// Creates a cliente (as admin); returns its id.
pub async fn cliente(app: &TestApp, razao_social: &str) -> i64 {
    let (s, v) = app
        .post(
            "/api/v1/clientes/",
            &app.admin_token,
            json!({"razao_social": razao_social}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().expect("id")
}

/// Starts `token`'s WhatsApp session (ready at once: the harness runs the simulator fast).
pub async fn session(app: &TestApp, token: &str) {
    let (s, v) = app
        .post("/api/v1/whatsapp/sessions/start/", token, json!({}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["status"], "ready", "{v}");
}

/// An inbound text message for `from` through `POST /whatsapp/inject-incoming/`.
pub async fn inject(app: &TestApp, token: &str, from: &str, text: &str) -> Value {
    inject_id(app, token, from, text, None).await
}

pub async fn inject_id(
    app: &TestApp,
    token: &str,
    from: &str,
    text: &str,
    message_id: Option<&str>,
) -> Value {
    let (s, v) = app
        .post(
            "/api/v1/whatsapp/inject-incoming/",
            token,
            json!({"from": from, "payload": {"type": "text", "text": text,
                   "contact_name": format!("Contato {from}"), "message_id": message_id}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// An inbound message through the public webhook (to the latest ready session).
pub async fn webhook(app: &TestApp, from: &str, text: &str) -> Value {
    let (s, v) = app
        .anon_post(
            "/api/v1/whatsapp/webhook/",
            json!({"event": "message_received", "version": "v1",
                   "data": {"from": from, "message": text, "contact_name": format!("Contato {from}")}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// `GET /chats/{chat_id}/` as `token`.
pub async fn chat(app: &TestApp, token: &str, chat_id: &str) -> Value {
    let (s, v) = app.get(&format!("/api/v1/chats/{chat_id}/"), token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// `POST /chats/{chat_id}/aceitar/` as `token`, which must succeed.
pub async fn aceitar(app: &TestApp, token: &str, chat_id: &str) -> Value {
    let (s, v) = app
        .post(
            &format!("/api/v1/chats/{chat_id}/aceitar/"),
            token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// A waiting chat of `from`, opened by an inbound message; returns its atendimento id.
pub async fn waiting_chat(app: &TestApp, from: &str) -> i64 {
    inject(app, &app.admin_token, from, "Olá").await;
    chat(app, &app.admin_token, from).await["id"]
        .as_i64()
        .expect("id")
}

/// The `results` of a paginated list (the whole first page of up to 100).
pub async fn results(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (s, v) = app.get(&format!("{path}{sep}page_size=100"), token).await;
    assert_eq!(s, StatusCode::OK, "{path}: {v}");
    v["results"].as_array().expect("results").clone()
}

/// DRF's standard messages.
pub const REQUIRED: &str = "Este campo é obrigatório.";
pub const INTEGER: &str = "Um número inteiro válido é exigido.";

/// The `id`s of `list`, in order.
pub fn ids(list: &[Value]) -> Vec<i64> {
    list.iter().map(|v| v["id"].as_i64().unwrap()).collect()
}

/// A model datetime: São Paulo offset, with microseconds.
pub fn is_local(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.ends_with("-03:00") && s.contains('.'))
}

/// A filter's invalid-choice error list.
pub fn choice_error(v: &str) -> Value {
    json!([format!(
        "Faça uma escolha válida. {v} não é uma das escolhas disponíveis."
    )])
}

/// A POST (as admin) that must be refused with 400; returns the body.
pub async fn bad(app: &TestApp, path: &str, body: Value) -> Value {
    let (s, v) = app.post(path, &app.admin_token, body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    v
}
