//! Test harness: boots the real server on a free port with its own database (SQLite file in a
//! temp dir, or a fresh PostgreSQL schema when `TEST_DATABASE_URL` is set).

use dx_connect_server::config::Config;
use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::Path;

/// Every test client starts here: reqwest is built without a TLS provider of its own, so the
/// process-wide one (rustls with ring) is installed first.
pub fn client_builder() -> reqwest::ClientBuilder {
    dx_connect_server::install_tls_provider();
    Client::builder()
}

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub _dir: tempfile::TempDir,
    pub admin_token: String,
    /// Stops the server (and its tasks) when the test is done with it.
    pub shutdown: dx_connect_server::Shutdown,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

pub async fn database_url(dir: &tempfile::TempDir) -> String {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
    {
        Some(url) => {
            use sea_orm::ConnectionTrait;
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            let db = sea_orm::Database::connect(&url)
                .await
                .expect("connect postgres");
            db.execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                .await
                .expect("create schema");
            db.close().await.ok();
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}options=-c%20search_path%3D{schema}")
        }
        None => format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
    }
}

pub fn config(database_url: String, dir: &Path) -> Config {
    Config {
        database_url,
        bind: "127.0.0.1".into(),
        port: 0,
        secret_key: Some("test-secret-key".into()),
        access_ttl_secs: 300,
        refresh_ttl_secs: 86_400,
        cors_origins: vec!["http://localhost:5173".into()],
        media_root: dir.join("media"),
        admin_password: None,
        workers: Some(2),
        cep_provider: Some("offline".into()),
        data_dir: dir.to_path_buf(),
        config_crypto_key: None,
        list_cache: true,
        body_timeout: std::time::Duration::from_secs(30),
        max_connections: None,
        trusted_proxies: Default::default(),
        whatsapp_step: std::time::Duration::ZERO,
        whatsapp_gateway: Default::default(),
        outbox: true,
        ws_queue: 1024,
        ws_ping: std::time::Duration::from_secs(20),
        auto_close_every: std::time::Duration::from_secs(60),
        auto_close_timeout: None,
        presence_check: std::time::Duration::from_secs(60),
        presence_timeout: std::time::Duration::from_secs(120),
        metrics_bind: None,
        redis_url: None,
        redis_prefix: "dxconnect".into(),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = config(database_url(&dir).await, dir.path());
    tweak(&mut cfg);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let app = dx_connect_server::Application::build_with_listener(cfg, listener)
        .await
        .expect("start");
    let shutdown = app.shutdown();
    tokio::spawn(app.run_until_stopped());
    let client = client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut app = TestApp {
        base: format!("http://127.0.0.1:{port}"),
        client,
        _dir: dir,
        admin_token: String::new(),
        shutdown,
    };
    app.admin_token = app.login("admin", "admin123").await;
    app
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Names of the files stored under `MEDIA_ROOT/dir`, sorted.
    pub fn media_files(&self, dir: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self._dir.path().join("media").join(dir))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self
            .client
            .post(self.url("/api/v1/auth/token/"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), StatusCode::OK, "login {username}");
        let v: Value = r.json().await.expect("json");
        v["access"].as_str().expect("access").to_string()
    }

    /// Sends a JSON request with an optional bearer token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut rb = self.client.request(method, self.url(path));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        rb.send().await.expect("request")
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        read(self.call(Method::GET, path, Some(token), None).await).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        read(self.call(Method::POST, path, Some(token), Some(body)).await).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        read(self.call(Method::PUT, path, Some(token), Some(body)).await).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        read(
            self.call(Method::PATCH, path, Some(token), Some(body))
                .await,
        )
        .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> (StatusCode, Value) {
        read(self.call(Method::DELETE, path, Some(token), None).await).await
    }

    pub async fn anon_post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        read(self.call(Method::POST, path, None, Some(body)).await).await
    }

    /// A multipart POST: status and JSON body.
    pub async fn multipart(
        &self,
        path: &str,
        token: &str,
        form: reqwest::multipart::Form,
    ) -> (StatusCode, Value) {
        read(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Creates an agent (as admin) and returns (id, access token).
    pub async fn agent(&self, username: &str, extra: Value) -> (i64, String) {
        let mut body =
            json!({"username": username, "password": "senha-forte-1", "display_name": username});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        let (s, v) = self
            .post("/api/v1/authz/agents/", &self.admin_token, body)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        (
            v["id"].as_i64().expect("id"),
            self.login(username, "senha-forte-1").await,
        )
    }
}

/// Status and JSON body (Null for empty bodies).
pub async fn read(r: Response) -> (StatusCode, Value) {
    let s = r.status();
    let text = r.text().await.unwrap_or_default();
    (s, serde_json::from_str(&text).unwrap_or(Value::Null))
}
