//! The WebSocket endpoints (contract §5) with a real client: handshake refusals, who receives
//! each event and who does not, ping/pong and frames, inject, the send → status sequence, and
//! a stalled socket that must not delay anyone else.

use crate::common::{TestApp, spawn_app, spawn_with};
use crate::whatsapp::start_session;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

fn ws_url(app: &TestApp, path: &str, token: &str) -> String {
    format!(
        "{}{path}?token={token}",
        app.base.replace("http://", "ws://")
    )
}

async fn open(app: &TestApp, token: &str) -> Ws {
    open_path(app, "/ws/whatsapp/", token).await
}

async fn open_path(app: &TestApp, path: &str, token: &str) -> Ws {
    let url = ws_url(app, path, token);
    let addr = app.base.trim_start_matches("http://").to_string();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (ws, _) = tokio_tungstenite::client_async(url, tcp)
        .await
        .expect("handshake");
    ws
}

/// The handshake's HTTP status when refused.
async fn refused_status(app: &TestApp, token: Option<&str>) -> u16 {
    let url = match token {
        Some(t) => ws_url(app, "/ws/whatsapp/", t),
        None => format!("{}/ws/whatsapp/", app.base.replace("http://", "ws://")),
    };
    let tcp = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    match tokio_tungstenite::client_async(url, tcp).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
        Err(e) => panic!("unexpected handshake error: {e}"),
    }
}

/// The next JSON text frame (bounded wait).
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
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

/// Frames until the one `pred` picks (inclusive).
async fn until(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let v = next_json(ws).await;
        let done = pred(&v);
        seen.push(v);
        if done {
            return seen;
        }
    }
}

