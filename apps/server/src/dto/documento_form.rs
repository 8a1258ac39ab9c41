//! Parsing of the Documento write body (create / PUT / PATCH), from JSON or form fields, into
//! the domain's [`DocumentoForm`] with the contract's DRF-style field errors. The use case
//! adds its own checks (the file, the `cliente`, a past `data_vencimento`).

use chrono::NaiveDate;
use documentos::commands::{DocumentoChanges, DocumentoForm};
use documentos::model::{OrigemDocumento, StatusDocumento, TipoDocumento};
use kernel::{FieldErrors, messages};
use serde_json::{Map, Value};

pub const DADOS_NAO_OBJETO: &str = "Dados preenchidos devem ser um objeto";
pub const JSON_INVALIDO: &str = "Valor deve ser JSON válido.";

/// Which write this is: create and PUT require `cliente` and `nome`; PATCH requires nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMode {
    Create,
    Replace,
    Patch,
}

/// The raw body fields (the file itself is handled by the caller). `formulario` = the body was
/// multipart or urlencoded: every value is a string and is parsed strictly (`cliente="7"` is an
/// id, `dados_preenchidos` is JSON text, `""` means null for nullable fields).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocumentoInput {
    pub campos: Map<String, Value>,
    pub formulario: bool,
}

fn python_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "int",
        Value::Number(_) => "float",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// String form of a scalar for char fields (numbers are accepted, like the original).
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses a boolean the way the original accepted it (`true/false`, `1/0`, `yes/no`, `on/off`…).
pub fn parse_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_lowercase().as_str() {
            "true" | "t" | "1" | "yes" | "y" | "on" => Some(true),
            "false" | "f" | "0" | "no" | "n" | "off" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

impl DocumentoInput {
    pub fn json(campos: Map<String, Value>) -> Self {
        Self {
            campos,
            formulario: false,
        }
    }

    pub fn form(campos: Map<String, Value>) -> Self {
        Self {
            campos,
            formulario: true,
        }
    }

    /// Parses every field (the `cliente` id's existence, a past `data_vencimento` and the
    /// file are checked by the use case).
    pub fn parse(&self, mode: InputMode) -> DocumentoForm {
        let (changes, errors) = self.validar_parcial(mode);
        DocumentoForm { changes, errors }
    }

    /// The fields that did parse together with the errors.
    fn validar_parcial(&self, mode: InputMode) -> (DocumentoChanges, FieldErrors) {
        let mut e = FieldErrors::new();
        let mut c = DocumentoChanges::default();
        let requires = mode != InputMode::Patch;
        let get = |k: &str| self.campos.get(k);

        match get("cliente") {
            None if requires => e.add("cliente", messages::REQUIRED),
            None => {}
            Some(Value::Null) => e.add("cliente", messages::NULL),
            Some(Value::String(s)) if s.is_empty() => e.add("cliente", messages::NULL),
            Some(Value::String(s)) if self.formulario => match s.trim().parse::<i64>() {
                Ok(id) => c.cliente_id = Some(id),
                Err(_) => e.add("cliente", "Tipo incorreto. Esperado valor pk, recebeu str."),
            },
            Some(Value::Number(n)) if n.is_i64() => c.cliente_id = n.as_i64(),
            Some(v) => e.add(
                "cliente",
                format!(
                    "Tipo incorreto. Esperado valor pk, recebeu {}.",
                    python_type(v)
                ),
            ),
        }

        match get("nome") {
            None if requires => e.add("nome", messages::REQUIRED),
            None => {}
            Some(Value::Null) => e.add("nome", messages::NULL),
            Some(v) => match as_text(v) {
                None => e.add("nome", messages::NOT_A_STRING),
                Some(s) if s.trim().is_empty() => e.add("nome", messages::BLANK),
                Some(s) if s.trim().chars().count() > 255 => {
                    e.add("nome", messages::max_length(255))
                }
                Some(s) => c.nome = Some(s.trim().to_string()),
            },
        }

        c.tipo_documento = choice(
            &mut e,
            "tipo_documento",
            get("tipo_documento"),
            TipoDocumento::parse,
        );
        c.status = choice(&mut e, "status", get("status"), StatusDocumento::parse);
        c.origem = choice(&mut e, "origem", get("origem"), OrigemDocumento::parse);

        c.descricao = self.texto_opcional(&mut e, "descricao", None);
        c.template_usado = self.texto_opcional(&mut e, "template_usado", Some(100));

        match get("dados_preenchidos") {
            None => {}
            Some(Value::Null) => e.add("dados_preenchidos", messages::NULL),
            Some(Value::String(s)) if self.formulario && s.trim().is_empty() => {}
            Some(Value::String(s)) if self.formulario => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(m)) => c.dados_preenchidos = Some(m),
                Ok(_) => e.add("dados_preenchidos", DADOS_NAO_OBJETO),
                Err(_) => e.add("dados_preenchidos", JSON_INVALIDO),
            },
            Some(Value::Object(m)) => c.dados_preenchidos = Some(m.clone()),
            Some(_) => e.add("dados_preenchidos", DADOS_NAO_OBJETO),
        }

        match get("data_vencimento") {
            None => {}
            Some(Value::Null) => c.data_vencimento = Some(None),
            Some(Value::String(s)) if self.formulario && s.is_empty() => {
                c.data_vencimento = Some(None)
            }
            Some(Value::String(s)) => match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
                Ok(d) => c.data_vencimento = Some(Some(d)),
                Err(_) => e.add("data_vencimento", messages::DATE),
            },
            Some(_) => e.add("data_vencimento", messages::DATE),
        }

        match get("ativo") {
            None => {}
            Some(Value::Null) => e.add("ativo", messages::NULL),
            Some(Value::String(s)) if self.formulario && s.is_empty() => {}
            Some(v) => match parse_bool(v) {
                Some(b) => c.ativo = Some(b),
                None => e.add("ativo", messages::BOOLEAN),
            },
        }

        (c, e)
    }

    fn texto_opcional(
        &self,
        e: &mut FieldErrors,
        campo: &str,
        max: Option<usize>,
    ) -> Option<Option<String>> {
        match self.campos.get(campo) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => match as_text(v) {
                None => {
                    e.add(campo, messages::NOT_A_STRING);
                    None
                }
                Some(s) => {
                    let s = s.trim().to_string();
                    match max {
                        Some(n) if s.chars().count() > n => {
                            e.add(campo, messages::max_length(n));
                            None
                        }
                        _ => Some(Some(s)),
                    }
                }
            },
        }
    }
}

