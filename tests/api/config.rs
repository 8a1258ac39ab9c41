use crate::common::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;

fn valid_company() -> serde_json::Value {
    json!({"razao_social":"DX Ltda","nome_fantasia":"DX","cnpj":"11.222.333/0001-81","inscricao_estadual":"123",
           "regime_tributario":"1","telefone":"1130000000","email":"contato@dx.com",
           "endereco":{"cep":"01001000","logradouro":"Praça da Sé","numero":"1","complemento":"","bairro":"Sé","cidade":"São Paulo","uf":"sp"}})
}

#[tokio::test]
async fn defaults_permissions_and_merged_validation() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (s, v) = app.get("/api/v1/config/", t).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["chat_settings"]["timeout_inatividade_minutos"], 15);
    assert_eq!(v["company_data"]["endereco"]["uf"], "SP");
    assert!(v["email_settings"].get("smtp_senha").is_none());
    assert!(v.get("appearance").is_none() && v.get("whatsapp").is_none());

    let (_, maria) = app.agent("maria", json!({})).await;
    let (s, _) = app.get("/api/v1/config/company/", &maria).await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .patch("/api/v1/config/company/", &maria, valid_company())
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::FORBIDDEN,
            json!({"detail":"Você não tem permissão para executar essa ação."})
        )
    );

    let (s, v) = app
        .patch(
            "/api/v1/config/company/",
            t,
            json!({"cnpj":"11.222.333/0001-80","endereco":{"cep":"123"}}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["cnpj"], json!(["CNPJ inválido"]));
    assert_eq!(
        v["endereco"]["cep"],
        json!(["Este valor não corresponde ao padrão exigido."])
    );
    let (s, v) = app
        .patch(
            "/api/v1/config/company/",
            t,
            json!({"razao_social":"Só isso"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["company_data.cnpj"].is_array(), "{v}");
    let (s, v) = app
        .patch("/api/v1/config/company/", t, valid_company())
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["cnpj"], "11.222.333/0001-81");
    let (_, v) = app.get("/api/v1/config/company/", t).await;
    assert_eq!(v["razao_social"], "DX Ltda");

    let (s, v) = app
        .patch(
            "/api/v1/config/chat/",
            t,
            json!({"timeout_inatividade_minutos":0}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"timeout_inatividade_minutos":["Certifque-se de que este valor seja maior ou igual a 1."]})
        )
    );
    let (s, v) = app
        .patch(
            "/api/v1/config/chat/",
            t,
            json!({"timeout_inatividade_minutos":45}),
        )
        .await;
    assert_eq!(
        (s, v["timeout_inatividade_minutos"].clone()),
        (StatusCode::OK, json!(45))
    );
}

#[tokio::test]
async fn secrets_are_masked_and_encrypted() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (s, v) = app
        .patch("/api/v1/config/email/", t, json!({"smtp_host":"smtp.dx.com","smtp_senha":"segredo-super-123","email_from":"no-reply@dx.com"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["smtp_senha"], "***");
    let (_, v) = app.get("/api/v1/config/email/", t).await;
    assert!(v.get("smtp_senha").is_none());
    assert_eq!(v["smtp_host"], "smtp.dx.com");
    let (s, v) = app
        .patch(
            "/api/v1/config/whatsapp/",
            t,
            json!({"session_data":"sessao-secreta","reconnect_backoff_seconds":3}),
        )
        .await;
    assert_eq!(
        (s, v["session_data"].clone(), v["proxy_url"].clone()),
        (StatusCode::OK, json!("***"), json!(""))
    );
    let (_, v) = app.get("/api/v1/config/whatsapp/", t).await;
    assert_eq!(v["session_data"], "***");
    if std::env::var("TEST_DATABASE_URL")
        .map(|v| v.is_empty())
        .unwrap_or(true)
    {
        let mut raw = Vec::new();
        for f in ["test.db", "test.db-wal"] {
            raw.extend(std::fs::read(app._dir.path().join(f)).unwrap_or_default());
        }
        let text = String::from_utf8_lossy(&raw);
        assert!(text.contains("smtp.dx.com"), "the row is stored");
        assert!(
            !text.contains("segredo-super-123") && !text.contains("sessao-secreta"),
            "secrets stored in clear"
        );
    }
}

#[tokio::test]
async fn appearance_upload_and_delete() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let form = Form::new().text("kind", "logo").part(
        "file",
        Part::bytes(b"\x89PNG\r\n\x1a\nfake".to_vec()).file_name("Logo Empresa.PNG"),
    );
    let r = app
        .client
        .post(app.url("/api/v1/config/appearance/upload/"))
        .bearer_auth(t)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let url = v["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with("/media/appearance/")
            && url.ends_with(".png")
            && url.len() == "/media/appearance/".len() + 32 + 4,
        "{url}"
    );
    let (_, a) = app.get("/api/v1/config/appearance/", t).await;
    assert_eq!(a["login_logo_url"], url);
    let r = app.client.get(app.url(&url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "appearance files are public");
    assert_eq!(r.headers()["content-type"], "image/png");

    let form = Form::new()
        .text("kind", "banner")
        .part("file", Part::bytes(b"x".to_vec()).file_name("a.png"));
    let r = app
        .client
        .post(app.url("/api/v1/config/appearance/upload/"))
        .bearer_auth(t)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail":"file e kind={logo|favicon} são obrigatórios"})
        )
    );

    let (s, v) = app
        .delete("/api/v1/config/appearance/upload/?kind=x", t)
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"detail":"kind={logo|favicon} é obrigatório"})
        )
    );
    let (s, _) = app
        .delete("/api/v1/config/appearance/upload/?kind=logo", t)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, a) = app.get("/api/v1/config/appearance/", t).await;
    assert_eq!(a["login_logo_url"], "");
    assert_eq!(
        app.client.get(app.url(&url)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    let (s, v) = app
        .patch(
            "/api/v1/config/appearance/",
            t,
            json!({"primary_color":"#000000"}),
        )
        .await;
    assert_eq!(
        (s, v["primary_color"].clone()),
        (StatusCode::OK, json!("#000000"))
    );
}

/// On a fresh install `email_from` is blank, and blank is valid: PATCHing only `smtp_host`
/// (or `smtp_port` and `smtp_senha`) works. A non-blank `email_from` must be an address.
#[tokio::test]
async fn email_patch_on_a_fresh_install() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (s, v) = app
        .patch(
            "/api/v1/config/email/",
            t,
            json!({"smtp_host":"smtp.dx.com"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["smtp_host"].clone(), v["email_from"].clone()),
        (json!("smtp.dx.com"), json!(""))
    );
    let (s, v) = app
        .patch(
            "/api/v1/config/email/",
            t,
            json!({"smtp_port":465,"smtp_senha":"segredo"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["smtp_port"], 465);
    let (s, v) = app
        .patch("/api/v1/config/email/", t, json!({"email_from":"nope"}))
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"email_from":["Insira um endereço de email válido."]})
        )
    );
    let (s, v) = app
        .patch(
            "/api/v1/config/email/",
            t,
            json!({"email_from":"no-reply@dx.com"}),
        )
        .await;
    assert_eq!(
        (s, v["email_from"].clone()),
        (StatusCode::OK, json!("no-reply@dx.com"))
    );
    let (s, v) = app
        .patch("/api/v1/config/email/", t, json!({"email_from":""}))
        .await;
    assert_eq!((s, v["email_from"].clone()), (StatusCode::OK, json!("")));
    let (_, v) = app.get("/api/v1/config/email/", t).await;
    assert_eq!(
        (v["smtp_host"].clone(), v["smtp_port"].clone()),
        (json!("smtp.dx.com"), json!(465))
    );
}

