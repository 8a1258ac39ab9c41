//! What both real gateways share: the HTTP client, bounded bodies, webhook signatures and
//! constant-time comparison of secrets.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::time::Duration;

/// Most bytes of a downloaded media file (WhatsApp's own limit is 100 MB for documents).
pub const MEDIA_MAX_BYTES: usize = 100 * 1024 * 1024;
/// A gateway call that takes longer fails (and is retried where that is safe).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(15);
/// A media download may take longer.
pub const MEDIA_TIMEOUT: Duration = Duration::from_secs(120);

/// The client both gateways use: rustls with ring (installed as the process default here,
/// as reqwest is built without a provider of its own), connection pooling, a connect
/// timeout; each call sets its own timeout.
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("dx-connect/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(5))
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Reads a response body up to `max` bytes (`None` beyond).
pub async fn read_bounded(mut resp: reqwest::Response, max: usize) -> Option<Vec<u8>> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return None;
    }
    let mut buf = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        if buf.len() + chunk.len() > max {
            return None;
        }
        buf.extend_from_slice(&chunk);
    }
    Some(buf)
}

/// `a == b` in time that depends only on the lengths.
pub fn secrets_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

type HmacSha256 = Hmac<Sha256>;

/// `sha256=<hex of HMAC-SHA256(key, body)>`, the form of Meta's `X-Hub-Signature-256`.
pub fn meta_signature(key: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` is the signature of `body` under `key` (compared in constant time).
pub fn meta_signature_valid(key: &[u8], header: Option<&str>, body: &[u8]) -> bool {
    let Some(given) = header
        .map(str::trim)
        .and_then(|h| h.strip_prefix("sha256="))
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// The text of a `data:…;base64,` URL's payload, or the text itself.
pub fn strip_data_url(s: &str) -> &str {
    match s.split_once(";base64,") {
        Some((head, rest)) if head.starts_with("data:") => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_the_exact_body_and_key() {
        let body = br#"{"object":"whatsapp_business_account"}"#;
        let sig = meta_signature(b"app-secret", body);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert!(meta_signature_valid(b"app-secret", Some(&sig), body));
        assert!(!meta_signature_valid(b"other", Some(&sig), body));
        assert!(!meta_signature_valid(b"app-secret", Some(&sig), b"{}"));
        assert!(!meta_signature_valid(b"app-secret", None, body));
        assert!(!meta_signature_valid(b"app-secret", Some("sha1=00"), body));
        assert!(!meta_signature_valid(
            b"app-secret",
            Some("sha256=zz"),
            body
        ));
    }

    #[test]
    fn secrets_compare_by_content() {
        assert!(secrets_equal(b"abc", b"abc"));
        assert!(!secrets_equal(b"abc", b"abd"));
        assert!(!secrets_equal(b"abc", b"abcd"));
        assert!(secrets_equal(b"", b""));
    }

    #[test]
    fn data_urls_lose_their_header() {
        assert_eq!(strip_data_url("data:image/png;base64,iVBOR"), "iVBOR");
        assert_eq!(strip_data_url("iVBOR"), "iVBOR");
    }
}
