//! Parsing of the settings bodies (JSON, form or multipart) into the configurações domain's
//! typed commands, with the contract's DRF-style field errors (§4.9): only the keys sent are
//! checked (unknown keys are ignored) and errors nest like the original's serializers
//! (`{"endereco":{"cep":[…]}}`). The request types are in [`super::config`]; a test there
//! checks that their schema states the limits applied here.

use super::config_fields::{
    self as f, Checked, Problem, as_text, boolean, choice, field, integer, nested_object, parsed,
    text,
};
use configuracoes::limits as lim;
use configuracoes::{
    AppearancePatch, CepDigits, ChatPatch, CnpjText, CompanyPatch, ConfigPut, EmailPatch,
    HorarioDia, HorarioFuncionamento, NewEndereco, PlainSecret, REGIMES, RegimeTributario, Section,
    Uf, WhatsappPatch,
};
use kernel::{DomainError, FieldErrors, Result};
use serde_json::{Map, Value};

type Body = Map<String, Value>;

/// The body of a PATCH or PUT: a JSON object (form bodies always are one).
pub fn object(body: &Value) -> Result<&Body> {
    body.as_object()
        .ok_or_else(|| DomainError::field("non_field_errors", f::not_a_dict(body)))
}

fn done<T>(value: T, errors: FieldErrors) -> std::result::Result<T, FieldErrors> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(errors)
    }
}

/// Plain text with an optional length limit; `blank` allows `""`.
fn text_of(max: Option<usize>, blank: bool) -> impl FnOnce(&Value) -> Checked<String> {
    move |v| text(v, max, blank)
}

/// A secret, kept exactly as typed (a number is taken as its text).
fn secret(v: &Value) -> Checked<PlainSecret> {
    match v {
        Value::String(raw) => Ok(PlainSecret::new(raw.clone())),
        other => text(other, None, true).map(PlainSecret::new),
    }
}

/// (No integer key: the body format does not matter.)
fn company(b: &Body, _form: bool) -> std::result::Result<CompanyPatch, FieldErrors> {
    let mut e = FieldErrors::new();
    let e_ = &mut e;
    let p = CompanyPatch {
        razao_social: field(
            b,
            "razao_social",
            e_,
            text_of(Some(lim::RAZAO_SOCIAL), false),
        ),
        nome_fantasia: field(
            b,
            "nome_fantasia",
            e_,
            text_of(Some(lim::NOME_FANTASIA), false),
        ),
        cnpj: field(b, "cnpj", e_, |v| {
            parsed(text(v, None, false), CnpjText::parse)
        }),
        inscricao_estadual: field(
            b,
            "inscricao_estadual",
            e_,
            text_of(Some(lim::INSCRICAO_ESTADUAL), false),
        ),
        inscricao_municipal: field(
            b,
            "inscricao_municipal",
            e_,
            text_of(Some(lim::INSCRICAO_MUNICIPAL), true),
        ),
        regime_tributario: field(b, "regime_tributario", e_, |v| {
            parsed(choice(v, &REGIMES), RegimeTributario::parse)
        }),
        cnae_principal: field(
            b,
            "cnae_principal",
            e_,
            text_of(Some(lim::CNAE_PRINCIPAL), true),
        ),
        telefone: field(b, "telefone", e_, text_of(Some(lim::TELEFONE), false)),
        email: field(b, "email", e_, f::email),
        site: field(b, "site", e_, text_of(Some(lim::SITE), true)),
        endereco: field(b, "endereco", e_, |v| {
            endereco(nested_object(v)?).map_err(Problem::Nested)
        }),
    };
    done(p, e)
}

