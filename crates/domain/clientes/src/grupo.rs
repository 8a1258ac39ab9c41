//! GrupoEmpresa: a named group of clientes.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub struct GrupoEmpresa {
    pub id: i64,
    pub nome: String,
    pub descricao: Option<String>,
    pub ativo: bool,
    pub empresas_count: u64,
    pub criado_em: DateTime<Utc>,
    pub atualizado_em: DateTime<Utc>,
}

/// Writable fields.
#[derive(Debug, Clone, PartialEq)]
pub struct GrupoData {
    pub nome: String,
    pub descricao: Option<String>,
    pub ativo: bool,
}

pub const ORDERING: [&str; 2] = ["nome", "criado_em"];
