//! Cliente, GrupoEmpresa and Contato representations.

use clientes::{Cliente, ClienteResumo, Contato, GrupoEmpresa};
use kernel::clock::format_local;
use serde::Serialize;
use utoipa::ToSchema;

/// Full Cliente representation.
#[derive(Serialize, ToSchema)]
pub struct ClienteOut {
    pub id: i64,
    pub grupo_empresa: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grupo_empresa_nome: Option<String>,
    pub razao_social: String,
    pub nome_fantasia: Option<String>,
    pub cnpj: String,
    pub inscricao_estadual: Option<String>,
    pub inscricao_municipal: Option<String>,
    pub ramo_atividade: Option<String>,
    pub regime_tributario: String,
    pub responsavel_legal_nome: String,
    pub responsavel_legal_cpf: String,
    pub responsavel_legal_cargo: Option<String>,
    pub email_principal: Option<String>,
    pub telefone_principal: Option<String>,
    pub endereco: Option<String>,
    pub numero: Option<String>,
    pub complemento: Option<String>,
    pub bairro: Option<String>,
    pub cidade: Option<String>,
    pub estado: Option<String>,
    pub cep: Option<String>,
    pub logo: Option<String>,
    pub assinatura_digital: Option<String>,
    pub status: String,
    pub observacoes: Option<String>,
    pub criado_em: String,
    pub atualizado_em: String,
    pub criado_por: Option<i64>,
    pub atualizado_por: Option<i64>,
    pub contatos_principais: Vec<String>,
    pub endereco_completo: String,
    pub nome_display: String,
}

impl ClienteOut {
    /// `link` turns a stored file path into the URL clients receive.
    pub fn from(c: Cliente, link: impl Fn(&str) -> String) -> Self {
        let contatos_principais = c.contatos_principais();
        let endereco_completo = c.endereco_completo();
        let nome_display = c.nome_display().to_string();
        let d = c.data;
        Self {
            id: c.id,
            grupo_empresa: d.grupo_empresa,
            grupo_empresa_nome: c.grupo_empresa_nome,
            razao_social: d.razao_social,
            nome_fantasia: d.nome_fantasia,
            cnpj: d.cnpj,
            inscricao_estadual: d.inscricao_estadual,
            inscricao_municipal: d.inscricao_municipal,
            ramo_atividade: d.ramo_atividade,
            regime_tributario: d.regime_tributario,
            responsavel_legal_nome: d.responsavel_legal_nome,
            responsavel_legal_cpf: d.responsavel_legal_cpf,
            responsavel_legal_cargo: d.responsavel_legal_cargo,
            email_principal: d.email_principal,
            telefone_principal: d.telefone_principal,
            endereco: d.endereco,
            numero: d.numero,
            complemento: d.complemento,
            bairro: d.bairro,
            cidade: d.cidade,
            estado: d.estado,
            cep: d.cep,
            logo: d.logo.map(|p| link(&p)),
            assinatura_digital: d.assinatura_digital.map(|p| link(&p)),
            status: d.status,
            observacoes: d.observacoes,
            criado_em: format_local(c.criado_em),
            atualizado_em: format_local(c.atualizado_em),
            criado_por: c.criado_por,
            atualizado_por: c.atualizado_por,
            contatos_principais,
            endereco_completo,
            nome_display,
        }
    }
}

/// List representation of a Cliente.
#[derive(Serialize, ToSchema)]
pub struct ClienteListOut {
    pub id: i64,
    pub razao_social: String,
    pub nome_fantasia: Option<String>,
    pub cnpj: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grupo_empresa_nome: Option<String>,
    pub contatos_principais: Vec<String>,
}

impl From<ClienteResumo> for ClienteListOut {
    fn from(c: ClienteResumo) -> Self {
        let contatos_principais = c.contatos_principais();
        Self {
            id: c.id,
            razao_social: c.razao_social,
            nome_fantasia: c.nome_fantasia,
            cnpj: c.cnpj,
            status: c.status,
            grupo_empresa_nome: c.grupo_empresa_nome,
            contatos_principais,
        }
    }
}