fn endereco(b: &Body) -> std::result::Result<NewEndereco, FieldErrors> {
    let mut e = FieldErrors::new();
    let e_ = &mut e;
    let a = NewEndereco {
        cep: field(b, "cep", e_, |v| {
            parsed(text(v, None, false), CepDigits::parse)
        }),
        logradouro: field(b, "logradouro", e_, text_of(Some(lim::LOGRADOURO), false)),
        numero: field(b, "numero", e_, text_of(Some(lim::NUMERO), false)),
        complemento: field(b, "complemento", e_, text_of(Some(lim::COMPLEMENTO), true)),
        bairro: field(b, "bairro", e_, text_of(Some(lim::BAIRRO), false)),
        cidade: field(b, "cidade", e_, text_of(Some(lim::CIDADE), false)),
        uf: field(b, "uf", e_, |v| parsed(text(v, None, false), Uf::parse)),
    };
    done(a, e)
}

fn chat(b: &Body, form: bool) -> std::result::Result<ChatPatch, FieldErrors> {
    let mut e = FieldErrors::new();
    let e_ = &mut e;
    let int_from = |min: i64| move |v: &Value| integer(v, min, None, form);
    let p = ChatPatch {
        mensagem_saudacao: field(b, "mensagem_saudacao", e_, text_of(None, false)),
        mensagem_fora_expediente: field(b, "mensagem_fora_expediente", e_, text_of(None, false)),
        mensagem_encerramento: field(b, "mensagem_encerramento", e_, text_of(None, false)),
        mensagem_inatividade: field(b, "mensagem_inatividade", e_, text_of(None, false)),
        timeout_inatividade_minutos: field(
            b,
            "timeout_inatividade_minutos",
            e_,
            int_from(lim::TIMEOUT_INATIVIDADE_MIN),
        ),
        limite_chats_simultaneos: field(
            b,
            "limite_chats_simultaneos",
            e_,
            int_from(lim::LIMITE_CHATS_MIN),
        ),
        horario_funcionamento: field(b, "horario_funcionamento", e_, horario),
    };
    done(p, e)
}

/// `{day → {"inicio": str|null, "fim": str|null}}`; times are not format-checked, other keys
/// of a day are dropped.
fn horario(v: &Value) -> Checked<HorarioFuncionamento> {
    let days = match v {
        Value::Object(days) => days,
        Value::Null => return Err(Problem::msg(kernel::messages::NULL)),
        other => return Err(Problem::msg(f::not_a_dict_of_items(other))),
    };
    let mut out = HorarioFuncionamento::default();
    let mut errors = FieldErrors::new();
    for (name, hours) in days {
        match dia(hours) {
            Ok(d) => {
                out.dias.insert(name.clone(), d);
            }
            Err(p) => p.record(name, &mut errors),
        }
    }
    done(out, errors).map_err(Problem::Nested)
}

fn dia(v: &Value) -> Checked<HorarioDia> {
    let obj = nested_object(v)?;
    let mut errors = FieldErrors::new();
    let hora = |v: &Value| match v {
        Value::Null => Ok(None),
        other => as_text(other).map(Some),
    };
    let d = HorarioDia {
        inicio: field(obj, "inicio", &mut errors, hora),
        fim: field(obj, "fim", &mut errors, hora),
        extra: Map::new(),
    };
    done(d, errors).map_err(Problem::Nested)
}

fn email(b: &Body, form: bool) -> std::result::Result<EmailPatch, FieldErrors> {
    let mut e = FieldErrors::new();
    let e_ = &mut e;
    let p = EmailPatch {
        smtp_host: field(b, "smtp_host", e_, text_of(None, true)),
        smtp_port: field(b, "smtp_port", e_, |v| {
            integer(v, lim::SMTP_PORT_MIN, Some(lim::SMTP_PORT_MAX), form)
        }),
        smtp_usuario: field(b, "smtp_usuario", e_, text_of(None, true)),
        smtp_senha: field(b, "smtp_senha", e_, secret),
        smtp_ssl: field(b, "smtp_ssl", e_, boolean),
        // `""` (not configured) or an address.
        email_from: field(b, "email_from", e_, |v| match text(v, None, true)? {
            s if s.is_empty() => Ok(None),
            _ => f::email(v).map(Some),
        }),
    };
    done(p, e)
}

