//! Ports of the atendimento area. `kernel::EventPublisher`, `kernel::Clock` and
//! `kernel::CacheInvalidation` complete them.

use crate::commands::{
    AtendimentoChanges, AtendimentoFilter, ChatFilter, DepartamentoChanges, DepartamentoFilter,
    FilaChanges, FilaFilter, MessageWindow,
};
use crate::model::{
    AgentRef, Atendimento, ChatMessage, Departamento, FilaItem, Prioridade, Transferencia,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kernel::{Page, PageRequest, Result};

/// A `nome` already used by another departamento (the unique index's conflict).
pub const NOME_TAKEN: &str = "departamento.nome";
/// An open atendimento already exists for the `chat_id` (the partial unique index).
pub const CHAT_OPEN: &str = "atendimento.chat_id";

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DepartamentoRepository: Send + Sync {
    async fn list(
        &self,
        filter: &DepartamentoFilter,
        page: PageRequest,
    ) -> Result<Option<Page<Departamento>>>;
    async fn get(&self, id: i64) -> Result<Option<Departamento>>;
    /// Inserts with the model defaults for absent fields, members included, in one
    /// transaction. A taken `nome` → `Conflict(NOME_TAKEN)`; an unknown member →
    /// `Validation` on `atendentes`.
    async fn insert(&self, c: &DepartamentoChanges, now: DateTime<Utc>) -> Result<Departamento>;
    /// Writes the given fields (members replaced when given), in one transaction.
    async fn update(
        &self,
        id: i64,
        c: &DepartamentoChanges,
        now: DateTime<Utc>,
    ) -> Result<Option<Departamento>>;
    /// Deletes it with its queue rows, atendimentos and their transfers.
    async fn delete(&self, id: i64) -> Result<bool>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait FilaRepository: Send + Sync {
    async fn list(&self, filter: &FilaFilter, page: PageRequest) -> Result<Option<Page<FilaItem>>>;
    async fn get(&self, id: i64) -> Result<Option<FilaItem>>;
    /// Unknown `departamento`/`cliente` → `Validation` on that field.
    async fn insert(&self, c: &FilaChanges, now: DateTime<Utc>) -> Result<FilaItem>;
    async fn update(&self, id: i64, c: &FilaChanges) -> Result<Option<FilaItem>>;
    async fn delete(&self, id: i64) -> Result<bool>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AtendimentoRepository: Send + Sync {
    async fn list(
        &self,
        filter: &AtendimentoFilter,
        page: PageRequest,
    ) -> Result<Option<Page<Atendimento>>>;
    /// `scope`: only if that agent is its atendente.
    async fn get(&self, id: i64, scope: Option<i64>) -> Result<Option<Atendimento>>;
    /// Unknown `departamento`/`cliente`/`atendente` → `Validation` on that field; a second
    /// open atendimento for the chat → `Conflict(CHAT_OPEN)`.
    async fn insert(&self, c: &AtendimentoChanges, now: DateTime<Utc>) -> Result<Atendimento>;
    /// Writes only the given columns.
    async fn update(
        &self,
        id: i64,
        c: &AtendimentoChanges,
        now: DateTime<Utc>,
    ) -> Result<Option<Atendimento>>;
    async fn delete(&self, id: i64) -> Result<bool>;
    /// Open atendimentos of `atendente`, newest first.
    async fn meus(&self, atendente: i64) -> Result<Vec<Atendimento>>;
    /// The most recently created atendimento of `chat_id` (`open_only`: among the open
    /// statuses; `closed_too`: open or `finalizado`).
    async fn latest_by_chat(
        &self,
        chat_id: &str,
        among: ChatStatuses,
    ) -> Result<Option<Atendimento>>;
}

/// Which statuses a chat lookup accepts (§4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatStatuses {
    /// aguardando, em_atendimento, pausado.
    Open,
    /// The open ones and finalizado.
    OpenOrFinalizado,
    Any,
}

/// A transfer to write: the atendimento changes only while it is open and still has the
/// atendente the use case checked (`atendente_origem`).
#[derive(Debug, Clone, PartialEq)]
pub struct TransferOp {
    pub atendente_origem: Option<i64>,
    pub atendente_destino: i64,
    /// `None`: the department is kept (and recorded as the destination too).
    pub departamento_destino: Option<i64>,
    pub motivo: String,
    pub aceito_em: Option<DateTime<Utc>>,
}

/// How a finalize is written.
#[derive(Debug, Clone, PartialEq)]
pub struct FinalizeOp {
    /// Replaces `observacoes` when set.
    pub observacoes: Option<String>,
    /// Only while not `finalizado` (chat `encerrar`, auto-close); `finalizar` refinalizes.
    pub unless_finalizado: bool,
    /// Only while `em_atendimento` and idle since before this instant (auto-close).
    pub idle_before: Option<DateTime<Utc>>,
    pub auto: bool,
}

/// One queue row handed to an agent by `distribuir`: what its `chat_assigned` tells the agent
/// (a distribution hands out thousands at once, so not the whole atendimento read back).
#[derive(Debug, Clone, PartialEq)]
pub struct Atribuicao {
    pub fila_id: i64,
    pub mensagem_inicial: String,
    pub atendimento_id: i64,
    pub atendente_id: i64,
    pub chat_id: String,
    pub cliente_nome: String,
    pub departamento_nome: String,
    pub prioridade: Prioridade,
}

/// The chat operations whose rules hold under concurrency: each is one conditional write
/// or one transaction.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ChatRepository: Send + Sync {
    /// The chat list (§4.6), one row per atendimento, sorted as asked.
    async fn list(&self, filter: &ChatFilter) -> Result<Vec<Atendimento>>;
    /// A number that changes with every committed write that can change any list page
    /// (kept by the database inside the writing transactions, so it covers every process on
    /// the database). Read *before* a page, a page stored under it is current while it is
    /// unchanged. `None`: this store keeps no such number (nothing may be cached).
    async fn list_version(&self) -> Result<Option<i64>>;
    /// The messages of the atendimento's window, newest first, with the window's size.
    async fn messages(&self, a: &Atendimento, w: MessageWindow) -> Result<(u64, Vec<ChatMessage>)>;
    /// `aguardando` → `em_atendimento` with `atendente` (one conditional update; deletes
    /// the chat's queue rows in the same transaction). `None`: it was not waiting any more.
    async fn aceitar(
        &self,
        id: i64,
        atendente: i64,
        observacoes: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<Option<Atendimento>>;
    /// The atendimento and its Transferencia together. `None`: it is no longer open or
    /// its atendente changed meanwhile.
    async fn transferir(
        &self,
        id: i64,
        op: &TransferOp,
        now: DateTime<Utc>,
    ) -> Result<Option<(Atendimento, Transferencia)>>;
    /// `None`: the op's condition did not hold (or no such row).
    async fn finalizar(
        &self,
        id: i64,
        op: &FinalizeOp,
        now: DateTime<Utc>,
    ) -> Result<Option<Atendimento>>;
    async fn avaliar(
        &self,
        id: i64,
        nota: i32,
        comentario: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Atendimento>>;
    /// §4.7 auto-distribution of the department's pending rows, in one transaction that
    /// holds the department's agents (so concurrent calls and accepts never exceed a
    /// capacity); the choices are [`crate::distribution::plan`]'s.
    async fn distribuir(&self, departamento: i64, now: DateTime<Utc>) -> Result<Vec<Atribuicao>>;
    /// `em_atendimento` atendimentos idle (last activity) since before `before`.
    async fn idle(&self, before: DateTime<Utc>) -> Result<Vec<Atendimento>>;
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AgentDirectory: Send + Sync {
    async fn get(&self, id: i64) -> Result<Option<AgentRef>>;
}

/// An inbound message as the chat intake counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundChat {
    pub chat_id: String,
    pub numero: String,
    pub contact_name: String,
    pub texto: String,
    pub tipo: String,
    pub at: DateTime<Utc>,
    /// The gateway's own id of the customer (`…@lid`, a BSUID) when the message carried one
    /// beside the number: an open chat first keyed by that id joins this one.
    pub peer_id: Option<String>,
}

/// An outbound message as it counts on its chat.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundChat {
    pub chat_id: String,
    pub texto: String,
    pub tipo: String,
    pub at: DateTime<Utc>,
    /// `false` for automatic ("Sistema") messages: they are neither a first response nor
    /// an agent message, and leave the unread count alone.
    pub by_agent: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IntakeOutcome {
    /// Counted on the chat's open atendimento.
    Appended(Atendimento),
    /// A new chat: the atendimento (aguardando) and its queue row.
    Opened {
        atendimento: Atendimento,
        mensagem_inicial: String,
        /// The department's members (who hear `new_chat`).
        membros: Vec<i64>,
        /// A cliente was created for the number.
        cliente_criado: bool,
    },
}

impl IntakeOutcome {
    /// The chat's atendimento, either way.
    pub fn atendimento(&self) -> &Atendimento {
        match self {
            IntakeOutcome::Appended(a) => a,
            IntakeOutcome::Opened { atendimento, .. } => atendimento,
        }
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait IntakeRepository: Send + Sync {
    /// §6.1 in one transaction, serialized per chat: counts the message on the chat's open
    /// atendimento, or resolves (or creates) the cliente and the default department and
    /// opens an atendimento with its queue row. Concurrent first messages of one chat open
    /// exactly one.
    async fn register_inbound(&self, m: &InboundChat) -> Result<IntakeOutcome>;
    /// Counts an outbound message on the chat's open atendimento (if any).
    async fn register_outbound(&self, m: &OutboundChat) -> Result<Option<Atendimento>>;
}
