//! The authz request bodies: their OpenAPI types, and their parsing into the domain's typed
//! commands with the contract's DRF-style field errors (contract §4.1, §4.11, §4.13).
//!
//! The schema limits are the domain's value-object constants; a test below checks that the
//! generated schema states the same numbers, so the two cannot drift.

use authz::commands::{
    CreateAgent, CreateGroup, DISPLAY_NAME_MAX_CHARS, GroupName, LoginCommand,
    PHONE_NUMBER_MAX_CHARS, Password, PermissionIds, RefreshCommand, SetAgentGroups, UpdateAgent,
    UpdateGroup, Username,
};
use kernel::input::Input;
use kernel::values::Email;
use kernel::{DomainError, FieldErrors, Result, messages as m};
use serde_json::Value;
use utoipa::ToSchema;

/// `POST /auth/token/`.
#[derive(serde::Deserialize, ToSchema)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

/// `POST /auth/refresh/`.
#[derive(serde::Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh: String,
}

/// A group (`POST`, `PUT`, `PATCH /authz/groups/`).
#[derive(serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct GroupIn {
    #[schema(min_length = 1, max_length = 150, pattern = r"\S")]
    pub name: String,
    pub permissions: Option<Vec<i64>>,
}

/// `PATCH /authz/agents/{id}/groups/`.
#[derive(serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct GroupIdsIn {
    pub group_ids: Vec<i64>,
}

/// An agent (`POST`, `PATCH /authz/agents/`).
#[derive(serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct AgentIn {
    #[schema(min_length = 1, max_length = 150, pattern = r"^[\w.@+-]+$")]
    pub username: String,
    /// Write-only; at least 8 characters; required on create.
    #[schema(min_length = 8)]
    pub password: Option<String>,
    #[schema(format = Email)]
    pub email: Option<String>,
    #[schema(max_length = 150)]
    pub display_name: Option<String>,
    #[schema(max_length = 30)]
    pub phone_number: Option<String>,
    pub is_active: Option<bool>,
    pub is_superuser: Option<bool>,
    pub group_ids: Option<Vec<i64>>,
}

/// The login body: non-blank `username` and `password` (numbers are taken as text; the
/// username is trimmed, the password is not). `body` may be any JSON value: a non-object has
/// neither field.
pub fn login(body: &Value, client: &str) -> Result<LoginCommand> {
    let mut errors = FieldErrors::new();
    let mut get = |k: &str| match body.get(k) {
        Some(Value::String(s)) if s.contains('\0') => {
            errors.add(k, m::NULL_CHARACTERS);
            None
        }
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::String(_)) => {
            errors.add(k, m::BLANK);
            None
        }
        Some(Value::Null) => {
            errors.add(k, m::NULL);
            None
        }
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            errors.add(k, m::NOT_A_STRING);
            None
        }
        None => {
            errors.add(k, m::REQUIRED);
            None
        }
    };
    let username = get("username");
    let password = get("password");
    errors.into_result()?;
    match (username, password) {
        (Some(u), Some(password)) => Ok(LoginCommand {
            username: u.trim().to_string(),
            password,
            client: client.to_string(),
        }),
        _ => Err(DomainError::internal("credentials")),
    }
}

/// The refresh body: a non-blank `refresh` token (trimmed).
pub fn refresh(body: &Value) -> Result<RefreshCommand> {
    let refresh = match body.get("refresh") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::String(_)) => return Err(DomainError::field("refresh", m::BLANK)),
        Some(Value::Null) => return Err(DomainError::field("refresh", m::NULL)),
        Some(_) => return Err(DomainError::field("refresh", m::NOT_A_STRING)),
        None => return Err(DomainError::field("refresh", m::REQUIRED)),
    };
    Ok(RefreshCommand { refresh })
}

/// An agent body that did not parse: its field errors, and the `group_ids` that did parse
/// (the use case adds the unknown ones to the errors, as DRF reports every field at once).
#[derive(Debug)]
pub struct InvalidAgent {
    pub errors: FieldErrors,
    pub group_ids: Option<Vec<i64>>,
}

