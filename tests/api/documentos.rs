use crate::common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

fn upload_form(cliente: &Value, nome: &str, filename: &str, data: Vec<u8>) -> Form {
    Form::new()
        .text("cliente", cliente.to_string())
        .text("nome", nome.to_string())
        .text("tipo_documento", "contrato")
        .part(
            "arquivo",
            Part::bytes(data)
                .file_name(filename.to_string())
                .mime_str("text/plain")
                .unwrap(),
        )
}

async fn upload(app: &TestApp, token: &str, form: Form) -> (StatusCode, Value) {
    app.multipart("/api/v1/documentos/", token, form).await
}

#[tokio::test]
async fn upload_download_and_signed_links() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (_, c) = app
        .post("/api/v1/clientes/", t, json!({"razao_social":"ACME"}))
        .await;
    let (s, d) = upload(
        &app,
        t,
        upload_form(
            &c["id"],
            "Contrato social",
            "contrato social.txt",
            b"Hello, World!".to_vec(),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_eq!(d["tamanho_arquivo"], "13.0 B");
    assert_eq!(
        (
            d["cliente_nome"].clone(),
            d["origem"].clone(),
            d["status"].clone(),
            d["ativo"].clone()
        ),
        (json!("ACME"), json!("manual"), json!("gerado"), json!(true))
    );
    assert_eq!(d["is_contrato"], true);
    let url = d["arquivo"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!("{}/media/clientes/documentos/", app.base)),
        "{url}"
    );
    assert!(url.contains("exp=") && url.contains("sig="), "{url}");

    // the signed link works without a token
    let r = app.client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("filename")
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"Hello, World!");
    // the bare path needs a token; a tampered signature is refused
    let bare = url.split('?').next().unwrap().to_string();
    assert_eq!(
        app.client.get(&bare).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.client
            .get(&bare)
            .bearer_auth(t)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let tampered = url.replace("sig=", "sig=x");
    assert_eq!(
        app.client.get(&tampered).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.client
            .get(app.url("/media/clientes/documentos/nao-existe.txt"))
            .bearer_auth(t)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // same name twice never overwrites; traversal is neutralised
    let (_, d2) = upload(
        &app,
        t,
        upload_form(
            &c["id"],
            "Outro",
            "contrato social.txt",
            b"segundo".to_vec(),
        ),
    )
    .await;
    assert_ne!(
        d2["arquivo"].as_str().unwrap().split('?').next(),
        Some(bare.as_str())
    );
    let (s, d3) = upload(
        &app,
        t,
        upload_form(&c["id"], "Evil", "../../../etc/passwd", b"x".to_vec()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(
        d3["arquivo"]
            .as_str()
            .unwrap()
            .contains("/media/clientes/documentos/")
    );
    assert_eq!(
        app.client
            .get(&bare)
            .bearer_auth(t)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        b"Hello, World!"
    );
}

#[tokio::test]
async fn upload_validation_and_limit() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (_, c) = app
        .post("/api/v1/clientes/", t, json!({"razao_social":"ACME"}))
        .await;
    let form = Form::new()
        .text("cliente", c["id"].to_string())
        .text("nome", "Sem arquivo");
    let (s, v) = upload(&app, t, form).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"arquivo":["Nenhum arquivo foi submetido."]})
        )
    );
    let form = Form::new().part("arquivo", Part::bytes(b"x".to_vec()).file_name("a.txt"));
    let (s, v) = upload(&app, t, form).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["cliente"].is_array() && v["nome"].is_array(), "{v}");
    let form = upload_form(&c["id"], "x", "a.txt", b"x".to_vec())
        .text("dados_preenchidos", "[1]")
        .text("data_vencimento", "2000-01-01");
    let (s, v) = upload(&app, t, form).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["dados_preenchidos"],
        json!(["Dados preenchidos devem ser um objeto"])
    );
    assert_eq!(
        v["data_vencimento"],
        json!(["Data de vencimento não pode ser no passado"])
    );

    let big = vec![b'a'; 21 * 1024 * 1024];
    let (s, v) = upload(&app, t, upload_form(&c["id"], "Grande", "grande.bin", big)).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"detail":"Arquivo muito grande (máximo 20 MB)."})
        )
    );
    let (_, list) = app.get("/api/v1/documentos/", t).await;
    assert_eq!(list["count"], 0, "failed uploads store nothing");
    let leftovers: Vec<_> = std::fs::read_dir(app._dir.path().join("media/clientes/documentos"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn crud_filters_and_scope() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (_, c) = app
        .post("/api/v1/clientes/", t, json!({"razao_social":"ACME"}))
        .await;
    let (_, d) = upload(
        &app,
        t,
        upload_form(&c["id"], "Contrato A", "a.txt", b"a".to_vec()),
    )
    .await;
    let form = Form::new()
        .text("cliente", c["id"].to_string())
        .text("nome", "Boleto B")
        .text("tipo_documento", "boleto")
        .text("descricao", "mensalidade")
        .text("data_vencimento", "2099-12-31")
        .part("arquivo", Part::bytes(b"b".to_vec()).file_name("b.txt"));
    let (s, b) = upload(&app, t, form).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let (_, v) = app
        .get("/api/v1/documentos/?tipo_documento=boleto", t)
        .await;
    assert_eq!(v["count"], 1);
    assert_eq!(v["results"][0]["nome"], "Boleto B");
    assert!(v["results"][0].get("arquivo").is_none(), "list shape");
    let (_, v) = app.get("/api/v1/documentos/?search=mensal", t).await;
    assert_eq!(v["count"], 1);
    let (_, v) = app.get("/api/v1/documentos/?ordering=nome", t).await;
    assert_eq!(v["results"][0]["nome"], "Boleto B");
    let (_, v) = app
        .get("/api/v1/documentos/?data_vencimento_apos=2099-01-01", t)
        .await;
    assert_eq!(v["count"], 1);
    let (s, v) = app
        .get("/api/v1/documentos/?data_upload_apos=ontem", t)
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"data_upload_apos":["Informe uma data válida."]})
        )
    );
    let (s, _) = app.get("/api/v1/documentos/?tipo_documento=xx", t).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    let path = format!("/api/v1/documentos/{}/", d["id"]);
    let (s, v) = app.patch(&path, t, json!({"status":"assinado"})).await;
    assert_eq!(
        (s, v["status"].clone()),
        (StatusCode::OK, json!("assinado"))
    );
    let (s, v) = app.put(&path, t, json!({"status":"enviado"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (s, v) = app
        .put(&path, t, json!({"cliente":c["id"],"nome":"Contrato A2"}))
        .await;
    assert_eq!(
        (s, v["nome"].clone()),
        (StatusCode::OK, json!("Contrato A2"))
    );

    // agents only see documents of their own clientes
    let (_, maria) = app.agent("maria", json!({})).await;
    let (_, v) = app.get("/api/v1/documentos/", &maria).await;
    assert_eq!(v["count"], 0);
    assert_eq!(app.get(&path, &maria).await.0, StatusCode::NOT_FOUND);

    let (s, _) = app.delete(&path, t).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(&path, t).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::NOT_FOUND,
            json!({"detail":"No DocumentoCliente matches the given query."})
        )
    );
}

