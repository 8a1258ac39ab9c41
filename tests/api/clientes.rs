use crate::common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn create_with_defaults_and_derived_fields() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (s, a) = app
        .post("/api/v1/clientes/", t, json!({"tipo_pessoa":"fisica"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["razao_social"], "Empresa Temporária");
    assert_eq!(a["cnpj"], "00.000.000/0001-00");
    assert_eq!(a["responsavel_legal_cpf"], "000.000.000-00");
    assert_eq!(a["responsavel_legal_nome"], "Responsável Temporário");
    assert_eq!(a["regime_tributario"], "simples_nacional");
    assert_eq!(a["status"], "ativo");
    assert_eq!(a["endereco_completo"], "");
    assert_eq!(a["contatos_principais"], json!([]));
    assert_eq!(a["atualizado_por"], json!(null));
    assert!(a.get("grupo_empresa_nome").is_none());
    assert!(a.get("tipo_pessoa").is_none());
    assert!(a["criado_em"].as_str().unwrap().ends_with("-03:00"));
    let (_, b) = app.post("/api/v1/clientes/", t, json!({})).await;
    assert_eq!(b["cnpj"], "00.000.000/0002-00");

    let (s, c) = app
        .post(
            "/api/v1/clientes/",
            t,
            json!({"razao_social":"ACME Ltda","nome_fantasia":"Acme","cnpj":"12.abc.345/01de-35",
                   "responsavel_legal_cpf":"529.982.247-25","email_principal":"contato@acme.com.br",
                   "telefone_principal":"+5511999999999","endereco":"Rua A","numero":"10","bairro":"Centro",
                   "cidade":"São Paulo","estado":"SP","cep":"01001-000"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["cnpj"], "12ABC34501DE35");
    assert_eq!(c["responsavel_legal_cpf"], "52998224725");
    assert_eq!(c["nome_display"], "Acme");
    assert_eq!(
        c["contatos_principais"],
        json!(["Email: contato@acme.com.br", "Tel: +5511999999999"])
    );
    assert_eq!(
        c["endereco_completo"],
        "Rua A - nº 10 - Centro - São Paulo - SP - CEP: 01001-000"
    );
    assert_eq!(c["criado_por"], a["criado_por"]);
}

#[tokio::test]
async fn validation_errors() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let cases = [
        (
            json!({"cnpj":"11222333000181"}),
            "cnpj",
            "CNPJ deve estar no formato: 12.345.678/0001-90",
        ),
        (
            json!({"cnpj":"11.222.333/0001-80"}),
            "cnpj",
            "CNPJ inválido",
        ),
        (
            json!({"cnpj":"11.111.111/1111-11"}),
            "cnpj",
            "CNPJ inválido",
        ),
        (
            json!({"responsavel_legal_cpf":"52998224725"}),
            "responsavel_legal_cpf",
            "CPF deve estar no formato: 123.456.789-00",
        ),
        (
            json!({"responsavel_legal_cpf":"529.982.247-26"}),
            "responsavel_legal_cpf",
            "CPF inválido",
        ),
        (
            json!({"telefone_principal":"12-34"}),
            "telefone_principal",
            "Formato de telefone inválido. Use: +5511999999999",
        ),
        (
            json!({"cep":"0100"}),
            "cep",
            "CEP deve ter 8 dígitos. Use: 12345-678 ou 12345678",
        ),
        (
            json!({"email_principal":"x@"}),
            "email_principal",
            "Insira um endereço de email válido.",
        ),
        (
            json!({"status":"zzz"}),
            "status",
            "\"zzz\" não é um escolha válido.",
        ),
        (
            json!({"regime_tributario":"x"}),
            "regime_tributario",
            "\"x\" não é um escolha válido.",
        ),
        (
            json!({"razao_social":""}),
            "razao_social",
            "Este campo não pode ser em branco.",
        ),
        (
            json!({"razao_social":null}),
            "razao_social",
            "Este campo não pode ser nulo.",
        ),
        (
            json!({"estado":"SPX"}),
            "estado",
            "Certifique-se de que este campo não tenha mais de 2 caracteres.",
        ),
        (
            json!({"grupo_empresa":999}),
            "grupo_empresa",
            "Pk inválido \"999\" - objeto não existe.",
        ),
        (
            json!({"grupo_empresa":"1"}),
            "grupo_empresa",
            "Um número inteiro válido é exigido.",
        ),
        (
            json!({"grupo_empresa":1.5}),
            "grupo_empresa",
            "Um número inteiro válido é exigido.",
        ),
    ];
    for (body, field, msg) in cases {
        let (s, v) = app.post("/api/v1/clientes/", t, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(v, json!({field: [msg]}), "{body}");
    }
    let (s, _) = app
        .post("/api/v1/clientes/", t, json!({"cnpj":"11.222.333/0001-81"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, v) = app
        .post("/api/v1/clientes/", t, json!({"cnpj":"11.222.333/0001-81"}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"cnpj":["Cliente com este CNPJ já existe."]})
        )
    );
    let (_, v) = app.get("/api/v1/clientes/", t).await;
    assert_eq!(v["count"], 1, "failed creates must not store anything");
}

#[tokio::test]
async fn detail_update_delete_and_status() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (_, c) = app
        .post("/api/v1/clientes/", t, json!({"razao_social":"Beta"}))
        .await;
    let id = c["id"].as_i64().unwrap();
    let path = format!("/api/v1/clientes/{id}/");
    let (s, v) = app.get(&path, t).await;
    assert_eq!(
        (s, v["razao_social"].clone()),
        (StatusCode::OK, json!("Beta"))
    );

    let (s, v) = app.patch(&path, t, json!({"cidade":"Campinas"})).await;
    assert_eq!(
        (s, v["cidade"].clone(), v["razao_social"].clone()),
        (StatusCode::OK, json!("Campinas"), json!("Beta"))
    );
    assert_eq!(v["atualizado_por"], c["criado_por"]);
    let (s, v) = app.put(&path, t, json!({"razao_social":"Beta SA"})).await;
    assert_eq!(
        (s, v["razao_social"].clone(), v["cidade"].clone()),
        (StatusCode::OK, json!("Beta SA"), json!("Campinas"))
    );
    let (s, v) = app.patch(&path, t, json!({"cnpj":"bad"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");

    let (s, v) = app
        .patch(&format!("{path}status/"), t, json!({"status":"suspenso"}))
        .await;
    assert_eq!(
        (s, v["status"].clone()),
        (StatusCode::OK, json!("suspenso"))
    );
    let (s, v) = app.patch(&format!("{path}status/"), t, json!({})).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"error":"Campo \"status\" é obrigatório"})
        )
    );
    let (s, v) = app
        .patch(&format!("{path}status/"), t, json!({"status":"x"}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"error":"Status inválido. Opções: ['ativo', 'inativo', 'suspenso', 'bloqueado']"})
        )
    );
    let (s, _) = app
        .post(&format!("{path}status/"), t, json!({"status":"ativo"}))
        .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);

    let (_, v) = app.get("/api/v1/clientes/status/suspenso/", t).await;
    assert_eq!(v["count"], 1);
    assert!(
        v["results"][0].get("endereco_completo").is_some(),
        "full representation"
    );
    let (s, v) = app.get("/api/v1/clientes/status/xyz/", t).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"error":"Status inválido. Opções: ['ativo', 'inativo', 'suspenso', 'bloqueado']"})
        )
    );

    // delete cascades contatos
    let (s, _) = app
        .post(
            "/api/v1/clientes/cadastro-manual/",
            t,
            json!({"whatsapp":"5511977776666","nome":"Zé","empresa_id":id}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.delete(&path, t).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&path, t).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, v) = app
        .anon_post(
            "/api/v1/clientes/chat/buscar-contato/",
            json!({"whatsapp":"5511977776666"}),
        )
        .await;
    assert_eq!(v["encontrado"], false);
}

