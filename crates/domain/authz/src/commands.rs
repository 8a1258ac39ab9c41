//! Typed commands of the authz use cases and the value objects they are made of. The edge
//! (`apps/server`) parses the wire into these; the use cases never see a JSON body.

use crate::permissions;
use kernel::values::Email;
use regex::Regex;
use std::sync::LazyLock;

static USERNAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[\w.@+-]+$").expect("regex"));

pub const USERNAME_INVALID: &str = "Informe um nome de usuário válido. Este valor pode conter apenas letras, números e os seguintes caracteres @/./+/-/_.";
pub const PASSWORD_SHORT: &str =
    "Esta senha é muito curta. Ela precisa conter pelo menos 8 caracteres.";

/// A valid agent username: 1 to [`Username::MAX_CHARS`] characters of `[\w.@+-]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_CHARS: usize = 150;
    /// The pattern, as the OpenAPI schema states it.
    pub const PATTERN: &'static str = r"^[\w.@+-]+$";

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.chars().count() <= Self::MAX_CHARS && USERNAME.is_match(s) {
            Ok(Self(s.to_string()))
        } else {
            Err(USERNAME_INVALID)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A new password in clear: at least [`Password::MIN_CHARS`] characters. Only its hash is
/// ever stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub const MIN_CHARS: usize = 8;

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.chars().count() < Self::MIN_CHARS {
            Err(PASSWORD_SHORT)
        } else {
            Ok(Self(s.to_string()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// `POST /auth/token/`: credentials as given (any non-blank text: the login never says
/// which part was wrong), and the caller's address for throttling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCommand {
    pub username: String,
    pub password: String,
    pub client: String,
}

/// `POST /auth/refresh/`: a non-blank refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshCommand {
    pub refresh: String,
}

/// Lengths of the agent's free-text fields.
pub const DISPLAY_NAME_MAX_CHARS: usize = 150;
pub const PHONE_NUMBER_MAX_CHARS: usize = 30;

/// A new agent. `email: None` stores a blank e-mail. `group_ids` are checked to exist by the
/// use case.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateAgent {
    pub username: Username,
    pub password: Password,
    pub email: Option<Email>,
    pub display_name: String,
    pub phone_number: String,
    pub is_active: bool,
    pub is_superuser: bool,
    pub group_ids: Vec<i64>,
}

/// Changes to an agent; `None` leaves a field as it is, `email: Some(None)` blanks it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UpdateAgent {
    pub username: Option<Username>,
    pub password: Option<Password>,
    pub email: Option<Option<Email>>,
    pub display_name: Option<String>,
    pub phone_number: Option<String>,
    pub is_active: Option<bool>,
    pub is_superuser: Option<bool>,
    pub group_ids: Option<Vec<i64>>,
}

/// A group name: non-blank, at most [`GroupName::MAX_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName(String);

impl GroupName {
    pub const MAX_CHARS: usize = 150;

    /// `None` for a blank or overlong name.
    pub fn parse(s: &str) -> Option<Self> {
        let n = s.chars().count();
        (n > 0 && n <= Self::MAX_CHARS && !s.trim().is_empty()).then(|| Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Ids of permissions of the fixed table, sorted and without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PermissionIds(Vec<i64>);

impl PermissionIds {
    /// `Err(id)` names the first id that is not a permission.
    pub fn parse(ids: &[i64]) -> Result<Self, i64> {
        if let Some(bad) = ids.iter().find(|i| permissions::by_id(**i).is_none()) {
            return Err(*bad);
        }
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        Ok(Self(ids))
    }

    pub fn as_slice(&self) -> &[i64] {
        &self.0
    }
}

/// A new group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateGroup {
    pub name: GroupName,
    pub permissions: PermissionIds,
}

/// Changes to a group; `None` leaves a field as it is. A `PUT` is a change of both (its
/// permissions default to none at the edge).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateGroup {
    pub name: Option<GroupName>,
    pub permissions: Option<PermissionIds>,
}

/// Replaces an agent's memberships (ids of unknown groups are ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAgentGroups {
    pub group_ids: Vec<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_objects_validate() {
        assert_eq!(Username::parse("ana.b@x+1").unwrap().as_str(), "ana.b@x+1");
        assert_eq!(Username::parse("a b"), Err(USERNAME_INVALID));
        assert_eq!(Username::parse(""), Err(USERNAME_INVALID));
        assert!(Username::parse(&"a".repeat(151)).is_err());
        assert_eq!(Password::parse("1234567").unwrap_err(), PASSWORD_SHORT);
        assert_eq!(Password::parse("12345678").unwrap().expose(), "12345678");
        assert_eq!(
            format!("{:?}", Password::parse("segredo!").unwrap()),
            "Password(***)"
        );
        assert!(GroupName::parse(" ").is_none());
        assert!(GroupName::parse(&"g".repeat(151)).is_none());
        assert_eq!(PermissionIds::parse(&[3, 1, 1]).unwrap().as_slice(), [1, 3]);
        assert_eq!(PermissionIds::parse(&[1, 9999]), Err(9999));
    }
}
