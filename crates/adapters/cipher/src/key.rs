//! Where the 256-bit key comes from: the `CONFIG_CRYPTO_KEY` value, or a key file generated on
//! first use. Never a built-in constant.
//!
//! A passphrase becomes the key through argon2id with a random salt stored next to the key
//! file ([`SALT_FILE_NAME`], generated once, owner-only). Earlier versions used one SHA-256 of
//! the passphrase: that [`legacy_passphrase_key`] is still tried when reading.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use rand::TryRng;
use rand::rngs::SysRng;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Suggested key file name inside the data directory.
pub const KEY_FILE_NAME: &str = "config_crypto.key";

/// Salt file name, in the directory of the key file.
pub const SALT_FILE_NAME: &str = "config_crypto.salt";

pub(crate) const KEY_LEN: usize = 32;
const SALT_LEN: usize = 16;

/// Why the cipher could not be set up (a start-up failure).
#[derive(Debug, thiserror::Error)]
pub enum CipherSetupError {
    #[error("cannot read key file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot create key file {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("key file {0} does not hold a 256-bit key (64 hex characters)")]
    Corrupt(PathBuf),
    #[error("cannot derive the key from the passphrase: {0}")]
    Kdf(String),
}

/// What a `CONFIG_CRYPTO_KEY` value holds.
pub(crate) enum EnvKey<'a> {
    Raw([u8; KEY_LEN]),
    Passphrase(&'a str),
}

/// Reads an environment value: 64 hex characters, or base64 of exactly 32 bytes, is the key;
/// anything else is a passphrase.
pub(crate) fn parse_env_value(value: &str) -> EnvKey<'_> {
    let value = value.trim();
    if let Some(key) = decode_hex_key(value) {
        return EnvKey::Raw(key);
    }
    for engine in [&STANDARD, &URL_SAFE] {
        if let Ok(bytes) = engine.decode(value)
            && let Ok(key) = <[u8; KEY_LEN]>::try_from(bytes.as_slice())
        {
            return EnvKey::Raw(key);
        }
    }
    EnvKey::Passphrase(value)
}

/// The key of a passphrase: argon2id (its default cost: 19 MiB, 2 passes) over `salt`.
pub(crate) fn passphrase_key(
    passphrase: &str,
    salt: &[u8],
) -> Result<[u8; KEY_LEN], CipherSetupError> {
    let mut key = [0u8; KEY_LEN];
    argon2::Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| CipherSetupError::Kdf(e.to_string()))?;
    Ok(key)
}

/// How earlier versions turned a passphrase into the key (one SHA-256); only for reading
/// secrets stored by them.
pub(crate) fn legacy_passphrase_key(passphrase: &str) -> [u8; KEY_LEN] {
    Sha256::digest(passphrase.as_bytes()).into()
}

/// The passphrase salt stored at `path`, created (random, owner-only) on first use.
pub(crate) fn salt_from_file(path: &Path) -> Result<[u8; SALT_LEN], CipherSetupError> {
    secret_file::<SALT_LEN>(path)
}

fn decode_hex_key(value: &str) -> Option<[u8; KEY_LEN]> {
    decode_hex(value)
}

fn decode_hex<const N: usize>(value: &str) -> Option<[u8; N]> {
    if value.len() != N * 2 {
        return None;
    }
    let bytes = hex::decode(value).ok()?;
    <[u8; N]>::try_from(bytes.as_slice()).ok()
}

/// Reads the key file, or creates it (owner-only permissions) with a fresh random key. A file
/// that exists but does not hold a key is an error: regenerating would orphan every stored
/// secret.
pub(crate) fn key_from_file(path: &Path) -> Result<[u8; KEY_LEN], CipherSetupError> {
    secret_file::<KEY_LEN>(path)
}

/// `N` random bytes kept as hex in `path`, created on first use.
fn secret_file<const N: usize>(path: &Path) -> Result<[u8; N], CipherSetupError> {
    match fs::read_to_string(path) {
        Ok(text) => return parse_key_file(path, &text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(CipherSetupError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    }
    let mut key = [0u8; N];
    SysRng
        .try_fill_bytes(&mut key)
        .expect("the operating system's random source");
    match create_private(path, hex::encode(key).as_bytes()) {
        Ok(()) => Ok(key),
        // Another process created it first: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let text = fs::read_to_string(path).map_err(|source| CipherSetupError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            parse_key_file(path, &text)
        }
        Err(source) => Err(CipherSetupError::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn parse_key_file<const N: usize>(path: &Path, text: &str) -> Result<[u8; N], CipherSetupError> {
    decode_hex(text.trim()).ok_or_else(|| CipherSetupError::Corrupt(path.to_path_buf()))
}

/// Creates `path` exclusively, readable and writable by the owner only.
fn create_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        fs::create_dir_all(parent)?;
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(value: &str) -> Option<[u8; KEY_LEN]> {
        match parse_env_value(value) {
            EnvKey::Raw(k) => Some(k),
            EnvKey::Passphrase(_) => None,
        }
    }

    #[test]
    fn env_value_forms() {
        let hex_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        assert_eq!(raw(hex_key).map(hex::encode).as_deref(), Some(hex_key));
        let key = [7u8; KEY_LEN];
        assert_eq!(raw(&STANDARD.encode(key)), Some(key));
        assert_eq!(raw(&URL_SAFE.encode([0xfbu8; 32])), Some([0xfbu8; 32]));
        assert!(matches!(
            parse_env_value(" minha senha secreta "),
            EnvKey::Passphrase("minha senha secreta")
        ));
        // base64 of a wrong length is a passphrase, not a key.
        assert_eq!(raw(&STANDARD.encode([1u8; 16])), None);
    }

    #[test]
    fn passphrases_go_through_argon2id_with_the_salt() {
        let a = passphrase_key("minha senha secreta", &[1u8; SALT_LEN]).expect("kdf");
        let b = passphrase_key("minha senha secreta", &[2u8; SALT_LEN]).expect("kdf");
        assert_ne!(a, b, "the salt matters");
        assert_ne!(a, legacy_passphrase_key("minha senha secreta"));
        assert_eq!(
            a,
            passphrase_key("minha senha secreta", &[1u8; SALT_LEN]).expect("kdf")
        );
        let legacy: [u8; KEY_LEN] = Sha256::digest(b"minha senha secreta").into();
        assert_eq!(legacy_passphrase_key("minha senha secreta"), legacy);
    }

    #[test]
    fn salt_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(SALT_FILE_NAME);
        let first = salt_from_file(&path).expect("create");
        assert_eq!(salt_from_file(&path).expect("reuse"), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested").join(KEY_FILE_NAME);
        let first = key_from_file(&path).expect("create");
        let second = key_from_file(&path).expect("reuse");
        assert_eq!(first, second);
        assert_ne!(first, [0u8; KEY_LEN]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn corrupt_key_file_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(KEY_FILE_NAME);
        fs::write(&path, "not a key").expect("write");
        assert!(matches!(
            key_from_file(&path),
            Err(CipherSetupError::Corrupt(_))
        ));
    }
}
