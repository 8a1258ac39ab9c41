//! Itaú (341): carteira (3) + nosso número (8) + DAC (módulo 10 of agência + conta + carteira +
//! nosso número) + agência (4) + conta (5) + DAC (módulo 10 of agência + conta) + `000`.
//!
//! The special carteiras whose DAC leaves agência/conta out (126, 131, 146, 150, 168) are not
//! distinguished.

use super::DadosBancarios;
use super::campo_livre::{CampoLivre, checar_digitos};
use super::digitos::{modulo10, zeros};
use kernel::FieldErrors;

pub struct Itau;

struct Campos {
    agencia: String,
    conta: String,
    carteira: String,
    nosso: String,
}

fn campos(d: &DadosBancarios) -> Campos {
    Campos {
        agencia: zeros(d.agencia.as_deref().unwrap_or_default(), 4),
        conta: zeros(d.conta.as_deref().unwrap_or_default(), 5),
        carteira: zeros(d.carteira.as_deref().unwrap_or_default(), 3),
        nosso: zeros(d.nosso_numero.as_deref().unwrap_or_default(), 8),
    }
}

impl Campos {
    fn dac_nosso_numero(&self) -> u8 {
        modulo10(&format!(
            "{}{}{}{}",
            self.agencia, self.conta, self.carteira, self.nosso
        ))
    }

    fn dac_conta(&self) -> u8 {
        modulo10(&format!("{}{}", self.agencia, self.conta))
    }
}

impl CampoLivre for Itau {
    fn codigo(&self) -> &'static str {
        "341"
    }

    fn nome(&self) -> &'static str {
        "Itaú Unibanco S.A."
    }

    fn validar(&self, d: &DadosBancarios, erros: &mut FieldErrors) {
        checar_digitos(erros, "agencia", d.agencia.as_deref(), 1, 4);
        checar_digitos(erros, "conta", d.conta.as_deref(), 1, 5);
        checar_digitos(erros, "carteira", d.carteira.as_deref(), 3, 3);
        checar_digitos(erros, "nosso_numero", d.nosso_numero.as_deref(), 1, 8);
    }

    fn montar(&self, d: &DadosBancarios) -> String {
        let c = campos(d);
        format!(
            "{}{}{}{}{}{}000",
            c.carteira,
            c.nosso,
            c.dac_nosso_numero(),
            c.agencia,
            c.conta,
            c.dac_conta()
        )
    }

    fn agencia_codigo(&self, d: &DadosBancarios) -> String {
        let c = campos(d);
        format!("{} / {}-{}", c.agencia, c.conta, c.dac_conta())
    }

    fn nosso_numero_impresso(&self, d: &DadosBancarios) -> String {
        let c = campos(d);
        format!("{}/{}-{}", c.carteira, c.nosso, c.dac_nosso_numero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boleto::codigo::{
        codigo_barras_valido, codigo_de_linha, linha_digitavel, montar_codigo_barras,
    };

    fn dados() -> DadosBancarios {
        DadosBancarios {
            agencia: Some("0057".into()),
            conta: Some("12345".into()),
            carteira: Some("109".into()),
            nosso_numero: Some("12345678".into()),
            convenio: None,
        }
    }

    #[test]
    fn campo_livre_layout_and_check_digits() {
        let d = dados();
        let mut erros = FieldErrors::new();
        Itau.validar(&d, &mut erros);
        assert!(erros.is_empty());
        let campo = Itau.montar(&d);
        assert_eq!(campo.len(), 25);
        let dac_nn = modulo10("00571234510912345678");
        let dac_conta = modulo10("005712345");
        assert_eq!(campo, format!("10912345678{dac_nn}005712345{dac_conta}000"));
        assert_eq!(
            Itau.nosso_numero_impresso(&d),
            format!("109/12345678-{dac_nn}")
        );
        assert_eq!(Itau.agencia_codigo(&d), format!("0057 / 12345-{dac_conta}"));
    }

    #[test]
    fn barcode_and_linha_are_consistent() {
        let codigo = montar_codigo_barras("341", 1000, 12345, &Itau.montar(&dados()));
        assert!(codigo_barras_valido(&codigo));
        let linha = linha_digitavel(&codigo).unwrap();
        assert!(linha.starts_with("34191.0912"));
        assert_eq!(codigo_de_linha(&linha).unwrap(), codigo);
    }

    #[test]
    fn carteira_must_have_three_digits() {
        let d = DadosBancarios {
            carteira: Some("9".into()),
            conta: None,
            ..dados()
        };
        let mut erros = FieldErrors::new();
        Itau.validar(&d, &mut erros);
        assert!(erros.has("carteira"));
        assert!(erros.has("conta"));
    }
}
