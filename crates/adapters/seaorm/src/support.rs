//! Helpers shared by the repositories: error mapping, timestamps, LIKE patterns, ordering
//! and page windows.

use chrono::{DateTime, SubsecRound, Utc};
use kernel::{DomainError, OrderBy, PageRequest};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{BinOper, Expr, Func, IntoColumnRef, LikeExpr, SimpleExpr};
use sea_orm::{
    Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Select, SqlErr,
};

/// Translates a driver error: unique violations become `Conflict`, the rest `Internal`.
pub(crate) fn db_err(e: DbErr) -> DomainError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(msg)) => DomainError::Conflict(msg),
        _ => DomainError::internal(e),
    }
}

/// Maps "no row was updated" to `NotFound(model)`, other errors as [`db_err`].
pub(crate) fn update_err(model: &'static str) -> impl Fn(DbErr) -> DomainError {
    move |e| match e {
        DbErr::RecordNotUpdated | DbErr::RecordNotFound(_) => DomainError::NotFound(model),
        other => db_err(other),
    }
}

/// The current time in UTC with microsecond precision (what PostgreSQL stores).
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// `%needle%` with LIKE wildcards in the needle escaped (escape character `\`).
pub(crate) fn like_pattern(needle: &str) -> LikeExpr {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for ch in needle.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    LikeExpr::new(p).escape('\\')
}

/// A condition no row meets: for a needle holding U+0000, which no stored text contains
/// (input validation refuses it) and PostgreSQL refuses as a parameter.
pub(crate) fn never() -> SimpleExpr {
    Expr::cust("1 = 0")
}

/// `col LIKE %needle%` (the column is expected to be stored lowercase).
pub(crate) fn contains<C: IntoColumnRef>(col: C, needle: &str) -> SimpleExpr {
    if needle.contains('\0') {
        return never();
    }
    Expr::col(col).like(like_pattern(needle))
}

/// `col` contains `needle`, ignoring case (Django's `icontains`; `needle` already lowercase).
///
/// PostgreSQL: `LOWER(col) LIKE %needle%`. SQLite's `LOWER` and `LIKE` fold ASCII letters
/// only, so `JOÃO` would not contain `joão`: there it is `col REGEXP '(?i)needle'` (the
/// driver's Rust `regex` function, compiled once per statement), which folds every letter.
pub(crate) fn icontains<C: IntoColumnRef>(col: C, needle: &str, backend: DbBackend) -> SimpleExpr {
    if needle.contains('\0') {
        return never();
    }
    match backend {
        DbBackend::Sqlite => Expr::col(col).binary(
            BinOper::Custom("REGEXP"),
            Expr::val(format!("(?i){}", regex::escape(needle))),
        ),
        _ => Expr::expr(Func::lower(Expr::col(col))).like(like_pattern(needle)),
    }
}

/// A resolved page: its number, the row offset and the page size.
pub(crate) struct Window {
    pub page: u64,
    pub offset: u64,
    pub limit: u64,
}

/// Resolves `req` against `count`; `None` when the page does not exist.
pub(crate) fn window(req: PageRequest, count: u64) -> Option<Window> {
    let page = req.resolve(count)?;
    Some(Window {
        page,
        offset: req.offset(page)?,
        limit: req.page_size,
    })
}

/// Applies a window to a query.
pub(crate) fn paged<Q: QuerySelect>(q: Q, w: &Window) -> Q {
    q.offset(w.offset).limit(w.limit)
}

/// `ORDER BY <fields…>, id <direction of the last field>`; `column` maps a whitelisted field
/// name to its column (unknown names are skipped).
pub(crate) fn ordered<Q, C, F>(mut q: Q, order: &[OrderBy], column: F, id: C) -> Q
where
    Q: QueryOrder,
    C: sea_orm::ColumnTrait,
    F: Fn(&str) -> Option<C>,
{
    let mut last_desc = false;
    for o in order {
        if let Some(col) = column(o.field) {
            q = q.order_by(col, if o.desc { Order::Desc } else { Order::Asc });
            last_desc = o.desc;
        }
    }
    q.order_by(id, if last_desc { Order::Desc } else { Order::Asc })
}

/// Adds `cond` unless it is empty: sea-query renders an empty condition as `WHERE TRUE`,
/// which costs SQLite its O(pages) `COUNT(*)` fast path.
pub(crate) fn filtered<E: EntityTrait>(q: Select<E>, cond: Condition) -> Select<E> {
    if cond.is_empty() { q } else { q.filter(cond) }
}

/// `SELECT COUNT(*)` of a filtered select.
pub(crate) async fn count<E: EntityTrait, D: ConnectionTrait>(
    db: &D,
    q: Select<E>,
) -> Result<u64, DomainError> {
    let n: Option<i64> = q
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "n")
        .into_tuple()
        .one(db)
        .await
        .map_err(db_err)?;
    Ok(Ord::max(n.unwrap_or(0), 0) as u64)
}

/// `after` keeping only the columns whose value differs from `before`'s (both built from the
/// same kind of data, every column `Set` or `NotSet` alike): a PATCH writes the columns it
/// changes and nothing else, so a concurrent PATCH of other columns survives it.
pub(crate) fn only_changed<A: sea_orm::ActiveModelTrait>(mut after: A, before: &A) -> A {
    use sea_orm::Iterable;
    for col in <A::Entity as EntityTrait>::Column::iter() {
        let same = match (after.get(col), before.get(col)) {
            (sea_orm::ActiveValue::Set(a), sea_orm::ActiveValue::Set(b)) => a == b,
            (sea_orm::ActiveValue::NotSet, sea_orm::ActiveValue::NotSet) => true,
            _ => false,
        };
        if same {
            after.not_set(col);
        }
    }
    after
}
