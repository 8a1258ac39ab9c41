//! WebSocket load generator for DX Connect.
//!
//! Three modes drive a running server's sockets (`hold`, `fanout`, `sustained`, see [`modes`]),
//! and an HTTP request load ([`load`]: `http`, `webhook`, `send`) counts every answer exactly;
//! a small fake server ([`fake`]) speaking the same wire format checks the measurements. Results are
//! [`Report`]s: one `key=value` line per figure, for bench scripts.

pub mod fake;
pub mod frame;
pub mod http;
pub mod load;
pub mod modes;
pub mod proc;
pub mod stats;
pub mod ws;

use std::fmt::Display;
use std::net::SocketAddr;
use std::time::Instant;

/// The server under test, from `--base http://host:port`.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// `host:port` for the `Host` header.
    pub host: String,
}

impl Target {
    pub async fn parse(base: &str) -> Result<Self, String> {
        let rest = base
            .strip_prefix("http://")
            .ok_or_else(|| format!("--base must start with http:// (got {base})"))?;
        let host = rest.trim_end_matches('/').to_string();
        if host.contains('/') {
            return Err(format!("--base takes no path (got {base})"));
        }
        let with_port = if host
            .rsplit(':')
            .next()
            .is_some_and(|p| p.parse::<u16>().is_ok())
        {
            host.clone()
        } else {
            format!("{host}:80")
        };
        let addr = tokio::net::lookup_host(&with_port)
            .await
            .map_err(|e| format!("cannot resolve {with_port}: {e}"))?
            .next()
            .ok_or_else(|| format!("{with_port} resolves to nothing"))?;
        Ok(Self { addr, host })
    }

    pub fn from_addr(addr: SocketAddr) -> Self {
        Self {
            addr,
            host: addr.to_string(),
        }
    }
}

/// Ordered `key=value` figures.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub lines: Vec<(String, String)>,
}

impl Report {
    pub fn push(&mut self, key: &str, value: impl Display) {
        self.lines.push((key.to_string(), value.to_string()));
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.lines
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A figure parsed as a number (tests and scripts).
    pub fn num(&self, key: &str) -> f64 {
        self.get(key)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no numeric {key} in report"))
    }

    pub fn extend(&mut self, other: &Report) {
        self.lines.extend(other.lines.iter().cloned());
    }

    pub fn print(&self) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for (k, v) in &self.lines {
            let _ = writeln!(out, "{k}={v}");
        }
        let _ = out.flush();
    }
}

/// Monotonic nanoseconds since the start of a run, shareable between tasks as a `u64`.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base: Instant,
}

impl Clock {
    pub fn new() -> Self {
        Self {
            base: Instant::now(),
        }
    }

    pub fn now(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}

/// A prefix unique to this run, so that the server's `message_id` de-duplication never
/// swallows an event of a later run.
pub fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}{:x}", std::process::id(), nanos % (1 << 48))
}