/// The fields of an agent body, each `None` when absent or refused.
struct AgentFields {
    username: Option<Username>,
    password: Option<Password>,
    /// `Some(None)`: blank.
    email: Option<Option<Email>>,
    display_name: Option<String>,
    phone_number: Option<String>,
    is_active: Option<bool>,
    is_superuser: Option<bool>,
    group_ids: Option<Vec<i64>>,
}

fn agent_fields(input: &Input, errors: &mut FieldErrors) -> AgentFields {
    let username = input
        .text("username", Some(Username::MAX_CHARS), false, errors)
        .and_then(|u| match Username::parse(&u) {
            Ok(u) => Some(u),
            Err(msg) => {
                errors.add("username", msg);
                None
            }
        });
    // Passwords are taken exactly as sent: not trimmed, and never coerced from numbers.
    let password = match input.raw("password") {
        Some(Value::String(p)) => match Password::parse(p) {
            Ok(p) => Some(p),
            Err(msg) => {
                errors.add("password", msg);
                None
            }
        },
        Some(Value::Null) => {
            errors.add("password", m::NULL);
            None
        }
        Some(_) => {
            errors.add("password", m::NOT_A_STRING);
            None
        }
        None => None,
    };
    let email = input
        .email("email", false, true, errors)
        .flatten()
        .and_then(|e| {
            if e.is_empty() {
                return Some(None);
            }
            match Email::parse(&e) {
                Ok(e) => Some(Some(e)),
                Err(msg) => {
                    errors.add("email", msg);
                    None
                }
            }
        });
    AgentFields {
        username,
        password,
        email,
        display_name: input.text("display_name", Some(DISPLAY_NAME_MAX_CHARS), true, errors),
        phone_number: input.text("phone_number", Some(PHONE_NUMBER_MAX_CHARS), true, errors),
        is_active: input.boolean("is_active", errors),
        is_superuser: input.boolean("is_superuser", errors),
        group_ids: input.int_list("group_ids", errors),
    }
}

/// `POST /authz/agents/`: `username` and `password` are required; an agent is active and
/// not a superuser unless told otherwise.
pub fn create_agent(input: &Input) -> std::result::Result<CreateAgent, InvalidAgent> {
    let mut errors = FieldErrors::new();
    input.require(&["username", "password"], &mut errors);
    let f = agent_fields(input, &mut errors);
    match (f.username, f.password) {
        (Some(username), Some(password)) if errors.is_empty() => Ok(CreateAgent {
            username,
            password,
            email: f.email.flatten(),
            display_name: f.display_name.unwrap_or_default(),
            phone_number: f.phone_number.unwrap_or_default(),
            is_active: f.is_active.unwrap_or(true),
            is_superuser: f.is_superuser.unwrap_or(false),
            group_ids: f.group_ids.unwrap_or_default(),
        }),
        _ => Err(InvalidAgent {
            errors,
            group_ids: f.group_ids,
        }),
    }
}

/// `PATCH /authz/agents/{id}/`: any of the fields.
pub fn update_agent(input: &Input) -> std::result::Result<UpdateAgent, InvalidAgent> {
    let mut errors = FieldErrors::new();
    let f = agent_fields(input, &mut errors);
    if !errors.is_empty() {
        return Err(InvalidAgent {
            errors,
            group_ids: f.group_ids,
        });
    }
    Ok(UpdateAgent {
        username: f.username,
        password: f.password,
        email: f.email,
        display_name: f.display_name,
        phone_number: f.phone_number,
        is_active: f.is_active,
        is_superuser: f.is_superuser,
        group_ids: f.group_ids,
    })
}

fn group_fields(
    input: &Input,
    errors: &mut FieldErrors,
) -> (Option<GroupName>, Option<PermissionIds>) {
    let name = input
        .text("name", Some(GroupName::MAX_CHARS), false, errors)
        .and_then(|n| GroupName::parse(&n));
    let permissions =
        input
            .int_list("permissions", errors)
            .and_then(|ids| match PermissionIds::parse(&ids) {
                Ok(p) => Some(p),
                Err(bad) => {
                    errors.add("permissions", m::invalid_pk(&bad.to_string()));
                    None
                }
            });
    (name, permissions)
}

