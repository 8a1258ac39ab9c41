//! The application object: one shutdown signal stops the server and its background tasks;
//! `DX_TRUSTED_PROXIES` decides whose `X-Forwarded-For` the login throttle believes.

use crate::common::{client_builder, config, database_url, spawn_with};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[tokio::test]
async fn shutdown_stops_the_server_and_awaits_its_tasks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(database_url(&dir).await, dir.path());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut app = dx_connect_server::Application::build_with_listener(cfg, listener)
        .await
        .expect("start");
    let base = format!("http://127.0.0.1:{}", app.port());
    let (started_tx, started_rx) = tokio::sync::oneshot::channel();
    let finished = Arc::new(AtomicBool::new(false));
    let seen = finished.clone();
    app.spawn_task("test-job", move |shutdown| async move {
        let _ = started_tx.send(());
        shutdown.triggered().await;
        // Work after the signal still completes before `run_until_stopped` returns.
        tokio::task::yield_now().await;
        seen.store(true, Ordering::SeqCst);
    });
    let shutdown = app.shutdown();
    let running = tokio::spawn(app.run_until_stopped());
    started_rx.await.expect("the task ran");
    let http = client_builder().build().expect("client");
    let r = http
        .get(format!("{base}/api/v1/health/"))
        .send()
        .await
        .expect("health");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!finished.load(Ordering::SeqCst));

    shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(20), running)
        .await
        .expect("stopped in time")
        .expect("join")
        .expect("clean stop");
    assert!(finished.load(Ordering::SeqCst), "the task was awaited");
    assert!(
        client_builder()
            .build()
            .expect("client")
            .get(format!("{base}/api/v1/health/"))
            .send()
            .await
            .is_err(),
        "no more intake after shutdown"
    );
}

async fn login_via(app: &crate::common::TestApp, forwarded: &str, username: &str) -> StatusCode {
    app.client
        .post(app.url("/api/v1/auth/token/"))
        .header("x-forwarded-for", forwarded)
        .json(&json!({"username": username, "password": "wrong-password"}))
        .send()
        .await
        .expect("login")
        .status()
}

/// Behind a trusted proxy (the loopback peer), failures count per forwarded client address.
#[tokio::test]
async fn trusted_proxies_forward_the_client_address_to_the_throttle() {
    let app = spawn_with(|c| {
        c.trusted_proxies =
            dx_connect_server::http::client_ip::TrustedProxies::parse("127.0.0.0/8").expect("cidr");
    })
    .await;
    for i in 0..10 {
        assert_eq!(
            login_via(&app, "203.0.113.1", &format!("u{i}")).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_via(&app, "203.0.113.1", "u10").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy is not blocked; a spoofed left-most entry does
    // not help the blocked one.
    assert_eq!(
        login_via(&app, "203.0.113.2", "u11").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_via(&app, "198.51.100.7, 203.0.113.1", "u12").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// By default no proxy is trusted: `X-Forwarded-For` is ignored and the peer is the key.
#[tokio::test]
async fn forwarded_for_is_ignored_by_default() {
    let app = spawn_with(|_| {}).await;
    for i in 0..10 {
        assert_eq!(
            login_via(&app, &format!("203.0.113.{i}"), &format!("u{i}")).await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login_via(&app, "203.0.113.99", "u10").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}
