use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use async_trait::async_trait;
use authz::ports::PasswordHasher;
use kernel::{DomainError, Result};

/// argon2id (v19, m=19 MiB, t=2, p=1), run on the blocking pool.
#[derive(Debug, Clone, Copy, Default)]
pub struct Argon2Hasher;

impl Argon2Hasher {
    /// Synchronous hash (CLI and tests).
    pub fn hash_blocking(password: &str) -> Result<String> {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(DomainError::internal)
    }

    pub fn verify_blocking(password: &str, hash: &str) -> bool {
        PasswordHash::new(hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> Result<String> {
        let p = password.to_string();
        tokio::task::spawn_blocking(move || Self::hash_blocking(&p))
            .await
            .map_err(DomainError::internal)?
    }

    async fn verify(&self, password: &str, hash: &str) -> bool {
        let (p, h) = (password.to_string(), hash.to_string());
        tokio::task::spawn_blocking(move || Self::verify_blocking(&p, &h))
            .await
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = Argon2Hasher.hash("segredo123").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(Argon2Hasher.verify("segredo123", &h).await);
        assert!(!Argon2Hasher.verify("outra", &h).await);
        assert!(!Argon2Hasher.verify("x", "not a hash").await);
    }
}
