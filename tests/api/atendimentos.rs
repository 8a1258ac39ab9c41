//! Atendimentos CRUD (contract §4.7): shapes, validation, scope, filters, search, ordering,
//! `meus-atendimentos`, finalize and rating.

use crate::atendimento_support::*;
use crate::common::spawn_app;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn atendimentos_crud_scope_filters_finalize_and_rating() {
    let app = spawn_app().await;
    let (ana_id, ana) = app.agent("ana", json!({})).await;
    let dep = departamento(&app, json!({"nome": "Suporte"})).await;
    let c1 = cliente(&app, "Alfa Comércio").await;
    let c2 = cliente(&app, "Beta Serviços").await;
    let path = "/api/v1/atendimento/atendimentos/";
    assert_eq!(
        bad(&app, path, json!({})).await,
        json!({"departamento": [REQUIRED], "cliente": [REQUIRED], "chat_id": [REQUIRED],
               "numero_whatsapp": [REQUIRED]})
    );
    let base = json!({"departamento": dep, "cliente": c1, "chat_id": "a1", "numero_whatsapp": "5511911110001"});
    let with = |extra: Value| {
        let mut b = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    assert_eq!(
        bad(
            &app,
            path,
            with(
                json!({"status": "fechado", "avaliacao": 6, "total_mensagens_cliente": -1,
                        "atendente": 999_999, "prioridade": 1})
            )
        )
        .await,
        json!({"status": ["\"fechado\" não é um escolha válido."],
               "avaliacao": ["Certifique-se de que este valor seja inferior ou igual a 5."],
               "total_mensagens_cliente": ["Certifque-se de que este valor seja maior ou igual a 0."],
               "prioridade": ["\"1\" não é um escolha válido."]})
    );
    assert_eq!(
        bad(&app, path, with(json!({"atendente": 999_999}))).await,
        json!({"atendente": ["Pk inválido \"999999\" - objeto não existe."]})
    );
    let (s, a1) = app
        .post(
            path,
            &app.admin_token,
            with(
                json!({"atendente": ana_id, "status": "em_atendimento", "prioridade": "alta",
                        "observacoes": "cliente antigo"}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a1}");
    for (k, v) in [
        ("departamento_nome", json!("Suporte")),
        ("cliente_nome", json!("Alfa Comércio")),
        ("atendente", json!(ana_id)),
        ("atendente_nome", json!("ana")),
        ("status", json!("em_atendimento")),
        ("prioridade", json!("alta")),
        ("total_mensagens_cliente", json!(0)),
        ("total_mensagens_atendente", json!(0)),
        ("avaliacao", Value::Null),
        ("comentario_avaliacao", json!("")),
        ("tempo_primeira_resposta_segundos", Value::Null),
        ("tempo_total_atendimento_segundos", Value::Null),
        ("iniciado_em", Value::Null),
        ("finalizado_em", Value::Null),
        ("duracao_minutos", json!(0)),
        ("tempo_espera_minutos", json!(0)),
        ("esta_ativo", json!(true)),
    ] {
        assert_eq!(a1[k], v, "{k}");
    }
    assert_eq!(a1.as_object().unwrap().len(), 25);
    let a1_id = a1["id"].as_i64().unwrap();
    assert_eq!(
        bad(&app, path, base.clone()).await,
        json!({"chat_id": ["Já existe um atendimento ativo para este chat."]})
    );
    let (s, a2) = app
        .post(
            path,
            &app.admin_token,
            json!({"departamento": dep, "cliente": c2, "chat_id": "a2", "numero_whatsapp": "5511922220002"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a2}");
    assert!(
        a2.get("atendente_nome").is_none(),
        "omitted without an atendente: {a2}"
    );
    assert_eq!(
        (&a2["atendente"], &a2["status"], &a2["prioridade"]),
        (&Value::Null, &json!("aguardando"), &json!("normal"))
    );
    let a2_id = a2["id"].as_i64().unwrap();

    let list = |token: &str, q: &str| {
        let (app, url) = (&app, format!("{path}{q}"));
        let token = token.to_string();
        async move { ids(&results(app, &token, &url).await) }
    };
    let admin = app.admin_token.clone();
    assert_eq!(list(&admin, "").await, [a2_id, a1_id], "newest first");
    assert_eq!(list(&admin, "?ordering=criado_em").await, [a1_id, a2_id]);
    assert_eq!(list(&admin, "?status=aguardando").await, [a2_id]);
    assert_eq!(list(&admin, "?prioridade=alta").await, [a1_id]);
    assert_eq!(list(&admin, &format!("?atendente={ana_id}")).await, [a1_id]);
    assert_eq!(
        list(&admin, &format!("?departamento={dep}")).await,
        [a2_id, a1_id]
    );
    assert_eq!(list(&admin, "?search=beta").await, [a2_id]);
    assert_eq!(list(&admin, "?search=5511911110001").await, [a1_id]);
    assert_eq!(list(&admin, "?search=antigo").await, [a1_id]);
    assert_eq!(
        list(&ana, "").await,
        [a1_id],
        "an agent sees the ones it attends"
    );
    let (s, v) = app
        .get(&format!("{path}?status=x&prioridade=y"), &admin)
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"status": choice_error("x"), "prioridade": choice_error("y")})
        )
    );
    let (_, page) = app.get(path, &admin).await;
    let item = &page["results"][1];
    assert_eq!(
        item,
        &json!({"id": a1_id, "cliente_nome": "Alfa Comércio", "atendente_nome": "ana",
                "status": "em_atendimento", "prioridade": "alta", "duracao_minutos": 0,
                "criado_em": a1["criado_em"]})
    );
    assert!(page["results"][0].get("atendente_nome").is_none());
    let (s, meus) = app.get(&format!("{path}meus-atendimentos/"), &ana).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(meus.as_array().unwrap()), [a1_id]);
    assert_eq!(meus[0]["chat_id"], "a1");

    // PATCH writes what it is given, with no state-machine checks; PUT needs the four fields.
    let one = format!("{path}{a2_id}/");
    let (s, v) = app
        .patch(
            &one,
            &admin,
            json!({"status": "pausado", "atendente": ana_id, "observacoes": "volta amanhã"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["status"], &v["atendente_nome"], &v["esta_ativo"]),
        (&json!("pausado"), &json!("ana"), &json!(true))
    );
    let (s, v) = app.patch(&one, &admin, json!({"atendente": null})).await;
    assert_eq!((s, &v["atendente"]), (StatusCode::OK, &Value::Null));
    assert!(v.get("atendente_nome").is_none());
    assert_eq!(
        app.put(&one, &admin, json!({"observacoes": "x"})).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"departamento": [REQUIRED], "cliente": [REQUIRED],
                                         "chat_id": [REQUIRED], "numero_whatsapp": [REQUIRED]})
        )
    );
    let (s, v) = app
        .put(
            &one,
            &admin,
            json!({"departamento": dep, "cliente": c1, "chat_id": "a2", "numero_whatsapp": "5511922220002"}),
        )
        .await;
    assert_eq!(
        (s, &v["cliente_nome"], &v["observacoes"]),
        (
            StatusCode::OK,
            &json!("Alfa Comércio"),
            &json!("volta amanhã")
        )
    );
    assert_eq!(
        app.get(&format!("{path}x/"), &admin).await,
        (StatusCode::NOT_FOUND, json!({"detail": "Não encontrado."}))
    );

    // Finalize (repeatable) and rate.
    let fin = format!("{path}{a1_id}/finalizar/");
    let (s, v) = app
        .post(&fin, &ana, json!({"observacoes": "resolvido"}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::OK,
            json!({"message": "Atendimento finalizado", "atendimento_id": a1_id})
        )
    );
    let (_, v) = app.get(&format!("{path}{a1_id}/"), &ana).await;
    assert_eq!(
        (&v["status"], &v["observacoes"], &v["esta_ativo"]),
        (&json!("finalizado"), &json!("resolvido"), &json!(false))
    );
    let first = v["finalizado_em"].as_str().unwrap().to_string();
    let (s, _) = app.post(&fin, &ana, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = app.get(&format!("{path}{a1_id}/"), &ana).await;
    assert_eq!(
        v["observacoes"], "resolvido",
        "an empty observacoes keeps the old one"
    );
    assert!(v["finalizado_em"].as_str().unwrap() >= first.as_str());
    let (s, v) = app.post(&fin, &ana, json!({"observacoes": 5})).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::OK,
            json!({"message": "Atendimento finalizado", "atendimento_id": a1_id})
        )
    );

    let rate = format!("{path}{a1_id}/avaliar/");
    for nota in [
        json!("5"),
        json!(true),
        json!(1.5),
        json!(0),
        json!(6),
        json!(null),
        json!([5]),
    ] {
        assert_eq!(
            app.post(&rate, &ana, json!({"avaliacao": nota})).await,
            (
                StatusCode::BAD_REQUEST,
                json!({"error": "Avaliação deve ser de 1 a 5"})
            ),
            "{nota}"
        );
    }
    assert_eq!(
        app.post(&rate, &ana, json!({})).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "Avaliação deve ser de 1 a 5"})
        )
    );
    let (s, v) = app
        .post(&rate, &ana, json!({"avaliacao": 4, "comentario": "Bom"}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::OK,
            json!({"message": "Avaliação registrada", "avaliacao": 4})
        )
    );
    let (_, v) = app.get(&format!("{path}{a1_id}/"), &ana).await;
    assert_eq!(
        (&v["avaliacao"], &v["comentario_avaliacao"]),
        (&json!(4), &json!("Bom"))
    );
    let (s, _) = app.post(&rate, &ana, json!({"avaliacao": 5})).await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = app.get(&format!("{path}{a1_id}/"), &ana).await;
    assert_eq!(
        (&v["avaliacao"], &v["comentario_avaliacao"]),
        (&json!(5), &json!(""))
    );
    assert_eq!(
        app.post(
            &format!("{path}999999/avaliar/"),
            &ana,
            json!({"avaliacao": 5})
        )
        .await,
        (
            StatusCode::NOT_FOUND,
            json!({"detail": "No Atendimento matches the given query."})
        )
    );

    assert_eq!(app.delete(&one, &admin).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&one, &admin).await.0, StatusCode::NOT_FOUND);
}
