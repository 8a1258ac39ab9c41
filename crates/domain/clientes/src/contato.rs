//! Contato: a person of a cliente reachable on WhatsApp.

use chrono::{DateTime, Utc};

pub const UNIQUE_MSG: &str = "Os campos cliente, whatsapp devem criar um set único.";
pub const ORDERING: [&str; 3] = ["nome", "criado_em", "ativo"];
pub const ICONTAINS: [&str; 4] = ["nome", "whatsapp", "email", "cargo"];

#[derive(Debug, Clone, PartialEq)]
pub struct ContatoData {
    pub cliente: i64,
    pub nome: String,
    pub cargo: Option<String>,
    pub whatsapp: String,
    pub email: Option<String>,
    pub ativo: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Contato {
    pub id: i64,
    pub data: ContatoData,
    pub cliente_nome: String,
    pub criado_em: DateTime<Utc>,
    pub atualizado_em: DateTime<Utc>,
}

/// List filters of `/contatos/`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContatoFilter {
    /// Non-superusers only see contatos whose cliente is `ativo`.
    pub only_active_clientes: bool,
    pub cliente: Option<i64>,
    pub ativo: Option<bool>,
    pub search: Vec<String>,
    pub icontains: Vec<(&'static str, String)>,
}
