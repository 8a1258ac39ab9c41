//! The presence timeout (§4.8) in the real binary, configured through its environment: a
//! 1-second check and a 2-second limit (`DX_PRESENCE_CHECK_SECONDS`,
//! `DX_PRESENCE_TIMEOUT_SECONDS`) make the 2-minute rule observable; a bad value stops
//! start-up naming the variable.

use super::{next_json_within, open_ws};
use crate::common::database_url;
use crate::reliability::{login, start};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

async fn presence_of(http: &Client, base: &str, token: &str) -> Value {
    let r = http
        .get(format!("{base}/api/v1/presence/me/"))
        .bearer_auth(token)
        .send()
        .await
        .expect("presence");
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.expect("json")
}

#[tokio::test]
async fn silent_agents_are_marked_offline_and_everyone_is_told() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = database_url(&dir).await;
    let http = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let server = start(
        &url,
        dir.path(),
        1,
        &http,
        &[
            ("DX_PRESENCE_CHECK_SECONDS", "1"),
            ("DX_PRESENCE_TIMEOUT_SECONDS", "2"),
        ],
    )
    .await;
    let token = login(&http, &server.base).await;
    let mut ws = open_ws(&server.base, "/ws/atendimento/", &token).await;
    let r = http
        .post(format!("{}/api/v1/presence/set-status/", server.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({"status": "online"}))
        .send()
        .await
        .expect("set-status");
    assert_eq!(r.status(), StatusCode::OK);
    let me = presence_of(&http, &server.base, &token).await;
    assert_eq!(me["status"], "online");
    let agent = me["agent"].clone();
    // The announcement of our own change first, then (no heartbeat comes) the timeout's.
    let first = next_json_within(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(first["data"]["status"], "online", "{first}");
    let v = next_json_within(&mut ws, Duration::from_secs(20)).await;
    assert_eq!(v["event"], "agent_presence_changed", "{v}");
    assert_eq!(v["version"], "v1");
    assert_eq!(v["data"]["agent_id"], agent);
    assert_eq!(v["data"]["status"], "offline");
    assert_eq!(v["data"]["message"], "Desconectado por inatividade");
    assert!(v["data"]["timestamp"].as_str().unwrap().ends_with("+00:00"));
    let me = presence_of(&http, &server.base, &token).await;
    assert_eq!(me["status"], "offline");
    assert_eq!(me["esta_inativo"], true);
    assert_eq!(me["is_available"], false);
    // A heartbeat (the socket is still open) brings the agent back.
    let r = http
        .post(format!("{}/api/v1/presence/heartbeat/", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("heartbeat");
    assert_eq!(r.status(), StatusCode::OK);
    let v = next_json_within(&mut ws, Duration::from_secs(10)).await;
    assert_eq!(v["data"]["status"], "online", "{v}");
    let me = presence_of(&http, &server.base, &token).await;
    assert_eq!(
        (me["status"].clone(), me["esta_inativo"].clone()),
        ("online".into(), false.into())
    );
    drop(server);
}

#[test]
fn a_bad_presence_setting_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (var, value) in [
        ("DX_PRESENCE_CHECK_SECONDS", "abc"),
        ("DX_PRESENCE_CHECK_SECONDS", "0"),
        ("DX_PRESENCE_TIMEOUT_SECONDS", "-5"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_dx-connect-under-test"))
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
            .env(var, value)
            .output()
            .expect("run the server binary");
        assert!(!out.status.success(), "{var}={value} started");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(var) && stderr.contains(value),
            "{var}={value}: {stderr}"
        );
    }
}