#[tokio::test]
async fn row_scoping_for_agents() {
    let app = spawn_app().await;
    let (_, admins) = app
        .post(
            "/api/v1/clientes/",
            &app.admin_token,
            json!({"razao_social":"Do Admin"}),
        )
        .await;
    let (_, maria) = app.agent("maria", json!({})).await;
    let (s, mine) = app
        .post(
            "/api/v1/clientes/",
            &maria,
            json!({"razao_social":"Da Maria"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, v) = app.get("/api/v1/clientes/", &maria).await;
    assert_eq!(v["count"], 1);
    assert_eq!(v["results"][0]["razao_social"], "Da Maria");
    let other = format!("/api/v1/clientes/{}/", admins["id"]);
    assert_eq!(app.get(&other, &maria).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.patch(&other, &maria, json!({"cidade":"X"})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.delete(&other, &maria).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/api/v1/clientes/{}/", mine["id"]), &maria)
            .await
            .0,
        StatusCode::OK
    );
    let (_, v) = app.get("/api/v1/clientes/", &app.admin_token).await;
    assert_eq!(v["count"], 2);
    let (_, st) = app.get("/api/v1/clientes/stats/", &maria).await;
    assert_eq!(st["total"], 1);
}

#[tokio::test]
async fn search_filters_ordering_and_stats() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    for (razao, cidade, estado, status) in [
        ("Alfa Comércio", "São Paulo", "SP", "ativo"),
        ("Beta Serviços", "Campinas", "SP", "inativo"),
        ("Gama Indústria", "Rio de Janeiro", "RJ", "ativo"),
    ] {
        let (s, _) = app.post("/api/v1/clientes/", t, json!({"razao_social":razao,"cidade":cidade,"estado":estado,"status":status,"email_principal":format!("{}@x.com", &razao[..4].to_lowercase())})).await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let names = |v: &Value| -> Vec<String> {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["razao_social"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, v) = app.get("/api/v1/clientes/?search=alfa", t).await;
    assert_eq!(names(&v), ["Alfa Comércio"]);
    let (_, v) = app.get("/api/v1/clientes/?search=beta%20servi", t).await;
    assert_eq!(names(&v), ["Beta Serviços"]);
    let (_, v) = app.get("/api/v1/clientes/?search=alfa%20beta", t).await;
    assert_eq!(v["count"], 0, "every term must match");
    let (_, v) = app
        .get("/api/v1/clientes/?estado=sp&ordering=razao_social", t)
        .await;
    assert_eq!(names(&v), ["Alfa Comércio", "Beta Serviços"]);
    let (_, v) = app.get("/api/v1/clientes/?cidade=rio", t).await;
    assert_eq!(names(&v), ["Gama Indústria"]);
    let (_, v) = app
        .get("/api/v1/clientes/?status=ativo&ordering=-razao_social", t)
        .await;
    assert_eq!(names(&v), ["Gama Indústria", "Alfa Comércio"]);
    let (_, v) = app.get("/api/v1/clientes/?busca_geral=gama@", t).await;
    assert_eq!(names(&v), ["Gama Indústria"]);
    let (s, v) = app.get("/api/v1/clientes/?status=xx", t).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"status":["Faça uma escolha válida. xx não é uma das escolhas disponíveis."]})
        )
    );
    let (s, _) = app.get("/api/v1/clientes/?criado_apos=ontem", t).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (_, v) = app
        .get(
            "/api/v1/clientes/?criado_apos=2000-01-01T00:00:00Z&criado_antes=01/01/2100%2000:00",
            t,
        )
        .await;
    assert_eq!(v["count"], 3);
    let (_, v) = app
        .get("/api/v1/clientes/?criado_antes=2000-01-01", t)
        .await;
    assert_eq!(v["count"], 0);

    let (s, v) = app.get("/api/v1/clientes/search/?q=serv", t).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(names(&v), ["Beta Serviços"]);
    assert!(v["results"][0].get("nome_display").is_some());

    let (_, st) = app.get("/api/v1/clientes/stats/", t).await;
    assert_eq!(st["total"], 3);
    assert_eq!(
        st["por_status"],
        json!({"ativo":2,"inativo":1,"suspenso":0,"bloqueado":0})
    );
    assert_eq!(st["por_regime_tributario"]["simples_nacional"], 3);
    assert_eq!(st["por_regime_tributario"]["mei"], 0);
    assert_eq!(st["por_estado"], json!({"SP":2,"RJ":1}));
    assert_eq!(st["por_cidade"]["Campinas"], 1);
    assert_eq!(st["recentes"], 3);
}

