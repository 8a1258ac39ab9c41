//! Use cases of the configuration screens (§4.9). Authorization is the caller's job: the HTTP
//! layer checks [`Section::permission`] before calling a PATCH.

use crate::fields;
use crate::model::{AppearanceFile, CompanySummary, Section, StoredConfig};
use crate::ports::{ConfigRepository, SecretCipher};
use crate::rules;
use chrono::{DateTime, Utc};
use kernel::image::ImageKind;
use kernel::storage::FileStorage;
use kernel::{Clock, DomainError, FieldErrors, Result, messages as m};
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};

/// What secrets look like on the wire.
pub const MASK: &str = "***";

/// The sections `GET`/`PUT /config/` carry.
const PUT_SECTIONS: [Section; 3] = [Section::Company, Section::Chat, Section::Email];

/// How a request body was sent. Form and multipart bodies carry every value as a string, so
/// integers are parsed from text there; JSON bodies need JSON integers (§9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyFormat {
    #[default]
    Json,
    Form,
}

/// `GET /api/v1/config/` (and the `PUT` answer): no appearance/whatsapp, no `smtp_senha`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigOverview {
    pub id: i64,
    pub company_data: Map<String, Value>,
    pub chat_settings: Map<String, Value>,
    pub email_settings: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ConfigOverview {
    /// The contract's body, datetimes in São Paulo time with microseconds.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), Value::from(self.id));
        m.insert(
            "company_data".into(),
            Value::Object(self.company_data.clone()),
        );
        m.insert(
            "chat_settings".into(),
            Value::Object(self.chat_settings.clone()),
        );
        m.insert(
            "email_settings".into(),
            Value::Object(self.email_settings.clone()),
        );
        m.insert(
            "created_at".into(),
            Value::String(kernel::clock::format_local(self.created_at)),
        );
        m.insert(
            "updated_at".into(),
            Value::String(kernel::clock::format_local(self.updated_at)),
        );
        Value::Object(m)
    }
}

pub struct ConfigService {
    repo: Arc<dyn ConfigRepository>,
    cipher: Arc<dyn SecretCipher>,
    clock: Arc<dyn Clock>,
    /// Where the logo and favicon are stored (see [`ConfigService::with_storage`]).
    storage: Option<Arc<dyn FileStorage>>,
}

/// Folder of the appearance files in the storage, served publicly under `/media/`.
pub const APPEARANCE_DIR: &str = "appearance";

