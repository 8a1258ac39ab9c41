//! `ClienteFilter` and ordering translated to SQL conditions on the `clientes` table.

use crate::entities::cliente::{Column as C, Entity};
use crate::support::{contains, db_err, icontains, never};
use clientes::filter::ClienteFilter;
use kernel::{DomainError, Result};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, Func, Query, QueryStatementBuilder, SimpleExpr};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait};

/// Columns searched by `busca_geral`.
const BUSCA_GERAL: [C; 7] = [
    C::RazaoSocial,
    C::NomeFantasia,
    C::Cnpj,
    C::EmailPrincipal,
    C::TelefonePrincipal,
    C::RamoAtividade,
    C::ResponsavelLegalNome,
];

/// The column an `icontains` filter names (the domain whitelists them).
fn icontains_column(name: &str) -> Option<C> {
    Some(match name {
        "razao_social" => C::RazaoSocial,
        "nome_fantasia" => C::NomeFantasia,
        "cnpj" => C::Cnpj,
        "email_principal" => C::EmailPrincipal,
        "telefone_principal" => C::TelefonePrincipal,
        "cidade" => C::Cidade,
        "ramo_atividade" => C::RamoAtividade,
        _ => return None,
    })
}

/// The column an ordering field names.
pub(crate) fn order_column(field: &str) -> Option<C> {
    Some(match field {
        "criado_em" => C::CriadoEm,
        "atualizado_em" => C::AtualizadoEm,
        "razao_social" => C::RazaoSocial,
        "status" => C::Status,
        _ => return None,
    })
}

/// PostgreSQL: the number of clientes, summed from `cliente_row_counts` (migration 000013).
pub(crate) const COUNTER_SUM: &str = "(SELECT COALESCE(SUM(n), 0)::bigint FROM cliente_row_counts)";

/// PostgreSQL: `COUNT(*)` of the clientes `cond` selects, as a scalar subquery. Unfiltered,
/// the sum of `cliente_row_counts` (kept exact by migration 000013's triggers), so the plain
/// list never counts the whole table.
pub(crate) fn count_expr(cond: &Condition) -> SimpleExpr {
    if cond.is_empty() {
        return Expr::cust(COUNTER_SUM);
    }
    let counted = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from(Entity)
        .cond_where(cond.clone())
        .to_owned();
    SimpleExpr::SubQuery(None, Box::new(counted.into_sub_query_statement()))
}

/// The number of clientes `cond` selects: on PostgreSQL through [`count_expr`], elsewhere a
/// plain `COUNT(*)`.
pub(crate) async fn count<D: ConnectionTrait>(db: &D, cond: Condition) -> Result<u64> {
    if db.get_database_backend() != DbBackend::Postgres {
        return crate::support::count(db, crate::support::filtered(Entity::find(), cond)).await;
    }
    let q = Query::select().expr(count_expr(&cond)).to_owned();
    let row = db
        .query_one_raw(DbBackend::Postgres.build(&q))
        .await
        .map_err(db_err)?
        .ok_or_else(|| DomainError::internal("empty cliente count"))?;
    let n: i64 = row.try_get_by_index(0).map_err(db_err)?;
    Ok(Ord::max(n, 0) as u64)
}

/// Row scope only: clientes created by `owner` (all when `None`).
pub(crate) fn scope(owner: Option<i64>) -> Condition {
    let mut c = Condition::all();
    if let Some(owner) = owner {
        c = c.add(C::CriadoPor.eq(owner));
    }
    c
}

/// Shortest term the trigram index can answer (shorter ones are matched with `LIKE`).
const TRIGRAM: usize = 3;

/// `term` as an FTS5 string literal (a phrase: its trigrams contiguous, i.e. a substring).
fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// The `?search=`/`?q=` terms: every term must occur in `search_text`. With `fts` (SQLite),
/// terms of three or more characters go through the `clientes_fts` trigram index in one
/// `MATCH` (implicit AND of phrases); the rest, and every term on PostgreSQL, use `LIKE`.
///
/// Terms are folded as `search_text` is ([`kernel::text::search_fold`]): case and accents
/// are ignored on both databases.
fn search(mut c: Condition, terms: &[&String], fts: bool) -> Condition {
    let (indexed, scanned): (Vec<String>, Vec<String>) = terms
        .iter()
        .map(|t| kernel::text::search_fold(t))
        .partition(|t| fts && t.chars().count() >= TRIGRAM);
    if !indexed.is_empty() {
        let query = indexed
            .iter()
            .map(|t| fts_phrase(t))
            .collect::<Vec<_>>()
            .join(" ");
        c = c.add(Expr::cust_with_values(
            "\"clientes\".\"id\" IN (SELECT rowid FROM clientes_fts WHERE clientes_fts MATCH ?)",
            [query],
        ));
    }
    for term in &scanned {
        c = c.add(contains((Entity, C::SearchText), term));
    }
    c
}

/// Every filter of the cliente list as one condition (on SQLite the search uses the
/// `clientes_fts` trigram index).
pub(crate) fn condition(f: &ClienteFilter, backend: DbBackend) -> Result<Condition> {
    let terms: Vec<&String> = f.search.iter().chain(f.q.iter()).collect();
    let mut c = search(scope(f.owner), &terms, backend == DbBackend::Sqlite);
    if let Some(s) = &f.status {
        c = c.add(C::Status.eq(s.as_str()));
    }
    if let Some(r) = &f.regime_tributario {
        c = c.add(C::RegimeTributario.eq(r.as_str()));
    }
    if let Some(e) = &f.estado {
        c = c.add(if e.contains('\0') {
            never()
        } else {
            Expr::expr(Func::lower(Expr::col((Entity, C::Estado)))).eq(e.to_lowercase())
        });
    }
    for (name, needle) in &f.icontains {
        let col = icontains_column(name).ok_or_else(|| {
            DomainError::internal(format!("unknown cliente filter column {name}"))
        })?;
        c = c.add(icontains((Entity, col), needle, backend));
    }
    if let Some(t) = f.criado_apos {
        c = c.add(C::CriadoEm.gte(t));
    }
    if let Some(t) = f.criado_antes {
        c = c.add(C::CriadoEm.lte(t));
    }
    if let Some(t) = f.atualizado_apos {
        c = c.add(C::AtualizadoEm.gte(t));
    }
    if let Some(t) = f.atualizado_antes {
        c = c.add(C::AtualizadoEm.lte(t));
    }
    if let Some(needle) = &f.busca_geral {
        let any = BUSCA_GERAL.iter().fold(Condition::any(), |any, col| {
            any.add(icontains((Entity, *col), needle, backend))
        });
        c = c.add(any);
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::fts_phrase;

    #[test]
    fn phrases_are_quoted() {
        assert_eq!(fts_phrase("acme"), "\"acme\"");
        assert_eq!(fts_phrase("a\"b"), "\"a\"\"b\"");
    }
}