#[tokio::test]
async fn gerar_contrato_pdf() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (_, c) = app
        .post(
            "/api/v1/clientes/",
            t,
            json!({"razao_social":"Padaria São João","cnpj":"11.222.333/0001-81"}),
        )
        .await;
    let (s, v) = app
        .post("/api/v1/documentos/gerar-contrato/", t, json!({"cliente_id": c["id"], "dados_contrato": {"valor_mensal": "R$ 1.500,00", "data_vencimento": "2099-01-10"}}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["message"], "Contrato gerado com sucesso");
    let d = &v["documento"];
    assert_eq!(
        (
            d["tipo_documento"].clone(),
            d["origem"].clone(),
            d["template_usado"].clone()
        ),
        (json!("contrato"), json!("gerado"), json!("contrato_padrao"))
    );
    assert_eq!(d["nome"], "contrato_padrao - Padaria São João");
    assert_eq!(d["dados_preenchidos"]["cliente_cnpj"], "11222333000181");
    assert_eq!(d["dados_preenchidos"]["valor_mensal"], "R$ 1.500,00");
    assert_eq!(d["data_vencimento"], "2099-01-10");
    let arquivo = d["arquivo"].as_str().unwrap();
    assert!(
        arquivo.starts_with(&format!("/media/clientes/documentos/contrato_{}_", c["id"]))
            && arquivo.contains(".pdf?"),
        "{arquivo}"
    );
    let r = app.client.get(app.url(arquivo)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF"));

    let (s, v) = app
        .post("/api/v1/documentos/gerar-contrato/", t, json!({}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"error":"cliente_id é obrigatório"})
        )
    );
    let (s, v) = app
        .post(
            "/api/v1/documentos/gerar-contrato/",
            t,
            json!({"cliente_id": c["id"], "template_nome": "xyz"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::NOT_FOUND,
            json!({"error":"Template \"xyz\" não encontrado"})
        )
    );
    app.patch(
        &format!("/api/v1/clientes/{}/status/", c["id"]),
        t,
        json!({"status":"inativo"}),
    )
    .await;
    let (s, v) = app
        .post(
            "/api/v1/documentos/gerar-contrato/",
            t,
            json!({"cliente_id": c["id"]}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::NOT_FOUND,
            json!({"detail":"No Cliente matches the given query."})
        )
    );
}

