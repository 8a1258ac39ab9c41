//! FEBRABAN barcode (44 digits) and linha digitável (47 digits) of bank boletos.
//!
//! Barcode layout: bank (3) + currency `9` (1) + general check digit (1) + due-date factor (4)
//! + amount in cents (10) + campo livre (25).

use super::digitos::{dv_geral, modulo10};
use chrono::NaiveDate;

/// Base date of the due-date factor.
pub fn data_base() -> NaiveDate {
    NaiveDate::from_ymd_opt(1997, 10, 7).unwrap_or_default()
}

/// Due-date factor: days since 1997-10-07, restarting at 1000 after 9999 (from 2025-02-22 on).
/// `None` for dates before 2000-07-03 (factor 1000 of the first cycle), which cannot be encoded.
pub fn fator_vencimento(vencimento: NaiveDate) -> Option<u16> {
    let days = (vencimento - data_base()).num_days();
    if days < 1000 {
        return None;
    }
    Some(((days - 1000) % 9000 + 1000) as u16)
}

/// Largest amount a boleto can carry (10 digits of cents).
pub const VALOR_MAXIMO_CENTAVOS: u64 = 9_999_999_999;

/// Builds the 44-digit barcode. `banco` must be 3 digits and `campo_livre` 25 digits.
pub fn montar_codigo_barras(
    banco: &str,
    fator: u16,
    valor_centavos: u64,
    campo_livre: &str,
) -> String {
    let sem_dv = format!("{banco}9{fator:04}{valor_centavos:010}{campo_livre}");
    let dv = dv_geral(&sem_dv);
    format!("{}{}{}", &sem_dv[..4], dv, &sem_dv[4..])
}

/// True when `codigo` is 44 digits with a correct general check digit.
pub fn codigo_barras_valido(codigo: &str) -> bool {
    codigo.len() == 44
        && codigo.bytes().all(|b| b.is_ascii_digit())
        && dv_geral(&format!("{}{}", &codigo[..4], &codigo[5..])) == codigo.as_bytes()[4] - b'0'
}

/// Converts a 44-digit barcode into the formatted linha digitável
/// `AAAAA.AAAAA BBBBB.BBBBBB CCCCC.CCCCCC D EEEEEEEEEEEEEE`. `None` if the input is not 44 digits.
pub fn linha_digitavel(codigo: &str) -> Option<String> {
    if codigo.len() != 44 || !codigo.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let campo_livre = &codigo[19..44];
    let c1 = format!("{}{}", &codigo[0..4], &campo_livre[0..5]);
    let c1 = format!("{c1}{}", modulo10(&c1));
    let c2 = format!("{}{}", &campo_livre[5..15], modulo10(&campo_livre[5..15]));
    let c3 = format!("{}{}", &campo_livre[15..25], modulo10(&campo_livre[15..25]));
    Some(format!(
        "{}.{} {}.{} {}.{} {} {}",
        &c1[..5],
        &c1[5..],
        &c2[..5],
        &c2[5..],
        &c3[..5],
        &c3[5..],
        &codigo[4..5],
        &codigo[5..19]
    ))
}

/// Converts a linha digitável (formatted or bare, 47 digits) back into the barcode, checking the
/// three field check digits and the general check digit. `None` when anything does not match.
pub fn codigo_de_linha(linha: &str) -> Option<String> {
    let d: String = linha.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
    if d.len() != 47 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let dv_ok = |campo: &str, dv: u8| modulo10(campo) == dv - b'0';
    let b = d.as_bytes();
    if !dv_ok(&d[0..9], b[9]) || !dv_ok(&d[10..20], b[20]) || !dv_ok(&d[21..31], b[31]) {
        return None;
    }
    let codigo = format!(
        "{}{}{}{}{}{}",
        &d[0..4],
        &d[32..33],
        &d[33..47],
        &d[4..9],
        &d[10..20],
        &d[21..31]
    );
    codigo_barras_valido(&codigo).then_some(codigo)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BB_LINHA: &str = "00190.50095 40144.816069 06809.350314 3 37370000000100";
    const BB_CODIGO: &str = "00193373700000001000500940144816060680935031";
    const BRADESCO_LINHA: &str = "23793.38128 60007.827136 95000.063305 9 75520000370000";
    const BRADESCO_CODIGO: &str = "23799755200003700003381260007827139500006330";

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn published_vectors_both_ways() {
        assert_eq!(linha_digitavel(BB_CODIGO).unwrap(), BB_LINHA);
        assert_eq!(codigo_de_linha(BB_LINHA).unwrap(), BB_CODIGO);
        assert_eq!(linha_digitavel(BRADESCO_CODIGO).unwrap(), BRADESCO_LINHA);
        assert_eq!(codigo_de_linha(BRADESCO_LINHA).unwrap(), BRADESCO_CODIGO);
        assert!(codigo_barras_valido(BB_CODIGO));
        assert!(codigo_barras_valido(BRADESCO_CODIGO));
    }

    #[test]
    fn barcode_rebuilt_from_parts() {
        assert_eq!(
            montar_codigo_barras("001", 3737, 100, "0500940144816060680935031"),
            BB_CODIGO
        );
        assert_eq!(
            montar_codigo_barras("237", 7552, 370000, "3381260007827139500006330"),
            BRADESCO_CODIGO
        );
    }

    #[test]
    fn corrupted_inputs_are_rejected() {
        assert!(
            codigo_de_linha("00190.50095 40144.816069 06809.350314 4 37370000000100").is_none()
        );
        assert!(
            codigo_de_linha("00190.50096 40144.816069 06809.350314 3 37370000000100").is_none()
        );
        assert!(codigo_de_linha("123").is_none());
        assert!(!codigo_barras_valido(
            "00194373700000001000500940144816060680935031"
        ));
        assert!(linha_digitavel("0019").is_none());
        assert!(linha_digitavel(&"x".repeat(44)).is_none());
    }

    #[test]
    fn due_date_factor_and_2025_rollover() {
        assert_eq!(fator_vencimento(date(2000, 7, 3)), Some(1000));
        assert_eq!(fator_vencimento(date(2000, 7, 2)), None);
        assert_eq!(fator_vencimento(date(2025, 2, 21)), Some(9999));
        assert_eq!(fator_vencimento(date(2025, 2, 22)), Some(1000));
        assert_eq!(fator_vencimento(date(2025, 2, 23)), Some(1001));
        // BB vector: factor 3737 and Bradesco vector: factor 7552.
        assert_eq!(data_base() + chrono::Days::new(3737), date(2007, 12, 31));
        assert_eq!(fator_vencimento(date(2007, 12, 31)), Some(3737));
        assert_eq!(fator_vencimento(date(2018, 6, 11)), Some(7552));
        assert_eq!(fator_vencimento(date(2034, 7, 10)), Some(4425));
    }
}
