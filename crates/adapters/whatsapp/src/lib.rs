//! WhatsApp gateway adapters behind `whatsapp::ports::WhatsAppGateway`:
//!
//! - [`SimulatorGateway`], the default (contract §4.5): a simulated connection per user,
//!   driven through the same ports a real gateway uses;
//! - [`EvolutionGateway`]: Evolution API v2 (QR code pairing), webhooks decoded by
//!   [`evolution::payload`];
//! - [`MetaGateway`]: Meta WhatsApp Cloud API, webhooks decoded by [`meta::payload`] and
//!   signed (`X-Hub-Signature-256`, [`http::meta_signature_valid`]).
//!
//! Each maps its provider's wire format (GATEWAYS.md) to the domain's types at this edge,
//! numbers canonicalized (`kernel::WaPeer`).

pub mod config;
pub mod evolution;
pub mod http;
pub mod meta;
mod simulator;

pub use config::{EvolutionConfig, GatewayChoice, MetaConfig, Secret};
pub use evolution::EvolutionGateway;
pub use meta::MetaGateway;
pub use simulator::{SimulatorGateway, step_from_env};
