//! Agent management (CLI and `/authz/agents/`), and the first-start admin seed.

use crate::auth::PrincipalCache;
use crate::commands::{CreateAgent, Password, UpdateAgent, Username};
pub use crate::commands::{PASSWORD_SHORT, USERNAME_INVALID};
use crate::model::{Agent, AgentChanges, NewAgent};
use crate::ports::{AgentRepository, GroupRepository, LAST_SUPERUSER_CONFLICT, PasswordHasher};
use kernel::values::Email;
use kernel::{DomainError, FieldErrors, Page, PageRequest, Result, messages as m};
use std::sync::Arc;

pub const USERNAME_TAKEN: &str = "Um usuário com este nome de usuário já existe.";
pub const DEFAULT_ADMIN_PASSWORD: &str = "admin123";
pub const LAST_SUPERUSER: &str =
    "Não é possível desativar nem rebaixar o último superusuário ativo.";

pub struct AgentService {
    agents: Arc<dyn AgentRepository>,
    groups: Arc<dyn GroupRepository>,
    hasher: Arc<dyn PasswordHasher>,
    principals: Arc<PrincipalCache>,
}

impl AgentService {
    pub fn new(
        agents: Arc<dyn AgentRepository>,
        groups: Arc<dyn GroupRepository>,
        hasher: Arc<dyn PasswordHasher>,
    ) -> Self {
        Self {
            agents,
            groups,
            hasher,
            principals: Arc::default(),
        }
    }

    /// Clears `cache` after every agent change, so it applies to the very next request.
    pub fn with_principal_cache(mut self, cache: Arc<PrincipalCache>) -> Self {
        self.principals = cache;
        self
    }

    /// Every agent update goes through here.
    async fn update_agent(&self, id: i64, changes: AgentChanges) -> Result<Agent> {
        let r = self.agents.update(id, changes).await;
        self.principals.invalidate();
        r
    }

    pub async fn list(&self, page: PageRequest) -> Result<Page<Agent>> {
        self.agents
            .list(page)
            .await?
            .ok_or_else(kernel::page::invalid_page)
    }

    pub async fn get(&self, id: i64) -> Result<Agent> {
        self.agents
            .get(id)
            .await?
            .ok_or(DomainError::NotFound("Agent"))
    }

    pub async fn create(&self, cmd: CreateAgent) -> Result<Agent> {
        self.check_groups(Some(&cmd.group_ids), FieldErrors::new())
            .await?;
        let agent = NewAgent {
            username: cmd.username.into_string(),
            email: cmd.email.map(Email::into_string).unwrap_or_default(),
            display_name: cmd.display_name,
            phone_number: cmd.phone_number,
            is_active: cmd.is_active,
            is_superuser: cmd.is_superuser,
            password_hash: self.hasher.hash(cmd.password.expose()).await?,
            groups: cmd.group_ids,
        };
        self.agents.insert(agent).await.map_err(username_conflict)
    }

    pub async fn update(&self, id: i64, cmd: UpdateAgent) -> Result<Agent> {
        self.get(id).await?;
        self.check_groups(cmd.group_ids.as_deref(), FieldErrors::new())
            .await?;
        let last_superuser_field = if cmd.is_active == Some(false) {
            "is_active"
        } else {
            "is_superuser"
        };
        let password_hash = match &cmd.password {
            Some(p) => Some(self.hasher.hash(p.expose()).await?),
            None => None,
        };
        // A new password or a deactivation ends every session.
        let revoke_tokens = password_hash.is_some() || cmd.is_active == Some(false);
        let changes = AgentChanges {
            username: cmd.username.map(Username::into_string),
            email: cmd
                .email
                .map(|e| e.map(Email::into_string).unwrap_or_default()),
            display_name: cmd.display_name,
            phone_number: cmd.phone_number,
            is_active: cmd.is_active,
            is_superuser: cmd.is_superuser,
            password_hash,
            groups: cmd.group_ids,
            revoke_tokens,
        };
        self.update_agent(id, changes).await.map_err(|e| {
            if is_last_superuser(&e) {
                DomainError::field(last_superuser_field, LAST_SUPERUSER)
            } else {
                username_conflict(e)
            }
        })
    }

