//! `LocalFileStorage`: files in a directory tree under the media root.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use kernel::DomainError;
use kernel::storage::{FileStorage, FileWriter};
use rand::RngExt;
use rand::distr::Alphanumeric;
use tokio::fs::{self, File, OpenOptions};
use tokio::io::{AsyncWriteExt, BufWriter};

use crate::names::{sanitize_dir, sanitize_file_name, sanitize_relative_path};

/// How many random suffixes are tried before giving up on a name (62^7 names each time).
const MAX_NAME_ATTEMPTS: usize = 16;
const SUFFIX_LEN: usize = 7;
const WRITE_BUFFER: usize = 64 * 1024;

fn io_error(what: &str, e: std::io::Error) -> DomainError {
    DomainError::internal(format!("storage: {what}: {e}"))
}

/// Files stored under `root` (the `MEDIA_ROOT`). Stored paths are relative to it, with `/`
/// separators, e.g. `clientes/documentos/contrato.pdf`, and are what the `/media/<path>` route
/// serves.
#[derive(Debug, Clone)]
pub struct LocalFileStorage {
    root: PathBuf,
}

impl LocalFileStorage {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates the root directory if needed (call at start-up).
    pub async fn ensure_root(&self) -> Result<(), DomainError> {
        fs::create_dir_all(&self.root)
            .await
            .map_err(|e| io_error("create root", e))
    }

    /// Maps a stored relative path to its place on disk, refusing anything that could leave the
    /// root or reach a hidden file: absolute paths, `..`, `.`, empty components, backslashes,
    /// dot-files (which includes in-progress uploads) and characters we never produce. Purely
    /// lexical: the file may not exist. The media route strips the `/media/` prefix first.
    pub fn resolve(&self, path: &str) -> Option<PathBuf> {
        let parts = sanitize_relative_path(path)?;
        Some(parts.iter().fold(self.root.clone(), |p, c| p.join(c)))
    }

    /// Like [`resolve`](Self::resolve), and also requires an existing regular file whose real
    /// location (after following symlinks) is still inside the root.
    pub async fn resolve_existing(&self, path: &str) -> Option<PathBuf> {
        let candidate = self.resolve(path)?;
        let root = fs::canonicalize(&self.root).await.ok()?;
        let real = fs::canonicalize(&candidate).await.ok()?;
        if !real.starts_with(&root) {
            return None;
        }
        let meta = fs::metadata(&real).await.ok()?;
        meta.is_file().then_some(real)
    }

    /// Starts a streamed write; see [`FileStorage::create`].
    pub async fn create_writer(
        &self,
        dir: &str,
        original_name: &str,
    ) -> Result<LocalFileWriter, DomainError> {
        let parts = sanitize_dir(dir).ok_or_else(|| {
            DomainError::BadRequest(format!("invalid storage directory: {dir:?}"))
        })?;
        let dir_abs = parts.iter().fold(self.root.clone(), |p, c| p.join(c));
        fs::create_dir_all(&dir_abs)
            .await
            .map_err(|e| io_error("create directory", e))?;
        let temp = dir_abs.join(format!(".upload-{}.part", uuid::Uuid::new_v4().simple()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .await
            .map_err(|e| io_error("create temporary file", e))?;
        Ok(LocalFileWriter {
            file: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            temp,
            dir_abs,
            dir_rel: parts.join("/"),
            name: sanitize_file_name(original_name),
            written: 0,
            finished: false,
        })
    }
}

/// An in-progress upload: bytes go to a hidden `.upload-<uuid>.part` file in the target
/// directory; `commit` gives it its final name, `abort` (or dropping the writer) deletes it.
#[derive(Debug)]
pub struct LocalFileWriter {
    file: Option<BufWriter<File>>,
    temp: PathBuf,
    dir_abs: PathBuf,
    dir_rel: String,
    name: String,
    written: u64,
    finished: bool,
}

impl LocalFileWriter {
    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The sanitized name the file will get (before any collision suffix).
    pub fn intended_name(&self) -> &str {
        &self.name
    }

    async fn write_chunk(&mut self, chunk: &[u8]) -> Result<(), DomainError> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| DomainError::internal("storage: write after close"))?;
        file.write_all(chunk)
            .await
            .map_err(|e| io_error("write", e))?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    async fn finish(&mut self) -> Result<String, DomainError> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| DomainError::internal("storage: commit after close"))?;
        file.flush().await.map_err(|e| io_error("flush", e))?;
        let file = file.into_inner();
        file.sync_all().await.map_err(|e| io_error("sync", e))?;
        drop(file);
        let final_name = claim_name(&self.temp, &self.dir_abs, &self.name).await?;
        self.finished = true;
        Ok(if self.dir_rel.is_empty() {
            final_name
        } else {
            format!("{}/{}", self.dir_rel, final_name)
        })
    }

    async fn discard(&mut self) {
        self.file = None;
        if !self.finished {
            self.finished = true;
            if let Err(e) = fs::remove_file(&self.temp).await
                && e.kind() != ErrorKind::NotFound
            {
                tracing::warn!(path = %self.temp.display(), error = %e, "temporary upload not removed");
            }
        }
    }
}

