//! Chats (contract §4.6, §6.1): the chat intake from the webhook and injects, who hears
//! `new_chat` / `new_message` / `chat_accepted` / `chat_assigned`, the message window and the
//! unread rule, and what an unprivileged agent may see and do.

use crate::atendimento_support::*;
use crate::common::spawn_app;
use reqwest::StatusCode;
use serde_json::{Value, json};

const LIST_KEYS: [&str; 20] = [
    "chat_id",
    "numero_whatsapp",
    "cliente_id",
    "cliente_nome",
    "cliente_email",
    "atendimento_id",
    "status",
    "prioridade",
    "atendente_id",
    "atendente_nome",
    "departamento_id",
    "departamento_nome",
    "ultima_mensagem_texto",
    "ultima_mensagem_em",
    "ultima_mensagem_tipo",
    "ultima_mensagem_direcao",
    "total_mensagens",
    "mensagens_nao_lidas",
    "criado_em",
    "atualizado_em",
];

pub(crate) fn row<'a>(list: &'a Value, chat_id: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|r| r["chat_id"] == chat_id)
}

pub(crate) fn chat_ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("array")
        .iter()
        .filter_map(|r| r["chat_id"].as_str())
        .filter(|c| !c.starts_with("barreira"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn intake_opens_one_waiting_chat_for_its_department_and_counts_the_next_messages() {
    let app = spawn_app().await;
    let barrier = Barrier::new(&app).await;
    let (ana_id, ana) = app.agent("ana", json!({})).await;
    let (_, beto) = app.agent("beto", json!({})).await;
    // Sorts before the default "Suporte": the intake's department.
    let dep = departamento(
        &app,
        json!({"nome": "Atendimento Geral", "atendentes": [ana_id]}),
    )
    .await;
    session(&app, &app.admin_token).await;
    let mut s_ana = Socket::open(&app, &ana).await;
    let mut s_beto = Socket::open(&app, &beto).await;
    let mut s_admin = Socket::open(&app, &app.admin_token).await;
    let num = "5511911112222";

    let m1 = webhook(&app, num, "Olá, preciso de uma segunda via").await;
    let new_chat = s_ana.event("new_chat").await;
    assert_eq!(new_chat["play_sound"], true);
    assert!(new_chat.get("version").is_none(), "{new_chat}");
    let d = &new_chat["data"];
    assert_eq!(d["chat_id"], num);
    assert_eq!(d["numero_whatsapp"], num);
    assert_eq!(d["cliente_nome"], format!("Contato {num}"));
    assert_eq!(d["departamento_id"], dep);
    assert_eq!(d["departamento_nome"], "Atendimento Geral");
    assert_eq!(d["mensagem_inicial"], "Olá, preciso de uma segunda via");
    assert_eq!(d["prioridade"], "normal");
    assert!(is_local(&d["criado_em"]), "{d}");
    let atendimento_id = d["atendimento_id"].as_i64().expect("id");
    let b = barrier.fire(&app).await;
    for s in [&mut s_beto, &mut s_admin] {
        assert!(about(&s.before(&b).await, num).is_empty(), "not a member");
    }
    assert!(about(&s_ana.before(&b).await, num).is_empty());

    // One waiting chat, one queue row, one cliente (created for the number).
    let (s, list) = app.get("/api/v1/chats/", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(chat_ids(&list), vec![num.to_string()]);
    let r = row(&list, num).expect("row");
    for k in LIST_KEYS {
        assert!(r.get(k).is_some(), "{k} missing: {r}");
    }
    assert_eq!(r.as_object().map(|o| o.len()), Some(LIST_KEYS.len()));
    assert_eq!(r["atendimento_id"], atendimento_id);
    assert_eq!(r["status"], "aguardando");
    assert_eq!(r["atendente_id"], Value::Null);
    assert_eq!(r["atendente_nome"], Value::Null);
    assert_eq!(r["cliente_email"], Value::Null);
    assert_eq!(
        (
            r["total_mensagens"].as_i64(),
            r["mensagens_nao_lidas"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(r["ultima_mensagem_texto"], m1["text_content"]);
    assert_eq!(r["ultima_mensagem_direcao"], "inbound");
    assert_eq!(r["ultima_mensagem_tipo"], "text");
    let filas = results(&app, &app.admin_token, "/api/v1/atendimento/filas/").await;
    assert_eq!(filas.len(), 1);
    assert_eq!(filas[0]["chat_id"], num);
    assert_eq!(filas[0]["departamento"], dep);
    assert_eq!(
        filas[0]["mensagem_inicial"],
        "Olá, preciso de uma segunda via"
    );
    assert_eq!(filas[0]["atribuido_em"], Value::Null);
    let clientes = results(&app, &app.admin_token, "/api/v1/clientes/?search=Contato").await;
    assert_eq!(clientes.len(), 1);
    assert_eq!(clientes[0]["id"], r["cliente_id"]);

    // A second message joins the chat; nobody attends it yet, so nobody hears it.
    inject(&app, &app.admin_token, num, "Alguém aí?").await;
    let b = barrier.fire(&app).await;
    for s in [&mut s_ana, &mut s_beto, &mut s_admin] {
        assert!(about(&s.before(&b).await, num).is_empty());
    }
    let c = chat(&app, &app.admin_token, num).await;
    assert_eq!(c["total_mensagens_cliente"], 2);
    assert_eq!(
        (
            c["total_mensagens"].as_i64(),
            c["mensagens_nao_lidas"].as_i64()
        ),
        (Some(2), Some(2))
    );

    // Accepting: `chat_accepted` to everyone, `chat_assigned` to the atendente alone.
    let accepted = aceitar(&app, &ana, num).await;
    assert_eq!(accepted["status"], "em_atendimento");
    assert_eq!(accepted["atendente"], ana_id);
    assert_eq!(accepted["atendente_nome"], "ana");
    assert_eq!(accepted["atendente_username"], "ana");
    assert!(is_local(&accepted["iniciado_em"]));
    let b = barrier.fire(&app).await;
    let ana_frames = s_ana.before(&b).await;
    assert_eq!(about(&ana_frames, num), ["chat_accepted", "chat_assigned"]);
    let assigned = ana_frames
        .iter()
        .find(|f| name(f) == "chat_assigned")
        .expect("chat_assigned");
    assert_eq!(assigned["version"], "v1");
    assert_eq!(
        assigned["data"]["departamento"], "Atendimento Geral",
        "{assigned}"
    );
    assert_eq!(
        assigned["data"]["mensagem_inicial"],
        "Olá, preciso de uma segunda via"
    );
    assert_eq!(assigned["data"]["atendimento_id"], atendimento_id);
    assert!(
        assigned["data"]["timestamp"]
            .as_str()
            .unwrap()
            .ends_with("+00:00")
    );
    for s in [&mut s_beto, &mut s_admin] {
        let frames = s.before(&b).await;
        assert_eq!(about(&frames, num), ["chat_accepted"]);
        let acc = frames.iter().find(|f| name(f) == "chat_accepted").unwrap();
        assert_eq!(
            acc["data"],
            json!({"chat_id": num, "atendimento_id": atendimento_id, "atendente_id": ana_id,
                   "atendente_nome": "ana", "status": "em_atendimento"})
        );
    }
    // Accepting deleted the chat's queue rows.
    assert!(
        results(&app, &app.admin_token, "/api/v1/atendimento/filas/")
            .await
            .is_empty()
    );

    // The next message reaches the atendente only, as `new_message`.
    let m3 = webhook(&app, num, "Obrigado!").await;
    let b = barrier.fire(&app).await;
    let frames = s_ana.before(&b).await;
    assert_eq!(about(&frames, num), ["new_message"]);
    let nm = frames
        .iter()
        .find(|f| name(f) == "new_message")
        .expect("new_message");
    assert_eq!(nm["play_sound"], false);
    assert_eq!(
        nm["data"],
        json!({"chat_id": num, "atendimento_id": atendimento_id, "message_id": m3["message_id"],
               "texto": "Obrigado!", "tipo": "text", "de": format!("Contato {num}"),
               "criado_em": m3["created_at"]})
    );
    for s in [&mut s_beto, &mut s_admin] {
        assert!(about(&s.before(&b).await, num).is_empty());
    }
    assert_eq!(chat(&app, &ana, num).await["total_mensagens_cliente"], 3);
}

#[tokio::test]
async fn intake_finds_the_cliente_and_announces_member_less_departments_to_everyone() {
    let app = spawn_app().await;
    let (_, beto) = app.agent("beto", json!({})).await;
    session(&app, &app.admin_token).await;
    let mut s_beto = Socket::open(&app, &beto).await;
    // A cliente known by a contato's WhatsApp, another by its telefone_principal.
    let by_contato = cliente(&app, "Padaria Pão Quente").await;
    let (s, v) = app
        .post(
            "/api/v1/contatos/",
            &app.admin_token,
            json!({"cliente": by_contato, "nome": "Joana", "whatsapp": "5511933334444"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/clientes/",
            &app.admin_token,
            json!({"razao_social": "Oficina Boa", "telefone_principal": "5511955556666"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let by_phone = v["id"].as_i64().unwrap();

    inject(&app, &app.admin_token, "5511933334444", "Bom dia").await;
    // No department yet: "Suporte" is created, has no members, so everyone hears it.
    let nc = s_beto.event("new_chat").await;
    assert_eq!(nc["data"]["cliente_id"], by_contato);
    assert_eq!(nc["data"]["cliente_nome"], "Padaria Pão Quente");
    assert_eq!(nc["data"]["departamento_nome"], "Suporte");
    let deps = results(&app, &beto, "/api/v1/atendimento/departamentos/").await;
    assert_eq!(deps.len(), 1);
    assert_eq!(
        (
            &deps[0]["nome"],
            &deps[0]["descricao"],
            &deps[0]["cor"],
            &deps[0]["ativo"]
        ),
        (
            &json!("Suporte"),
            &json!("Departamento padrão"),
            &json!("#3B82F6"),
            &json!(true)
        )
    );
    assert_eq!(deps[0]["total_em_fila"], 1);

    inject(&app, &app.admin_token, "5511955556666", "Boa tarde").await;
    let nc = s_beto.event("new_chat").await;
    assert_eq!(nc["data"]["cliente_id"], by_phone);
    assert_eq!(nc["data"]["departamento_id"], deps[0]["id"]);
    // Neither created a cliente; both reused the one department.
    assert_eq!(
        results(&app, &app.admin_token, "/api/v1/clientes/")
            .await
            .len(),
        2
    );
    assert_eq!(
        results(&app, &app.admin_token, "/api/v1/atendimento/departamentos/")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn the_window_counts_from_the_opening_message_and_an_agent_reply_clears_unread() {
    let app = spawn_app().await;
    let (_, ana) = app.agent("ana", json!({"display_name": "Ana Souza"})).await;
    session(&app, &app.admin_token).await;
    session(&app, &ana).await;
    let num = "5511922223333";
    inject(&app, &app.admin_token, num, "primeira").await;
    inject(&app, &app.admin_token, num, "segunda").await;
    inject(&app, &app.admin_token, "5511900000000", "outro chat").await;
    aceitar(&app, &ana, num).await;
    let c = chat(&app, &ana, num).await;
    assert_eq!(
        (
            c["total_mensagens"].as_i64(),
            c["mensagens_nao_lidas"].as_i64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(c["primeira_resposta_em"], Value::Null);
    assert_eq!(c["tempo_primeira_resposta_minutos"], Value::Null);

    // The atendente answers through /whatsapp/send/: first response, unread cleared.
    let (s, v) = app
        .post(
            "/api/v1/whatsapp/send/",
            &ana,
            json!({"to": num, "text": "Olá! Em que posso ajudar?"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let c = chat(&app, &ana, num).await;
    assert_eq!(
        (
            c["total_mensagens"].as_i64(),
            c["mensagens_nao_lidas"].as_i64()
        ),
        (Some(3), Some(0))
    );
    assert_eq!(c["total_mensagens_atendente"], 1);
    assert!(is_local(&c["primeira_resposta_em"]), "{c}");
    assert_eq!(c["tempo_primeira_resposta_minutos"], 0);
    let id = c["id"].as_i64().unwrap();
    let (_, a) = app
        .get(&format!("/api/v1/atendimento/atendimentos/{id}/"), &ana)
        .await;
    assert!(
        a["tempo_primeira_resposta_segundos"].as_i64().is_some(),
        "{a}"
    );
    let (_, list) = app.get("/api/v1/chats/", &ana).await;
    let r = row(&list, num).expect("row");
    assert_eq!(r["ultima_mensagem_direcao"], "outbound");
    assert_eq!(r["ultima_mensagem_texto"], "Olá! Em que posso ajudar?");
    assert_eq!(r["atendente_nome"], "Ana Souza");

    inject(&app, &app.admin_token, num, "terceira").await;
    let c = chat(&app, &ana, num).await;
    assert_eq!(
        (
            c["total_mensagens"].as_i64(),
            c["mensagens_nao_lidas"].as_i64()
        ),
        (Some(4), Some(1))
    );

    // Newest first; the other chat's message is not in this window.
    let (s, v) = app
        .get(&format!("/api/v1/chats/{num}/messages/"), &ana)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["total"].as_i64(),
            v["limit"].as_i64(),
            v["offset"].as_i64()
        ),
        (Some(4), Some(50), Some(0))
    );
    let texts: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text_content"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "terceira",
            "Olá! Em que posso ajudar?",
            "segunda",
            "primeira"
        ]
    );
    let out = &v["results"][1];
    assert_eq!(
        (
            &out["direction"],
            &out["from_name"],
            &out["is_from_agent"],
            &out["is_from_me"]
        ),
        (
            &json!("outbound"),
            &json!("Ana Souza"),
            &json!(true),
            &json!(true)
        )
    );
    let inb = &v["results"][0];
    assert_eq!(inb["from_name"], format!("Contato {num}"));
    assert_eq!(inb["is_from_agent"], false);
    for k in [
        "id",
        "message_id",
        "message_type",
        "chat_id",
        "contact_number",
        "contact_name",
        "media_url",
        "media_mime_type",
        "status",
        "latency_ms",
        "is_latency_ok",
        "created_at",
        "queued_at",
        "sent_at",
        "delivered_at",
        "read_at",
    ] {
        assert!(inb.get(k).is_some(), "{k}");
    }
    let (_, page) = app
        .get(
            &format!("/api/v1/chats/{num}/messages/?limit=2&offset=1"),
            &ana,
        )
        .await;
    assert_eq!(
        (
            page["total"].as_i64(),
            page["limit"].as_i64(),
            page["offset"].as_i64()
        ),
        (Some(4), Some(2), Some(1))
    );
    assert_eq!(
        page["results"][0]["text_content"],
        "Olá! Em que posso ajudar?"
    );
    assert_eq!(page["results"].as_array().unwrap().len(), 2);
    for bad in ["limit=x", "offset=1.5", "limit=-1", "limit="] {
        let (s, v) = app
            .get(&format!("/api/v1/chats/{num}/messages/?{bad}"), &ana)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(v, json!({"error": "limit e offset devem ser inteiros"}));
    }

    // After the close, the next message opens a new chat whose window starts with it.
    let (s, _) = app
        .post(&format!("/api/v1/chats/{num}/encerrar/"), &ana, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = app
        .get(&format!("/api/v1/chats/{num}/messages/"), &ana)
        .await;
    assert_eq!(v["total"], 4, "the finished chat stays readable");
    inject(&app, &app.admin_token, num, "de novo").await;
    let c = chat(&app, &app.admin_token, num).await;
    assert_ne!(c["id"].as_i64(), Some(id));
    assert_eq!(
        (
            c["total_mensagens"].as_i64(),
            c["mensagens_nao_lidas"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let (_, v) = app
        .get(&format!("/api/v1/chats/{num}/messages/"), &app.admin_token)
        .await;
    assert_eq!(v["total"], 1);
    assert_eq!(v["results"][0]["text_content"], "de novo");
}

#[tokio::test]
async fn the_list_pages_with_limit_and_offset_newest_first_and_whole_without_them() {
    let app = spawn_app().await;
    session(&app, &app.admin_token).await;
    let nums: Vec<String> = (0..5).map(|i| format!("551193333000{i}")).collect();
    for n in &nums {
        webhook(&app, n, "oi").await;
    }
    let newest: Vec<String> = nums.iter().rev().cloned().collect();
    let (s, all) = app.get("/api/v1/chats/", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(chat_ids(&all), newest);
    let (s, p1) = app.get("/api/v1/chats/?limit=2", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(chat_ids(&p1), newest[..2].to_vec());
    let (_, p2) = app
        .get("/api/v1/chats/?limit=2&offset=2", &app.admin_token)
        .await;
    assert_eq!(chat_ids(&p2), newest[2..4].to_vec());
    let (_, rest) = app.get("/api/v1/chats/?offset=4", &app.admin_token).await;
    assert_eq!(chat_ids(&rest), newest[4..].to_vec());
    let (_, oldest) = app
        .get("/api/v1/chats/?order=asc&limit=1", &app.admin_token)
        .await;
    assert_eq!(chat_ids(&oldest), vec![nums[0].clone()]);
    for bad in ["limit=x", "offset=-1", "limit=1.5"] {
        let (s, v) = app
            .get(&format!("/api/v1/chats/?{bad}"), &app.admin_token)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(v, json!({"error": "limit e offset devem ser inteiros"}));
    }
}

/// The list is served from stored pages while nothing it shows has changed (SQLite): every
/// kind of write that changes a row shows on the very next request, for the admin and for an
/// agent, and neither is ever served the other's page.
#[tokio::test]
async fn the_list_shows_every_change_at_once_even_when_its_pages_are_kept() {
    let app = spawn_app().await;
    session(&app, &app.admin_token).await;
    let (agent_id, agent) = app.agent("lista_agente", json!({})).await;
    let chat = "5511944440001";
    webhook(&app, chat, "primeira").await;
    let list = |token: String| {
        let app = &app;
        async move {
            let (s, v) = app.get("/api/v1/chats/?limit=50", &token).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            row(&v, chat).cloned()
        }
    };
    let admin = app.admin_token.clone();
    // Twice each: the second may come from a stored page; both must be the same, current one.
    for token in [&admin, &agent, &admin, &agent] {
        let r = list(token.clone())
            .await
            .expect("the waiting chat is listed");
        assert_eq!(r["ultima_mensagem_texto"], "primeira");
        assert_eq!(r["total_mensagens"], 1);
    }

    webhook(&app, chat, "segunda").await;
    for token in [&admin, &agent] {
        let r = list(token.clone()).await.expect("listed");
        assert_eq!(r["ultima_mensagem_texto"], "segunda");
        assert_eq!(r["total_mensagens"], 2);
        assert_eq!(r["mensagens_nao_lidas"], 2);
    }

    let first = list(admin.clone()).await.expect("listed");
    let cliente = first["cliente_id"].as_i64().expect("cliente id");
    let (s, v) = app
        .patch(
            &format!("/api/v1/clientes/{cliente}/"),
            &admin,
            json!({"razao_social": "Padaria Renomeada", "email_principal": "novo@padaria.com.br"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = list(admin.clone()).await.expect("listed");
    assert_eq!(r["cliente_nome"], "Padaria Renomeada");
    assert_eq!(r["cliente_email"], "novo@padaria.com.br");

    let departamento = first["departamento_id"].as_i64().expect("departamento id");
    let (s, v) = app
        .patch(
            &format!("/api/v1/atendimento/departamentos/{departamento}/"),
            &admin,
            json!({"nome": "Vendas Renomeado"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        list(agent.clone()).await.expect("listed")["departamento_nome"],
        "Vendas Renomeado"
    );

    // Accepted by the admin: out of the agent's scope at once, in the admin's with its name.
    aceitar(&app, &admin, chat).await;
    assert!(
        list(agent.clone()).await.is_none(),
        "another's chat left the agent's list"
    );
    let r = list(admin.clone()).await.expect("listed");
    assert_eq!(r["status"], "em_atendimento");
    let (_, me) = app.get("/api/v1/me/", &admin).await;
    let admin_id = me["id"].as_i64().expect("admin id");
    let (s, v) = app
        .patch(
            &format!("/api/v1/authz/agents/{admin_id}/"),
            &admin,
            json!({"display_name": "Admin Renomeado"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        list(admin.clone()).await.expect("listed")["atendente_nome"],
        "Admin Renomeado"
    );

    // Transferred to the agent: in its list now.
    let (s, v) = app
        .post(
            &format!("/api/v1/chats/{chat}/transferir/"),
            &admin,
            json!({"atendente_destino_id": agent_id, "motivo": "teste"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = list(agent.clone())
        .await
        .expect("the transferred chat is the agent's");
    assert_eq!(r["atendente_id"], agent_id);

    // Closed: out of both default lists.
    let (s, v) = app
        .post(
            &format!("/api/v1/chats/{chat}/encerrar/"),
            &agent,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(list(agent.clone()).await.is_none());
    assert!(list(admin.clone()).await.is_none());
}
