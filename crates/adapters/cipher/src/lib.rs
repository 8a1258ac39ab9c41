//! AES-256-GCM implementation of the configuration domain's [`SecretCipher`] port.
//!
//! Stored form: `v1:<base64(nonce ‖ ciphertext ‖ tag)>` with a random 96-bit nonce per value.
//! The key comes from `CONFIG_CRYPTO_KEY` (64 hex chars, base64 of 32 bytes, or any passphrase,
//! hashed with SHA-256) or, when that is unset, from a key file created on first use.

mod key;

pub use key::{CipherSetupError, KEY_FILE_NAME};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use configuracoes::SecretCipher;
use kernel::{DomainError, Result};
use rand::RngCore;
use rand::rngs::OsRng;
use std::path::Path;

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

pub struct AesGcmCipher {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for AesGcmCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesGcmCipher { key: <hidden> }")
    }
}

impl AesGcmCipher {
    /// A cipher over a raw 256-bit key.
    pub fn from_key(key: [u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
        }
    }

    /// The key from `env_value` (the `CONFIG_CRYPTO_KEY` value) when set and not blank, else
    /// from `key_file` (e.g. `<data dir>/config_crypto.key`), generated on first use.
    pub fn from_env_or_file(
        env_value: Option<&str>,
        key_file: &Path,
    ) -> std::result::Result<Self, CipherSetupError> {
        let key = match env_value.map(str::trim).filter(|v| !v.is_empty()) {
            Some(value) => key::key_from_env_value(value),
            None => key::key_from_file(key_file)?,
        };
        Ok(Self::from_key(key))
    }
}

fn corrupt() -> DomainError {
    DomainError::internal("stored secret cannot be decrypted (wrong key or corrupted)")
}

impl SecretCipher for AesGcmCipher {
    fn encrypt(&self, plain: &str) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| DomainError::internal("secret encryption failed"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    fn decrypt(&self, stored: &str) -> Result<String> {
        let body = stored
            .strip_prefix(PREFIX)
            .ok_or_else(|| DomainError::internal("stored secret has an unknown format"))?;
        let bytes = STANDARD.decode(body.trim()).map_err(|_| corrupt())?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(corrupt());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| corrupt())?;
        String::from_utf8(plain).map_err(|_| corrupt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> AesGcmCipher {
        AesGcmCipher::from_env_or_file(Some("uma frase qualquer"), Path::new("/nonexistent"))
            .expect("cipher")
    }

    #[test]
    fn round_trip() {
        let c = cipher();
        for plain in ["s3nh@", "", "ção ✓ 🔐", &"x".repeat(10_000)] {
            let stored = c.encrypt(plain).expect("encrypt");
            assert!(stored.starts_with("v1:"));
            assert!(!stored.contains(plain) || plain.is_empty());
            assert_eq!(c.decrypt(&stored).expect("decrypt"), plain);
        }
    }

    #[test]
    fn nonces_are_distinct() {
        let c = cipher();
        let a = c.encrypt("mesma").expect("a");
        let b = c.encrypt("mesma").expect("b");
        assert_ne!(a, b);
        let nonce = |s: &str| STANDARD.decode(&s[3..]).expect("b64")[..NONCE_LEN].to_vec();
        assert_ne!(nonce(&a), nonce(&b));
    }

    #[test]
    fn tampering_and_garbage_are_errors() {
        let c = cipher();
        let stored = c.encrypt("segredo").expect("encrypt");
        let mut bytes = STANDARD.decode(&stored[3..]).expect("b64");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("v1:{}", STANDARD.encode(&bytes));
        for bad in [
            tampered.as_str(),
            "v1:",
            "v1:!!!not base64",
            "v1:AAAA",
            "gAAAAABlegacyfernet",
            "",
        ] {
            assert!(
                matches!(c.decrypt(bad), Err(DomainError::Internal(_))),
                "{bad}"
            );
        }
        let other = AesGcmCipher::from_key([9u8; 32]);
        assert!(other.decrypt(&stored).is_err());
    }

    #[test]
    fn key_file_persists_across_constructions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(KEY_FILE_NAME);
        let first = AesGcmCipher::from_env_or_file(None, &path).expect("first");
        let stored = first.encrypt("persistente").expect("encrypt");
        assert!(path.exists());
        let second = AesGcmCipher::from_env_or_file(Some("  "), &path).expect("second");
        assert_eq!(second.decrypt(&stored).expect("decrypt"), "persistente");
    }

    #[test]
    fn env_key_forms_agree() {
        let hex_key = "0f".repeat(32);
        let b64_key = STANDARD.encode([0x0fu8; 32]);
        let a =
            AesGcmCipher::from_env_or_file(Some(&hex_key), Path::new("/nonexistent")).expect("hex");
        let b =
            AesGcmCipher::from_env_or_file(Some(&b64_key), Path::new("/nonexistent")).expect("b64");
        let stored = a.encrypt("x").expect("encrypt");
        assert_eq!(b.decrypt(&stored).expect("decrypt"), "x");
        assert!(format!("{a:?}").contains("hidden"));
    }
}