impl Drop for LocalFileWriter {
    /// A writer dropped mid-way (e.g. the request future was cancelled when the client went
    /// away) must not leave its temporary file behind.
    fn drop(&mut self) {
        if !self.finished {
            self.file = None;
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// `doc.pdf` + `Ab3xYz9` → `doc_Ab3xYz9.pdf`; `README` → `README_Ab3xYz9`.
fn with_suffix(name: &str, suffix: &str) -> String {
    match name.rfind('.') {
        Some(i) if i > 0 => format!("{}_{suffix}{}", &name[..i], &name[i..]),
        _ => format!("{name}_{suffix}"),
    }
}

fn random_suffix() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(SUFFIX_LEN)
        .map(char::from)
        .collect()
}

/// Gives `temp` a final name in `dir` without ever replacing an existing file: a hard link
/// fails atomically when the name is taken (then a random suffix is tried). Where hard links
/// are not supported, the name is reserved with `create_new` and the temp file renamed onto
/// that reservation (which only we own).
async fn claim_name(temp: &Path, dir: &Path, name: &str) -> Result<String, DomainError> {
    for attempt in 0..MAX_NAME_ATTEMPTS {
        let candidate = if attempt == 0 {
            name.to_string()
        } else {
            with_suffix(name, &random_suffix())
        };
        let target = dir.join(&candidate);
        match fs::hard_link(temp, &target).await {
            Ok(()) => {
                if let Err(e) = fs::remove_file(temp).await {
                    tracing::warn!(path = %temp.display(), error = %e, "temporary upload not removed");
                }
                return Ok(candidate);
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(link_err) => {
                match OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&target)
                    .await
                {
                    Ok(placeholder) => {
                        drop(placeholder);
                        fs::rename(temp, &target)
                            .await
                            .map_err(|e| io_error("rename", e))?;
                        return Ok(candidate);
                    }
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                    Err(e) => {
                        return Err(io_error(
                            "commit",
                            std::io::Error::other(format!("{link_err}; {e}")),
                        ));
                    }
                }
            }
        }
    }
    Err(DomainError::internal(format!(
        "storage: no free name for {name:?}"
    )))
}

#[async_trait]
impl FileWriter for LocalFileWriter {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), DomainError> {
        self.write_chunk(chunk).await
    }

    async fn commit(mut self: Box<Self>) -> Result<String, DomainError> {
        let result = self.finish().await;
        if result.is_err() {
            self.discard().await;
        }
        result
    }

    async fn abort(mut self: Box<Self>) {
        self.discard().await;
    }
}

#[async_trait]
impl FileStorage for LocalFileStorage {
    async fn create(
        &self,
        dir: &str,
        original_name: &str,
    ) -> Result<Box<dyn FileWriter>, DomainError> {
        Ok(Box::new(self.create_writer(dir, original_name).await?))
    }

    async fn save(
        &self,
        dir: &str,
        original_name: &str,
        data: &[u8],
    ) -> Result<String, DomainError> {
        let mut writer = Box::new(self.create_writer(dir, original_name).await?);
        if let Err(e) = writer.write_chunk(data).await {
            writer.abort().await;
            return Err(e);
        }
        writer.commit().await
    }

    async fn size(&self, path: &str) -> Option<u64> {
        let full = self.resolve(path)?;
        let meta = fs::metadata(full).await.ok()?;
        meta.is_file().then_some(meta.len())
    }

    async fn delete(&self, path: &str) -> Result<(), DomainError> {
        let full = self
            .resolve(path)
            .ok_or_else(|| DomainError::BadRequest(format!("invalid storage path: {path:?}")))?;
        match fs::remove_file(full).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("delete", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_goes_before_extension() {
        assert_eq!(with_suffix("doc.pdf", "Ab3xYz9"), "doc_Ab3xYz9.pdf");
        assert_eq!(with_suffix("README", "Ab3xYz9"), "README_Ab3xYz9");
        let s = random_suffix();
        assert_eq!(s.len(), SUFFIX_LEN);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
