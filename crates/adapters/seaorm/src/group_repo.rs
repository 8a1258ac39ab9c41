//! `GroupRepository` on sea-orm.

use crate::entities::{auth_group, group_permission};
use crate::support::{db_err, update_err};
use async_trait::async_trait;
use authz::model::Group;
use authz::ports::GroupRepository;
use kernel::{DomainError, Result};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use std::collections::HashMap;

pub struct SeaOrmGroupRepository {
    db: DatabaseConnection,
}

impl SeaOrmGroupRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Permission ids per group (all groups when `ids` is `None`), in one query.
async fn permissions_of<D: ConnectionTrait>(
    db: &D,
    ids: Option<&[i64]>,
) -> Result<HashMap<i64, Vec<i64>>> {
    let mut q = group_permission::Entity::find()
        .order_by_asc(group_permission::Column::GroupId)
        .order_by_asc(group_permission::Column::PermissionId);
    if let Some(ids) = ids {
        q = q.filter(group_permission::Column::GroupId.is_in(ids.iter().copied()));
    }
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in q.all(db).await.map_err(db_err)? {
        out.entry(r.group_id).or_default().push(r.permission_id);
    }
    Ok(out)
}

async fn insert_permissions<D: ConnectionTrait>(
    db: &D,
    group_id: i64,
    permissions: &[i64],
) -> Result<()> {
    let mut ids = permissions.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let rows = ids.into_iter().map(|p| group_permission::ActiveModel {
        group_id: Set(group_id),
        permission_id: Set(p),
    });
    group_permission::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map_err(db_err)?;
    Ok(())
}

fn sorted(permissions: &[i64]) -> Vec<i64> {
    let mut v = permissions.to_vec();
    v.sort_unstable();
    v.dedup();
    v
}

#[async_trait]
impl GroupRepository for SeaOrmGroupRepository {
    async fn list(&self) -> Result<Vec<Group>> {
        let groups = auth_group::Entity::find()
            .order_by_asc(auth_group::Column::Name)
            .order_by_asc(auth_group::Column::Id)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut perms = permissions_of(&self.db, None).await?;
        Ok(groups
            .into_iter()
            .map(|g| Group {
                permissions: perms.remove(&g.id).unwrap_or_default(),
                id: g.id,
                name: g.name,
            })
            .collect())
    }

    async fn get(&self, id: i64) -> Result<Option<Group>> {
        let Some(g) = auth_group::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let mut perms = permissions_of(&self.db, Some(&[id])).await?;
        Ok(Some(Group {
            permissions: perms.remove(&id).unwrap_or_default(),
            id: g.id,
            name: g.name,
        }))
    }

    async fn insert(&self, name: &str, permissions: &[i64]) -> Result<Group> {
        let tx = self.db.begin().await.map_err(db_err)?;
        let g = auth_group::ActiveModel {
            name: Set(name.to_string()),
            ..Default::default()
        }
        .insert(&tx)
        .await
        .map_err(db_err)?;
        insert_permissions(&tx, g.id, permissions).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(Group {
            id: g.id,
            name: g.name,
            permissions: sorted(permissions),
        })
    }

    async fn update(
        &self,
        id: i64,
        name: Option<String>,
        permissions: Option<Vec<i64>>,
    ) -> Result<Group> {
        let tx = self.db.begin().await.map_err(db_err)?;
        // Writes come first so a SQLite transaction holds the write lock before it reads.
        let renamed = name.is_some();
        if let Some(name) = name {
            auth_group::ActiveModel {
                id: Set(id),
                name: Set(name),
            }
            .update(&tx)
            .await
            .map_err(update_err("Group"))?;
        }
        if permissions.is_some() {
            group_permission::Entity::delete_many()
                .filter(group_permission::Column::GroupId.eq(id))
                .exec(&tx)
                .await
                .map_err(db_err)?;
        }
        if !renamed
            && auth_group::Entity::find_by_id(id)
                .one(&tx)
                .await
                .map_err(db_err)?
                .is_none()
        {
            return Err(DomainError::NotFound("Group"));
        }
        if let Some(p) = &permissions {
            insert_permissions(&tx, id, p).await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.get(id).await?.ok_or(DomainError::NotFound("Group"))
    }

    async fn delete(&self, id: i64) -> Result<bool> {
        let r = auth_group::Entity::delete_by_id(id)
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(r.rows_affected > 0)
    }

    async fn existing(&self, ids: &[i64]) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        auth_group::Entity::find()
            .select_only()
            .column(auth_group::Column::Id)
            .filter(auth_group::Column::Id.is_in(ids.iter().copied()))
            .order_by_asc(auth_group::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)
    }
}
