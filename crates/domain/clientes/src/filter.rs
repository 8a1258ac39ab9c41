//! Query-string filters of the cliente and contato lists (contract §4.2, §4.3).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use kernel::clock::TZ;
use kernel::{FieldErrors, OrderBy, messages as m};

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

/// Ordering of the cliente lists when the query asks for none.
pub fn default_cliente_ordering() -> Vec<OrderBy> {
    vec![OrderBy::desc("criado_em")]
}

pub fn choice(key: &str, v: &str, choices: &[&str], errors: &mut FieldErrors) -> Option<String> {
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
}
