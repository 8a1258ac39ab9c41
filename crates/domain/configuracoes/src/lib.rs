//! Configurações: the company, chat, e-mail, appearance and WhatsApp settings of the
//! installation (contract §4.9), kept in a single row whose sections are JSON objects.
//!
//! * [`ConfigService`] holds the use cases (GET/PATCH per section, PUT of the whole, appearance
//!   files, secrets for server-side use, company data for documents). They take typed
//!   commands: the `…Patch` of each section (the keys a request sends, parsed by the edge into
//!   value objects such as [`CnpjText`], [`CepDigits`], [`Uf`], `kernel::values::Email`) and
//!   [`ConfigPut`].
//! * The typed sections ([`CompanyData`], [`ChatSettings`], [`EmailSettings`], [`Appearance`],
//!   [`WhatsappSettings`]) are what the rules on merged sections run over.
//! * [`ConfigRepository`] and [`SecretCipher`] are the ports; secrets (`smtp_senha`,
//!   `session_data`, `proxy_url`) are encrypted before they reach the repository and never
//!   leave the service in clear except through the explicit `*_decrypted`/`smtp_password`
//!   calls.
//! * [`Section::permission`] names the permission the HTTP layer must check before a PATCH.

mod appearance_files;
pub mod model;
pub mod ports;
mod rules;
pub mod sections;
pub mod service;
mod stored;
#[cfg(test)]
mod test_support;
pub mod values;

pub use appearance_files::{APPEARANCE_DIR, NOT_AN_IMAGE, is_stored_appearance_file};
pub use model::{AppearanceFile, CompanySummary, Section, StoredConfig};
pub use ports::{ApplyFn, ConfigRepository, SecretCipher};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockConfigRepository, MockSecretCipher};
pub use rules::limits;
pub use sections::{
    Appearance, AppearancePatch, ChatPatch, ChatSettings, CompanyData, CompanyPatch, ConfigPut,
    EmailPatch, EmailSettings, Endereco, HorarioDia, HorarioFuncionamento, NewEndereco,
    SmtpAccount, WhatsappPatch, WhatsappRuntime, WhatsappSettings,
};
pub use service::{ConfigOverview, ConfigService};
pub use values::{
    CepDigits, CnpjText, MASK, PlainSecret, REGIMES, RegimeTributario, Secret, UF_INVALID_MSG, Uf,
};
