use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn contatos_crud_uniqueness_soft_delete_and_scope() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (_, acme) = app
        .post("/api/v1/clientes/", t, json!({"razao_social":"ACME"}))
        .await;
    let (_, inativa) = app
        .post(
            "/api/v1/clientes/",
            t,
            json!({"razao_social":"Parada","status":"inativo"}),
        )
        .await;

    let (s, v) = app.post("/api/v1/contatos/", t, json!({})).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"cliente":["Este campo é obrigatório."],"nome":["Este campo é obrigatório."],"whatsapp":["Este campo é obrigatório."]})
        )
    );
    let (s, v) = app
        .post(
            "/api/v1/contatos/",
            t,
            json!({"cliente":acme["id"],"nome":"Ana","whatsapp":"11 9999-9999","email":"x"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"whatsapp":["Formato de WhatsApp inválido. Use: +5511999999999"],"email":["Insira um endereço de email válido."]})
        )
    );
    let (s, v) = app
        .post(
            "/api/v1/contatos/",
            t,
            json!({"cliente":9999,"nome":"Ana","whatsapp":"+5511999999999"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"cliente":["Pk inválido \"9999\" - objeto não existe."]})
        )
    );

    let (s, ana) = app
        .post(
            "/api/v1/contatos/",
            t,
            json!({"cliente":acme["id"],"nome":"Ana","whatsapp":"+5511999999999","cargo":"CEO"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ana}");
    assert_eq!(
        (
            ana["cliente_nome"].clone(),
            ana["ativo"].clone(),
            ana["whatsapp"].clone()
        ),
        (json!("ACME"), json!(true), json!("+5511999999999"))
    );
    let (s, v) = app
        .post(
            "/api/v1/contatos/",
            t,
            json!({"cliente":acme["id"],"nome":"Outra","whatsapp":"+5511999999999"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"non_field_errors":["Os campos cliente, whatsapp devem criar um set único."]})
        )
    );
    let (s, bia) = app
        .post(
            "/api/v1/contatos/",
            t,
            json!({"cliente":inativa["id"],"nome":"Bia","whatsapp":"5511888888888"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // list, search, filters, ordering
    let (_, v) = app.get("/api/v1/contatos/", t).await;
    assert_eq!(v["count"], 2);
    assert_eq!(v["results"][0]["nome"], "Ana");
    let (_, v) = app.get("/api/v1/contatos/?search=acme", t).await;
    assert_eq!(v["count"], 1);
    let (_, v) = app
        .get(&format!("/api/v1/contatos/?cliente={}", inativa["id"]), t)
        .await;
    assert_eq!(v["results"][0]["nome"], "Bia");
    let (_, v) = app
        .get("/api/v1/contatos/?cargo=ce&ordering=-nome", t)
        .await;
    assert_eq!(v["count"], 1);
    let (s, _) = app.get("/api/v1/contatos/?cliente=abc", t).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // agents only see contatos of active clientes
    let (_, maria) = app.agent("maria", json!({})).await;
    let (_, v) = app.get("/api/v1/contatos/", &maria).await;
    assert_eq!(v["count"], 1);
    assert_eq!(
        app.get(&format!("/api/v1/contatos/{}/", bia["id"]), &maria)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // update
    let path = format!("/api/v1/contatos/{}/", ana["id"]);
    let (s, v) = app.patch(&path, t, json!({"cargo":null})).await;
    assert_eq!(
        (s, v["cargo"].clone(), v["nome"].clone()),
        (StatusCode::OK, json!(null), json!("Ana"))
    );
    let (s, v) = app.put(&path, t, json!({"nome":"Ana Paula"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app
        .put(
            &path,
            t,
            json!({"cliente":acme["id"],"nome":"Ana Paula","whatsapp":"+5511999999990"}),
        )
        .await;
    assert_eq!((s, v["nome"].clone()), (StatusCode::OK, json!("Ana Paula")));

    // soft delete
    let (s, _) = app.delete(&path, t).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(&path, t).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::NOT_FOUND,
            json!({"detail":"No ContatoCliente matches the given query."})
        )
    );
    let (_, v) = app.get("/api/v1/contatos/", t).await;
    assert_eq!(v["count"], 1);
}

#[tokio::test]
async fn cep_lookup_offline() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/v1/integrations/cep/01001-000/"))
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["cep"], "01001-000");
    assert_eq!(v["logradouro"], "Praça da Sé");
    assert_eq!(
        (v["cidade"].clone(), v["estado"].clone()),
        (json!("São Paulo"), json!("SP"))
    );
    let (s, v) = read(
        app.client
            .get(app.url("/api/v1/integrations/cep/123/"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"error":"CEP inválido","message":"CEP inválido: 123"})
        )
    );
    let (s, v) = read(
        app.client
            .get(app.url("/api/v1/integrations/cep/99999999/"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::NOT_FOUND,
            json!({"error":"CEP não encontrado","message":"O CEP informado não foi encontrado na base de dados"})
        )
    );
}

/// A contato's `whatsapp` takes ASCII digits only: look-alike digits are refused, not stored.
#[tokio::test]
async fn whatsapp_look_alike_digits_are_refused() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (_, c) = app
        .post("/api/v1/clientes/", t, json!({"razao_social":"ACME"}))
        .await;
    let msg = json!({"whatsapp":["Formato de WhatsApp inválido. Use: +5511999999999"]});
    for w in [
        "+５５１１９９９９９９９９９",
        "+٥٥١١٩٩٩٩٩٩٩٩٩",
        "5511999999۹۹۹",
    ] {
        let (s, v) = app
            .post(
                "/api/v1/contatos/",
                t,
                json!({"cliente":c["id"],"nome":"Ana","whatsapp":w}),
            )
            .await;
        assert_eq!((s, &v), (StatusCode::BAD_REQUEST, &msg), "{w}");
    }
    let (s, ok) = app
        .post(
            "/api/v1/contatos/",
            t,
            json!({"cliente":c["id"],"nome":"Ana","whatsapp":"+5511999999999"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ok}");
    let (s, v) = app
        .patch(
            &format!("/api/v1/contatos/{}/", ok["id"]),
            t,
            json!({"whatsapp":"+٥٥١١٩٩٩٩٩٩٩٩٩"}),
        )
        .await;
    assert_eq!((s, &v), (StatusCode::BAD_REQUEST, &msg));
    let (_, v) = app.get("/api/v1/contatos/", t).await;
    assert_eq!(v["results"][0]["whatsapp"], "+5511999999999", "{v}");
}

/// Soft delete is `ativo = false` and the list's scope is `ativo = true` (§4.3): a deleted
/// contato is in no listing, `?ativo=false` included, and its detail is 404.
#[tokio::test]
async fn deleted_contatos_are_never_listed() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (_, c) = app
        .post("/api/v1/clientes/", t, json!({"razao_social":"ACME"}))
        .await;
    let mut ids = Vec::new();
    for (nome, w) in [("Ana", "+5511999999991"), ("Bia", "+5511999999992")] {
        let (s, v) = app
            .post(
                "/api/v1/contatos/",
                t,
                json!({"cliente":c["id"],"nome":nome,"whatsapp":w}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        ids.push(v["id"].clone());
    }
    let (s, _) = app
        .delete(&format!("/api/v1/contatos/{}/", ids[0]), t)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let cid = &c["id"];
    for q in [
        format!("?cliente={cid}&ativo=false"),
        "?ativo=false".to_string(),
        "?ativo=0".to_string(),
        format!("?cliente={cid}&ativo=false&search=ana"),
        "?ativo=false&ordering=ativo&page=last".to_string(),
    ] {
        let (s, v) = app.get(&format!("/api/v1/contatos/{q}"), t).await;
        assert_eq!(
            (s, v["count"].clone(), v["results"].clone()),
            (StatusCode::OK, json!(0), json!([])),
            "{q}"
        );
    }
    for q in [
        format!("?cliente={cid}"),
        format!("?cliente={cid}&ativo=true"),
        String::new(),
    ] {
        let (_, v) = app.get(&format!("/api/v1/contatos/{q}"), t).await;
        assert_eq!(v["count"], 1, "{q}: {v}");
        assert_eq!(v["results"][0]["id"], ids[1], "{q}: {v}");
    }
    let (s, _) = app.get(&format!("/api/v1/contatos/{}/", ids[0]), t).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
