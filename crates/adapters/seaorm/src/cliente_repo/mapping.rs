//! Mapping between the `clientes` table and the domain's `Cliente`.

use crate::entities::cliente::{self, Column as C};
use clientes::{Cliente, ClienteData};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{DbErr, FromQueryResult, QueryResult};

/// Separator between the fields of `search_text`; never part of a search term (terms are
/// split on whitespace).
const SEARCH_SEPARATOR: &str = "\n";

/// `razao_social | nome_fantasia | cnpj | email_principal` folded (lowercase, no accents:
/// [`kernel::text::search_fold`]), the `?search=` haystack.
pub(crate) fn search_text(d: &ClienteData) -> String {
    kernel::text::search_fold(
        &[
            d.razao_social.as_str(),
            d.nome_fantasia.as_deref().unwrap_or(""),
            d.cnpj.as_str(),
            d.email_principal.as_deref().unwrap_or(""),
        ]
        .join(SEARCH_SEPARATOR),
    )
}

/// An active model with every writable column (and `search_text`) set from `d`.
pub(crate) fn active_model(d: &ClienteData) -> cliente::ActiveModel {
    cliente::ActiveModel {
        id: NotSet,
        grupo_empresa_id: Set(d.grupo_empresa),
        razao_social: Set(d.razao_social.clone()),
        nome_fantasia: Set(d.nome_fantasia.clone()),
        cnpj: Set(d.cnpj.clone()),
        inscricao_estadual: Set(d.inscricao_estadual.clone()),
        inscricao_municipal: Set(d.inscricao_municipal.clone()),
        ramo_atividade: Set(d.ramo_atividade.clone()),
        regime_tributario: Set(d.regime_tributario.clone()),
        responsavel_legal_nome: Set(d.responsavel_legal_nome.clone()),
        responsavel_legal_cpf: Set(d.responsavel_legal_cpf.clone()),
        responsavel_legal_cargo: Set(d.responsavel_legal_cargo.clone()),
        email_principal: Set(d.email_principal.clone()),
        telefone_principal: Set(d.telefone_principal.clone()),
        endereco: Set(d.endereco.clone()),
        numero: Set(d.numero.clone()),
        complemento: Set(d.complemento.clone()),
        bairro: Set(d.bairro.clone()),
        cidade: Set(d.cidade.clone()),
        estado: Set(d.estado.clone()),
        cep: Set(d.cep.clone()),
        logo: Set(d.logo.clone()),
        assinatura_digital: Set(d.assinatura_digital.clone()),
        status: Set(d.status.clone()),
        observacoes: Set(d.observacoes.clone()),
        search_text: Set(search_text(d)),
        criado_em: NotSet,
        atualizado_em: NotSet,
        criado_por: NotSet,
        atualizado_por: NotSet,
    }
}

pub(crate) fn to_domain(m: cliente::Model, grupo_empresa_nome: Option<String>) -> Cliente {
    Cliente {
        id: m.id,
        data: ClienteData {
            grupo_empresa: m.grupo_empresa_id,
            razao_social: m.razao_social,
            nome_fantasia: m.nome_fantasia,
            cnpj: m.cnpj,
            inscricao_estadual: m.inscricao_estadual,
            inscricao_municipal: m.inscricao_municipal,
            ramo_atividade: m.ramo_atividade,
            regime_tributario: m.regime_tributario,
            responsavel_legal_nome: m.responsavel_legal_nome,
            responsavel_legal_cpf: m.responsavel_legal_cpf,
            responsavel_legal_cargo: m.responsavel_legal_cargo,
            email_principal: m.email_principal,
            telefone_principal: m.telefone_principal,
            endereco: m.endereco,
            numero: m.numero,
            complemento: m.complemento,
            bairro: m.bairro,
            cidade: m.cidade,
            estado: m.estado,
            cep: m.cep,
            logo: m.logo,
            assinatura_digital: m.assinatura_digital,
            status: m.status,
            observacoes: m.observacoes,
        },
        grupo_empresa_nome,
        criado_em: m.criado_em,
        atualizado_em: m.atualizado_em,
        criado_por: m.criado_por,
        atualizado_por: m.atualizado_por,
    }
}

/// Columns read for a cliente, in the order [`ClienteRow`] decodes them (`search_text` is
/// never read back); the group's name follows as the last column.
pub(crate) const COLUMNS: [C; 29] = [
    C::Id,
    C::GrupoEmpresaId,
    C::RazaoSocial,
    C::NomeFantasia,
    C::Cnpj,
    C::InscricaoEstadual,
    C::InscricaoMunicipal,
    C::RamoAtividade,
    C::RegimeTributario,
    C::ResponsavelLegalNome,
    C::ResponsavelLegalCpf,
    C::ResponsavelLegalCargo,
    C::EmailPrincipal,
    C::TelefonePrincipal,
    C::Endereco,
    C::Numero,
    C::Complemento,
    C::Bairro,
    C::Cidade,
    C::Estado,
    C::Cep,
    C::Logo,
    C::AssinaturaDigital,
    C::Status,
    C::Observacoes,
    C::CriadoEm,
    C::AtualizadoEm,
    C::CriadoPor,
    C::AtualizadoPor,
];

/// A cliente decoded by column position (cheaper than by name on wide rows).
pub(crate) struct ClienteRow(pub Cliente);

impl FromQueryResult for ClienteRow {
    fn from_query_result(r: &QueryResult, _pre: &str) -> Result<Self, DbErr> {
        let data = ClienteData {
            grupo_empresa: r.try_get_by_index(1)?,
            razao_social: r.try_get_by_index(2)?,
            nome_fantasia: r.try_get_by_index(3)?,
            cnpj: r.try_get_by_index(4)?,
            inscricao_estadual: r.try_get_by_index(5)?,
            inscricao_municipal: r.try_get_by_index(6)?,
            ramo_atividade: r.try_get_by_index(7)?,
            regime_tributario: r.try_get_by_index(8)?,
            responsavel_legal_nome: r.try_get_by_index(9)?,
            responsavel_legal_cpf: r.try_get_by_index(10)?,
            responsavel_legal_cargo: r.try_get_by_index(11)?,
            email_principal: r.try_get_by_index(12)?,
            telefone_principal: r.try_get_by_index(13)?,
            endereco: r.try_get_by_index(14)?,
            numero: r.try_get_by_index(15)?,
            complemento: r.try_get_by_index(16)?,
            bairro: r.try_get_by_index(17)?,
            cidade: r.try_get_by_index(18)?,
            estado: r.try_get_by_index(19)?,
            cep: r.try_get_by_index(20)?,
            logo: r.try_get_by_index(21)?,
            assinatura_digital: r.try_get_by_index(22)?,
            status: r.try_get_by_index(23)?,
            observacoes: r.try_get_by_index(24)?,
        };
        Ok(ClienteRow(Cliente {
            id: r.try_get_by_index(0)?,
            data,
            criado_em: r.try_get_by_index(25)?,
            atualizado_em: r.try_get_by_index(26)?,
            criado_por: r.try_get_by_index(27)?,
            atualizado_por: r.try_get_by_index(28)?,
            grupo_empresa_nome: r.try_get_by_index(COLUMNS.len())?,
        }))
    }
}
