//! Meta's send errors through the outbox: 131047 (outside the 24-hour window) fails the
//! message saying a template is needed; 130429 (throughput) is retried and then succeeds;
//! 190 (token revoked) puts the session in error with an event and keeps the message queued;
//! a reconnect while Meta fails checks again by the backoff.

use super::meta::ready;
use crate::fakes::meta::{FakeMeta, PHONE_NUMBER_ID, VERSION};
use serde_json::json;

async fn send(server: &super::Server, text: &str) -> String {
    let (s, v) = server
        .post(
            "/api/v1/whatsapp/send/",
            json!({"to": "5511987654321", "text": text}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    v["message_id"].as_str().unwrap().to_string()
}

async fn wait_status(server: &super::Server, message_id: &str, status: &str) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let m = server.message(message_id).await;
        if m["status"] == status {
            return m;
        }
        assert!(std::time::Instant::now() < deadline, "never {status}: {m}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

fn sends_of(fake: &FakeMeta) -> usize {
    fake.log
        .to("POST", &format!("/{VERSION}/{PHONE_NUMBER_ID}/messages"))
        .len()
}

#[tokio::test]
async fn provider_errors_fail_retry_or_end_the_session() {
    let (fake, server, mut ws) = ready().await;

    // Outside the 24-hour window: failed at once, the reason says a template is needed.
    fake.fail_sends(&[131047]);
    let late = send(&server, "Olá de novo").await;
    let m = wait_status(&server, &late, "failed").await;
    let why = m["error_message"].as_str().unwrap();
    assert!(why.contains("template") && why.contains("131047"), "{why}");
    assert_eq!(sends_of(&fake), 1);

    // A throughput limit: retried with backoff, then sent.
    fake.fail_sends(&[130429]);
    let limited = send(&server, "Segue o boleto").await;
    let m = wait_status(&server, &limited, "sent").await;
    assert_eq!(m["error_message"], "", "{m}");
    assert_eq!(sends_of(&fake), 3);

    // The token is revoked: every session goes to error, told why; the message waits.
    fake.revoke_token();
    let waiting = send(&server, "Ainda aí?").await;
    let frames = ws.until(|v| v["type"] == "session_error").await;
    assert!(
        frames
            .iter()
            .any(|f| f["type"] == "session_status" && f["status"] == "error")
    );
    let lost = frames.last().unwrap();
    assert!(lost["error"].as_str().unwrap().contains("190"), "{lost}");
    assert_eq!(lost["needs_qrcode"], false);
    server
        .until("/api/v1/whatsapp/sessions/status/", |v| {
            v["status"] == "error"
        })
        .await;
    let m = server.message(&waiting).await;
    assert_eq!(m["status"], "queued", "{m}");
    // Start checks the credentials again: still refused, the session stays in error.
    let (s, v) = server
        .post("/api/v1/whatsapp/sessions/start/", json!({}))
        .await;
    assert_eq!((s, v["status"].as_str()), (202, Some("error")), "{v}");
}

#[tokio::test]
async fn reconnect_checks_again_backing_off_while_meta_fails() {
    let (fake, server, mut ws) = ready().await;
    let (s, v) = server
        .call(
            reqwest::Method::PATCH,
            "/api/v1/config/whatsapp/",
            Some(&server.token),
            Some(json!({"reconnect_backoff_seconds": 1})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, status) = server.get("/api/v1/whatsapp/sessions/status/").await;
    let session = status["session_id"].as_i64().unwrap();
    let node = format!("/{VERSION}/{PHONE_NUMBER_ID}");
    let before = fake.log.to("GET", &node).len();
    fake.fail_checks(2);
    let (s, v) = server
        .post(
            &format!("/api/v1/whatsapp/sessions/{session}/reconnect/"),
            json!({}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let checks = fake.log.wait_for("GET", &node, before + 3).await;
    let tail = &checks[before..];
    let gap = |a: usize, b: usize| tail[b].at.duration_since(tail[a].at);
    assert!(
        gap(0, 1) >= std::time::Duration::from_millis(950),
        "{:?}",
        gap(0, 1)
    );
    assert!(
        gap(1, 2) >= std::time::Duration::from_millis(1950),
        "{:?}",
        gap(1, 2)
    );
    let frames = ws.status("ready").await;
    let errors = frames
        .iter()
        .filter(|f| f["type"] == "session_status" && f["status"] == "error")
        .count();
    assert_eq!(errors, 2, "{frames:?}");
    server
        .until("/api/v1/whatsapp/sessions/status/", |v| {
            v["status"] == "ready"
        })
        .await;
}
