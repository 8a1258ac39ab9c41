//! `AgentRepository` on sea-orm.

use crate::entities::{agent, agent_group, group_permission};
use crate::support::{count, db_err, now, paged, update_err, window};
use async_trait::async_trait;
use authz::model::{Agent, AgentChanges, NewAgent};
use authz::ports::{AgentRepository, LAST_SUPERUSER_CONFLICT};
use kernel::{DomainError, Page, PageRequest, Result};
use sea_orm::ExprTrait;
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbBackend, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationDef, TransactionTrait,
};
use std::collections::HashMap;

pub struct SeaOrmAgentRepository {
    db: DatabaseConnection,
}

impl SeaOrmAgentRepository {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    async fn with_groups(&self, models: Vec<agent::Model>) -> Result<Vec<Agent>> {
        let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
        let mut groups = groups_of(&self.db, &ids).await?;
        Ok(models
            .into_iter()
            .map(|m| {
                let g = groups.remove(&m.id).unwrap_or_default();
                to_domain(m, g)
            })
            .collect())
    }

    async fn one(&self, model: Option<agent::Model>) -> Result<Option<Agent>> {
        match model {
            Some(m) => Ok(self.with_groups(vec![m]).await?.pop()),
            None => Ok(None),
        }
    }
}

/// Group ids per agent, for the given agents, in one query.
async fn groups_of<D: ConnectionTrait>(
    db: &D,
    agent_ids: &[i64],
) -> Result<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    if agent_ids.is_empty() {
        return Ok(out);
    }
    let rows = agent_group::Entity::find()
        .filter(agent_group::Column::AgentId.is_in(agent_ids.iter().copied()))
        .order_by_asc(agent_group::Column::GroupId)
        .all(db)
        .await
        .map_err(db_err)?;
    for r in rows {
        out.entry(r.agent_id).or_default().push(r.group_id);
    }
    Ok(out)
}

async fn insert_memberships<D: ConnectionTrait>(
    db: &D,
    agent_id: i64,
    groups: &[i64],
) -> Result<()> {
    let mut ids = groups.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let rows = ids.into_iter().map(|g| agent_group::ActiveModel {
        agent_id: Set(agent_id),
        group_id: Set(g),
    });
    agent_group::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .map_err(db_err)?;
    Ok(())
}

fn to_domain(m: agent::Model, groups: Vec<i64>) -> Agent {
    Agent {
        id: m.id,
        username: m.username,
        email: m.email,
        display_name: m.display_name,
        phone_number: m.phone_number,
        is_active: m.is_active,
        is_superuser: m.is_superuser,
        password_hash: m.password_hash,
        criado_em: m.criado_em,
        groups,
        tokens_not_before: m.tokens_not_before,
    }
}

/// The agent is not an active superuser, or another active superuser exists.
fn keeps_a_superuser(id: i64) -> Condition {
    let o = Alias::new("o");
    let others = Query::select()
        .expr(Expr::val(1))
        .from_as(agent::Entity, o.clone())
        .and_where(Expr::col((o.clone(), agent::Column::Id)).ne(id))
        .and_where(Expr::col((o.clone(), agent::Column::IsActive)).eq(true))
        .and_where(Expr::col((o, agent::Column::IsSuperuser)).eq(true))
        .to_owned();
    Condition::any()
        .add(agent::Column::IsActive.eq(false))
        .add(agent::Column::IsSuperuser.eq(false))
        .add(Expr::exists(others))
}

fn membership_to_permissions() -> RelationDef {
    agent_group::Entity::belongs_to(group_permission::Entity)
        .from(agent_group::Column::GroupId)
        .to(group_permission::Column::GroupId)
        .into()
}

#[async_trait]
impl AgentRepository for SeaOrmAgentRepository {
    async fn get(&self, id: i64) -> Result<Option<Agent>> {
        let m = agent::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .map_err(db_err)?;
        self.one(m).await
    }

    async fn find_by_username(&self, username: &str) -> Result<Option<Agent>> {
        let m = agent::Entity::find()
            .filter(agent::Column::Username.eq(username))
            .one(&self.db)
            .await
            .map_err(db_err)?;
        self.one(m).await
    }

    async fn list(&self, page: PageRequest) -> Result<Option<Page<Agent>>> {
        let total = count(&self.db, agent::Entity::find()).await?;
        let Some(w) = window(page, total) else {
            return Ok(None);
        };
        let models = paged(agent::Entity::find().order_by_asc(agent::Column::Id), &w)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let items = self.with_groups(models).await?;
        Ok(Some(Page {
            items,
            count: total,
            page: w.page,
            page_size: w.limit,
        }))
    }

