//! Ports of the clientes domain.

use crate::cliente::{Cliente, ClienteData, ClienteResumo, ClienteStats};
use crate::contato::{Contato, ContatoData, ContatoFilter};
use crate::filter::ClienteFilter;
use crate::grupo::{GrupoData, GrupoEmpresa};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kernel::{OrderBy, Page, PageRequest, Result};

/// Lists return `Ok(None)` when the requested page does not exist.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ClienteRepository: Send + Sync {
    async fn list(
        &self,
        filter: &ClienteFilter,
        order: &[OrderBy],
        page: PageRequest,
    ) -> Result<Option<Page<Cliente>>>;
    /// The same page as [`ClienteRepository::list`], reading only the list representation's
    /// columns.
    async fn list_resumo(
        &self,
        filter: &ClienteFilter,
        order: &[OrderBy],
        page: PageRequest,
    ) -> Result<Option<Page<ClienteResumo>>>;
    /// `owner`: only a cliente created by that agent.
    async fn get(&self, id: i64, owner: Option<i64>) -> Result<Option<Cliente>>;
    /// A taken CNPJ → `Conflict`.
    async fn insert(&self, data: &ClienteData, criado_por: Option<i64>) -> Result<Cliente>;
    /// A taken CNPJ → `Conflict`. `since`: the row `data` was computed from; only the
    /// columns where `data` differs from it are written (PATCH), so a concurrent update of
    /// other columns is kept. `None` writes every column (PUT). Returns the stored row.
    async fn update(
        &self,
        id: i64,
        data: &ClienteData,
        since: Option<ClienteData>,
        atualizado_por: Option<i64>,
    ) -> Result<Cliente>;
    /// Hard delete, cascading to contatos, documentos, filas and atendimentos.
    async fn delete(&self, id: i64) -> Result<()>;
    async fn stats(&self, owner: Option<i64>, recent_since: DateTime<Utc>) -> Result<ClienteStats>;
    async fn cnpj_taken(&self, cnpj: &str, except: Option<i64>) -> Result<bool>;
    /// Allocates the next NNNN for a placeholder CNPJ `00.000.000/NNNN-00`, atomically: no two
    /// calls (concurrent or not, from any process sharing the database) ever get the same
    /// number. Numbers start above every placeholder stored before the counter existed.
    async fn next_placeholder_seq(&self) -> Result<u32>;
    /// Inserts `data` as [`ClienteRepository::insert`] does; an empty `cnpj` first gets a
    /// placeholder (`00.000.000/NNNN-00`, NNNN from [`ClienteRepository::next_placeholder_seq`]),
    /// allocated and inserted together. A number whose placeholder is already stored (typed by
    /// hand) is skipped for the next one, up to
    /// [`PLACEHOLDER_ATTEMPTS`](crate::service::PLACEHOLDER_ATTEMPTS) numbers, then `Internal`.
    /// A taken non-empty CNPJ → `Conflict`.
    async fn insert_with_placeholder(
        &self,
        data: &ClienteData,
        criado_por: Option<i64>,
    ) -> Result<Cliente>;
    async fn find_by_cnpj(&self, cnpj: &str) -> Result<Option<Cliente>>;
    /// Whether `path` (a stored path such as `clientes/imagens/logo.png`) is the `logo` or
    /// `assinatura_digital` of a cliente; `owner`: only of a cliente created by that agent.
    async fn imagem_visivel(&self, path: &str, owner: Option<i64>) -> Result<bool>;
    /// A cliente whose razão social or nome fantasia equals `nome`, case-insensitively.
    async fn find_by_nome(&self, nome: &str) -> Result<Option<Cliente>>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait GrupoEmpresaRepository: Send + Sync {
    async fn list(
        &self,
        search: &[String],
        order: &[OrderBy],
        page: PageRequest,
    ) -> Result<Option<Page<GrupoEmpresa>>>;
    async fn get(&self, id: i64) -> Result<Option<GrupoEmpresa>>;
    async fn insert(&self, data: &GrupoData) -> Result<GrupoEmpresa>;
    /// `since`: as in [`ClienteRepository::update`] (only the changed columns are written).
    async fn update(
        &self,
        id: i64,
        data: &GrupoData,
        since: Option<GrupoData>,
    ) -> Result<GrupoEmpresa>;
    /// Deletes the group; its clientes keep existing with `grupo_empresa` null.
    async fn delete(&self, id: i64) -> Result<bool>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ContatoRepository: Send + Sync {
    async fn list(
        &self,
        filter: &ContatoFilter,
        order: &[OrderBy],
        page: PageRequest,
    ) -> Result<Option<Page<Contato>>>;
    /// Active contatos only; `only_active_clientes` also hides contatos of non-active clientes.
    async fn get(&self, id: i64, only_active_clientes: bool) -> Result<Option<Contato>>;
    /// A taken (cliente, whatsapp) pair → `Conflict`.
    async fn insert(&self, data: &ContatoData) -> Result<Contato>;
    /// `since`: as in [`ClienteRepository::update`] (only the changed columns are written).
    async fn update(
        &self,
        id: i64,
        data: &ContatoData,
        since: Option<ContatoData>,
    ) -> Result<Contato>;
    async fn deactivate(&self, id: i64) -> Result<()>;
    async fn find_active_by_whatsapp(&self, whatsapp: &str) -> Result<Vec<Contato>>;
}

/// Writes that touch several repositories, made in one transaction: all of them or none
/// (a cliente deleted with its documentos, a cadastro manual creating a cliente and its
/// contato).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait UnitOfWork: Send + Sync {
    async fn begin(&self) -> Result<Box<dyn ClientesTx>>;
}

/// An open transaction of [`UnitOfWork`]: dropped without [`ClientesTx::commit`], every write
/// made in it is rolled back. Errors are those of the repositories' same writes.
#[async_trait]
pub trait ClientesTx: Send {
    /// As [`ClienteRepository::insert`] (a taken CNPJ → `Conflict(CNPJ_CONSTRAINT)`).
    async fn insert_cliente(
        &mut self,
        data: &ClienteData,
        criado_por: Option<i64>,
    ) -> Result<Cliente>;
    /// As [`ContatoRepository::insert`] (a taken (cliente, whatsapp) pair → `Conflict`).
    async fn insert_contato(&mut self, data: &ContatoData) -> Result<Contato>;
    /// Deletes every documento of the cliente, active or not (another area's rows), and
    /// returns their stored files, to be removed once the transaction commits.
    async fn delete_documentos_do_cliente(&mut self, cliente_id: i64) -> Result<Vec<String>>;
    /// As [`ClienteRepository::delete`] (missing → `NotFound("Cliente")`).
    async fn delete_cliente(&mut self, id: i64) -> Result<()>;
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// What [`ClienteRepository`] reports as the `Conflict` of a taken CNPJ (the unique index on
/// `clientes.cnpj`); a conflict on any other constraint carries another description.
pub const CNPJ_CONSTRAINT: &str = "clientes.cnpj";
