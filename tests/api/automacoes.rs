//! Automations (`/api/v1/config/automacoes/`, ours): switches, permission and validation.

use crate::common::spawn_app;
use reqwest::StatusCode;
use serde_json::json;

const PATH: &str = "/api/v1/config/automacoes/";

#[tokio::test]
async fn switches_default_off_and_need_the_chat_permission_to_change() {
    let app = spawn_app().await;
    let admin = app.admin_token.clone();
    let (_, agent) = app.agent("automacoes_agent", json!({})).await;
    let (s, v) = app.get(PATH, &agent).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v,
        json!({"saudacao":false,"fora_expediente":false,"encerramento":false,"inatividade":false,
               "pesquisa_satisfacao":false,
               "pesquisa_satisfacao_mensagem":"Como você avalia o nosso atendimento? Responda com uma nota de 1 (ruim) a 5 (ótimo)."})
    );
    let (s, v) = app.patch(PATH, &agent, json!({"saudacao": true})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        v,
        json!({"detail":"Você não tem permissão para executar essa ação."})
    );

    let (s, v) = app
        .patch(
            PATH,
            &admin,
            json!({"saudacao": "talvez", "pesquisa_satisfacao_mensagem": "  "}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v,
        json!({"saudacao":["Must be a valid boolean."],
               "pesquisa_satisfacao_mensagem":["Este campo não pode ser em branco."]})
    );
    let (s, v) = app.get(PATH, &admin).await;
    assert_eq!(
        (s, v["saudacao"].clone()),
        (StatusCode::OK, json!(false)),
        "nothing stored"
    );

    let (s, v) = app
        .patch(
            PATH,
            &admin,
            json!({"saudacao": true, "encerramento": "true", "x": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["saudacao"].clone(), v["encerramento"].clone()),
        (json!(true), json!(true))
    );
    let (s, v) = app
        .patch(
            PATH,
            &admin,
            json!({"pesquisa_satisfacao": true, "pesquisa_satisfacao_mensagem": "Nota de 1 a 5?"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["saudacao"], true, "earlier switches stay");
    assert_eq!(v["pesquisa_satisfacao_mensagem"], "Nota de 1 a 5?");
    let (_, chat) = app.get("/api/v1/config/chat/", &admin).await;
    assert!(
        chat.get("saudacao").is_none(),
        "the chat section keeps its keys: {chat}"
    );
}
