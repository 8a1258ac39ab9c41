//! Caixa Econômica Federal (104), SIGCB layout:
//! código do beneficiário (6) + DV (módulo 11) + nosso número digits 1–3 + constante 1
//! (`1` = cobrança registrada) + nosso número digits 4–6 + constante 2 (`4` = emissão pelo
//! beneficiário) + nosso número digits 7–15 + DV of the campo livre (módulo 11).
//!
//! Input: `convenio` = código do beneficiário (6 digits), `nosso_numero` up to 15 digits (the
//! printed nosso número is `14` + those 15 digits). `conta` and `carteira` are not used.

use super::DadosBancarios;
use super::campo_livre::{CampoLivre, checar_digitos};
use super::digitos::{dv_modulo11_caixa, so_digitos, zeros};
use kernel::FieldErrors;

pub struct Caixa;

impl CampoLivre for Caixa {
    fn codigo(&self) -> &'static str {
        "104"
    }

    fn nome(&self) -> &'static str {
        "Caixa Econômica Federal"
    }

    fn validar(&self, d: &DadosBancarios, erros: &mut FieldErrors) {
        checar_digitos(erros, "agencia", d.agencia.as_deref(), 1, 4);
        checar_digitos(erros, "convenio", d.convenio.as_deref(), 6, 6);
        checar_digitos(erros, "nosso_numero", d.nosso_numero.as_deref(), 1, 15);
        if let Some(conta) = d.conta.as_deref()
            && (!so_digitos(conta) || conta.len() > 12)
        {
            erros.add("conta", super::campo_livre::mensagem_digitos(1, 12));
        }
    }

    fn montar(&self, d: &DadosBancarios) -> String {
        let beneficiario = d.convenio.as_deref().unwrap_or_default();
        let nosso = zeros(d.nosso_numero.as_deref().unwrap_or_default(), 15);
        let sem_dv = format!(
            "{beneficiario}{}{}1{}4{}",
            dv_modulo11_caixa(beneficiario),
            &nosso[0..3],
            &nosso[3..6],
            &nosso[6..15]
        );
        format!("{sem_dv}{}", dv_modulo11_caixa(&sem_dv))
    }

    fn agencia_codigo(&self, d: &DadosBancarios) -> String {
        let beneficiario = d.convenio.as_deref().unwrap_or_default();
        format!(
            "{} / {beneficiario}-{}",
            zeros(d.agencia.as_deref().unwrap_or_default(), 4),
            dv_modulo11_caixa(beneficiario)
        )
    }

    fn nosso_numero_impresso(&self, d: &DadosBancarios) -> String {
        let nosso = format!(
            "14{}",
            zeros(d.nosso_numero.as_deref().unwrap_or_default(), 15)
        );
        format!("{nosso}-{}", dv_modulo11_caixa(&nosso))
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
            agencia: Some("1234".into()),
            conta: None,
            carteira: None,
            nosso_numero: Some("123456789012345".into()),
            convenio: Some("005507".into()),
        }
    }

    #[test]
    fn campo_livre_layout() {
        let d = dados();
        let mut erros = FieldErrors::new();
        Caixa.validar(&d, &mut erros);
        assert!(erros.is_empty(), "{erros:?}");
        let campo = Caixa.montar(&d);
        assert_eq!(campo.len(), 25);
        // 005507 → weights 7,6,5,4,3,2 → 0+0+25+20+0+14 = 59, 59 % 11 = 4, DV 7.
        assert_eq!(&campo[0..7], "0055077");
        assert_eq!(&campo[7..10], "123");
        assert_eq!(&campo[10..11], "1");
        assert_eq!(&campo[11..14], "456");
        assert_eq!(&campo[14..15], "4");
        assert_eq!(&campo[15..24], "789012345");
        assert_eq!(
            campo[24..25].parse::<u8>().unwrap(),
            dv_modulo11_caixa(&campo[..24])
        );
    }

    #[test]
    fn barcode_and_linha_are_consistent() {
        let codigo = montar_codigo_barras("104", 9999, 1, &Caixa.montar(&dados()));
        assert!(codigo_barras_valido(&codigo));
        let linha = linha_digitavel(&codigo).unwrap();
        assert_eq!(codigo_de_linha(&linha).unwrap(), codigo);
    }

    #[test]
    fn requires_six_digit_beneficiario() {
        let d = DadosBancarios {
            convenio: Some("12345".into()),
            nosso_numero: None,
            ..dados()
        };
        let mut erros = FieldErrors::new();
        Caixa.validar(&d, &mut erros);
        assert!(erros.has("convenio"));
        assert!(erros.has("nosso_numero"));
    }
}
