//! Fakes of the real WhatsApp gateways: small local HTTP servers (actix-web) that speak the
//! providers' wire formats (GATEWAYS.md), check their credentials, record every request and
//! answer in the real shapes, plus drivers that post the providers' webhooks to the server.

pub mod evolution;
pub mod meta;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::Value;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A 1×1 PNG, the first QR code image the fake Evolution shows.
pub const QR_PNG_1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
/// Another 1×1 PNG: the renewed QR code.
pub const QR_PNG_2: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

/// One request a fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What every fake keeps: the requests, in order.
#[derive(Default)]
pub struct Log(Mutex<Vec<Recorded>>);

impl Log {
    pub fn push(&self, r: Recorded) {
        self.0.lock().unwrap().push(r);
    }

    pub fn all(&self) -> Vec<Recorded> {
        self.0.lock().unwrap().clone()
    }

    /// The requests to paths ending with `suffix` (and of `method`).
    pub fn to(&self, method: &str, suffix: &str) -> Vec<Recorded> {
        self.all()
            .into_iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .collect()
    }

    /// Waits (bounded) until `n` requests match, and returns them.
    pub async fn wait_for(&self, method: &str, suffix: &str, n: usize) -> Vec<Recorded> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.to(method, suffix);
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "the fake got {} of {n} {method} …{suffix}: {:?}",
                got.len(),
                self.all()
                    .iter()
                    .map(|r| format!("{} {}", r.method, r.path))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A running fake; stopped when dropped.
pub struct Running {
    pub base: String,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Running {
    fn drop(&mut self) {
        let h = self.handle.clone();
        tokio::spawn(async move { h.stop(false).await });
    }
}

/// Serves `handler` on a free local port: every request is recorded into `log` first.
pub fn serve<F>(log: Arc<Log>, handler: F) -> Running
where
    F: Fn(&Recorded) -> HttpResponse + Clone + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a fake");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let server = HttpServer::new(move || {
        let (log, handler) = (log.clone(), handler.clone());
        App::new()
            .app_data(web::PayloadConfig::new(8 * 1024 * 1024))
            .default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (log, handler) = (log.clone(), handler.clone());
                async move {
                    let rec = Recorded {
                        method: req.method().to_string(),
                        path: req.path().to_string(),
                        query: req.query_string().to_string(),
                        headers: req
                            .headers()
                            .iter()
                            .map(|(k, v)| {
                                (k.as_str().to_string(), v.to_str().unwrap_or("").to_string())
                            })
                            .collect(),
                        body: body.to_vec(),
                        at: Instant::now(),
                    };
                    let resp = handler(&rec);
                    log.push(rec);
                    resp
                }
            }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Running { base, handle }
}

/// A JSON answer with `status`.
pub fn reply(status: u16, body: Value) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status")).json(body)
}
