//! Notificações e presença (contract §4.8, §5.3 B) against the real server: every endpoint,
//! the validation bodies, real parallel first reads, and who receives each event (real
//! WebSocket clients). "Nobody else got it" is proven with a sentinel: a later event addressed
//! to everyone arrives through the same ordered per-socket queue, so a socket whose next frame
//! is the sentinel did not get the event before it. Preferences and parallel first reads:
//! `presence/preferencias.rs`; the timeout job: `presence/job.rs`.

mod job;
mod preferencias;

use crate::common::{TestApp, read, spawn_app};
use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

pub(crate) type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A WebSocket client of the server at `base` (`http://host:port`).
pub(crate) async fn open_ws(base: &str, path: &str, token: &str) -> Ws {
    let addr = base.trim_start_matches("http://");
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let url = format!("ws://{addr}{path}?token={token}");
    let (ws, _) = tokio_tungstenite::client_async(url, tcp)
        .await
        .expect("handshake");
    ws
}

async fn open(app: &TestApp, path: &str, token: &str) -> Ws {
    open_ws(&app.base, path, token).await
}

/// The next JSON text frame, within `wait`.
pub(crate) async fn next_json_within(ws: &mut Ws, wait: Duration) -> Value {
    loop {
        let m = tokio::time::timeout(wait, ws.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("frame");
        match m {
            Message::Text(t) => return serde_json::from_str(&t).expect("json"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

async fn next_json(ws: &mut Ws) -> Value {
    next_json_within(ws, Duration::from_secs(10)).await
}

/// Asserts the socket's next event is the sentinel `agent_presence_changed` of `agent` with
/// `status`: nothing was queued for it before.
async fn next_is_sentinel(ws: &mut Ws, agent: i64, status: &str) {
    let v = next_json(ws).await;
    assert_eq!(v["event"], "agent_presence_changed", "got {v}");
    assert_eq!(v["data"]["agent_id"], agent, "got {v}");
    assert_eq!(v["data"]["status"], status, "got {v}");
}

/// Announces a status of the admin (id 1) to every socket: the sentinel.
pub(crate) async fn sentinel(app: &TestApp, status: &str) {
    let (s, v) = app
        .post(
            "/api/v1/presence/set-status/",
            &app.admin_token,
            json!({"status": status}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

/// The admin's agent id.
async fn admin_id(app: &TestApp) -> i64 {
    me(app, &app.admin_token).await["agent"]
        .as_i64()
        .expect("id")
}

/// The caller's presence.
async fn me(app: &TestApp, token: &str) -> Value {
    let (s, v) = app.get("/api/v1/presence/me/", token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

pub(crate) fn is_local_iso(v: &Value) -> bool {
    let s = v.as_str().unwrap_or("");
    // 2025-10-12T10:18:45.481809-03:00 (São Paulo, microseconds)
    s.len() == 32 && s.ends_with("-03:00") && s.as_bytes()[19] == b'.'
}

fn is_utc_iso(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.ends_with("+00:00"))
}

#[tokio::test]
async fn every_presence_endpoint_refuses_anonymous_calls_and_is_documented() {
    let app = spawn_app().await;
    let endpoints = [
        (
            "GET",
            "/api/v1/me/preferencias-notificacao/",
            "presence_preferencias_get",
        ),
        (
            "PATCH",
            "/api/v1/me/preferencias-notificacao/",
            "presence_preferencias_patch",
        ),
        ("GET", "/api/v1/presence/me/", "presence_me"),
        (
            "POST",
            "/api/v1/presence/set-status/",
            "presence_set_status",
        ),
        ("POST", "/api/v1/presence/heartbeat/", "presence_heartbeat"),
        ("POST", "/api/v1/typing/", "presence_typing_start"),
        ("DELETE", "/api/v1/typing/", "presence_typing_stop"),
    ];
    let (_, doc) = read(app.call(Method::GET, "/api/schema/", None, None).await).await;
    for (method, path, op) in endpoints {
        let body = (method != "GET" && method != "DELETE").then(|| json!({}));
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let r = app.call(m, path, None, body).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        let o = &doc["paths"][path][method.to_lowercase()];
        assert_eq!(o["operationId"], op, "{method} {path}");
        assert_eq!(o["tags"][0], "Notificações e Presença");
    }
    for schema in [
        "PresenceOut",
        "PreferenciasOut",
        "WsEventAgentPresenceChanged",
        "WsEventTyping",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    // No PUT on the preferences; auth comes before the method check.
    let r = app
        .call(
            Method::PUT,
            "/api/v1/me/preferencias-notificacao/",
            Some(&app.admin_token),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn presence_is_created_offline_and_follows_the_open_sockets() {
    let app = spawn_app().await;
    let (id, token) = app.agent("ana", json!({})).await;
    let v = me(&app, &token).await;
    assert_eq!(v["agent"], id);
    assert_eq!(v["agent_username"], "ana");
    assert_eq!(v["status"], "offline");
    assert_eq!(v["status_message"], "");
    assert_eq!(v["websocket_connected"], false);
    assert_eq!(v["is_available"], false);
    assert_eq!(v["tempo_no_status_atual"], 0);
    assert_eq!(v["esta_inativo"], false);
    for k in ["last_heartbeat", "status_changed_at", "updated_at"] {
        assert!(is_local_iso(&v[k]), "{k}: {}", v[k]);
    }
    // The same row on every read.
    assert_eq!(me(&app, &token).await["id"], v["id"]);

    let mut ws1 = open(&app, "/ws/whatsapp/", &token).await;
    let v = me(&app, &token).await;
    assert_eq!(v["websocket_connected"], true);
    assert_eq!(v["is_available"], false, "connected but offline");
    let (s, _) = app
        .post(
            "/api/v1/presence/set-status/",
            &token,
            json!({"status": "online"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut ws2 = open(&app, "/ws/atendimento/", &token).await;
    let v = me(&app, &token).await;
    assert_eq!(
        (v["websocket_connected"].clone(), v["is_available"].clone()),
        (json!(true), json!(true))
    );
    // Busy: connected, not available.
    app.post(
        "/api/v1/presence/set-status/",
        &token,
        json!({"status": "busy"}),
    )
    .await;
    assert_eq!(me(&app, &token).await["is_available"], false);
    app.post(
        "/api/v1/presence/set-status/",
        &token,
        json!({"status": "online"}),
    )
    .await;
    // One socket closed: still connected (through the other).
    ws1.close(None).await.unwrap();
    drop(ws1);
    assert_eq!(me(&app, &token).await["websocket_connected"], true);
    // Both closed: no longer connected (the server notices the close on its own time).
    ws2.close(None).await.unwrap();
    drop(ws2);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = me(&app, &token).await;
        if v["websocket_connected"] == false {
            assert_eq!(v["is_available"], false);
            assert_eq!(
                v["status"], "online",
                "closing a socket does not change the status"
            );
            break;
        }
        assert!(Instant::now() < deadline, "still connected: {v}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn set_status_validates_and_reports_the_change() {
    let app = spawn_app().await;
    let (_, token) = app.agent("bia", json!({})).await;
    let invalid = json!({"error": "Status inválido. Use: online, offline, busy, away"});
    for body in [
        json!({}),
        json!({"status": "ausente"}),
        json!({"status": "Online"}),
        json!({"status": 1}),
        json!({"status": null}),
        json!(["online"]),
    ] {
        let (s, v) = app
            .post("/api/v1/presence/set-status/", &token, body.clone())
            .await;
        assert_eq!((s, v), (StatusCode::BAD_REQUEST, invalid.clone()), "{body}");
    }
    let (s, v) = app
        .post(
            "/api/v1/presence/set-status/",
            &token,
            json!({"status": "busy", "message": "x".repeat(256)}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v,
        json!({"message": ["Certifique-se de que este campo não tenha mais de 255 caracteres."]})
    );
    let (s, v) = app
        .post(
            "/api/v1/presence/set-status/",
            &token,
            json!({"status": "busy", "message": "Em reunião"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v,
        json!({"message": "Status alterado de offline para busy", "status": "busy"})
    );
    let first = me(&app, &token).await;
    assert_eq!(first["status_message"], "Em reunião");
    // Same status, empty message: neither the change time nor the message move.
    let (_, v) = app
        .post(
            "/api/v1/presence/set-status/",
            &token,
            json!({"status": "busy", "message": ""}),
        )
        .await;
    assert_eq!(v["message"], "Status alterado de busy para busy");
    let again = me(&app, &token).await;
    assert_eq!(again["status_changed_at"], first["status_changed_at"]);
    assert_eq!(again["status_message"], "Em reunião");
    // Form and multipart bodies are accepted too.
    let r = app
        .client
        .post(app.url("/api/v1/presence/set-status/"))
        .bearer_auth(&token)
        .form(&[("status", "away"), ("message", "Volto já")])
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!((s, v["status"].clone()), (StatusCode::OK, json!("away")));
    let form = reqwest::multipart::Form::new().text("status", "online");
    let (s, v) = app
        .multipart("/api/v1/presence/set-status/", &token, form)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["message"], "Status alterado de away para online");
    let v = me(&app, &token).await;
    assert_eq!(v["status_message"], "Volto já");
    assert_ne!(v["status_changed_at"], first["status_changed_at"]);
    // Malformed JSON is the usual 400, never a 5xx.
    let r = app
        .client
        .post(app.url("/api/v1/presence/set-status/"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"status\":")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn presence_changes_reach_every_authenticated_socket() {
    let app = spawn_app().await;
    let (id, token) = app.agent("caio", json!({})).await;
    let (_, other) = app.agent("dani", json!({})).await;
    let mut admin_ws = open(&app, "/ws/whatsapp/", &app.admin_token).await;
    let mut own = open(&app, "/ws/atendimento/", &token).await;
    let mut other_ws = open(&app, "/ws/whatsapp/", &other).await;
    let (s, _) = app
        .post(
            "/api/v1/presence/set-status/",
            &token,
            json!({"status": "busy", "message": "Almoço"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for ws in [&mut admin_ws, &mut own, &mut other_ws] {
        let v = next_json(ws).await;
        assert_eq!(v["event"], "agent_presence_changed");
        assert_eq!(v["version"], "v1");
        let d = &v["data"];
        assert_eq!(
            (d["agent_id"].clone(), d["status"].clone()),
            (json!(id), json!("busy"))
        );
        assert_eq!(d["message"], "Almoço");
        assert!(is_utc_iso(&d["timestamp"]), "{d}");
        assert_eq!(d.as_object().unwrap().len(), 4, "{d}");
    }
}

#[tokio::test]
async fn typing_reaches_everyone_but_the_typist() {
    let app = spawn_app().await;
    let (_, token) = app.agent("edu", json!({})).await;
    let (_, other) = app.agent("fabi", json!({})).await;
    let admin = admin_id(&app).await;
    let mut admin_ws = open(&app, "/ws/whatsapp/", &app.admin_token).await;
    let mut other_ws = open(&app, "/ws/atendimento/", &other).await;
    let mut own1 = open(&app, "/ws/whatsapp/", &token).await;
    let mut own2 = open(&app, "/ws/atendimento/", &token).await;

    let (s, v) = app
        .post(
            "/api/v1/typing/",
            &token,
            json!({"chat_id": "5511999999999"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::OK,
            json!({"message": "Indicador de digitação ativado"})
        )
    );
    for ws in [&mut admin_ws, &mut other_ws] {
        let v = next_json(ws).await;
        assert_eq!(v["event"], "typing_start");
        assert_eq!(v["version"], "v1");
        assert_eq!(v["data"]["chat_id"], "5511999999999");
        assert_eq!(v["data"]["from"], "edu");
        assert!(is_utc_iso(&v["data"]["timestamp"]));
    }
    sentinel(&app, "online").await;
    for ws in [&mut own1, &mut own2] {
        next_is_sentinel(ws, admin, "online").await;
    }
    for ws in [&mut admin_ws, &mut other_ws] {
        next_is_sentinel(ws, admin, "online").await;
    }

    let r = app
        .call(
            Method::DELETE,
            "/api/v1/typing/?chat_id=5511999999999",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.text().await.unwrap().is_empty());
    for ws in [&mut admin_ws, &mut other_ws] {
        let v = next_json(ws).await;
        assert_eq!(v["event"], "typing_stop");
        assert_eq!(v["data"]["chat_id"], "5511999999999");
        assert_eq!(v["data"]["from"], "edu");
    }
    sentinel(&app, "busy").await;
    for ws in [&mut own1, &mut own2, &mut admin_ws, &mut other_ws] {
        next_is_sentinel(ws, admin, "busy").await;
    }

    // Another agent never typed in that chat: 404 with an empty body, and no event.
    let r = app
        .call(
            Method::DELETE,
            "/api/v1/typing/?chat_id=5511999999999",
            Some(&other),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().is_empty());
    sentinel(&app, "away").await;
    next_is_sentinel(&mut own1, admin, "away").await;
}

#[tokio::test]
async fn typing_needs_a_chat_id() {
    let app = spawn_app().await;
    let token = app.admin_token.clone();
    let missing = json!({"error": "chat_id é obrigatório"});
    for body in [
        json!({}),
        json!({"chat_id": ""}),
        json!({"chat_id": null}),
        json!([1]),
    ] {
        let (s, v) = app.post("/api/v1/typing/", &token, body.clone()).await;
        assert_eq!((s, v), (StatusCode::BAD_REQUEST, missing.clone()), "{body}");
    }
    for path in [
        "/api/v1/typing/",
        "/api/v1/typing/?chat_id=",
        "/api/v1/typing/?outro=1",
    ] {
        let (s, v) = read(app.call(Method::DELETE, path, Some(&token), None).await).await;
        assert_eq!((s, v), (StatusCode::BAD_REQUEST, missing.clone()), "{path}");
    }
    let (s, v) = app
        .post(
            "/api/v1/typing/",
            &token,
            json!({"chat_id": "9".repeat(101)}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v,
        json!({"chat_id": ["Certifique-se de que este campo não tenha mais de 100 caracteres."]})
    );
    // A form body, then stopping twice: the indicator row stays, so both stops find it.
    let r = app
        .client
        .post(app.url("/api/v1/typing/"))
        .bearer_auth(&token)
        .form(&[("chat_id", "5511")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for _ in 0..2 {
        let r = app
            .call(
                Method::DELETE,
                "/api/v1/typing/?chat_id=5511",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }
}

#[tokio::test]
async fn a_heartbeat_brings_an_agent_online_only_with_an_open_socket() {
    let app = spawn_app().await;
    let (id, token) = app.agent("gil", json!({})).await;
    let admin = admin_id(&app).await;
    let mut admin_ws = open(&app, "/ws/whatsapp/", &app.admin_token).await;
    let before = me(&app, &token).await;
    // No socket: the heartbeat is recorded, the agent stays offline, nothing is announced.
    let (s, v) = app
        .post("/api/v1/presence/heartbeat/", &token, json!({}))
        .await;
    assert_eq!(
        (s, v),
        (StatusCode::OK, json!({"message": "Heartbeat atualizado"}))
    );
    let v = me(&app, &token).await;
    assert_eq!(v["status"], "offline");
    assert_ne!(v["last_heartbeat"], before["last_heartbeat"]);
    sentinel(&app, "online").await;
    next_is_sentinel(&mut admin_ws, admin, "online").await;
    // With a socket: online, announced to everyone.
    let mut own = open(&app, "/ws/atendimento/", &token).await;
    let (s, _) = app
        .post("/api/v1/presence/heartbeat/", &token, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    for ws in [&mut admin_ws, &mut own] {
        let v = next_json(ws).await;
        assert_eq!(v["event"], "agent_presence_changed");
        assert_eq!(
            (v["data"]["agent_id"].clone(), v["data"]["status"].clone()),
            (json!(id), json!("online"))
        );
    }
    let v = me(&app, &token).await;
    assert_eq!(
        (v["status"].clone(), v["is_available"].clone()),
        (json!("online"), json!(true))
    );
    // Already online: no new event. The body is not read at all.
    let r = app
        .client
        .post(app.url("/api/v1/presence/heartbeat/"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("ping")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    sentinel(&app, "busy").await;
    next_is_sentinel(&mut admin_ws, admin, "busy").await;
    // Busy agents stay busy.
    app.post(
        "/api/v1/presence/set-status/",
        &token,
        json!({"status": "busy"}),
    )
    .await;
    app.post("/api/v1/presence/heartbeat/", &token, json!({}))
        .await;
    assert_eq!(me(&app, &token).await["status"], "busy");
}
