//! Per-section field rules (§4.9): the check of the keys a request sends, and the check of the
//! whole section after merging (required keys and the rules that must hold on stored data).

use crate::fields::{self, Checked, Problem};
use crate::model::Section;
use kernel::values::{CNPJ_INVALID_MSG, Cnpj, is_valid_uf};
use kernel::{FieldErrors, messages as m};
use serde_json::{Map, Value};

pub const UF_INVALID_MSG: &str = "UF inválida";

/// The kind of value a key holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Text {
        max: Option<usize>,
        blank: bool,
    },
    Email,
    /// `""` (not configured) or a valid e-mail address.
    EmailOrBlank,
    Choice(&'static [&'static str]),
    Int {
        min: i64,
        max: Option<i64>,
    },
    Bool,
    Cnpj,
    /// `^\d{8}$`.
    Cep,
    Uf,
    Endereco,
    Horario,
}

/// One key of a section.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub name: &'static str,
    pub kind: Kind,
    /// Must be present in the merged section.
    pub required: bool,
    /// Stored encrypted, never returned in clear.
    pub secret: bool,
}

const fn f(name: &'static str, kind: Kind, required: bool) -> Field {
    Field {
        name,
        kind,
        required,
        secret: false,
    }
}

const fn secret(name: &'static str) -> Field {
    Field {
        name,
        kind: TEXT_BLANK,
        required: false,
        secret: true,
    }
}

const fn text(max: usize, blank: bool) -> Kind {
    Kind::Text {
        max: Some(max),
        blank,
    }
}

const TEXT: Kind = Kind::Text {
    max: None,
    blank: false,
};
const TEXT_BLANK: Kind = Kind::Text {
    max: None,
    blank: true,
};

pub(crate) const REGIMES: &[&str] = &["1", "2", "3"];

const COMPANY: &[Field] = &[
    f("razao_social", text(100, false), true),
    f("nome_fantasia", text(100, false), true),
    f("cnpj", Kind::Cnpj, true),
    f("inscricao_estadual", text(20, false), true),
    f("inscricao_municipal", text(20, true), false),
    f("regime_tributario", Kind::Choice(REGIMES), true),
    f("cnae_principal", text(10, true), false),
    f("telefone", text(20, false), true),
    f("email", Kind::Email, true),
    f("site", text(100, true), false),
    f("endereco", Kind::Endereco, true),
];

const ENDERECO: &[Field] = &[
    f("cep", Kind::Cep, true),
    f("logradouro", text(100, false), true),
    f("numero", text(10, false), true),
    f("complemento", text(50, true), false),
    f("bairro", text(50, false), true),
    f("cidade", text(50, false), true),
    f("uf", Kind::Uf, true),
];

const CHAT: &[Field] = &[
    f("mensagem_saudacao", TEXT, true),
    f("mensagem_fora_expediente", TEXT, true),
    f("mensagem_encerramento", TEXT, true),
    f("mensagem_inatividade", TEXT, true),
    f(
        "timeout_inatividade_minutos",
        Kind::Int { min: 1, max: None },
        true,
    ),
    f(
        "limite_chats_simultaneos",
        Kind::Int { min: 1, max: None },
        true,
    ),
    f("horario_funcionamento", Kind::Horario, true),
];

const EMAIL: &[Field] = &[
    f("smtp_host", TEXT_BLANK, true),
    f(
        "smtp_port",
        Kind::Int {
            min: 1,
            max: Some(65535),
        },
        true,
    ),
    f("smtp_usuario", TEXT_BLANK, true),
    secret("smtp_senha"),
    f("smtp_ssl", Kind::Bool, true),
    f("email_from", Kind::EmailOrBlank, true),
];

const APPEARANCE: &[Field] = &[
    f("login_logo_url", TEXT_BLANK, false),
    f("favicon_url", TEXT_BLANK, false),
    f("primary_color", TEXT_BLANK, false),
    f("secondary_color", TEXT_BLANK, false),
    f("custom_css", TEXT_BLANK, false),
];