/// `POST /authz/groups/`: `name` is required; permissions default to none.
pub fn create_group(input: &Input) -> std::result::Result<CreateGroup, FieldErrors> {
    let mut errors = FieldErrors::new();
    input.require(&["name"], &mut errors);
    let (name, permissions) = group_fields(input, &mut errors);
    match name {
        Some(name) if errors.is_empty() => Ok(CreateGroup {
            name,
            permissions: permissions.unwrap_or_default(),
        }),
        _ => Err(errors),
    }
}

/// `PUT` (`full`: `name` required, permissions default to none) or `PATCH` (either key) of
/// a group.
pub fn update_group(input: &Input, full: bool) -> std::result::Result<UpdateGroup, FieldErrors> {
    let mut errors = FieldErrors::new();
    if full {
        input.require(&["name"], &mut errors);
    }
    let (name, permissions) = group_fields(input, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let permissions = if full {
        Some(permissions.unwrap_or_default())
    } else {
        permissions
    };
    Ok(UpdateGroup { name, permissions })
}

/// `PATCH /authz/agents/{id}/groups/`: `group_ids` is required.
pub fn set_agent_groups(input: &Input) -> std::result::Result<SetAgentGroups, FieldErrors> {
    let mut errors = FieldErrors::new();
    input.require(&["group_ids"], &mut errors);
    let ids = input.int_list("group_ids", &mut errors);
    match ids {
        Some(group_ids) if errors.is_empty() => Ok(SetAgentGroups { group_ids }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use authz::commands::{PASSWORD_SHORT, USERNAME_INVALID};
    use serde_json::json;

    fn input(v: Value) -> Input {
        Input::json(v.as_object().cloned().unwrap())
    }

    fn errors<T: std::fmt::Debug>(r: std::result::Result<T, FieldErrors>) -> Value {
        r.unwrap_err().into_json()
    }

    fn validation<T: std::fmt::Debug>(r: Result<T>) -> Value {
        match r.unwrap_err() {
            DomainError::Validation(e) => e.into_json(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn login_needs_both_fields_as_text() {
        let c = login(&json!({"username":" maria ","password":" s "}), "1.2.3.4").unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str(), c.client.as_str()),
            ("maria", " s ", "1.2.3.4")
        );
        let c = login(&json!({"username":12,"password":34}), "ip").unwrap();
        assert_eq!((c.username.as_str(), c.password.as_str()), ("12", "34"));
        assert_eq!(
            validation(login(&json!({}), "ip")),
            json!({"username":[m::REQUIRED],"password":[m::REQUIRED]})
        );
        assert_eq!(
            validation(login(&json!([1]), "ip")),
            json!({"username":[m::REQUIRED],"password":[m::REQUIRED]})
        );
        assert_eq!(
            validation(login(&json!({"username":" ","password":null}), "ip")),
            json!({"username":[m::BLANK],"password":[m::NULL]})
        );
        assert_eq!(
            validation(login(&json!({"username":"a\u{0}","password":[]}), "ip")),
            json!({"username":[m::NULL_CHARACTERS],"password":[m::NOT_A_STRING]})
        );
    }

    #[test]
    fn refresh_needs_a_token() {
        assert_eq!(refresh(&json!({"refresh":" r "})).unwrap().refresh, "r");
        for (body, msg) in [
            (json!({}), m::REQUIRED),
            (json!({"refresh":""}), m::BLANK),
            (json!({"refresh":null}), m::NULL),
            (json!({"refresh":1}), m::NOT_A_STRING),
        ] {
            assert_eq!(validation(refresh(&body)), json!({ "refresh": [msg] }));
        }
    }

    #[test]
    fn agent_bodies() {
        let a = create_agent(&input(json!({
            "username":"ana","password":"12345678","email":"a@x.com","group_ids":[1]
        })))
        .unwrap();
        assert_eq!(a.username.as_str(), "ana");
        assert_eq!(a.email.as_ref().map(Email::as_str), Some("a@x.com"));
        assert!(a.is_active && !a.is_superuser);
        assert_eq!(a.group_ids, [1]);
        let bad = create_agent(&input(json!({
            "username":"a b","password":"123","email":"x","group_ids":[9]
        })))
        .unwrap_err();
        assert_eq!(
            bad.errors.into_json(),
            json!({"username":[USERNAME_INVALID],"password":[PASSWORD_SHORT],"email":[m::EMAIL]})
        );
        assert_eq!(bad.group_ids, Some(vec![9]));
        assert_eq!(
            create_agent(&input(json!({})))
                .unwrap_err()
                .errors
                .into_json(),
            json!({"username":[m::REQUIRED],"password":[m::REQUIRED]})
        );
        assert_eq!(
            create_agent(&input(json!({"username":"ana","password":12345678})))
                .unwrap_err()
                .errors
                .into_json(),
            json!({"password":[m::NOT_A_STRING]})
        );
        let u = update_agent(&input(json!({"email":"","display_name":"Ana"}))).unwrap();
        assert_eq!(u.email, Some(None));
        assert_eq!(u.display_name.as_deref(), Some("Ana"));
        assert!(u.username.is_none() && u.password.is_none() && u.group_ids.is_none());
        let bad = update_agent(&input(
            json!({"is_active":"talvez","phone_number":"9".repeat(31)}),
        ))
        .unwrap_err();
        assert_eq!(
            bad.errors.into_json(),
            json!({"is_active":[m::BOOLEAN],"phone_number":[m::max_length(30)]})
        );
    }

    #[test]
    fn group_bodies() {
        let g = create_group(&input(json!({"name":" Gerente ","permissions":[3,1,1]}))).unwrap();
        assert_eq!(g.name.as_str(), "Gerente");
        assert_eq!(g.permissions.as_slice(), [1, 3]);
        assert_eq!(
            errors(create_group(&input(json!({"permissions":[9999]})))),
            json!({"name":[m::REQUIRED],"permissions":["Pk inválido \"9999\" - objeto não existe."]})
        );
        let put = update_group(&input(json!({"name":"G"})), true).unwrap();
        assert_eq!(put.permissions, Some(PermissionIds::default()));
        let patch = update_group(&input(json!({"permissions":[1]})), false).unwrap();
        assert!(patch.name.is_none());
        assert_eq!(
            errors(update_group(&input(json!({"permissions":[1]})), true)),
            json!({"name":[m::REQUIRED]})
        );
        assert_eq!(
            errors(update_group(&input(json!({"name":""})), false)),
            json!({"name":[m::BLANK]})
        );
        assert_eq!(
            set_agent_groups(&input(json!({"group_ids":[2,77]})))
                .unwrap()
                .group_ids,
            [2, 77]
        );
        assert_eq!(
            errors(set_agent_groups(&input(json!({})))),
            json!({"group_ids":[m::REQUIRED]})
        );
        assert_eq!(
            errors(set_agent_groups(&input(json!({"group_ids":"1"})))),
            json!({"group_ids":["Esperado uma lista de itens mas recebido tipo \"str\"."]})
        );
    }

    /// The limits the OpenAPI schema states are the ones the parsing applies.
    #[test]
    fn schema_limits_are_the_domain_limits() {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{Object, Schema};
        fn properties(s: RefOr<Schema>) -> Object {
            match s {
                RefOr::T(Schema::Object(o)) => o,
                _ => panic!("not an object schema"),
            }
        }
        let prop = |o: &Object, name: &str| match o.properties.get(name) {
            Some(RefOr::T(Schema::Object(p))) => p.clone(),
            _ => panic!("{name} is not an object property"),
        };
        let agent = properties(<AgentIn as utoipa::PartialSchema>::schema());
        let username = prop(&agent, "username");
        assert_eq!(username.max_length, Some(Username::MAX_CHARS));
        assert_eq!(username.pattern.as_deref(), Some(Username::PATTERN));
        assert_eq!(
            prop(&agent, "password").min_length,
            Some(Password::MIN_CHARS)
        );
        assert_eq!(
            prop(&agent, "display_name").max_length,
            Some(DISPLAY_NAME_MAX_CHARS)
        );
        assert_eq!(
            prop(&agent, "phone_number").max_length,
            Some(PHONE_NUMBER_MAX_CHARS)
        );
        let group = properties(<GroupIn as utoipa::PartialSchema>::schema());
        assert_eq!(prop(&group, "name").max_length, Some(GroupName::MAX_CHARS));
    }
}