/// (No integer key: the body format does not matter.)
fn appearance(b: &Body, _form: bool) -> std::result::Result<AppearancePatch, FieldErrors> {
    let mut e = FieldErrors::new();
    let e_ = &mut e;
    let p = AppearancePatch {
        login_logo_url: field(b, "login_logo_url", e_, text_of(None, true)),
        favicon_url: field(b, "favicon_url", e_, text_of(None, true)),
        primary_color: field(b, "primary_color", e_, text_of(None, true)),
        secondary_color: field(b, "secondary_color", e_, text_of(None, true)),
        custom_css: field(b, "custom_css", e_, text_of(None, true)),
    };
    done(p, e)
}

fn whatsapp(b: &Body, form: bool) -> std::result::Result<WhatsappPatch, FieldErrors> {
    let mut e = FieldErrors::new();
    let e_ = &mut e;
    let p = WhatsappPatch {
        enabled: field(b, "enabled", e_, boolean),
        device_name: field(b, "device_name", e_, text_of(None, true)),
        stealth_mode: field(b, "stealth_mode", e_, boolean),
        human_delays: field(b, "human_delays", e_, boolean),
        // Never below the minimum (0), so the absolute value is the value.
        reconnect_backoff_seconds: field(b, "reconnect_backoff_seconds", e_, |v| {
            integer(v, lim::RECONNECT_BACKOFF_MIN, None, form).map(i64::unsigned_abs)
        }),
        session_data: field(b, "session_data", e_, secret),
        proxy_url: field(b, "proxy_url", e_, secret),
    };
    done(p, e)
}

fn validation<T>(r: std::result::Result<T, FieldErrors>) -> Result<T> {
    r.map_err(DomainError::Validation)
}

/// `PATCH /config/company/`. `form`: a form or multipart body (integers as text).
pub fn company_patch(body: &Body, form: bool) -> Result<CompanyPatch> {
    validation(company(body, form))
}

/// `PATCH /config/chat/`.
pub fn chat_patch(body: &Body, form: bool) -> Result<ChatPatch> {
    validation(chat(body, form))
}

/// `PATCH /config/email/`.
pub fn email_patch(body: &Body, form: bool) -> Result<EmailPatch> {
    validation(email(body, form))
}

/// `PATCH /config/appearance/`.
pub fn appearance_patch(body: &Body, form: bool) -> Result<AppearancePatch> {
    validation(appearance(body, form))
}

/// `PATCH /config/whatsapp/`.
pub fn whatsapp_patch(body: &Body, form: bool) -> Result<WhatsappPatch> {
    validation(whatsapp(body, form))
}

/// `PUT /config/`: `company_data`, `chat_settings` and `email_settings` are all required,
/// each an object checked like its PATCH; every section's errors are reported at once.
pub fn config_put(body: &Body, form: bool) -> Result<ConfigPut> {
    let mut errors = FieldErrors::new();
    let company = put_section(body, Section::Company, form, company, &mut errors);
    let chat = put_section(body, Section::Chat, form, chat, &mut errors);
    let email = put_section(body, Section::Email, form, email, &mut errors);
    match (company, chat, email) {
        (Some(company_data), Some(chat_settings), Some(email_settings)) => Ok(ConfigPut {
            company_data,
            chat_settings,
            email_settings,
        }),
        _ => Err(DomainError::Validation(errors)),
    }
}

/// One section of a PUT: required, an object, checked like its PATCH (errors nested under the
/// section's key).
fn put_section<T>(
    body: &Body,
    section: Section,
    form: bool,
    parse: fn(&Body, bool) -> std::result::Result<T, FieldErrors>,
    errors: &mut FieldErrors,
) -> Option<T> {
    let key = section.key();
    if !body.contains_key(key) {
        errors.add(key, kernel::messages::REQUIRED);
        return None;
    }
    field(body, key, errors, |raw| {
        parse(nested_object(raw)?, form).map_err(Problem::Nested)
    })
}

#[cfg(test)]
#[path = "config_form_tests.rs"]
mod tests;
