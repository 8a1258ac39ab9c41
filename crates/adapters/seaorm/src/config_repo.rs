//! `ConfigRepository` on sea-orm: the single `app_config` row, sections stored as JSON text.
//!
//! `update` is one read-modify-write transaction:
//! * PostgreSQL: the row is read with `SELECT … FOR UPDATE`, so a concurrent `update` waits
//!   for the commit and then sees the new row. When there is no row yet, the insert uses
//!   `ON CONFLICT (id) DO NOTHING`; if a concurrent transaction created the row first, nothing
//!   is inserted, the transaction is rolled back and the whole update (including `apply`, which
//!   the port allows to be called again) is retried against the now existing row.
//! * SQLite: `BEGIN` is deferred and a transaction that first reads and then writes can fail
//!   with `SQLITE_BUSY` (stale WAL snapshot) when another writer commits in between. So the
//!   first statement of the transaction is a write that matches no row: it takes the database
//!   write lock (waiting for it through the busy timeout) exactly like `BEGIN IMMEDIATE`, and
//!   the read, `apply` and the write that follow run with the lock held.

use crate::entities::app_config;
use crate::support::db_err;
use async_trait::async_trait;
use configuracoes::model::StoredConfig;
use configuracoes::ports::{ApplyFn, ConfigRepository};
use kernel::{DomainError, Result};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::{Map, Value};

use app_config::Column as A;

/// How often `update` retries after losing the race to create the row (PostgreSQL only;
/// one retry always suffices, since the row then exists and is locked normally).
const MAX_ATTEMPTS: usize = 3;

/// A write that matches no row, used on SQLite to take the write lock up front.
const SQLITE_TAKE_WRITE_LOCK: &str = r#"UPDATE "app_config" SET "id" = "id" WHERE "id" = -1"#;

pub struct SeaOrmConfigRepository {
    db: DatabaseConnection,
}

impl SeaOrmConfigRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn section(name: &str, text: &str) -> Result<Map<String, Value>> {
    serde_json::from_str(text).map_err(|e| {
        DomainError::internal(format!(
            "app_config: stored {name} is not a JSON object: {e}"
        ))
    })
}

fn json_text(map: &Map<String, Value>) -> Result<String> {
    serde_json::to_string(map).map_err(DomainError::internal)
}

fn to_domain(m: app_config::Model) -> Result<StoredConfig> {
    Ok(StoredConfig {
        id: m.id,
        company_data: section("company_data", &m.company_data)?,
        chat_settings: section("chat_settings", &m.chat_settings)?,
        email_settings: section("email_settings", &m.email_settings)?,
        appearance: section("appearance", &m.appearance)?,
        whatsapp: section("whatsapp", &m.whatsapp)?,
        document_templates: section("document_templates", &m.document_templates)?,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn to_active(c: &StoredConfig, id: i64) -> Result<app_config::ActiveModel> {
    Ok(app_config::ActiveModel {
        id: Set(id),
        company_data: Set(json_text(&c.company_data)?),
        chat_settings: Set(json_text(&c.chat_settings)?),
        email_settings: Set(json_text(&c.email_settings)?),
        appearance: Set(json_text(&c.appearance)?),
        whatsapp: Set(json_text(&c.whatsapp)?),
        document_templates: Set(json_text(&c.document_templates)?),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
    })
}

/// What one attempt of `update` ended with.
enum Attempt {
    Stored(StoredConfig),
    /// Another transaction created the row first: retry.
    LostCreateRace,
}

impl SeaOrmConfigRepository {
    async fn attempt(&self, apply: ApplyFn<'_>) -> Result<Attempt> {
        let tx = self.db.begin().await.map_err(db_err)?;
        match Self::attempt_in(&tx, apply).await {
            Ok(Attempt::Stored(c)) => {
                tx.commit().await.map_err(db_err)?;
                Ok(Attempt::Stored(c))
            }
            Ok(Attempt::LostCreateRace) => {
                tx.rollback().await.map_err(db_err)?;
                Ok(Attempt::LostCreateRace)
            }
            Err(e) => {
                // Nothing of this attempt may survive, and the caller gets `apply`'s (or the
                // failed statement's) error unchanged. An uncommitted transaction is never
                // persisted, so a failing rollback (a broken connection) changes nothing.
                let _ = tx.rollback().await;
                Err(e)
            }
        }
    }

    async fn attempt_in(tx: &DatabaseTransaction, apply: ApplyFn<'_>) -> Result<Attempt> {
        if tx.get_database_backend() == DbBackend::Sqlite {
            tx.execute_unprepared(SQLITE_TAKE_WRITE_LOCK)
                .await
                .map_err(db_err)?;
        }
        // `FOR UPDATE` on PostgreSQL; sea-query omits it on SQLite (the lock is already held).
        let current = app_config::Entity::find()
            .order_by_asc(A::Id)
            .lock_exclusive()
            .one(tx)
            .await
            .map_err(db_err)?;
        let current_id = current.as_ref().map(|m| m.id);
        let current = current.map(to_domain).transpose()?;
        let next = apply(current)?;
        // Always write the existing row, so there is only ever one.
        let id = current_id.unwrap_or(next.id);
        let am = to_active(&next, id)?;
        match current_id {
            Some(id) => {
                app_config::Entity::update_many()
                    .set(am)
                    .filter(A::Id.eq(id))
                    .exec(tx)
                    .await
                    .map_err(db_err)?;
            }
            None => {
                let inserted = app_config::Entity::insert(am)
                    .on_conflict(OnConflict::column(A::Id).do_nothing().to_owned())
                    .exec_without_returning(tx)
                    .await
                    .map_err(db_err)?;
                if inserted == 0 {
                    return Ok(Attempt::LostCreateRace);
                }
            }
        }
        // Read back what the database stored (e.g. timestamps at its precision).
        let stored = app_config::Entity::find_by_id(id)
            .one(tx)
            .await
            .map_err(db_err)?
            .ok_or_else(|| DomainError::internal("app_config: row vanished"))?;
        Ok(Attempt::Stored(to_domain(stored)?))
    }
}

#[async_trait]
impl ConfigRepository for SeaOrmConfigRepository {
    async fn load(&self) -> Result<Option<StoredConfig>> {
        app_config::Entity::find()
            .order_by_asc(A::Id)
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(to_domain)
            .transpose()
    }

    async fn update<'a>(&self, apply: ApplyFn<'a>) -> Result<StoredConfig> {
        for _ in 0..MAX_ATTEMPTS {
            if let Attempt::Stored(c) = self.attempt(apply).await? {
                return Ok(c);
            }
        }
        Err(DomainError::internal(
            "app_config: could not create the configuration row",
        ))
    }
}
