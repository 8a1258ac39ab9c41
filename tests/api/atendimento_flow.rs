//! Atendimento flows (contract §4.7): the transfer endpoint's rules in order and its
//! Transferencia, and auto-distribution — priority, FIFO, least load, capacity, the reuse of a
//! waiting atendimento, `chat_assigned`, and parallel calls racing accepts.

use crate::atendimento_support::*;
use crate::common::{TestApp, spawn_app};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn atendimento(app: &TestApp, body: Value) -> i64 {
    let (s, v) = app
        .post("/api/v1/atendimento/atendimentos/", &app.admin_token, body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

async fn fila(app: &TestApp, departamento: i64, cliente: i64, chat: &str, prioridade: &str) -> i64 {
    let (s, v) = app
        .post(
            "/api/v1/atendimento/filas/",
            &app.admin_token,
            json!({"departamento": departamento, "cliente": cliente, "chat_id": chat,
                   "numero_whatsapp": chat, "prioridade": prioridade,
                   "mensagem_inicial": format!("inicial {chat}")}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

async fn distribuir(app: &TestApp, departamento: i64) -> i64 {
    let (s, v) = app
        .post(
            "/api/v1/atendimento/filas/distribuir/",
            &app.admin_token,
            json!({"departamento_id": departamento}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let n = v["distribuidos"].as_i64().unwrap();
    assert_eq!(v["message"], format!("{n} atendimentos distribuídos"));
    n
}

/// The chat ids whose open chat `agent` attends, sorted.
async fn chats_of(app: &TestApp, agent: i64) -> Vec<String> {
    let (s, v) = app
        .get(
            &format!("/api/v1/chats/?atendente={agent}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut ids: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["chat_id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn the_transfer_endpoint_checks_its_rules_in_order_and_records_the_transfer() {
    let app = spawn_app().await;
    let barrier = Barrier::new(&app).await;
    let (ana_id, ana) = app.agent("ana", json!({})).await;
    let (beto_id, beto) = app.agent("beto", json!({})).await;
    let (caio_id, _) = app.agent("caio", json!({})).await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/authz/agents/{caio_id}/"),
            &app.admin_token,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let suporte = departamento(&app, json!({"nome": "Suporte", "atendentes": [ana_id]})).await;
    let vendas = departamento(&app, json!({"nome": "Vendas", "atendentes": [beto_id]})).await;
    let fechado = departamento(
        &app,
        json!({"nome": "Fechado", "atendentes": [beto_id], "ativo": false}),
    )
    .await;
    let c = cliente(&app, "Gama Ltda").await;
    let open = atendimento(
        &app,
        json!({"departamento": suporte, "cliente": c, "chat_id": "t1", "numero_whatsapp": "1",
               "atendente": ana_id, "status": "em_atendimento"}),
    )
    .await;
    let done = atendimento(
        &app,
        json!({"departamento": suporte, "cliente": c, "chat_id": "t2", "numero_whatsapp": "1",
               "atendente": ana_id, "status": "finalizado"}),
    )
    .await;
    let mut s_ana = Socket::open(&app, &ana).await;
    let mut s_beto = Socket::open(&app, &beto).await;
    let path = |id: i64| format!("/api/v1/atendimento/atendimentos/{id}/transferir/");
    let call = |id: i64, body: Value| {
        let app = &app;
        async move { app.post(&path(id), &app.admin_token, body).await }
    };
    let err = |s: StatusCode, m: &str| (s, json!({"error": m}));

    assert_eq!(
        call(open, json!({"departamento_destino_id": "x"})).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"atendente_destino_id": ["Este campo é obrigatório."],
                   "motivo": ["Este campo é obrigatório."],
                   "departamento_destino_id": ["Um número inteiro válido é exigido."]})
        )
    );
    assert_eq!(
        call(
            done,
            json!({"atendente_destino_id": beto_id, "motivo": "m"})
        )
        .await,
        err(
            StatusCode::BAD_REQUEST,
            "Atendimento não pode ser transferido no estado atual"
        )
    );
    for destino in [999_999, caio_id] {
        assert_eq!(
            call(
                open,
                json!({"atendente_destino_id": destino, "motivo": "m"})
            )
            .await,
            err(
                StatusCode::NOT_FOUND,
                "Atendente destino não encontrado ou inativo"
            )
        );
    }
    assert_eq!(
        call(open, json!({"atendente_destino_id": ana_id, "motivo": "m"})).await,
        err(
            StatusCode::BAD_REQUEST,
            "Não é possível transferir para o mesmo atendente"
        )
    );
    for dep in [999_999, fechado] {
        assert_eq!(
            call(open, json!({"atendente_destino_id": beto_id, "motivo": "m", "departamento_destino_id": dep})).await,
            err(StatusCode::NOT_FOUND, "Departamento destino não encontrado ou inativo")
        );
    }
    assert_eq!(
        call(open, json!({"atendente_destino_id": beto_id, "motivo": "m", "departamento_destino_id": suporte})).await,
        err(StatusCode::BAD_REQUEST, "Atendente destino não pertence ao departamento destino")
    );
    assert_eq!(
        call(
            999_999,
            json!({"atendente_destino_id": beto_id, "motivo": "m"})
        )
        .await,
        (
            StatusCode::NOT_FOUND,
            json!({"detail": "No Atendimento matches the given query."})
        )
    );

    let (s, v) = call(
        open,
        json!({"atendente_destino_id": beto_id, "motivo": "Assunto comercial",
               "departamento_destino_id": vendas}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["message"], "Atendimento transferido com sucesso");
    assert_eq!(v["atendimento_id"], open);
    let t = &v["transferencia"];
    for (k, want) in [
        ("atendimento", json!(open)),
        ("atendente_origem", json!(ana_id)),
        ("atendente_origem_nome", json!("ana")),
        ("atendente_destino", json!(beto_id)),
        ("atendente_destino_nome", json!("beto")),
        ("departamento_origem", json!(suporte)),
        ("departamento_origem_nome", json!("Suporte")),
        ("departamento_destino", json!(vendas)),
        ("departamento_destino_nome", json!("Vendas")),
        ("motivo", json!("Assunto comercial")),
        ("aceito", json!(true)),
        ("foi_entre_departamentos", json!(true)),
    ] {
        assert_eq!(t[k], want, "{k}: {t}");
    }
    for k in ["aceito_em", "criado_em"] {
        assert!(
            t[k].as_str().is_some_and(|s| s.ends_with("-03:00")),
            "{k}: {t}"
        );
    }
    assert!(t["id"].as_i64().is_some());
    let b = barrier.fire(&app).await;
    let frames = s_beto.before(&b).await;
    assert_eq!(about(&frames, "t1"), ["chat_transferred"]);
    assert_eq!(frames[0]["data"]["de"], "ana");
    assert_eq!(frames[0]["data"]["motivo"], "Assunto comercial");
    assert!(
        about(&s_ana.before(&b).await, "t1").is_empty(),
        "the origin is not told"
    );
    let (_, a) = app
        .get(&format!("/api/v1/atendimento/atendimentos/{open}/"), &beto)
        .await;
    assert_eq!(
        (&a["atendente"], &a["departamento"]),
        (&json!(beto_id), &json!(vendas))
    );
    let (s, _) = app
        .get(&format!("/api/v1/atendimento/atendimentos/{open}/"), &ana)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no longer in ana's scope");

    // Without a department the department is kept (and recorded on both sides).
    let (s, v) = call(
        open,
        json!({"atendente_destino_id": ana_id, "motivo": "volta"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let t = &v["transferencia"];
    assert_eq!(
        (&t["departamento_origem"], &t["departamento_destino"]),
        (&json!(vendas), &json!(vendas))
    );
    assert_eq!(t["foi_entre_departamentos"], false);
    // A waiting atendimento has no origin atendente: omitted name, "Sistema" in the event.
    let waiting = atendimento(
        &app,
        json!({"departamento": suporte, "cliente": c, "chat_id": "t3", "numero_whatsapp": "1"}),
    )
    .await;
    let (s, v) = call(
        waiting,
        json!({"atendente_destino_id": beto_id, "motivo": "fila"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["transferencia"]["atendente_origem"], Value::Null);
    assert!(
        v["transferencia"].get("atendente_origem_nome").is_none(),
        "{v}"
    );
    let ev = s_beto
        .until(|f| name(f) == "chat_transferred" && f["data"]["chat_id"] == "t3")
        .await
        .pop()
        .unwrap();
    assert_eq!(ev["data"]["de"], "Sistema");
}

#[tokio::test]
async fn distribution_follows_priority_then_age_to_the_least_loaded_within_capacity() {
    let app = spawn_app().await;
    let barrier = Barrier::new(&app).await;
    let (ana_id, ana) = app.agent("ana", json!({})).await;
    let (beto_id, beto) = app.agent("beto", json!({})).await;
    let (caio_id, caio) = app.agent("caio", json!({})).await;
    let (dani_id, _) = app.agent("dani", json!({})).await;
    let (_, edu) = app.agent("edu", json!({})).await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/authz/agents/{dani_id}/"),
            &app.admin_token,
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let dep = departamento(
        &app,
        json!({"nome": "Suporte", "atendentes": [ana_id, beto_id, caio_id, dani_id],
               "max_atendimentos_simultaneos": 2}),
    )
    .await;
    let outro = departamento(&app, json!({"nome": "Outro"})).await;
    let c = cliente(&app, "Delta SA").await;
    // beto already attends one chat (another department's): load 1.
    atendimento(
        &app,
        json!({"departamento": outro, "cliente": c, "chat_id": "carga", "numero_whatsapp": "1",
               "atendente": beto_id, "status": "em_atendimento"}),
    )
    .await;
    // A waiting atendimento of r1's chat is reused instead of a new one.
    let waiting = atendimento(
        &app,
        json!({"departamento": dep, "cliente": c, "chat_id": "r1", "numero_whatsapp": "r1"}),
    )
    .await;
    for (chat, p) in [
        ("r1", "normal"),
        ("r2", "urgente"),
        ("r3", "baixa"),
        ("r4", "alta"),
        ("r5", "normal"),
        ("r6", "normal"),
        ("r7", "normal"),
    ] {
        fila(&app, dep, c, chat, p).await;
    }
    let mut sockets = [
        Socket::open(&app, &ana).await,
        Socket::open(&app, &beto).await,
        Socket::open(&app, &caio).await,
        Socket::open(&app, &edu).await,
    ];

    assert_eq!(distribuir(&app, dep).await, 5);
    // r2 (urgente) → ana; r4 (alta) → caio (least loaded); r1, r5, r6 (normal, oldest first)
    // → ana, beto, caio (ties: lowest id); then nobody is below 2: r7 and r3 wait.
    assert_eq!(chats_of(&app, ana_id).await, ["r1", "r2"]);
    assert_eq!(chats_of(&app, beto_id).await, ["carga", "r5"]);
    assert_eq!(chats_of(&app, caio_id).await, ["r4", "r6"]);
    assert!(
        chats_of(&app, dani_id).await.is_empty(),
        "inactive members get nothing"
    );
    let c1 = chat(&app, &ana, "r1").await;
    assert_eq!(c1["id"], waiting, "the waiting atendimento was assigned");
    assert_eq!(
        (&c1["status"], &c1["atendente"]),
        (&json!("em_atendimento"), &json!(ana_id))
    );
    assert!(c1["iniciado_em"].is_string());
    let c4 = chat(&app, &caio, "r4").await;
    assert_eq!(
        (&c4["prioridade"], &c4["departamento"]),
        (&json!("alta"), &json!(dep))
    );
    let filas = results(&app, &app.admin_token, "/api/v1/atendimento/filas/").await;
    assert_eq!(filas.len(), 7, "queue rows are kept");
    let pending: Vec<&str> = filas
        .iter()
        .filter(|f| f["atribuido_em"].is_null())
        .map(|f| f["chat_id"].as_str().unwrap())
        .collect();
    assert_eq!(pending, ["r7", "r3"]);
    let (_, d) = app
        .get(
            &format!("/api/v1/atendimento/departamentos/{dep}/"),
            &app.admin_token,
        )
        .await;
    assert_eq!(
        (&d["total_em_fila"], &d["total_em_atendimento"]),
        (&json!(2), &json!(5))
    );

    // Each assignment reached its agent as chat_assigned, and nobody else.
    let b = barrier.fire(&app).await;
    let want: [&[&str]; 4] = [&["r2", "r1"], &["r5"], &["r4", "r6"], &[]];
    for (s, chats) in sockets.iter_mut().zip(want) {
        let frames = s.before(&b).await;
        let got: Vec<&Value> = frames
            .iter()
            .filter(|f| name(f) == "chat_assigned")
            .collect();
        let got_chats: Vec<&str> = got
            .iter()
            .map(|f| f["data"]["chat_id"].as_str().unwrap())
            .collect();
        assert_eq!(got_chats, chats);
        for f in got {
            let chat = f["data"]["chat_id"].as_str().unwrap();
            assert_eq!(f["data"]["mensagem_inicial"], format!("inicial {chat}"));
            assert_eq!(f["data"]["departamento"], "Suporte");
        }
    }

    assert_eq!(distribuir(&app, dep).await, 0, "everyone is at capacity");
    assert_eq!(distribuir(&app, 999_999).await, 0);
    let (s, _) = app
        .patch(
            &format!("/api/v1/atendimento/departamentos/{dep}/"),
            &app.admin_token,
            json!({"ativo": false, "max_atendimentos_simultaneos": 9}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        distribuir(&app, dep).await,
        0,
        "an inactive department distributes nothing"
    );
    for (body, want) in [
        (json!({}), json!({"error": "departamento_id é obrigatório"})),
        (
            json!({"departamento_id": null}),
            json!({"error": "departamento_id é obrigatório"}),
        ),
        (
            json!({"departamento_id": "1"}),
            json!({"departamento_id": ["Um número inteiro válido é exigido."]}),
        ),
    ] {
        assert_eq!(
            app.post(
                "/api/v1/atendimento/filas/distribuir/",
                &app.admin_token,
                body
            )
            .await,
            (StatusCode::BAD_REQUEST, want)
        );
    }
}

#[tokio::test]
async fn parallel_distributions_and_accepts_never_overfill_an_agent_or_assign_a_row_twice() {
    let app = spawn_app().await;
    const MAX: usize = 2;
    let mut agents = Vec::new();
    for i in 0..3 {
        agents.push(app.agent(&format!("par{i}"), json!({})).await);
    }
    let members: Vec<i64> = agents.iter().map(|a| a.0).collect();
    let dep = departamento(
        &app,
        json!({"nome": "Paralelo", "atendentes": members, "max_atendimentos_simultaneos": MAX}),
    )
    .await;
    let outro = departamento(&app, json!({"nome": "Outro"})).await;
    let c = cliente(&app, "Épsilon").await;
    let queued: Vec<String> = (0..10).map(|i| format!("q{i}")).collect();
    for q in &queued {
        fila(&app, dep, c, q, "normal").await;
    }
    // One waiting chat per agent, accepted while the distributions run.
    for i in 0..agents.len() {
        atendimento(
            &app,
            json!({"departamento": outro, "cliente": c, "chat_id": format!("w{i}"),
                   "numero_whatsapp": "1"}),
        )
        .await;
    }
    let distributions = (0..4).map(|_| distribuir(&app, dep));
    let accepts = agents.iter().enumerate().map(|(i, (_, token))| {
        let app = &app;
        async move {
            let (s, v) = app
                .post(&format!("/api/v1/chats/w{i}/aceitar/"), token, json!({}))
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
        }
    });
    let (counts, _) = futures_util::join!(join_all(distributions), join_all(accepts));
    let total: i64 = counts.iter().sum();

    let mut assigned = 0;
    for (id, _) in &agents {
        let chats = chats_of(&app, *id).await;
        let from_queue = chats.iter().filter(|c| c.starts_with('q')).count();
        assert!(from_queue <= MAX, "agent {id} got {chats:?}");
        assert!(chats.len() <= MAX + 1, "agent {id} holds {chats:?}");
        assigned += from_queue;
    }
    assert_eq!(usize::try_from(total).unwrap(), assigned, "{counts:?}");
    let filas = results(&app, &app.admin_token, "/api/v1/atendimento/filas/").await;
    let stamped = filas
        .iter()
        .filter(|f| !f["atribuido_em"].is_null())
        .count();
    assert_eq!(stamped, assigned, "each assigned row stamped once");
    let (_, list) = app.get("/api/v1/chats/", &app.admin_token).await;
    for q in &queued {
        let open = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["chat_id"] == q.as_str())
            .count();
        assert!(open <= 1, "{q} has {open} chats");
    }
    // One more pass fills what capacity is left: every agent then holds at least MAX.
    distribuir(&app, dep).await;
    for (id, _) in &agents {
        assert!(chats_of(&app, *id).await.len() >= MAX);
    }
}
