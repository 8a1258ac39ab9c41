//! HTTP request load (`ws-load http`, `webhook`, `send`): N keep-alive connections, each
//! looping request → response until the deadline. Unlike wrk, a connection stops *issuing* at
//! the deadline but waits for the response of its request in flight, so `ok_2xx` is exactly
//! the number of requests the server answered with 2xx (and can be compared with what it
//! stored). A request is never retried: a transport error is counted once in `errors`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::http::HttpClient;
use crate::{Report, Target, proc, run_id, stats};

/// The placeholder replaced in the body by an id unique to each request of the run.
pub const ID: &str = "{id}";
/// In a body, one of [`HttpLoadOpts::chats`] values (six digits), request after request.
pub const CHAT: &str = "{chat}";

#[derive(Debug, Clone)]
pub struct HttpLoadOpts {
    pub target: Target,
    pub method: String,
    /// Path with its query string.
    pub path: String,
    /// JSON body; every [`ID`] in it becomes `<run id>-<n>`, distinct for every request.
    pub body: String,
    /// Sent as `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// More headers, the same on every request.
    pub headers: Vec<(String, String)>,
    /// Signs each request's body into a header (a gateway webhook's signature).
    pub sign: Option<Signing>,
    pub connections: usize,
    /// How long requests are issued.
    pub duration: Duration,
    /// After the deadline, how long a request already in flight may still take; one still
    /// unanswered then is counted in `abandoned` (its outcome is unknown).
    pub drain_timeout: Duration,
    /// Also report this process's CPU time over the run (the server under test).
    pub server_pid: Option<u32>,
    /// How many distinct values [`CHAT`] takes.
    pub chats: u64,
}

/// `header: sha256=<hex of HMAC-SHA256(key, body)>`, computed for every request (Meta's
/// `X-Hub-Signature-256`), so the server's signature check is part of what is measured.
#[derive(Debug, Clone)]
pub struct Signing {
    pub header: String,
    pub key: Vec<u8>,
}

impl Signing {
    pub fn line(&self, body: &str) -> String {
        use hmac::{KeyInit, Mac};
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(body.as_bytes());
        format!(
            "{}: sha256={}\r\n",
            self.header,
            hex::encode(mac.finalize().into_bytes())
        )
    }
}

#[derive(Default)]
struct ConnResult {
    requests: u64,
    ok: u64,
    statuses: BTreeMap<u16, u64>,
    errors: u64,
    abandoned: u64,
    connects: u64,
    latencies: Vec<u64>,
    first_problem: Option<String>,
}

