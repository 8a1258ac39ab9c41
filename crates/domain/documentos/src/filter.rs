//! `GET /documentos/` filters, search and ordering, parsed from the query string.

use crate::model::{Documento, OrigemDocumento, StatusDocumento, TipoDocumento};
use chrono::NaiveDate;
use kernel::page::search_terms;
use kernel::{FieldErrors, OrderBy, messages};

/// Whose documents a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentoScope {
    /// Every active document.
    Superuser,
    /// Active documents of clientes whose `criado_por` is this user id.
    Owner(i64),
}

impl DocumentoScope {
    pub fn for_user(user_id: i64, is_superuser: bool) -> Self {
        if is_superuser {
            Self::Superuser
        } else {
            Self::Owner(user_id)
        }
    }
}

/// Fields accepted by `?ordering=`.
pub const ORDERING_FIELDS: [&str; 4] = ["nome", "data_upload", "data_vencimento", "status"];
/// Fields `?search=` looks into (case-insensitive substring; every term must match one).
pub const SEARCH_FIELDS: [&str; 3] = ["nome", "descricao", "template_usado"];
pub const DATA_INVALIDA: &str = "Informe uma data válida.";

/// Parsed list query. Text filters (`nome`, `template_usado`) are case-insensitive "contains";
/// date bounds are inclusive; `data_upload_*` compare the upload's São Paulo calendar date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentoFilter {
    pub scope: DocumentoScope,
    pub cliente: Option<i64>,
    pub nome: Option<String>,
    pub tipo_documento: Option<TipoDocumento>,
    pub status: Option<StatusDocumento>,
    pub origem: Option<OrigemDocumento>,
    pub template_usado: Option<String>,
    /// Applied on top of the base scope (which already keeps only active rows).
    pub ativo: Option<bool>,
    pub data_upload_apos: Option<NaiveDate>,
    pub data_upload_antes: Option<NaiveDate>,
    pub data_vencimento_apos: Option<NaiveDate>,
    pub data_vencimento_antes: Option<NaiveDate>,
    /// Lowercased search terms.
    pub search: Vec<String>,
    /// Whitelisted ordering, default `-data_upload`.
    pub ordering: Vec<OrderBy>,
}

