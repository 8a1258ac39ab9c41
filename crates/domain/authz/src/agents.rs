//! Agent management (CLI and `/authz/agents/`), and the first-start admin seed.

use crate::auth::PrincipalCache;
use crate::model::{Agent, AgentChanges, NewAgent};
use crate::ports::{AgentRepository, GroupRepository, LAST_SUPERUSER_CONFLICT, PasswordHasher};
use kernel::input::Input;
use kernel::{DomainError, FieldErrors, Page, PageRequest, Result, messages as m};
use regex::Regex;
use std::sync::{Arc, LazyLock};

static USERNAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[\w.@+-]+$").expect("regex"));
pub const USERNAME_TAKEN: &str = "Um usuário com este nome de usuário já existe.";
pub const USERNAME_INVALID: &str = "Informe um nome de usuário válido. Este valor pode conter apenas letras, números e os seguintes caracteres @/./+/-/_.";
pub const PASSWORD_SHORT: &str =
    "Esta senha é muito curta. Ela precisa conter pelo menos 8 caracteres.";
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

    pub async fn create(&self, input: &Input) -> Result<Agent> {
        let mut errors = FieldErrors::new();
        input.require(&["username", "password"], &mut errors);
        let fields = self.validate(input, &mut errors).await?;
        errors.into_result()?;
        let password = fields
            .password
            .ok_or_else(|| DomainError::field("password", m::REQUIRED))?;
        let agent = NewAgent {
            username: fields.username.unwrap_or_default(),
            email: fields.email.unwrap_or_default(),
            display_name: fields.display_name.unwrap_or_default(),
            phone_number: fields.phone_number.unwrap_or_default(),
            is_active: fields.is_active.unwrap_or(true),
            is_superuser: fields.is_superuser.unwrap_or(false),
            password_hash: self.hasher.hash(&password).await?,
            groups: fields.groups.unwrap_or_default(),
        };
        self.agents.insert(agent).await.map_err(username_conflict)
    }

    pub async fn update(&self, id: i64, input: &Input) -> Result<Agent> {
        self.get(id).await?;
        let mut errors = FieldErrors::new();
        let fields = self.validate(input, &mut errors).await?;
        errors.into_result()?;
        let last_superuser_field = if fields.is_active == Some(false) {
            "is_active"
        } else {
            "is_superuser"
        };
        let password_hash = match fields.password {
            Some(p) => Some(self.hasher.hash(&p).await?),
            None => None,
        };
        // A new password or a deactivation ends every session.
        let revoke_tokens = password_hash.is_some() || fields.is_active == Some(false);
        let changes = AgentChanges {
            username: fields.username,
            email: fields.email,
            display_name: fields.display_name,
            phone_number: fields.phone_number,
            is_active: fields.is_active,
            is_superuser: fields.is_superuser,
            password_hash,
            groups: fields.groups,
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
        if password.chars().count() < 8 {
            return Err(DomainError::field("password", PASSWORD_SHORT));
        }
        let agent = self
            .agents
            .find_by_username(username)
            .await?
            .ok_or(DomainError::NotFound("Agent"))?;
        let hash = self.hasher.hash(password).await?;
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

    async fn validate(&self, input: &Input, errors: &mut FieldErrors) -> Result<AgentFields> {
        let username = input.text("username", Some(150), false, errors);
        if let Some(u) = &username
            && !USERNAME.is_match(u)
        {
            errors.add("username", USERNAME_INVALID);
        }
        let password = match input.raw("password") {
            Some(serde_json::Value::String(p)) if p.chars().count() < 8 => {
                errors.add("password", PASSWORD_SHORT);
                None
            }
            Some(serde_json::Value::String(p)) => Some(p.clone()),
            Some(serde_json::Value::Null) => {
                errors.add("password", m::NULL);
                None
            }
            Some(_) => {
                errors.add("password", m::NOT_A_STRING);
                None
            }
            None => None,
        };
        let email = input.email("email", false, true, errors).flatten();
        let display_name = input.text("display_name", Some(150), true, errors);
        let phone_number = input.text("phone_number", Some(30), true, errors);
        let is_active = input.boolean("is_active", errors);
        let is_superuser = input.boolean("is_superuser", errors);
        let groups = input.int_list("group_ids", errors);
        if let Some(ids) = &groups {
            let existing = self.groups.existing(ids).await?;
            if let Some(bad) = ids.iter().find(|i| !existing.contains(i)) {
                errors.add("group_ids", m::invalid_pk(&bad.to_string()));
            }
        }
        Ok(AgentFields {
            username,
            password,
            email,
            display_name,
            phone_number,
            is_active,
            is_superuser,
            groups,
        })
    }
}

struct AgentFields {
    username: Option<String>,
    password: Option<String>,
    email: Option<String>,
    display_name: Option<String>,
    phone_number: Option<String>,
    is_active: Option<bool>,
    is_superuser: Option<bool>,
    groups: Option<Vec<i64>>,
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

    fn input(v: serde_json::Value) -> Input {
        Input::json(v.as_object().cloned().unwrap())
    }

    #[test]
    fn create_validates_and_hashes() {
        let mut repo = MockAgentRepository::new();
        repo.expect_insert().returning(|a| Ok(saved(a)));
        let mut groups = MockGroupRepository::new();
        groups.expect_existing().returning(|_| Ok(vec![1]));
        let s = AgentService::new(Arc::new(repo), Arc::new(groups), Arc::new(hasher()));
        let a = block_on(s.create(&input(
            json!({"username":"ana","password":"12345678","group_ids":[1]}),
        )))
        .unwrap();
        assert_eq!(a.password_hash, "hashed:12345678");
        assert!(a.is_active && !a.is_superuser);
        assert_eq!(a.groups, vec![1]);
        let err = block_on(s.create(&input(
            json!({"username":"a b","password":"123","email":"x","group_ids":[9]}),
        )));
        match err.unwrap_err() {
            DomainError::Validation(e) => assert_eq!(
                e.to_json(),
                json!({"username":[USERNAME_INVALID],"password":[PASSWORD_SHORT],"email":[m::EMAIL],
                       "group_ids":[m::invalid_pk("9")]})
            ),
            other => panic!("{other:?}"),
        }
        match block_on(s.create(&input(json!({})))).unwrap_err() {
            DomainError::Validation(e) => {
                assert_eq!(
                    e.to_json(),
                    json!({"username":[m::REQUIRED],"password":[m::REQUIRED]})
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicate_username_is_a_field_error() {
        let mut repo = MockAgentRepository::new();
        repo.expect_insert()
            .returning(|_| Err(DomainError::Conflict("username".into())));
        let s = AgentService::new(
            Arc::new(repo),
            Arc::new(MockGroupRepository::new()),
            Arc::new(hasher()),
        );
        match block_on(s.create(&input(json!({"username":"ana","password":"12345678"}))))
            .unwrap_err()
        {
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
        for (patch, field) in [
            (json!({"is_active": false}), "is_active"),
            (json!({"is_superuser": false}), "is_superuser"),
            (
                json!({"is_active": false, "is_superuser": false}),
                "is_active",
            ),
        ] {
            match block_on(s.update(1, &input(patch))).unwrap_err() {
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
        block_on(s.update(2, &input(json!({"display_name": "Ana"})))).unwrap();
        block_on(s.update(2, &input(json!({"password": "nova-senha-1"})))).unwrap();
        block_on(s.update(2, &input(json!({"is_active": false})))).unwrap();
        block_on(s.update(2, &input(json!({"is_active": true})))).unwrap();
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
