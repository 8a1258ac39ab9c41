//! Query-string filters of the cliente and contato lists (contract §4.2, §4.3).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use kernel::clock::TZ;
use kernel::page::search_terms;
use kernel::{FieldErrors, OrderBy, Result, messages as m};

pub const DATETIME_MSG: &str = "Informe uma data/hora válida.";

/// Text columns that support `icontains` filters on clientes.
pub const CLIENTE_ICONTAINS: [&str; 7] = [
    "razao_social",
    "nome_fantasia",
    "cnpj",
    "email_principal",
    "telefone_principal",
    "cidade",
    "ramo_atividade",
];
pub const CLIENTE_ORDERING: [&str; 4] = ["razao_social", "criado_em", "atualizado_em", "status"];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClienteFilter {
    /// Row scope: only clientes created by this agent (`None` = all).
    pub owner: Option<i64>,
    /// `?search=` terms: each must match one of razão, fantasia, cnpj, email.
    pub search: Vec<String>,
    /// `?q=` terms of `/clientes/search/` (same fields as `search`).
    pub q: Vec<String>,
    pub status: Option<String>,
    pub regime_tributario: Option<String>,
    pub estado: Option<String>,
    /// (column, lowercase needle) pairs.
    pub icontains: Vec<(&'static str, String)>,
    pub criado_apos: Option<DateTime<Utc>>,
    pub criado_antes: Option<DateTime<Utc>>,
    pub atualizado_apos: Option<DateTime<Utc>>,
    pub atualizado_antes: Option<DateTime<Utc>>,
    /// `busca_geral`: one needle over razão, fantasia, cnpj, email, telefone, ramo, responsável.
    pub busca_geral: Option<String>,
}

impl ClienteFilter {
    /// Parses the list's query parameters. Bad choices and datetimes → 400.
    pub fn from_query(query: &[(String, String)], owner: Option<i64>) -> Result<Self> {
        let mut f = ClienteFilter {
            owner,
            ..Default::default()
        };
        let mut errors = FieldErrors::new();
        for (k, v) in query {
            let k = k.as_str();
            match k {
                // The last `search`/`q` is the one used (below), as DRF reads them.
                "search" | "q" => {}
                "status" if !v.is_empty() => {
                    f.status = choice(k, v, &crate::cliente::STATUS, &mut errors)
                }
                "regime_tributario" if !v.is_empty() => {
                    f.regime_tributario = choice(k, v, &crate::cliente::REGIMES, &mut errors)
                }
                "estado" if !v.is_empty() => f.estado = Some(v.to_lowercase()),
                "busca_geral" if !v.trim().is_empty() => {
                    f.busca_geral = Some(v.trim().to_lowercase())
                }
                "criado_apos" | "criado_antes" | "atualizado_apos" | "atualizado_antes"
                    if !v.is_empty() =>
                {
                    let dt = parse_datetime(v);
                    if dt.is_none() {
                        errors.add(k, DATETIME_MSG);
                    }
                    match k {
                        "criado_apos" => f.criado_apos = dt,
                        "criado_antes" => f.criado_antes = dt,
                        "atualizado_apos" => f.atualizado_apos = dt,
                        _ => f.atualizado_antes = dt,
                    }
                }
                _ => {
                    if let Some(col) = CLIENTE_ICONTAINS.iter().find(|c| **c == k)
                        && !v.is_empty()
                    {
                        set_icontains(&mut f.icontains, col, v);
                    }
                }
            }
        }
        f.search = search_terms("search", last(query, "search"), &mut errors);
        f.q = search_terms("q", last(query, "q"), &mut errors);
        errors.into_result()?;
        Ok(f)
    }
}

/// The last value of `key` in the query.
pub fn last<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Sets the `icontains` needle of `col`; a repeated parameter replaces the earlier one (the
/// last value is used, as django-filter does), so repeats never pile up conditions.
pub fn set_icontains(filters: &mut Vec<(&'static str, String)>, col: &'static str, v: &str) {
    let needle = v.to_lowercase();
    match filters.iter_mut().find(|(c, _)| *c == col) {
        Some(entry) => entry.1 = needle,
        None => filters.push((col, needle)),
    }
}

/// Ordering of the cliente list (default `-criado_em`).
pub fn cliente_ordering(query: &[(String, String)]) -> Vec<OrderBy> {
    let raw = query
        .iter()
        .find(|(k, _)| k == "ordering")
        .map(|(_, v)| v.as_str());
    OrderBy::parse(raw, &CLIENTE_ORDERING, &[OrderBy::desc("criado_em")])
}

pub(crate) fn choice(
    key: &str,
    v: &str,
    choices: &[&str],
    errors: &mut FieldErrors,
) -> Option<String> {
    if choices.contains(&v) {
        Some(v.to_string())
    } else {
        errors.add(key, m::invalid_filter_choice(v));
        None
    }
}

/// Datetime filter values: ISO-8601 (with or without offset; naive = São Paulo time), a bare
/// date, or `DD/MM/YYYY HH:MM`.
pub fn parse_datetime(v: &str) -> Option<DateTime<Utc>> {
    let v = v.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        return Some(dt.with_timezone(&Utc));
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
    .or_else(|| {
        ["%Y-%m-%d", "%d/%m/%Y"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(v, f).ok())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })?;
    TZ.from_local_datetime(&naive)
        .earliest()
        .map(|d| d.with_timezone(&Utc))
}

/// Parses an integer id filter; bad values → `{"<key>":["Um número inteiro válido é exigido."]}`.
pub fn id_param(key: &str, v: &str, errors: &mut FieldErrors) -> Option<i64> {
    match v.trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(key, m::INTEGER);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn parses_filters() {
        let f = ClienteFilter::from_query(
            &q(&[
                ("search", "Acme  SA"),
                ("status", "ativo"),
                ("estado", "SP"),
                ("cidade", "Paulo"),
                ("criado_apos", "2025-01-01T00:00:00Z"),
                ("bogus", "1"),
                ("busca_geral", " X "),
            ]),
            Some(3),
        )
        .unwrap();
        assert_eq!(f.search, vec!["acme", "sa"]);
        assert_eq!(f.status.as_deref(), Some("ativo"));
        assert_eq!(f.estado.as_deref(), Some("sp"));
        assert_eq!(f.icontains, vec![("cidade", "paulo".to_string())]);
        assert_eq!(f.owner, Some(3));
        assert_eq!(f.busca_geral.as_deref(), Some("x"));
        assert!(f.criado_apos.is_some());
    }

    #[test]
    fn rejects_bad_values() {
        match ClienteFilter::from_query(&q(&[("status", "x"), ("criado_antes", "ontem")]), None)
            .unwrap_err()
        {
            kernel::DomainError::Validation(e) => assert_eq!(
                e.to_json(),
                json!({"status":["Faça uma escolha válida. x não é uma das escolhas disponíveis."],
                       "criado_antes":[DATETIME_MSG]})
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn datetime_formats() {
        assert!(parse_datetime("2025-10-12T10:18:45.481809-03:00").is_some());
        assert_eq!(
            parse_datetime("12/10/2025 10:00").unwrap(),
            parse_datetime("2025-10-12T13:00:00Z").unwrap()
        );
        assert!(parse_datetime("2025-10-12").is_some());
        assert!(parse_datetime("amanhã").is_none());
    }

    #[test]
    fn ordering_default() {
        assert_eq!(cliente_ordering(&[]), vec![OrderBy::desc("criado_em")]);
        assert_eq!(
            cliente_ordering(&q(&[("ordering", "razao_social")])),
            vec![OrderBy::asc("razao_social")]
        );
    }
}
