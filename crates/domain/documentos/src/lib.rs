//! Documentos de clientes: the `Documento` entity and its validation, list filters, the
//! repository and renderer ports, document templates, and generation of contracts and boletos
//! (FEBRABAN barcode / linha digitável, PIX BR Code).
//!
//! Pure domain crate: no web framework, database driver or async runtime.

pub mod boleto;
pub mod commands;
pub mod filter;
pub mod geracao;
pub mod model;
pub mod pix;
pub mod ports;
pub mod render;
pub mod service;
pub mod template;

#[cfg(test)]
mod test_util;

pub use commands::{DocumentoChanges, DocumentoForm};
pub use filter::{DocumentoFilter, DocumentoScope};
pub use geracao::{ClienteResumo, EmpresaResumo, GeracaoContexto, GeracaoService, GerarRequest};
pub use model::{Documento, NewDocumento, OrigemDocumento, StatusDocumento, TipoDocumento};
pub use ports::{ClientesDaGeracao, DocumentRenderer, DocumentoRepository, EmpresaDaGeracao};
pub use render::{BoletoPdf, ContratoPdf, Parte};
pub use service::DocumentoService;
pub use template::{Template, TipoTemplate};

/// Model name used in `404 {"detail":"No DocumentoCliente matches the given query."}`.
pub const MODEL_NAME: &str = "DocumentoCliente";

/// Storage directory of customer documents (relative to the media root).
pub const STORAGE_DIR: &str = "clientes/documentos";