#[tokio::test]
async fn grupos_empresa() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (s, v) = app.post("/api/v1/grupos-empresa/", t, json!({})).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"nome":["Este campo é obrigatório."]})
        )
    );
    let (s, g) = app
        .post(
            "/api/v1/grupos-empresa/",
            t,
            json!({"nome":"Holding Sul","descricao":"Grupo"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(
        (g["ativo"].clone(), g["empresas_count"].clone()),
        (json!(true), json!(0))
    );
    let gid = g["id"].as_i64().unwrap();
    let (_, g2) = app
        .post("/api/v1/grupos-empresa/", t, json!({"nome":"Alfa Group"}))
        .await;
    let (_, c) = app
        .post("/api/v1/clientes/", t, json!({"grupo_empresa": gid}))
        .await;
    assert_eq!(c["grupo_empresa_nome"], "Holding Sul");
    let (_, v) = app.get(&format!("/api/v1/grupos-empresa/{gid}/"), t).await;
    assert_eq!(v["empresas_count"], 1);
    let (_, v) = app.get("/api/v1/grupos-empresa/", t).await;
    assert_eq!(v["results"][0]["id"], g2["id"], "ordered by nome");
    let (_, v) = app.get("/api/v1/grupos-empresa/?search=holding", t).await;
    assert_eq!(v["count"], 1);
    let (_, v) = app.get("/api/v1/clientes/", t).await;
    assert_eq!(v["results"][0]["grupo_empresa_nome"], "Holding Sul");
    let (s, v) = app
        .patch(
            &format!("/api/v1/grupos-empresa/{gid}/"),
            t,
            json!({"ativo":false}),
        )
        .await;
    assert_eq!(
        (s, v["ativo"].clone(), v["nome"].clone()),
        (StatusCode::OK, json!(false), json!("Holding Sul"))
    );
    let (s, _) = app
        .put(
            &format!("/api/v1/grupos-empresa/{gid}/"),
            t,
            json!({"descricao":"x"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = app
        .delete(&format!("/api/v1/grupos-empresa/{gid}/"), t)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = app.get(&format!("/api/v1/clientes/{}/", c["id"]), t).await;
    assert_eq!(
        (s, v["grupo_empresa"].clone()),
        (StatusCode::OK, json!(null))
    );
    let (s, v) = app.get(&format!("/api/v1/grupos-empresa/{gid}/"), t).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::NOT_FOUND,
            json!({"detail":"No GrupoEmpresa matches the given query."})
        )
    );
}

#[tokio::test]
async fn chat_intake_and_cadastro_manual() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (s, v) = app
        .anon_post(
            "/api/v1/clientes/chat/buscar-contato/",
            json!({"whatsapp":"+55 (11) 98888-7777"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::OK,
            json!({"encontrado":false,"message":"WhatsApp não encontrado. Dados capturados disponíveis para cadastro."})
        )
    );
    let (s, v) = app
        .anon_post(
            "/api/v1/clientes/chat/buscar-contato/",
            json!({"whatsapp":"abc"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"whatsapp":["Formato de WhatsApp inválido. Use: +5511999999999"]})
        )
    );
    let (s, v) = app
        .anon_post("/api/v1/clientes/chat/buscar-contato/", json!({}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"whatsapp":["Este campo é obrigatório."]})
        )
    );

    let (_, g) = app
        .post("/api/v1/grupos-empresa/", t, json!({"nome":"G"}))
        .await;
    let (s, v) = app
        .anon_post(
            "/api/v1/clientes/chat/dados-capturados/",
            json!({"whatsapp":"+55 11 98888-7777","nome":"Ana","empresa_nome":"Nova Ltda","empresa_cnpj":"11.222.333/0001-81","grupo_empresa_id":g["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["message"], "Dados capturados recebidos");
    assert_eq!(
        v["proximo_passo"],
        "Atendente deve editar e salvar os dados"
    );
    assert_eq!(v["dados_capturados"]["whatsapp"], "+5511988887777");
    assert_eq!(v["dados_capturados"]["empresa_cnpj"], "11222333000181");
    let (_, list) = app.get("/api/v1/clientes/", t).await;
    assert_eq!(list["count"], 0, "dados-capturados persists nothing");
    let (s, v) = app.anon_post("/api/v1/clientes/chat/dados-capturados/", json!({"whatsapp":"5511988887777","nome":"Ana","empresa_nome":"X","empresa_cnpj":"123","grupo_empresa_id":999})).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"empresa_cnpj":["CNPJ deve ter 14 dígitos"],"grupo_empresa_id":["Grupo de empresas não encontrado"]})
        )
    );

    // cadastro manual: new company with CNPJ
    let (s, v) = app
        .post("/api/v1/clientes/cadastro-manual/", t, json!({"whatsapp":"+55 11 98888-7777","nome":"Ana","empresa_nome":"Nova Ltda","empresa_cnpj":"11222333000181"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["message"], "Contato cadastrado com sucesso");
    assert_eq!(v["contato"]["whatsapp"], "+5511988887777");
    assert_eq!(v["contato"]["cliente_nome"], "Nova Ltda");
    assert_eq!(v["contato"]["cargo"], "");
    let cliente_id = v["contato"]["cliente"].clone();
    let (_, c) = app.get(&format!("/api/v1/clientes/{cliente_id}/"), t).await;
    assert_eq!(
        (
            c["cnpj"].clone(),
            c["responsavel_legal_nome"].clone(),
            c["criado_por"].clone()
        ),
        (
            json!("11222333000181"),
            json!("A ser preenchido"),
            json!(null)
        )
    );

    // same number again
    let (s, v) = app
        .post(
            "/api/v1/clientes/cadastro-manual/",
            t,
            json!({"whatsapp":"+55 11 98888 7777","nome":"Outra","empresa_nome":"Y"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["message"], "WhatsApp já cadastrado");
    assert_eq!(v["contato"]["nome"], "Ana");
    // found
    let (_, v) = app
        .anon_post(
            "/api/v1/clientes/chat/buscar-contato/",
            json!({"whatsapp":"+5511988887777"}),
        )
        .await;
    assert_eq!(v["encontrado"], true);
    assert_eq!(v["contatos"][0]["nome"], "Ana");
    // company resolved by name (case-insensitive), then by id; placeholders for new ones
    let (s, v) = app
        .post(
            "/api/v1/clientes/cadastro-manual/",
            t,
            json!({"whatsapp":"5511911112222","nome":"B","empresa_nome":"nova ltda"}),
        )
        .await;
    assert_eq!(
        (s, v["contato"]["cliente"].clone()),
        (StatusCode::CREATED, cliente_id.clone())
    );
    let (s, v) = app
        .post(
            "/api/v1/clientes/cadastro-manual/",
            t,
            json!({"whatsapp":"5511911113333","nome":"C","empresa_nome":"Outra Empresa"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, c) = app
        .get(&format!("/api/v1/clientes/{}/", v["contato"]["cliente"]), t)
        .await;
    assert_eq!(c["cnpj"], "00.000.000/0001-00");
    let (s, v) = app
        .post(
            "/api/v1/clientes/cadastro-manual/",
            t,
            json!({"whatsapp":"5511911114444","nome":"D"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"non_field_errors":["Deve informar empresa_id (empresa existente) ou empresa_nome (nova empresa)"]})
        )
    );
    let (s, v) = app
        .post(
            "/api/v1/clientes/cadastro-manual/",
            t,
            json!({"whatsapp":"5511911114444","nome":"D","empresa_id":9999}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"empresa_id":"Empresa não encontrada"})
        )
    );
    let (s, _) = app
        .anon_post("/api/v1/clientes/cadastro-manual/", json!({}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logo_upload_is_an_image_served_by_signed_link() {
    use reqwest::multipart::{Form, Part};
    let app = spawn_app().await;
    let t = &app.admin_token;
    let png = b"\x89PNG\r\n\x1a\nfake-image-bytes".to_vec();
    let form = Form::new()
        .text("razao_social", "Com Logo")
        .part("logo", Part::bytes(png.clone()).file_name("logo.png"));
    let (s, c) = read(
        app.client
            .post(app.url("/api/v1/clientes/"))
            .bearer_auth(t)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let logo = c["logo"].as_str().unwrap();
    assert!(
        logo.starts_with(&format!("{}/media/clientes/imagens/", app.base)) && logo.contains("sig="),
        "{logo}"
    );
    let r = app.client.get(logo).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), png.as_slice());

    let form = Form::new().part(
        "logo",
        Part::bytes(b"not an image".to_vec()).file_name("x.png"),
    );
    let (s, v) = read(
        app.client
            .post(app.url("/api/v1/clientes/"))
            .bearer_auth(t)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["logo"].is_array(), "{v}");
    // a client cannot point the logo at an arbitrary stored path
    let (s, _) = app
        .post(
            "/api/v1/clientes/",
            t,
            json!({"logo":"upload:clientes/documentos/x.pdf"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let path = format!("/api/v1/clientes/{}/", c["id"]);
    let (s, _) = app
        .patch(&path, t, json!({"logo":"upload:clientes/documentos/x.pdf"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, v) = app.get(&path, t).await;
    assert_eq!(
        (
            s,
            v["logo"].as_str().map(|l| l.contains("clientes/imagens/"))
        ),
        (StatusCode::OK, Some(true))
    );
    let (s, v) = app.patch(&path, t, json!({"logo":null})).await;
    assert_eq!((s, v["logo"].clone()), (StatusCode::OK, json!(null)));
}

/// Stored files follow the database: images stored for a refused write are removed, an image
/// replaced or cleared is removed, and deleting a cliente removes its images and the files of
/// its documentos (which the database deletes with it).
#[tokio::test]
async fn stored_files_follow_the_cliente() {
    use reqwest::Method;
    use reqwest::multipart::{Form, Part};
    let app = spawn_app().await;
    let t = &app.admin_token;
    let png = || Part::bytes(b"\x89PNG\r\n\x1a\nfake-image-bytes".to_vec()).file_name("logo.png");
    let send = |method: reqwest::Method, path: &str, form: Form| {
        app.client
            .request(method, app.url(path))
            .bearer_auth(t)
            .multipart(form)
            .send()
    };
    let images = || app.media_files("clientes/imagens");

    // A refused create leaves no file behind.
    let form = Form::new()
        .text("cnpj", "11.222.333/0001-00")
        .part("logo", png());
    let (s, v) = read(send(Method::POST, "/api/v1/clientes/", form).await.unwrap()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(images().is_empty(), "{:?}", images());
    // Nor does a body with one good image and one that is not an image.
    let form = Form::new().part("logo", png()).part(
        "assinatura_digital",
        Part::bytes(b"not an image".to_vec()).file_name("a.png"),
    );
    let (s, v) = read(send(Method::POST, "/api/v1/clientes/", form).await.unwrap()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    assert!(images().is_empty(), "{:?}", images());

    let form = Form::new()
        .text("razao_social", "Com Logo")
        .part("logo", png());
    let (s, c) = read(send(Method::POST, "/api/v1/clientes/", form).await.unwrap()).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let first = images();
    assert_eq!(first.len(), 1);
    let path = format!("/api/v1/clientes/{}/", c["id"]);

    // Replacing the logo (and adding a signature) removes the old logo only.
    let form = Form::new()
        .part("logo", png())
        .part("assinatura_digital", png());
    let (s, v) = read(send(Method::PATCH, &path, form).await.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let second = images();
    assert_eq!(second.len(), 2);
    assert!(!second.contains(&first[0]));
    // A refused update keeps the stored images and leaves no new one.
    let form = Form::new().text("email_principal", "x").part("logo", png());
    let (s, _) = read(send(Method::PATCH, &path, form).await.unwrap()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(images(), second);
    // Clearing the logo removes its file.
    let (s, _) = app.patch(&path, t, json!({"logo": null})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(images().len(), 1);

    let form = Form::new()
        .text("cliente", c["id"].to_string())
        .text("nome", "Contrato")
        .text("tipo_documento", "contrato")
        .part(
            "arquivo",
            Part::bytes(b"%PDF-1.4 bytes".to_vec()).file_name("contrato.pdf"),
        );
    let (s, d) = read(
        send(Method::POST, "/api/v1/documentos/", form)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    assert_eq!(app.media_files("clientes/documentos").len(), 1);

    let (s, _) = app.delete(&path, t).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(images().is_empty(), "{:?}", images());
    assert!(app.media_files("clientes/documentos").is_empty());
}

/// Full-width (U+FF10…) and Arabic-Indic (U+0660…) digits are not digits: every digit field
/// refuses them with its usual message (nothing stored as sent). A CPF with look-alike check
/// digits used to panic the worker.
#[tokio::test]
async fn look_alike_digits_are_refused() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let phone = "Formato de telefone inválido. Use: +5511999999999";
    let cases = [
        (
            json!({"telefone_principal":"+５５１１９９９９９９９９９"}),
            "telefone_principal",
            phone,
        ),
        (
            json!({"telefone_principal":"+٥٥١١٩٩٩٩٩٩٩٩٩"}),
            "telefone_principal",
            phone,
        ),
        (
            json!({"telefone_principal":"+55119999999٩٩"}),
            "telefone_principal",
            phone,
        ),
        (
            json!({"cep":"０１００１-０００"}),
            "cep",
            "CEP deve ter 8 dígitos. Use: 12345-678 ou 12345678",
        ),
        (
            json!({"responsavel_legal_cpf":"529.982.247-٢٥"}),
            "responsavel_legal_cpf",
            "CPF deve estar no formato: 123.456.789-00",
        ),
        (
            json!({"responsavel_legal_cpf":"５29.982.247-25"}),
            "responsavel_legal_cpf",
            "CPF deve estar no formato: 123.456.789-00",
        ),
        (
            json!({"cnpj":"11.222.333/0001-８１"}),
            "cnpj",
            "CNPJ deve estar no formato: 12.345.678/0001-90",
        ),
    ];
    for (body, field, msg) in cases {
        let (s, v) = app.post("/api/v1/clientes/", t, body.clone()).await;
        assert_eq!(
            (s, v),
            (StatusCode::BAD_REQUEST, json!({field: [msg]})),
            "{body}"
        );
    }
    let (_, c) = app.post("/api/v1/clientes/", t, json!({})).await;
    let (s, v) = app
        .patch(
            &format!("/api/v1/clientes/{}/", c["id"]),
            t,
            json!({"telefone_principal":"１１９９９９９９９９９"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
    let (_, v) = app.get("/api/v1/clientes/", t).await;
    assert_eq!(v["count"], 1, "{v}");
    assert_eq!(v["results"][0]["telefone_principal"], json!(null), "{v}");
}
