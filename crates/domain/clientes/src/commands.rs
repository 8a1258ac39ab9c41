//! Typed commands and queries of the grupo-de-empresa and contato use cases. The edge
//! (`apps/server`) parses the wire into these; the use cases never see a body or a query
//! string.

use crate::contato::ContatoFilter;
use kernel::OrderBy;
use kernel::values::{EmailField, Whatsapp};

/// Longest `nome` of a grupo de empresa or a contato.
pub const NOME_MAX_CHARS: usize = 255;
/// Longest `cargo` of a contato.
pub const CARGO_MAX_CHARS: usize = 100;

/// A new grupo de empresa.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateGrupo {
    pub nome: String,
    pub descricao: Option<String>,
    pub ativo: bool,
}

/// Changes to a grupo de empresa; `None` leaves a field as it is (`descricao: Some(None)`
/// clears it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateGrupo {
    pub nome: Option<String>,
    pub descricao: Option<Option<String>>,
    pub ativo: Option<bool>,
}

/// `GET /grupos-empresa/`: search terms (each matched on `nome`) and ordering.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GrupoQuery {
    pub search: Vec<String>,
    pub ordering: Vec<OrderBy>,
}

/// A new contato. The `cliente` must exist (checked by the use case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateContato {
    pub cliente: i64,
    pub nome: String,
    pub cargo: Option<String>,
    pub whatsapp: Whatsapp,
    pub email: EmailField,
    pub ativo: bool,
}

/// Changes to a contato; `None` leaves a field as it is (`cargo: Some(None)` clears it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateContato {
    pub cliente: Option<i64>,
    pub nome: Option<String>,
    pub cargo: Option<Option<String>>,
    pub whatsapp: Option<Whatsapp>,
    pub email: Option<EmailField>,
    pub ativo: Option<bool>,
}

/// `GET /contatos/`: filters and ordering. `filter.only_active_clientes` is the caller's
/// scope, set by the use case.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContatoQuery {
    pub filter: ContatoFilter,
    pub ordering: Vec<OrderBy>,
}
