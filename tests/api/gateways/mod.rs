//! Black-box tests of the real gateways: the server binary runs with
//! `WHATSAPP_GATEWAY=evolution` or `meta` (configured by environment, as in production)
//! against the fakes of `crate::fakes`; real HTTP and WebSocket clients talk to it.

mod evolution;
mod evolution_session;
mod meta;
mod meta_errors;

use crate::common::{client_builder, database_url};
use futures_util::StreamExt;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The server binary, killed when dropped.
pub struct Server {
    pub base: String,
    pub http: Client,
    pub token: String,
    child: Child,
    pub dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the binary on `port` with `env` on a fresh database; logs in as admin.
    pub async fn boot(port: u16, env: &[(&str, String)]) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = database_url(&dir).await;
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_dx-connect-under-test"))
            .arg("serve")
            .current_dir(dir.path())
            .env("DATABASE_URL", url)
            .env("BIND", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("DJANGO_SECRET_KEY", "gateway-tests-secret-key")
            .env("MEDIA_ROOT", dir.path().join("media"))
            .env("DX_DATA_DIR", dir.path())
            .env("CEP_PROVIDER", "offline")
            .env("WORKERS", "2")
            .env("RUST_LOG", "warn")
            .env_remove("DX_ADMIN_PASSWORD")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("spawn the server");
        let http = client_builder().build().expect("client");
        let mut server = Server {
            base: format!("http://127.0.0.1:{port}"),
            http,
            token: String::new(),
            child,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = server.http.get(server.url("/api/v1/health/")).send().await
                && r.status() == StatusCode::OK
            {
                break;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server exited ({status}): {}", server.log());
            }
            assert!(Instant::now() < deadline, "no start: {}", server.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server.token = server.login("admin", "admin123").await;
        server
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let (s, v) = self
            .call(
                Method::POST,
                "/api/v1/auth/token/",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(s, 200, "login {username}: {v}");
        v["access"].as_str().expect("access").to_string()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut rb = self.http.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// As admin.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, Some(&self.token), None).await
    }

    /// As admin.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(&self.token), Some(body))
            .await
    }

    /// Polls `path` (as admin) until `pred` holds for its body (bounded), and returns it.
    pub async fn until(&self, path: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (s, v) = self.get(path).await;
            if s == 200 && pred(&v) {
                return v;
            }
            assert!(Instant::now() < deadline, "{path} never matched: {s} {v}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The admin's messages of `chat_id`, newest first.
    pub async fn messages_of(&self, chat_id: &str) -> Vec<Value> {
        let (s, v) = self
            .get(&format!(
                "/api/v1/whatsapp/messages/?chat_id={chat_id}&page_size=100"
            ))
            .await;
        assert_eq!(s, 200, "{v}");
        v["results"].as_array().cloned().unwrap_or_default()
    }

    /// The stored message with `message_id`.
    pub async fn message(&self, message_id: &str) -> Value {
        let (s, v) = self.get("/api/v1/whatsapp/messages/?page_size=100").await;
        assert_eq!(s, 200);
        let id = v["results"]
            .as_array()
            .and_then(|l| l.iter().find(|m| m["message_id"] == message_id))
            .map(|m| m["id"].as_i64().unwrap_or(0))
            .unwrap_or_else(|| panic!("no message {message_id}: {v}"));
        self.get(&format!("/api/v1/whatsapp/messages/{id}/"))
            .await
            .1
    }

    pub async fn socket(&self, token: &str) -> Socket {
        let url = format!(
            "{}/ws/atendimento/?token={token}",
            self.base.replace("http://", "ws://")
        );
        let tcp = tokio::net::TcpStream::connect(self.base.trim_start_matches("http://"))
            .await
            .expect("tcp");
        let (ws, _) = tokio_tungstenite::client_async(url, tcp)
            .await
            .expect("handshake");
        Socket { ws }
    }
}

pub struct Socket {
    ws: tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>,
}

impl Socket {
    pub async fn next(&mut self) -> Value {
        // Pings do not extend the wait: a frame that never comes fails the test in time.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let m = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("a frame in time")
                .expect("open")
                .expect("frame");
            if let Message::Text(t) = m {
                return serde_json::from_str(&t).expect("json");
            }
        }
    }

    /// Frames until the one `pred` picks (inclusive).
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

    /// The next `session_status` with `status`, and every frame before it.
    pub async fn status(&mut self, status: &str) -> Vec<Value> {
        self.until(|v| v["type"] == "session_status" && v["status"] == status)
            .await
    }

    /// The next v1 / intake event named `event`.
    pub async fn event(&mut self, event: &str) -> Value {
        self.until(|v| v["event"] == event)
            .await
            .pop()
            .expect("frame")
    }
}

/// Bytes of a stored media file, fetched through the signed link a message carries.
pub async fn fetch_signed(http: &Client, link: &str) -> (u16, Vec<u8>) {
    let r = http.get(link).send().await.expect("media");
    let status = r.status().as_u16();
    (
        status,
        r.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
    )
}
