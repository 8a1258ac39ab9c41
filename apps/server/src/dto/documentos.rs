//! Documento representations. `arquivo` is a signed, expiring media link.

use crate::http::body::Body;
use chrono::NaiveDate;
use documentos::{Documento, GerarRequest};
use kernel::clock::format_local;
use kernel::{DomainError, Result, messages};
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

/// A `gerar-contrato` body (`dados_contrato`, default template `contrato_padrao`).
pub fn gerar_contrato(body: &Body) -> Result<GerarRequest> {
    gerar(
        &body.value(),
        body.input.form,
        "contrato_padrao",
        "dados_contrato",
    )
}

/// A `gerar-boleto` body (`dados_boleto`, default template `boleto_padrao`).
pub fn gerar_boleto(body: &Body) -> Result<GerarRequest> {
    gerar(
        &body.value(),
        body.input.form,
        "boleto_padrao",
        "dados_boleto",
    )
}

/// Missing / null / `""` / `0` `cliente_id` → `BadRequest("cliente_id é obrigatório")`;
/// any other non-integer → 400 `{"cliente_id":[…]}`; extra data not an object → 400.
/// A JSON body needs a JSON integer (`"1"` is refused, §1.4); form bodies (`form`) carry the
/// id as a digit string and the data as JSON text.
fn gerar(
    body: &Value,
    form: bool,
    template_padrao: &str,
    campo_dados: &str,
) -> Result<GerarRequest> {
    let obrigatorio = || DomainError::BadRequest("cliente_id é obrigatório".into());
    let cliente_id = match body.get("cliente_id") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => return Err(obrigatorio()),
        Some(Value::String(s)) if s.is_empty() => return Err(obrigatorio()),
        Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64().unwrap_or_default(),
        Some(Value::String(s)) if form && s.trim().parse::<i64>().is_ok() => {
            s.trim().parse().unwrap_or_default()
        }
        Some(_) => return Err(DomainError::field("cliente_id", messages::INTEGER)),
    };
    if cliente_id == 0 {
        return Err(obrigatorio());
    }
    let template_nome = match body.get("template_nome") {
        None => template_padrao.to_string(),
        Some(v) => documentos::template::valor_texto(v),
    };
    let not_an_object = || DomainError::field(campo_dados, "Os dados devem ser um objeto JSON.");
    let dados = match body.get(campo_dados) {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => m,
            _ => return Err(not_an_object()),
        },
        Some(_) => return Err(not_an_object()),
    };
    Ok(GerarRequest {
        cliente_id,
        template_nome,
        dados,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contrato(v: Value, form: bool) -> Result<GerarRequest> {
        gerar(&v, form, "contrato_padrao", "dados_contrato")
    }

    fn boleto(v: Value, form: bool) -> Result<GerarRequest> {
        gerar(&v, form, "boleto_padrao", "dados_boleto")
    }

    #[test]
    fn request_parsing() {
        let r = contrato(json!({"cliente_id": 7}), false).unwrap();
        assert_eq!(
            (r.cliente_id, r.template_nome.as_str(), r.dados.len()),
            (7, "contrato_padrao", 0)
        );
        let r = boleto(
            json!({"cliente_id": "7", "dados_boleto": "{\"banco\":\"001\"}"}),
            true,
        )
        .unwrap();
        assert_eq!(
            (r.template_nome.as_str(), r.dados["banco"].as_str()),
            ("boleto_padrao", Some("001"))
        );
        let r = contrato(json!({"cliente_id": 1, "template_nome": null}), false).unwrap();
        assert_eq!(r.template_nome, "None");
        for body in [
            json!({}),
            json!({"cliente_id": null}),
            json!({"cliente_id": ""}),
            json!({"cliente_id": 0}),
        ] {
            assert!(
                matches!(contrato(body, false), Err(DomainError::BadRequest(m)) if m == "cliente_id é obrigatório")
            );
        }
        assert!(
            matches!(contrato(json!({"cliente_id": "x"}), false), Err(DomainError::Validation(e)) if e.has("cliente_id"))
        );
        assert!(matches!(
            contrato(json!({"cliente_id": 1, "dados_contrato": [1]}), false),
            Err(DomainError::Validation(e)) if e.has("dados_contrato")
        ));
    }

    #[test]
    fn json_bodies_need_a_json_integer_cliente_id() {
        for id in [
            json!("1"),
            json!(" 1 "),
            json!(1.5),
            json!(true),
            json!([1]),
        ] {
            for body in [
                json!({"cliente_id": id}),
                json!({"cliente_id": id, "dados_boleto": {}}),
            ] {
                for r in [contrato(body.clone(), false), boleto(body.clone(), false)] {
                    assert!(
                        matches!(&r, Err(DomainError::Validation(e)) if e.has("cliente_id")),
                        "{body}: {r:?}"
                    );
                }
            }
        }
        // A form carries strings: a digit string is the id.
        assert_eq!(
            contrato(json!({"cliente_id": "1"}), true)
                .unwrap()
                .cliente_id,
            1
        );
    }
}