impl ConfigService {
    pub fn new(
        repo: Arc<dyn ConfigRepository>,
        cipher: Arc<dyn SecretCipher>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            repo,
            cipher,
            clock,
            storage: None,
        }
    }

    /// The storage of the appearance files (logo, favicon), public under `/media/`.
    pub fn with_storage(mut self, storage: Arc<dyn FileStorage>) -> Self {
        self.storage = Some(storage);
        self
    }

    fn storage(&self) -> Result<&Arc<dyn FileStorage>> {
        self.storage
            .as_ref()
            .ok_or_else(|| DomainError::internal("no storage for appearance files"))
    }

    /// The stored row; created with the defaults on first access.
    async fn current(&self) -> Result<StoredConfig> {
        if let Some(cfg) = self.repo.load().await? {
            return Ok(cfg);
        }
        let now = self.clock.now();
        self.repo
            .update(&move |cur: Option<StoredConfig>| {
                Ok(cur.unwrap_or_else(|| StoredConfig::with_defaults(now)))
            })
            .await
    }

    /// `GET /api/v1/config/`.
    pub async fn get_all(&self) -> Result<ConfigOverview> {
        Ok(overview(&self.current().await?))
    }

    /// The stored chat section, without creating the configuration row: `None` while nobody
    /// ever touched the configuration (background jobs read it and fall back to their own
    /// defaults then, §6.2).
    pub async fn chat_settings_if_stored(&self) -> Result<Option<Map<String, Value>>> {
        Ok(self.repo.load().await?.map(|cfg| cfg.chat_settings))
    }

    /// `GET /api/v1/config/<section>/`: secrets omitted (`smtp_senha`) or masked (WhatsApp).
    pub async fn get_section(&self, section: Section) -> Result<Map<String, Value>> {
        let cfg = self.current().await?;
        Ok(public_section(section, cfg.section(section)))
    }

    /// `PATCH /api/v1/config/<section>/` with a JSON body.
    pub async fn patch_section(&self, section: Section, body: Value) -> Result<Map<String, Value>> {
        self.patch_section_with(section, body, BodyFormat::Json)
            .await
    }

    /// `PATCH /api/v1/config/<section>/`: checks the sent keys (400 with nested field errors),
    /// merges them shallowly into the stored section, checks the merged section (400 with
    /// dotted keys such as `company_data.cnpj`), stores it and returns the section as the
    /// contract shows it after a PATCH (`smtp_senha` masked as `"***"`/`""`).
    pub async fn patch_section_with(
        &self,
        section: Section,
        body: Value,
        format: BodyFormat,
    ) -> Result<Map<String, Value>> {
        let body = require_object(body)?;
        let sent = rules::validate_sent(rules::fields(section), &body, format == BodyFormat::Form)
            .map_err(DomainError::Validation)?;
        let sent = self.encrypt_secrets(section, sent)?;
        let now = self.clock.now();
        let stored = self
            .repo
            .update(&|cur: Option<StoredConfig>| {
                let mut cfg = cur.unwrap_or_else(|| StoredConfig::with_defaults(now));
                let target = cfg.section_mut(section);
                for (k, v) in &sent {
                    target.insert(k.clone(), v.clone());
                }
                if PUT_SECTIONS.contains(&section) {
                    rules::validate_merged(rules::fields(section), target, section.key())
                        .into_result()?;
                }
                cfg.updated_at = now;
                Ok(cfg)
            })
            .await?;
        Ok(patched_section(section, stored.section(section)))
    }

    /// `PUT /api/v1/config/` with a JSON body.
    pub async fn put_all(&self, body: Value) -> Result<ConfigOverview> {
        self.put_all_with(body, BodyFormat::Json).await
    }

    /// `PUT /api/v1/config/`: `company_data`, `chat_settings` and `email_settings` are all
    /// required and replace the stored sections whole, with full validation. A missing or
    /// masked `smtp_senha` keeps the stored password.
    pub async fn put_all_with(&self, body: Value, format: BodyFormat) -> Result<ConfigOverview> {
        let body = require_object(body)?;
        let mut errors = FieldErrors::new();
        let mut sent: Vec<(Section, Map<String, Value>)> = Vec::new();
        for section in PUT_SECTIONS {
            let key = section.key();
            let Some(raw) = body.get(key) else {
                errors.add(key, m::REQUIRED);
                continue;
            };
            match fields::nested_object(raw) {
                Err(problem) => problem.record(key, &mut errors),
                Ok(obj) => match rules::validate_sent(
                    rules::fields(section),
                    obj,
                    format == BodyFormat::Form,
                ) {
                    Ok(valid) => sent.push((section, self.encrypt_secrets(section, valid)?)),
                    Err(nested) => errors.nest(key, nested),
                },
            }
        }
        errors.into_result()?;
        let now = self.clock.now();
        let stored = self
            .repo
            .update(&|cur: Option<StoredConfig>| {
                let mut cfg = cur.unwrap_or_else(|| StoredConfig::with_defaults(now));
                let mut errors = FieldErrors::new();
                for (section, new) in &sent {
                    let mut new = new.clone();
                    for secret in rules::secret_keys(*section) {
                        if !new.contains_key(secret)
                            && let Some(old) = cfg.section(*section).get(secret)
                        {
                            new.insert(secret.to_string(), old.clone());
                        }
                    }
                    errors.merge(rules::validate_merged(
                        rules::fields(*section),
                        &new,
                        section.key(),
                    ));
                    *cfg.section_mut(*section) = new;
                }
                errors.into_result()?;
                cfg.updated_at = now;
                Ok(cfg)
            })
            .await?;
        Ok(overview(&stored))
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
                let old = cfg
                    .appearance
                    .insert(kind.url_key().to_string(), Value::String(url.to_string()));
                let old = old.map(|v| text_of(&v)).filter(|s| !s.is_empty());
                *previous
                    .lock()
                    .map_err(|e| DomainError::internal(e.to_string()))? = old;
                cfg.updated_at = now;
                Ok(cfg)
            })
            .await?;
        previous.into_inner().map_err(DomainError::internal)
    }

    /// Company identification for generated documents: `None` until `razao_social` and `cnpj`
    /// are filled in. The address reads `"<logradouro>, <numero> - <bairro>"`.
    pub async fn company_summary(&self) -> Result<Option<CompanySummary>> {
        let cfg = self.current().await?;
        let company = &cfg.company_data;
        let razao_social = company.get("razao_social").map(text_of).unwrap_or_default();
        let cnpj = company.get("cnpj").map(text_of).unwrap_or_default();
        if razao_social.is_empty() || cnpj.is_empty() {
            return Ok(None);
        }
        let part = |key: &str| match company.get("endereco") {
            Some(Value::Object(e)) => e.get(key).map(text_of).unwrap_or_default(),
            _ => String::new(),
        };
        let endereco = format!(
            "{}, {} - {}",
            part("logradouro"),
            part("numero"),
            part("bairro")
        );
        Ok(Some(CompanySummary {
            razao_social,
            cnpj,
            endereco,
        }))
    }

    /// The stored document templates (`{}` by default: generation uses its built-ins).
    pub async fn document_templates(&self) -> Result<Map<String, Value>> {
        Ok(self.current().await?.document_templates)
    }

    /// The SMTP password in clear, for server-side use only (`""` when not configured).
    pub async fn smtp_password(&self) -> Result<String> {
        let cfg = self.current().await?;
        self.decrypt_value(cfg.email_settings.get("smtp_senha"))
    }

    /// The e-mail section with `smtp_senha` decrypted, for server-side use only.
    pub async fn email_settings_decrypted(&self) -> Result<Map<String, Value>> {
        let cfg = self.current().await?;
        self.decrypted(Section::Email, cfg.email_settings)
    }

    /// The WhatsApp section with `session_data`/`proxy_url` decrypted, for server-side use only.
    pub async fn whatsapp_settings_decrypted(&self) -> Result<Map<String, Value>> {
        let cfg = self.current().await?;
        self.decrypted(Section::Whatsapp, cfg.whatsapp)
    }

    fn decrypted(
        &self,
        section: Section,
        mut map: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        for key in rules::secret_keys(section) {
            let plain = self.decrypt_value(map.get(key))?;
            map.insert(key.to_string(), Value::String(plain));
        }
        Ok(map)
    }

    fn decrypt_value(&self, stored: Option<&Value>) -> Result<String> {
        match stored {
            Some(Value::String(s)) if !s.is_empty() => self.cipher.decrypt(s),
            _ => Ok(String::new()),
        }
    }

    /// Encrypts the sent secrets. `"***"` (the mask echoed back by a client) means "keep the
    /// stored value" and is dropped; `""` clears the secret.
    fn encrypt_secrets(
        &self,
        section: Section,
        mut sent: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        for key in rules::secret_keys(section) {
            let Some(Value::String(plain)) = sent.get(key) else {
                continue;
            };
            if plain == MASK {
                sent.remove(key);
            } else if !plain.is_empty() {
                let stored = self.cipher.encrypt(plain)?;
                sent.insert(key.to_string(), Value::String(stored));
            }
        }
        Ok(sent)
    }
}

