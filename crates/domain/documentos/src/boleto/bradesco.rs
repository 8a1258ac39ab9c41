//! Bradesco (237): agência (4) + carteira (2) + nosso número (11) + conta (7) + `0`.

use super::DadosBancarios;
use super::campo_livre::{CampoLivre, checar_digitos};
use super::digitos::zeros;
use kernel::FieldErrors;

pub struct Bradesco;

/// Bradesco's nosso número check digit: módulo 11 over carteira + nosso número with weights
/// 2..7; remainder 0 → `0`, remainder 1 → `P`.
pub fn dv_nosso_numero(carteira: &str, nosso_numero: &str) -> char {
    let digits = format!("{carteira}{nosso_numero}");
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        sum += u32::from(c - b'0') * (2 + (i as u32 % 6));
    }
    match sum % 11 {
        0 => '0',
        1 => 'P',
        r => char::from(b'0' + (11 - r) as u8),
    }
}

impl CampoLivre for Bradesco {
    fn codigo(&self) -> &'static str {
        "237"
    }

    fn nome(&self) -> &'static str {
        "Banco Bradesco S.A."
    }

    fn validar(&self, d: &DadosBancarios, erros: &mut FieldErrors) {
        checar_digitos(erros, "agencia", d.agencia.as_deref(), 1, 4);
        checar_digitos(erros, "conta", d.conta.as_deref(), 1, 7);
        checar_digitos(erros, "carteira", d.carteira.as_deref(), 1, 2);
        checar_digitos(erros, "nosso_numero", d.nosso_numero.as_deref(), 1, 11);
    }

    fn montar(&self, d: &DadosBancarios) -> String {
        format!(
            "{}{}{}{}0",
            zeros(d.agencia.as_deref().unwrap_or_default(), 4),
            zeros(d.carteira.as_deref().unwrap_or_default(), 2),
            zeros(d.nosso_numero.as_deref().unwrap_or_default(), 11),
            zeros(d.conta.as_deref().unwrap_or_default(), 7)
        )
    }

    fn agencia_codigo(&self, d: &DadosBancarios) -> String {
        format!(
            "{} / {}",
            zeros(d.agencia.as_deref().unwrap_or_default(), 4),
            zeros(d.conta.as_deref().unwrap_or_default(), 7)
        )
    }

    fn nosso_numero_impresso(&self, d: &DadosBancarios) -> String {
        let carteira = zeros(d.carteira.as_deref().unwrap_or_default(), 2);
        let nosso = zeros(d.nosso_numero.as_deref().unwrap_or_default(), 11);
        format!("{carteira}/{nosso}-{}", dv_nosso_numero(&carteira, &nosso))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boleto::codigo::{linha_digitavel, montar_codigo_barras};

    #[test]
    fn rebuilds_the_published_bradesco_vector_from_fields() {
        // Campo livre 3381260007827139500006330 = agência 3381, carteira 26,
        // nosso número 00078271395, conta 0000633, trailing 0.
        let d = DadosBancarios {
            agencia: Some("3381".into()),
            conta: Some("633".into()),
            carteira: Some("26".into()),
            nosso_numero: Some("78271395".into()),
            convenio: None,
        };
        let mut erros = FieldErrors::new();
        Bradesco.validar(&d, &mut erros);
        assert!(erros.is_empty(), "{erros:?}");
        let codigo = montar_codigo_barras("237", 7552, 370000, &Bradesco.montar(&d));
        assert_eq!(codigo, "23799755200003700003381260007827139500006330");
        assert_eq!(
            linha_digitavel(&codigo).unwrap(),
            "23793.38128 60007.827136 95000.063305 9 75520000370000"
        );
    }

    #[test]
    fn nosso_numero_check_digit() {
        // Bradesco's manual example: carteira 19, nosso número 00000000002 → DV 8.
        assert_eq!(dv_nosso_numero("19", "00000000002"), '8');
        let d = DadosBancarios {
            agencia: Some("1".into()),
            conta: Some("1".into()),
            carteira: Some("19".into()),
            nosso_numero: Some("2".into()),
            convenio: None,
        };
        assert_eq!(Bradesco.nosso_numero_impresso(&d), "19/00000000002-8");
    }
}
