//! The rules on a whole section after a PATCH's shallow merge or a PUT (§4.9): required keys
//! present, and the identifiers, e-mails, choices and bounds that must hold on stored data.
//! Text keys are not checked further (the defaults are blank). Errors use the dotted path
//! under the section's key: `{"company_data.endereco.cep":["…"]}` (§9).

use crate::model::Section;
use crate::sections::{ChatSettings, CompanyData, EmailSettings, Endereco};
use crate::values::{CepDigits, CnpjText, RegimeTributario, Uf};
use kernel::values::is_valid_email;
use kernel::{FieldErrors, messages as m};

/// The limits of the settings' fields. The edge applies them to the keys a request sends
/// (and its OpenAPI schema states them); the bounds are checked again on merged sections.
pub mod limits {
    pub const RAZAO_SOCIAL: usize = 100;
    pub const NOME_FANTASIA: usize = 100;
    pub const INSCRICAO_ESTADUAL: usize = 20;
    pub const INSCRICAO_MUNICIPAL: usize = 20;
    pub const CNAE_PRINCIPAL: usize = 10;
    pub const TELEFONE: usize = 20;
    pub const SITE: usize = 100;
    pub const LOGRADOURO: usize = 100;
    pub const NUMERO: usize = 10;
    pub const COMPLEMENTO: usize = 50;
    pub const BAIRRO: usize = 50;
    pub const CIDADE: usize = 50;
    pub const TIMEOUT_INATIVIDADE_MIN: i64 = 1;
    pub const LIMITE_CHATS_MIN: i64 = 1;
    pub const SMTP_PORT_MIN: i64 = 1;
    pub const SMTP_PORT_MAX: i64 = 65535;
    pub const RECONNECT_BACKOFF_MIN: i64 = 0;
}

/// Collects errors under a dotted prefix.
struct Dotted<'a> {
    prefix: String,
    errors: &'a mut FieldErrors,
}

impl Dotted<'_> {
    fn add(&mut self, key: &str, msg: impl Into<String>) {
        self.errors.add(&format!("{}.{key}", self.prefix), msg);
    }

    /// The value of a required key, or a "required" error.
    fn required<'v, T>(&mut self, key: &str, value: &'v Option<T>) -> Option<&'v T> {
        if value.is_none() {
            self.add(key, m::REQUIRED);
        }
        value.as_ref()
    }

    /// Records the message of a failed check.
    fn check<E: Into<String>>(&mut self, key: &str, checked: Result<(), E>) {
        if let Err(msg) = checked {
            self.add(key, msg);
        }
    }

    fn nested(&mut self, key: &str) -> Dotted<'_> {
        Dotted {
            prefix: format!("{}.{key}", self.prefix),
            errors: self.errors,
        }
    }
}

fn with_prefix(section: Section, rules: impl FnOnce(&mut Dotted<'_>)) -> FieldErrors {
    let mut errors = FieldErrors::new();
    rules(&mut Dotted {
        prefix: section.key().to_string(),
        errors: &mut errors,
    });
    errors
}

/// Stored text is checked trimmed, as the original's `CharField` reads it.
fn trimmed<T, E>(s: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Result<(), E> {
    parse(s.trim()).map(drop)
}

fn email_check(s: &str) -> Result<(), &'static str> {
    if is_valid_email(s.trim()) {
        Ok(())
    } else {
        Err(m::EMAIL)
    }
}

fn bounded(n: i64, min: i64, max: Option<i64>) -> Result<(), String> {
    if n < min {
        return Err(m::min_value(min));
    }
    match max {
        Some(max) if n > max => Err(m::max_value(max)),
        _ => Ok(()),
    }
}

pub(crate) fn company_errors(c: &CompanyData) -> FieldErrors {
    with_prefix(Section::Company, |e| {
        e.required("razao_social", &c.razao_social);
        e.required("nome_fantasia", &c.nome_fantasia);
        if let Some(cnpj) = e.required("cnpj", &c.cnpj) {
            e.check("cnpj", trimmed(cnpj, CnpjText::parse));
        }
        e.required("inscricao_estadual", &c.inscricao_estadual);
        if let Some(regime) = e.required("regime_tributario", &c.regime_tributario) {
            e.check(
                "regime_tributario",
                RegimeTributario::parse(regime).map(drop),
            );
        }
        e.required("telefone", &c.telefone);
        if let Some(email) = e.required("email", &c.email) {
            e.check("email", email_check(email));
        }
        if let Some(endereco) = e.required("endereco", &c.endereco) {
            endereco_rules(endereco, &mut e.nested("endereco"));
        }
    })
}

fn endereco_rules(a: &Endereco, e: &mut Dotted<'_>) {
    if let Some(cep) = e.required("cep", &a.cep) {
        e.check("cep", trimmed(cep, CepDigits::parse));
    }
    e.required("logradouro", &a.logradouro);
    e.required("numero", &a.numero);
    e.required("bairro", &a.bairro);
    e.required("cidade", &a.cidade);
    if let Some(uf) = e.required("uf", &a.uf) {
        e.check("uf", trimmed(uf, Uf::parse));
    }
}

pub(crate) fn chat_errors(c: &ChatSettings) -> FieldErrors {
    use limits::{LIMITE_CHATS_MIN, TIMEOUT_INATIVIDADE_MIN};
    with_prefix(Section::Chat, |e| {
        e.required("mensagem_saudacao", &c.mensagem_saudacao);
        e.required("mensagem_fora_expediente", &c.mensagem_fora_expediente);
        e.required("mensagem_encerramento", &c.mensagem_encerramento);
        e.required("mensagem_inatividade", &c.mensagem_inatividade);
        let key = "timeout_inatividade_minutos";
        if let Some(n) = e.required(key, &c.timeout_inatividade_minutos) {
            e.check(key, bounded(*n, TIMEOUT_INATIVIDADE_MIN, None));
        }
        let key = "limite_chats_simultaneos";
        if let Some(n) = e.required(key, &c.limite_chats_simultaneos) {
            e.check(key, bounded(*n, LIMITE_CHATS_MIN, None));
        }
        e.required("horario_funcionamento", &c.horario_funcionamento);
    })
}

/// `email_from` may stay blank: e-mail not configured yet.
pub(crate) fn email_errors(s: &EmailSettings) -> FieldErrors {
    use limits::{SMTP_PORT_MAX, SMTP_PORT_MIN};
    with_prefix(Section::Email, |e| {
        e.required("smtp_host", &s.smtp_host);
        if let Some(port) = e.required("smtp_port", &s.smtp_port) {
            e.check(
                "smtp_port",
                bounded(*port, SMTP_PORT_MIN, Some(SMTP_PORT_MAX)),
            );
        }
        e.required("smtp_usuario", &s.smtp_usuario);
        e.required("smtp_ssl", &s.smtp_ssl);
        if let Some(from) = e.required("email_from", &s.email_from)
            && !from.trim().is_empty()
        {
            e.check("email_from", email_check(from));
        }
    })
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
