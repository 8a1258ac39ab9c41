//! Bank boletos: validation of `dados_boleto`, FEBRABAN barcode and linha digitável.

pub mod bb;
pub mod bradesco;
pub mod caixa;
pub mod campo_livre;
pub mod codigo;
pub mod digitos;
pub mod itau;
pub mod valor;

use chrono::NaiveDate;
use kernel::{FieldErrors, messages};
use serde_json::{Map, Value};

pub use campo_livre::{BANCOS_SUPORTADOS, CampoLivre, para_banco};
pub use codigo::{codigo_barras_valido, codigo_de_linha, fator_vencimento, linha_digitavel};
pub use valor::{formatar_reais, parse_valor};

/// Bank account fields of a boleto (digit strings as given; padding happens in each layout).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DadosBancarios {
    pub agencia: Option<String>,
    pub conta: Option<String>,
    pub carteira: Option<String>,
    pub nosso_numero: Option<String>,
    pub convenio: Option<String>,
}

/// A validated `dados_boleto`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DadosBoleto {
    /// 3-digit bank code (one of [`BANCOS_SUPORTADOS`]).
    pub banco: String,
    pub bancarios: DadosBancarios,
    pub valor_centavos: u64,
    pub data_vencimento: NaiveDate,
    pub pix_chave: Option<String>,
}

/// The numbers computed for a boleto.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoletoCalculado {
    pub banco: String,
    pub banco_nome: &'static str,
    /// `"001-9"` style: code plus its módulo 11 check digit.
    pub banco_codigo_dv: String,
    pub codigo_barras: String,
    pub linha_digitavel: String,
    pub agencia_codigo: String,
    pub nosso_numero: String,
}

/// Maximum PIX key length (EMV merchant account information limit).
pub const PIX_CHAVE_MAX: usize = 77;

fn texto(obj: &Map<String, Value>, campo: &str, erros: &mut FieldErrors) -> Option<String> {
    match obj.get(campo) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
        Some(_) => {
            erros.add(campo, messages::NOT_A_STRING);
            None
        }
    }
}

impl DadosBoleto {
    /// Validates the request's `dados_boleto` object. Errors are keyed by field
    /// (`banco`, `agencia`, `conta`, `carteira`, `nosso_numero`, `convenio`, `valor`,
    /// `data_vencimento`, `pix_chave`).
    pub fn parse(obj: &Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut erros = FieldErrors::new();
        let banco = texto(obj, "banco", &mut erros);
        let bancarios = DadosBancarios {
            agencia: texto(obj, "agencia", &mut erros),
            conta: texto(obj, "conta", &mut erros),
            carteira: texto(obj, "carteira", &mut erros),
            nosso_numero: texto(obj, "nosso_numero", &mut erros),
            convenio: texto(obj, "convenio", &mut erros),
        };
        let layout = match banco.as_deref() {
            None if !erros.has("banco") => {
                erros.add("banco", messages::REQUIRED);
                None
            }
            None => None,
            Some(b) => {
                let l = para_banco(b);
                if l.is_none() {
                    erros.add(
                        "banco",
                        format!(
                            "Banco \"{b}\" não suportado. Use um de: {}.",
                            BANCOS_SUPORTADOS.join(", ")
                        ),
                    );
                }
                l
            }
        };
        if let Some(l) = layout {
            let mut bank_errors = FieldErrors::new();
            l.validar(&bancarios, &mut bank_errors);
            // Type errors found while reading take precedence over layout messages.
            for campo in ["agencia", "conta", "carteira", "nosso_numero", "convenio"] {
                if erros.has(campo) && bank_errors.has(campo) {
                    bank_errors = without(bank_errors, campo);
                }
            }
            erros.merge(bank_errors);
        }
        let valor = match obj.get("valor") {
            None | Some(Value::Null) => {
                erros.add("valor", messages::REQUIRED);
                None
            }
            Some(v) => match parse_valor(v) {
                Ok(c) => Some(c),
                Err(msg) => {
                    erros.add("valor", msg);
                    None
                }
            },
        };
        let vencimento = match obj.get("data_vencimento") {
            None | Some(Value::Null) => {
                erros.add("data_vencimento", messages::REQUIRED);
                None
            }
            Some(Value::String(s)) => match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
                Ok(d) if fator_vencimento(d).is_some() => Some(d),
                Ok(_) => {
                    erros.add(
                        "data_vencimento",
                        "Data de vencimento fora do intervalo aceito pelo boleto.",
                    );
                    None
                }
                Err(_) => {
                    erros.add("data_vencimento", messages::DATE);
                    None
                }
            },
            Some(_) => {
                erros.add("data_vencimento", messages::DATE);
                None
            }
        };
        let pix_chave = texto(obj, "pix_chave", &mut erros);
        if let Some(k) = &pix_chave {
            if k.chars().count() > PIX_CHAVE_MAX {
                erros.add("pix_chave", messages::max_length(PIX_CHAVE_MAX));
            } else if !k.is_ascii() {
                erros.add("pix_chave", "Chave PIX inválida.");
            }
        }
        match (banco, valor, vencimento) {
            (Some(banco), Some(valor_centavos), Some(data_vencimento)) if erros.is_empty() => {
                Ok(Self {
                    banco,
                    bancarios,
                    valor_centavos,
                    data_vencimento,
                    pix_chave,
                })
            }
            _ => Err(erros),
        }
    }

    /// Computes barcode, linha digitável and the printed identifiers.
    pub fn calcular(&self) -> kernel::Result<BoletoCalculado> {
        let layout = para_banco(&self.banco).ok_or_else(|| {
            kernel::DomainError::internal(format!("banco {} sem layout", self.banco))
        })?;
        let fator = fator_vencimento(self.data_vencimento)
            .ok_or_else(|| kernel::DomainError::internal("data de vencimento fora do intervalo"))?;
        let campo = layout.montar(&self.bancarios);
        if campo.len() != 25 {
            return Err(kernel::DomainError::internal(format!(
                "campo livre do banco {} com {} dígitos",
                self.banco,
                campo.len()
            )));
        }
        let codigo_barras =
            codigo::montar_codigo_barras(&self.banco, fator, self.valor_centavos, &campo);
        let linha_digitavel = linha_digitavel(&codigo_barras)
            .ok_or_else(|| kernel::DomainError::internal("código de barras inválido"))?;
        Ok(BoletoCalculado {
            banco: self.banco.clone(),
            banco_nome: layout.nome(),
            banco_codigo_dv: format!("{}-{}", self.banco, dv_banco(&self.banco)),
            codigo_barras,
            linha_digitavel,
            agencia_codigo: layout.agencia_codigo(&self.bancarios),
            nosso_numero: layout.nosso_numero_impresso(&self.bancarios),
        })
    }
}

