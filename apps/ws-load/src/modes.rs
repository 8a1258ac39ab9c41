//! The three load modes. Each returns a [`Report`].
//!
//! * [`hold`]: opens N authenticated sockets (optionally over U users), answers nothing,
//!   keeps them open until Ctrl-C or `secs`.
//! * [`fanout`]: N sockets of one user; R times a webhook `message_received` is POSTed and the
//!   time from sending the request to each socket receiving the frame with that `message_id`
//!   is measured.
//! * [`sustained`]: N sockets of one user plus one sender socket that sends `inject_incoming`
//!   frames at the rate that makes the `message_received` frames reaching the N sockets total
//!   `rate` events/s; counts every frame per socket by `message_id`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::frame::{Incoming, seq};
use crate::http::{HttpClient, login};
use crate::ws::{Ws, connect, connect_many};
use crate::{Clock, Report, Target, run_id, stats};

/// Options every mode takes.
#[derive(Debug, Clone)]
pub struct Common {
    pub target: Target,
    /// WebSocket path, `/ws/whatsapp/` by default.
    pub path: String,
    pub username: String,
    pub password: String,
    /// Handshakes in flight at once.
    pub concurrency: usize,
}

/// Reads text frames into `on_text` until `stop` turns true (returns false) or the server
/// closes the socket (returns true).
async fn read_until_stopped(
    ws: &mut Ws,
    stop: &mut watch::Receiver<bool>,
    mut on_text: impl FnMut(&str),
) -> bool {
    loop {
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => return false,
            msg = ws.next() => match msg {
                Some(Ok(Message::Text(t))) => on_text(t.as_str()),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return true,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// What one reading socket saw.
struct SocketResult {
    latencies: Vec<u64>,
    received: usize,
    duplicates: usize,
    closed_by_server: bool,
}

/// Send times and per-sequence delivery counts shared by the driver and the readers.
struct Track {
    clock: Clock,
    prefix: String,
    sent: Vec<AtomicU64>,
    counts: Vec<AtomicUsize>,
    received: AtomicU64,
    last_arrival: AtomicU64,
}

impl Track {
    fn new(prefix: String, total: usize) -> Arc<Self> {
        Arc::new(Self {
            clock: Clock::new(),
            prefix,
            sent: (0..total).map(|_| AtomicU64::new(0)).collect(),
            counts: (0..total).map(|_| AtomicUsize::new(0)).collect(),
            received: AtomicU64::new(0),
            last_arrival: AtomicU64::new(0),
        })
    }

    fn mark_sent(&self, k: usize) -> u64 {
        let now = self.clock.now();
        self.sent[k].store(now, Ordering::Release);
        now
    }
}

/// Spawns a reader per socket counting `message_received` frames of this run by sequence.
fn spawn_readers(
    sockets: Vec<Ws>,
    track: &Arc<Track>,
    stop: &watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<SocketResult>> {
    sockets
        .into_iter()
        .map(|mut ws| {
            let track = Arc::clone(track);
            let mut stop = stop.clone();
            tokio::spawn(async move {
                let total = track.sent.len();
                let mut seen = vec![false; total];
                let (mut latencies, mut received, mut duplicates) = (Vec::new(), 0, 0);
                let closed_by_server = read_until_stopped(&mut ws, &mut stop, |text| {
                    let now = track.clock.now();
                    let Some(frame) = Incoming::parse(text) else {
                        return;
                    };
                    let Some(k) = frame.received_id().and_then(|id| seq(id, &track.prefix)) else {
                        return;
                    };
                    if k >= total {
                        return;
                    }
                    if seen[k] {
                        duplicates += 1;
                        return;
                    }
                    seen[k] = true;
                    received += 1;
                    latencies.push(now.saturating_sub(track.sent[k].load(Ordering::Acquire)));
                    track.counts[k].fetch_add(1, Ordering::AcqRel);
                    track.received.fetch_add(1, Ordering::Relaxed);
                    track.last_arrival.fetch_max(now, Ordering::Relaxed);
                })
                .await;
                if !closed_by_server {
                    let _ = ws.close(None).await;
                }
                SocketResult {
                    latencies,
                    received,
                    duplicates,
                    closed_by_server,
                }
            })
        })
        .collect()
}

/// Joins the readers and adds `expected`, `received`, `lost`, `duplicates`,
/// `closed_by_server` and the latency figures.
async fn collect(
    report: &mut Report,
    readers: Vec<tokio::task::JoinHandle<SocketResult>>,
    expected: usize,
) -> usize {
    let (mut received, mut duplicates, mut closed) = (0, 0, 0);
    let mut latencies = Vec::with_capacity(expected);
    for r in readers {
        if let Ok(r) = r.await {
            received += r.received;
            duplicates += r.duplicates;
            closed += usize::from(r.closed_by_server);
            latencies.extend(r.latencies);
        }
    }
    report.push("expected", expected);
    report.push("received", received);
    report.push("lost", expected.saturating_sub(received));
    report.push("duplicates", duplicates);
    report.push("closed_by_server", closed);
    stats::latency(report, "latency", latencies);
    received
}

async fn wait_until(deadline: Instant, done: impl Fn() -> bool) -> bool {
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[derive(Debug, Clone)]
pub struct FanoutOpts {
    pub common: Common,
    pub sockets: usize,
    pub rounds: usize,
    /// How long a round waits for every socket before the next one starts.
    pub round_timeout: Duration,
    /// Where the webhook goes, when not to the sockets' server (another instance of a
    /// cluster: the events then cross the shared broker).
    pub trigger: Option<Target>,
}

pub async fn fanout(o: &FanoutOpts) -> Result<Report, String> {
    let c = &o.common;
    let token = login(&c.target, &c.username, &c.password).await?;
    let opened = connect_many(&c.target, &c.path, &[token], o.sockets, c.concurrency).await;
    let mut report = Report::default();
    report.push("mode", "fanout");
    opened.report(&mut report, o.sockets);
    let n = opened.sockets.len();
    if n == 0 {
        report.print();
        return Err("no socket connected".into());
    }
    let track = Track::new(format!("fan-{}-", run_id()), o.rounds);
    let (stop_tx, stop_rx) = watch::channel(false);
    let readers = spawn_readers(
        opened.sockets.into_iter().map(|(_, ws)| ws).collect(),
        &track,
        &stop_rx,
    );

    let mut http = HttpClient::new(o.trigger.as_ref().unwrap_or(&c.target));
    let (mut webhook, mut webhook_errors, mut timeouts) = (Vec::new(), 0usize, 0usize);
    let start = Instant::now();
    for k in 0..o.rounds {
        let body = serde_json::json!({
            "event": "message_received",
            "data": {
                "from": "5511999990000",
                "message": format!("bench {k}"),
                "message_id": format!("{}{k}", track.prefix),
            }
        })
        .to_string();
        let t0 = track.mark_sent(k);
        match http.post_json("/api/v1/whatsapp/webhook/", &body).await {
            Ok((200, _)) => webhook.push(track.clock.now() - t0),
            Ok((status, body)) => {
                webhook_errors += 1;
                if webhook_errors == 1 {
                    eprintln!(
                        "ws-load: webhook HTTP {status}: {}",
                        String::from_utf8_lossy(&body)
                    );
                }
            }
            Err(e) => {
                webhook_errors += 1;
                if webhook_errors == 1 {
                    eprintln!("ws-load: webhook: {e}");
                }
            }
        }
        let deadline = Instant::now() + o.round_timeout;
        if !wait_until(deadline, || track.counts[k].load(Ordering::Acquire) >= n).await {
            timeouts += 1;
        }
    }
    let elapsed = start.elapsed();
    let _ = stop_tx.send(true);
    report.push("rounds", o.rounds);
    report.push("webhook_errors", webhook_errors);
    report.push("round_timeouts", timeouts);
    collect(&mut report, readers, n * o.rounds).await;
    stats::latency(&mut report, "webhook", webhook);
    report.push("elapsed_secs", format!("{:.3}", elapsed.as_secs_f64()));
    Ok(report)
}

#[derive(Debug, Clone)]
pub struct SustainedOpts {
    pub common: Common,
    /// Receiving sockets (the sender is one more).
    pub sockets: usize,
    /// Target `message_received` frames per second across the receiving sockets.
    pub rate: f64,
    pub secs: f64,
    /// How long to wait after the last inject for frames still in flight.
    pub drain: Duration,
}

pub async fn sustained(o: &SustainedOpts) -> Result<Report, String> {
    let c = &o.common;
    let token = login(&c.target, &c.username, &c.password).await?;
    let opened = connect_many(
        &c.target,
        &c.path,
        std::slice::from_ref(&token),
        o.sockets,
        c.concurrency,
    )
    .await;
    let mut report = Report::default();
    report.push("mode", "sustained");
    opened.report(&mut report, o.sockets);
    let sender = connect(&c.target, &c.path, &token)
        .await
        .map_err(|e| format!("sender socket: {e:?}"));
    let n = opened.sockets.len();
    let (sender, n) = match (sender, n) {
        (Ok(s), n) if n > 0 => (s, n),
        (Err(e), _) => {
            report.print();
            return Err(e);
        }
        _ => {
            report.print();
            return Err("no socket connected".into());
        }
    };
    let injects_per_s = (o.rate / n as f64).max(1e-3);
    let total = ((injects_per_s * o.secs).round() as usize).max(1);
    let track = Track::new(format!("sus-{}-", run_id()), total);
    let (stop_tx, stop_rx) = watch::channel(false);
    let readers = spawn_readers(
        opened.sockets.into_iter().map(|(_, ws)| ws).collect(),
        &track,
        &stop_rx,
    );

    // The sender: replies are counted by a reader half while the writer half paces injects.
    let (mut sink, mut stream) = sender.split();
    let successes = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let own_events = Arc::new(AtomicU64::new(0));
    let sender_reader = {
        let (successes, errors, own) = (successes.clone(), errors.clone(), own_events.clone());
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    biased;
                    _ = stop.wait_for(|s| *s) => return,
                    msg = stream.next() => match msg {
                        Some(Ok(Message::Text(t))) => {
                            let Some(f) = Incoming::parse(t.as_str()) else { continue };
                            match f.kind.as_deref() {
                                Some("inject_success") => successes.fetch_add(1, Ordering::Relaxed),
                                Some("inject_error") => errors.fetch_add(1, Ordering::Relaxed),
                                _ if f.received_id().is_some() => own.fetch_add(1, Ordering::Relaxed),
                                _ => 0,
                            };
                        }
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                        Some(Ok(_)) => {}
                    },
                }
            }
        })
    };
    let period = Duration::from_secs_f64(1.0 / injects_per_s);
    let start = tokio::time::Instant::now();
    let first_send = track.clock.now();
    let mut send_errors = 0usize;
    for k in 0..total {
        tokio::time::sleep_until(start + period.mul_f64(k as f64)).await;
        let msg = serde_json::json!({
            "type": "inject_incoming",
            "from": format!("55119999{k}"),
            "payload": { "type": "text", "text": "x", "message_id": format!("{}{k}", track.prefix) },
        })
        .to_string();
        track.mark_sent(k);
        if sink.send(Message::text(msg)).await.is_err() {
            send_errors += 1;
            break;
        }
    }
    let send_secs = start.elapsed().as_secs_f64();
    let expected = total * n;
    // Until every socket has its events and the sender every reply (they travel separately).
    let sent = (total - send_errors.min(total)) as u64;
    wait_until(Instant::now() + o.drain, || {
        track.received.load(Ordering::Relaxed) as usize >= expected
            && successes.load(Ordering::Relaxed) + errors.load(Ordering::Relaxed) >= sent
    })
    .await;
    let _ = stop_tx.send(true);
    let _ = sender_reader.await;
    let _ = sink.close().await;

    report.push("rate_target", o.rate);
    report.push("injects_per_s_target", format!("{injects_per_s:.3}"));
    report.push("injects_sent", total - send_errors.min(total));
    report.push("send_errors", send_errors);
    report.push("send_secs", format!("{send_secs:.3}"));
    report.push("inject_success", successes.load(Ordering::Relaxed));
    report.push("inject_errors", errors.load(Ordering::Relaxed));
    report.push(
        "sender_message_received",
        own_events.load(Ordering::Relaxed),
    );
    let received = collect(&mut report, readers, expected).await;
    let span = track
        .last_arrival
        .load(Ordering::Relaxed)
        .saturating_sub(first_send) as f64
        / 1e9;
    let achieved = if span > 0.0 {
        received as f64 / span
    } else {
        0.0
    };
    report.push("achieved_events_per_s", format!("{achieved:.1}"));
    report.push(
        "achieved_injects_per_s",
        format!("{:.1}", total as f64 / send_secs.max(1e-9)),
    );
    Ok(report)
}

#[derive(Debug, Clone)]
pub struct HoldOpts {
    pub common: Common,
    pub sockets: usize,
    /// Users the sockets are spread over; with more than one, `username` contains `{i}`
    /// (replaced by 1..=users).
    pub users: usize,
    /// Keep the sockets open this long (else until Ctrl-C).
    pub secs: Option<f64>,
}

/// Logs the users in (a few at a time: password hashing is slow on purpose).
async fn logins(c: &Common, users: usize) -> Result<Vec<String>, String> {
    if users <= 1 {
        return Ok(vec![login(&c.target, &c.username, &c.password).await?]);
    }
    if !c.username.contains("{i}") {
        return Err("--users > 1 needs a --username template containing {i}".into());
    }
    let mut tokens = vec![String::new(); users];
    let mut tasks = tokio::task::JoinSet::new();
    let gate = Arc::new(tokio::sync::Semaphore::new(8));
    for i in 0..users {
        let (c, gate) = (c.clone(), gate.clone());
        tasks.spawn(async move {
            let _p = gate.acquire_owned().await;
            let name = c.username.replace("{i}", &(i + 1).to_string());
            (i, login(&c.target, &name, &c.password).await)
        });
    }
    while let Some(r) = tasks.join_next().await {
        let (i, token) = r.map_err(|e| e.to_string())?;
        tokens[i] = token?;
    }
    Ok(tokens)
}

/// `on_connected` gets the connection figures as soon as every socket is open (or failed).
pub async fn hold(o: &HoldOpts, on_connected: impl FnOnce(&Report)) -> Result<Report, String> {
    let c = &o.common;
    let tokens = logins(c, o.users).await?;
    let opened = connect_many(&c.target, &c.path, &tokens, o.sockets, c.concurrency).await;
    let mut report = Report::default();
    report.push("mode", "hold");
    report.push("users", tokens.len());
    opened.report(&mut report, o.sockets);
    on_connected(&report);

    let frames = Arc::new(AtomicU64::new(0));
    let (stop_tx, stop_rx) = watch::channel(false);
    let readers: Vec<_> = opened
        .sockets
        .into_iter()
        .map(|(_, mut ws)| {
            let frames = frames.clone();
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                let closed = read_until_stopped(&mut ws, &mut stop, |_| {
                    frames.fetch_add(1, Ordering::Relaxed);
                })
                .await;
                if !closed {
                    let _ = ws.close(None).await;
                }
                closed
            })
        })
        .collect();
    let start = Instant::now();
    match o.secs {
        Some(s) => {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs_f64(s)) => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        None => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
    let held = start.elapsed();
    let _ = stop_tx.send(true);
    let mut closed = 0;
    for r in readers {
        closed += usize::from(r.await.unwrap_or(true));
    }
    let mut end = Report::default();
    end.push("held_secs", format!("{:.3}", held.as_secs_f64()));
    end.push("frames_received", frames.load(Ordering::Relaxed));
    end.push("closed_by_server", closed);
    report.extend(&end);
    Ok(report)
}
