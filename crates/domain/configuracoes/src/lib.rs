//! Configurações: the company, chat, e-mail, appearance and WhatsApp settings of the
//! installation (contract §4.9), kept in a single row whose sections are JSON objects.
//!
//! * [`ConfigService`] holds the use cases (GET/PATCH per section, PUT of the whole, appearance
//!   files, secrets for server-side use, company data for documents).
//! * [`ConfigRepository`] and [`SecretCipher`] are the ports; secrets (`smtp_senha`,
//!   `session_data`, `proxy_url`) are encrypted before they reach the repository and never
//!   leave the service in clear except through the explicit `*_decrypted`/`smtp_password`
//!   calls.
//! * [`Section::permission`] names the permission the HTTP layer must check before a PATCH.

mod fields;
pub mod model;
pub mod ports;
mod rules;
pub mod service;

pub use model::{AppearanceFile, CompanySummary, Section, StoredConfig};
pub use ports::{ApplyFn, ConfigRepository, SecretCipher};
#[cfg(any(test, feature = "mocks"))]
pub use ports::{MockConfigRepository, MockSecretCipher};
pub use rules::UF_INVALID_MSG;
pub use service::{
    BodyFormat, ConfigOverview, ConfigService, MASK, NOT_AN_IMAGE, is_stored_appearance_file,
};
