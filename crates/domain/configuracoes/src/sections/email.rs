//! `email_settings`: the SMTP account (its password stored encrypted), and its PATCH.

use super::SectionData;
use crate::model::Section;
use crate::stored::{Reader, Writer, set};
use crate::values::{PlainSecret, Secret};
use kernel::FieldErrors;
use kernel::values::Email;
use serde_json::{Map, Value};

/// `email_settings` as stored (see [`crate::CompanyData`] for missing and unknown keys).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EmailSettings {
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    pub smtp_usuario: Option<String>,
    /// Write-only: clients see `"***"`/`""` after a PATCH and nothing on GET.
    pub smtp_senha: Option<Secret>,
    pub smtp_ssl: Option<bool>,
    /// `""` while e-mail is not configured.
    pub email_from: Option<String>,
    pub extra: Map<String, Value>,
}

impl EmailSettings {
    pub fn from_stored(stored: &Map<String, Value>) -> Self {
        let mut r = Reader::new(stored);
        Self {
            smtp_host: r.text("smtp_host"),
            smtp_port: r.int("smtp_port"),
            smtp_usuario: r.text("smtp_usuario"),
            smtp_senha: r.text("smtp_senha").map(Secret::stored),
            smtp_ssl: r.boolean("smtp_ssl"),
            email_from: r.text("email_from"),
            extra: r.rest(),
        }
    }

    fn write_with(&self, secret: impl Fn(&Secret) -> String) -> Map<String, Value> {
        let mut w = Writer::new(&self.extra);
        w.put("smtp_host", self.smtp_host.clone());
        w.put("smtp_port", self.smtp_port);
        w.put("smtp_usuario", self.smtp_usuario.clone());
        w.put("smtp_senha", self.smtp_senha.as_ref().map(secret));
        w.put("smtp_ssl", self.smtp_ssl);
        w.put("email_from", self.email_from.clone());
        w.finish()
    }

    /// The section as clients see it: `smtp_senha` masked when present.
    pub fn to_json(&self) -> Map<String, Value> {
        self.write_with(|s| s.mask().to_string())
    }
}

impl SectionData for EmailSettings {
    const SECTION: Section = Section::Email;

    fn read(stored: &Map<String, Value>) -> Self {
        Self::from_stored(stored)
    }

    fn write(&self) -> Map<String, Value> {
        self.write_with(|s| s.stored_text().to_string())
    }

    fn merged_errors(&self) -> FieldErrors {
        crate::rules::email_errors(self)
    }
}

/// The e-mail keys a request sets (`None`: not sent), each one already valid on its own
/// (`smtp_port` within [`crate::limits`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EmailPatch {
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    pub smtp_usuario: Option<String>,
    /// `"***"` keeps the stored password, `""` clears it.
    pub smtp_senha: Option<PlainSecret>,
    pub smtp_ssl: Option<bool>,
    /// `Some(None)`: blank (e-mail not configured).
    pub email_from: Option<Option<Email>>,
}

impl EmailPatch {
    /// Shallow merge; `smtp_senha` is the sent password once encrypted (`None`: keep).
    pub(crate) fn apply(&self, e: &mut EmailSettings, smtp_senha: &Option<Secret>) {
        let x = &mut e.extra;
        set(&mut e.smtp_host, &self.smtp_host, "smtp_host", x);
        set(&mut e.smtp_port, &self.smtp_port, "smtp_port", x);
        set(&mut e.smtp_usuario, &self.smtp_usuario, "smtp_usuario", x);
        set(&mut e.smtp_senha, smtp_senha, "smtp_senha", x);
        set(&mut e.smtp_ssl, &self.smtp_ssl, "smtp_ssl", x);
        let from = self.email_from.as_ref().map(|f| {
            f.as_ref()
                .map(|e| e.as_str().to_string())
                .unwrap_or_default()
        });
        set(&mut e.email_from, &from, "email_from", x);
    }
}

/// The SMTP account for server-side use, the password in clear. Missing keys read as the
/// defaults (§4.9).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpAccount {
    pub host: String,
    pub port: i64,
    pub usuario: String,
    /// `""` when not configured.
    pub senha: String,
    pub ssl: bool,
    pub email_from: String,
}

impl std::fmt::Debug for SmtpAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpAccount")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("usuario", &self.usuario)
            .field("ssl", &self.ssl)
            .field("email_from", &self.email_from)
            .finish_non_exhaustive()
    }
}
