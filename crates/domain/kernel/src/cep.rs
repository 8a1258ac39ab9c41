//! CEP lookup: the port every provider adapter implements, and the rule shared by them all.

use async_trait::async_trait;
use serde_json::{Map, Value};

/// An address as the provider returned it (ViaCEP field names: `cep`, `logradouro`,
/// `complemento`, `bairro`, `localidade`, `uf`, `ibge`, `gia`, `ddd`, `siafi`, ...).
pub type CepAddress = Map<String, Value>;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CepError {
    /// The provider answered that this CEP does not exist.
    #[error("CEP not found")]
    NotFound,
    /// The provider failed, timed out or answered garbage.
    #[error("CEP provider unavailable: {0}")]
    Unavailable(String),
}

/// Looks up an 8-digit CEP (digits only).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CepLookup: Send + Sync {
    async fn lookup(&self, cep8: &str) -> Result<CepAddress, CepError>;
}

/// Strips non-digits; `None` unless exactly 8 digits remain.
pub fn normalize_cep(raw: &str) -> Option<String> {
    let d: String = raw.chars().filter(char::is_ascii_digit).collect();
    (d.len() == 8).then_some(d)
}

/// Adds the contract's `cidade` (= localidade) and `estado` (= uf) aliases.
pub fn with_aliases(mut addr: CepAddress) -> CepAddress {
    if let Some(v) = addr.get("localidade").cloned() {
        addr.insert("cidade".into(), v);
    }
    if let Some(v) = addr.get("uf").cloned() {
        addr.insert("estado".into(), v);
    }
    addr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize() {
        assert_eq!(normalize_cep("01001-000").as_deref(), Some("01001000"));
        assert_eq!(normalize_cep("0100100"), None);
        assert_eq!(normalize_cep("abc"), None);
    }

    #[test]
    fn aliases() {
        let mut m = Map::new();
        m.insert("localidade".into(), "São Paulo".into());
        m.insert("uf".into(), "SP".into());
        let m = with_aliases(m);
        assert_eq!(m["cidade"], "São Paulo");
        assert_eq!(m["estado"], "SP");
    }
}
