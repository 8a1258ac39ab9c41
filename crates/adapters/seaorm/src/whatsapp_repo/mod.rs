//! The WhatsApp repositories on sea-orm: sessions ([`SeaOrmSessionRepository`]) and messages
//! with the outbox ([`SeaOrmMessageRepository`]).

mod batch;
mod messages;
mod sessions;

pub use messages::SeaOrmMessageRepository;
pub use sessions::SeaOrmSessionRepository;

use crate::entities::agent;
use crate::support::db_err;
use kernel::Result;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
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

/// On SQLite, takes the write lock at the start of `txn` (waiting for it like any writer): a
/// transaction that reads first and writes later is refused outright when another connection
/// committed in between (`SQLITE_BUSY_SNAPSHOT`). PostgreSQL needs nothing.
pub(crate) async fn write_lock<D: ConnectionTrait>(txn: &D) -> Result<()> {
    if txn.get_database_backend() == sea_orm::DbBackend::Sqlite {
        txn.execute_unprepared("UPDATE whatsapp_sessions SET id = id WHERE id = -1")
            .await
            .map_err(db_err)?;
    }
    Ok(())
}

/// A JSON column's text as a value (an unreadable one as `{}`).
pub(crate) fn json_of(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::json!({}))
}
