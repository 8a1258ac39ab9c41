//! What an unprivileged agent may see and do with chats (contract §4.6 scoping, §1.3), and
//! the chat list's filters and sorting.

use crate::atendimento_support::*;
use crate::chats::chat_ids;
use crate::common::spawn_app;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn unprivileged_agents_see_their_chats_and_the_waiting_ones() {
    let app = spawn_app().await;
    let (ana_id, ana) = app.agent("ana", json!({})).await;
    let (beto_id, beto) = app.agent("beto", json!({})).await;
    session(&app, &app.admin_token).await;
    let (x, y, z, w) = (
        "5511000000001",
        "5511000000002",
        "5511000000003",
        "5511000000004",
    );
    let x_id = waiting_chat(&app, x).await;
    let y_id = waiting_chat(&app, y).await;
    let z_id = waiting_chat(&app, z).await;
    waiting_chat(&app, w).await;
    aceitar(&app, &ana, x).await;
    aceitar(&app, &beto, z).await;

    let (s, list) = app.get("/api/v1/chats/", &beto).await;
    assert_eq!(s, StatusCode::OK);
    let mut ids = chat_ids(&list);
    ids.sort();
    assert_eq!(ids, [y, z, w]);
    let (_, list) = app.get("/api/v1/chats/", &app.admin_token).await;
    assert_eq!(chat_ids(&list).len(), 4);

    let no_view = json!({"error": "Você não tem permissão para visualizar este chat"});
    for path in [
        format!("/api/v1/chats/{x}/"),
        format!("/api/v1/chats/{x}/messages/"),
    ] {
        assert_eq!(
            app.get(&path, &beto).await,
            (StatusCode::FORBIDDEN, no_view.clone())
        );
    }
    assert_eq!(chat(&app, &beto, y).await["id"], y_id);
    let (s, v) = app.get("/api/v1/chats/5599999999999/", &beto).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::NOT_FOUND,
            json!({"detail": "No Atendimento matches the given query."})
        )
    );

    let post = |path: String, body: Value| {
        let app = &app;
        let beto = beto.clone();
        async move { app.post(&path, &beto, body).await }
    };
    assert_eq!(
        post(format!("/api/v1/chats/{x}/aceitar/"), json!({})).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "Este chat já está em_atendimento"})
        )
    );
    assert_eq!(
        post(
            format!("/api/v1/chats/{y}/aceitar/"),
            json!({"atendente_id": ana_id})
        )
        .await,
        (
            StatusCode::FORBIDDEN,
            json!({"error": "Você não pode atribuir para outro atendente"})
        )
    );
    assert_eq!(
        post(
            format!("/api/v1/chats/{x}/transferir/"),
            json!({"atendente_destino_id": beto_id, "motivo": "quero"})
        )
        .await,
        (
            StatusCode::FORBIDDEN,
            json!({"error": "Você não pode transferir este chat"})
        )
    );
    assert_eq!(
        post(format!("/api/v1/chats/{x}/encerrar/"), json!({})).await,
        (
            StatusCode::FORBIDDEN,
            json!({"error": "Você não pode encerrar este chat"})
        )
    );
    let (s, v) = app
        .post(
            &format!("/api/v1/chats/{w}/aceitar/"),
            &app.admin_token,
            json!({"atendente_id": 999_999}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::NOT_FOUND,
            json!({"detail": "No Agent matches the given query."})
        )
    );
    // A superuser may hand a chat to someone else.
    let (s, v) = app
        .post(
            &format!("/api/v1/chats/{w}/aceitar/"),
            &app.admin_token,
            json!({"atendente_id": beto_id, "observacoes": "para o Beto"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["atendente"], &v["observacoes"]),
        (&json!(beto_id), &json!("para o Beto"))
    );

    // Atendimentos: non-superusers reach only their own (others are 404).
    let mine = results(&app, &beto, "/api/v1/atendimento/atendimentos/").await;
    let mut mine: Vec<i64> = mine.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    mine.sort();
    assert_eq!(mine.len(), 2);
    assert!(mine.contains(&z_id));
    let missing = (
        StatusCode::NOT_FOUND,
        json!({"detail": "No Atendimento matches the given query."}),
    );
    let path = format!("/api/v1/atendimento/atendimentos/{x_id}/");
    assert_eq!(app.get(&path, &beto).await, missing);
    assert_eq!(
        app.patch(&path, &beto, json!({"observacoes": "x"})).await,
        missing
    );
    assert_eq!(
        app.post(&format!("{path}finalizar/"), &beto, json!({}))
            .await,
        missing
    );
    let (_, meus) = app
        .get("/api/v1/atendimento/atendimentos/meus-atendimentos/", &beto)
        .await;
    assert_eq!(meus.as_array().unwrap().len(), 2);

    // A finished chat: its messages stay readable by its atendente only.
    let (s, _) = app
        .post(&format!("/api/v1/chats/{x}/encerrar/"), &ana, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get(&format!("/api/v1/chats/{x}/messages/"), &ana).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .get(&format!("/api/v1/chats/{x}/messages/"), &beto)
        .await;
    assert_eq!((s, v), (StatusCode::FORBIDDEN, no_view));
    let (s, _) = app.get(&format!("/api/v1/chats/{x}/"), &ana).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "the detail shows open chats only");
}

