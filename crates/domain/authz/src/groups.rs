//! Permission groups and agent memberships (`/authz/groups/`, `/authz/agents/{id}/groups/`).

use crate::auth::PrincipalCache;
use crate::commands::{CreateGroup, SetAgentGroups, UpdateGroup};
use crate::model::{AgentChanges, Group};
use crate::ports::{AgentRepository, GroupRepository};
use kernel::{DomainError, Result};
use std::sync::Arc;

pub const GROUP_NAME_TAKEN: &str = "grupo com este nome já existe.";

pub struct GroupService {
    groups: Arc<dyn GroupRepository>,
    agents: Arc<dyn AgentRepository>,
    principals: Arc<PrincipalCache>,
}

impl GroupService {
    pub fn new(groups: Arc<dyn GroupRepository>, agents: Arc<dyn AgentRepository>) -> Self {
        Self {
            groups,
            agents,
            principals: Arc::default(),
        }
    }

    /// Clears `cache` after every group or membership change (permissions move with them).
    pub fn with_principal_cache(mut self, cache: Arc<PrincipalCache>) -> Self {
        self.principals = cache;
        self
    }

    fn changed<T>(&self, r: Result<T>) -> Result<T> {
        self.principals.invalidate();
        r
    }

    pub async fn list(&self) -> Result<Vec<Group>> {
        self.groups.list().await
    }

    pub async fn get(&self, id: i64) -> Result<Group> {
        self.groups
            .get(id)
            .await?
            .ok_or(DomainError::NotFound("Group"))
    }

    pub async fn create(&self, cmd: CreateGroup) -> Result<Group> {
        self.groups
            .insert(cmd.name.as_str(), cmd.permissions.as_slice())
            .await
            .map_err(name_conflict)
    }

    /// `PUT` (both fields) or `PATCH` (either).
    pub async fn update(&self, id: i64, cmd: UpdateGroup) -> Result<Group> {
        self.get(id).await?;
        let name = cmd.name.map(|n| n.as_str().to_string());
        let perms = cmd.permissions.map(|p| p.as_slice().to_vec());
        let r = self.groups.update(id, name, perms).await;
        self.changed(r).map_err(name_conflict)
    }

    pub async fn delete(&self, id: i64) -> Result<()> {
        let r = self.groups.delete(id).await;
        if self.changed(r)? {
            Ok(())
        } else {
            Err(DomainError::NotFound("Group"))
        }
    }

    /// The agent's groups, sorted by name.
    pub async fn agent_groups(&self, agent_id: i64) -> Result<Vec<Group>> {
        let agent = self
            .agents
            .get(agent_id)
            .await?
            .ok_or(DomainError::NotFound("Agent"))?;
        let mut all = self.groups.list().await?;
        all.retain(|g| agent.groups.contains(&g.id));
        Ok(all)
    }

    /// Replaces memberships with `group_ids` (unknown ids are ignored).
    pub async fn set_agent_groups(&self, agent_id: i64, cmd: SetAgentGroups) -> Result<Vec<Group>> {
        self.agents
            .get(agent_id)
            .await?
            .ok_or(DomainError::NotFound("Agent"))?;
        let existing = self.groups.existing(&cmd.group_ids).await?;
        let r = self
            .agents
            .update(
                agent_id,
                AgentChanges {
                    groups: Some(existing),
                    ..Default::default()
                },
            )
            .await;
        self.changed(r)?;
        self.agent_groups(agent_id).await
    }
}

fn name_conflict(e: DomainError) -> DomainError {
    match e {
        DomainError::Conflict(_) => DomainError::field("name", GROUP_NAME_TAKEN),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{GroupName, PermissionIds};
    use crate::model::Agent;
    use crate::ports::{MockAgentRepository, MockGroupRepository};
    use chrono::Utc;
    use futures_executor::block_on;
    use mockall::predicate::eq;
    use serde_json::json;

    fn new_group(name: &str, perms: &[i64]) -> CreateGroup {
        CreateGroup {
            name: GroupName::parse(name).unwrap(),
            permissions: PermissionIds::parse(perms).unwrap(),
        }
    }

    #[test]
    fn create_stores_sorted_permissions() {
        let mut groups = MockGroupRepository::new();
        groups.expect_insert().returning(|n, p| {
            Ok(Group {
                id: 1,
                name: n.into(),
                permissions: p.to_vec(),
            })
        });
        let s = GroupService::new(Arc::new(groups), Arc::new(MockAgentRepository::new()));
        let g = block_on(s.create(new_group("Gerente", &[3, 1, 1]))).unwrap();
        assert_eq!((g.name.as_str(), g.permissions), ("Gerente", vec![1, 3]));
    }

    #[test]
    fn update_of_a_missing_group_is_not_found() {
        let mut groups = MockGroupRepository::new();
        groups.expect_get().returning(|_| Ok(None));
        groups.expect_update().never();
        let s = GroupService::new(Arc::new(groups), Arc::new(MockAgentRepository::new()));
        let cmd = UpdateGroup {
            name: GroupName::parse("X"),
            permissions: None,
        };
        assert!(matches!(
            block_on(s.update(3, cmd)),
            Err(DomainError::NotFound("Group"))
        ));
    }

    #[test]
    fn duplicate_name() {
        let mut groups = MockGroupRepository::new();
        groups
            .expect_insert()
            .returning(|_, _| Err(DomainError::Conflict("name".into())));
        let s = GroupService::new(Arc::new(groups), Arc::new(MockAgentRepository::new()));
        match block_on(s.create(new_group("X", &[]))).unwrap_err() {
            DomainError::Validation(e) => {
                assert_eq!(e.to_json(), json!({"name":[GROUP_NAME_TAKEN]}))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn set_agent_groups_ignores_unknown_ids() {
        let mut agents = MockAgentRepository::new();
        agents.expect_get().with(eq(5)).returning(|_| {
            Ok(Some(Agent {
                id: 5,
                username: "u".into(),
                email: String::new(),
                display_name: String::new(),
                phone_number: String::new(),
                is_active: true,
                is_superuser: false,
                password_hash: String::new(),
                criado_em: Utc::now(),
                groups: vec![2],
                tokens_not_before: 0,
            }))
        });
        agents
            .expect_update()
            .withf(|id, c| *id == 5 && c.groups == Some(vec![2]))
            .returning(|_, _| Err(DomainError::internal("unused")));
        let mut groups = MockGroupRepository::new();
        groups
            .expect_existing()
            .returning(|ids| Ok(ids.iter().copied().filter(|i| *i == 2).collect()));
        let s = GroupService::new(Arc::new(groups), Arc::new(agents));
        // The repository failure surfaces unchanged; the point is the filtered id list above.
        let cmd = SetAgentGroups {
            group_ids: vec![2, 77],
        };
        assert!(block_on(s.set_agent_groups(5, cmd)).is_err());
        let s2 = GroupService::new(
            Arc::new(MockGroupRepository::new()),
            Arc::new(MockAgentRepository::new()),
        );
        let _ = s2;
    }
}
