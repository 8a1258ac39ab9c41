//! ViaCEP: `GET {base}/ws/{cep}/json/`.

use std::time::Duration;

use async_trait::async_trait;
use kernel::cep::{CepAddress, CepError, CepLookup, normalize_cep};
use reqwest::StatusCode;
use serde_json::Value;

use crate::http::{
    DEFAULT_TIMEOUT, clean_base, default_http_client, parse_object, read_body, transport_error,
    unavailable,
};

const PROVIDER: &str = "viacep";

/// The contract's upstream. Unknown CEPs come back as HTTP 200 `{"erro": true}` (or
/// `"erro": "true"`, as ViaCEP answers today) and malformed ones as HTTP 400: both are
/// [`CepError::NotFound`]. Anything else that is not a JSON address — other statuses, garbage,
/// timeouts, connection errors — is [`CepError::Unavailable`].
#[derive(Debug, Clone)]
pub struct ViaCepLookup {
    client: reqwest::Client,
    base: String,
    timeout: Duration,
}

impl ViaCepLookup {
    pub const DEFAULT_BASE: &'static str = "https://viacep.com.br";

    /// The public service with the contract's 5 s timeout.
    pub fn new() -> Self {
        Self::with_base(Self::DEFAULT_BASE, DEFAULT_TIMEOUT)
    }

    /// Another base URL (a test server, a mirror) and timeout.
    pub fn with_base(base: impl Into<String>, timeout: Duration) -> Self {
        Self::with_client(default_http_client(), base, timeout)
    }

    /// Shares an existing client (connection pool).
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

impl Default for ViaCepLookup {
    fn default() -> Self {
        Self::new()
    }
}

/// `"erro": true` or `"erro": "true"` marks an unknown CEP.
fn is_erro(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    }
}

#[async_trait]
impl CepLookup for ViaCepLookup {
    async fn lookup(&self, cep8: &str) -> Result<CepAddress, CepError> {
        // Only 8 digits ever reach the URL.
        let cep = normalize_cep(cep8).ok_or(CepError::NotFound)?;
        let url = format!("{}/ws/{cep}/json/", self.base);
        let resp = self
            .client
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| transport_error(PROVIDER, &e))?;
        let status = resp.status();
        if status == StatusCode::BAD_REQUEST {
            return Err(CepError::NotFound);
        }
        if !status.is_success() {
            return Err(unavailable(PROVIDER, format_args!("HTTP {status}")));
        }
        let body = read_body(PROVIDER, resp).await?;
        let map = parse_object(PROVIDER, &body)?;
        if is_erro(map.get("erro")) {
            return Err(CepError::NotFound);
        }
        if !map.contains_key("cep") {
            return Err(unavailable(PROVIDER, "answer has no cep field"));
        }
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn erro_flag_variants() {
        assert!(is_erro(Some(&json!(true))));
        assert!(is_erro(Some(&json!("true"))));
        assert!(!is_erro(Some(&json!(false))));
        assert!(!is_erro(Some(&json!("false"))));
        assert!(!is_erro(None));
    }
}
