//! The sent-key checks of the settings bodies (moved from the configurações domain crate with
//! their expected errors unchanged).

use super::*;
use kernel::messages as m;
use serde_json::json;

const VALID_CNPJ: &str = "11.222.333/0001-81";

fn body(v: Value) -> Body {
    v.as_object().cloned().expect("an object")
}

fn errors<T: std::fmt::Debug>(r: Result<T>) -> Value {
    match r {
        Err(DomainError::Validation(e)) => e.into_json(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn company_err(v: Value) -> Value {
    errors(company_patch(&body(v), false))
}

fn company_ok(v: Value) -> CompanyPatch {
    company_patch(&body(v), false).expect("should pass")
}

#[test]
fn company_sent_keys_lengths_blank_and_choices() {
    assert_eq!(
        company_err(
            json!({"razao_social": "x".repeat(101), "nome_fantasia": "", "regime_tributario": "4",
                   "inscricao_estadual": "1".repeat(21), "cnae_principal": "12345678901",
                   "telefone": true, "email": "nope"})
        ),
        json!({
            "razao_social": [m::max_length(100)],
            "nome_fantasia": [m::BLANK],
            "regime_tributario": ["\"4\" não é um escolha válido."],
            "inscricao_estadual": [m::max_length(20)],
            "cnae_principal": [m::max_length(10)],
            "telefone": [m::NOT_A_STRING],
            "email": [m::EMAIL]
        })
    );
    // Blank is fine where the contract says so; unknown keys are dropped.
    assert_eq!(
        company_ok(
            json!({"inscricao_municipal": "", "cnae_principal": "", "site": "", "extra": 1})
        ),
        CompanyPatch {
            inscricao_municipal: Some(String::new()),
            cnae_principal: Some(String::new()),
            site: Some(String::new()),
            ..Default::default()
        }
    );
    assert_eq!(
        company_err(json!({"razao_social": null})),
        json!({"razao_social": [m::NULL]})
    );
    let p = company_ok(json!({"regime_tributario": 2, "email": " a@b.com ", "telefone": 11}));
    assert_eq!(p.regime_tributario.map(|r| r.as_str()), Some("2"));
    assert_eq!(p.email.as_ref().map(|e| e.as_str()), Some("a@b.com"));
    assert_eq!(p.telefone.as_deref(), Some("11"));
}

#[test]
fn company_cnpj_any_formatting_stored_as_sent() {
    for cnpj in [VALID_CNPJ, "11222333000181", "11 222 333 0001 81"] {
        let p = company_ok(json!({ "cnpj": cnpj }));
        assert_eq!(p.cnpj.as_ref().map(CnpjText::as_str), Some(cnpj));
    }
    for bad in ["11.222.333/0001-82", "123", "11111111111111"] {
        assert_eq!(
            company_err(json!({ "cnpj": bad })),
            json!({"cnpj": ["CNPJ inválido"]})
        );
    }
}

#[test]
fn company_endereco_nested_errors_only_for_sent_subkeys() {
    assert_eq!(
        company_err(json!({"endereco": {"cep": "01234-567", "uf": "XX", "numero": "12345678901"}})),
        json!({"endereco": {
            "cep": [m::PATTERN],
            "numero": [m::max_length(10)],
            "uf": ["UF inválida"]
        }})
    );
    assert_eq!(
        company_ok(json!({"endereco": {"uf": "sp", "complemento": ""}})).endereco,
        Some(NewEndereco {
            uf: Some(Uf::parse("sp").expect("uf")),
            complemento: Some(String::new()),
            ..Default::default()
        })
    );
    assert_eq!(
        company_err(json!({"endereco": "Rua X"})),
        json!({"endereco": {"non_field_errors":
            ["Dados inválidos. Esperado um dicionário, mas recebido str."]}})
    );
    assert_eq!(
        company_err(json!({"endereco": null})),
        json!({"endereco": [m::NULL]})
    );
}

#[test]
fn sent_key_errors_nest_and_flat_ones_stay_flat() {
    assert_eq!(
        company_err(json!({"cnpj": "123", "endereco": {"cep": "1234-567"}})),
        json!({"cnpj": ["CNPJ inválido"], "endereco": {"cep": [m::PATTERN]}})
    );
}

#[test]
fn chat_sent_rules() {
    let chat_err = |v: Value| errors(chat_patch(&body(v), false));
    assert_eq!(
        chat_err(
            json!({"mensagem_saudacao": "  ", "timeout_inatividade_minutos": 0,
                   "limite_chats_simultaneos": "3", "horario_funcionamento": "sempre"})
        ),
        json!({
            "mensagem_saudacao": [m::BLANK],
            "timeout_inatividade_minutos": [m::min_value(1)],
            "limite_chats_simultaneos": [m::INTEGER],
            "horario_funcionamento": ["Esperado um dicionário de itens mas recebido tipo \"str\"."]
        })
    );
    assert_eq!(
        chat_err(json!({"horario_funcionamento": {"segunda": {"inicio": [1]}, "terca": 5}})),
        json!({"horario_funcionamento": {
            "segunda": {"inicio": [m::NOT_A_STRING]},
            "terca": {"non_field_errors": ["Dados inválidos. Esperado um dicionário, mas recebido int."]}
        }})
    );
    assert_eq!(
        chat_err(json!({"horario_funcionamento": null})),
        json!({"horario_funcionamento": [m::NULL]})
    );
    let h = json!({"sabado": {"inicio": null, "fim": "12:00"}, "x": {"inicio": "qualquer"}});
    let sent = chat_patch(&body(json!({"horario_funcionamento": h.clone()})), false)
        .expect("hours")
        .horario_funcionamento
        .expect("sent");
    assert_eq!(Value::Object(sent.to_json()), h);
    // Other keys of a day are dropped; numbers are read as text.
    let sent = chat_patch(
        &body(json!({"horario_funcionamento": {"segunda": {"inicio": 8, "pausa": "12:00"}}})),
        false,
    )
    .expect("hours")
    .horario_funcionamento
    .expect("sent");
    assert_eq!(
        Value::Object(sent.to_json()),
        json!({"segunda": {"inicio": "8"}})
    );
}

#[test]
fn json_integers_are_strict_and_form_integers_are_text() {
    let sent = json!({"timeout_inatividade_minutos": "30"});
    assert_eq!(
        errors(chat_patch(&body(sent.clone()), false)),
        json!({"timeout_inatividade_minutos": [m::INTEGER]})
    );
    let form = chat_patch(&body(sent), true).expect("form");
    assert_eq!(form.timeout_inatividade_minutos, Some(30));
    let form = chat_patch(&body(json!({"limite_chats_simultaneos": "3"})), true);
    assert_eq!(form.expect("form").limite_chats_simultaneos, Some(3));
    for bad in [json!(1.5), json!(true), json!([1])] {
        assert_eq!(
            errors(chat_patch(
                &body(json!({"limite_chats_simultaneos": bad})),
                false
            )),
            json!({"limite_chats_simultaneos": [m::INTEGER]})
        );
    }
}

#[test]
fn email_appearance_whatsapp_sent_rules() {
    let email_err = |v: Value| errors(email_patch(&body(v), false));
    let email_ok = |v: Value| email_patch(&body(v), false).expect("should pass");
    assert_eq!(
        email_err(
            json!({"smtp_port": 70000, "smtp_ssl": "talvez", "email_from": "x@", "smtp_host": []})
        ),
        json!({
            "smtp_port": [m::max_value(65535)],
            "smtp_ssl": [m::BOOLEAN],
            "email_from": [m::EMAIL],
            "smtp_host": [m::NOT_A_STRING]
        })
    );
    let p = email_ok(json!({"smtp_host": "", "smtp_usuario": "", "smtp_senha": " a b "}));
    assert_eq!(
        (p.smtp_host.as_deref(), p.smtp_usuario.as_deref()),
        (Some(""), Some(""))
    );
    assert_eq!(
        p.smtp_senha.as_ref().map(PlainSecret::expose),
        Some(" a b ")
    );
    assert_eq!(email_ok(json!({"email_from": "  "})).email_from, Some(None));
    let from = email_ok(json!({"email_from": " a@b.com "})).email_from;
    assert_eq!(
        from.flatten().as_ref().map(|e| e.as_str().to_string()),
        Some("a@b.com".to_string())
    );
    assert_eq!(
        email_err(json!({"email_from": null})),
        json!({"email_from": [m::NULL]})
    );
    assert_eq!(
        email_err(json!({"email_from": "nope"})),
        json!({"email_from": [m::EMAIL]})
    );
    let secret = email_ok(json!({"smtp_senha": 123})).smtp_senha;
    assert_eq!(secret.as_ref().map(PlainSecret::expose), Some("123"));

    assert_eq!(
        appearance_patch(
            &body(json!({"primary_color": "qualquer", "custom_css": ""})),
            false
        )
        .expect("appearance"),
        AppearancePatch {
            primary_color: Some("qualquer".into()),
            custom_css: Some(String::new()),
            ..Default::default()
        }
    );
    assert_eq!(
        errors(appearance_patch(&body(json!({"favicon_url": {}})), false)),
        json!({"favicon_url": [m::NOT_A_STRING]})
    );
    assert_eq!(
        errors(whatsapp_patch(
            &body(json!({"enabled": "x", "reconnect_backoff_seconds": -1, "proxy_url": false})),
            false
        )),
        json!({
            "enabled": [m::BOOLEAN],
            "reconnect_backoff_seconds": [m::min_value(0)],
            "proxy_url": [m::NOT_A_STRING]
        })
    );
    let p = whatsapp_patch(
        &body(json!({"reconnect_backoff_seconds": 0, "stealth_mode": "false"})),
        false,
    )
    .expect("whatsapp");
    assert_eq!(
        (p.reconnect_backoff_seconds, p.stealth_mode),
        (Some(0), Some(false))
    );
}

#[test]
fn bodies_must_be_objects() {
    assert_eq!(
        errors(object(&json!([1]))),
        json!({"non_field_errors": ["Dados inválidos. Esperado um dicionário, mas recebido list."]})
    );
    assert_eq!(
        errors(object(&json!("x"))),
        json!({"non_field_errors": ["Dados inválidos. Esperado um dicionário, mas recebido str."]})
    );
    assert!(object(&json!({})).is_ok());
}

#[test]
fn put_requires_all_sections_and_reports_them_together() {
    let put = |v: Value| config_put(&body(v), false);
    assert_eq!(
        errors(put(
            json!({"company_data": {"cnpj": "1"}, "chat_settings": 3})
        )),
        json!({
            "company_data": {"cnpj": ["CNPJ inválido"]},
            "chat_settings": {"non_field_errors":
                ["Dados inválidos. Esperado um dicionário, mas recebido int."]},
            "email_settings": [m::REQUIRED]
        })
    );
    assert_eq!(
        errors(put(
            json!({"company_data": null, "chat_settings": {}, "email_settings": {}})
        )),
        json!({"company_data": [m::NULL]})
    );
    let ok = put(json!({
        "company_data": {"cnpj": VALID_CNPJ},
        "chat_settings": {"limite_chats_simultaneos": 2},
        "email_settings": {"smtp_senha": "***"}
    }))
    .expect("put");
    assert_eq!(ok.chat_settings.limite_chats_simultaneos, Some(2));
    assert_eq!(
        ok.email_settings
            .smtp_senha
            .as_ref()
            .map(PlainSecret::expose),
        Some("***")
    );
}
