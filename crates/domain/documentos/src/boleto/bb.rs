//! Banco do Brasil (001).
//!
//! * 7-digit convênio: `000000` + convênio (7) + nosso número (10) + carteira (2).
//! * 6-digit convênio with a 5-digit nosso número: convênio (6) + nosso número (5) +
//!   agência (4) + conta (8) + carteira (2).

use super::DadosBancarios;
use super::campo_livre::{CampoLivre, checar_digitos, mensagem_digitos};
use super::digitos::{so_digitos, zeros};
use kernel::FieldErrors;

pub struct BancoDoBrasil;

fn convenio_len(d: &DadosBancarios) -> usize {
    d.convenio.as_deref().map_or(0, str::len)
}

impl CampoLivre for BancoDoBrasil {
    fn codigo(&self) -> &'static str {
        "001"
    }

    fn nome(&self) -> &'static str {
        "Banco do Brasil S.A."
    }

    fn validar(&self, d: &DadosBancarios, erros: &mut FieldErrors) {
        checar_digitos(erros, "agencia", d.agencia.as_deref(), 1, 4);
        checar_digitos(erros, "carteira", d.carteira.as_deref(), 2, 2);
        match d.convenio.as_deref() {
            Some(c) if so_digitos(c) && c.len() == 7 => {
                checar_digitos(erros, "nosso_numero", d.nosso_numero.as_deref(), 1, 10);
                if let Some(conta) = d.conta.as_deref()
                    && (!so_digitos(conta) || conta.len() > 8)
                {
                    erros.add("conta", mensagem_digitos(1, 8));
                }
            }
            Some(c) if so_digitos(c) && c.len() == 6 => {
                checar_digitos(erros, "nosso_numero", d.nosso_numero.as_deref(), 1, 5);
                checar_digitos(erros, "conta", d.conta.as_deref(), 1, 8);
            }
            None => erros.add("convenio", kernel::messages::REQUIRED),
            Some(_) => erros.add("convenio", "Informe um convênio de 6 ou 7 dígitos."),
        }
    }

    fn montar(&self, d: &DadosBancarios) -> String {
        let convenio = d.convenio.as_deref().unwrap_or_default();
        let nosso = d.nosso_numero.as_deref().unwrap_or_default();
        let carteira = d.carteira.as_deref().unwrap_or_default();
        if convenio.len() == 7 {
            format!("000000{convenio}{}{carteira}", zeros(nosso, 10))
        } else {
            format!(
                "{convenio}{}{}{}{carteira}",
                zeros(nosso, 5),
                zeros(d.agencia.as_deref().unwrap_or_default(), 4),
                zeros(d.conta.as_deref().unwrap_or_default(), 8)
            )
        }
    }

    fn agencia_codigo(&self, d: &DadosBancarios) -> String {
        let agencia = zeros(d.agencia.as_deref().unwrap_or_default(), 4);
        match d.conta.as_deref() {
            Some(conta) => format!("{agencia} / {conta}"),
            None => format!("{agencia} / {}", d.convenio.as_deref().unwrap_or_default()),
        }
    }

    fn nosso_numero_impresso(&self, d: &DadosBancarios) -> String {
        let convenio = d.convenio.as_deref().unwrap_or_default();
        let nosso = d.nosso_numero.as_deref().unwrap_or_default();
        if convenio_len(d) == 7 {
            format!("{convenio}{}", zeros(nosso, 10))
        } else {
            format!("{convenio}{}", zeros(nosso, 5))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boleto::codigo::{linha_digitavel, montar_codigo_barras};

    #[test]
    fn rebuilds_the_published_bb_vector_from_fields() {
        // Campo livre 0500940144816060680935031 = convênio 050094, nosso número 01448,
        // agência 1606, conta 06809350, carteira 31 (6-digit convênio layout).
        let d = DadosBancarios {
            agencia: Some("1606".into()),
            conta: Some("6809350".into()),
            carteira: Some("31".into()),
            nosso_numero: Some("1448".into()),
            convenio: Some("050094".into()),
        };
        let mut erros = FieldErrors::new();
        BancoDoBrasil.validar(&d, &mut erros);
        assert!(erros.is_empty(), "{erros:?}");
        let campo = BancoDoBrasil.montar(&d);
        assert_eq!(campo, "0500940144816060680935031");
        let codigo = montar_codigo_barras("001", 3737, 100, &campo);
        assert_eq!(codigo, "00193373700000001000500940144816060680935031");
        assert_eq!(
            linha_digitavel(&codigo).unwrap(),
            "00190.50095 40144.816069 06809.350314 3 37370000000100"
        );
    }

    #[test]
    fn seven_digit_convenio_layout() {
        let d = DadosBancarios {
            agencia: Some("1234".into()),
            conta: None,
            carteira: Some("17".into()),
            nosso_numero: Some("123".into()),
            convenio: Some("1234567".into()),
        };
        let mut erros = FieldErrors::new();
        BancoDoBrasil.validar(&d, &mut erros);
        assert!(erros.is_empty());
        assert_eq!(BancoDoBrasil.montar(&d), "0000001234567000000012317");
        assert_eq!(BancoDoBrasil.nosso_numero_impresso(&d), "12345670000000123");
    }

    #[test]
    fn rejects_bad_fields() {
        let d = DadosBancarios {
            agencia: Some("12a".into()),
            conta: None,
            carteira: Some("1".into()),
            nosso_numero: Some("12345678901".into()),
            convenio: Some("1234567".into()),
        };
        let mut erros = FieldErrors::new();
        BancoDoBrasil.validar(&d, &mut erros);
        for campo in ["agencia", "carteira", "nosso_numero"] {
            assert!(erros.has(campo), "{campo}");
        }
        let d = DadosBancarios {
            convenio: Some("12345".into()),
            ..d
        };
        let mut erros = FieldErrors::new();
        BancoDoBrasil.validar(&d, &mut erros);
        assert!(erros.has("convenio"));
    }
}
