//! Documento representations. `arquivo` is a signed, expiring media link.

use chrono::NaiveDate;
use documentos::Documento;
use kernel::clock::format_local;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct DocumentoOut {
    pub id: i64,
    pub cliente: i64,
    pub cliente_nome: Option<String>,
    pub nome: String,
    pub tipo_documento: String,
    pub status: String,
    pub origem: String,
    /// Signed link to the file (absolute in CRUD responses, relative in `gerar-*`).
    pub arquivo: String,
    pub descricao: Option<String>,
    pub template_usado: Option<String>,
    #[schema(value_type = Object)]
    pub dados_preenchidos: Map<String, Value>,
    pub data_vencimento: Option<NaiveDate>,
    pub data_upload: String,
    pub usuario_upload: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usuario_upload_nome: Option<String>,
    pub ativo: bool,
    pub tamanho_arquivo: String,
    pub is_gerado_automaticamente: bool,
    pub is_contrato: bool,
    pub is_boleto: bool,
    pub is_vencido: bool,
}

impl DocumentoOut {
    pub fn new(d: Documento, arquivo: String, tamanho_arquivo: String, today: NaiveDate) -> Self {
        Self {
            id: d.id,
            cliente: d.cliente_id,
            cliente_nome: d.cliente_nome.clone(),
            is_gerado_automaticamente: d.is_gerado_automaticamente(),
            is_contrato: d.is_contrato(),
            is_boleto: d.is_boleto(),
            is_vencido: d.is_vencido(today),
            nome: d.nome,
            tipo_documento: d.tipo_documento.as_str().into(),
            status: d.status.as_str().into(),
            origem: d.origem.as_str().into(),
            arquivo,
            descricao: d.descricao,
            template_usado: d.template_usado,
            dados_preenchidos: d.dados_preenchidos,
            data_vencimento: d.data_vencimento,
            data_upload: format_local(d.data_upload),
            usuario_upload: d.usuario_upload_id,
            usuario_upload_nome: d.usuario_upload_nome,
            ativo: d.ativo,
            tamanho_arquivo,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DocumentoListOut {
    pub id: i64,
    pub cliente: i64,
    pub cliente_nome: Option<String>,
    pub nome: String,
    pub tipo_documento: String,
    pub status: String,
    pub origem: String,
    pub data_vencimento: Option<NaiveDate>,
    pub data_upload: String,
    pub ativo: bool,
}

impl From<Documento> for DocumentoListOut {
    fn from(d: Documento) -> Self {
        Self {
            id: d.id,
            cliente: d.cliente_id,
            cliente_nome: d.cliente_nome,
            nome: d.nome,
            tipo_documento: d.tipo_documento.as_str().into(),
            status: d.status.as_str().into(),
            origem: d.origem.as_str().into(),
            data_vencimento: d.data_vencimento,
            data_upload: format_local(d.data_upload),
            ativo: d.ativo,
        }
    }
}

/// Upload body (multipart).
#[derive(serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct DocumentoUpload {
    #[schema(value_type = String, format = Binary)]
    pub arquivo: String,
    pub cliente: i64,
    pub nome: String,
    pub tipo_documento: Option<String>,
    pub status: Option<String>,
    pub origem: Option<String>,
    pub descricao: Option<String>,
    pub template_usado: Option<String>,
    /// JSON object as text.
    pub dados_preenchidos: Option<String>,
    pub data_vencimento: Option<NaiveDate>,
    pub ativo: Option<bool>,
}

#[derive(serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct GerarContratoIn {
    pub cliente_id: i64,
    /// Default `contrato_padrao`.
    pub template_nome: Option<String>,
    #[schema(value_type = Object)]
    pub dados_contrato: Option<Map<String, Value>>,
}

#[derive(serde::Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct GerarBoletoIn {
    pub cliente_id: i64,
    /// Default `boleto_padrao`.
    pub template_nome: Option<String>,
    /// `banco` (001, 104, 237, 341), `agencia`, `conta`, `carteira`, `convenio`, `nosso_numero`,
    /// `valor`, `data_vencimento` (YYYY-MM-DD), optional `pix_chave`.
    #[schema(value_type = Object)]
    pub dados_boleto: Map<String, Value>,
}

#[derive(Serialize, ToSchema)]
pub struct GeradoOut {
    pub message: String,
    pub documento: DocumentoOut,
}
