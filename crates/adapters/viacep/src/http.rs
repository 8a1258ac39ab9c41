//! Helpers shared by the HTTP providers: client, bounded body reading, error mapping.

use std::fmt::Display;
use std::time::Duration;

use kernel::cep::CepError;

/// The contract's upstream timeout (§4.10).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// A provider's answer is a small JSON object; anything larger is garbage.
const MAX_BODY_BYTES: usize = 64 * 1024;

const USER_AGENT: &str = concat!("dx-connect/", env!("CARGO_PKG_VERSION"));

/// Installs rustls' ring provider as the process default, which reqwest (built with
/// `rustls-no-provider`) needs before any client is built: one TLS stack in the tree, the one
/// sqlx already uses. Idempotent; call it at start-up (and before building a client in tests).
pub fn install_tls_provider() {
    // Err only means a provider is already installed, which is all we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client suitable for both providers (connection pooling, our user agent). The per-request
/// timeout is set by each lookup, so one client can be shared.
pub fn default_http_client() -> reqwest::Client {
    install_tls_provider();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(DEFAULT_TIMEOUT)
        .build()
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "custom HTTP client failed to build, using the default");
            reqwest::Client::new()
        })
}

/// `"01001000"` → `"01001-000"`; other inputs are returned unchanged.
pub fn format_cep(cep8: &str) -> String {
    if cep8.len() == 8 && cep8.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}", &cep8[..5], &cep8[5..])
    } else {
        cep8.to_string()
    }
}

pub(crate) fn unavailable(provider: &str, cause: impl Display) -> CepError {
    CepError::Unavailable(format!("{provider}: {cause}"))
}

/// Maps a transport error, telling timeouts apart in the message (for the log).
pub(crate) fn transport_error(provider: &str, e: &reqwest::Error) -> CepError {
    if e.is_timeout() {
        unavailable(provider, "timed out")
    } else {
        unavailable(provider, e)
    }
}

/// Reads the body, refusing more than [`MAX_BODY_BYTES`].
pub(crate) async fn read_body(
    provider: &str,
    mut resp: reqwest::Response,
) -> Result<Vec<u8>, CepError> {
    let mut buf = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| transport_error(provider, &e))?
    {
        if buf.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(unavailable(provider, "response body too large"));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// Parses a JSON object body.
pub(crate) fn parse_object(
    provider: &str,
    body: &[u8],
) -> Result<serde_json::Map<String, serde_json::Value>, CepError> {
    match serde_json::from_slice(body) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(unavailable(provider, "response is not a JSON object")),
        Err(e) => Err(unavailable(provider, format_args!("invalid JSON: {e}"))),
    }
}

/// Trims a trailing slash so `{base}/path` never has `//`.
pub(crate) fn clean_base(base: impl Into<String>) -> String {
    let mut base = base.into();
    while base.ends_with('/') {
        base.pop();
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_cep() {
        assert_eq!(format_cep("01001000"), "01001-000");
        assert_eq!(format_cep("0100100"), "0100100");
    }

    #[test]
    fn trims_base() {
        assert_eq!(clean_base("http://x/"), "http://x");
        assert_eq!(clean_base("http://x"), "http://x");
    }
}
