//! Atendimento CRUD (contract §4.7): departamentos, queue rows and atendimentos — shapes,
//! defaults, validation bodies, filters, ordering, `meus-atendimentos`, finalize and rating.

use crate::atendimento_support::*;
use crate::common::spawn_app;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn departamentos_crud_with_defaults_validation_and_fixed_order() {
    let app = spawn_app().await;
    let (ana_id, ana) = app.agent("ana", json!({})).await;
    let path = "/api/v1/atendimento/departamentos/";
    assert_eq!(
        bad(&app, path, json!({})).await,
        json!({"nome": [REQUIRED]})
    );
    let (s, d) = app.post(path, &ana, json!({"nome": "Suporte"})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    for (k, v) in [
        ("nome", json!("Suporte")),
        ("descricao", json!("")),
        ("cor", json!("#3B82F6")),
        ("atendentes", json!([])),
        ("max_atendimentos_simultaneos", json!(5)),
        ("tempo_resposta_esperado_minutos", json!(15)),
        ("ativo", json!(true)),
        ("total_atendentes", json!(0)),
        ("total_em_fila", json!(0)),
        ("total_em_atendimento", json!(0)),
    ] {
        assert_eq!(d[k], v, "{k}");
    }
    assert!(is_local(&d["criado_em"]) && is_local(&d["atualizado_em"]));
    assert_eq!(d.as_object().unwrap().len(), 13);
    let suporte = d["id"].as_i64().unwrap();
    assert_eq!(
        bad(&app, path, json!({"nome": "Suporte"})).await,
        json!({"nome": ["Departamento com este Nome já existe."]})
    );
    assert_eq!(
        bad(
            &app,
            path,
            json!({"nome": "x".repeat(101), "cor": "#12345678"})
        )
        .await,
        json!({"nome": ["Certifique-se de que este campo não tenha mais de 100 caracteres."],
               "cor": ["Certifique-se de que este campo não tenha mais de 7 caracteres."]})
    );
    assert_eq!(
        bad(&app, path, json!({"nome": "V", "atendentes": [999_999]})).await,
        json!({"atendentes": ["Pk inválido \"999999\" - objeto não existe."]})
    );
    assert_eq!(
        bad(
            &app,
            path,
            json!({"nome": "V", "max_atendimentos_simultaneos": "5", "ativo": "talvez",
                   "tempo_resposta_esperado_minutos": -1, "descricao": null})
        )
        .await,
        json!({"max_atendimentos_simultaneos": [INTEGER], "ativo": ["Must be a valid boolean."],
               "tempo_resposta_esperado_minutos": ["Certifque-se de que este valor seja maior ou igual a 0."],
               "descricao": ["Este campo não pode ser nulo."]})
    );
    let (s, v) = app
        .post(
            path,
            &app.admin_token,
            json!({"nome": "Vendas", "descricao": "Pré-venda e propostas", "cor": "#FF0000",
                   "atendentes": [ana_id], "max_atendimentos_simultaneos": 2}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (&v["atendentes"], &v["total_atendentes"]),
        (&json!([ana_id]), &json!(1))
    );
    let vendas = v["id"].as_i64().unwrap();
    // Form bodies carry strings: integers and booleans are parsed from them.
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(&app.admin_token)
        .form(&[
            ("nome", "Arquivo"),
            ("ativo", "false"),
            ("max_atendimentos_simultaneos", "3"),
        ])
        .send()
        .await
        .unwrap();
    let (s, v) = crate::common::read(r).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (&v["ativo"], &v["max_atendimentos_simultaneos"]),
        (&json!(false), &json!(3))
    );
    let arquivo = v["id"].as_i64().unwrap();

    assert_eq!(
        ids(&results(&app, &ana, path).await),
        [arquivo, suporte, vendas]
    );
    let (_, v) = app.get(&format!("{path}?ordering=-nome"), &ana).await;
    assert_eq!(
        ids(v["results"].as_array().unwrap()),
        [arquivo, suporte, vendas],
        "always by nome"
    );
    assert_eq!(
        ids(&results(&app, &ana, &format!("{path}?ativo=false")).await),
        [arquivo]
    );
    assert_eq!(
        ids(&results(&app, &ana, &format!("{path}?ativo=1")).await),
        [suporte, vendas]
    );
    assert_eq!(
        ids(&results(&app, &ana, &format!("{path}?search=propostas")).await),
        [vendas]
    );
    assert_eq!(
        ids(&results(&app, &ana, &format!("{path}?search=VEND pré")).await),
        [vendas]
    );
    let (s, v) = app.get(&format!("{path}?ativo=talvez"), &ana).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"ativo": choice_error("talvez")})
        )
    );
    let (s, v) = app.get(&format!("{path}?page=3"), &ana).await;
    assert_eq!(
        (s, v),
        (StatusCode::NOT_FOUND, json!({"detail": "Página inválida."}))
    );

    let one = format!("{path}{vendas}/");
    let (s, v) = app.get(&one, &ana).await;
    assert_eq!((s, &v["nome"]), (StatusCode::OK, &json!("Vendas")));
    assert_eq!(
        app.get(&format!("{path}abc/"), &ana).await,
        (StatusCode::NOT_FOUND, json!({"detail": "Não encontrado."}))
    );
    let missing = (
        StatusCode::NOT_FOUND,
        json!({"detail": "No Departamento matches the given query."}),
    );
    assert_eq!(app.get(&format!("{path}999999/"), &ana).await, missing);
    assert_eq!(
        app.put(&one, &ana, json!({"cor": "#000000"})).await,
        (StatusCode::BAD_REQUEST, json!({"nome": [REQUIRED]}))
    );
    let (s, v) = app
        .put(&one, &ana, json!({"nome": "Vendas e Pós-venda"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["nome"], &v["cor"], &v["atendentes"]),
        (
            &json!("Vendas e Pós-venda"),
            &json!("#FF0000"),
            &json!([ana_id])
        )
    );
    let (s, v) = app
        .patch(&one, &ana, json!({"atendentes": [], "ativo": false}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["total_atendentes"], &v["ativo"]),
        (&json!(0), &json!(false))
    );
    assert_eq!(
        app.patch(&one, &ana, json!({"nome": "Suporte"})).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"nome": ["Departamento com este Nome já existe."]})
        )
    );
    assert_eq!(
        app.patch(&format!("{path}999999/"), &ana, json!({})).await,
        missing
    );

    // Deleting cascades its queue rows and atendimentos.
    let c = cliente(&app, "Cascata").await;
    let (s, f) = app
        .post(
            "/api/v1/atendimento/filas/",
            &ana,
            json!({"departamento": vendas, "cliente": c, "chat_id": "c1", "numero_whatsapp": "1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    let (s, a) = app
        .post(
            "/api/v1/atendimento/atendimentos/",
            &app.admin_token,
            json!({"departamento": vendas, "cliente": c, "chat_id": "c1", "numero_whatsapp": "1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(app.delete(&one, &ana).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&one, &ana).await, missing);
    assert_eq!(app.delete(&one, &ana).await, missing);
    let (s, _) = app
        .get(&format!("/api/v1/atendimento/filas/{}/", f["id"]), &ana)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .get(
            &format!("/api/v1/atendimento/atendimentos/{}/", a["id"]),
            &app.admin_token,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn queue_rows_crud_with_rank_order_and_filters() {
    let app = spawn_app().await;
    let dep = departamento(&app, json!({"nome": "Suporte"})).await;
    let outro = departamento(&app, json!({"nome": "Outro"})).await;
    let c = cliente(&app, "Mercado Central").await;
    let path = "/api/v1/atendimento/filas/";
    assert_eq!(
        bad(&app, path, json!({})).await,
        json!({"departamento": [REQUIRED], "cliente": [REQUIRED], "chat_id": [REQUIRED],
               "numero_whatsapp": [REQUIRED]})
    );
    assert_eq!(
        bad(
            &app,
            path,
            json!({"departamento": 999_999, "cliente": c, "chat_id": "x", "numero_whatsapp": "1"})
        )
        .await,
        json!({"departamento": ["Pk inválido \"999999\" - objeto não existe."]})
    );
    assert_eq!(
        bad(
            &app,
            path,
            json!({"departamento": dep, "cliente": 999_999, "chat_id": "x", "numero_whatsapp": "1"})
        )
        .await,
        json!({"cliente": ["Pk inválido \"999999\" - objeto não existe."]})
    );
    assert_eq!(
        bad(
            &app,
            path,
            json!({"departamento": true, "cliente": c, "chat_id": "x".repeat(101),
                   "numero_whatsapp": "1".repeat(21), "prioridade": "maxima"})
        )
        .await,
        json!({"departamento": [INTEGER],
               "chat_id": ["Certifique-se de que este campo não tenha mais de 100 caracteres."],
               "numero_whatsapp": ["Certifique-se de que este campo não tenha mais de 20 caracteres."],
               "prioridade": ["\"maxima\" não é um escolha válido."]})
    );
    let mut rows = Vec::new();
    for (chat, prioridade, d) in [
        ("f1", "normal", dep),
        ("f2", "urgente", dep),
        ("f3", "baixa", dep),
        ("f4", "alta", outro),
    ] {
        let (s, v) = app
            .post(
                path,
                &app.admin_token,
                json!({"departamento": d, "cliente": c, "chat_id": chat,
                       "numero_whatsapp": "5511900000000", "prioridade": prioridade,
                       "mensagem_inicial": format!("mensagem {chat}")}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        rows.push(v["id"].as_i64().unwrap());
    }
    let (_, f1) = app
        .get(&format!("{path}{}/", rows[0]), &app.admin_token)
        .await;
    assert_eq!(
        (
            &f1["departamento_nome"],
            &f1["cliente_nome"],
            &f1["mensagem_inicial"]
        ),
        (
            &json!("Suporte"),
            &json!("Mercado Central"),
            &json!("mensagem f1")
        )
    );
    assert_eq!(
        (
            &f1["atribuido_em"],
            &f1["tempo_espera_minutos"],
            &f1["esta_atrasado"]
        ),
        (&Value::Null, &json!(0), &json!(false))
    );
    assert!(is_local(&f1["entrou_na_fila_em"]));
    assert_eq!(f1.as_object().unwrap().len(), 13);

    let list = |q: &'static str| {
        let app = &app;
        async move { ids(&results(app, &app.admin_token, &format!("{path}{q}")).await) }
    };
    let [r1, r2, r3, r4] = [rows[0], rows[1], rows[2], rows[3]];
    assert_eq!(list("").await, [r2, r4, r1, r3], "rank desc, then oldest");
    assert_eq!(list("?ordering=entrou_na_fila_em").await, [r1, r2, r3, r4]);
    assert_eq!(list("?ordering=-entrou_na_fila_em").await, [r4, r3, r2, r1]);
    assert_eq!(list("?ordering=prioridade").await, [r3, r1, r4, r2]);
    assert_eq!(list("?prioridade=alta").await, [r4]);
    let q = format!("?departamento={dep}");
    assert_eq!(
        ids(&results(&app, &app.admin_token, &format!("{path}{q}")).await),
        [r2, r1, r3]
    );
    let (s, v) = app
        .get(&format!("{path}?prioridade=maxima"), &app.admin_token)
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"prioridade": choice_error("maxima")})
        )
    );
    let (s, v) = app
        .get(&format!("{path}?departamento=um"), &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (_, page) = app
        .get(&format!("{path}?page_size=3"), &app.admin_token)
        .await;
    assert_eq!(page["count"], 4);
    assert!(page["next"].as_str().unwrap().contains("page=2"));

    let one = format!("{path}{r1}/");
    assert_eq!(
        app.put(&one, &app.admin_token, json!({"prioridade": "baixa"}))
            .await
            .1,
        json!({"departamento": [REQUIRED], "cliente": [REQUIRED], "chat_id": [REQUIRED],
               "numero_whatsapp": [REQUIRED]})
    );
    let (s, v) = app
        .put(
            &one,
            &app.admin_token,
            json!({"departamento": outro, "cliente": c, "chat_id": "f1b", "numero_whatsapp": "1"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (&v["departamento"], &v["chat_id"], &v["prioridade"]),
        (&json!(outro), &json!("f1b"), &json!("normal"))
    );
    let (s, v) = app
        .patch(&one, &app.admin_token, json!({"prioridade": "urgente"}))
        .await;
    assert_eq!(
        (s, &v["prioridade"], &v["chat_id"]),
        (StatusCode::OK, &json!("urgente"), &json!("f1b"))
    );
    assert_eq!(
        app.delete(&one, &app.admin_token).await.0,
        StatusCode::NO_CONTENT
    );
    let missing = (
        StatusCode::NOT_FOUND,
        json!({"detail": "No FilaAtendimento matches the given query."}),
    );
    assert_eq!(app.get(&one, &app.admin_token).await, missing);
    assert_eq!(app.delete(&one, &app.admin_token).await, missing);
    assert_eq!(list("").await, [r2, r4, r3]);
}
