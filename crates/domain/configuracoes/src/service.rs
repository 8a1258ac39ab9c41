//! Use cases of the configuration screens (§4.9). Authorization is the caller's job: the HTTP
//! layer checks [`crate::Section::permission`] before calling a PATCH. The use cases take typed
//! commands (the `…Patch` of each section, [`ConfigPut`]); the edge parses the wire into them.

use crate::model::{CompanySummary, StoredConfig, default_email_settings, default_whatsapp};
use crate::ports::{ConfigRepository, SecretCipher};
use crate::sections::{
    Appearance, AppearancePatch, ChatPatch, ChatSettings, CompanyData, CompanyPatch, ConfigPut,
    EmailPatch, EmailSettings, SealedWhatsapp, SectionData, SmtpAccount, WhatsappPatch,
    WhatsappRuntime, WhatsappSettings,
};
use crate::values::{MASK, PlainSecret, Secret};
use chrono::{DateTime, Utc};
use kernel::storage::FileStorage;
use kernel::{Clock, Result};
use serde_json::{Map, Value};
use std::sync::Arc;

/// `GET /api/v1/config/` (and the `PUT` answer): no appearance/whatsapp, no `smtp_senha`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigOverview {
    pub id: i64,
    pub company_data: CompanyData,
    pub chat_settings: ChatSettings,
    /// Without `smtp_senha`.
    pub email_settings: EmailSettings,
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
            Value::Object(self.company_data.to_json()),
        );
        m.insert(
            "chat_settings".into(),
            Value::Object(self.chat_settings.to_json()),
        );
        m.insert(
            "email_settings".into(),
            Value::Object(self.email_settings.to_json()),
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
    pub(crate) repo: Arc<dyn ConfigRepository>,
    cipher: Arc<dyn SecretCipher>,
    pub(crate) clock: Arc<dyn Clock>,
    /// Where the logo and favicon are stored (see [`ConfigService::with_storage`]).
    pub(crate) storage: Option<Arc<dyn FileStorage>>,
}

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

    async fn section<S: SectionData>(&self) -> Result<S> {
        Ok(S::read(self.current().await?.section(S::SECTION)))
    }

    /// `GET /api/v1/config/company/`.
    pub async fn company(&self) -> Result<CompanyData> {
        self.section().await
    }

    /// `GET /api/v1/config/chat/`, and the chat settings the automations read.
    pub async fn chat_settings(&self) -> Result<ChatSettings> {
        self.section().await
    }

    /// `GET /api/v1/config/email/`: without `smtp_senha`.
    pub async fn email_settings(&self) -> Result<EmailSettings> {
        Ok(without_password(self.section().await?))
    }

    /// `GET /api/v1/config/appearance/`.
    pub async fn appearance(&self) -> Result<Appearance> {
        self.section().await
    }

    /// `GET /api/v1/config/whatsapp/`: `session_data` and `proxy_url` always present, masked.
    pub async fn whatsapp(&self) -> Result<WhatsappSettings> {
        Ok(with_whatsapp_secrets(self.section().await?))
    }

    /// A PATCH: `change` merges the sent keys into the stored section; the merged section is
    /// checked (400 with dotted keys such as `company_data.cnpj`), stored, and returned as
    /// stored. Nothing is written when the check fails.
    async fn patch<S: SectionData>(&self, change: impl Fn(&mut S) + Send + Sync) -> Result<S> {
        let section = S::SECTION;
        let now = self.clock.now();
        let stored = self
            .repo
            .update(&|cur: Option<StoredConfig>| {
                let mut cfg = cur.unwrap_or_else(|| StoredConfig::with_defaults(now));
                let mut merged = S::read(cfg.section(section));
                change(&mut merged);
                merged.merged_errors().into_result()?;
                *cfg.section_mut(section) = merged.write();
                cfg.updated_at = now;
                Ok(cfg)
            })
            .await?;
        Ok(S::read(stored.section(section)))
    }

    /// `PATCH /api/v1/config/company/` (a sent `endereco` replaces the stored one whole).
    pub async fn patch_company(&self, patch: CompanyPatch) -> Result<CompanyData> {
        self.patch(|c: &mut CompanyData| patch.apply(c)).await
    }

    /// `PATCH /api/v1/config/chat/` (a sent `horario_funcionamento` replaces the stored one).
    pub async fn patch_chat(&self, patch: ChatPatch) -> Result<ChatSettings> {
        self.patch(|c: &mut ChatSettings| patch.apply(c)).await
    }

    /// `PATCH /api/v1/config/email/`: the answer shows `smtp_senha` as `"***"` (or `""`).
    pub async fn patch_email(&self, patch: EmailPatch) -> Result<EmailSettings> {
        let senha = self.seal(patch.smtp_senha.as_ref())?;
        let mut out = self
            .patch(|e: &mut EmailSettings| patch.apply(e, &senha))
            .await?;
        out.smtp_senha.get_or_insert_with(Secret::empty);
        Ok(out)
    }

    /// `PATCH /api/v1/config/appearance/`.
    pub async fn patch_appearance(&self, patch: AppearancePatch) -> Result<Appearance> {
        self.patch(|a: &mut Appearance| patch.apply(a)).await
    }

    /// `PATCH /api/v1/config/whatsapp/`: the answer masks the secrets like GET.
    pub async fn patch_whatsapp(&self, patch: WhatsappPatch) -> Result<WhatsappSettings> {
        let sealed = SealedWhatsapp {
            session_data: self.seal(patch.session_data.as_ref())?,
            proxy_url: self.seal(patch.proxy_url.as_ref())?,
        };
        let out = self
            .patch(|w: &mut WhatsappSettings| patch.apply(w, &sealed))
            .await?;
        Ok(with_whatsapp_secrets(out))
    }

    /// `PUT /api/v1/config/`: `company_data`, `chat_settings` and `email_settings` replace
    /// the stored sections whole (keys not sent are gone), with the merged rules on each. A
    /// missing or masked `smtp_senha` keeps the stored password.
    pub async fn put_all(&self, put: ConfigPut) -> Result<ConfigOverview> {
        let senha = self.seal(put.email_settings.smtp_senha.as_ref())?;
        let now = self.clock.now();
        let stored = self
            .repo
            .update(&|cur: Option<StoredConfig>| {
                let mut cfg = cur.unwrap_or_else(|| StoredConfig::with_defaults(now));
                let mut company = CompanyData::default();
                put.company_data.apply(&mut company);
                let mut chat = ChatSettings::default();
                put.chat_settings.apply(&mut chat);
                let mut email = EmailSettings::default();
                put.email_settings.apply(&mut email, &senha);
                if email.smtp_senha.is_none() {
                    email.smtp_senha = EmailSettings::read(&cfg.email_settings).smtp_senha;
                }
                let mut errors = company.merged_errors();
                errors.merge(chat.merged_errors());
                errors.merge(email.merged_errors());
                errors.into_result()?;
                cfg.company_data = company.write();
                cfg.chat_settings = chat.write();
                cfg.email_settings = email.write();
                cfg.updated_at = now;
                Ok(cfg)
            })
            .await?;
        Ok(overview(&stored))
    }

    /// Company identification for generated documents: `None` until `razao_social` and `cnpj`
    /// are filled in. The address reads `"<logradouro>, <numero> - <bairro>"`.
    pub async fn company_summary(&self) -> Result<Option<CompanySummary>> {
        let company = self.company().await?;
        let razao_social = company.razao_social.unwrap_or_default();
        let cnpj = company.cnpj.unwrap_or_default();
        if razao_social.is_empty() || cnpj.is_empty() {
            return Ok(None);
        }
        let e = company.endereco.unwrap_or_default();
        let part = |p: Option<String>| p.unwrap_or_default();
        let endereco = format!(
            "{}, {} - {}",
            part(e.logradouro),
            part(e.numero),
            part(e.bairro)
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
        let email: EmailSettings = self.section().await?;
        self.decrypt(email.smtp_senha.as_ref())
    }

    /// The SMTP account with the password in clear, for server-side use only; a key missing
    /// from the row reads as its default.
    pub async fn email_settings_decrypted(&self) -> Result<SmtpAccount> {
        let e: EmailSettings = self.section().await?;
        let d = EmailSettings::read(&default_email_settings());
        Ok(SmtpAccount {
            senha: self.decrypt(e.smtp_senha.as_ref())?,
            host: e.smtp_host.or(d.smtp_host).unwrap_or_default(),
            port: e.smtp_port.or(d.smtp_port).unwrap_or_default(),
            usuario: e.smtp_usuario.or(d.smtp_usuario).unwrap_or_default(),
            ssl: e.smtp_ssl.or(d.smtp_ssl).unwrap_or_default(),
            email_from: e.email_from.or(d.email_from).unwrap_or_default(),
        })
    }

    /// The WhatsApp settings with `session_data`/`proxy_url` in clear, for server-side use
    /// only; a key missing from the row reads as its default.
    pub async fn whatsapp_settings_decrypted(&self) -> Result<WhatsappRuntime> {
        let w: WhatsappSettings = self.section().await?;
        let d = WhatsappSettings::read(&default_whatsapp());
        Ok(WhatsappRuntime {
            session_data: self.decrypt(w.session_data.as_ref())?,
            proxy_url: self.decrypt(w.proxy_url.as_ref())?,
            enabled: w.enabled.or(d.enabled).unwrap_or_default(),
            device_name: w.device_name.or(d.device_name).unwrap_or_default(),
            stealth_mode: w.stealth_mode.or(d.stealth_mode).unwrap_or_default(),
            human_delays: w.human_delays.or(d.human_delays).unwrap_or_default(),
            reconnect_backoff_seconds: w
                .reconnect_backoff_seconds
                .or(d.reconnect_backoff_seconds)
                .unwrap_or_default(),
        })
    }

    fn decrypt(&self, stored: Option<&Secret>) -> Result<String> {
        match stored {
            Some(s) if s.is_set() => self.cipher.decrypt(s.stored_text()),
            _ => Ok(String::new()),
        }
    }

    /// A sent secret as it is to be stored: `None` keeps the stored one (not sent, or the
    /// mask `"***"` echoed back by a client), `""` clears it, anything else is encrypted.
    fn seal(&self, sent: Option<&PlainSecret>) -> Result<Option<Secret>> {
        match sent.map(PlainSecret::expose) {
            None | Some(MASK) => Ok(None),
            Some("") => Ok(Some(Secret::empty())),
            Some(plain) => Ok(Some(Secret::stored(self.cipher.encrypt(plain)?))),
        }
    }
}

fn overview(cfg: &StoredConfig) -> ConfigOverview {
    ConfigOverview {
        id: cfg.id,
        company_data: CompanyData::read(&cfg.company_data),
        chat_settings: ChatSettings::read(&cfg.chat_settings),
        email_settings: without_password(EmailSettings::read(&cfg.email_settings)),
        created_at: cfg.created_at,
        updated_at: cfg.updated_at,
    }
}

/// The e-mail section as GET shows it: no `smtp_senha` at all.
fn without_password(mut e: EmailSettings) -> EmailSettings {
    e.smtp_senha = None;
    e.extra.remove("smtp_senha");
    e
}

/// The WhatsApp section as clients see it: both secrets present (masked when set).
fn with_whatsapp_secrets(mut w: WhatsappSettings) -> WhatsappSettings {
    w.session_data.get_or_insert_with(Secret::empty);
    w.proxy_url.get_or_insert_with(Secret::empty);
    w
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
