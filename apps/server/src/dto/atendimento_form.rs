//! Parsing of the atendimento area's bodies and queries (§4.6, §4.7) into the domain's typed
//! commands and filters, with the contract's DRF-style errors. Integer fields take JSON
//! integers only (form bodies: strings parsed strictly).

use crate::http::{ApiError, ApiResult};
use atendimento::commands::{
    AtendimentoChanges, AtendimentoFilter, CHAT_ID_MAX, COR_MAX, DepartamentoChanges,
    DepartamentoFilter, FilaChanges, FilaFilter, NOME_MAX, NUMERO_MAX, Transferir,
};
use atendimento::departamentos::DEPARTAMENTO_REQUIRED;
use atendimento::model::{PRIORIDADES, Prioridade, STATUSES, Status};
use kernel::input::{Input, parse_bool_str};
use kernel::page::search_terms;
use kernel::{DomainError, FieldErrors, OrderBy, messages as m};
use serde_json::Value;

pub(crate) type Query = [(String, String)];

/// Largest value of the model's positive integer columns (Django's `PositiveIntegerField`).
const INT_MAX: i64 = i32::MAX as i64;

/// Filas: `ordering` fields.
pub const FILA_ORDERING: [&str; 2] = ["entrou_na_fila_em", "prioridade"];
/// Atendimentos: `ordering` fields.
pub const ATENDIMENTO_ORDERING: [&str; 3] = ["criado_em", "iniciado_em", "finalizado_em"];

/// The last non-empty value of `key` (django-filter ignores empty parameters).
pub(crate) fn last<'a>(q: &'a Query, key: &str) -> Option<&'a str> {
    q.iter()
        .rev()
        .find(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

fn ordering(q: &Query, allowed: &[&'static str]) -> Vec<OrderBy> {
    let raw = q
        .iter()
        .find(|(k, _)| k == "ordering")
        .map(|(_, v)| v.as_str());
    OrderBy::parse(raw, allowed, &[])
}

/// A choice filter: parsed, or `Faça uma escolha válida. <v> não é uma das escolhas…`.
pub(crate) fn choice<T>(
    q: &Query,
    key: &str,
    parse: fn(&str) -> Option<T>,
    errors: &mut FieldErrors,
) -> Option<T> {
    let v = last(q, key)?;
    let r = parse(v);
    if r.is_none() {
        errors.add(key, m::invalid_filter_choice(v));
    }
    r
}

fn bool_filter(q: &Query, key: &str, errors: &mut FieldErrors) -> Option<bool> {
    let v = last(q, key)?;
    let r = parse_bool_str(v);
    if r.is_none() {
        errors.add(key, m::invalid_filter_choice(v));
    }
    r
}

/// A related-row filter (`departamento`, `atendente`): a non-integer is not one of the
/// choices (django-filter's `ModelChoiceFilter`); an unknown id simply matches nothing.
fn related_filter(q: &Query, key: &str, errors: &mut FieldErrors) -> Option<i64> {
    let v = last(q, key)?;
    match v.trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(
                key,
                "Faça uma escolha válida. Esta escolha não faz parte das escolhas disponíveis.",
            );
            None
        }
    }
}

pub(crate) fn validation(errors: FieldErrors) -> ApiResult<()> {
    errors.into_result().map_err(ApiError::from)
}

/// `Este campo é obrigatório.` for each absent key (a present null is the getters' business,
/// so it is reported once, as `Este campo não pode ser nulo.`).
pub(crate) fn require(input: &Input, keys: &[&str], errors: &mut FieldErrors) {
    for k in keys {
        if !input.has(k) {
            errors.add(k, m::REQUIRED);
        }
    }
}

/// A non-negative integer column, within the database's range.
fn count(input: &Input, key: &str, errors: &mut FieldErrors) -> Option<i64> {
    input.int_range(key, Some(0), Some(INT_MAX), errors)
}

fn count_i32(input: &Input, key: &str, errors: &mut FieldErrors) -> Option<i32> {
    count(input, key, errors).and_then(|n| i32::try_from(n).ok())
}

