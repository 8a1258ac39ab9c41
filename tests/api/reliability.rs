//! Crash safety: the real server binary, as a child process, under a bounded concurrent write
//! load, is SIGKILLed mid-load and restarted on the same database; every write it had
//! acknowledged (201) must be there. SQLite by default, a fresh PostgreSQL schema when
//! `TEST_DATABASE_URL` is set (the same database choice as the in-process harness).

use crate::common::database_url;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, Notify};

/// Concurrent writers.
const WRITERS: usize = 8;
/// The server is killed once this many writes were acknowledged (the writers keep going).
const KILL_AFTER_ACKS: usize = 1_000;
/// Each writer stops after this many attempts (bounds the load if the kill never came).
const MAX_WRITES_PER_WRITER: usize = 500;

/// The server process; killed (SIGKILL) when dropped, so a failing test leaves no server.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Starts the server binary on `database_url` and waits until `/api/v1/health/` answers.
pub(crate) async fn start(
    database_url: &str,
    dir: &Path,
    run: usize,
    http: &Client,
    extra_env: &[(&str, &str)],
) -> Server {
    let port = free_port();
    let log = std::fs::File::create(dir.join(format!("server-{run}.log"))).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_dx-connect-under-test"))
        .arg("serve")
        .current_dir(dir)
        .env("DATABASE_URL", database_url)
        .env("BIND", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DJANGO_SECRET_KEY", "reliability-secret-key")
        .env("MEDIA_ROOT", dir.join("media"))
        .env("DX_DATA_DIR", dir)
        .env("CEP_PROVIDER", "offline")
        .env("WORKERS", "2")
        .env("RUST_LOG", "warn")
        .env_remove("DX_ADMIN_PASSWORD")
        .envs(extra_env.iter().copied())
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("spawn the server binary");
    let mut server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    // Start-up (migrations, seeding) takes a moment: poll readiness, bounded.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http
            .get(format!("{}/api/v1/health/", server.base))
            .send()
            .await
            && r.status() == StatusCode::OK
        {
            return server;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!(
                "the server exited at start-up ({status}): {}",
                log_of(dir, run)
            );
        }
        assert!(
            Instant::now() < deadline,
            "the server did not start: {}",
            log_of(dir, run)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn log_of(dir: &Path, run: usize) -> String {
    std::fs::read_to_string(dir.join(format!("server-{run}.log"))).unwrap_or_default()
}

pub(crate) async fn login(http: &Client, base: &str) -> String {
    let r = http
        .post(format!("{base}/api/v1/auth/token/"))
        .json(&json!({"username": "admin", "password": "admin123"}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::OK, "login");
    let v: Value = r.json().await.expect("json");
    v["access"].as_str().expect("access").to_string()
}

/// Every cliente id → razao_social, read page by page.
async fn all_clientes(http: &Client, base: &str, token: &str) -> BTreeMap<i64, String> {
    let mut out = BTreeMap::new();
    let mut next = Some(format!(
        "{base}/api/v1/clientes/?page_size=100&ordering=criado_em"
    ));
    while let Some(url) = next {
        let r = http
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .expect("list");
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let v: Value = r.json().await.expect("json");
        for c in v["results"].as_array().expect("results") {
            out.insert(
                c["id"].as_i64().expect("id"),
                c["razao_social"]
                    .as_str()
                    .expect("razao_social")
                    .to_string(),
            );
        }
        next = v["next"].as_str().map(str::to_string);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = database_url(&dir).await;
    let http = crate::common::client_builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");

    let mut server = start(&url, dir.path(), 1, &http, &[]).await;
    let token = login(&http, &server.base).await;

    let load_started = Instant::now();
    let acked: Arc<Mutex<Vec<(i64, String)>>> = Arc::default();
    let count = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(Notify::new());
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let (http, base, token) = (http.clone(), server.base.clone(), token.clone());
        let (acked, count, enough) = (acked.clone(), count.clone(), enough.clone());
        writers.push(tokio::spawn(async move {
            for i in 0..MAX_WRITES_PER_WRITER {
                let razao = format!("Carga {w}-{i}");
                let sent = http
                    .post(format!("{base}/api/v1/clientes/"))
                    .bearer_auth(&token)
                    .json(&json!({"razao_social": razao}))
                    .send()
                    .await;
                // Once the server is gone every request fails: this writer was cut off.
                let Ok(r) = sent else { return true };
                if r.status() != StatusCode::CREATED {
                    // An answer other than 201 is no acknowledgement; the server must not
                    // refuse valid writes under load either.
                    let status = r.status();
                    if status.is_server_error() || status.is_client_error() {
                        panic!(
                            "write {razao}: {status} {}",
                            r.text().await.unwrap_or_default()
                        );
                    }
                    continue;
                }
                let Ok(v) = r.json::<Value>().await else {
                    // Killed while the body was on its way: not acknowledged.
                    return true;
                };
                let id = v["id"].as_i64().expect("id");
                assert_eq!(v["razao_social"], razao.as_str());
                acked.lock().await.push((id, razao));
                if count.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER_ACKS {
                    enough.notify_one();
                }
            }
            false
        }));
    }

    // SIGKILL as soon as enough writes were acknowledged, while the writers are still sending.
    tokio::time::timeout(Duration::from_secs(30), enough.notified())
        .await
        .expect("the write load never reached the kill point");
    server.child.kill().expect("SIGKILL");
    let status = server.child.wait().expect("wait");
    assert!(!status.success(), "killed, not exited: {status}");
    let mut cut_off = 0;
    for w in writers {
        cut_off += usize::from(w.await.expect("writer"));
    }
    assert!(cut_off > 0, "the kill came after the load, not during it");
    let acked = std::mem::take(&mut *acked.lock().await);
    assert!(acked.len() >= KILL_AFTER_ACKS, "{} acks", acked.len());
    eprintln!(
        "reliability: {} writes acknowledged in {:?} before SIGKILL",
        acked.len(),
        load_started.elapsed()
    );
    drop(server);

    // Restart on the same database: every acknowledged write is there, unchanged.
    let server = start(&url, dir.path(), 2, &http, &[]).await;
    let token = login(&http, &server.base).await;
    let stored = all_clientes(&http, &server.base, &token).await;
    let lost: Vec<&(i64, String)> = acked
        .iter()
        .filter(|(id, razao)| stored.get(id) != Some(razao))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged writes lost, e.g. {:?}",
        lost.len(),
        acked.len(),
        &lost[..lost.len().min(5)]
    );
    // The restarted server takes writes again.
    let r = http
        .post(format!("{}/api/v1/clientes/", server.base))
        .bearer_auth(&token)
        .json(&json!({"razao_social": "Depois do reinício"}))
        .send()
        .await
        .expect("write after restart");
    assert_eq!(r.status(), StatusCode::CREATED);
}
