//! Where the 256-bit key comes from: the `CONFIG_CRYPTO_KEY` value, or a key file generated on
//! first use. Never a built-in constant.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Suggested key file name inside the data directory.
pub const KEY_FILE_NAME: &str = "config_crypto.key";

pub(crate) const KEY_LEN: usize = 32;

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
}

/// Reads the key from an environment value: 64 hex characters, or base64 of exactly 32 bytes;
/// anything else is a passphrase hashed with SHA-256.
pub(crate) fn key_from_env_value(value: &str) -> [u8; KEY_LEN] {
    let value = value.trim();
    if let Some(key) = decode_hex_key(value) {
        return key;
    }
    for engine in [&STANDARD, &URL_SAFE] {
        if let Ok(bytes) = engine.decode(value)
            && let Ok(key) = <[u8; KEY_LEN]>::try_from(bytes.as_slice())
        {
            return key;
        }
    }
    Sha256::digest(value.as_bytes()).into()
}

fn decode_hex_key(value: &str) -> Option<[u8; KEY_LEN]> {
    if value.len() != KEY_LEN * 2 {
        return None;
    }
    let bytes = hex::decode(value).ok()?;
    <[u8; KEY_LEN]>::try_from(bytes.as_slice()).ok()
}

/// Reads the key file, or creates it (owner-only permissions) with a fresh random key. A file
/// that exists but does not hold a key is an error: regenerating would orphan every stored
/// secret.
pub(crate) fn key_from_file(path: &Path) -> Result<[u8; KEY_LEN], CipherSetupError> {
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
    let mut key = [0u8; KEY_LEN];
    OsRng.fill_bytes(&mut key);
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

fn parse_key_file(path: &Path, text: &str) -> Result<[u8; KEY_LEN], CipherSetupError> {
    decode_hex_key(text.trim()).ok_or_else(|| CipherSetupError::Corrupt(path.to_path_buf()))
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

    #[test]
    fn env_value_forms() {
        let hex_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        assert_eq!(hex::encode(key_from_env_value(hex_key)), hex_key);
        let raw = [7u8; KEY_LEN];
        assert_eq!(key_from_env_value(&STANDARD.encode(raw)), raw);
        assert_eq!(
            key_from_env_value(&URL_SAFE.encode([0xfbu8; 32])),
            [0xfbu8; 32]
        );
        let derived: [u8; KEY_LEN] = Sha256::digest(b"minha senha secreta").into();
        assert_eq!(key_from_env_value(" minha senha secreta "), derived);
        // base64 of a wrong length is a passphrase, not a key.
        let short = STANDARD.encode([1u8; 16]);
        assert_eq!(
            key_from_env_value(&short),
            <[u8; 32]>::from(Sha256::digest(short.as_bytes()))
        );
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