/// `GET /atendimento/departamentos/`: `ativo`, `search` (no ordering: always by `nome`).
pub fn departamento_filter(q: &Query) -> ApiResult<DepartamentoFilter> {
    let mut e = FieldErrors::new();
    let f = DepartamentoFilter {
        ativo: bool_filter(q, "ativo", &mut e),
        search: search_terms("search", last(q, "search"), &mut e),
    };
    validation(e)?;
    Ok(f)
}

/// A departamento body; `full` (`POST`, `PUT`): `nome` required.
pub fn departamento_changes(input: &Input, full: bool) -> ApiResult<DepartamentoChanges> {
    let mut e = FieldErrors::new();
    if full {
        require(input, &["nome"], &mut e);
    }
    let c = DepartamentoChanges {
        nome: input.text("nome", Some(NOME_MAX), false, &mut e),
        descricao: input.text("descricao", None, true, &mut e),
        cor: input.text("cor", Some(COR_MAX), false, &mut e),
        atendentes: input.int_list("atendentes", &mut e),
        max_atendimentos_simultaneos: count_i32(input, "max_atendimentos_simultaneos", &mut e),
        tempo_resposta_esperado_minutos: count_i32(
            input,
            "tempo_resposta_esperado_minutos",
            &mut e,
        ),
        ativo: input.boolean("ativo", &mut e),
    };
    validation(e)?;
    Ok(c)
}

/// `GET /atendimento/filas/`: `departamento`, `prioridade`, `ordering`.
pub fn fila_filter(q: &Query) -> ApiResult<FilaFilter> {
    let mut e = FieldErrors::new();
    let f = FilaFilter {
        departamento: related_filter(q, "departamento", &mut e),
        prioridade: choice(q, "prioridade", Prioridade::parse, &mut e),
        ordering: ordering(q, &FILA_ORDERING),
    };
    validation(e)?;
    Ok(f)
}

fn prioridade(input: &Input, errors: &mut FieldErrors) -> Option<Prioridade> {
    input
        .choice("prioridade", &PRIORIDADES, errors)
        .and_then(|p| Prioridade::parse(&p))
}

/// A queue-row body; `full` (`POST`, `PUT`): the four identifying fields required.
pub fn fila_changes(input: &Input, full: bool) -> ApiResult<FilaChanges> {
    let mut e = FieldErrors::new();
    if full {
        require(
            input,
            &["departamento", "cliente", "chat_id", "numero_whatsapp"],
            &mut e,
        );
    }
    let c = FilaChanges {
        departamento: input.int("departamento", false, &mut e).flatten(),
        cliente: input.int("cliente", false, &mut e).flatten(),
        chat_id: input.text("chat_id", Some(CHAT_ID_MAX), false, &mut e),
        numero_whatsapp: input.text("numero_whatsapp", Some(NUMERO_MAX), false, &mut e),
        mensagem_inicial: input.text("mensagem_inicial", None, true, &mut e),
        prioridade: prioridade(input, &mut e),
    };
    validation(e)?;
    Ok(c)
}

/// `GET /atendimento/atendimentos/`: `status`, `departamento`, `atendente`, `prioridade`,
/// `search`, `ordering`.
pub fn atendimento_filter(q: &Query) -> ApiResult<AtendimentoFilter> {
    let mut e = FieldErrors::new();
    let f = AtendimentoFilter {
        status: choice(q, "status", Status::parse, &mut e),
        departamento: related_filter(q, "departamento", &mut e),
        atendente: related_filter(q, "atendente", &mut e),
        prioridade: choice(q, "prioridade", Prioridade::parse, &mut e),
        search: search_terms("search", last(q, "search"), &mut e),
        ordering: ordering(q, &ATENDIMENTO_ORDERING),
        scope: None,
    };
    validation(e)?;
    Ok(f)
}

