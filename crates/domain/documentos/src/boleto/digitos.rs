//! Check-digit helpers shared by the FEBRABAN barcode and the banks' campo livre layouts.

/// Módulo 10 (weights 2,1,2,… from the right; two-digit products summed digit by digit).
/// Result `(10 - sum % 10) % 10`.
pub fn modulo10(digits: &str) -> u8 {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        let d = u32::from(c - b'0');
        let p = if i % 2 == 0 { d * 2 } else { d };
        sum += p / 10 + p % 10;
    }
    ((10 - sum % 10) % 10) as u8
}

/// Weighted sum with weights 2..=9 cycling from the right, modulo 11.
pub fn resto_modulo11(digits: &str) -> u32 {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        let weight = 2 + (i as u32 % 8);
        sum += u32::from(c - b'0') * weight;
    }
    sum % 11
}

/// The barcode's general check digit: `11 - resto`, with 0, 10 and 11 becoming 1.
pub fn dv_geral(digits43: &str) -> u8 {
    match 11 - resto_modulo11(digits43) {
        0 | 10 | 11 => 1,
        d => d as u8,
    }
}

/// Caixa's módulo 11 rule: `11 - resto`, results above 9 become 0.
pub fn dv_modulo11_caixa(digits: &str) -> u8 {
    match 11 - resto_modulo11(digits) {
        d if d > 9 => 0,
        d => d as u8,
    }
}

/// True when `s` is non-empty and only ASCII digits.
pub fn so_digitos(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Left-pads `s` with zeros to `width` (never truncates).
pub fn zeros(s: &str, width: usize) -> String {
    format!("{s:0>width$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulo10_known_values() {
        // Field checks of the published BB linha 00190.50095 40144.816069 06809.350314
        assert_eq!(modulo10("001905009"), 5);
        assert_eq!(modulo10("4014481606"), 9);
        assert_eq!(modulo10("0680935031"), 4);
        assert_eq!(modulo10("0"), 0);
    }

    #[test]
    fn modulo11_rules() {
        assert_eq!(dv_geral("0019373700000001000500940144816060680935031"), 3);
        // 11 - 0 = 11 → 1 and 11 - 1 = 10 → 1 in the general rule; Caixa maps them to 0.
        assert_eq!(resto_modulo11("0"), 0);
        assert_eq!(dv_geral("0"), 1);
        assert_eq!(dv_modulo11_caixa("0"), 0);
        assert!(so_digitos("0123"));
        assert!(!so_digitos(""));
        assert!(!so_digitos("12a"));
        assert_eq!(zeros("12", 5), "00012");
        assert_eq!(zeros("123456", 5), "123456");
    }
}
