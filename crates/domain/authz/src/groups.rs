//! Permission groups and agent memberships (`/authz/groups/`, `/authz/agents/{id}/groups/`).

use crate::auth::PrincipalCache;
use crate::model::{AgentChanges, Group};
use crate::permissions;
use crate::ports::{AgentRepository, GroupRepository};
use kernel::input::Input;
use kernel::{DomainError, FieldErrors, Result, messages as m};
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

    pub async fn create(&self, input: &Input) -> Result<Group> {
        let mut errors = FieldErrors::new();
        input.require(&["name"], &mut errors);
        let (name, perms) = validate(input, &mut errors);
        errors.into_result()?;
        let name = name.unwrap_or_default();
        self.groups
            .insert(&name, &perms.unwrap_or_default())
            .await
            .map_err(name_conflict)
    }

    /// PUT (`full`: name required, permissions default to none) or PATCH (either key).
    pub async fn update(&self, id: i64, input: &Input, full: bool) -> Result<Group> {
        self.get(id).await?;
        let mut errors = FieldErrors::new();
        if full {
            input.require(&["name"], &mut errors);
        }
        let (name, perms) = validate(input, &mut errors);
        errors.into_result()?;
        let perms = if full {
            Some(perms.unwrap_or_default())
        } else {
            perms
        };
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
    pub async fn set_agent_groups(&self, agent_id: i64, input: &Input) -> Result<Vec<Group>> {
        self.agents
            .get(agent_id)
            .await?
            .ok_or(DomainError::NotFound("Agent"))?;
        let mut errors = FieldErrors::new();
        input.require(&["group_ids"], &mut errors);
        let ids = input.int_list("group_ids", &mut errors);
        errors.into_result()?;
        let existing = self.groups.existing(&ids.unwrap_or_default()).await?;
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

fn validate(input: &Input, errors: &mut FieldErrors) -> (Option<String>, Option<Vec<i64>>) {
    let name = input.text("name", Some(150), false, errors);
    let perms = input.int_list("permissions", errors);
    if let Some(ids) = &perms
        && let Some(bad) = ids.iter().find(|i| permissions::by_id(**i).is_none())
    {
        errors.add("permissions", m::invalid_pk(&bad.to_string()));
    }
    let mut perms = perms;
    if let Some(p) = perms.as_mut() {
        p.sort_unstable();
        p.dedup();
    }
    (name, perms)
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
    use crate::model::Agent;
    use crate::ports::{MockAgentRepository, MockGroupRepository};
    use chrono::Utc;
    use futures_executor::block_on;
    use mockall::predicate::eq;
    use serde_json::json;

    fn input(v: serde_json::Value) -> Input {
        Input::json(v.as_object().cloned().unwrap())
    }

    #[test]
    fn create_validates_permissions_and_name() {
        let mut groups = MockGroupRepository::new();
        groups.expect_insert().returning(|n, p| {
            Ok(Group {
                id: 1,
                name: n.into(),
                permissions: p.to_vec(),
            })
        });
        let s = GroupService::new(Arc::new(groups), Arc::new(MockAgentRepository::new()));
        let g =
            block_on(s.create(&input(json!({"name":"Gerente","permissions":[3,1,1]})))).unwrap();
        assert_eq!(g.permissions, vec![1, 3]);
        match block_on(s.create(&input(json!({"permissions":[9999]})))).unwrap_err() {
            DomainError::Validation(e) => assert_eq!(
                e.to_json(),
                json!({"name":[m::REQUIRED],"permissions":["Pk inválido \"9999\" - objeto não existe."]})
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicate_name() {
        let mut groups = MockGroupRepository::new();
        groups
            .expect_insert()
            .returning(|_, _| Err(DomainError::Conflict("name".into())));
        let s = GroupService::new(Arc::new(groups), Arc::new(MockAgentRepository::new()));
        match block_on(s.create(&input(json!({"name":"X"})))).unwrap_err() {
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
        assert!(block_on(s.set_agent_groups(5, &input(json!({"group_ids":[2, 77]})))).is_err());
        let s2 = GroupService::new(
            Arc::new(MockGroupRepository::new()),
            Arc::new(MockAgentRepository::new()),
        );
        let _ = s2;
    }
}