/// An atendimento body; `full` (`POST`, `PUT`): the four identifying fields required.
pub fn atendimento_changes(input: &Input, full: bool) -> ApiResult<AtendimentoChanges> {
    let mut e = FieldErrors::new();
    if full {
        require(
            input,
            &["departamento", "cliente", "chat_id", "numero_whatsapp"],
            &mut e,
        );
    }
    let avaliacao = match input.int("avaliacao", true, &mut e) {
        Some(Some(n)) if n < 1 => {
            e.add("avaliacao", m::min_value(1));
            None
        }
        Some(Some(n)) if n > 5 => {
            e.add("avaliacao", m::max_value(5));
            None
        }
        Some(n) => Some(n.and_then(|n| i32::try_from(n).ok())),
        None => None,
    };
    let c = AtendimentoChanges {
        departamento: input.int("departamento", false, &mut e).flatten(),
        cliente: input.int("cliente", false, &mut e).flatten(),
        atendente: input.int("atendente", true, &mut e),
        chat_id: input.text("chat_id", Some(CHAT_ID_MAX), false, &mut e),
        numero_whatsapp: input.text("numero_whatsapp", Some(NUMERO_MAX), false, &mut e),
        status: input
            .choice("status", &STATUSES, &mut e)
            .and_then(|s| Status::parse(&s)),
        prioridade: prioridade(input, &mut e),
        total_mensagens_cliente: count(input, "total_mensagens_cliente", &mut e),
        total_mensagens_atendente: count(input, "total_mensagens_atendente", &mut e),
        avaliacao,
        comentario_avaliacao: input.text("comentario_avaliacao", None, true, &mut e),
        observacoes: input.text("observacoes", None, true, &mut e),
    };
    validation(e)?;
    Ok(c)
}

/// A 400 `{"error": …}`.
pub(crate) fn error(msg: impl Into<String>) -> ApiError {
    DomainError::BadRequest(msg.into()).into()
}

/// `POST /filas/distribuir/`: `departamento_id` (absent, null or blank: 400
/// `{"error":"departamento_id é obrigatório"}`; not an integer: the field error).
pub fn distribuir(input: &Input) -> ApiResult<i64> {
    match input.raw("departamento_id") {
        None | Some(Value::Null) => return Err(error(DEPARTAMENTO_REQUIRED)),
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err(error(DEPARTAMENTO_REQUIRED));
        }
        _ => {}
    }
    let mut e = FieldErrors::new();
    let id = input.int("departamento_id", false, &mut e).flatten();
    validation(e)?;
    id.ok_or_else(|| error(DEPARTAMENTO_REQUIRED))
}

/// An optional free text (`observacoes`, `comentario`): null is absent.
pub(crate) fn optional_text(input: &Input, key: &str, errors: &mut FieldErrors) -> Option<String> {
    input.string(key, None, true, true, errors).flatten()
}

/// `finalizar`: `{"observacoes"?}`.
pub fn finalizar(input: &Input) -> ApiResult<Option<String>> {
    let mut e = FieldErrors::new();
    let o = optional_text(input, "observacoes", &mut e);
    validation(e)?;
    Ok(o)
}

/// `avaliar`: `avaliacao` must be an integer 1..5 — a JSON integer (`"5"`, `true` or `1.5`
/// are refused), or in a form body a string that parses strictly as one.
pub fn avaliar(input: &Input) -> ApiResult<(i64, Option<String>)> {
    let bad = || error(atendimento::atendimentos::AVALIACAO_INVALIDA);
    let nota = match input.raw("avaliacao") {
        Some(Value::Number(n)) => n.as_i64().ok_or_else(bad)?,
        Some(Value::String(s)) if input.form => s.trim().parse::<i64>().map_err(|_| bad())?,
        _ => return Err(bad()),
    };
    if !(1..=5).contains(&nota) {
        return Err(bad());
    }
    let mut e = FieldErrors::new();
    let comentario = optional_text(input, "comentario", &mut e);
    validation(e)?;
    Ok((nota, comentario))
}

