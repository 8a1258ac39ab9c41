use authz::ports::{Claims, TokenCodec, TokenError, TokenKind};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use kernel::{DomainError, Result};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Wire {
    token_type: String,
    exp: i64,
    iat: i64,
    jti: String,
    user_id: i64,
}

/// HS256 JWTs with exactly the claims `token_type`, `exp`, `iat`, `jti`, `user_id`.
pub struct JwtCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtCodec {
    /// Fails when `secret` is empty (jsonwebtoken refuses empty HMAC keys).
    pub fn new(secret: &[u8]) -> Result<Self> {
        // jsonwebtoken needs one crypto provider: ours is RustCrypto (the `rust_crypto`
        // feature). Installing it explicitly keeps it chosen even if another crate in the tree
        // turns on `aws_lc_rs`; an Err only means it is installed already.
        let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        // Expiry is checked against the injected clock in `decode`.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        Ok(Self {
            encoding: EncodingKey::from_secret(secret).map_err(DomainError::internal)?,
            decoding: DecodingKey::from_secret(secret).map_err(DomainError::internal)?,
            validation,
        })
    }
}

impl TokenCodec for JwtCodec {
    fn issue(
        &self,
        user_id: i64,
        kind: TokenKind,
        now: DateTime<Utc>,
        ttl_secs: i64,
    ) -> Result<String> {
        let iat = now.timestamp();
        let wire = Wire {
            token_type: kind.as_str().to_string(),
            exp: iat + ttl_secs,
            iat,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            user_id,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &wire, &self.encoding)
            .map_err(DomainError::internal)
    }

    fn decode(&self, token: &str, now: DateTime<Utc>) -> std::result::Result<Claims, TokenError> {
        let data = jsonwebtoken::decode::<Wire>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        if data.header.alg != Algorithm::HS256 {
            return Err(TokenError::Invalid);
        }
        let w = data.claims;
        if w.exp <= now.timestamp() {
            return Err(TokenError::Invalid);
        }
        let kind = match w.token_type.as_str() {
            "access" => TokenKind::Access,
            "refresh" => TokenKind::Refresh,
            _ => return Err(TokenError::Invalid),
        };
        Ok(Claims {
            user_id: w.user_id,
            kind,
            exp: w.exp,
            iat: w.iat,
            jti: w.jti,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use chrono::Duration;

    #[test]
    fn round_trip_with_exact_claims() {
        let c = JwtCodec::new(b"k").unwrap();
        let now = Utc::now();
        let t = c.issue(7, TokenKind::Access, now, 300).unwrap();
        let parts: Vec<&str> = t.split('.').collect();
        let header: serde_json::Value =
            serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header, serde_json::json!({"alg":"HS256","typ":"JWT"}));
        let claims: serde_json::Value =
            serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
        let mut keys: Vec<_> = claims.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["exp", "iat", "jti", "token_type", "user_id"]);
        assert_eq!(claims["jti"].as_str().unwrap().len(), 32);
        let d = c.decode(&t, now).unwrap();
        assert_eq!(
            (d.user_id, d.kind, d.exp - d.iat),
            (7, TokenKind::Access, 300)
        );
    }

    #[test]
    fn rejects_expired_bad_signature_and_none_alg() {
        let c = JwtCodec::new(b"k").unwrap();
        let now = Utc::now();
        let t = c.issue(7, TokenKind::Refresh, now, 10).unwrap();
        assert!(c.decode(&t, now + Duration::seconds(10)).is_err());
        assert!(JwtCodec::new(b"other").unwrap().decode(&t, now).is_err());
        let parts: Vec<&str> = t.split('.').collect();
        let none_header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(
            c.decode(&format!("{none_header}.{}.", parts[1]), now)
                .is_err()
        );
        let hs512 = B64.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
        assert!(
            c.decode(&format!("{hs512}.{}.{}", parts[1], parts[2]), now)
                .is_err()
        );
        assert!(c.decode("garbage", now).is_err());
    }
}
