//! Typed commands and queries of the grupo-de-empresa and contato use cases. The edge
//! (`apps/server`) parses the wire into these; the use cases never see a body or a query
//! string.

use crate::contato::ContatoFilter;
use crate::filter::ClienteFilter;
use kernel::values::{Cep, Cnpj, Cpf, Email, EmailField, Telefone, Whatsapp};
use kernel::{FieldErrors, OrderBy};

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

/// An image sent for a cliente's `logo` or `assinatura_digital`: the use case checks that it
/// is an image and stores it.
#[derive(Clone, PartialEq, Eq)]
pub struct ImagemEnviada {
    pub filename: String,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for ImagemEnviada {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImagemEnviada")
            .field("filename", &self.filename)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// A change of an image field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imagem {
    /// Null or `""`: the image is cleared.
    Remover,
    /// A file part: the new image.
    Enviar(ImagemEnviada),
}

/// The writable fields of a cliente a request sets; `None` leaves a field as it is
/// (`Some(None)` clears a nullable one). A creation applies them onto the model defaults
/// ([`ClienteData::defaults`](crate::ClienteData::defaults)); `PUT` and `PATCH` onto the
/// stored row (every field optional for both, as observed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClienteChanges {
    pub grupo_empresa: Option<Option<i64>>,
    pub razao_social: Option<String>,
    pub nome_fantasia: Option<Option<String>>,
    pub cnpj: Option<Cnpj>,
    pub inscricao_estadual: Option<Option<String>>,
    pub inscricao_municipal: Option<Option<String>>,
    pub ramo_atividade: Option<Option<String>>,
    /// One of [`REGIMES`](crate::cliente::REGIMES).
    pub regime_tributario: Option<String>,
    pub responsavel_legal_nome: Option<String>,
    pub responsavel_legal_cpf: Option<Cpf>,
    pub responsavel_legal_cargo: Option<Option<String>>,
    /// A blank address is stored as null.
    pub email_principal: Option<Option<Email>>,
    pub telefone_principal: Option<Option<Telefone>>,
    pub endereco: Option<Option<String>>,
    pub numero: Option<Option<String>>,
    pub complemento: Option<Option<String>>,
    pub bairro: Option<Option<String>>,
    pub cidade: Option<Option<String>>,
    pub estado: Option<Option<String>>,
    pub cep: Option<Option<Cep>>,
    /// One of [`STATUS`](crate::cliente::STATUS).
    pub status: Option<String>,
    pub observacoes: Option<Option<String>>,
    pub logo: Option<Imagem>,
    pub assinatura_digital: Option<Imagem>,
}

/// A cliente body the edge refused: its field errors and the fields that did parse (the use
/// case still checks those against the database, as DRF reports every field at once).
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidCliente {
    pub errors: FieldErrors,
    pub changes: ClienteChanges,
}

/// Limits of the cliente's text fields (checked by the edge, stated by its schema).
pub mod cliente_limits {
    pub const RAZAO_SOCIAL: usize = 255;
    pub const NOME_FANTASIA: usize = 255;
    pub const INSCRICAO: usize = 20;
    pub const RAMO_ATIVIDADE: usize = 255;
    pub const RESPONSAVEL_NOME: usize = 255;
    pub const RESPONSAVEL_CARGO: usize = 100;
    pub const NUMERO: usize = 10;
    pub const COMPLEMENTO: usize = 100;
    pub const BAIRRO: usize = 100;
    pub const CIDADE: usize = 100;
    pub const ESTADO: usize = 2;
}

/// The cliente lists: filters and ordering (empty: the default, newest first).
/// `filter.owner` is the caller's scope, set by the use case.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClienteQuery {
    pub filter: ClienteFilter,
    pub ordering: Vec<OrderBy>,
}