fn require_object(body: Value) -> Result<Map<String, Value>> {
    match body {
        Value::Object(map) => Ok(map),
        other => Err(DomainError::field(
            "non_field_errors",
            fields::not_a_dict(&other),
        )),
    }
}

fn overview(cfg: &StoredConfig) -> ConfigOverview {
    ConfigOverview {
        id: cfg.id,
        company_data: cfg.company_data.clone(),
        chat_settings: cfg.chat_settings.clone(),
        email_settings: public_section(Section::Email, &cfg.email_settings),
        created_at: cfg.created_at,
        updated_at: cfg.updated_at,
    }
}

fn masked(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) if !s.is_empty() => Value::String(MASK.to_string()),
        _ => Value::String(String::new()),
    }
}

/// A section as GET shows it: `smtp_senha` omitted, WhatsApp secrets masked.
fn public_section(section: Section, stored: &Map<String, Value>) -> Map<String, Value> {
    let mut out = stored.clone();
    match section {
        Section::Email => {
            out.remove("smtp_senha");
        }
        Section::Whatsapp => {
            for key in rules::secret_keys(section) {
                out.insert(key.to_string(), masked(stored.get(key)));
            }
        }
        Section::Company | Section::Chat | Section::Appearance => {}
    }
    out
}

/// A section as the PATCH answer shows it: like GET, but e-mail shows `smtp_senha` masked.
fn patched_section(section: Section, stored: &Map<String, Value>) -> Map<String, Value> {
    let mut out = public_section(section, stored);
    if section == Section::Email {
        out.insert("smtp_senha".to_string(), masked(stored.get("smtp_senha")));
    }
    out
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// 400 body of an appearance upload that is not a png, jpeg, gif, webp or ico image.
pub const NOT_AN_IMAGE: &str = "Envie uma imagem válida (png, jpeg, gif, webp ou ico). O arquivo enviado não é uma imagem ou está corrompido.";

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
#[path = "service_tests.rs"]
mod tests;
