//! `/clientes/stats/` aggregates as GROUP BY queries.

use super::query::scope;
use crate::entities::cliente::{self, Column as C};
use crate::support::{count, db_err, filtered};
use chrono::{DateTime, Utc};
use clientes::ClienteStats;
use kernel::Result;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::BTreeMap;

/// How many values `por_cidade` and `por_estado` keep.
const TOP: u64 = 10;

pub(crate) async fn stats<D: ConnectionTrait>(
    db: &D,
    owner: Option<i64>,
    since: DateTime<Utc>,
) -> Result<ClienteStats> {
    let base = scope(owner);
    let total = count(db, filtered(cliente::Entity::find(), base.clone())).await?;
    let recentes = count(
        db,
        cliente::Entity::find()
            .filter(base.clone())
            .filter(C::CriadoEm.gte(since)),
    )
    .await?;
    Ok(ClienteStats {
        total,
        por_status: grouped(db, base.clone(), C::Status, None)
            .await?
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
        por_regime_tributario: grouped(db, base.clone(), C::RegimeTributario, None)
            .await?
            .into_iter()
            .collect::<BTreeMap<_, _>>(),
        por_cidade: grouped(db, base.clone(), C::Cidade, Some(TOP)).await?,
        por_estado: grouped(db, base, C::Estado, Some(TOP)).await?,
        recentes,
    })
}

/// `(value, count)` of `col`, skipping null and empty values, most frequent first (ties by
/// value); at most `limit` rows when given.
async fn grouped<D: ConnectionTrait>(
    db: &D,
    base: Condition,
    col: C,
    limit: Option<u64>,
) -> Result<Vec<(String, u64)>> {
    let mut q = cliente::Entity::find()
        .select_only()
        .column(col)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(base)
        .filter(col.is_not_null())
        .filter(col.ne(""))
        .group_by(col)
        .order_by_desc(Expr::cust("COUNT(*)"))
        .order_by_asc(col);
    if let Some(limit) = limit {
        q = q.limit(limit);
    }
    let rows: Vec<(String, i64)> = q.into_tuple().all(db).await.map_err(db_err)?;
    Ok(rows
        .into_iter()
        .map(|(v, n)| (v, n.max(0) as u64))
        .collect())
}
