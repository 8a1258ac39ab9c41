//! Mapping between the `clientes` table and the domain's `Cliente`.

use crate::entities::cliente;
use clientes::{Cliente, ClienteData};
use sea_orm::ActiveValue::{NotSet, Set};

/// Separator between the fields of `search_text`; never part of a search term (terms are
/// split on whitespace).
const SEARCH_SEPARATOR: &str = "\n";

/// Lowercase `razao_social | nome_fantasia | cnpj | email_principal`, the `?search=` haystack.
pub(crate) fn search_text(d: &ClienteData) -> String {
    [
        d.razao_social.as_str(),
        d.nome_fantasia.as_deref().unwrap_or(""),
        d.cnpj.as_str(),
        d.email_principal.as_deref().unwrap_or(""),
    ]
    .join(SEARCH_SEPARATOR)
    .to_lowercase()
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
