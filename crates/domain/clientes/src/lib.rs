//! Clientes (customer companies), grupos de empresa, contatos, the public chat-intake lookups
//! and cadastro manual.

pub mod chat;
pub mod cliente;
pub mod commands;
pub mod contato;
#[cfg(test)]
pub(crate) mod fake_uow;
pub mod filter;
pub mod grupo;
pub mod ports;
pub mod service;

pub use cliente::{Cliente, ClienteData, ClienteResumo, ClienteStats};
pub use contato::{Contato, ContatoData};
pub use grupo::GrupoEmpresa;
