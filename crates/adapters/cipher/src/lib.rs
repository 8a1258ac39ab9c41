//! AES-256-GCM implementation of the configuration domain's [`SecretCipher`] port.
//!
//! Stored form: `v1:<base64(nonce ‖ ciphertext ‖ tag)>` with a random 96-bit nonce per value.
//! The key comes from `CONFIG_CRYPTO_KEY` (64 hex chars, base64 of 32 bytes, or any passphrase,
//! stretched with argon2id over a stored salt) or, when that is unset, from a key file created
//! on first use.

mod key;

pub use key::{CipherSetupError, KEY_FILE_NAME, SALT_FILE_NAME};

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use configuracoes::SecretCipher;
use kernel::{DomainError, Result};
use rand::TryRng;
use rand::rngs::SysRng;
use std::path::Path;

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

pub struct AesGcmCipher {
    cipher: Aes256Gcm,
    /// The SHA-256 passphrase key of earlier versions: only for reading what they stored.
    legacy: Option<Aes256Gcm>,
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
            cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(key)),
            legacy: None,
        }
    }

    /// The key from `env_value` (the `CONFIG_CRYPTO_KEY` value) when set and not blank, else
    /// from `key_file` (e.g. `<data dir>/config_crypto.key`), generated on first use. A
    /// passphrase is stretched over the salt in [`SALT_FILE_NAME`] beside `key_file`.
    pub fn from_env_or_file(
        env_value: Option<&str>,
        key_file: &Path,
    ) -> std::result::Result<Self, CipherSetupError> {
        match env_value
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(key::parse_env_value)
        {
            Some(key::EnvKey::Raw(k)) => Ok(Self::from_key(k)),
            Some(key::EnvKey::Passphrase(p)) => {
                let salt = key::salt_from_file(&key_file.with_file_name(SALT_FILE_NAME))?;
                let mut cipher = Self::from_key(key::passphrase_key(p, &salt)?);
                cipher.legacy = Some(Aes256Gcm::new(&Key::<Aes256Gcm>::from(
                    key::legacy_passphrase_key(p),
                )));
                Ok(cipher)
            }
            None => Ok(Self::from_key(key::key_from_file(key_file)?)),
        }
    }
}

fn corrupt() -> DomainError {
    DomainError::internal("stored secret cannot be decrypted (wrong key or corrupted)")
}

impl SecretCipher for AesGcmCipher {
    fn encrypt(&self, plain: &str) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        SysRng
            .try_fill_bytes(&mut nonce)
            .map_err(|_| DomainError::internal("no random nonce"))?;
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce), plain.as_bytes())
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
        let nonce = Nonce::try_from(nonce).map_err(|_| corrupt())?;
        let plain = self
            .cipher
            .decrypt(&nonce, sealed)
            .or_else(|e| match &self.legacy {
                Some(legacy) => legacy.decrypt(&nonce, sealed),
                None => Err(e),
            })
            .map_err(|_| corrupt())?;
        String::from_utf8(plain).map_err(|_| corrupt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> AesGcmCipher {
        AesGcmCipher::from_key([3u8; 32])
    }

    /// Secrets stored under the old SHA-256 passphrase key still decrypt; new ones use the
    /// argon2id key (which the old derivation cannot read).
    #[test]
    fn passphrase_secrets_of_the_old_derivation_still_decrypt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key_file = dir.path().join(KEY_FILE_NAME);
        let pass = Some("uma frase qualquer");
        let old = AesGcmCipher::from_key(key::legacy_passphrase_key("uma frase qualquer"));
        let old_stored = old.encrypt("antigo").expect("encrypt");
        let c = AesGcmCipher::from_env_or_file(pass, &key_file).expect("cipher");
        assert!(dir.path().join(SALT_FILE_NAME).exists());
        assert!(!key_file.exists(), "a passphrase needs no key file");
        assert_eq!(c.decrypt(&old_stored).expect("legacy read"), "antigo");
        let new_stored = c.encrypt("novo").expect("encrypt");
        assert!(old.decrypt(&new_stored).is_err(), "not the SHA-256 key");
        // The same passphrase and salt give the same key on the next start.
        let again = AesGcmCipher::from_env_or_file(pass, &key_file).expect("again");
        assert_eq!(again.decrypt(&new_stored).expect("decrypt"), "novo");
        let other = AesGcmCipher::from_env_or_file(Some("outra frase"), &key_file).expect("other");
        assert!(other.decrypt(&new_stored).is_err());
        assert!(other.decrypt(&old_stored).is_err());
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
