//! Entities of the authz domain.

use chrono::{DateTime, Utc};

/// An agent (user) of the system.
#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub phone_number: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub password_hash: String,
    pub criado_em: DateTime<Utc>,
    /// Ids of the groups the agent belongs to.
    pub groups: Vec<i64>,
    /// Tokens issued (`iat`) before this Unix second are refused: it moves forward when the
    /// password changes or the agent is deactivated (0 = never).
    pub tokens_not_before: i64,
}

/// Fields of a new agent (password already hashed).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewAgent {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub phone_number: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub password_hash: String,
    pub groups: Vec<i64>,
}

/// Changes to an agent; `None` leaves a field as it is.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentChanges {
    pub username: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub phone_number: Option<String>,
    pub is_active: Option<bool>,
    pub is_superuser: Option<bool>,
    pub password_hash: Option<String>,
    pub groups: Option<Vec<i64>>,
    /// Refuses every token issued so far (sets `tokens_not_before` past the current second).
    pub revoke_tokens: bool,
}

/// A permission group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub permissions: Vec<i64>,
}