/// Writable Cliente fields (all optional; model defaults apply on create).
#[derive(serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ClienteIn {
    #[schema(minimum = 1)]
    pub grupo_empresa: Option<i64>,
    #[schema(min_length = 1, max_length = 255, pattern = r"\S")]
    pub razao_social: Option<String>,
    #[schema(max_length = 255)]
    pub nome_fantasia: Option<String>,
    /// `12.345.678/0001-90` or alphanumeric `12.ABC.345/01DE-35`.
    pub cnpj: Option<String>,
    #[schema(max_length = 20)]
    pub inscricao_estadual: Option<String>,
    #[schema(max_length = 20)]
    pub inscricao_municipal: Option<String>,
    #[schema(max_length = 255)]
    pub ramo_atividade: Option<String>,
    #[schema(pattern = "^(simples_nacional|lucro_presumido|lucro_real|mei|outro)$")]
    pub regime_tributario: Option<String>,
    #[schema(min_length = 1, max_length = 255, pattern = r"\S")]
    pub responsavel_legal_nome: Option<String>,
    /// `123.456.789-09`.
    pub responsavel_legal_cpf: Option<String>,
    #[schema(max_length = 100)]
    pub responsavel_legal_cargo: Option<String>,
    #[schema(format = Email)]
    pub email_principal: Option<String>,
    #[schema(max_length = 20)]
    pub telefone_principal: Option<String>,
    pub endereco: Option<String>,
    #[schema(max_length = 10)]
    pub numero: Option<String>,
    #[schema(max_length = 100)]
    pub complemento: Option<String>,
    #[schema(max_length = 100)]
    pub bairro: Option<String>,
    #[schema(max_length = 100)]
    pub cidade: Option<String>,
    #[schema(max_length = 2)]
    pub estado: Option<String>,
    #[schema(max_length = 9)]
    pub cep: Option<String>,
    #[schema(pattern = "^(ativo|inativo|suspenso|bloqueado)$")]
    pub status: Option<String>,
    pub observacoes: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GrupoOut {
    pub id: i64,
    pub nome: String,
    pub descricao: Option<String>,
    pub ativo: bool,
    pub empresas_count: u64,
    pub criado_em: String,
    pub atualizado_em: String,
}

impl From<GrupoEmpresa> for GrupoOut {
    fn from(g: GrupoEmpresa) -> Self {
        Self {
            id: g.id,
            nome: g.nome,
            descricao: g.descricao,
            ativo: g.ativo,
            empresas_count: g.empresas_count,
            criado_em: format_local(g.criado_em),
            atualizado_em: format_local(g.atualizado_em),
        }
    }
}

#[derive(serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct GrupoIn {
    #[schema(min_length = 1, pattern = r"\S")]
    pub nome: String,
    pub descricao: Option<String>,
    pub ativo: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct ContatoOut {
    pub id: i64,
    pub cliente: i64,
    pub cliente_nome: String,
    pub nome: String,
    pub cargo: Option<String>,
    pub whatsapp: String,
    pub email: Option<String>,
    pub ativo: bool,
    pub criado_em: String,
    pub atualizado_em: String,
}

impl From<Contato> for ContatoOut {
    fn from(c: Contato) -> Self {
        Self {
            id: c.id,
            cliente: c.data.cliente,
            cliente_nome: c.cliente_nome,
            nome: c.data.nome,
            cargo: c.data.cargo,
            whatsapp: c.data.whatsapp,
            email: c.data.email,
            ativo: c.data.ativo,
            criado_em: format_local(c.criado_em),
            atualizado_em: format_local(c.atualizado_em),
        }
    }
}

#[derive(serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ContatoIn {
    #[schema(minimum = 1)]
    pub cliente: i64,
    #[schema(min_length = 1, max_length = 255, pattern = r"\S")]
    pub nome: String,
    #[schema(max_length = 100)]
    pub cargo: Option<String>,
    #[schema(min_length = 1, max_length = 20, pattern = r"\S")]
    pub whatsapp: String,
    #[schema(format = Email)]
    pub email: Option<String>,
    pub ativo: Option<bool>,
}