/// Both transfer bodies: `atendente_destino_id` and `motivo` required,
/// `departamento_destino_id` optional.
pub fn transferir(input: &Input) -> ApiResult<Transferir> {
    let mut e = FieldErrors::new();
    require(input, &["atendente_destino_id", "motivo"], &mut e);
    let destino = input.int("atendente_destino_id", false, &mut e).flatten();
    let departamento = input.int("departamento_destino_id", true, &mut e).flatten();
    let motivo = input.text("motivo", None, false, &mut e);
    validation(e)?;
    match (destino, motivo) {
        (Some(atendente_destino_id), Some(motivo)) => Ok(Transferir {
            atendente_destino_id,
            departamento_destino_id: departamento,
            motivo,
        }),
        _ => Err(DomainError::Validation(FieldErrors::single("motivo", m::REQUIRED)).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(v: Value) -> Input {
        match v {
            Value::Object(map) => Input::json(map),
            _ => Input::default(),
        }
    }

    fn errors(r: ApiResult<impl std::fmt::Debug>) -> Value {
        match r {
            Err(ApiError::Domain(DomainError::Validation(fe))) => fe.into_json(),
            Err(ApiError::Domain(DomainError::BadRequest(m))) => json!({"error": m}),
            other => panic!("not a 400: {other:?}"),
        }
    }

    #[test]
    fn required_fields_are_reported_once_each() {
        assert_eq!(
            errors(fila_changes(&input(json!({"chat_id": null})), true)),
            json!({
                "departamento": [m::REQUIRED], "cliente": [m::REQUIRED],
                "numero_whatsapp": [m::REQUIRED], "chat_id": [m::NULL],
            })
        );
        assert!(fila_changes(&input(json!({})), false).is_ok());
        assert_eq!(
            errors(departamento_changes(
                &input(json!({"descricao": "x"})),
                true
            )),
            json!({"nome": [m::REQUIRED]})
        );
    }

    #[test]
    fn integers_are_json_integers_only() {
        for bad in [json!("1"), json!(1.5), json!(true)] {
            assert_eq!(
                errors(atendimento_changes(&input(json!({"cliente": bad})), false)),
                json!({"cliente": [m::INTEGER]})
            );
        }
        assert_eq!(
            errors(departamento_changes(
                &input(json!({"max_atendimentos_simultaneos": -1})),
                false
            )),
            json!({"max_atendimentos_simultaneos": [m::min_value(0)]})
        );
    }

    #[test]
    fn avaliar_takes_an_integer_from_one_to_five() {
        for bad in [
            json!("5"),
            json!(true),
            json!(1.5),
            json!(0),
            json!(6),
            json!(null),
        ] {
            assert_eq!(
                errors(avaliar(&input(json!({"avaliacao": bad})))),
                json!({"error": "Avaliação deve ser de 1 a 5"})
            );
        }
        assert_eq!(
            avaliar(&input(json!({"avaliacao": 5, "comentario": "ok"}))).unwrap(),
            (5, Some("ok".into()))
        );
        let mut form = input(json!({"avaliacao": "4"}));
        form.form = true;
        assert_eq!(avaliar(&form).unwrap(), (4, None));
    }

    #[test]
    fn distribuir_needs_a_department() {
        for body in [
            json!({}),
            json!({"departamento_id": null}),
            json!({"departamento_id": ""}),
        ] {
            assert_eq!(
                errors(distribuir(&input(body))),
                json!({"error": "departamento_id é obrigatório"})
            );
        }
        assert_eq!(
            errors(distribuir(&input(json!({"departamento_id": "x"})))),
            json!({"departamento_id": [m::INTEGER]})
        );
        assert_eq!(
            distribuir(&input(json!({"departamento_id": 3}))).unwrap(),
            3
        );
    }

    #[test]
    fn filters_refuse_unknown_choices() {
        let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            errors(atendimento_filter(&q(&[
                ("status", "x"),
                ("prioridade", "")
            ]))),
            json!({"status": [m::invalid_filter_choice("x")]})
        );
        assert_eq!(
            errors(departamento_filter(&q(&[("ativo", "talvez")]))),
            json!({"ativo": [m::invalid_filter_choice("talvez")]})
        );
        let f = fila_filter(&q(&[("ordering", "-prioridade,nope")])).unwrap();
        assert_eq!(f.ordering, vec![OrderBy::desc("prioridade")]);
    }

    #[test]
    fn transfer_bodies() {
        assert_eq!(
            errors(transferir(&input(json!({})))),
            json!({"atendente_destino_id": [m::REQUIRED], "motivo": [m::REQUIRED]})
        );
        assert_eq!(
            errors(transferir(&input(
                json!({"atendente_destino_id": 2, "motivo": " "})
            ))),
            json!({"motivo": [m::BLANK]})
        );
        let t = transferir(&input(
            json!({"atendente_destino_id": 2, "motivo": "m", "departamento_destino_id": null}),
        ))
        .unwrap();
        assert_eq!(
            (t.atendente_destino_id, t.departamento_destino_id),
            (2, None)
        );
    }
}