fn choice<T>(
    e: &mut FieldErrors,
    campo: &str,
    v: Option<&Value>,
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    let v = v?;
    let text = match v {
        Value::Null => {
            e.add(campo, messages::NULL);
            return None;
        }
        Value::String(s) => s.clone(),
        other => documentos::template::valor_texto(other),
    };
    let parsed = parse(&text);
    if parsed.is_none() {
        e.add(campo, messages::invalid_choice(&text));
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 10, 12).unwrap()
    }

    impl DocumentoInput {
        fn validar(&self, mode: InputMode) -> Result<DocumentoChanges, FieldErrors> {
            let f = self.parse(mode);
            if f.errors.is_empty() {
                Ok(f.changes)
            } else {
                Err(f.errors)
            }
        }
    }

    fn input(v: Value, form: bool) -> DocumentoInput {
        DocumentoInput {
            campos: v.as_object().unwrap().clone(),
            formulario: form,
        }
    }

    #[test]
    fn create_requires_cliente_and_nome() {
        let e = input(json!({}), false)
            .validar(InputMode::Create)
            .unwrap_err();
        assert_eq!(
            e.into_json(),
            json!({"cliente":[messages::REQUIRED],"nome":[messages::REQUIRED]})
        );
        let e = input(json!({}), false)
            .validar(InputMode::Replace)
            .unwrap_err();
        assert!(e.has("cliente"));
        assert_eq!(
            input(json!({}), false).validar(InputMode::Patch).unwrap(),
            DocumentoChanges::default()
        );
    }

    #[test]
    fn full_json_body() {
        let c = input(
            json!({"cliente": 3, "nome": "  Contrato ", "tipo_documento": "contrato", "status": "enviado",
                   "origem": "importado", "descricao": null, "template_usado": "t",
                   "dados_preenchidos": {"a": 1}, "data_vencimento": "2025-10-12", "ativo": "false"}),
            false,
        )
        .validar(InputMode::Create)
        .unwrap();
        assert_eq!(c.cliente_id, Some(3));
        assert_eq!(c.nome.as_deref(), Some("Contrato"));
        assert_eq!(c.tipo_documento, Some(TipoDocumento::Contrato));
        assert_eq!(c.status, Some(StatusDocumento::Enviado));
        assert_eq!(c.origem, Some(OrigemDocumento::Importado));
        assert_eq!(c.descricao, Some(None));
        assert_eq!(c.template_usado, Some(Some("t".into())));
        assert_eq!(c.dados_preenchidos.unwrap()["a"], json!(1));
        assert_eq!(c.data_vencimento, Some(Some(today())));
        assert_eq!(c.ativo, Some(false));
    }

    #[test]
    fn contract_messages() {
        let e = input(
            json!({"cliente": "7", "nome": "x".repeat(256), "tipo_documento": "xpto", "status": 5,
                   "origem": null, "template_usado": "y".repeat(101), "dados_preenchidos": [1],
                   "data_vencimento": "2025-10-11", "ativo": "talvez"}),
            false,
        )
        .validar(InputMode::Patch)
        .unwrap_err()
        .into_json();
        assert_eq!(
            e["cliente"],
            json!(["Tipo incorreto. Esperado valor pk, recebeu str."])
        );
        assert_eq!(e["nome"], json!([messages::max_length(255)]));
        assert_eq!(
            e["tipo_documento"],
            json!(["\"xpto\" não é um escolha válido."])
        );
        assert_eq!(e["status"], json!(["\"5\" não é um escolha válido."]));
        assert_eq!(e["origem"], json!([messages::NULL]));
        assert_eq!(e["template_usado"], json!([messages::max_length(100)]));
        assert_eq!(e["dados_preenchidos"], json!([DADOS_NAO_OBJETO]));
        // A past date parses: the use case refuses it.
        assert!(e.get("data_vencimento").is_none());
        assert_eq!(e["ativo"], json!([messages::BOOLEAN]));

        let e = input(
            json!({"cliente": 1.5, "nome": "  ", "data_vencimento": "12/10/2025"}),
            false,
        )
        .validar(InputMode::Create)
        .unwrap_err()
        .into_json();
        assert_eq!(
            e["cliente"],
            json!(["Tipo incorreto. Esperado valor pk, recebeu float."])
        );
        assert_eq!(e["nome"], json!([messages::BLANK]));
        assert_eq!(e["data_vencimento"], json!([messages::DATE]));
    }

    #[test]
    fn form_body_is_parsed_strictly() {
        let c = input(
            json!({"cliente": "7", "nome": "Doc", "dados_preenchidos": "{\"k\":\"v\"}",
                   "data_vencimento": "", "ativo": ""}),
            true,
        )
        .validar(InputMode::Create)
        .unwrap();
        assert_eq!(c.cliente_id, Some(7));
        assert_eq!(c.dados_preenchidos.unwrap()["k"], json!("v"));
        assert_eq!(c.data_vencimento, Some(None));
        assert_eq!(c.ativo, None);

        let e = input(
            json!({"cliente": "7a", "nome": "Doc", "dados_preenchidos": "[1]"}),
            true,
        )
        .validar(InputMode::Create)
        .unwrap_err()
        .into_json();
        assert_eq!(
            e["cliente"],
            json!(["Tipo incorreto. Esperado valor pk, recebeu str."])
        );
        assert_eq!(e["dados_preenchidos"], json!([DADOS_NAO_OBJETO]));
        let e = input(json!({"dados_preenchidos": "{oops"}), true)
            .validar(InputMode::Patch)
            .unwrap_err()
            .into_json();
        assert_eq!(e["dados_preenchidos"], json!([JSON_INVALIDO]));
    }
}
