//! Two instances sharing a Redis of their own (a `redis-server` child on a free port), which
//! is stopped mid-test: events cross between the instances while it runs; without it every
//! instance keeps serving HTTP (logins included) and its own sockets; once it is back the
//! instances find each other again by themselves.

use crate::common::spawn_with;
use crate::presence::{Ws, open_ws, sentinel};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Redis {
    port: u16,
    child: Option<Child>,
}

impl Redis {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (apt-get install redis-server) must be installed");
        let until = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self {
            port,
            child: Some(child),
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The first event named `name` whose `data.status` is `status`, within `wait`.
async fn presence_event(ws: &mut Ws, status: &str, wait: Duration) -> Option<Value> {
    let until = Instant::now() + wait;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        let Ok(Some(Ok(msg))) = tokio::time::timeout(left, ws.next()).await else {
            return None;
        };
        let Ok(text) = msg.to_text() else { continue };
        let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        if v["event"] == "agent_presence_changed" && v["data"]["status"] == status {
            return Some(v);
        }
    }
}

#[tokio::test]
async fn instances_keep_serving_without_redis_and_find_each_other_when_it_is_back() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut redis = Redis::start(port);
    let url = format!("redis://127.0.0.1:{port}");
    let prefix = format!("outage{}", uuid::Uuid::new_v4().simple());
    // Two instances (each on its own database: only the bus is shared here; admin is id 1
    // on both).
    let tweak = |c: &mut dx_connect_server::config::Config| {
        c.redis_url = Some(url.clone());
        c.redis_prefix = prefix.clone();
    };
    let a = spawn_with(tweak).await;
    let b = spawn_with(tweak).await;
    let mut on_b = open_ws(&b.base, "/ws/atendimento/", &b.admin_token).await;
    let mut on_a = open_ws(&a.base, "/ws/atendimento/", &a.admin_token).await;

    // With Redis: an event raised on A reaches B's socket.
    sentinel(&a, "busy").await;
    assert!(
        presence_event(&mut on_b, "busy", Duration::from_secs(5))
            .await
            .is_some(),
        "the event did not cross instances"
    );
    assert!(
        presence_event(&mut on_a, "busy", Duration::from_secs(5))
            .await
            .is_some()
    );

    // Redis stops: A still serves (a login too: the throttle fails open) and its own
    // sockets still get its events; B hears nothing of them.
    redis.stop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let (s, _) = a.get("/api/v1/clientes/", &a.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    let fresh = a.login("admin", "admin123").await;
    assert!(!fresh.is_empty());
    sentinel(&a, "away").await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "requests waited for Redis: {:?}",
        started.elapsed()
    );
    assert!(
        presence_event(&mut on_a, "away", Duration::from_secs(5))
            .await
            .is_some(),
        "local delivery stopped with Redis"
    );

    // Redis is back (same port): the instances reconnect with their backoff and events
    // cross again.
    let _redis = Redis::start(redis.port);
    let until = Instant::now() + Duration::from_secs(20);
    let mut statuses = ["online", "busy"].iter().cycle();
    loop {
        let status = statuses.next().unwrap();
        sentinel(&a, status).await;
        if presence_event(&mut on_b, status, Duration::from_millis(500))
            .await
            .is_some()
        {
            break;
        }
        assert!(
            Instant::now() < until,
            "the instances did not find each other again after Redis came back"
        );
    }
}
