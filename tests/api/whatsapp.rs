//! WhatsApp area (contract §4.5) against the real server: sessions, send through the outbox,
//! webhook and inject intake, legacy endpoints, scope with a second unprivileged agent, and
//! a queued message surviving a SIGKILL.

use crate::common::{TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Polls a message until `done` holds (bounded; the simulator is instant in tests).
async fn wait_message(app: &TestApp, token: &str, id: i64, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (s, m) = app
            .get(&format!("/api/v1/whatsapp/messages/{id}/"), token)
            .await;
        assert_eq!(s, StatusCode::OK, "{m}");
        if done(&m) {
            return m;
        }
        assert!(
            Instant::now() < deadline,
            "message never reached the state: {m}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub async fn start_session(app: &TestApp, token: &str) -> i64 {
    let (s, v) = app
        .post("/api/v1/whatsapp/sessions/start/", token, json!({}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["status"], "ready", "fast mode: {v}");
    assert_eq!(v["message"], "Sessão iniciada com sucesso");
    v["session_id"].as_i64().unwrap()
}

#[tokio::test]
async fn sessions_follow_the_simulation_and_are_scoped_to_their_owner() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let (s, v) = app.get("/api/v1/whatsapp/sessions/status/", &admin).await;
    assert_eq!(
        (s, v.clone()),
        (
            StatusCode::OK,
            json!({"status":"disconnected","message":"Nenhuma sessão encontrada"})
        )
    );
    let id = start_session(&app, &admin).await;
    // A second start: same session, nothing new.
    let (_, again) = app
        .post("/api/v1/whatsapp/sessions/start/", &admin, json!({}))
        .await;
    assert_eq!(again["session_id"], id);
    let (s, st) = app.get("/api/v1/whatsapp/sessions/status/", &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(st["status"], "ready");
    assert_eq!(st["is_connected"], true);
    assert!(
        st["connected_at"].as_str().unwrap().ends_with("+00:00"),
        "{st}"
    );
    let (_, detail) = app
        .get(&format!("/api/v1/whatsapp/sessions/{id}/"), &admin)
        .await;
    assert_eq!(detail["device_name"], "DX Connect Web");
    assert_eq!(detail["usuario_nome"], "admin");
    assert!(detail["connected_at"].as_str().unwrap().ends_with("-03:00"));
    assert!(detail["uptime_seconds"].is_i64());

    // A second, unprivileged agent sees none of it.
    let (agent_id, agent) = app.agent("ana", json!({})).await;
    let (_, list) = app.get("/api/v1/whatsapp/sessions/", &agent).await;
    assert_eq!(list["count"], 0, "{list}");
    let (s, _) = app
        .get(&format!("/api/v1/whatsapp/sessions/{id}/"), &agent)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .get(&format!("/api/v1/whatsapp/sessions/{id}/metrics/"), &agent)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .delete(&format!("/api/v1/whatsapp/sessions/{id}/"), &agent)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // …and may only create sessions for itself.
    let (s, v) = app
        .post("/api/v1/whatsapp/sessions/", &agent, json!({"usuario": 1}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(v["usuario"].is_array());
    let (s, own) = app
        .post(
            "/api/v1/whatsapp/sessions/",
            &agent,
            json!({"device_name": "Meu"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{own}");
    assert_eq!(own["usuario"], agent_id);
    assert_eq!(own["status"], "disconnected");
    let (_, list) = app.get("/api/v1/whatsapp/sessions/", &admin).await;
    assert_eq!(list["count"], 2);
    let (_, mine) = app
        .get("/api/v1/whatsapp/sessions/?status=ready", &admin)
        .await;
    assert_eq!(mine["count"], 1);
    let (s, bad) = app
        .get("/api/v1/whatsapp/sessions/?status=nope", &admin)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    // PATCH writes what it is given; bad values are 400.
    let own_id = own["id"].as_i64().unwrap();
    let (s, p) = app
        .patch(
            &format!("/api/v1/whatsapp/sessions/{own_id}/"),
            &agent,
            json!({"phone_number": "+5511"}),
        )
        .await;
    assert_eq!(
        (s, p["phone_number"].clone()),
        (StatusCode::OK, json!("+5511"))
    );
    let (s, _) = app
        .patch(
            &format!("/api/v1/whatsapp/sessions/{own_id}/"),
            &agent,
            json!({"phone_number": "1".repeat(21)}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Stop: disconnected, and the row follows.
    let (s, v) = app
        .post("/api/v1/whatsapp/sessions/stop/", &admin, json!({}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::OK,
            json!({"message":"Sessão encerrada com sucesso"})
        )
    );
    let (_, st) = app.get("/api/v1/whatsapp/sessions/status/", &admin).await;
    assert_eq!(st["status"], "disconnected");
    let (_, detail) = app
        .get(&format!("/api/v1/whatsapp/sessions/{id}/"), &admin)
        .await;
    assert!(detail["disconnected_at"].is_string());
}

#[tokio::test]
async fn send_validates_then_needs_a_ready_session_then_every_status_is_persisted() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let (s, v) = app
        .post("/api/v1/whatsapp/send/", &admin, json!({"to": "5511"}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"text":["Campo obrigatório para mensagens de texto"]})
        )
    );
    let (s, v) = app
        .post(
            "/api/v1/whatsapp/send/",
            &admin,
            json!({"to": "5511", "type": "image"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"media_url":["Campo obrigatório para mensagens do tipo image"]})
        )
    );
    let (s, v) = app
        .post("/api/v1/whatsapp/send/", &admin, json!({"text": "oi"}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"to":["Este campo é obrigatório."]})
        )
    );
    let (s, v) = app
        .post(
            "/api/v1/whatsapp/send/",
            &admin,
            json!({"to": "5511", "text": "oi"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::LOCKED,
            json!({"error":"Sessão não está pronta para enviar mensagens"})
        )
    );

    start_session(&app, &admin).await;
    let (s, v) = app
        .post(
            "/api/v1/whatsapp/send/",
            &admin,
            json!({"to": "5511999990000", "text": "olá", "client_message_id": "c-1"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["message_id"], "c-1");
    assert_eq!(v["task_id"], "c-1");
    assert_eq!(v["client_message_id"], "c-1");
    assert_eq!(v["status"], "queued");
    assert_eq!(v["message"], "Mensagem enfileirada para envio");
    let id = v["database_id"].as_i64().unwrap();
    let m = wait_message(&app, &admin, id, |m| m["status"] == "read").await;
    for k in ["sent_at", "delivered_at", "read_at"] {
        assert!(m[k].is_string(), "{k}: {m}");
    }
    assert!(
        m["latency_to_sent_ms"].is_i64() && m["total_latency_ms"].is_i64(),
        "{m}"
    );
    assert_eq!(m["direction"], "outbound");
    assert_eq!(m["is_from_me"], true);
    assert_eq!(
        m["payload"],
        json!({"type":"text","text":"olá","media_url":""})
    );
    // A retried send with the same client id is not sent twice.
    let (s, again) = app
        .post(
            "/api/v1/whatsapp/send/",
            &admin,
            json!({"to": "5511999990000", "text": "olá", "client_message_id": "c-1"}),
        )
        .await;
    assert_eq!(
        (s, again["database_id"].as_i64()),
        (StatusCode::ACCEPTED, Some(id))
    );
    let (_, st) = app.get("/api/v1/whatsapp/sessions/status/", &admin).await;
    assert_eq!(st["total_messages_sent"], 1, "{st}");
    let (_, stats) = app
        .get("/api/v1/whatsapp/messages/latency-stats/", &admin)
        .await;
    assert_eq!(stats["outbound_messages"], 1);
    assert_eq!(stats["latency_acceptable_rate"], 100.0);
    let (s, hl) = app
        .get("/api/v1/whatsapp/messages/high-latency/", &admin)
        .await;
    assert_eq!((s, hl), (StatusCode::OK, json!([])));
    // An unprivileged agent sees none of the admin's messages.
    let (_, agent) = app.agent("bia", json!({})).await;
    let (_, list) = app.get("/api/v1/whatsapp/messages/", &agent).await;
    assert_eq!(list["count"], 0);
    let (s, _) = app
        .get(&format!("/api/v1/whatsapp/messages/{id}/"), &agent)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, stats) = app
        .get("/api/v1/whatsapp/messages/latency-stats/", &agent)
        .await;
    assert_eq!(stats["total_messages"], 0);
}

#[tokio::test]
async fn the_webhook_stores_each_message_id_once_even_under_concurrent_deliveries() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let body = json!({"event":"message_received","data":{"from":"5511888","message":"oi","message_id":"w-dup"}});
    let (s, v) = app
        .anon_post("/api/v1/whatsapp/webhook/", body.clone())
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error":"Nenhuma sessão ativa disponível"})
        )
    );
    let (s, v) = app
        .anon_post("/api/v1/whatsapp/webhook/", json!({"event":"x"}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"error":"Evento não suportado: x"})
        )
    );
    let (s, v) = app.anon_post("/api/v1/whatsapp/webhook/", json!({})).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"error":"Evento não suportado: None"})
        )
    );
    let (s, v) = app
        .anon_post(
            "/api/v1/whatsapp/webhook/",
            json!({"event":"message_received","data":{}}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"error":"Campos obrigatórios ausentes: from, message"})
        )
    );
    // A present but invalid token is refused even on this public endpoint.
    let r = app
        .client
        .post(app.url("/api/v1/whatsapp/webhook/"))
        .bearer_auth("garbage")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    start_session(&app, &admin).await;
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let client = app.client.clone();
        let url = app.url("/api/v1/whatsapp/webhook/");
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let r = client.post(url).json(&body).send().await.unwrap();
            let s = r.status();
            let v: Value = r.json().await.unwrap();
            (s, v["id"].as_i64(), v["message_id"].clone())
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        let (s, id, mid) = t.await.unwrap();
        assert_eq!(s, StatusCode::OK);
        assert_eq!(mid, "w-dup");
        ids.insert(id.unwrap());
    }
    assert_eq!(ids.len(), 1, "one row for one message id");
    let (_, list) = app
        .get("/api/v1/whatsapp/messages/?direction=inbound", &admin)
        .await;
    assert_eq!(list["count"], 1);
    let (_, st) = app.get("/api/v1/whatsapp/sessions/status/", &admin).await;
    assert_eq!(st["total_messages_received"], 1, "counted once: {st}");
    let (_, m) = app
        .get(
            &format!("/api/v1/whatsapp/messages/{}/", ids.first().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(m["status"], "delivered");
    assert_eq!(m["raw_payload"], body);
    // Media typing and the default id.
    let (s, m) = app
        .anon_post("/api/v1/whatsapp/webhook/", json!({"event":"message_received","data":{"from":"55","message":"foto","media_url":"http://x/y.png","media_type":"image/png"}}))
        .await;
    assert_eq!(s, StatusCode::OK, "{m}");
    assert_eq!(m["message_type"], "image");
    assert!(m["message_id"].as_str().unwrap().starts_with("webhook_"));
}

#[tokio::test]
async fn inject_needs_a_session_and_validates_its_payload() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let path = "/api/v1/whatsapp/inject-incoming/";
    let (s, v) = app
        .post(
            path,
            &admin,
            json!({"from": "5511", "payload": {"text": "oi"}}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::NOT_FOUND,
            json!({"error":"Sessão WhatsApp não encontrada. Inicie uma sessão primeiro."})
        )
    );
    start_session(&app, &admin).await;
    for (body, err) in [
        (
            json!({"payload": {"text": "oi"}}),
            "Campo \"from\" é obrigatório",
        ),
        (json!({"from": "5511"}), "Campo \"payload\" é obrigatório"),
        (
            json!({"from": "5511", "payload": {"type": "gif", "text": "x"}}),
            "Tipo de mensagem inválido: gif",
        ),
        (
            json!({"from": "5511", "payload": {"type": "text"}}),
            "Campo \"payload.text\" é obrigatório para mensagens de texto",
        ),
    ] {
        let (s, v) = app.post(path, &admin, body).await;
        assert_eq!((s, v), (StatusCode::BAD_REQUEST, json!({"error": err})));
    }
    let (s, v) = app
        .post(path, &admin, json!({"from": "5511777", "chat_id": "c1", "payload": {"text": "oi", "contact_name": "Zé", "message_id": "inj-1"}}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["message"], "Mensagem de teste injetada com sucesso");
    assert_eq!(v["message_id"], "inj-1");
    assert_eq!(v["data"]["chat_id"], "c1");
    assert_eq!(v["data"]["contact_name"], "Zé");
    assert_eq!(v["data"]["direction"], "inbound");
}

#[tokio::test]
async fn legacy_endpoints_need_the_whatsapp_permission_and_store_nothing() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let (_, agent) = app.agent("caio", json!({})).await;
    let (s, v) = app.get("/api/v1/whatsapp/session/status", &agent).await;
    assert_eq!((s, v), (StatusCode::OK, json!({"status":"disconnected"})));
    let (s, _) = app
        .post("/api/v1/whatsapp/session/start", &agent, json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post(
            "/api/v1/whatsapp/messages",
            &agent,
            json!({"to": "1", "text": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, v) = app
        .post(
            "/api/v1/whatsapp/messages",
            &admin,
            json!({"to": "1", "text": "x"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::LOCKED,
            json!({"detail":"Sessão não está pronta"})
        )
    );
    let (s, v) = app
        .post("/api/v1/whatsapp/messages", &admin, json!({"text": "x"}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail":"Campo 'to' é obrigatório"})
        )
    );
    let (s, v) = app
        .post("/api/v1/whatsapp/session/start", &admin, json!({}))
        .await;
    assert_eq!((s, v), (StatusCode::ACCEPTED, json!({"status":"ready"})));
    let (s, v) = app
        .post(
            "/api/v1/whatsapp/messages",
            &admin,
            json!({"to": "1", "text": "x", "client_message_id": "leg-1"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (StatusCode::ACCEPTED, json!({"message_id":"leg-1"}))
    );
    // Legacy endpoints never create a session row and store no message.
    let (_, list) = app.get("/api/v1/whatsapp/sessions/", &admin).await;
    assert_eq!(list["count"], 0);
    let (_, msgs) = app.get("/api/v1/whatsapp/messages/", &admin).await;
    assert_eq!(msgs["count"], 0);
    let r = app
        .call(
            reqwest::Method::DELETE,
            "/api/v1/whatsapp/session",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, v) = app.get("/api/v1/whatsapp/session/status", &admin).await;
    assert_eq!(v, json!({"status":"disconnected"}));
}

#[tokio::test]
async fn export_import_reconnect_and_metrics() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let (s, v) = app
        .post("/api/v1/whatsapp/sessions/import/", &admin, json!({}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"error":"Dados de backup não fornecidos"})
        )
    );
    let backup = json!({"phone_number": "+5511", "session_data": {"k": 1}, "auto_reconnect": true});
    let (s, v) = app
        .post("/api/v1/whatsapp/sessions/import/", &admin, backup.clone())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["created"], true);
    let id = v["session_id"].as_i64().unwrap();
    let (s, v) = app
        .post("/api/v1/whatsapp/sessions/import/", &admin, backup)
        .await;
    assert_eq!(
        (s, v["created"].clone(), v["session_id"].as_i64()),
        (StatusCode::OK, json!(false), Some(id))
    );
    let r = app
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/whatsapp/sessions/{id}/export/"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["content-disposition"],
        format!("attachment; filename=\"whatsapp_session_{id}_backup.json\"").as_str()
    );
    let text = r.text().await.unwrap();
    assert!(
        text.contains("\n  \"session_id\""),
        "2-space indent: {text}"
    );
    let e: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(e["session_data"], json!({"k": 1}));
    assert_eq!(e["device_name"], "DX Connect Web");
    let (s, v) = app
        .post(
            &format!("/api/v1/whatsapp/sessions/{id}/reconnect/"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["message"], "Reconexão iniciada");
    assert_eq!(v["task_id"].as_str().unwrap().len(), 36);
    let (_, st) = app.get("/api/v1/whatsapp/sessions/status/", &admin).await;
    assert_eq!(
        st["status"], "ready",
        "reconnect restarted the simulation: {st}"
    );
    let (s, mx) = app
        .get(&format!("/api/v1/whatsapp/sessions/{id}/metrics/"), &admin)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mx["total_messages"], 0);
    assert_eq!(mx["latency_acceptable_rate"], 100.0);
    assert_eq!(mx["avg_latency_ms"], Value::Null);
}

#[tokio::test]
async fn a_message_queued_by_a_killed_server_is_sent_after_the_restart() {
    use crate::reliability::{login, start};
    let dir = tempfile::tempdir().unwrap();
    let url = crate::common::database_url(&dir).await;
    let http = crate::common::client_builder().build().expect("client");
    // First run: no sender in this process, so the message stays queued.
    let server = start(
        &url,
        dir.path(),
        1,
        &http,
        &[("WHATSAPP_STUB_FAST", "1"), ("DX_OUTBOX", "off")],
    )
    .await;
    let token = login(&http, &server.base).await;
    let r = http
        .post(format!("{}/api/v1/whatsapp/sessions/start/", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let r = http
        .post(format!("{}/api/v1/whatsapp/send/", server.base))
        .bearer_auth(&token)
        .json(&json!({"to": "5511", "text": "depois do crash"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let id = r.json::<Value>().await.unwrap()["database_id"]
        .as_i64()
        .unwrap();
    drop(server); // SIGKILL
    // Second run, with the sender: once the session is up again, the message goes out.
    let server = start(&url, dir.path(), 2, &http, &[("WHATSAPP_STUB_FAST", "1")]).await;
    let token = login(&http, &server.base).await;
    let get = |t: String| {
        let http = http.clone();
        let u = format!("{}/api/v1/whatsapp/messages/{id}/", server.base);
        async move {
            http.get(u)
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(get(token.clone()).await["status"], "queued");
    let r = http
        .get(format!("{}/api/v1/whatsapp/sessions/status/", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["status"],
        "disconnected",
        "the simulation restarts disconnected"
    );
    http.post(format!("{}/api/v1/whatsapp/sessions/start/", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let m = get(token.clone()).await;
        if m["status"] == "read" {
            assert!(m["sent_at"].is_string());
            break;
        }
        assert!(Instant::now() < deadline, "never sent: {m}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn message_lists_filter_search_and_order_and_sessions_can_be_deleted() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let session = start_session(&app, &admin).await;
    for (i, text) in ["bom dia", "boa tarde", "preço do plano"]
        .iter()
        .enumerate()
    {
        let (s, _) = app
            .anon_post("/api/v1/whatsapp/webhook/", json!({"event":"message_received","data":{"from":format!("551190{i}"),"message":text,"message_id":format!("f-{i}")}}))
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let (s, _) = app
        .post(
            "/api/v1/whatsapp/send/",
            &admin,
            json!({"to": "5511", "text": "olá"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (_, all) = app.get("/api/v1/whatsapp/messages/", &admin).await;
    assert_eq!(all["count"], 4);
    assert_eq!(
        all["results"][0]["direction"], "outbound",
        "newest first: {all}"
    );
    let (_, inbound) = app
        .get(
            "/api/v1/whatsapp/messages/?direction=inbound&ordering=created_at",
            &admin,
        )
        .await;
    assert_eq!(inbound["count"], 3);
    assert_eq!(inbound["results"][0]["message_id"], "f-0");
    let (_, found) = app
        .get("/api/v1/whatsapp/messages/?search=PREÇO", &admin)
        .await;
    assert_eq!(found["count"], 1, "{found}");
    let (_, mine) = app
        .get(
            &format!("/api/v1/whatsapp/messages/?session={session}&is_from_me=true"),
            &admin,
        )
        .await;
    assert_eq!(mine["count"], 1);
    let (_, chat) = app
        .get("/api/v1/whatsapp/messages/?chat_id=5511901", &admin)
        .await;
    assert_eq!(chat["count"], 1);
    for bad in [
        "direction=sideways",
        "status=lost",
        "session=x",
        "is_from_me=maybe",
    ] {
        let (s, v) = app
            .get(&format!("/api/v1/whatsapp/messages/?{bad}"), &admin)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
    }
    let (s, _) = app
        .delete(&format!("/api/v1/whatsapp/sessions/{session}/"), &admin)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .get(&format!("/api/v1/whatsapp/sessions/{session}/"), &admin)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, all) = app.get("/api/v1/whatsapp/messages/", &admin).await;
    assert_eq!(all["count"], 0, "a session's messages go with it");
}
