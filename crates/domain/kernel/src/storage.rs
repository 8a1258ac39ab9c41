//! File storage port (documents, appearance files). Writes are streamed: a writer receives the
//! body chunk by chunk, so a too-large upload can be aborted without holding it in memory.

use crate::DomainError;
use async_trait::async_trait;

/// An in-progress write. Dropping it without `commit` must leave no file behind
/// (implementations clean up on `abort`; callers always call one of the two).
#[async_trait]
pub trait FileWriter: Send {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), DomainError>;
    /// Makes the file visible and returns its path relative to the storage root
    /// (e.g. `clientes/documentos/contrato.pdf`).
    async fn commit(self: Box<Self>) -> Result<String, DomainError>;
    async fn abort(self: Box<Self>);
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FileStorage: Send + Sync {
    /// Starts a write into `dir` (relative, e.g. `clientes/documentos`) with a name derived
    /// safely from `original_name`: no path traversal, never overwriting another file.
    async fn create(
        &self,
        dir: &str,
        original_name: &str,
    ) -> Result<Box<dyn FileWriter>, DomainError>;
    /// Writes a whole buffer (convenience for generated files).
    async fn save(
        &self,
        dir: &str,
        original_name: &str,
        data: &[u8],
    ) -> Result<String, DomainError>;
    /// Size in bytes, `None` when the file is missing.
    async fn size(&self, path: &str) -> Option<u64>;
    /// Deletes a file; a missing file is not an error.
    async fn delete(&self, path: &str) -> Result<(), DomainError>;
}
