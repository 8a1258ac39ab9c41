//! What the configuration domain needs from the outside world.

use crate::model::StoredConfig;
use async_trait::async_trait;
use kernel::Result;

/// The change applied inside [`ConfigRepository::update`]: receives the current row (`None`
/// when it does not exist yet) and returns the row to store, or an error that aborts the
/// update without writing anything.
pub type ApplyFn<'a> = &'a (dyn Fn(Option<StoredConfig>) -> Result<StoredConfig> + Send + Sync);

/// Persistence of the single configuration row.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ConfigRepository: Send + Sync {
    /// The stored row, if it was ever created.
    async fn load(&self) -> Result<Option<StoredConfig>>;

    /// Read-modify-write as one unit: inside a transaction (row locked where the database can,
    /// e.g. `SELECT … FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite) load the row, call
    /// `apply`, and upsert its result as the single row. Returns what was stored. When `apply`
    /// fails, nothing is written and its error is returned unchanged. `apply` is pure and may be
    /// called again if the adapter retries.
    async fn update<'a>(&self, apply: ApplyFn<'a>) -> Result<StoredConfig>;
}

/// Reversible encryption of secrets at rest (`smtp_senha`, `session_data`, `proxy_url`).
/// `encrypt("")` is never called: empty secrets are stored as `""`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretCipher: Send + Sync {
    /// Returns the stored (encrypted, self-describing) form of `plain`.
    fn encrypt(&self, plain: &str) -> Result<String>;
    /// Recovers the plain text; a stored value that cannot be decrypted is an error.
    fn decrypt(&self, stored: &str) -> Result<String>;
}
