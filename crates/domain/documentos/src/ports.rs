//! Ports of the documentos domain. `FileStorage` and `Clock` come from `kernel`.

use crate::commands::DocumentoChanges;
use crate::filter::{DocumentoFilter, DocumentoScope};
use crate::geracao::{ClienteResumo, EmpresaResumo};
use crate::model::{Documento, NewDocumento};
use crate::render::{BoletoPdf, ContratoPdf};
use crate::template::Template;
use async_trait::async_trait;
use kernel::{Page, PageRequest, Result};

/// Persistence of documents.
///
/// Every read applies the base scope: only `ativo = true` rows, and for
/// [`DocumentoScope::Owner`] only documents of clientes whose `criado_por` is that user.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DocumentoRepository: Send + Sync {
    /// Filtered, ordered page (`filter.ordering` is already whitelisted; the adapter appends
    /// `id` as a final tie-break). An out-of-range page must yield
    /// `DomainError::InvalidPage`.
    async fn list(&self, filter: &DocumentoFilter, page: PageRequest) -> Result<Page<Documento>>;
    /// One document within the scope; `Ok(None)` when missing, inactive or out of scope.
    async fn get(&self, id: i64, scope: &DocumentoScope) -> Result<Option<Documento>>;
    /// Inserts and returns the stored row (with the joined `cliente_nome`/`usuario_upload_nome`).
    async fn insert(&self, novo: NewDocumento) -> Result<Documento>;
    /// Applies the changes (only `Some` fields) and returns the stored row;
    /// `Err(DomainError::NotFound("DocumentoCliente"))` when the row vanished.
    async fn update(&self, id: i64, changes: DocumentoChanges) -> Result<Documento>;
    /// Sets `ativo = false`. Missing row → `NotFound("DocumentoCliente")`.
    async fn soft_delete(&self, id: i64) -> Result<()>;
    /// Whether a cliente with this id exists (any status) — the `cliente` FK check.
    async fn cliente_existe(&self, cliente_id: i64) -> Result<bool>;
    /// Whether `arquivo` (a stored path such as `clientes/documentos/a.pdf`) is the file of an
    /// active documento within `scope`: the rule for serving it under `/media/`.
    async fn arquivo_visivel(&self, arquivo: &str, scope: &DocumentoScope) -> Result<bool>;
    /// The stored file of every documento of a cliente, active or not (whatever the scope).
    async fn arquivos_do_cliente(&self, cliente_id: i64) -> Result<Vec<String>>;
}

/// Renders generated documents to PDF bytes. Rendering is CPU work of a few milliseconds
/// without I/O; it is async so that an adapter can do it away from the threads that serve
/// requests.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DocumentRenderer: Send + Sync {
    async fn render_contrato(&self, contrato: &ContratoPdf) -> Result<Vec<u8>>;
    async fn render_boleto(&self, boleto: &BoletoPdf) -> Result<Vec<u8>>;
}

/// The clientes a generation is for (another area's rows), read within the caller's scope.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ClientesDaGeracao: Send + Sync {
    /// Cliente `id` when a caller who sees the clientes of `owner` (`None`: every cliente)
    /// may see it; `Ok(None)` when missing or out of that scope.
    async fn cliente(&self, id: i64, owner: Option<i64>) -> Result<Option<ClienteResumo>>;
}

/// The issuing company and the configured templates (the settings area).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EmpresaDaGeracao: Send + Sync {
    /// `None` when the company data is not configured.
    async fn empresa(&self) -> Result<Option<EmpresaResumo>>;
    /// `Config.document_templates` (empty: the built-ins).
    async fn templates(&self) -> Result<Vec<Template>>;
}
