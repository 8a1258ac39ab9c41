//! Field errors (the contract's `{"field":["msg"]}` bodies) and the domain error shared by every
//! domain crate. The HTTP layer maps `DomainError` to status codes and bodies in one place.

use serde_json::{Map, Value};

/// Validation errors keyed by field. Values are either a list of messages or a nested
/// `FieldErrors` (for nested objects such as `endereco`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldErrors {
    map: Map<String, Value>,
}

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Single-message error on one field.
    pub fn single(field: &str, msg: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, msg);
        e
    }

    /// Appends a message to `field`.
    pub fn add(&mut self, field: &str, msg: impl Into<String>) {
        let entry = self
            .map
            .entry(field.to_string())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(msg.into()));
        }
    }

    /// Stores nested errors under `field` (no-op when `nested` is empty).
    pub fn nest(&mut self, field: &str, nested: FieldErrors) {
        if !nested.is_empty() {
            self.map
                .insert(field.to_string(), Value::Object(nested.map));
        }
    }

    /// Sets a raw value (used for the few contract bodies whose value is a bare string).
    pub fn set_raw(&mut self, field: &str, value: Value) {
        self.map.insert(field.to_string(), value);
    }

    /// Merges another set of errors into this one.
    pub fn merge(&mut self, other: FieldErrors) {
        for (k, v) in other.map {
            self.map.insert(k, v);
        }
    }

    pub fn has(&self, field: &str) -> bool {
        self.map.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// `Ok(())` when empty, else `Err(DomainError::Validation(self))`.
    pub fn into_result(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self))
        }
    }

    pub fn to_json(&self) -> Value {
        Value::Object(self.map.clone())
    }

    pub fn into_json(self) -> Value {
        Value::Object(self.map)
    }
}

/// Why a CEP could not be resolved (contract §4.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CepFailure {
    /// Not eight digits; carries what the caller sent.
    Invalid(String),
    /// No provider knows it.
    NotFound,
    /// Every provider failed.
    Unavailable,
}

/// The error every domain use case returns. Each variant names what went wrong and carries
/// no HTTP status: `apps/server/src/http/error.rs` alone turns them into statuses and bodies.
/// Internal causes are kept for the log and never sent to clients.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// A lookup missed the model named (`"Cliente"`, …).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A lookup missed, explained by a message of the use case's own.
    #[error("not found: {0}")]
    NotFoundMsg(String),
    /// The requested page of a list does not exist.
    #[error("invalid page")]
    InvalidPage,
    /// Field validation failed (the contract's `{"field":["msg"]}` errors).
    #[error("validation failed: {0:?}")]
    Validation(FieldErrors),
    /// The request breaks a rule of the use case; the message says which (an `error` message
    /// in the contract).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The operation is refused because of the state it would leave (the last active
    /// superuser, a file that is not an image…); the message says why (a `detail` message in
    /// the contract).
    #[error("refused: {0}")]
    Refused(String),
    /// Login with a wrong username or password (or an inactive account).
    #[error("bad credentials")]
    BadCredentials,
    /// A token that is malformed, expired, revoked or of the wrong kind; the message says
    /// which.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// The caller may not do this: generic (`None`) or with the use case's own message.
    #[error("forbidden")]
    Forbidden(Option<String>),
    /// A uniqueness or state conflict.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The resource is not in a state that allows the operation yet (a WhatsApp session
    /// that is not ready, say).
    #[error("locked: {0}")]
    Locked(String),
    /// Too many attempts; retry after the given seconds.
    #[error("throttled for {0}s")]
    Throttled(u64),
    /// A CEP could not be resolved.
    #[error("cep: {0:?}")]
    Cep(CepFailure),
    /// An upstream dependency (a gateway, a provider) failed; the message names it.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or infrastructure failure: logged with its source chain, rendered as a generic
    /// 500.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl DomainError {
    pub fn field(field: &str, msg: impl Into<String>) -> Self {
        DomainError::Validation(FieldErrors::single(field, msg))
    }

    /// An internal failure caused by `e`, kept as the source (so its chain reaches the log); a
    /// `String` or `&str` makes a message-only cause.
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        DomainError::Internal(e.into())
    }
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;

/// Convenience to build a JSON object from `(key, value)` pairs.
pub fn object(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(k.to_string(), v);
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_collect_and_nest() {
        let mut e = FieldErrors::new();
        assert!(e.is_empty());
        e.add("cnpj", "CNPJ inválido");
        e.add("cnpj", "outro");
        let mut inner = FieldErrors::new();
        inner.add("cep", "x");
        e.nest("endereco", inner);
        e.nest("vazio", FieldErrors::new());
        assert_eq!(
            e.to_json(),
            serde_json::json!({"cnpj":["CNPJ inválido","outro"],"endereco":{"cep":["x"]}})
        );
        assert!(matches!(e.into_result(), Err(DomainError::Validation(_))));
        assert!(FieldErrors::new().into_result().is_ok());
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn internal_keeps_the_source_chain() {
        use std::error::Error;
        let e = DomainError::internal(Outer(std::io::Error::other("disk on fire")));
        let first = e.source().expect("the cause");
        assert_eq!(first.to_string(), "outer");
        assert_eq!(
            first.source().expect("its cause").to_string(),
            "disk on fire"
        );
        let msg = DomainError::internal("plain message");
        assert_eq!(msg.source().expect("message").to_string(), "plain message");
    }
}