const WHATSAPP: &[Field] = &[
    f("enabled", Kind::Bool, false),
    f("device_name", TEXT_BLANK, false),
    f("stealth_mode", Kind::Bool, false),
    f("human_delays", Kind::Bool, false),
    f(
        "reconnect_backoff_seconds",
        Kind::Int { min: 0, max: None },
        false,
    ),
    secret("session_data"),
    secret("proxy_url"),
];

pub(crate) fn fields(section: Section) -> &'static [Field] {
    match section {
        Section::Company => COMPANY,
        Section::Chat => CHAT,
        Section::Email => EMAIL,
        Section::Appearance => APPEARANCE,
        Section::Whatsapp => WHATSAPP,
    }
}

/// The secret keys of a section.
pub(crate) fn secret_keys(section: Section) -> impl Iterator<Item = &'static str> {
    fields(section).iter().filter(|f| f.secret).map(|f| f.name)
}

/// Checks the keys present in `body` (unknown keys are ignored) and returns them normalised.
/// Errors nest like the original's serializers (`{"endereco":{"cep":[…]}}`).
pub(crate) fn validate_sent(
    specs: &[Field],
    body: &Map<String, Value>,
    form: bool,
) -> Result<Map<String, Value>, FieldErrors> {
    let mut out = Map::new();
    let mut errors = FieldErrors::new();
    for spec in specs {
        let Some(v) = body.get(spec.name) else {
            continue;
        };
        let checked = match v {
            // Secrets are kept exactly as typed (no trimming).
            Value::String(raw) if spec.secret => Ok(Value::String(raw.clone())),
            _ => check_sent(spec.kind, v, form),
        };
        match checked {
            Ok(value) => {
                out.insert(spec.name.to_string(), value);
            }
            Err(p) => p.record(spec.name, &mut errors),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn check_sent(kind: Kind, v: &Value, form: bool) -> Checked {
    Ok(match kind {
        Kind::Text { max, blank } => Value::String(fields::text(v, max, blank)?),
        Kind::Email => Value::String(fields::email(v)?),
        Kind::EmailOrBlank => match fields::text(v, None, true)? {
            s if s.is_empty() => Value::String(s),
            _ => Value::String(fields::email(v)?),
        },
        Kind::Choice(choices) => Value::String(fields::choice(v, choices)?),
        Kind::Int { min, max } => Value::from(fields::integer(v, min, max, form)?),
        Kind::Bool => Value::Bool(fields::boolean(v)?),
        Kind::Cnpj => {
            let s = fields::text(v, None, false)?;
            check_cnpj(&s)?;
            Value::String(s)
        }
        Kind::Cep => {
            let s = fields::text(v, None, false)?;
            check_cep(&s)?;
            Value::String(s)
        }
        Kind::Uf => {
            let s = fields::text(v, None, false)?;
            check_uf(&s)?;
            Value::String(s)
        }
        Kind::Endereco => {
            let obj = fields::nested_object(v)?;
            Value::Object(validate_sent(ENDERECO, obj, form).map_err(Problem::Nested)?)
        }
        Kind::Horario => Value::Object(check_horario(v)?),
    })
}

fn check_cnpj(s: &str) -> Checked<()> {
    Cnpj::parse_loose(s)
        .map(|_| ())
        .map_err(|_| Problem::msg(CNPJ_INVALID_MSG))
}

fn check_cep(s: &str) -> Checked<()> {
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Problem::msg(m::PATTERN))
    }
}

fn check_uf(s: &str) -> Checked<()> {
    if is_valid_uf(s) {
        Ok(())
    } else {
        Err(Problem::msg(UF_INVALID_MSG))
    }
}

/// `{day → {"inicio": str|null, "fim": str|null}}`; times are not format-checked.
fn check_horario(v: &Value) -> Checked<Map<String, Value>> {
    let days = match v {
        Value::Object(days) => days,
        Value::Null => return Err(Problem::msg(m::NULL)),
        other => return Err(Problem::msg(fields::not_a_dict_of_items(other))),
    };
    let mut out = Map::new();
    let mut errors = FieldErrors::new();
    for (day, hours) in days {
        match check_day(hours) {
            Ok(h) => {
                out.insert(day.clone(), Value::Object(h));
            }
            Err(p) => p.record(day, &mut errors),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Problem::Nested(errors))
    }
}

fn check_day(v: &Value) -> Checked<Map<String, Value>> {
    let obj = fields::nested_object(v)?;
    let mut out = Map::new();
    let mut errors = FieldErrors::new();
    for key in ["inicio", "fim"] {
        match obj.get(key) {
            None => {}
            Some(Value::Null) => {
                out.insert(key.to_string(), Value::Null);
            }
            Some(other) => match fields::as_text(other) {
                Ok(s) => {
                    out.insert(key.to_string(), Value::String(s));
                }
                Err(p) => p.record(key, &mut errors),
            },
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(Problem::Nested(errors))
    }
}

/// Checks a whole (merged) section: required keys present and the rules that must hold on the
/// stored data. Errors are keyed by dotted path under `prefix` (`company_data.endereco.cep`).
pub(crate) fn validate_merged(
    specs: &[Field],
    section: &Map<String, Value>,
    prefix: &str,
) -> FieldErrors {
    let mut nested = FieldErrors::new();
    merged_into(specs, section, &mut nested);
    let mut flat = FieldErrors::new();
    flatten(prefix, &nested.into_json(), &mut flat);
    flat
}

fn merged_into(specs: &[Field], section: &Map<String, Value>, errors: &mut FieldErrors) {
    for spec in specs {
        match section.get(spec.name) {
            None if spec.required => errors.add(spec.name, m::REQUIRED),
            None => {}
            Some(v) => {
                if let Err(p) = check_merged(spec.kind, v) {
                    p.record(spec.name, errors);
                }
            }
        }
    }
}

/// On merged data, text keys are only type-checked (the defaults are blank); identifiers,
/// e-mails and choices must be valid (`email_from` may stay blank: e-mail not configured).
fn check_merged(kind: Kind, v: &Value) -> Checked<()> {
    match kind {
        Kind::Text { .. } => fields::as_text(v).map(|_| ()),
        Kind::Email => {
            let s = fields::as_text(v)?;
            if kernel::values::is_valid_email(&s) {
                Ok(())
            } else {
                Err(Problem::msg(m::EMAIL))
            }
        }
        Kind::EmailOrBlank => {
            let s = fields::as_text(v)?;
            if s.is_empty() || kernel::values::is_valid_email(&s) {
                Ok(())
            } else {
                Err(Problem::msg(m::EMAIL))
            }
        }
        Kind::Choice(choices) => fields::choice(v, choices).map(|_| ()),
        Kind::Int { min, max } => fields::integer(v, min, max, false).map(|_| ()),
        Kind::Bool => match v {
            Value::Bool(_) => Ok(()),
            _ => Err(Problem::msg(m::BOOLEAN)),
        },
        Kind::Cnpj => check_cnpj(&fields::as_text(v)?),
        Kind::Cep => check_cep(&fields::as_text(v)?),
        Kind::Uf => check_uf(&fields::as_text(v)?),
        Kind::Endereco => {
            let obj = fields::nested_object(v)?;
            let mut errors = FieldErrors::new();
            merged_into(ENDERECO, obj, &mut errors);
            if errors.is_empty() {
                Ok(())
            } else {
                Err(Problem::Nested(errors))
            }
        }
        Kind::Horario => check_horario(v).map(|_| ()),
    }
}

/// Turns nested errors into dotted keys: `{"endereco":{"cep":[m]}}` → `{"p.endereco.cep":[m]}`.
fn flatten(prefix: &str, v: &Value, out: &mut FieldErrors) {
    match v {
        Value::Object(map) => {
            for (k, inner) in map {
                flatten(&format!("{prefix}.{k}"), inner, out);
            }
        }
        Value::Array(msgs) => {
            for msg in msgs {
                match msg {
                    Value::String(s) => out.add(prefix, s.clone()),
                    other => out.add(prefix, other.to_string()),
                }
            }
        }
        Value::String(s) => out.add(prefix, s.clone()),
        other => out.add(prefix, other.to_string()),
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