pub async fn http_load(o: &HttpLoadOpts) -> Result<Report, String> {
    if o.connections == 0 {
        return Err("--connections must be at least 1".into());
    }
    let prefix = format!("{}-", run_id());
    let mut headers = o
        .token
        .as_ref()
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    for (k, v) in &o.headers {
        headers.push_str(&format!("{k}: {v}\r\n"));
    }
    let counter = Arc::new(AtomicU64::new(0));
    let self_cpu0 = proc::cpu_secs(std::process::id());
    let server_cpu0 = o.server_pid.and_then(proc::cpu_secs);
    let start = Instant::now();
    let deadline = start + o.duration;
    let hard_deadline = deadline + o.drain_timeout;
    let last_response = Arc::new(AtomicU64::new(0));

    let mut tasks = Vec::with_capacity(o.connections);
    for _ in 0..o.connections {
        let (o, prefix, headers) = (o.clone(), prefix.clone(), headers.clone());
        let (counter, last_response) = (counter.clone(), last_response.clone());
        tasks.push(tokio::spawn(async move {
            let mut client = HttpClient::new(&o.target);
            let mut r = ConnResult::default();
            let templated = o.body.contains(ID) || o.body.contains(CHAT);
            while Instant::now() < deadline {
                let body = if templated {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    o.body
                        .replace(ID, &format!("{prefix}{n}"))
                        .replace(CHAT, &format!("{:06}", n % o.chats))
                } else {
                    o.body.clone()
                };
                if !client.is_connected() {
                    r.connects += 1;
                }
                r.requests += 1;
                let t0 = Instant::now();
                let wait = hard_deadline
                    .saturating_duration_since(t0)
                    .max(o.drain_timeout);
                let signed;
                let all_headers = match &o.sign {
                    Some(sign) => {
                        signed = format!("{headers}{}", sign.line(&body));
                        &signed
                    }
                    None => &headers,
                };
                let sent = client.send_once(&o.method, &o.path, all_headers, &body);
                match tokio::time::timeout(wait, sent).await {
                    Ok(Ok((status, resp))) => {
                        let now = Instant::now();
                        r.latencies.push(now.duration_since(t0).as_nanos() as u64);
                        last_response.fetch_max(
                            now.duration_since(start).as_nanos() as u64,
                            Ordering::Relaxed,
                        );
                        if (200..300).contains(&status) {
                            r.ok += 1;
                        } else {
                            *r.statuses.entry(status).or_default() += 1;
                            r.first_problem.get_or_insert_with(|| {
                                format!("HTTP {status}: {}", String::from_utf8_lossy(&resp))
                            });
                        }
                    }
                    Ok(Err(e)) => {
                        r.errors += 1;
                        r.first_problem.get_or_insert_with(|| e.to_string());
                    }
                    Err(_) => {
                        r.abandoned += 1;
                        r.first_problem
                            .get_or_insert_with(|| "no response before the drain timeout".into());
                        break;
                    }
                }
            }
            r
        }));
    }

    let mut all = ConnResult::default();
    let mut latencies = Vec::new();
    for t in tasks {
        let r = t.await.map_err(|e| format!("connection task: {e}"))?;
        all.requests += r.requests;
        all.ok += r.ok;
        all.errors += r.errors;
        all.abandoned += r.abandoned;
        all.connects += r.connects;
        for (s, n) in r.statuses {
            *all.statuses.entry(s).or_default() += n;
        }
        if all.first_problem.is_none() {
            all.first_problem = r.first_problem;
        }
        latencies.extend(r.latencies);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let answered_secs = (last_response.load(Ordering::Relaxed) as f64 / 1e9).max(1e-9);
    if let Some(p) = &all.first_problem {
        eprintln!("ws-load: first problem: {p}");
    }
    let non_2xx: u64 = all.statuses.values().sum();

    let mut report = Report::default();
    report.push("mode", "http");
    report.push("method", &o.method);
    report.push("path", &o.path);
    report.push("connections", o.connections);
    report.push("secs", format!("{:.3}", o.duration.as_secs_f64()));
    report.push("requests", all.requests);
    report.push("ok_2xx", all.ok);
    report.push("non_2xx", non_2xx);
    for (s, n) in &all.statuses {
        report.push(&format!("status_{s}"), n);
    }
    report.push("errors", all.errors);
    report.push("abandoned", all.abandoned);
    report.push("connects", all.connects);
    // Answered requests per second, over the time until the last answer.
    report.push(
        "rps",
        format!("{:.1}", (all.ok + non_2xx) as f64 / answered_secs),
    );
    report.push("ok_rps", format!("{:.1}", all.ok as f64 / answered_secs));
    report.push("elapsed_secs", format!("{elapsed:.3}"));
    report.push("answered_secs", format!("{answered_secs:.3}"));
    stats::latency(&mut report, "latency", latencies);
    if let (Some(a), Some(b)) = (self_cpu0, proc::cpu_secs(std::process::id())) {
        report.push("generator_cpu_secs", format!("{:.2}", b - a));
        report.push(
            "generator_cpu_pct",
            format!("{:.0}", 100.0 * (b - a) / elapsed),
        );
    }
    if let (Some(pid), Some(a)) = (o.server_pid, server_cpu0)
        && let Some(b) = proc::cpu_secs(pid)
    {
        report.push("server_cpu_secs", format!("{:.2}", b - a));
        report.push(
            "server_cpu_pct",
            format!("{:.0}", 100.0 * (b - a) / elapsed),
        );
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::Signing;

    #[test]
    fn signatures_are_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        let s = Signing {
            header: "X-Hub-Signature-256".into(),
            key: b"Jefe".to_vec(),
        };
        assert_eq!(
            s.line("what do ya want for nothing?"),
            "X-Hub-Signature-256: sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843\r\n"
        );
    }
}
