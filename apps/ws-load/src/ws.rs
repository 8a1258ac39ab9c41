//! Opening many authenticated sockets.

use std::sync::Arc;

use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::{Report, Target};

pub type Ws = WebSocketStream<TcpStream>;

/// Small buffers: many mostly idle sockets (tungstenite's defaults are 128 KiB each).
pub fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
}

#[derive(Debug)]
pub enum ConnectError {
    /// The handshake was answered with this HTTP status (403 = token refused).
    Refused(u16),
    Failed(String),
}

/// Opens one socket at `path?token=<token>`.
pub async fn connect(target: &Target, path: &str, token: &str) -> Result<Ws, ConnectError> {
    let tcp = TcpStream::connect(target.addr)
        .await
        .map_err(|e| ConnectError::Failed(e.to_string()))?;
    let _ = tcp.set_nodelay(true);
    let url = format!("ws://{}{path}?token={token}", target.host);
    match tokio_tungstenite::client_async_with_config(url.as_str(), tcp, Some(config())).await {
        Ok((ws, _)) => Ok(ws),
        Err(WsError::Http(resp)) => Err(ConnectError::Refused(resp.status().as_u16())),
        Err(e) => Err(ConnectError::Failed(e.to_string())),
    }
}

/// The sockets opened by [`connect_many`] (socket `i` used token `i % tokens.len()`) and
/// the failures.
pub struct Opened {
    pub sockets: Vec<(usize, Ws)>,
    pub refused: usize,
    pub failed: usize,
    pub secs: f64,
}

impl Opened {
    pub fn report(&self, report: &mut Report, requested: usize) {
        report.push("sockets", requested);
        report.push("connected", self.sockets.len());
        report.push("refused", self.refused);
        report.push("failed", self.refused + self.failed);
        report.push("connect_secs", format!("{:.3}", self.secs));
    }
}

/// Opens `n` sockets, at most `concurrency` handshakes at a time.
pub async fn connect_many(
    target: &Target,
    path: &str,
    tokens: &[String],
    n: usize,
    concurrency: usize,
) -> Opened {
    let start = std::time::Instant::now();
    let gate = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (target, path) = (target.clone(), path.to_string());
        let token = tokens[i % tokens.len()].clone();
        let gate = Arc::clone(&gate);
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            (i, connect(&target, &path, &token).await)
        });
    }
    let mut opened = Opened {
        sockets: Vec::with_capacity(n),
        refused: 0,
        failed: 0,
        secs: 0.0,
    };
    let mut first_error = None;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((i, Ok(ws))) => opened.sockets.push((i, ws)),
            Ok((_, Err(ConnectError::Refused(status)))) => {
                opened.refused += 1;
                first_error.get_or_insert(format!("handshake refused: HTTP {status}"));
            }
            Ok((_, Err(ConnectError::Failed(e)))) => {
                opened.failed += 1;
                first_error.get_or_insert(e);
            }
            Err(e) => {
                opened.failed += 1;
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    if let Some(e) = first_error {
        eprintln!("ws-load: first connection error: {e}");
    }
    opened.sockets.sort_by_key(|(i, _)| *i);
    opened.secs = start.elapsed().as_secs_f64();
    opened
}
