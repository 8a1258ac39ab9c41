//! `GET /metrics` on `METRICS_BIND`: the Prometheus text format, on its own listener and
//! never on the public one.

use crate::common::spawn_with;
use crate::presence::open_ws;
use reqwest::StatusCode;
use std::time::Duration;

fn free_addr() -> std::net::SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// The value of the first sample of `series` (its name with labels, exactly as rendered).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

#[tokio::test]
async fn metrics_are_served_on_their_own_address_only() {
    let addr = free_addr();
    let app = spawn_with(|c| c.metrics_bind = Some(addr)).await;
    let (s, _) = app.get("/api/v1/clientes/", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    for id in [1, 2] {
        let (s, _) = app
            .get(&format!("/api/v1/clientes/{id}00000/"), &app.admin_token)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let _ws = open_ws(&app.base, "/ws/atendimento/", &app.admin_token).await;
    // The public listener has no /metrics.
    let public = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .status();
    assert_ne!(public, StatusCode::OK);

    let url = format!("http://{addr}/metrics");
    let mut text = String::new();
    for _ in 0..50 {
        let r = app.client.get(&url).send().await.expect("scrape");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        text = r.text().await.unwrap();
        if sample(&text, "dx_websocket_sockets_open").is_some_and(|n| n >= 1.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Requests by route template (not by id) and status, with a latency histogram.
    let ok = r#"dx_http_requests_total{method="GET",route="/api/v1/clientes/",status="200"}"#;
    assert!(sample(&text, ok).is_some_and(|n| n >= 1.0), "{text}");
    let by_id =
        r#"dx_http_requests_total{method="GET",route="/api/v1/clientes/{id}/",status="404"}"#;
    assert!(sample(&text, by_id).is_some_and(|n| n >= 2.0), "{text}");
    assert!(!text.contains("/100000"), "ids never become labels: {text}");
    assert!(
        text.contains(r#"dx_http_request_duration_seconds_bucket{method="GET",route="/api/v1/clientes/",le="0.005"}"#),
        "{text}"
    );
    // Sockets, events, the pool and the outbox.
    assert!(sample(&text, "dx_websocket_sockets_open").is_some_and(|n| n >= 1.0));
    for series in [
        "dx_events_published_total",
        "dx_events_delivered_total",
        "dx_events_dropped_total",
        "dx_db_pool_max_connections",
        "dx_outbox_depth",
    ] {
        assert!(sample(&text, series).is_some(), "{series}: {text}");
    }
    assert!(
        sample(&text, r#"dx_db_pool_connections{state="idle"}"#).is_some(),
        "{text}"
    );
}