#[tokio::test]
async fn gerar_boleto_febraban_and_pix() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (_, c) = app
        .post(
            "/api/v1/clientes/",
            t,
            json!({"razao_social":"Cliente Boleto"}),
        )
        .await;
    let dados = json!({"banco":"237","agencia":"3381","conta":"0000633","carteira":"26","nosso_numero":"00078271395",
                       "valor":"3.700,00","data_vencimento":"2018-06-11","pix_chave":"financeiro@dxconnect.com"});
    let (s, v) = app
        .post(
            "/api/v1/documentos/gerar-boleto/",
            t,
            json!({"cliente_id": c["id"], "dados_boleto": dados}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["message"], "Boleto gerado com sucesso");
    let dp = &v["documento"]["dados_preenchidos"];
    assert_eq!(
        dp["codigo_barras"],
        "23799755200003700003381260007827139500006330"
    );
    assert_eq!(
        dp["linha_digitavel"],
        "23793.38128 60007.827136 95000.063305 9 75520000370000"
    );
    let pix = dp["pix_copia_e_cola"].as_str().unwrap();
    assert!(
        pix.starts_with("000201") && pix.contains("br.gov.bcb.pix") && pix.contains("6304"),
        "{pix}"
    );
    let r = app
        .client
        .get(app.url(v["documento"]["arquivo"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF"));

    let (s, v) = app
        .post("/api/v1/documentos/gerar-boleto/", t, json!({"cliente_id": c["id"], "dados_boleto": {"banco":"999","valor":"-1","data_vencimento":"amanhã"}}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        v["banco"].is_array() && v["valor"].is_array() && v["data_vencimento"].is_array(),
        "{v}"
    );
}

/// Generation reads the cliente within the caller's scope: an agent who cannot see a
/// cliente gets the 404 of a missing one (and nothing is generated), and generates for
/// their own clientes.
#[tokio::test]
async fn gerar_reads_the_cliente_within_the_callers_scope() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (s, alheio) = app
        .post("/api/v1/clientes/", t, json!({"razao_social":"Do Admin"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{alheio}");
    let (_, joana) = app.agent("joana", json!({})).await;
    let (s, proprio) = app
        .post(
            "/api/v1/clientes/",
            &joana,
            json!({"razao_social":"Da Joana"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{proprio}");
    let boleto = json!({"banco":"001","agencia":"1606","conta":"6809350","carteira":"31",
        "nosso_numero":"1448","convenio":"050094","valor":"10.00","data_vencimento":"2099-12-31"});
    for (path, body) in [
        (
            "/api/v1/documentos/gerar-contrato/",
            json!({"cliente_id": alheio["id"]}),
        ),
        (
            "/api/v1/documentos/gerar-boleto/",
            json!({"cliente_id": alheio["id"], "dados_boleto": boleto}),
        ),
    ] {
        let (s, v) = app.post(path, &joana, body).await;
        assert_eq!(
            (s, v),
            (
                StatusCode::NOT_FOUND,
                json!({"detail":"No Cliente matches the given query."})
            ),
            "{path}"
        );
    }
    let (_, v) = app.get("/api/v1/documentos/", t).await;
    assert_eq!(v["count"], 0, "nothing was generated: {v}");
    // The superuser sees every cliente; the agent their own.
    let (s, v) = app
        .post(
            "/api/v1/documentos/gerar-contrato/",
            t,
            json!({"cliente_id": alheio["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/documentos/gerar-boleto/",
            &joana,
            json!({"cliente_id": proprio["id"], "dados_boleto": boleto}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
}
