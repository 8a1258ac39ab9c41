//! The configuration row (a singleton), its sections, and the contract's defaults (§4.9).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// The single configuration row as persisted. Sections are JSON objects so that keys written
/// by other versions survive untouched; the use cases read and write them through the typed
/// sections ([`crate::CompanyData`]…, lossless both ways). Secrets inside them are stored
/// encrypted (see [`crate::SecretCipher`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConfig {
    pub id: i64,
    pub company_data: Map<String, Value>,
    pub chat_settings: Map<String, Value>,
    pub email_settings: Map<String, Value>,
    pub appearance: Map<String, Value>,
    pub whatsapp: Map<String, Value>,
    pub document_templates: Map<String, Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StoredConfig {
    /// The row created lazily on first access (id 1: there is only ever one row).
    pub fn with_defaults(now: DateTime<Utc>) -> Self {
        Self {
            id: 1,
            company_data: default_company_data(),
            chat_settings: default_chat_settings(),
            email_settings: default_email_settings(),
            appearance: default_appearance(),
            whatsapp: default_whatsapp(),
            document_templates: Map::new(),
            created_at: now,
            updated_at: now,
        }
    }

    pub fn section(&self, section: Section) -> &Map<String, Value> {
        match section {
            Section::Company => &self.company_data,
            Section::Chat => &self.chat_settings,
            Section::Email => &self.email_settings,
            Section::Appearance => &self.appearance,
            Section::Whatsapp => &self.whatsapp,
        }
    }

    pub fn section_mut(&mut self, section: Section) -> &mut Map<String, Value> {
        match section {
            Section::Company => &mut self.company_data,
            Section::Chat => &mut self.chat_settings,
            Section::Email => &mut self.email_settings,
            Section::Appearance => &mut self.appearance,
            Section::Whatsapp => &mut self.whatsapp,
        }
    }
}

/// A section editable through `PATCH /api/v1/config/<path>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Company,
    Chat,
    Email,
    Appearance,
    Whatsapp,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Company,
        Section::Chat,
        Section::Email,
        Section::Appearance,
        Section::Whatsapp,
    ];

    /// The permission code required to PATCH this section (§1.3). Checked by the HTTP layer.
    pub fn permission(&self) -> &'static str {
        match self {
            Section::Company => "core.manage_config_company",
            Section::Chat => "core.manage_config_chat",
            Section::Email => "core.manage_config_email",
            Section::Appearance => "core.manage_config_appearance",
            Section::Whatsapp => "core.manage_config_whatsapp",
        }
    }

    /// The URL segment: `company`, `chat`, `email`, `appearance`, `whatsapp`.
    pub fn path(&self) -> &'static str {
        match self {
            Section::Company => "company",
            Section::Chat => "chat",
            Section::Email => "email",
            Section::Appearance => "appearance",
            Section::Whatsapp => "whatsapp",
        }
    }

    /// The section's name in `GET /config/` bodies and in merged-validation error keys
    /// (`company_data.cnpj`).
    pub fn key(&self) -> &'static str {
        match self {
            Section::Company => "company_data",
            Section::Chat => "chat_settings",
            Section::Email => "email_settings",
            Section::Appearance => "appearance",
            Section::Whatsapp => "whatsapp",
        }
    }

    pub fn from_path(path: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.path() == path)
    }

    /// The section's defaults (§4.9).
    pub fn defaults(&self) -> Map<String, Value> {
        match self {
            Section::Company => default_company_data(),
            Section::Chat => default_chat_settings(),
            Section::Email => default_email_settings(),
            Section::Appearance => default_appearance(),
            Section::Whatsapp => default_whatsapp(),
        }
    }
}

/// The image kinds of `POST /config/appearance/upload/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppearanceFile {
    Logo,
    Favicon,
}

impl AppearanceFile {
    /// Parses the `kind` parameter (`logo` | `favicon`).
    pub fn parse(kind: &str) -> Option<Self> {
        match kind {
            "logo" => Some(Self::Logo),
            "favicon" => Some(Self::Favicon),
            _ => None,
        }
    }

    /// The appearance key holding this file's URL.
    pub fn url_key(&self) -> &'static str {
        match self {
            Self::Logo => "login_logo_url",
            Self::Favicon => "favicon_url",
        }
    }
}

/// What document generation needs from the company section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanySummary {
    pub razao_social: String,
    pub cnpj: String,
    /// `"<logradouro>, <numero> - <bairro>"`.
    pub endereco: String,
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub fn default_company_data() -> Map<String, Value> {
    object(json!({
        "razao_social": "",
        "nome_fantasia": "",
        "cnpj": "",
        "inscricao_estadual": "",
        "inscricao_municipal": "",
        "regime_tributario": "1",
        "cnae_principal": "",
        "telefone": "",
        "email": "",
        "site": "",
        "endereco": {
            "cep": "01234567",
            "logradouro": "",
            "numero": "",
            "complemento": "",
            "bairro": "",
            "cidade": "",
            "uf": "SP"
        }
    }))
}

pub fn default_chat_settings() -> Map<String, Value> {
    let aberto = json!({"inicio": "08:00", "fim": "18:00"});
    let fechado = json!({"inicio": null, "fim": null});
    object(json!({
        "mensagem_saudacao": "Olá! Como podemos ajudar?",
        "mensagem_fora_expediente": "Estamos fora do horário de atendimento.",
        "mensagem_encerramento": "Obrigado pelo contato!",
        "mensagem_inatividade": "Estamos encerrando por inatividade.",
        "timeout_inatividade_minutos": 15,
        "limite_chats_simultaneos": 5,
        "horario_funcionamento": {
            "segunda": aberto.clone(),
            "terca": aberto.clone(),
            "quarta": aberto.clone(),
            "quinta": aberto.clone(),
            "sexta": aberto,
            "sabado": fechado.clone(),
            "domingo": fechado
        }
    }))
}

pub fn default_email_settings() -> Map<String, Value> {
    object(json!({
        "smtp_host": "",
        "smtp_port": 587,
        "smtp_usuario": "",
        "smtp_senha": "",
        "smtp_ssl": true,
        "email_from": ""
    }))
}

pub fn default_appearance() -> Map<String, Value> {
    object(json!({
        "login_logo_url": "",
        "favicon_url": "",
        "primary_color": "#0ea5e9",
        "secondary_color": "#111827",
        "custom_css": ""
    }))
}

pub fn default_whatsapp() -> Map<String, Value> {
    object(json!({
        "enabled": false,
        "device_name": "DXConnect",
        "stealth_mode": true,
        "human_delays": true,
        "reconnect_backoff_seconds": 5,
        "session_data": "",
        "proxy_url": ""
    }))
}
