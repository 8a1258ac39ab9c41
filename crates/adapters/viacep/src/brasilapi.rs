//! BrasilAPI: `GET {base}/api/cep/v1/{cep}`, mapped into the ViaCEP shape.

use std::time::Duration;

use async_trait::async_trait;
use kernel::cep::{CepAddress, CepError, CepLookup, normalize_cep};
use reqwest::StatusCode;
use serde_json::{Map, Value};

use crate::http::{
    DEFAULT_TIMEOUT, clean_base, default_http_client, format_cep, parse_object, read_body,
    transport_error, unavailable,
};

const PROVIDER: &str = "brasilapi";

/// The fallback provider. Its answer
/// `{"cep":"01001000","state":"SP","city":"São Paulo","neighborhood":"Sé","street":"Praça da Sé",…}`
/// becomes the ViaCEP shape (`cep` formatted `"01001-000"`, `uf`, `localidade`, `bairro`,
/// `logradouro`); ViaCEP fields BrasilAPI does not have (`complemento`, `ibge`, `gia`, `ddd`,
/// `siafi`) are `""`. HTTP 404 (and 400, a malformed CEP) → [`CepError::NotFound`]; anything
/// else unexpected → [`CepError::Unavailable`].
#[derive(Debug, Clone)]
pub struct BrasilApiLookup {
    client: reqwest::Client,
    base: String,
    timeout: Duration,
}

impl BrasilApiLookup {
    pub const DEFAULT_BASE: &'static str = "https://brasilapi.com.br";

    pub fn new() -> Self {
        Self::with_base(Self::DEFAULT_BASE, DEFAULT_TIMEOUT)
    }

    pub fn with_base(base: impl Into<String>, timeout: Duration) -> Self {
        Self::with_client(default_http_client(), base, timeout)
    }

    pub fn with_client(
        client: reqwest::Client,
        base: impl Into<String>,
        timeout: Duration,
    ) -> Self {
        Self {
            client,
            base: clean_base(base),
            timeout,
        }
    }
}

impl Default for BrasilApiLookup {
    fn default() -> Self {
        Self::new()
    }
}

fn text(map: &Map<String, Value>, key: &str) -> Value {
    match map.get(key) {
        Some(Value::String(s)) => Value::String(s.trim().to_string()),
        _ => Value::String(String::new()),
    }
}

/// Maps a BrasilAPI v1 answer into the ViaCEP field names.
fn to_viacep_shape(requested: &str, src: &Map<String, Value>) -> CepAddress {
    let cep = src
        .get("cep")
        .and_then(Value::as_str)
        .and_then(normalize_cep)
        .unwrap_or_else(|| requested.to_string());
    let mut out = Map::new();
    out.insert("cep".into(), Value::String(format_cep(&cep)));
    out.insert("logradouro".into(), text(src, "street"));
    out.insert("complemento".into(), Value::String(String::new()));
    out.insert("bairro".into(), text(src, "neighborhood"));
    out.insert("localidade".into(), text(src, "city"));
    out.insert("uf".into(), text(src, "state"));
    for key in ["ibge", "gia", "ddd", "siafi"] {
        out.insert(key.into(), Value::String(String::new()));
    }
    out
}

#[async_trait]
impl CepLookup for BrasilApiLookup {
    async fn lookup(&self, cep8: &str) -> Result<CepAddress, CepError> {
        let cep = normalize_cep(cep8).ok_or(CepError::NotFound)?;
        let url = format!("{}/api/cep/v1/{cep}", self.base);
        let resp = self
            .client
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| transport_error(PROVIDER, &e))?;
        let status = resp.status();
        if status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST {
            return Err(CepError::NotFound);
        }
        if !status.is_success() {
            return Err(unavailable(PROVIDER, format_args!("HTTP {status}")));
        }
        let body = read_body(PROVIDER, resp).await?;
        let map = parse_object(PROVIDER, &body)?;
        if !map.contains_key("cep") && !map.contains_key("city") {
            return Err(unavailable(PROVIDER, "answer is not an address"));
        }
        Ok(to_viacep_shape(&cep, &map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_fields_and_fills_missing() {
        let src = json!({"cep":"01001000","state":"SP","city":"São Paulo","neighborhood":null,
            "street":"Praça da Sé","service":"open-cep"});
        let Value::Object(src) = src else {
            panic!("object")
        };
        let out = to_viacep_shape("01001000", &src);
        assert_eq!(out["cep"], "01001-000");
        assert_eq!(out["uf"], "SP");
        assert_eq!(out["localidade"], "São Paulo");
        assert_eq!(out["bairro"], "");
        assert_eq!(out["logradouro"], "Praça da Sé");
        assert_eq!(out["ibge"], "");
        assert!(!out.contains_key("service"));
    }

    #[test]
    fn bad_cep_in_answer_uses_requested() {
        let Value::Object(src) = json!({"cep":"x","city":"Y"}) else {
            panic!("object")
        };
        assert_eq!(to_viacep_shape("20040020", &src)["cep"], "20040-020");
    }
}
