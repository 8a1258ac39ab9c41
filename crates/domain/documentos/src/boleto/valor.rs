//! Boleto amounts: parsed into integer cents, never through floating point.

use super::codigo::VALOR_MAXIMO_CENTAVOS;
use serde_json::Value;

pub const VALOR_INVALIDO: &str = "Informe um valor numérico válido.";
pub const VALOR_NAO_POSITIVO: &str = "O valor deve ser maior que zero.";
pub const VALOR_CASAS: &str = "Informe no máximo 2 casas decimais.";
pub const VALOR_MAXIMO: &str = "O valor excede o máximo permitido em um boleto (99.999.999,99).";

/// Parses `valor`: a JSON number or a string using `.` or `,` as decimal separator
/// (`"150"`, `"150.5"`, `"150,50"`). When both appear (`"3.700,00"`, `"3,700.00"`), the last
/// one is the decimal separator and the other groups thousands. At most 2 decimals; must be
/// > 0 and fit 10 digits of cents.
pub fn parse_valor(v: &Value) -> Result<u64, &'static str> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => normalizar_separadores(s.trim())?,
        _ => return Err(VALOR_INVALIDO),
    };
    let text = text.strip_prefix('+').unwrap_or(&text);
    if text.starts_with('-') {
        return Err(VALOR_NAO_POSITIVO);
    }
    let (inteiro, fracao) = match text.split_once('.') {
        Some((i, f)) => (i, f),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (inteiro.is_empty() && fracao.is_empty()) || !digits(inteiro) || !digits(fracao) {
        return Err(VALOR_INVALIDO);
    }
    let fracao = fracao.trim_end_matches('0');
    if fracao.len() > 2 {
        return Err(VALOR_CASAS);
    }
    let inteiro = inteiro.trim_start_matches('0');
    if inteiro.len() > 8 {
        return Err(VALOR_MAXIMO);
    }
    let reais: u64 = if inteiro.is_empty() {
        0
    } else {
        inteiro.parse().map_err(|_| VALOR_INVALIDO)?
    };
    let centavos: u64 = format!("{fracao:0<2}")
        .parse()
        .map_err(|_| VALOR_INVALIDO)?;
    let total = reais * 100 + centavos;
    if total == 0 {
        return Err(VALOR_NAO_POSITIVO);
    }
    if total > VALOR_MAXIMO_CENTAVOS {
        return Err(VALOR_MAXIMO);
    }
    Ok(total)
}

/// Rewrites a Brazilian or international amount with `.` as the only decimal separator.
fn normalizar_separadores(s: &str) -> Result<String, &'static str> {
    let (Some(ponto), Some(virgula)) = (s.rfind('.'), s.rfind(',')) else {
        return Ok(s.replace(',', "."));
    };
    let (milhar, decimal) = if virgula > ponto {
        ('.', ',')
    } else {
        (',', '.')
    };
    let (inteiro, fracao) = s.rsplit_once(decimal).ok_or(VALOR_INVALIDO)?;
    let grupos: Vec<&str> = inteiro.split(milhar).collect();
    let bem_agrupado = grupos.len() > 1
        && !grupos[0].is_empty()
        && grupos[0].len() <= 3
        && grupos[1..].iter().all(|g| g.len() == 3);
    if !bem_agrupado || fracao.contains(milhar) {
        return Err(VALOR_INVALIDO);
    }
    Ok(format!("{}.{}", grupos.concat(), fracao))
}

/// `R$ 1.234,56`.
pub fn formatar_reais(centavos: u64) -> String {
    let reais = (centavos / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in reais.chars().enumerate() {
        if i > 0 && (reais.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    format!("R$ {grouped},{:02}", centavos % 100)
}

/// `1234.56` (the PIX amount format).
pub fn formatar_decimal(centavos: u64) -> String {
    format!("{}.{:02}", centavos / 100, centavos % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thousands_separators() {
        assert_eq!(parse_valor(&json!("3.700,00")), Ok(370_000));
        assert_eq!(parse_valor(&json!("1,234,567.89")), Ok(123_456_789));
        assert_eq!(parse_valor(&json!("12.34,5")), Err(VALOR_INVALIDO));
        assert_eq!(parse_valor(&json!("3.700")), Ok(370));
    }

    #[test]
    fn accepted_amounts() {
        assert_eq!(parse_valor(&json!(150)), Ok(15000));
        assert_eq!(parse_valor(&json!(10.1)), Ok(1010));
        assert_eq!(parse_valor(&json!(0.07)), Ok(7));
        assert_eq!(parse_valor(&json!("150,50")), Ok(15050));
        assert_eq!(parse_valor(&json!(" 150.5 ")), Ok(15050));
        assert_eq!(parse_valor(&json!("1.00")), Ok(100));
        assert_eq!(parse_valor(&json!(",5")), Ok(50));
        assert_eq!(parse_valor(&json!("99999999.99")), Ok(9_999_999_999));
        assert_eq!(parse_valor(&json!("12.300")), Ok(1230));
    }

    #[test]
    fn rejected_amounts() {
        assert_eq!(parse_valor(&json!(0)), Err(VALOR_NAO_POSITIVO));
        assert_eq!(parse_valor(&json!(-5)), Err(VALOR_NAO_POSITIVO));
        assert_eq!(parse_valor(&json!("0,00")), Err(VALOR_NAO_POSITIVO));
        assert_eq!(parse_valor(&json!("1.234,56")), Ok(123_456));
        assert_eq!(parse_valor(&json!("abc")), Err(VALOR_INVALIDO));
        assert_eq!(parse_valor(&json!("")), Err(VALOR_INVALIDO));
        assert_eq!(parse_valor(&json!(".")), Err(VALOR_INVALIDO));
        assert_eq!(parse_valor(&json!(true)), Err(VALOR_INVALIDO));
        assert_eq!(parse_valor(&json!(1.234)), Err(VALOR_CASAS));
        assert_eq!(parse_valor(&json!(1e20)), Err(VALOR_INVALIDO));
        assert_eq!(parse_valor(&json!("100000000")), Err(VALOR_MAXIMO));
    }

    #[test]
    fn formatting() {
        assert_eq!(formatar_reais(123456), "R$ 1.234,56");
        assert_eq!(formatar_reais(5), "R$ 0,05");
        assert_eq!(formatar_reais(100000000), "R$ 1.000.000,00");
        assert_eq!(formatar_decimal(1050), "10.50");
    }
}
