use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use async_trait::async_trait;
use authz::ports::PasswordHasher;
use kernel::{DomainError, Result};
use std::sync::LazyLock;
use tokio::sync::Semaphore;

/// argon2id (v19, m=19 MiB, t=2, p=1), run on the blocking pool.
///
/// Memory: each run needs a 19 MiB work area. Left to the default allocation, glibc keeps the
/// freed area in the arena of whichever blocking thread ran it (its mmap threshold grows to
/// the size of freed large chunks, up to 32 MiB), so a flood of logins left the process
/// hundreds of MiB larger for good. The work area is therefore requested with a capacity
/// above 32 MiB, which glibc always maps and unmaps on free (only the pages argon2 writes
/// become resident), and at most [`CONCURRENT_RUNS`] runs happen at once.
#[derive(Debug, Clone, Copy, Default)]
pub struct Argon2Hasher;

/// Capacity requested for a work area: above glibc's largest dynamic mmap threshold.
const WORK_AREA_BYTES: usize = 33 * 1024 * 1024;

/// How many hashes may run at the same time.
static CONCURRENT_RUNS: LazyLock<Semaphore> = LazyLock::new(|| {
    let n = std::thread::available_parallelism().map_or(2, |n| n.get());
    Semaphore::new(n.clamp(2, 8))
});

/// Memory blocks for one run, returned to the system when dropped.
fn work_area(blocks: usize) -> Vec<Block> {
    let mut area = Vec::with_capacity(blocks.max(WORK_AREA_BYTES / Block::SIZE));
    area.resize(blocks, Block::default());
    area
}

/// The argon2 output of `password` with the (decoded) `salt` under `argon` and `params`.
fn compute(
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    output_len: usize,
) -> std::result::Result<Output, String> {
    let mut buf = [0u8; Output::MAX_LENGTH];
    let out = buf
        .get_mut(..output_len)
        .ok_or_else(|| format!("argon2 output of {output_len} bytes"))?;
    let mut area = work_area(params.block_count());
    argon
        .hash_password_into_with_memory(password, salt, out, &mut area)
        .map_err(|e| e.to_string())?;
    Output::new(out).map_err(|e| e.to_string())
}

impl Argon2Hasher {
    /// Synchronous hash (CLI and tests).
    pub fn hash_blocking(password: &str) -> Result<String> {
        let salt = Salt::generate();
        let params = Params::default();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let hash = compute(&argon, &params, password.as_bytes(), &salt, output_len)
            .map_err(DomainError::internal)?;
        Ok(PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(DomainError::internal)?,
            salt: Some(salt),
            hash: Some(hash),
        }
        .to_string())
    }

    pub fn verify_blocking(password: &str, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return false;
        };
        let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
            return false;
        };
        let version = match parsed.version.map(Version::try_from).transpose() {
            Ok(v) => v.unwrap_or_default(),
            Err(_) => return false,
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return false;
        };
        let argon = Argon2::new(algorithm, version, params.clone());
        // `Output` compares in constant time.
        compute(&argon, &params, password.as_bytes(), &salt, expected.len())
            .is_ok_and(|computed| computed == expected)
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> Result<String> {
        let _permit = CONCURRENT_RUNS
            .acquire()
            .await
            .map_err(DomainError::internal)?;
        let p = password.to_string();
        tokio::task::spawn_blocking(move || Self::hash_blocking(&p))
            .await
            .map_err(DomainError::internal)?
    }

    async fn verify(&self, password: &str, hash: &str) -> bool {
        let Ok(_permit) = CONCURRENT_RUNS.acquire().await else {
            return false;
        };
        let (p, h) = (password.to_string(), hash.to_string());
        tokio::task::spawn_blocking(move || Self::verify_blocking(&p, &h))
            .await
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier};

    #[tokio::test]
    async fn hash_and_verify() {
        let h = Argon2Hasher.hash("segredo123").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(Argon2Hasher.verify("segredo123", &h).await);
        assert!(!Argon2Hasher.verify("outra", &h).await);
        assert!(!Argon2Hasher.verify("x", "not a hash").await);
    }

    /// Hashes made with the crate's own path verify here and the other way round.
    #[test]
    fn compatible_with_the_argon2_crate() {
        let theirs = Argon2::default()
            .hash_password(b"senha-antiga")
            .unwrap()
            .to_string();
        assert!(Argon2Hasher::verify_blocking("senha-antiga", &theirs));
        assert!(!Argon2Hasher::verify_blocking("senha-antigo", &theirs));
        let ours = Argon2Hasher::hash_blocking("senha-nova").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"senha-nova", &parsed)
                .is_ok()
        );
    }

    #[test]
    fn work_areas_are_larger_than_the_mmap_threshold() {
        let area = work_area(Params::default().block_count());
        assert_eq!(area.len(), 19 * 1024);
        assert!(area.capacity() * Block::SIZE > 32 * 1024 * 1024);
    }
}
