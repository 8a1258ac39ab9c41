//! Ports of the authz domain.

use crate::model::{Agent, AgentChanges, Group, NewAgent};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kernel::{Page, PageRequest, Result};

/// The `Conflict` message of an agent update refused because it would leave no active
/// superuser.
pub const LAST_SUPERUSER_CONFLICT: &str = "last active superuser";

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AgentRepository: Send + Sync {
    async fn get(&self, id: i64) -> Result<Option<Agent>>;
    async fn find_by_username(&self, username: &str) -> Result<Option<Agent>>;
    /// Agents ordered by id.
    async fn list(&self, page: PageRequest) -> Result<Option<Page<Agent>>>;
    /// Inserts an agent and its group memberships atomically. A taken username → `Conflict`.
    async fn insert(&self, agent: NewAgent) -> Result<Agent>;
    /// Applies changes atomically (memberships replaced when given). Taken username →
    /// `Conflict`. Changes that take `is_active` or `is_superuser` away from the last active
    /// superuser are refused with `Conflict(LAST_SUPERUSER_CONFLICT)`, checked in the same
    /// atomic step as the write (so two concurrent requests cannot both pass), and change
    /// nothing. `revoke_tokens` moves `tokens_not_before` to the next second.
    async fn update(&self, id: i64, changes: AgentChanges) -> Result<Agent>;
    /// Permission codes (`app.codename`) the agent holds through its groups.
    async fn permission_codes(&self, id: i64) -> Result<Vec<String>>;
    async fn any_superuser(&self) -> Result<bool>;
    /// How many agents are both active and superusers.
    async fn active_superusers(&self) -> Result<u64>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait GroupRepository: Send + Sync {
    /// All groups sorted by name.
    async fn list(&self) -> Result<Vec<Group>>;
    async fn get(&self, id: i64) -> Result<Option<Group>>;
    /// Taken name → `Conflict`.
    async fn insert(&self, name: &str, permissions: &[i64]) -> Result<Group>;
    /// Replaces name and/or permissions. Taken name → `Conflict`.
    async fn update(
        &self,
        id: i64,
        name: Option<String>,
        permissions: Option<Vec<i64>>,
    ) -> Result<Group>;
    async fn delete(&self, id: i64) -> Result<bool>;
    /// Existing ids among `ids`.
    async fn existing(&self, ids: &[i64]) -> Result<Vec<i64>>;
}

/// Password hashing (argon2id in production). Async because hashing is deliberately slow.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &str) -> Result<String>;
    async fn verify(&self, password: &str, hash: &str) -> bool;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// Decoded, signature-checked claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    pub user_id: i64,
    pub kind: TokenKind,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token invalid or expired")]
    Invalid,
}

/// JWT issuing and verification (HS256).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait TokenCodec: Send + Sync {
    fn issue(
        &self,
        user_id: i64,
        kind: TokenKind,
        now: DateTime<Utc>,
        ttl_secs: i64,
    ) -> Result<String>;
    /// Verifies signature, algorithm and expiry (against `now`).
    fn decode(&self, token: &str, now: DateTime<Utc>) -> std::result::Result<Claims, TokenError>;
}
