//! `DocumentoFilter` translated to SQL: the base scope, every filter, search and ordering.
//! [`DocumentoFilter::matches`] is the reference semantics this module mirrors.

use crate::entities::{cliente, documento};
use crate::support::contains;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use documentos::filter::{DocumentoFilter, DocumentoScope};
use kernel::OrderBy;
use kernel::clock::TZ;
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Expr, NullOrdering, Query};
use sea_orm::{ColumnTrait, Condition, Order, QueryOrder};

use documento::Column as D;

/// The base scope of every read: active rows and, for an owner, only documents of the
/// clientes that user created (a semi-join, so the planner can keep walking the ordering
/// index of `documentos`).
pub(crate) fn scope(scope: &DocumentoScope) -> Condition {
    let c = Condition::all().add(D::Ativo.eq(true));
    match scope {
        DocumentoScope::Superuser => c,
        DocumentoScope::Owner(user) => {
            let owned = Query::select()
                .column(cliente::Column::Id)
                .from(cliente::Entity)
                .and_where(Expr::col((cliente::Entity, cliente::Column::CriadoPor)).eq(*user))
                .to_owned();
            c.add(D::ClienteId.in_subquery(owned))
        }
    }
}

/// `LOWER(col) LIKE %needle%` on a stored lowercase shadow column (Unicode-aware lowering
/// done in Rust on both sides, exactly like the reference semantics).
fn icontains_busca(col: D, needle: &str) -> sea_orm::sea_query::SimpleExpr {
    contains((documento::Entity, col), &needle.to_lowercase())
}

/// Scope plus every filter and search term of the list.
pub(crate) fn condition(f: &DocumentoFilter) -> Condition {
    let mut c = scope(&f.scope);
    if let Some(id) = f.cliente {
        c = c.add(D::ClienteId.eq(id));
    }
    if let Some(nome) = &f.nome {
        c = c.add(icontains_busca(D::NomeBusca, nome));
    }
    if let Some(t) = f.tipo_documento {
        c = c.add(D::TipoDocumento.eq(t.as_str()));
    }
    if let Some(s) = f.status {
        c = c.add(D::Status.eq(s.as_str()));
    }
    if let Some(o) = f.origem {
        c = c.add(D::Origem.eq(o.as_str()));
    }
    if let Some(t) = &f.template_usado {
        c = c.add(icontains_busca(D::TemplateUsadoBusca, t));
    }
    if let Some(a) = f.ativo {
        // On top of the base scope: `ativo=false` therefore matches nothing.
        c = c.add(D::Ativo.eq(a));
    }
    if let Some(d) = f.data_upload_apos {
        c = c.add(D::DataUpload.gte(start_of_day(d)));
    }
    if let Some(d) = f.data_upload_antes
        && let Some(next) = d.succ_opt()
    {
        c = c.add(D::DataUpload.lt(start_of_day(next)));
    }
    if let Some(d) = f.data_vencimento_apos {
        c = c.add(D::DataVencimento.gte(d));
    }
    if let Some(d) = f.data_vencimento_antes {
        c = c.add(D::DataVencimento.lte(d));
    }
    for term in &f.search {
        c = c.add(
            Condition::any()
                .add(icontains_busca(D::NomeBusca, term))
                .add(icontains_busca(D::DescricaoBusca, term))
                .add(icontains_busca(D::TemplateUsadoBusca, term)),
        );
    }
    c
}

/// The first instant (UTC) whose `America/Sao_Paulo` calendar date is `d`.
///
/// Until 2019 São Paulo started daylight saving time at local midnight, so 00:00 did not exist
/// on those days; the day then starts at the first local time that does.
pub(crate) fn start_of_day(d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_time(NaiveTime::MIN);
    let mut t = midnight;
    while t < midnight + Duration::hours(24) {
        if let Some(dt) = TZ.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc);
        }
        t += Duration::minutes(15);
    }
    // Not reachable for a real zone; fall back to the current standard offset (UTC−3).
    Utc.from_utc_datetime(&midnight) + Duration::hours(3)
}

/// `ORDER BY` the whitelisted fields, then `id` in the direction of the last field.
/// `data_vencimento` sorts NULLs last ascending and first descending on both back-ends
/// (PostgreSQL's default; SQLite would do the opposite).
pub(crate) fn ordered<Q: QueryOrder>(mut q: Q, order: &[OrderBy]) -> Q {
    let mut last_desc = false;
    for o in order {
        let dir = if o.desc { Order::Desc } else { Order::Asc };
        q = match o.field {
            "nome" => q.order_by(D::Nome, dir),
            "data_upload" => q.order_by(D::DataUpload, dir),
            "status" => q.order_by(D::Status, dir),
            "data_vencimento" => {
                let nulls = if o.desc {
                    NullOrdering::First
                } else {
                    NullOrdering::Last
                };
                q.order_by_with_nulls(D::DataVencimento, dir, nulls)
            }
            _ => continue,
        };
        last_desc = o.desc;
    }
    q.order_by(D::Id, if last_desc { Order::Desc } else { Order::Asc })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_bounds_in_sao_paulo() {
        let d = NaiveDate::from_ymd_opt(2025, 3, 10).unwrap();
        assert_eq!(
            start_of_day(d),
            Utc.with_ymd_and_hms(2025, 3, 10, 3, 0, 0).unwrap()
        );
        // DST started at local midnight on 2018-11-04: the day began at 01:00 (-02:00).
        let dst = NaiveDate::from_ymd_opt(2018, 11, 4).unwrap();
        assert_eq!(
            start_of_day(dst),
            Utc.with_ymd_and_hms(2018, 11, 4, 3, 0, 0).unwrap()
        );
        // During DST the offset is -02:00.
        let summer = NaiveDate::from_ymd_opt(2019, 1, 15).unwrap();
        assert_eq!(
            start_of_day(summer),
            Utc.with_ymd_and_hms(2019, 1, 15, 2, 0, 0).unwrap()
        );
    }
}
