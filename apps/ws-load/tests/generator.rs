//! The generator against its fake server: the figures it prints are the ones that happened,
//! including loss and latency the fake injects on purpose.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ws_load::fake::{self, FakeOptions, FakeServer};
use ws_load::http::{HttpClient, login};
use ws_load::load::{self, HttpLoadOpts};
use ws_load::modes::{self, Common, FanoutOpts, HoldOpts, SustainedOpts};
use ws_load::ws::connect_many;
use ws_load::{Report, Target};

async fn server(opts: FakeOptions) -> FakeServer {
    fake::start("127.0.0.1:0".parse().unwrap(), opts)
        .await
        .unwrap()
}

fn common(s: &FakeServer) -> Common {
    Common {
        target: Target::from_addr(s.addr),
        path: "/ws/whatsapp/".into(),
        username: "bench".into(),
        password: "pw".into(),
        concurrency: 32,
    }
}

fn check(r: &Report, pairs: &[(&str, f64)]) {
    for (k, v) in pairs {
        assert_eq!(r.num(k), *v, "{k} in {r:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_counts_every_delivery_of_every_round() {
    let s = server(FakeOptions::default()).await;
    let r = modes::fanout(&FanoutOpts {
        common: common(&s),
        sockets: 20,
        rounds: 10,
        round_timeout: Duration::from_secs(5),
        trigger: None,
    })
    .await
    .unwrap();
    check(
        &r,
        &[
            ("connected", 20.0),
            ("failed", 0.0),
            ("expected", 200.0),
            ("received", 200.0),
            ("lost", 0.0),
            ("duplicates", 0.0),
            ("webhook_errors", 0.0),
            ("round_timeouts", 0.0),
        ],
    );
    assert!(r.num("latency_max_ms") > 0.0);
    assert!(r.num("latency_p50_ms") <= r.num("latency_p99_ms"));
    assert!(
        eventually(|| s.hub.socket_count() == 0).await,
        "sockets closed at the end"
    );
}

/// Polls `cond` for up to 5 s (server-side effects follow the client's by a moment).
async fn eventually(cond: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !cond() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_reports_the_frames_the_server_drops_and_its_delay() {
    // Each socket skips its 3rd, 6th and 9th event; every frame is written 20 ms late.
    let s = server(FakeOptions {
        drop_every: Some(3),
        delay: Some(Duration::from_millis(20)),
        ..FakeOptions::default()
    })
    .await;
    let r = modes::fanout(&FanoutOpts {
        common: common(&s),
        sockets: 5,
        rounds: 9,
        round_timeout: Duration::from_millis(1000),
        trigger: None,
    })
    .await
    .unwrap();
    check(
        &r,
        &[("expected", 45.0), ("received", 30.0), ("lost", 15.0)],
    );
    // The three rounds with dropped frames must time out; on a loaded machine a slow round
    // may too, so only the lower bound is exact.
    assert!(r.num("round_timeouts") >= 3.0, "{r:#?}");
    assert!(r.num("latency_p50_ms") >= 20.0, "{r:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sustained_counts_each_socket_by_message_id_at_the_asked_rate() {
    let s = server(FakeOptions::default()).await;
    let r = modes::sustained(&SustainedOpts {
        common: common(&s),
        sockets: 10,
        rate: 2000.0,
        secs: 1.0,
        drain: Duration::from_secs(5),
    })
    .await
    .unwrap();
    // 2000 events/s over 10 sockets = 200 injects/s for 1 s.
    check(
        &r,
        &[
            ("connected", 10.0),
            ("injects_sent", 200.0),
            ("inject_success", 200.0),
            ("inject_errors", 0.0),
            ("expected", 2000.0),
            ("received", 2000.0),
            ("lost", 0.0),
        ],
    );
    // The sender's own copy of the event may still be on its way when the last reply is in
    // (the two travel separately): not counted exactly.
    let own = r.num("sender_message_received");
    assert!(
        (190.0..=200.0).contains(&own),
        "sender_message_received {own}"
    );
    let achieved = r.num("achieved_events_per_s");
    assert!((1500.0..2600.0).contains(&achieved), "achieved {achieved}");
    assert!(r.num("send_secs") >= 0.95, "paced, not bursted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sustained_reports_loss() {
    let s = server(FakeOptions {
        drop_every: Some(4),
        ..FakeOptions::default()
    })
    .await;
    let r = modes::sustained(&SustainedOpts {
        common: common(&s),
        sockets: 4,
        rate: 400.0,
        secs: 1.0,
        drain: Duration::from_millis(500),
    })
    .await
    .unwrap();
    // 100 injects; each of the 4 receivers skips 25.
    check(
        &r,
        &[("expected", 400.0), ("received", 300.0), ("lost", 100.0)],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_opens_sockets_over_several_users_and_keeps_them() {
    let s = server(FakeOptions::default()).await;
    let mut c = common(&s);
    c.username = "agent{i}".into();
    let hub = s.hub.clone();
    // While the sockets are held, the server sees 20 per user.
    let (held_tx, held_rx) = tokio::sync::oneshot::channel();
    let watcher = tokio::spawn(async move {
        let _ = held_rx.await;
        eventually(|| (1..=3).all(|u| hub.sockets_of(u) == 20)).await
    });
    let r = modes::hold(
        &HoldOpts {
            common: c,
            sockets: 60,
            users: 3,
            secs: Some(1.0),
        },
        |_| {
            let _ = held_tx.send(());
        },
    )
    .await
    .unwrap();
    check(
        &r,
        &[
            ("users", 3.0),
            ("connected", 60.0),
            ("failed", 0.0),
            ("closed_by_server", 0.0),
        ],
    );
    assert!(watcher.await.unwrap(), "20 sockets per user while held");
    assert!(eventually(|| s.hub.socket_count() == 0).await);
}

#[tokio::test]
async fn refused_handshakes_and_logins_are_counted_not_hidden() {
    let s = server(FakeOptions {
        password: Some("right".into()),
        ..FakeOptions::default()
    })
    .await;
    let t = Target::from_addr(s.addr);
    assert!(login(&t, "bench", "wrong").await.is_err());
    let opened = connect_many(&t, "/ws/whatsapp/", &["bad-token".into()], 3, 2).await;
    assert_eq!(
        (opened.sockets.len(), opened.refused, opened.failed),
        (0, 3, 0)
    );
    let mut r = Report::default();
    opened.report(&mut r, 3);
    check(&r, &[("connected", 0.0), ("refused", 3.0), ("failed", 3.0)]);
    // A valid token passes.
    let token = login(&t, "bench", "right").await.unwrap();
    let ok = connect_many(&t, "/ws/atendimento/", &[token], 2, 2).await;
    assert_eq!(ok.sockets.len(), 2);
}

#[tokio::test]
async fn the_http_client_reads_chunked_and_kept_alive_responses() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        for reply in [
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n",
            "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}",
        ] {
            let _ = s.read(&mut buf).await.unwrap();
            s.write_all(reply.as_bytes()).await.unwrap();
        }
    });
    let mut c = HttpClient::new(&Target::from_addr(addr));
    let (status, body) = c.post_json("/x", "{}").await.unwrap();
    assert_eq!((status, body.as_slice()), (200, br#"{"a":1}"#.as_slice()));
    // Same connection (the server accepts only once).
    let (status, body) = c.post_json("/y", "{}").await.unwrap();
    assert_eq!((status, body.as_slice()), (201, b"{}".as_slice()));
}

fn http_opts(s: &FakeServer, path: &str, body: &str, token: Option<String>) -> HttpLoadOpts {
    HttpLoadOpts {
        target: Target::from_addr(s.addr),
        method: "POST".into(),
        path: path.into(),
        body: body.into(),
        token,
        headers: Vec::new(),
        sign: None,
        connections: 8,
        duration: Duration::from_millis(500),
        drain_timeout: Duration::from_secs(5),
        server_pid: Some(std::process::id()),
        chats: 1000,
    }
}

const WEBHOOK: &str = r#"{"event":"message_received","data":{"from":"5511900000000","message":"b","message_id":"{id}"}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_load_counts_exactly_what_the_server_accepted_with_distinct_ids() {
    // Every answer takes 20 ms, so each of the 8 connections has a request in flight when the
    // deadline passes: those are awaited and counted, never dropped.
    let s = server(FakeOptions {
        http_delay: Some(Duration::from_millis(20)),
        ..FakeOptions::default()
    })
    .await;
    let r = load::http_load(&http_opts(&s, "/api/v1/whatsapp/webhook/", WEBHOOK, None))
        .await
        .unwrap();
    let accepted = s.counts.webhooks.load(Ordering::Relaxed) as f64;
    assert!(accepted >= 8.0 * 15.0, "{r:#?}");
    check(
        &r,
        &[
            ("ok_2xx", accepted),
            ("requests", accepted),
            ("non_2xx", 0.0),
            ("errors", 0.0),
            ("abandoned", 0.0),
            ("connects", 8.0),
        ],
    );
    assert_eq!(
        s.counts.webhook_ids.lock().len() as f64,
        accepted,
        "one id per request"
    );
    assert!(r.num("latency_p50_ms") >= 20.0);
    assert!(r.num("elapsed_secs") >= 0.5);
    assert!(r.num("rps") > 0.0);
    assert!(r.get("generator_cpu_secs").is_some() && r.get("server_cpu_secs").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_load_sends_the_bearer_token_and_counts_refusals_by_status() {
    let s = server(FakeOptions::default()).await;
    let path = "/api/v1/whatsapp/send/";
    let body = r#"{"to":"5511999990000","text":"bench"}"#;
    let refused = load::http_load(&http_opts(&s, path, body, None))
        .await
        .unwrap();
    assert!(refused.num("non_2xx") > 0.0);
    check(
        &refused,
        &[
            ("ok_2xx", 0.0),
            ("status_401", refused.num("non_2xx")),
            ("errors", 0.0),
        ],
    );
    let token = login(&Target::from_addr(s.addr), "bench", "pw")
        .await
        .unwrap();
    let r = load::http_load(&http_opts(&s, path, body, Some(token)))
        .await
        .unwrap();
    let accepted = s.counts.sends.load(Ordering::Relaxed) as f64;
    assert!(accepted > 0.0);
    check(
        &r,
        &[("ok_2xx", accepted), ("non_2xx", 0.0), ("errors", 0.0)],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_load_reports_answers_that_never_come_as_abandoned() {
    let s = server(FakeOptions {
        http_delay: Some(Duration::from_secs(3)),
        ..FakeOptions::default()
    })
    .await;
    let mut o = http_opts(&s, "/api/v1/whatsapp/webhook/", WEBHOOK, None);
    o.duration = Duration::from_millis(100);
    o.drain_timeout = Duration::from_millis(300);
    let r = load::http_load(&o).await.unwrap();
    check(
        &r,
        &[
            ("requests", 8.0),
            ("ok_2xx", 0.0),
            ("abandoned", 8.0),
            ("errors", 0.0),
        ],
    );
    assert!(r.num("elapsed_secs") < 1.0, "bounded by the drain timeout");
}
