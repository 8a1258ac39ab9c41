//! Typed commands and queries of the atendimento area, as the edge parses them from bodies
//! and query strings (and as webhooks, sockets and jobs build them).

use crate::model::{Prioridade, Status};
use kernel::OrderBy;

pub use whatsapp::commands::Caller;

pub const NOME_MAX: usize = 100;
pub const COR_MAX: usize = 7;
pub const CHAT_ID_MAX: usize = 100;
pub const NUMERO_MAX: usize = 20;
pub const DEFAULT_COR: &str = "#3B82F6";

/// A departamento's writable fields; `None` keeps the current value (or the model default on
/// create).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DepartamentoChanges {
    pub nome: Option<String>,
    pub descricao: Option<String>,
    pub cor: Option<String>,
    pub atendentes: Option<Vec<i64>>,
    pub max_atendimentos_simultaneos: Option<i32>,
    pub tempo_resposta_esperado_minutos: Option<i32>,
    pub ativo: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DepartamentoFilter {
    pub ativo: Option<bool>,
    /// Lowercased terms; each must match `nome` or `descricao`.
    pub search: Vec<String>,
}

/// A queue row's writable fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilaChanges {
    pub departamento: Option<i64>,
    pub cliente: Option<i64>,
    pub chat_id: Option<String>,
    pub numero_whatsapp: Option<String>,
    pub mensagem_inicial: Option<String>,
    pub prioridade: Option<Prioridade>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilaFilter {
    pub departamento: Option<i64>,
    pub prioridade: Option<Prioridade>,
    /// `entrou_na_fila_em`, `prioridade` (by rank); empty: rank desc, then oldest first.
    pub ordering: Vec<OrderBy>,
}

/// An atendimento's writable fields (plain CRUD, no state-machine checks).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AtendimentoChanges {
    pub departamento: Option<i64>,
    pub cliente: Option<i64>,
    /// `Some(None)`: no atendente.
    pub atendente: Option<Option<i64>>,
    pub chat_id: Option<String>,
    pub numero_whatsapp: Option<String>,
    pub status: Option<Status>,
    pub prioridade: Option<Prioridade>,
    pub total_mensagens_cliente: Option<i64>,
    pub total_mensagens_atendente: Option<i64>,
    pub avaliacao: Option<Option<i32>>,
    pub comentario_avaliacao: Option<String>,
    pub observacoes: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AtendimentoFilter {
    pub status: Option<Status>,
    pub departamento: Option<i64>,
    pub atendente: Option<i64>,
    pub prioridade: Option<Prioridade>,
    /// Lowercased terms over the cliente's razão social, `numero_whatsapp`, `observacoes`.
    pub search: Vec<String>,
    /// `criado_em`, `iniciado_em`, `finalizado_em`; empty: `-criado_em`.
    pub ordering: Vec<OrderBy>,
    /// Only this atendente's rows (non-superusers).
    pub scope: Option<i64>,
}

/// `GET /chats/` `sort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChatSort {
    #[default]
    LastMessage,
    Priority,
    Created,
    Updated,
}

pub const CHAT_SORTS: [&str; 4] = ["lastMessage", "priority", "created", "updated"];

impl ChatSort {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "lastMessage" => ChatSort::LastMessage,
            "priority" => ChatSort::Priority,
            "created" => ChatSort::Created,
            "updated" => ChatSort::Updated,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ChatFilter {
    /// `None`: every status except `finalizado`.
    pub status: Option<Status>,
    pub atendente: Option<i64>,
    pub departamento: Option<i64>,
    pub sort: ChatSort,
    /// `order=asc` → false.
    pub descending: bool,
    /// Non-superusers: only rows of this atendente or waiting ones.
    pub scope: Option<i64>,
    /// `?limit`/`?offset` (decided extension): one page of the list; `None`, the whole list
    /// as the contract has it.
    pub page: Option<MessageWindow>,
}

/// `POST /chats/{chat_id}/aceitar/`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AceitarChat {
    pub atendente_id: Option<i64>,
    pub observacoes: Option<String>,
}

/// Both transfer endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct Transferir {
    pub atendente_destino_id: i64,
    pub departamento_destino_id: Option<i64>,
    pub motivo: String,
}

/// `GET /chats/{chat_id}/messages/` window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MessageWindow {
    pub limit: u64,
    pub offset: u64,
}

impl Default for MessageWindow {
    fn default() -> Self {
        Self {
            limit: 50,
            offset: 0,
        }
    }
}