/// Asserts nothing but our own pong arrives: an event addressed elsewhere would come first.
async fn assert_nothing_else(ws: &mut Ws) {
    tokio::time::sleep(Duration::from_millis(200)).await;
    ws.send(Message::text(r#"{"type":"ping"}"#)).await.unwrap();
    assert_eq!(
        next_json(ws).await,
        json!({"type":"pong"}),
        "no event for this socket"
    );
}

#[tokio::test]
async fn handshakes_without_a_valid_access_token_are_refused_with_403() {
    let app = spawn_app().await;
    assert_eq!(refused_status(&app, None).await, 403);
    assert_eq!(refused_status(&app, Some("garbage")).await, 403);
    let r = app
        .client
        .post(app.url("/api/v1/auth/token/"))
        .json(&json!({"username":"admin","password":"admin123"}))
        .send()
        .await
        .unwrap();
    let refresh = r.json::<Value>().await.unwrap()["refresh"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        refused_status(&app, Some(&refresh)).await,
        403,
        "a refresh token"
    );
    let (id, agent) = app.agent("inativo", json!({})).await;
    assert_eq!(refused_status(&app, Some(&agent)).await, 101);
    let (s, _) = app
        .patch(
            &format!("/api/v1/authz/agents/{id}/"),
            &app.admin_token,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::OK);
    assert_eq!(
        refused_status(&app, Some(&agent)).await,
        403,
        "an inactive user"
    );
    assert_eq!(refused_status(&app, Some(&app.admin_token)).await, 101);
}

#[tokio::test]
async fn session_events_reach_every_socket_of_their_user_and_nobody_else() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let (_, agent) = app.agent("outro", json!({})).await;
    let mut a1 = open(&app, &admin).await;
    let mut a2 = open_path(&app, "/ws/atendimento/", &admin).await;
    let mut other = open(&app, &agent).await;
    start_session(&app, &admin).await;
    for ws in [&mut a1, &mut a2] {
        let frames = until(ws, |v| v["status"] == "ready").await;
        let kinds: Vec<String> = frames
            .iter()
            .map(|f| {
                format!(
                    "{}:{}",
                    f["type"].as_str().unwrap(),
                    f["status"].as_str().unwrap_or("")
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "session_status:connecting",
                "session_status:qrcode",
                "qrcode:",
                "session_status:authenticated",
                "session_status:ready"
            ]
        );
        assert_eq!(frames[2]["image_b64"], "c3R1Yi1xcg==");
        assert!(frames[0]["ts"].as_str().unwrap().ends_with("+00:00"));
    }
    assert_nothing_else(&mut other).await;
    // The chat the message opens is announced to its department's members only: the admin.
    let (_, me) = app.get("/api/v1/me/", &admin).await;
    let (s, _) = app
        .post(
            "/api/v1/atendimento/departamentos/",
            &admin,
            json!({"nome": "Atendimento", "atendentes": [me["id"]]}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::CREATED);
    // A webhook message reaches the session owner's sockets only.
    let (s, _) = app
        .anon_post("/api/v1/whatsapp/webhook/", json!({"event":"message_received","data":{"from":"5511","message":"oi","message_id":"ev-1","timestamp":"t0"}}))
        .await;
    assert_eq!(s, reqwest::StatusCode::OK);
    for ws in [&mut a1, &mut a2] {
        let v = next_json(ws).await;
        assert_eq!(v["event"], "message_received");
        assert_eq!(v["version"], "v1");
        assert_eq!(v["data"]["message_id"], "ev-1");
        assert_eq!(v["data"]["from"], "5511");
        assert_eq!(v["data"]["message"], "oi");
        assert_eq!(v["data"]["timestamp"], "t0");
        assert!(v["data"]["latency_ms"].is_f64());
    }
    assert_nothing_else(&mut other).await;
}

#[tokio::test]
async fn send_produces_message_sent_then_every_status_in_order() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    start_session(&app, &admin).await;
    let mut ws = open(&app, &admin).await;
    let (s, v) = app
        .post(
            "/api/v1/whatsapp/send/",
            &admin,
            json!({"to": "5511", "text": "oi", "client_message_id": "seq-1"}),
        )
        .await;
    assert_eq!(s, reqwest::StatusCode::ACCEPTED, "{v}");
    let sent = next_json(&mut ws).await;
    assert_eq!(sent["event"], "message_sent");
    assert_eq!(sent["data"]["message_id"], "seq-1");
    assert_eq!(sent["data"]["status"], "queued");
    assert_eq!(sent["data"]["to"], "5511");
    assert_eq!(sent["data"]["error"], Value::Null);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let v = next_json(&mut ws).await;
        assert_eq!(v["type"], "message_status", "{v}");
        assert_eq!(v["message_id"], "seq-1");
        statuses.push(v["status"].as_str().unwrap().to_string());
    }
    assert_eq!(statuses, ["queued", "sent", "delivered", "read"]);
}

#[tokio::test]
async fn frames_ping_inject_and_garbage() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let mut ws = open(&app, &admin).await;
    ws.send(Message::text(r#"{"type":"ping"}"#)).await.unwrap();
    assert_eq!(next_json(&mut ws).await, json!({"type":"pong"}));
    // Unknown frames and JSON that is not an object are ignored.
    ws.send(Message::text(r#"{"type":"subscribe"}"#))
        .await
        .unwrap();
    ws.send(Message::text("[1,2]")).await.unwrap();
    // No session yet: the inject answers an error.
    ws.send(Message::text(
        json!({"type":"inject_incoming","payload":{"text":"oi"}}).to_string(),
    ))
    .await
    .unwrap();
    let v = next_json(&mut ws).await;
    assert_eq!(v["type"], "inject_error", "{v}");
    assert_eq!(
        v["error"],
        "Sessão WhatsApp não encontrada. Inicie uma sessão primeiro."
    );
    start_session(&app, &admin).await;
    until(&mut ws, |v| v["status"] == "ready").await;
    ws.send(Message::text(json!({"type":"inject_incoming","chat_id":"c9","payload":{"text":"oi","message_id":"wsi-1"}}).to_string()))
        .await
        .unwrap();
    // The reply and the event travel separately: either may come first (so may the new
    // chat's `new_chat`, which this socket hears too: its department has no members).
    let (mut reply, mut received) = (None, None);
    while reply.is_none() || received.is_none() {
        let v = next_json(&mut ws).await;
        if v["type"] == "inject_success" {
            reply = Some(v);
        } else if v["event"] == "message_received" {
            received = Some(v);
        } else {
            assert_eq!(v["event"], "new_chat", "{v}");
        }
    }
    let (reply, received) = (reply.unwrap(), received.unwrap());
    assert_eq!(
        reply,
        json!({"type":"inject_success","message_id":"wsi-1","chat_id":"c9"})
    );
    assert_eq!(received["event"], "message_received");
    assert_eq!(
        received["data"]["from"], "5511999999999",
        "the default sender"
    );
    // A non-JSON frame closes the socket with 1011.
    ws.send(Message::text("not json")).await.unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("close in time")
        {
            Some(Ok(Message::Close(Some(f)))) => {
                assert_eq!(f.code, CloseCode::Error);
                break;
            }
            Some(Ok(Message::Close(None))) | None | Some(Err(_)) => panic!("closed without 1011"),
            Some(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn a_stalled_socket_is_closed_and_never_delays_another_socket() {
    let app = spawn_with(|c| c.ws_queue = 8).await;
    let admin = app.admin_token.clone();
    start_session(&app, &admin).await;
    // Never read: its queue fills once the kernel buffers are full (big frames), and the hub
    // drops it.
    let mut stalled = open(&app, &admin).await;
    let mut fast = open(&app, &admin).await;
    let text = "x".repeat(200_000);
    for i in 0..200 {
        let (s, _) = app
            .anon_post("/api/v1/whatsapp/webhook/", json!({"event":"message_received","data":{"from":"1","message":text,"message_id":format!("big-{i}")}}))
            .await;
        assert_eq!(s, reqwest::StatusCode::OK);
        // The fast socket has each event right away, whatever the stalled one does (the
        // first message also opens a chat: its `new_chat` is skipped).
        let v = tokio::time::timeout(
            Duration::from_secs(2),
            until(&mut fast, |v| v["event"] == "message_received"),
        )
        .await
        .expect("the fast socket is not delayed");
        assert_eq!(v[v.len() - 1]["data"]["message_id"], format!("big-{i}"));
    }
    // The stalled socket, read at last: some frames, then a 1013 close.
    let mut closed = None;
    for _ in 0..400 {
        match tokio::time::timeout(Duration::from_secs(5), stalled.next()).await {
            Ok(Some(Ok(Message::Close(f)))) => {
                closed = f.map(|f| f.code);
                break;
            }
            Ok(Some(Ok(_))) => {}
            other => panic!("the stalled socket ended without a close frame: {other:?}"),
        }
    }
    assert_eq!(closed, Some(CloseCode::Again), "closed as too slow (1013)");
}

#[tokio::test]
async fn the_openapi_document_describes_the_sockets_and_every_event() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/schema/"))
        .send()
        .await
        .unwrap();
    let doc: Value = r.json().await.unwrap();
    for path in ["/ws/whatsapp/", "/ws/atendimento/"] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
    for schema in [
        "WsEventSessionStatus",
        "WsEventQrcode",
        "WsEventMessageStatus",
        "WsEventMessageReceived",
        "WsEventMessageSent",
        "WsClientPing",
        "WsClientInject",
        "WsInjectReply",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    // The documented field names are the ones the frames carry.
    let props = &doc["components"]["schemas"]["MessageReceivedData"]["properties"];
    for k in [
        "from",
        "message",
        "message_id",
        "timestamp",
        "media_url",
        "media_type",
        "latency_ms",
    ] {
        assert!(props[k].is_object(), "{k}");
    }
}

#[tokio::test]
async fn a_socket_that_never_answers_the_pings_is_dropped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_with(|c| c.ws_ping = Duration::from_secs(1)).await;
    // A raw client: handshake, then silence (no pong, nothing read).
    let mut tcp = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let req = format!(
        "GET /ws/whatsapp/?token={} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        app.admin_token
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    // By now the server gave up on it: what it sent ends, the connection is closed.
    let mut all = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut all)).await;
    assert!(read.is_ok(), "the server kept the silent socket open");
    assert!(String::from_utf8_lossy(&all).starts_with("HTTP/1.1 101"));
}
