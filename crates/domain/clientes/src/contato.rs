//! Contato: a person of a cliente reachable on WhatsApp.

use chrono::{DateTime, Utc};
use kernel::FieldErrors;
use kernel::input::Input;
use kernel::values;

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

/// Applies the present fields; `cliente` existence is checked by the service.
pub fn apply_input(input: &Input, data: &mut ContatoData, errors: &mut FieldErrors) {
    if let Some(v) = input.int("cliente", false, errors).flatten() {
        data.cliente = v;
    }
    if let Some(v) = input.text("nome", Some(255), false, errors) {
        data.nome = v;
    }
    if let Some(v) = input.string("cargo", Some(100), true, true, errors) {
        data.cargo = v;
    }
    if let Some(v) = input.text("whatsapp", Some(20), false, errors) {
        if values::is_valid_phone(&v) {
            data.whatsapp = v;
        } else {
            errors.add("whatsapp", values::WHATSAPP_MSG);
        }
    }
    if let Some(v) = input.email("email", true, true, errors) {
        data.email = v;
    }
    if let Some(v) = input.boolean("ativo", errors) {
        data.ativo = v;
    }
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

impl ContatoFilter {
    pub fn from_query(
        query: &[(String, String)],
        only_active_clientes: bool,
    ) -> kernel::Result<Self> {
        let mut f = ContatoFilter {
            only_active_clientes,
            ..Default::default()
        };
        let mut errors = FieldErrors::new();
        for (k, v) in query {
            match k.as_str() {
                // The last `search` is the one used (below), as DRF reads it.
                "search" => {}
                "cliente" if !v.is_empty() => {
                    f.cliente = crate::filter::id_param("cliente", v, &mut errors)
                }
                "ativo" if !v.is_empty() => match kernel::input::parse_bool_str(v) {
                    Some(b) => f.ativo = Some(b),
                    None => errors.add("ativo", kernel::messages::invalid_filter_choice(v)),
                },
                other => {
                    if let Some(col) = ICONTAINS.iter().find(|c| **c == other)
                        && !v.is_empty()
                    {
                        crate::filter::set_icontains(&mut f.icontains, col, v);
                    }
                }
            }
        }
        f.search =
            kernel::page::search_terms("search", crate::filter::last(query, "search"), &mut errors);
        errors.into_result()?;
        Ok(f)
    }
}
