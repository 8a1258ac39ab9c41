use super::*;
use crate::UF_INVALID_MSG;
use crate::model::{default_chat_settings, default_company_data, default_email_settings};
use serde_json::{Value, json};

const VALID_CNPJ: &str = "11.222.333/0001-81";

fn company() -> CompanyData {
    CompanyData::from_stored(&default_company_data())
}

fn json_of(e: FieldErrors) -> Value {
    e.into_json()
}

#[test]
fn merged_company_defaults_need_cnpj_and_email() {
    let errors = company_errors(&company());
    assert_eq!(
        json_of(errors),
        json!({"company_data.cnpj": ["CNPJ inválido"], "company_data.email": [m::EMAIL]})
    );
    let mut ok = company();
    ok.cnpj = Some(VALID_CNPJ.into());
    ok.email = Some("contato@empresa.com.br".into());
    assert!(company_errors(&ok).is_empty());
}

#[test]
fn merged_company_required_and_endereco_dotted() {
    let mut c = company();
    c.cnpj = Some(VALID_CNPJ.into());
    c.email = Some("a@b.com".into());
    c.telefone = None;
    c.site = None;
    c.regime_tributario = Some("9".into());
    c.endereco = Some(Endereco {
        cep: Some("123".into()),
        uf: Some("zz".into()),
        logradouro: Some("Rua".into()),
        ..Default::default()
    });
    assert_eq!(
        json_of(company_errors(&c)),
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
    c.endereco = None;
    assert_eq!(
        json_of(company_errors(&c))["company_data.endereco"],
        json!([m::REQUIRED])
    );
}

#[test]
fn merged_chat_and_email() {
    let chat = ChatSettings::from_stored(&default_chat_settings());
    assert!(chat_errors(&chat).is_empty());
    let mut chat = chat;
    chat.mensagem_saudacao = None;
    chat.limite_chats_simultaneos = Some(0);
    assert_eq!(
        json_of(chat_errors(&chat)),
        json!({
            "chat_settings.mensagem_saudacao": [m::REQUIRED],
            "chat_settings.limite_chats_simultaneos": [m::min_value(1)]
        })
    );
    // The default email_from is blank, and blank is valid (e-mail not configured yet): a
    // fresh install can PATCH only smtp_host. A non-blank one must be an address.
    let email = || EmailSettings::from_stored(&default_email_settings());
    assert!(email_errors(&email()).is_empty());
    let mut e = email();
    e.email_from = Some("no-reply@".into());
    assert_eq!(
        json_of(email_errors(&e)),
        json!({"email_settings.email_from": [m::EMAIL]})
    );
    let mut e = email();
    e.email_from = Some("no-reply@empresa.com".into());
    e.smtp_senha = None;
    assert!(email_errors(&e).is_empty());
    let mut e = email();
    e.smtp_port = Some(70000);
    e.smtp_ssl = None;
    assert_eq!(
        json_of(email_errors(&e)),
        json!({
            "email_settings.smtp_port": [m::max_value(65535)],
            "email_settings.smtp_ssl": [m::REQUIRED]
        })
    );
}
