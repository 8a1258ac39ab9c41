//! The WhatsApp repositories on sea-orm: sessions ([`SeaOrmSessionRepository`]) and messages
//! with the outbox ([`SeaOrmMessageRepository`]).

mod aggregates;
mod batch;
mod identity;
pub(crate) mod messages;
mod sessions;

pub use messages::SeaOrmMessageRepository;
pub use sessions::SeaOrmSessionRepository;

use crate::entities::agent;
use crate::support::{Window, count, db_err, ordered, paged, window};
use kernel::{OrderBy, PageRequest, Result};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PrimaryKeyTrait,
    QueryFilter, QuerySelect,
};
use std::collections::HashMap;

/// Usernames of the given agents (for `usuario_nome`).
pub(crate) async fn usernames<D: ConnectionTrait>(
    db: &D,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, String>> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String)> = agent::Entity::find()
        .select_only()
        .column(agent::Column::Id)
        .column(agent::Column::Username)
        .filter(agent::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await
        .map_err(db_err)?;
    Ok(rows.into_iter().collect())
}

/// Maps rows to domain values with their owner's username (`usuario_nome`): one query for
/// the whole set.
pub(crate) async fn named<D: ConnectionTrait, M, T>(
    db: &D,
    rows: Vec<M>,
    owner: fn(&M) -> i64,
    to_domain: fn(M, String) -> T,
) -> Result<Vec<T>> {
    let names = usernames(db, rows.iter().map(owner)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let n = names.get(&owner(&r)).cloned().unwrap_or_default();
            to_domain(r, n)
        })
        .collect())
}

/// One page of `E` rows matching `cond`, ordered by `ordering` (or `default`), with the total
/// count; `None` when the page does not exist.
pub(crate) async fn page_rows<E: EntityTrait, C: ColumnTrait>(
    db: &DatabaseConnection,
    cond: Condition,
    ordering: &[OrderBy],
    default: OrderBy,
    column: fn(&str) -> Option<C>,
    id: C,
    page: PageRequest,
) -> Result<Option<(Window, u64, Vec<E::Model>)>> {
    let total = count(db, E::find().filter(cond.clone())).await?;
    let Some(w) = window(page, total) else {
        return Ok(None);
    };
    let default = [default];
    let order = if ordering.is_empty() {
        &default[..]
    } else {
        ordering
    };
    let rows = paged(ordered(E::find().filter(cond), order, column, id), &w)
        .all(db)
        .await
        .map_err(db_err)?;
    Ok(Some((w, total, rows)))
}

/// The row `id`, if it exists and (with `owner`) belongs to that user.
pub(crate) async fn owned_row<E: EntityTrait, C: ColumnTrait>(
    db: &DatabaseConnection,
    id: <E::PrimaryKey as PrimaryKeyTrait>::ValueType,
    owner_column: C,
    owner: Option<i64>,
) -> Result<Option<E::Model>> {
    let mut q = E::find_by_id(id);
    if let Some(o) = owner {
        q = q.filter(owner_column.eq(o));
    }
    q.one(db).await.map_err(db_err)
}

/// A write that changes nothing: on SQLite it takes the write lock of its transaction.
pub(crate) const WRITE_LOCK_SQL: &str = "UPDATE whatsapp_sessions SET id = id WHERE id = -1";

/// On SQLite, takes the write lock at the start of `txn` (waiting for it like any writer): a
/// transaction that reads first and writes later is refused outright when another connection
/// committed in between (`SQLITE_BUSY_SNAPSHOT`). PostgreSQL needs nothing.
pub(crate) async fn write_lock<D: ConnectionTrait>(txn: &D) -> Result<()> {
    if txn.get_database_backend() == sea_orm::DbBackend::Sqlite {
        txn.execute_unprepared(WRITE_LOCK_SQL)
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// A JSON column's text as a value (an unreadable one as `{}`).
pub(crate) fn json_of(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::json!({}))
}
