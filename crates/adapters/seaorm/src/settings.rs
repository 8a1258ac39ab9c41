//! Key/value application settings (e.g. the generated JWT signing key).

use crate::entities::app_setting;
use crate::support::db_err;
use kernel::{DomainError, Result};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

pub struct SeaOrmSettings {
    db: DatabaseConnection,
}

impl SeaOrmSettings {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>> {
        let row = app_setting::Entity::find_by_id(key.to_string())
            .one(&self.db)
            .await
            .map_err(db_err)?;
        Ok(row.map(|r| r.value))
    }

    /// Stores `value` under `key` unless a value is already there; returns the stored value.
    /// Safe under races: the first writer wins and every caller gets its value.
    pub async fn set_if_absent(&self, key: &str, value: &str) -> Result<String> {
        let row = app_setting::ActiveModel {
            key: Set(key.to_string()),
            value: Set(value.to_string()),
        };
        app_setting::Entity::insert(row)
            .on_conflict(
                OnConflict::column(app_setting::Column::Key)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(db_err)?;
        self.get(key)
            .await?
            .ok_or_else(|| DomainError::internal(format!("setting {key} missing after insert")))
    }
}