    async fn insert(&self, a: NewAgent) -> Result<Agent> {
        let tx = self.db.begin().await.map_err(db_err)?;
        let m = agent::ActiveModel {
            username: Set(a.username),
            email: Set(a.email),
            display_name: Set(a.display_name),
            phone_number: Set(a.phone_number),
            is_active: Set(a.is_active),
            is_superuser: Set(a.is_superuser),
            password_hash: Set(a.password_hash),
            criado_em: Set(now()),
            tokens_not_before: Set(0),
            ..Default::default()
        }
        .insert(&tx)
        .await
        .map_err(db_err)?;
        insert_memberships(&tx, m.id, &a.groups).await?;
        tx.commit().await.map_err(db_err)?;
        let mut groups = a.groups;
        groups.sort_unstable();
        groups.dedup();
        Ok(to_domain(m, groups))
    }

    async fn update(&self, id: i64, c: AgentChanges) -> Result<Agent> {
        // Taking a flag away may remove the last active superuser: that write is conditional
        // (`keeps_a_superuser`). SQLite runs one writer at a time and this write comes first
        // in its transaction, so the condition sees every committed change. PostgreSQL reads
        // a snapshot per statement: the active superusers' rows are locked first (in id order)
        // so that a concurrent demotion waits for this one and then sees its result.
        let guarded = c.is_active == Some(false) || c.is_superuser == Some(false);
        let tx = self.db.begin().await.map_err(db_err)?;
        if guarded && tx.get_database_backend() == DbBackend::Postgres {
            agent::Entity::find()
                .select_only()
                .column(agent::Column::Id)
                .filter(agent::Column::IsSuperuser.eq(true))
                .filter(agent::Column::IsActive.eq(true))
                .order_by_asc(agent::Column::Id)
                .lock_exclusive()
                .into_tuple::<i64>()
                .all(&tx)
                .await
                .map_err(db_err)?;
        }
        let mut am = <agent::ActiveModel as Default>::default();
        let mut any = false;
        macro_rules! apply {
            ($($field:ident),*) => {$(
                if let Some(v) = c.$field {
                    am.$field = Set(v);
                    any = true;
                }
            )*};
        }
        apply!(
            username,
            email,
            display_name,
            phone_number,
            is_active,
            is_superuser,
            password_hash
        );
        if c.revoke_tokens {
            am.tokens_not_before = Set(now().timestamp() + 1);
            any = true;
        }
        // Write first so a SQLite transaction takes the write lock before it reads anything.
        if any && guarded {
            let done = agent::Entity::update_many()
                .set(am)
                .filter(agent::Column::Id.eq(id))
                .filter(keeps_a_superuser(id))
                .exec(&tx)
                .await
                .map_err(db_err)?;
            if done.rows_affected == 0 {
                let exists = agent::Entity::find_by_id(id)
                    .one(&tx)
                    .await
                    .map_err(db_err)?
                    .is_some();
                return Err(if exists {
                    DomainError::Conflict(LAST_SUPERUSER_CONFLICT.into())
                } else {
                    DomainError::NotFound("Agent")
                });
            }
        } else if any {
            am.id = Set(id);
            am.update(&tx).await.map_err(update_err("Agent"))?;
        }
        if c.groups.is_some() {
            agent_group::Entity::delete_many()
                .filter(agent_group::Column::AgentId.eq(id))
                .exec(&tx)
                .await
                .map_err(db_err)?;
        }
        if !any
            && agent::Entity::find_by_id(id)
                .one(&tx)
                .await
                .map_err(db_err)?
                .is_none()
        {
            return Err(DomainError::NotFound("Agent"));
        }
        if let Some(groups) = &c.groups {
            insert_memberships(&tx, id, groups).await?;
        }
        tx.commit().await.map_err(db_err)?;
        self.get(id).await?.ok_or(DomainError::NotFound("Agent"))
    }

    async fn permission_codes(&self, id: i64) -> Result<Vec<String>> {
        let ids: Vec<i64> = agent_group::Entity::find()
            .select_only()
            .column(group_permission::Column::PermissionId)
            .join(JoinType::InnerJoin, membership_to_permissions())
            .filter(agent_group::Column::AgentId.eq(id))
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut codes: Vec<String> = ids
            .into_iter()
            .filter_map(authz::permissions::by_id)
            .map(|p| p.code())
            .collect();
        codes.sort();
        codes.dedup();
        Ok(codes)
    }

    async fn any_superuser(&self) -> Result<bool> {
        let n = count(
            &self.db,
            agent::Entity::find().filter(agent::Column::IsSuperuser.eq(true)),
        )
        .await?;
        Ok(n > 0)
    }

    async fn active_superusers(&self) -> Result<u64> {
        count(
            &self.db,
            agent::Entity::find()
                .filter(agent::Column::IsSuperuser.eq(true))
                .filter(agent::Column::IsActive.eq(true)),
        )
        .await
    }
}
