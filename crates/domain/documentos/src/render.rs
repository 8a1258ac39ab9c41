//! Plain data handed to the [`crate::DocumentRenderer`] port: what to print, not how.

use serde::Serialize;

/// One party of a contract's signature block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parte {
    /// Role, e.g. `"CONTRATADA"`.
    pub papel: String,
    pub nome: String,
    /// Formatted CNPJ (may be empty).
    pub documento: String,
}

/// A contract (or any text document) to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContratoPdf {
    /// Company header (razão social of the issuer).
    pub empresa_nome: String,
    pub empresa_cnpj: String,
    pub empresa_endereco: String,
    /// Document title, e.g. `"contrato_padrao - ACME LTDA"`.
    pub titulo: String,
    /// The filled template text split in paragraphs (blank lines removed).
    pub paragrafos: Vec<String>,
    /// Signature lines, in order.
    pub assinaturas: Vec<Parte>,
    /// Footer text, e.g. `"Gerado em 12/10/2025 13:18"`.
    pub rodape: String,
}

/// A boleto to render.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoletoPdf {
    pub banco_codigo: String,
    /// `"001-9"` style.
    pub banco_codigo_dv: String,
    pub banco_nome: String,
    /// Formatted linha digitável (47 digits).
    pub linha_digitavel: String,
    /// 44-digit barcode (Interleaved 2 of 5).
    pub codigo_barras: String,
    pub beneficiario_nome: String,
    pub beneficiario_documento: String,
    pub beneficiario_endereco: String,
    pub pagador_nome: String,
    pub pagador_documento: String,
    pub pagador_endereco: String,
    /// `DD/MM/YYYY`.
    pub vencimento: String,
    /// `R$ 1.234,56`.
    pub valor: String,
    pub valor_centavos: u64,
    pub nosso_numero: String,
    pub agencia_codigo: String,
    pub numero_documento: String,
    /// `DD/MM/YYYY` (date of issue).
    pub data_documento: String,
    /// The filled boleto template, printed as "instruções".
    pub instrucoes: Vec<String>,
    /// PIX copia-e-cola payload, drawn as a QR code when present.
    pub pix_payload: Option<String>,
}

/// Splits a filled template into paragraphs: one per non-blank line, trimmed at the end.
pub fn paragrafos(texto: &str) -> Vec<String> {
    texto
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn splits_paragraphs() {
        assert_eq!(super::paragrafos("a\n\n  \nb  \r\nc"), vec!["a", "b", "c"]);
    }
}
