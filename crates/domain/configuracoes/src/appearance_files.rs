//! The appearance files (login logo, favicon): stored under `appearance/` in the file
//! storage, public under `/media/`, their URLs recorded in the appearance section.

use crate::model::{AppearanceFile, StoredConfig};
use crate::sections::{Appearance, SectionData};
use crate::service::ConfigService;
use kernel::image::ImageKind;
use kernel::storage::FileStorage;
use kernel::{DomainError, Result};
use std::sync::{Arc, Mutex};

/// Folder of the appearance files in the storage, served publicly under `/media/`.
pub const APPEARANCE_DIR: &str = "appearance";

/// 400 body of an appearance upload that is not a png, jpeg, gif, webp or ico image.
pub const NOT_AN_IMAGE: &str = "Envie uma imagem válida (png, jpeg, gif, webp ou ico). O arquivo enviado não é uma imagem ou está corrompido.";

impl ConfigService {
    fn storage(&self) -> Result<&Arc<dyn FileStorage>> {
        self.storage
            .as_ref()
            .ok_or_else(|| DomainError::internal("no storage for appearance files"))
    }

    /// Stores an uploaded logo or favicon as `appearance/<32 hex><ext>` (a fresh name each
    /// time, so no browser keeps showing a cached old one), records its URL
    /// (`/media/appearance/…`) and removes the file it replaces. Returns the URL. When the URL
    /// cannot be recorded, the new file is removed again.
    pub async fn upload_appearance_file(
        &self,
        kind: AppearanceFile,
        original_name: &str,
        data: &[u8],
    ) -> Result<String> {
        let storage = self.storage()?;
        // The content decides: an HTML page or an SVG named `logo.png` is refused, and the
        // stored name gets the extension of what the file really is.
        let _ = original_name;
        let image =
            ImageKind::sniff(data).ok_or_else(|| DomainError::Refused(NOT_AN_IMAGE.into()))?;
        let name = format!("{}{}", uuid::Uuid::new_v4().simple(), image.extension());
        let path = storage.save(APPEARANCE_DIR, &name, data).await?;
        let url = format!("/media/{path}");
        match self.replace_appearance_url(kind, &url).await {
            Ok(old) => {
                self.remove_appearance_media(old.as_deref()).await;
                Ok(url)
            }
            Err(e) => {
                let _ = storage.delete(&path).await;
                Err(e)
            }
        }
    }

    /// Blanks the logo or favicon URL and removes its file.
    pub async fn remove_appearance_file(&self, kind: AppearanceFile) -> Result<()> {
        let old = self.replace_appearance_url(kind, "").await?;
        self.remove_appearance_media(old.as_deref()).await;
        Ok(())
    }

    /// Removes the stored file behind a `/media/…` URL, but only a file this service stored
    /// itself (`appearance/<32 hex><ext>`): a URL set by `PATCH` may name any file, and a
    /// customer's document must never be deleted through the appearance settings. Best
    /// effort: the recorded URL is what matters, and a leftover file is harmless.
    async fn remove_appearance_media(&self, url: Option<&str>) {
        if let (Some(storage), Some(path)) = (
            &self.storage,
            url.and_then(|u| u.strip_prefix("/media/"))
                .filter(|p| is_stored_appearance_file(p)),
        ) {
            let _ = storage.delete(path).await;
        }
    }

    /// Records `url` for `kind`; returns the non-blank URL it replaces.
    async fn replace_appearance_url(
        &self,
        kind: AppearanceFile,
        url: &str,
    ) -> Result<Option<String>> {
        let now = self.clock.now();
        let previous: Mutex<Option<String>> = Mutex::new(None);
        self.repo
            .update(&|cur: Option<StoredConfig>| {
                let mut cfg = cur.unwrap_or_else(|| StoredConfig::with_defaults(now));
                let mut appearance = Appearance::read(&cfg.appearance);
                let old = appearance
                    .replace_file_url(kind, url)
                    .filter(|s| !s.is_empty());
                *previous
                    .lock()
                    .map_err(|e| DomainError::internal(e.to_string()))? = old;
                cfg.appearance = appearance.write();
                cfg.updated_at = now;
                Ok(cfg)
            })
            .await?;
        previous.into_inner().map_err(DomainError::internal)
    }
}

/// True for a path [`ConfigService::upload_appearance_file`] produces (or produced before the
/// extension came from the content): `appearance/` + 32 lowercase hex digits + an optional
/// short lowercase extension. Nothing else under the storage root matches.
pub fn is_stored_appearance_file(path: &str) -> bool {
    let Some(name) = path
        .strip_prefix(APPEARANCE_DIR)
        .and_then(|p| p.strip_prefix('/'))
    else {
        return false;
    };
    let (stem, ext) = name.split_once('.').unwrap_or((name, ""));
    stem.len() == 32
        && stem.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && ext.len() <= 8
        && ext
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && ext.is_empty() != name.contains('.')
}

#[cfg(test)]
#[path = "appearance_files_tests.rs"]
mod tests;