/// Parses a filter date: `YYYY-MM-DD` or `DD/MM/YYYY`.
pub fn parse_data_filtro(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

impl DocumentoFilter {
    /// No filters, default ordering.
    pub fn new(scope: DocumentoScope) -> Self {
        Self {
            scope,
            cliente: None,
            nome: None,
            tipo_documento: None,
            status: None,
            origem: None,
            template_usado: None,
            ativo: None,
            data_upload_apos: None,
            data_upload_antes: None,
            data_vencimento_apos: None,
            data_vencimento_antes: None,
            search: Vec::new(),
            ordering: vec![OrderBy::desc("data_upload")],
        }
    }

    /// Parses the query pairs (last value wins; empty values are ignored; unknown parameters
    /// such as `page` are ignored). Bad values → 400 field errors keyed by parameter.
    pub fn from_query(
        pairs: &[(String, String)],
        scope: DocumentoScope,
    ) -> Result<Self, FieldErrors> {
        let mut f = Self::new(scope);
        let mut e = FieldErrors::new();
        let last = |k: &str| {
            pairs
                .iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        let present = |k: &str| last(k).filter(|v| !v.trim().is_empty());

        if let Some(v) = present("cliente") {
            match v.trim().parse::<i64>() {
                Ok(id) => f.cliente = Some(id),
                Err(_) => e.add("cliente", messages::invalid_filter_choice(v)),
            }
        }
        f.nome = present("nome").map(str::to_string);
        f.template_usado = present("template_usado").map(str::to_string);
        f.tipo_documento = escolha(
            &mut e,
            "tipo_documento",
            present("tipo_documento"),
            TipoDocumento::parse,
        );
        f.status = escolha(&mut e, "status", present("status"), StatusDocumento::parse);
        f.origem = escolha(&mut e, "origem", present("origem"), OrigemDocumento::parse);
        if let Some(v) = present("ativo") {
            match parse_bool_filtro(v) {
                Some(b) => f.ativo = Some(b),
                None => e.add("ativo", messages::invalid_filter_choice(v)),
            }
        }
        let mut data = |k: &str| {
            let v = present(k)?;
            let d = parse_data_filtro(v);
            if d.is_none() {
                e.add(k, DATA_INVALIDA);
            }
            d
        };
        f.data_upload_apos = data("data_upload_apos");
        f.data_upload_antes = data("data_upload_antes");
        f.data_vencimento_apos = data("data_vencimento_apos");
        f.data_vencimento_antes = data("data_vencimento_antes");
        f.search = search_terms("search", last("search"), &mut e);
        f.ordering = OrderBy::parse(
            last("ordering"),
            &ORDERING_FIELDS,
            &[OrderBy::desc("data_upload")],
        );
        if e.is_empty() { Ok(f) } else { Err(e) }
    }

    /// Reference semantics of the filters for one row (scope excluded: ownership lives on the
    /// cliente). Repositories implement the same in SQL; in-memory fakes may call this.
    pub fn matches(&self, d: &Documento) -> bool {
        let contains = |hay: Option<&str>, needle: &str| {
            hay.is_some_and(|h| h.to_lowercase().contains(&needle.to_lowercase()))
        };
        let upload = d.data_upload.with_timezone(&kernel::clock::TZ).date_naive();
        d.ativo
            && self.cliente.is_none_or(|c| d.cliente_id == c)
            && self
                .nome
                .as_deref()
                .is_none_or(|n| contains(Some(&d.nome), n))
            && self.tipo_documento.is_none_or(|t| d.tipo_documento == t)
            && self.status.is_none_or(|s| d.status == s)
            && self.origem.is_none_or(|o| d.origem == o)
            && self
                .template_usado
                .as_deref()
                .is_none_or(|t| contains(d.template_usado.as_deref(), t))
            && self.ativo.is_none_or(|a| d.ativo == a)
            && self.data_upload_apos.is_none_or(|x| upload >= x)
            && self.data_upload_antes.is_none_or(|x| upload <= x)
            && self
                .data_vencimento_apos
                .is_none_or(|x| d.data_vencimento.is_some_and(|v| v >= x))
            && self
                .data_vencimento_antes
                .is_none_or(|x| d.data_vencimento.is_some_and(|v| v <= x))
            && self.search.iter().all(|term| {
                contains(Some(&d.nome), term)
                    || contains(d.descricao.as_deref(), term)
                    || contains(d.template_usado.as_deref(), term)
            })
    }
}

fn parse_bool_filtro(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn escolha<T>(
    e: &mut FieldErrors,
    k: &str,
    v: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    let v = v?;
    let parsed = parse(v);
    if parsed.is_none() {
        e.add(k, messages::invalid_filter_choice(v));
    }
    parsed
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
    fn defaults_and_scope() {
        let f = DocumentoFilter::from_query(&[], DocumentoScope::Owner(4)).unwrap();
        assert_eq!(f, DocumentoFilter::new(DocumentoScope::Owner(4)));
        assert_eq!(f.ordering, vec![OrderBy::desc("data_upload")]);
        assert_eq!(DocumentoScope::for_user(4, true), DocumentoScope::Superuser);
        assert_eq!(DocumentoScope::for_user(4, false), DocumentoScope::Owner(4));
    }

    #[test]
    fn parses_every_filter() {
        let f = DocumentoFilter::from_query(
            &q(&[
                ("cliente", "9"),
                ("nome", "Contr"),
                ("tipo_documento", "boleto"),
                ("status", "assinado"),
                ("origem", "gerado"),
                ("template_usado", "padrao"),
                ("ativo", "True"),
                ("data_upload_apos", "01/02/2025"),
                ("data_upload_antes", "2025-03-01"),
                ("data_vencimento_apos", "2025-01-01"),
                ("data_vencimento_antes", ""),
                ("search", "Foo bar"),
                ("ordering", "-status,nome,bogus"),
                ("page", "2"),
            ]),
            DocumentoScope::Superuser,
        )
        .unwrap();
        assert_eq!(f.cliente, Some(9));
        assert_eq!(f.nome.as_deref(), Some("Contr"));
        assert_eq!(f.tipo_documento, Some(TipoDocumento::Boleto));
        assert_eq!(f.status, Some(StatusDocumento::Assinado));
        assert_eq!(f.origem, Some(OrigemDocumento::Gerado));
        assert_eq!(f.ativo, Some(true));
        assert_eq!(f.data_upload_apos, NaiveDate::from_ymd_opt(2025, 2, 1));
        assert_eq!(f.data_upload_antes, NaiveDate::from_ymd_opt(2025, 3, 1));
        assert_eq!(f.data_vencimento_antes, None);
        assert_eq!(f.search, vec!["foo", "bar"]);
        assert_eq!(
            f.ordering,
            vec![OrderBy::desc("status"), OrderBy::asc("nome")]
        );
    }

    #[test]
    fn bad_values_are_400s() {
        let e = DocumentoFilter::from_query(
            &q(&[
                ("cliente", "abc"),
                ("status", "xpto"),
                ("ativo", "talvez"),
                ("data_upload_apos", "2025-13-01"),
                ("data_vencimento_antes", "ontem"),
            ]),
            DocumentoScope::Superuser,
        )
        .unwrap_err()
        .into_json();
        assert_eq!(
            e,
            json!({
                "cliente": [messages::invalid_filter_choice("abc")],
                "status": ["Faça uma escolha válida. xpto não é uma das escolhas disponíveis."],
                "ativo": [messages::invalid_filter_choice("talvez")],
                "data_upload_apos": [DATA_INVALIDA],
                "data_vencimento_antes": [DATA_INVALIDA],
            })
        );
    }

    #[test]
    fn in_memory_semantics() {
        let d = crate::test_util::documento(1);
        let mut f = DocumentoFilter::new(DocumentoScope::Superuser);
        assert!(f.matches(&d));
        f.search = vec!["padr".into(), "contrato".into()];
        assert!(f.matches(&d));
        f.search = vec!["nada".into()];
        assert!(!f.matches(&d));
        f.search.clear();
        f.data_vencimento_apos = NaiveDate::from_ymd_opt(2020, 1, 1);
        assert!(!f.matches(&d), "no due date never matches a due-date bound");
        f.data_vencimento_apos = None;
        f.data_upload_antes = Some(d.data_upload.date_naive());
        assert!(f.matches(&d));
        f.ativo = Some(false);
        assert!(!f.matches(&d));
    }
}
