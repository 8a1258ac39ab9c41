//! The Evolution connection's life: a logout on the phone (`close` 401) ends in `error` with
//! an event asking for a new QR code, `start` pairs again, `stop` logs the instance out,
//! `reconnect` retries by `reconnect_backoff_seconds` (doubling) while Evolution fails, and a
//! send refused with 429 is retried.

use super::evolution::{INSTANCE, paired};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn a_logout_on_the_phone_ends_in_error_asking_for_a_new_qr_code() {
    let (fake, server, mut ws) = paired().await;
    let (_, status) = server.get("/api/v1/whatsapp/sessions/status/").await;
    let session = status["session_id"].as_i64().unwrap();

    assert_eq!(fake.close(401).await.0, 200);
    let frames = ws.until(|v| v["type"] == "session_error").await;
    assert!(
        frames
            .iter()
            .any(|f| f["type"] == "session_status" && f["status"] == "error")
    );
    let lost = frames.last().unwrap();
    assert_eq!(lost["needs_qrcode"], true);
    assert!(lost["error"].as_str().unwrap().contains("401"), "{lost}");
    let (_, row) = server
        .get(&format!("/api/v1/whatsapp/sessions/{session}/"))
        .await;
    assert_eq!(row["status"], "error");
    assert!(row["last_error"].as_str().unwrap().contains("QR"), "{row}");
    assert_eq!(row["error_count"], 1);

    // Start again: the webhook is registered again, a new QR code is shown.
    let (s, v) = server
        .post("/api/v1/whatsapp/sessions/start/", json!({}))
        .await;
    assert_eq!((s, v["status"].as_str()), (202, Some("qrcode")), "{v}");
    assert_eq!(
        fake.log
            .to("POST", &format!("/webhook/set/{INSTANCE}"))
            .len(),
        1
    );
    ws.until(|v| v["type"] == "qrcode").await;

    // Stop logs the instance out.
    let (s, _) = server
        .post("/api/v1/whatsapp/sessions/stop/", json!({}))
        .await;
    assert_eq!(s, 200);
    let logout = fake
        .log
        .wait_for("DELETE", &format!("/instance/logout/{INSTANCE}"), 1)
        .await;
    assert_eq!(
        logout[0].header("apikey"),
        Some(crate::fakes::evolution::API_KEY)
    );
    ws.status("disconnected").await;
    assert_eq!(fake.state().as_deref(), Some("close"));
}

#[tokio::test]
async fn reconnect_backs_off_doubling_while_evolution_fails() {
    let (fake, server, mut ws) = paired().await;
    let (s, v) = server
        .call(
            Method::PATCH,
            "/api/v1/config/whatsapp/",
            Some(&server.token),
            Some(json!({"reconnect_backoff_seconds": 1})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, status) = server.get("/api/v1/whatsapp/sessions/status/").await;
    let session = status["session_id"].as_i64().unwrap();
    // The next two state checks fail (Evolution answering 500), the third succeeds.
    fake.fail_state_calls(2);
    let (s, v) = server
        .post(
            &format!("/api/v1/whatsapp/sessions/{session}/reconnect/"),
            json!({}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let restarts = fake
        .log
        .wait_for("POST", &format!("/instance/restart/{INSTANCE}"), 3)
        .await;
    let gap = |a: usize, b: usize| restarts[b].at.duration_since(restarts[a].at);
    assert!(gap(0, 1) >= Duration::from_millis(950), "{:?}", gap(0, 1));
    assert!(gap(1, 2) >= Duration::from_millis(1950), "{:?}", gap(1, 2));
    // Each failure was reported; the last try shows a QR code again.
    let frames = ws.until(|v| v["type"] == "qrcode").await;
    let errors = frames
        .iter()
        .filter(|f| f["type"] == "session_status" && f["status"] == "error")
        .count();
    assert_eq!(errors, 2, "{frames:?}");
    let (_, row) = server
        .get(&format!("/api/v1/whatsapp/sessions/{session}/"))
        .await;
    assert_eq!(
        (row["status"].as_str(), row["error_count"].as_i64()),
        (Some("qrcode"), Some(2))
    );
    // No further restart once one succeeded.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        fake.log
            .to("POST", &format!("/instance/restart/{INSTANCE}"))
            .len(),
        3
    );
}

#[tokio::test]
async fn a_send_refused_with_429_is_retried() {
    let (fake, server, _ws) = paired().await;
    fake.fail_sends(&[429]);
    let (s, v) = server
        .post(
            "/api/v1/whatsapp/send/",
            json!({"to": "+55 (11) 98765-4321", "type": "image",
                   "media_url": "https://files.example.com/boleto.png", "text": "Seu boleto"}),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let sends = fake
        .log
        .wait_for("POST", &format!("/message/sendMedia/{INSTANCE}"), 2)
        .await;
    assert_eq!(
        sends[1].json(),
        json!({"number": "5511987654321", "mediatype": "image",
               "media": "https://files.example.com/boleto.png", "caption": "Seu boleto"})
    );
    server
        .until("/api/v1/whatsapp/messages/?direction=outbound", |v| {
            v["results"][0]["status"] == "sent"
        })
        .await;
    assert_eq!(fake.sent(), 1);
}

#[test]
fn a_missing_or_bad_gateway_setting_stops_start_up_naming_it_without_the_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let full = [
        ("WHATSAPP_GATEWAY", "evolution"),
        ("EVOLUTION_URL", "http://127.0.0.1:9"),
        ("EVOLUTION_API_KEY", "chave-global-secreta"),
        ("EVOLUTION_INSTANCE", "loja"),
        ("EVOLUTION_WEBHOOK_SECRET", "curto"),
        (
            "EVOLUTION_WEBHOOK_URL",
            "http://127.0.0.1:1/api/v1/whatsapp/webhook/evolution/",
        ),
    ];
    for (drop, want) in [
        (Some("EVOLUTION_URL"), "EVOLUTION_URL"),
        (Some("EVOLUTION_API_KEY"), "EVOLUTION_API_KEY"),
        (None, "EVOLUTION_WEBHOOK_SECRET"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dx-connect-under-test"))
            .arg("serve")
            .current_dir(dir.path())
            .env(
                "DATABASE_URL",
                format!("sqlite://{}?mode=rwc", dir.path().join("x.db").display()),
            )
            .env("BIND", "127.0.0.1")
            .env("PORT", "0")
            .env("MEDIA_ROOT", dir.path().join("media"))
            .env("DX_DATA_DIR", dir.path())
            .env("RUST_LOG", "warn")
            .envs(full.iter().filter(|(k, _)| Some(*k) != drop).copied())
            .output()
            .expect("run the server binary");
        assert!(!out.status.success(), "started without {drop:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(want), "{want}: {stderr}");
        assert!(
            !stderr.contains("chave-global-secreta") && !stderr.contains("curto\""),
            "a secret in the message: {stderr}"
        );
    }
}