/// `PUT /config/` replaces the three sections at once: sent-key errors nest under each
/// section, merged errors use dotted keys, and a masked `smtp_senha` keeps the password.
#[tokio::test]
async fn put_replaces_the_three_sections() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let (s, v) = app
        .put(
            "/api/v1/config/",
            t,
            json!({"company_data": {"cnpj": "1"}, "chat_settings": 3}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({
                "company_data": {"cnpj": ["CNPJ inválido"]},
                "chat_settings": {"non_field_errors":
                    ["Dados inválidos. Esperado um dicionário, mas recebido int."]},
                "email_settings": ["Este campo é obrigatório."]
            })
        )
    );
    let (s, _) = app
        .patch("/api/v1/config/email/", t, json!({"smtp_senha": "antiga"}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, chat) = app.get("/api/v1/config/chat/", t).await;
    let mut company = valid_company();
    company["endereco"] = json!({"cep": "01001000", "logradouro": "Praça da Sé"});
    let email = json!({"smtp_host": "smtp.dx.com", "smtp_port": 25, "smtp_usuario": "u",
                       "smtp_senha": "***", "smtp_ssl": false, "email_from": "a@dx.com"});
    let body = json!({"company_data": company, "chat_settings": chat, "email_settings": email});
    let (s, v) = app.put("/api/v1/config/", t, body.clone()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v,
        json!({
            "company_data.endereco.numero": ["Este campo é obrigatório."],
            "company_data.endereco.bairro": ["Este campo é obrigatório."],
            "company_data.endereco.cidade": ["Este campo é obrigatório."],
            "company_data.endereco.uf": ["Este campo é obrigatório."]
        })
    );
    let mut body = body;
    body["company_data"] = valid_company();
    let (s, v) = app.put("/api/v1/config/", t, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["email_settings"]["smtp_port"], 25);
    assert!(v["email_settings"].get("smtp_senha").is_none());
    assert!(
        v["company_data"].get("site").is_none(),
        "replaced whole: {v}"
    );
    let (_, v) = app
        .patch("/api/v1/config/email/", t, json!({"smtp_ssl": true}))
        .await;
    assert_eq!(v["smtp_senha"], "***", "the password was kept");
}

/// Form and multipart bodies carry integers and booleans as text.
#[tokio::test]
async fn form_bodies_carry_numbers_as_text() {
    let app = spawn_app().await;
    let t = &app.admin_token;
    let r = app
        .client
        .patch(app.url("/api/v1/config/chat/"))
        .bearer_auth(t)
        .form(&[("timeout_inatividade_minutos", "30")])
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(
        (s, v["timeout_inatividade_minutos"].clone()),
        (StatusCode::OK, json!(30))
    );
    let form = Form::new()
        .text("reconnect_backoff_seconds", "7")
        .text("enabled", "true");
    let r = app
        .client
        .patch(app.url("/api/v1/config/whatsapp/"))
        .bearer_auth(t)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (s, v) = read(r).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["reconnect_backoff_seconds"].clone(), v["enabled"].clone()),
        (json!(7), json!(true))
    );
    let (s, v) = app
        .patch(
            "/api/v1/config/chat/",
            t,
            json!({"timeout_inatividade_minutos": "30"}),
        )
        .await;
    assert_eq!(
        (s, v),
        (
            StatusCode::BAD_REQUEST,
            json!({"timeout_inatividade_minutos": ["Um número inteiro válido é exigido."]})
        )
    );
}