/// The check digit printed after the bank code (`001-9`, `104-0`, `237-2`, `341-7`):
/// módulo 11 with weights 2..9, remainder-based, 10 → `0`.
pub fn dv_banco(banco: &str) -> u8 {
    match 11 - digitos::resto_modulo11(banco) {
        10 | 11 => 0,
        d => d as u8,
    }
}

fn without(errors: FieldErrors, campo: &str) -> FieldErrors {
    let mut out = FieldErrors::new();
    if let Value::Object(map) = errors.into_json() {
        for (k, v) in map {
            if k != campo {
                out.set_raw(&k, v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn bank_check_digits() {
        assert_eq!(dv_banco("001"), 9);
        assert_eq!(dv_banco("104"), 0);
        assert_eq!(dv_banco("237"), 2);
        assert_eq!(dv_banco("341"), 7);
    }

    #[test]
    fn parses_and_computes_a_bb_boleto() {
        let d = DadosBoleto::parse(&obj(json!({
            "banco": "001", "agencia": "1606", "conta": "6809350", "carteira": "31",
            "nosso_numero": "1448", "convenio": "050094", "valor": "1,00",
            "data_vencimento": "2007-12-31"
        })))
        .unwrap();
        assert_eq!(d.valor_centavos, 100);
        let b = d.calcular().unwrap();
        assert_eq!(
            b.codigo_barras,
            "00193373700000001000500940144816060680935031"
        );
        assert_eq!(
            b.linha_digitavel,
            "00190.50095 40144.816069 06809.350314 3 37370000000100"
        );
        assert_eq!(b.banco_codigo_dv, "001-9");
        assert_eq!(b.banco_nome, "Banco do Brasil S.A.");
    }

    #[test]
    fn field_errors_are_keyed_by_field() {
        let e = DadosBoleto::parse(&obj(json!({}))).unwrap_err().into_json();
        assert_eq!(e["banco"], json!([messages::REQUIRED]));
        assert_eq!(e["valor"], json!([messages::REQUIRED]));
        assert_eq!(e["data_vencimento"], json!([messages::REQUIRED]));

        let e = DadosBoleto::parse(&obj(json!({
            "banco": "999", "valor": 0, "data_vencimento": "31/12/2030", "pix_chave": "x".repeat(80)
        })))
        .unwrap_err()
        .into_json();
        assert_eq!(
            e["banco"],
            json!(["Banco \"999\" não suportado. Use um de: 001, 104, 237, 341."])
        );
        assert!(e["valor"].is_array());
        assert_eq!(e["data_vencimento"], json!([messages::DATE]));
        assert_eq!(e["pix_chave"], json!([messages::max_length(77)]));

        let e = DadosBoleto::parse(&obj(json!({
            "banco": "237", "agencia": ["x"], "conta": "12", "carteira": "09",
            "nosso_numero": "1", "valor": 10.5, "data_vencimento": "2000-01-01"
        })))
        .unwrap_err()
        .into_json();
        assert_eq!(e["agencia"], json!([messages::NOT_A_STRING]));
        assert!(
            e["data_vencimento"][0]
                .as_str()
                .unwrap()
                .contains("intervalo")
        );
        assert!(e.get("valor").is_none());
    }

    #[test]
    fn numeric_fields_may_be_json_integers() {
        let d = DadosBoleto::parse(&obj(json!({
            "banco": "341", "agencia": 57, "conta": 12345, "carteira": 109,
            "nosso_numero": 12345678, "valor": 99.9, "data_vencimento": "2030-01-15"
        })))
        .unwrap();
        assert_eq!(d.valor_centavos, 9990);
        assert!(codigo_barras_valido(&d.calcular().unwrap().codigo_barras));
    }
}
