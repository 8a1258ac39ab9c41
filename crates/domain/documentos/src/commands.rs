//! Typed commands of the documento writes. The edge (`apps/server`) parses the wire into
//! these; the use cases never see a body.

use crate::model::{OrigemDocumento, StatusDocumento, TipoDocumento};
use chrono::NaiveDate;
use kernel::FieldErrors;
use serde_json::{Map, Value};

pub const VENCIMENTO_PASSADO: &str = "Data de vencimento não pode ser no passado";

/// Validated changes; `None` = not sent. `Option<Option<_>>` fields may be set to null.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentoChanges {
    pub cliente_id: Option<i64>,
    pub nome: Option<String>,
    pub tipo_documento: Option<TipoDocumento>,
    pub status: Option<StatusDocumento>,
    pub origem: Option<OrigemDocumento>,
    /// New stored file path (set by the service when a file was uploaded).
    pub arquivo: Option<String>,
    pub descricao: Option<Option<String>>,
    pub template_usado: Option<Option<String>>,
    /// The documento's free-form fill data (a JSON object, as the contract stores it).
    pub dados_preenchidos: Option<Map<String, Value>>,
    pub data_vencimento: Option<Option<NaiveDate>>,
    pub ativo: Option<bool>,
}

/// A parsed documento body: the fields that parsed, and the errors the edge found in the
/// others. The use case adds its own checks (the file, the `cliente`, a past
/// `data_vencimento`) to the same errors, as DRF reports every field at once, and writes only
/// when there are none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentoForm {
    pub changes: DocumentoChanges,
    pub errors: FieldErrors,
}
