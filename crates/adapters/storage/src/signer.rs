//! Signed, expiring media links (contract §4.13: customer files need a Bearer token or a
//! signed link; appearance files stay public).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Label mixed into the key so a secret shared with other uses (e.g. JWT signing) yields
/// signatures that are only valid as media links.
const KEY_CONTEXT: &[u8] = b"dx-connect media url v1";

/// Files under this prefix are served without authentication.
const PUBLIC_PREFIX: &str = "appearance/";

/// True when `path` (relative to the media root, optionally with a leading `/`) is public:
/// under `appearance/` and free of `..` components.
pub fn is_public(path: &str) -> bool {
    let path = path.strip_prefix('/').unwrap_or(path);
    path.starts_with(PUBLIC_PREFIX) && !path.split(['/', '\\']).any(|c| c == "..")
}

/// Signs and verifies `exp=<unix>&sig=<base64url HMAC-SHA256>` links for media paths. The
/// signature covers the path (relative to the media root, leading `/` ignored) and the expiry.
#[derive(Clone)]
pub struct MediaUrlSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for MediaUrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MediaUrlSigner { key: <redacted> }")
    }
}

impl MediaUrlSigner {
    /// `secret` is any byte string (e.g. the server's secret key); a dedicated key is derived
    /// from it.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        let key = match HmacSha256::new_from_slice(secret.as_ref()) {
            Ok(mut mac) => {
                mac.update(KEY_CONTEXT);
                mac.finalize().into_bytes().to_vec()
            }
            // HMAC accepts keys of any length; keep the raw secret if that ever changes.
            Err(_) => secret.as_ref().to_vec(),
        };
        Self { key }
    }

    fn mac(&self, path: &str, exp_unix: i64) -> Option<HmacSha256> {
        let path = path.strip_prefix('/').unwrap_or(path);
        let mut mac = HmacSha256::new_from_slice(&self.key).ok()?;
        mac.update(exp_unix.to_string().as_bytes());
        mac.update(b"\n");
        mac.update(path.as_bytes());
        Some(mac)
    }

    /// The signature for `path` valid until `exp_unix` (base64url, no padding, 43 chars).
    pub fn sign(&self, path: &str, exp_unix: i64) -> String {
        self.mac(path, exp_unix)
            .map(|mac| URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
            .unwrap_or_default()
    }

    /// `exp=<now+ttl>&sig=<…>`, ready to append after `?`.
    pub fn signed_query(&self, path: &str, ttl_secs: i64, now_unix: i64) -> String {
        let exp = now_unix.saturating_add(ttl_secs);
        format!("exp={exp}&sig={}", self.sign(path, exp))
    }

    /// True when `sig` is the signature of `path` and `exp`, and `now <= exp`. The comparison is
    /// constant-time.
    pub fn verify(&self, path: &str, exp_unix: i64, sig: &str, now_unix: i64) -> bool {
        if now_unix > exp_unix {
            return false;
        }
        let Ok(given) = URL_SAFE_NO_PAD.decode(sig.trim_end_matches('=')) else {
            return false;
        };
        self.mac(path, exp_unix)
            .is_some_and(|mac| mac.verify_slice(&given).is_ok())
    }

    /// [`verify`](Self::verify) taking the raw query string (`exp=…&sig=…`, other keys ignored).
    pub fn verify_query(&self, path: &str, query: &str, now_unix: i64) -> bool {
        let mut exp = None;
        let mut sig = None;
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("exp", v)) => exp = v.parse::<i64>().ok(),
                Some(("sig", v)) => sig = Some(v),
                _ => {}
            }
        }
        match (exp, sig) {
            (Some(exp), Some(sig)) => self.verify(path, exp, sig, now_unix),
            _ => false,
        }
    }

    /// The site-relative URL for a stored path: `/media/<path>` for public files, otherwise
    /// `/media/<path>?exp=…&sig=…`. Prefix scheme and host for the absolute CRUD URLs (§1.6).
    pub fn media_url(&self, path: &str, ttl_secs: i64, now_unix: i64) -> String {
        let path = path.strip_prefix('/').unwrap_or(path);
        if is_public(path) {
            format!("/media/{path}")
        } else {
            format!(
                "/media/{path}?{}",
                self.signed_query(path, ttl_secs, now_unix)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_760_000_000;

    #[test]
    fn sign_and_verify() {
        let s = MediaUrlSigner::new(b"secret");
        let sig = s.sign("clientes/documentos/a.pdf", NOW + 60);
        assert_eq!(sig.len(), 43);
        assert!(s.verify("clientes/documentos/a.pdf", NOW + 60, &sig, NOW));
        assert!(s.verify("/clientes/documentos/a.pdf", NOW + 60, &sig, NOW + 60));
    }

    #[test]
    fn expiry_and_tampering() {
        let s = MediaUrlSigner::new(b"secret");
        let sig = s.sign("clientes/a.pdf", NOW + 60);
        assert!(
            !s.verify("clientes/a.pdf", NOW + 60, &sig, NOW + 61),
            "expired"
        );
        assert!(
            !s.verify("clientes/b.pdf", NOW + 60, &sig, NOW),
            "other path"
        );
        assert!(
            !s.verify("clientes/a.pdf", NOW + 6000, &sig, NOW),
            "extended expiry"
        );
        assert!(!s.verify("clientes/a.pdf", NOW + 60, "garbage!", NOW));
        assert!(!s.verify("clientes/a.pdf", NOW + 60, "", NOW));
        let mut flipped = sig.clone().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap_or_default();
        assert!(!s.verify("clientes/a.pdf", NOW + 60, &flipped, NOW));
        assert!(!MediaUrlSigner::new(b"other").verify("clientes/a.pdf", NOW + 60, &sig, NOW));
    }

    #[test]
    fn query_round_trip() {
        let s = MediaUrlSigner::new("k");
        let q = s.signed_query("clientes/a.pdf", 300, NOW);
        assert!(q.starts_with(&format!("exp={}&sig=", NOW + 300)));
        assert!(s.verify_query("clientes/a.pdf", &q, NOW + 299));
        assert!(!s.verify_query("clientes/a.pdf", &q, NOW + 301));
        assert!(!s.verify_query("clientes/a.pdf", "exp=1", NOW));
        assert!(!s.verify_query("clientes/a.pdf", "", NOW));
    }

    #[test]
    fn public_paths_and_urls() {
        assert!(is_public("appearance/logo.png"));
        assert!(is_public("/appearance/logo.png"));
        assert!(!is_public("appearance/../clientes/a.pdf"));
        assert!(!is_public("clientes/documentos/a.pdf"));
        assert!(!is_public("appearances/x"));
        let s = MediaUrlSigner::new("k");
        assert_eq!(
            s.media_url("appearance/logo.png", 60, NOW),
            "/media/appearance/logo.png"
        );
        let url = s.media_url("clientes/a.pdf", 60, NOW);
        let (p, q) = url.split_once('?').unwrap_or_default();
        assert_eq!(p, "/media/clientes/a.pdf");
        assert!(s.verify_query("clientes/a.pdf", q, NOW));
        assert_eq!(format!("{s:?}"), "MediaUrlSigner { key: <redacted> }");
    }
}
