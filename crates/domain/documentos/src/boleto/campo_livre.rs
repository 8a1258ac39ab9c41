//! The 25-digit "campo livre" of the barcode, whose layout each bank defines.

use super::DadosBancarios;

/// A bank's campo livre layout. Implementations receive fields already validated by the bank's
/// own [`CampoLivre::validar`] (digits only, lengths within the bank's limits).
pub trait CampoLivre: Send + Sync {
    /// 3-digit FEBRABAN code, e.g. `"001"`.
    fn codigo(&self) -> &'static str;
    /// Display name, e.g. `"Banco do Brasil S.A."`.
    fn nome(&self) -> &'static str;
    /// Checks the bank-specific fields, adding messages keyed by field.
    fn validar(&self, dados: &DadosBancarios, erros: &mut kernel::FieldErrors);
    /// The 25 digits (only called after `validar` found no error).
    fn montar(&self, dados: &DadosBancarios) -> String;
    /// "Agência / Código do beneficiário" as printed on the boleto.
    fn agencia_codigo(&self, dados: &DadosBancarios) -> String;
    /// Nosso número as printed on the boleto (with its check digit where the bank has one).
    fn nosso_numero_impresso(&self, dados: &DadosBancarios) -> String;
}

/// Checks that an optional field holds at most `max` digits (and at least `min`).
pub(crate) fn checar_digitos(
    erros: &mut kernel::FieldErrors,
    campo: &str,
    valor: Option<&str>,
    min: usize,
    max: usize,
) {
    match valor {
        None => erros.add(campo, kernel::messages::REQUIRED),
        Some(v) if !super::digitos::so_digitos(v) || v.len() < min || v.len() > max => {
            erros.add(campo, mensagem_digitos(min, max));
        }
        Some(_) => {}
    }
}

/// The message for a digit-string field of the wrong shape.
pub fn mensagem_digitos(min: usize, max: usize) -> String {
    if min == max {
        format!("Informe exatamente {max} dígitos.")
    } else {
        format!("Informe apenas dígitos (de {min} a {max}).")
    }
}

/// The layout for a supported bank code.
pub fn para_banco(codigo: &str) -> Option<&'static dyn CampoLivre> {
    match codigo {
        "001" => Some(&super::bb::BancoDoBrasil),
        "104" => Some(&super::caixa::Caixa),
        "237" => Some(&super::bradesco::Bradesco),
        "341" => Some(&super::itau::Itau),
        _ => None,
    }
}

/// Supported bank codes, in the order they are listed in messages.
pub const BANCOS_SUPORTADOS: [&str; 4] = ["001", "104", "237", "341"];
