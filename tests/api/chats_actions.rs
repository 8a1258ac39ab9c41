//! Chat actions under concurrency and their events: parallel accepts of one chat, parallel
//! first messages of one new chat, the chats' transfer and close, and the auto-close job on
//! the real binary (contract §4.6, §5.3, §6.1, §6.2).

use crate::atendimento_support::*;
use crate::common::{TestApp, database_url, spawn_app};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn of_eight_parallel_accepts_exactly_one_wins() {
    let app = spawn_app().await;
    let barrier = Barrier::new(&app).await;
    session(&app, &app.admin_token).await;
    let mut agents = Vec::new();
    for i in 0..8 {
        agents.push(app.agent(&format!("agente{i}"), json!({})).await);
    }
    let mut watcher = Socket::open(&app, &app.admin_token).await;
    let num = "5511977770000";
    waiting_chat(&app, num).await;
    let path = format!("/api/v1/chats/{num}/aceitar/");
    let answers = join_all(
        agents
            .iter()
            .map(|(_, token)| app.post(&path, token, json!({}))),
    )
    .await;
    let winners: Vec<usize> = (0..8).filter(|i| answers[*i].0 == StatusCode::OK).collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    for (i, (s, v)) in answers.iter().enumerate() {
        if i != winners[0] {
            assert_eq!(*s, StatusCode::BAD_REQUEST);
            assert_eq!(*v, json!({"error": "Este chat já está em_atendimento"}));
        }
    }
    let winner = agents[winners[0]].0;
    assert_eq!(chat(&app, &app.admin_token, num).await["atendente"], winner);
    let b = barrier.fire(&app).await;
    assert_eq!(
        about(&watcher.before(&b).await, num),
        ["new_chat", "chat_accepted"],
        "one chat_accepted"
    );
    assert!(
        results(&app, &app.admin_token, "/api/v1/atendimento/filas/")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn forty_parallel_first_messages_open_exactly_one_chat() {
    let app = spawn_app().await;
    let barrier = Barrier::new(&app).await;
    session(&app, &app.admin_token).await;
    let mut watcher = Socket::open(&app, &app.admin_token).await;
    let num = "5511966660000";
    // Half through the webhook, half through the inject endpoint, all at once.
    let calls = (0..40).map(|i| {
        let app = &app;
        async move {
            if i % 2 == 0 {
                app.anon_post(
                    "/api/v1/whatsapp/webhook/",
                    json!({"event": "message_received", "data": {"from": num,
                           "message": format!("m{i}"), "message_id": format!("race-{i}"),
                           "contact_name": "Corrida"}}),
                )
                .await
            } else {
                app.post(
                    "/api/v1/whatsapp/inject-incoming/",
                    &app.admin_token,
                    json!({"from": num, "payload": {"text": format!("m{i}"),
                           "message_id": format!("race-{i}"), "contact_name": "Corrida"}}),
                )
                .await
            }
        }
    });
    for (s, v) in join_all(calls).await {
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let b = barrier.fire(&app).await;
    assert_eq!(about(&watcher.before(&b).await, num), ["new_chat"]);
    let (_, list) = app.get("/api/v1/chats/", &app.admin_token).await;
    let rows: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["chat_id"] == num)
        .collect();
    assert_eq!(rows.len(), 1, "{list}");
    assert_eq!(rows[0]["total_mensagens"], 40);
    assert_eq!(rows[0]["mensagens_nao_lidas"], 40);
    let a = results(
        &app,
        &app.admin_token,
        &format!("/api/v1/atendimento/atendimentos/?search={num}"),
    )
    .await;
    assert_eq!(a.len(), 1);
    let c = chat(&app, &app.admin_token, num).await;
    assert_eq!(c["total_mensagens_cliente"], 40);
    let filas = results(&app, &app.admin_token, "/api/v1/atendimento/filas/").await;
    assert_eq!(filas.iter().filter(|f| f["chat_id"] == num).count(), 1);
    let clientes = results(&app, &app.admin_token, "/api/v1/clientes/?search=Corrida").await;
    assert_eq!(clientes.len(), 1, "{clientes:?}");
}

#[tokio::test]
async fn chat_transfers_check_their_rules_and_tell_only_the_destination() {
    let app = spawn_app().await;
    let barrier = Barrier::new(&app).await;
    let (ana_id, ana) = app.agent("ana", json!({})).await;
    let (beto_id, beto) = app
        .agent("beto", json!({"display_name": "Beto Lima"}))
        .await;
    let vendas = departamento(&app, json!({"nome": "Vendas", "atendentes": [beto_id]})).await;
    session(&app, &app.admin_token).await;
    let mut s_ana = Socket::open(&app, &ana).await;
    let mut s_beto = Socket::open(&app, &beto).await;
    let mut s_admin = Socket::open(&app, &app.admin_token).await;
    let num = "5511988880000";
    let id = waiting_chat(&app, num).await;
    aceitar(&app, &ana, num).await;
    let b = barrier.fire(&app).await;
    for s in [&mut s_ana, &mut s_beto, &mut s_admin] {
        s.before(&b).await;
    }
    let path = format!("/api/v1/chats/{num}/transferir/");

    for (body, errors) in [
        (
            json!({}),
            json!({"atendente_destino_id": ["Este campo é obrigatório."],
                   "motivo": ["Este campo é obrigatório."]}),
        ),
        (
            json!({"atendente_destino_id": "2", "motivo": ""}),
            json!({"atendente_destino_id": ["Um número inteiro válido é exigido."],
                   "motivo": ["Este campo não pode ser em branco."]}),
        ),
        (
            json!({"atendente_destino_id": beto_id, "motivo": "x", "departamento_destino_id": 1.5}),
            json!({"departamento_destino_id": ["Um número inteiro válido é exigido."]}),
        ),
    ] {
        assert_eq!(
            app.post(&path, &ana, body).await,
            (StatusCode::BAD_REQUEST, errors)
        );
    }
    assert_eq!(
        app.post(
            &path,
            &ana,
            json!({"atendente_destino_id": 999_999, "motivo": "x"})
        )
        .await,
        (
            StatusCode::NOT_FOUND,
            json!({"detail": "No Agent matches the given query."})
        )
    );
    assert_eq!(
        app.post(
            &path,
            &ana,
            json!({"atendente_destino_id": beto_id, "motivo": "x", "departamento_destino_id": 999_999})
        )
        .await,
        (StatusCode::NOT_FOUND, json!({"detail": "No Departamento matches the given query."}))
    );
    let (s, v) = app
        .post(
            &path,
            &ana,
            json!({"atendente_destino_id": beto_id, "departamento_destino_id": vendas,
                   "motivo": "Cliente quer comprar"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["transferencia_id"].as_i64().is_some(), "{v}");
    assert_eq!(v["message"], "Chat transferido com sucesso");
    assert_eq!(
        v["atendente_destino"],
        json!({"id": beto_id, "nome": "Beto Lima"})
    );
    assert_eq!(v.as_object().unwrap().len(), 3);
    let b = barrier.fire(&app).await;
    let frames = s_beto.before(&b).await;
    assert_eq!(about(&frames, num), ["chat_transferred"]);
    let t = &frames
        .iter()
        .find(|f| name(f) == "chat_transferred")
        .unwrap();
    assert_eq!(t["version"], "v1");
    let d = &t["data"];
    assert_eq!(
        (&d["atendimento_id"], &d["chat_id"], &d["de"], &d["motivo"]),
        (
            &json!(id),
            &json!(num),
            &json!("ana"),
            &json!("Cliente quer comprar")
        )
    );
    assert_eq!(d["cliente_nome"], format!("Contato {num}"));
    assert!(d["timestamp"].as_str().unwrap().ends_with("+00:00"));
    for s in [&mut s_ana, &mut s_admin] {
        assert!(about(&s.before(&b).await, num).is_empty());
    }
    let c = chat(&app, &beto, num).await;
    assert_eq!(
        (&c["atendente"], &c["departamento"]),
        (&json!(beto_id), &json!(vendas))
    );
    assert_eq!(c["departamento_nome"], "Vendas");
    let (s, _) = app.get(&format!("/api/v1/chats/{num}/"), &ana).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no longer ana's");

    // A waiting chat has no atendente: the event comes from "Sistema".
    let espera = "5511988881111";
    waiting_chat(&app, espera).await;
    let (s, v) = app
        .post(
            &format!("/api/v1/chats/{espera}/transferir/"),
            &app.admin_token,
            json!({"atendente_destino_id": ana_id, "motivo": "redistribuição"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let t = s_ana.event("chat_transferred").await;
    assert_eq!(
        (&t["data"]["chat_id"], &t["data"]["de"]),
        (&json!(espera), &json!("Sistema"))
    );

    // A finished chat does not move.
    let (s, _) = app
        .post(&format!("/api/v1/chats/{num}/encerrar/"), &beto, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        app.post(
            &path,
            &app.admin_token,
            json!({"atendente_destino_id": ana_id, "motivo": "x"})
        )
        .await,
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "Este chat já está finalizado"})
        )
    );
}

#[tokio::test]
async fn closing_a_chat_tells_every_socket_and_happens_once() {
    let app = spawn_app().await;
    let (ana_id, ana) = app.agent("ana", json!({})).await;
    let (_, beto) = app.agent("beto", json!({})).await;
    session(&app, &app.admin_token).await;
    let mut sockets = vec![
        Socket::open(&app, &ana).await,
        Socket::open(&app, &beto).await,
        Socket::open(&app, &app.admin_token).await,
    ];
    let num = "5511944440000";
    let id = waiting_chat(&app, num).await;
    aceitar(&app, &ana, num).await;
    let path = format!("/api/v1/chats/{num}/encerrar/");
    assert_eq!(
        app.post(&path, &ana, json!({"solicitar_avaliacao": "talvez"}))
            .await,
        (
            StatusCode::BAD_REQUEST,
            json!({"solicitar_avaliacao": ["Must be a valid boolean."]})
        )
    );
    let (s, v) = app
        .post(
            &path,
            &ana,
            json!({"observacoes": "Resolvido", "solicitar_avaliacao": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["message"], "Chat encerrado com sucesso");
    assert_eq!(v["atendimento_id"], id);
    let at = v["finalizado_em"].as_str().expect("finalizado_em");
    assert!(at.ends_with('Z') && at.contains('.'), "{at}");
    for s in &mut sockets {
        let closed = s
            .until(|f| name(f) == "chat_closed" && f["data"]["chat_id"] == num)
            .await
            .pop()
            .unwrap();
        let d = &closed["data"];
        assert_eq!(
            (&d["atendimento_id"], &d["atendente_id"]),
            (&json!(id), &json!(ana_id))
        );
        assert!(d["finalizado_em"].as_str().unwrap().ends_with("+00:00"));
    }
    assert_eq!(
        app.post(&path, &ana, json!({})).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "Este chat já está finalizado"})
        )
    );
    let (_, a) = app
        .get(&format!("/api/v1/atendimento/atendimentos/{id}/"), &ana)
        .await;
    assert_eq!(
        (&a["status"], &a["observacoes"]),
        (&json!("finalizado"), &json!("Resolvido"))
    );
    assert!(
        a["tempo_total_atendimento_segundos"].as_i64().is_some(),
        "{a}"
    );
    assert_eq!(a["esta_ativo"], false);
    // A chat closed while waiting was never started.
    let espera = "5511944441111";
    let id2 = waiting_chat(&app, espera).await;
    let (s, _) = app
        .post(
            &format!("/api/v1/chats/{espera}/encerrar/"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, a) = app
        .get(
            &format!("/api/v1/atendimento/atendimentos/{id2}/"),
            &app.admin_token,
        )
        .await;
    assert_eq!(a["tempo_total_atendimento_segundos"], Value::Null);
    let (s, v) = app
        .post(
            "/api/v1/chats/5500000000000/encerrar/",
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::NOT_FOUND,
            json!({"detail": "No Atendimento matches the given query."})
        )
    );
}

/// The real binary with a one-second check and a two-second timeout from the environment: an
/// idle chat is closed and its atendente told; a waiting chat is left alone. The chat
/// settings' timeout (at least one minute) is overridden by `DX_AUTO_CLOSE_TIMEOUT_SECONDS`.
#[tokio::test]
async fn idle_chats_are_closed_by_the_auto_close_job() {
    let dir = tempfile::tempdir().expect("tempdir");
    let http = reqwest::Client::new();
    let url = database_url(&dir).await;
    let server = crate::reliability::start(
        &url,
        dir.path(),
        0,
        &http,
        &[
            ("DX_AUTO_CLOSE_CHECK_SECONDS", "1"),
            ("DX_AUTO_CLOSE_TIMEOUT_SECONDS", "2"),
            ("WHATSAPP_STUB_FAST", "1"),
        ],
    )
    .await;
    let admin_token = crate::reliability::login(&http, &server.base).await;
    let app = TestApp {
        base: server.base.clone(),
        client: http,
        _dir: tempfile::tempdir().expect("tempdir"),
        admin_token,
        shutdown: Default::default(),
    };
    let (s, v) = app
        .patch(
            "/api/v1/config/chat/",
            &app.admin_token,
            json!({"timeout_inatividade_minutos": 0}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app
        .patch(
            "/api/v1/config/chat/",
            &app.admin_token,
            json!({"timeout_inatividade_minutos": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, ana) = app.agent("ana", json!({})).await;
    let (_, beto) = app.agent("beto", json!({})).await;
    session(&app, &app.admin_token).await;
    let barrier = Barrier::new(&app).await;
    let mut s_ana = Socket::open(&app, &ana).await;
    let mut s_beto = Socket::open(&app, &beto).await;
    let num = "5511933330000";
    let id = waiting_chat(&app, num).await;
    let espera = "5511933331111";
    waiting_chat(&app, espera).await;
    aceitar(&app, &ana, num).await;

    let closed = s_ana.event("chat_auto_closed").await;
    assert_eq!(closed["version"], "v1");
    let d = &closed["data"];
    assert_eq!(
        (
            &d["atendimento_id"],
            &d["chat_id"],
            &d["motivo"],
            &d["tempo_inativo_minutos"]
        ),
        (&json!(id), &json!(num), &json!("inatividade"), &json!(0))
    );
    assert_eq!(d["cliente_nome"], format!("Contato {num}"));
    let (_, a) = app
        .get(&format!("/api/v1/atendimento/atendimentos/{id}/"), &ana)
        .await;
    assert_eq!(a["status"], "finalizado");
    assert_eq!(
        a["observacoes"],
        "Encerrado automaticamente por inatividade (0 minutos sem interação)"
    );
    assert!(a["finalizado_em"].is_string());
    let b = barrier.fire(&app).await;
    assert!(
        !s_beto
            .before(&b)
            .await
            .iter()
            .any(|f| name(f) == "chat_auto_closed"),
        "only the atendente hears it"
    );
    // The waiting chat was not touched (only `em_atendimento` chats are closed).
    assert_eq!(
        chat(&app, &app.admin_token, espera).await["status"],
        "aguardando"
    );
    drop(server);
}