#[tokio::test]
async fn the_chat_list_filters_and_sorts() {
    let app = spawn_app().await;
    let (ana_id, ana) = app.agent("ana", json!({})).await;
    session(&app, &app.admin_token).await;
    let (a, b, c) = ("5511000000011", "5511000000012", "5511000000013");
    waiting_chat(&app, a).await;
    let b_id = waiting_chat(&app, b).await;
    waiting_chat(&app, c).await;
    aceitar(&app, &ana, a).await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/atendimento/atendimentos/{b_id}/"),
            &app.admin_token,
            json!({"prioridade": "urgente"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    inject(&app, &app.admin_token, a, "a mais recente").await;
    let (s, _) = app
        .post(
            &format!("/api/v1/chats/{c}/encerrar/"),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let list = |q: &'static str| {
        let app = &app;
        async move {
            let (s, v) = app
                .get(&format!("/api/v1/chats/{q}"), &app.admin_token)
                .await;
            assert_eq!(s, StatusCode::OK, "{q}: {v}");
            chat_ids(&v)
        }
    };
    assert_eq!(
        list("").await,
        [a, b],
        "finalizado is left out; newest message first"
    );
    assert_eq!(list("?order=asc").await, [b, a]);
    assert_eq!(list("?status=finalizado").await, [c]);
    assert_eq!(list("?sort=priority").await, [b, a]);
    assert_eq!(list("?sort=priority&order=asc").await, [a, b]);
    assert_eq!(list("?sort=created&order=asc").await, [a, b]);
    assert_eq!(list("?sort=updated").await, [a, b]);
    let by_agent = format!("?atendente={ana_id}");
    let (_, v) = app
        .get(&format!("/api/v1/chats/{by_agent}"), &app.admin_token)
        .await;
    assert_eq!(chat_ids(&v), [a]);
    let dep = chat(&app, &app.admin_token, a).await["departamento"].clone();
    let (_, v) = app
        .get(
            &format!("/api/v1/chats/?departamento={dep}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(chat_ids(&v), [a, b]);
    for (q, key, value) in [
        ("status=aberto", "status", "aberto"),
        ("sort=nome", "sort", "nome"),
        ("order=up", "order", "up"),
    ] {
        let (s, v) = app
            .get(&format!("/api/v1/chats/?{q}"), &app.admin_token)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(
            v,
            json!({key: [format!("Faça uma escolha válida. {value} não é uma das escolhas disponíveis.")]})
        );
    }
    let (s, v) = app
        .get("/api/v1/chats/?atendente=ana", &app.admin_token)
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"atendente": ["Um número inteiro válido é exigido."]})
        )
    );
}
