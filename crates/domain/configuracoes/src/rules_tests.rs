use super::*;
use crate::model::{default_chat_settings, default_company_data, default_email_settings};
use serde_json::json;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

fn sent_err(section: Section, body: Value) -> Value {
    validate_sent(fields(section), &obj(body), false)
        .expect_err("should fail")
        .into_json()
}

fn sent_ok(section: Section, body: Value) -> Value {
    Value::Object(validate_sent(fields(section), &obj(body), false).expect("should pass"))
}

const VALID_CNPJ: &str = "11.222.333/0001-81";

#[test]
fn company_sent_keys_lengths_blank_and_choices() {
    assert_eq!(
        sent_err(
            Section::Company,
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
        sent_ok(
            Section::Company,
            json!({"inscricao_municipal": "", "cnae_principal": "", "site": "", "extra": 1})
        ),
        json!({"inscricao_municipal": "", "cnae_principal": "", "site": ""})
    );
    assert_eq!(
        sent_err(Section::Company, json!({"razao_social": null})),
        json!({"razao_social": [m::NULL]})
    );
}

#[test]
fn company_cnpj_any_formatting_stored_as_sent() {
    for cnpj in [VALID_CNPJ, "11222333000181", "11 222 333 0001 81"] {
        assert_eq!(
            sent_ok(Section::Company, json!({ "cnpj": cnpj })),
            json!({ "cnpj": cnpj })
        );
    }
    for bad in ["11.222.333/0001-82", "123", "11111111111111"] {
        assert_eq!(
            sent_err(Section::Company, json!({ "cnpj": bad })),
            json!({"cnpj": ["CNPJ inválido"]})
        );
    }
}

#[test]
fn company_endereco_nested_errors_only_for_sent_subkeys() {
    assert_eq!(
        sent_err(
            Section::Company,
            json!({"endereco": {"cep": "01234-567", "uf": "XX", "numero": "12345678901"}})
        ),
        json!({"endereco": {
            "cep": [m::PATTERN],
            "numero": [m::max_length(10)],
            "uf": [UF_INVALID_MSG]
        }})
    );
    assert_eq!(
        sent_ok(
            Section::Company,
            json!({"endereco": {"uf": "sp", "complemento": ""}})
        ),
        json!({"endereco": {"uf": "sp", "complemento": ""}})
    );
    assert_eq!(
        sent_err(Section::Company, json!({"endereco": "Rua X"})),
        json!({"endereco": {"non_field_errors":
            ["Dados inválidos. Esperado um dicionário, mas recebido str."]}})
    );
}

#[test]
fn chat_sent_rules() {
    assert_eq!(
        sent_err(
            Section::Chat,
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
        sent_err(
            Section::Chat,
            json!({"horario_funcionamento": {"segunda": {"inicio": [1]}, "terca": 5}})
        ),
        json!({"horario_funcionamento": {
            "segunda": {"inicio": [m::NOT_A_STRING]},
            "terca": {"non_field_errors": ["Dados inválidos. Esperado um dicionário, mas recebido int."]}
        }})
    );
    let h = json!({"horario_funcionamento": {"sabado": {"inicio": null, "fim": "12:00"},
                                             "x": {"inicio": "qualquer"}}});
    assert_eq!(sent_ok(Section::Chat, h.clone()), h);
    // Form bodies carry integers as text.
    let form = validate_sent(CHAT, &obj(json!({"limite_chats_simultaneos": "3"})), true);
    assert_eq!(
        form.expect("form"),
        obj(json!({"limite_chats_simultaneos": 3}))
    );
}

#[test]
fn email_appearance_whatsapp_sent_rules() {
    assert_eq!(
        sent_err(
            Section::Email,
            json!({"smtp_port": 70000, "smtp_ssl": "talvez", "email_from": "x@", "smtp_host": []})
        ),
        json!({
            "smtp_port": [m::max_value(65535)],
            "smtp_ssl": [m::BOOLEAN],
            "email_from": [m::EMAIL],
            "smtp_host": [m::NOT_A_STRING]
        })
    );
    assert_eq!(
        sent_ok(
            Section::Email,
            json!({"smtp_host": "", "smtp_usuario": "", "smtp_senha": " a b "})
        ),
        json!({"smtp_host": "", "smtp_usuario": "", "smtp_senha": " a b "})
    );
    assert_eq!(
        sent_ok(Section::Email, json!({"email_from": "  "})),
        json!({"email_from": ""})
    );
    assert_eq!(
        sent_ok(Section::Email, json!({"email_from": " a@b.com "})),
        json!({"email_from": "a@b.com"})
    );
    assert_eq!(
        sent_err(Section::Email, json!({"email_from": null})),
        json!({"email_from": [m::NULL]})
    );
    assert_eq!(
        sent_ok(
            Section::Appearance,
            json!({"primary_color": "qualquer", "custom_css": ""})
        ),
        json!({"primary_color": "qualquer", "custom_css": ""})
    );
    assert_eq!(
        sent_err(Section::Appearance, json!({"favicon_url": {}})),
        json!({"favicon_url": [m::NOT_A_STRING]})
    );
    assert_eq!(
        sent_err(
            Section::Whatsapp,
            json!({"enabled": "x", "reconnect_backoff_seconds": -1, "proxy_url": false})
        ),
        json!({
            "enabled": [m::BOOLEAN],
            "reconnect_backoff_seconds": [m::min_value(0)],
            "proxy_url": [m::NOT_A_STRING]
        })
    );
    assert_eq!(
        sent_ok(
            Section::Whatsapp,
            json!({"reconnect_backoff_seconds": 0, "stealth_mode": "false"})
        ),
        json!({"reconnect_backoff_seconds": 0, "stealth_mode": false})
    );
}

#[test]
fn merged_company_defaults_need_cnpj_and_email() {
    let errors = validate_merged(COMPANY, &default_company_data(), "company_data");
    assert_eq!(
        errors.into_json(),
        json!({"company_data.cnpj": ["CNPJ inválido"], "company_data.email": [m::EMAIL]})
    );
    let mut ok = default_company_data();
    ok.insert("cnpj".into(), json!(VALID_CNPJ));
    ok.insert("email".into(), json!("contato@empresa.com.br"));
    assert!(validate_merged(COMPANY, &ok, "company_data").is_empty());
}

#[test]
fn merged_company_required_and_endereco_dotted() {
    let mut c = default_company_data();
    c.insert("cnpj".into(), json!(VALID_CNPJ));
    c.insert("email".into(), json!("a@b.com"));
    c.remove("telefone");
    c.remove("site");
    c.insert("regime_tributario".into(), json!("9"));
    c.insert(
        "endereco".into(),
        json!({"cep": "123", "uf": "zz", "logradouro": "Rua"}),
    );
    assert_eq!(
        validate_merged(COMPANY, &c, "company_data").into_json(),
        json!({
            "company_data.telefone": [m::REQUIRED],
            "company_data.regime_tributario": ["\"9\" não é um escolha válido."],
            "company_data.endereco.cep": [m::PATTERN],
            "company_data.endereco.numero": [m::REQUIRED],
            "company_data.endereco.bairro": [m::REQUIRED],
            "company_data.endereco.cidade": [m::REQUIRED],
            "company_data.endereco.uf": [UF_INVALID_MSG]
        })
    );
}

#[test]
fn merged_chat_and_email() {
    assert!(validate_merged(CHAT, &default_chat_settings(), "chat_settings").is_empty());
    let mut chat = default_chat_settings();
    chat.remove("mensagem_saudacao");
    chat.insert("limite_chats_simultaneos".into(), json!(0));
    assert_eq!(
        validate_merged(CHAT, &chat, "chat_settings").into_json(),
        json!({
            "chat_settings.mensagem_saudacao": [m::REQUIRED],
            "chat_settings.limite_chats_simultaneos": [m::min_value(1)]
        })
    );
    // The default email_from is blank, and blank is valid (e-mail not configured yet): a
    // fresh install can PATCH only smtp_host. A non-blank one must be an address.
    assert!(validate_merged(EMAIL, &default_email_settings(), "email_settings").is_empty());
    let mut email = default_email_settings();
    email.insert("email_from".into(), json!("no-reply@"));
    assert_eq!(
        validate_merged(EMAIL, &email, "email_settings").into_json(),
        json!({"email_settings.email_from": [m::EMAIL]})
    );
    let mut email = default_email_settings();
    email.insert("email_from".into(), json!("no-reply@empresa.com"));
    email.remove("smtp_senha");
    assert!(validate_merged(EMAIL, &email, "email_settings").is_empty());
}