    /// The error for an agent body the edge could not parse: DRF validates every field at
    /// once, so the syntax `errors` are reported together with the unknown ids among the
    /// `group_ids` that did parse. `id` (an update) must name an agent, which is checked
    /// first.
    pub async fn invalid(
        &self,
        id: Option<i64>,
        errors: FieldErrors,
        group_ids: Option<&[i64]>,
    ) -> DomainError {
        if let Some(id) = id
            && let Err(e) = self.get(id).await
        {
            return e;
        }
        match self.check_groups(group_ids, errors).await {
            Ok(()) => DomainError::internal("agent body refused without an error"),
            Err(e) => e,
        }
    }

    /// Adds an error for the first of `ids` that names no group to `errors`, then fails when
    /// there are any.
    async fn check_groups(&self, ids: Option<&[i64]>, mut errors: FieldErrors) -> Result<()> {
        if let Some(ids) = ids {
            let existing = self.groups.existing(ids).await?;
            if let Some(bad) = ids.iter().find(|i| !existing.contains(i)) {
                errors.add("group_ids", m::invalid_pk(&bad.to_string()));
            }
        }
        errors.into_result()
    }

    /// Deactivates an agent (its tokens stop working).
    ///
    /// Neither this nor [`Self::update`] may leave no active superuser: nobody could manage
    /// agents any more, and the first-start seed only runs when there is no superuser at all.
    /// The repository checks it atomically with the write, so concurrent requests cannot
    /// remove the last two together.
    pub async fn deactivate(&self, id: i64) -> Result<()> {
        self.get(id).await?;
        self.update_agent(
            id,
            AgentChanges {
                is_active: Some(false),
                revoke_tokens: true,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| {
            if is_last_superuser(&e) {
                DomainError::Refused(LAST_SUPERUSER.into())
            } else {
                e
            }
        })?;
        Ok(())
    }

    /// Sets a password (CLI `agent passwd`).
    pub async fn set_password(&self, username: &str, password: &str) -> Result<Agent> {
        let password = Password::parse(password).map_err(|m| DomainError::field("password", m))?;
        let agent = self
            .agents
            .find_by_username(username)
            .await?
            .ok_or(DomainError::NotFound("Agent"))?;
        let hash = self.hasher.hash(password.expose()).await?;
        self.update_agent(
            agent.id,
            AgentChanges {
                password_hash: Some(hash),
                revoke_tokens: true,
                ..Default::default()
            },
        )
        .await
    }

    /// Creates the `admin` superuser when no superuser exists. Returns true if it was created.
    pub async fn seed_admin(&self, password: &str) -> Result<bool> {
        if self.agents.any_superuser().await? {
            return Ok(false);
        }
        if self.agents.find_by_username("admin").await?.is_some() {
            return Ok(false);
        }
        let agent = NewAgent {
            username: "admin".into(),
            email: "admin@dxconnect.com".into(),
            display_name: "Administrador".into(),
            phone_number: String::new(),
            is_active: true,
            is_superuser: true,
            password_hash: self.hasher.hash(password).await?,
            groups: vec![],
        };
        self.agents.insert(agent).await?;
        Ok(true)
    }

    /// True while `admin` still has the default password.
    pub async fn admin_has_default_password(&self) -> Result<bool> {
        Ok(match self.agents.find_by_username("admin").await? {
            Some(a) => {
                a.is_active
                    && self
                        .hasher
                        .verify(DEFAULT_ADMIN_PASSWORD, &a.password_hash)
                        .await
            }
            None => false,
        })
    }
}

fn is_last_superuser(e: &DomainError) -> bool {
    matches!(e, DomainError::Conflict(m) if m == LAST_SUPERUSER_CONFLICT)
}

fn username_conflict(e: DomainError) -> DomainError {
    match e {
        DomainError::Conflict(_) => DomainError::field("username", USERNAME_TAKEN),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockAgentRepository, MockGroupRepository, MockPasswordHasher};
    use chrono::Utc;
    use futures_executor::block_on;
    use serde_json::json;

    fn hasher() -> MockPasswordHasher {
        let mut h = MockPasswordHasher::new();
        h.expect_hash().returning(|p| Ok(format!("hashed:{p}")));
        h.expect_verify()
            .returning(|p, h| h == format!("hashed:{p}"));
        h
    }

    fn saved(a: NewAgent) -> Agent {
        Agent {
            id: 1,
            username: a.username,
            email: a.email,
            display_name: a.display_name,
            phone_number: a.phone_number,
            is_active: a.is_active,
            is_superuser: a.is_superuser,
            password_hash: a.password_hash,
            criado_em: Utc::now(),
            groups: a.groups,
            tokens_not_before: 0,
        }
    }

    fn new_agent(username: &str, password: &str, group_ids: Vec<i64>) -> CreateAgent {
        CreateAgent {
            username: Username::parse(username).unwrap(),
            password: Password::parse(password).unwrap(),
            email: None,
            display_name: String::new(),
            phone_number: String::new(),
            is_active: true,
            is_superuser: false,
            group_ids,
        }
    }

    #[test]
    fn create_checks_groups_and_hashes() {
        let mut repo = MockAgentRepository::new();
        repo.expect_insert().returning(|a| Ok(saved(a)));
        let mut groups = MockGroupRepository::new();
        groups.expect_existing().returning(|_| Ok(vec![1]));
        let s = AgentService::new(Arc::new(repo), Arc::new(groups), Arc::new(hasher()));
        let a = block_on(s.create(new_agent("ana", "12345678", vec![1]))).unwrap();
        assert_eq!(a.password_hash, "hashed:12345678");
        assert!(a.is_active && !a.is_superuser);
        assert_eq!(a.groups, vec![1]);
        assert_eq!(a.email, "");
        match block_on(s.create(new_agent("ana", "12345678", vec![1, 9]))).unwrap_err() {
            DomainError::Validation(e) => {
                assert_eq!(e.to_json(), json!({"group_ids":[m::invalid_pk("9")]}))
            }
            other => panic!("{other:?}"),
        }
    }

    /// A body the edge refused still gets its unknown groups reported with its other errors,
    /// and an update of a missing agent is a 404 first.
    #[test]
    fn invalid_bodies_report_unknown_groups_too() {
        let mut repo = MockAgentRepository::new();
        repo.expect_get()
            .returning(|id| Ok((id == 1).then(|| agent(1, true, false))));
        let mut groups = MockGroupRepository::new();
        groups.expect_existing().returning(|_| Ok(vec![1]));
        let s = AgentService::new(Arc::new(repo), Arc::new(groups), Arc::new(hasher()));
        let errors = FieldErrors::single("username", USERNAME_INVALID);
        for id in [None, Some(1)] {
            match block_on(s.invalid(id, errors.clone(), Some(&[1, 9]))) {
                DomainError::Validation(e) => assert_eq!(
                    e.to_json(),
                    json!({"username":[USERNAME_INVALID],"group_ids":[m::invalid_pk("9")]})
                ),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            block_on(s.invalid(Some(2), errors, None)),
            DomainError::NotFound("Agent")
        ));
    }

    #[test]
    fn duplicate_username_is_a_field_error() {
        let mut repo = MockAgentRepository::new();
        repo.expect_insert()
            .returning(|_| Err(DomainError::Conflict("username".into())));
        let mut groups = MockGroupRepository::new();
        groups.expect_existing().returning(|_| Ok(vec![]));
        let s = AgentService::new(Arc::new(repo), Arc::new(groups), Arc::new(hasher()));
        match block_on(s.create(new_agent("ana", "12345678", vec![]))).unwrap_err() {
            DomainError::Validation(e) => {
                assert_eq!(e.to_json(), json!({"username":[USERNAME_TAKEN]}))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn seed_admin_only_without_superuser() {
        let mut repo = MockAgentRepository::new();
        repo.expect_any_superuser().times(1).returning(|| Ok(false));
        repo.expect_find_by_username().returning(|_| Ok(None));
        repo.expect_insert()
            .withf(|a| {
                a.username == "admin" && a.is_superuser && a.password_hash == "hashed:admin123"
            })
            .returning(|a| Ok(saved(a)));
        let s = AgentService::new(
            Arc::new(repo),
            Arc::new(MockGroupRepository::new()),
            Arc::new(hasher()),
        );
        assert!(block_on(s.seed_admin(DEFAULT_ADMIN_PASSWORD)).unwrap());
        let mut repo = MockAgentRepository::new();
        repo.expect_any_superuser().returning(|| Ok(true));
        let s = AgentService::new(
            Arc::new(repo),
            Arc::new(MockGroupRepository::new()),
            Arc::new(hasher()),
        );
        assert!(!block_on(s.seed_admin("x")).unwrap());
    }

    fn agent(id: i64, is_active: bool, is_superuser: bool) -> Agent {
        Agent {
            id,
            username: format!("agent{id}"),
            email: String::new(),
            display_name: String::new(),
            phone_number: String::new(),
            is_active,
            is_superuser,
            password_hash: String::new(),
            criado_em: Utc::now(),
            groups: vec![],
            tokens_not_before: 0,
        }
    }

    /// A service over agent `current` whose repository refuses (as it does atomically when
    /// the last active superuser would go) or applies each update; the changes it was given
    /// are kept in `seen`.
    fn service_with(
        current: Agent,
        refuse: bool,
        seen: Arc<std::sync::Mutex<Vec<AgentChanges>>>,
    ) -> AgentService {
        let mut repo = MockAgentRepository::new();
        let stored = current.clone();
        repo.expect_get()
            .returning(move |_| Ok(Some(stored.clone())));
        repo.expect_active_superusers().never();
        repo.expect_update().returning(move |_, c| {
            seen.lock().unwrap().push(c);
            if refuse {
                Err(DomainError::Conflict(LAST_SUPERUSER_CONFLICT.into()))
            } else {
                Ok(current.clone())
            }
        });
        AgentService::new(
            Arc::new(repo),
            Arc::new(MockGroupRepository::new()),
            Arc::new(hasher()),
        )
    }

    #[test]
    fn a_refused_last_superuser_change_is_a_400() {
        let seen = Arc::default();
        let s = service_with(agent(1, true, true), true, seen);
        match block_on(s.deactivate(1)).unwrap_err() {
            DomainError::Refused(m) => assert_eq!(m, LAST_SUPERUSER),
            other => panic!("{other:?}"),
        }
        let change = |is_active, is_superuser| UpdateAgent {
            is_active,
            is_superuser,
            ..Default::default()
        };
        for (patch, field) in [
            (change(Some(false), None), "is_active"),
            (change(None, Some(false)), "is_superuser"),
            (change(Some(false), Some(false)), "is_active"),
        ] {
            match block_on(s.update(1, patch)).unwrap_err() {
                DomainError::Validation(e) => {
                    assert_eq!(e.to_json(), json!({ field: [LAST_SUPERUSER] }))
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn password_changes_and_deactivations_revoke_tokens() {
        let seen: Arc<std::sync::Mutex<Vec<AgentChanges>>> = Arc::default();
        let s = service_with(agent(2, true, false), false, seen.clone());
        let update = |c: UpdateAgent| block_on(s.update(2, c)).unwrap();
        update(UpdateAgent {
            display_name: Some("Ana".into()),
            ..Default::default()
        });
        update(UpdateAgent {
            password: Some(Password::parse("nova-senha-1").unwrap()),
            ..Default::default()
        });
        for active in [false, true] {
            update(UpdateAgent {
                is_active: Some(active),
                ..Default::default()
            });
        }
        block_on(s.deactivate(2)).unwrap();
        let revoked: Vec<bool> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.revoke_tokens)
            .collect();
        assert_eq!(revoked, [false, true, true, false, true]);
    }
}
