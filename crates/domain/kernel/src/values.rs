//! Value objects parsed at the edge: CPF, CNPJ (numeric and alphanumeric), CEP, phone, e-mail.
//! Each `parse` returns the contract's exact Portuguese message on failure.
//!
//! Digits are ASCII `0-9` only (never `\d`, which in `regex` matches every Unicode decimal
//! digit): full-width or Arabic-Indic look-alikes are refused with the field's usual message.

use regex::Regex;
use std::sync::LazyLock;

static CNPJ_FORMAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[0-9A-Z]{2}\.[0-9A-Z]{3}\.[0-9A-Z]{3}/[0-9A-Z]{4}-[0-9]{2}$").expect("regex")
});
static CPF_FORMAT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}$").expect("regex"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\+?1?[0-9]{9,15}$").expect("regex"));
static CEP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[0-9]{5}-?[0-9]{3}$").expect("regex"));
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$",
    )
    .expect("regex")
});

pub const CNPJ_FORMAT_MSG: &str = "CNPJ deve estar no formato: 12.345.678/0001-90";
pub const CNPJ_INVALID_MSG: &str = "CNPJ inválido";
pub const CNPJ_LENGTH_MSG: &str = "CNPJ deve ter 14 dígitos";
pub const CPF_FORMAT_MSG: &str = "CPF deve estar no formato: 123.456.789-00";
pub const CPF_INVALID_MSG: &str = "CPF inválido";
pub const PHONE_MSG: &str = "Formato de telefone inválido. Use: +5511999999999";
pub const WHATSAPP_MSG: &str = "Formato de WhatsApp inválido. Use: +5511999999999";
pub const CEP_MSG: &str = "CEP deve ter 8 dígitos. Use: 12345-678 ou 12345678";

/// A CNPJ, stored as 14 uppercase characters (digits, or letters in the first 12 positions).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cnpj(String);

impl Cnpj {
    /// Parses the formatted input `XX.XXX.XXX/XXXX-DV` (letters upper-cased first), then checks
    /// the check digits.
    pub fn parse_formatted(input: &str) -> Result<Self, &'static str> {
        let upper = input.trim().to_uppercase();
        if !CNPJ_FORMAT.is_match(&upper) {
            return Err(CNPJ_FORMAT_MSG);
        }
        let bare: String = upper
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        Self::from_bare(&bare)
    }

    /// Parses any formatting: keeps only digits and letters, requires 14 of them and valid check
    /// digits.
    pub fn parse_loose(input: &str) -> Result<Self, &'static str> {
        let bare: String = input
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if bare.len() != 14 {
            return Err(CNPJ_LENGTH_MSG);
        }
        Self::from_bare(&bare)
    }

    /// Validates 14 bare characters.
    pub fn from_bare(bare: &str) -> Result<Self, &'static str> {
        let b = bare.as_bytes();
        if b.len() != 14
            || !b[..12]
                .iter()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            || !b[12..].iter().all(u8::is_ascii_digit)
        {
            return Err(CNPJ_INVALID_MSG);
        }
        if b.iter().all(|c| *c == b[0]) {
            return Err(CNPJ_INVALID_MSG);
        }
        let dv1 = cnpj_dv(&b[..12]);
        let dv2 = cnpj_dv(&b[..13]);
        if b[12] - b'0' != dv1 || b[13] - b'0' != dv2 {
            return Err(CNPJ_INVALID_MSG);
        }
        Ok(Self(bare.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Mod-11 check digit over characters valued `ASCII - 48`, weights 2..9 from the right.
fn cnpj_dv(chars: &[u8]) -> u8 {
    let sum: u32 = chars
        .iter()
        .rev()
        .enumerate()
        .map(|(i, c)| (u32::from(*c) - 48) * (2 + (i as u32 % 8)))
        .sum();
    let r = sum % 11;
    if r < 2 { 0 } else { (11 - r) as u8 }
}

/// A CPF stored as 11 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpf(String);

impl Cpf {
    /// Parses `123.456.789-09` then checks the check digits.
    pub fn parse_formatted(input: &str) -> Result<Self, &'static str> {
        let s = input.trim();
        if !CPF_FORMAT.is_match(s) {
            return Err(CPF_FORMAT_MSG);
        }
        let digits: Vec<u8> = s
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        if digits.iter().all(|d| *d == digits[0]) {
            return Err(CPF_INVALID_MSG);
        }
        for n in [9usize, 10] {
            let sum: u32 = digits[..n]
                .iter()
                .enumerate()
                .map(|(i, d)| u32::from(*d) * (n as u32 + 1 - i as u32))
                .sum();
            let dv = (sum * 10 % 11) % 10;
            if u32::from(digits[n]) != dv {
                return Err(CPF_INVALID_MSG);
            }
        }
        Ok(Self(digits.iter().map(|d| char::from(b'0' + d)).collect()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Phone (and WhatsApp) numbers: `^\+?1?\d{9,15}$`.
pub fn is_valid_phone(s: &str) -> bool {
    PHONE.is_match(s)
}

/// Removes every character except digits and `+` (the chat-intake cleaning rule).
pub fn clean_whatsapp(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

/// CEP as accepted on clientes: `12345-678` or `12345678`.
pub fn is_valid_cep(s: &str) -> bool {
    CEP.is_match(s)
}

/// E-mail address check (Django's validator, approximately).
pub fn is_valid_email(s: &str) -> bool {
    s.len() <= 254 && EMAIL.is_match(s)
}

/// A validated e-mail address (see [`is_valid_email`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Longest address accepted.
    pub const MAX_CHARS: usize = 254;

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if is_valid_email(s) {
            Ok(Self(s.to_string()))
        } else {
            Err(crate::messages::EMAIL)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An e-mail field that may also be null or blank, each stored as such (`None`, `""`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailField {
    Null,
    Blank,
    Email(Email),
}

impl EmailField {
    /// The stored form: `None` for null, `""` for blank.
    pub fn into_stored(self) -> Option<String> {
        match self {
            EmailField::Null => None,
            EmailField::Blank => Some(String::new()),
            EmailField::Email(e) => Some(e.into_string()),
        }
    }
}

/// A WhatsApp number as [`is_valid_phone`] accepts it, at most [`Whatsapp::MAX_CHARS`]
/// characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Whatsapp(String);

impl Whatsapp {
    pub const MAX_CHARS: usize = 20;

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.chars().count() <= Self::MAX_CHARS && is_valid_phone(s) {
            Ok(Self(s.to_string()))
        } else {
            Err(WHATSAPP_MSG)
        }
    }

    /// The chat-intake rule: everything but digits and `+` is dropped first.
    pub fn parse_cleaned(s: &str) -> Result<Self, &'static str> {
        Self::parse(&clean_whatsapp(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A phone number as [`is_valid_phone`] accepts it, at most [`Telefone::MAX_CHARS`]
/// characters (the length is checked by the edge first, with its own message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Telefone(String);

impl Telefone {
    pub const MAX_CHARS: usize = 20;

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.chars().count() <= Self::MAX_CHARS && is_valid_phone(s) {
            Ok(Self(s.to_string()))
        } else {
            Err(PHONE_MSG)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A CEP as accepted on clientes (`12345-678` or `12345678`), kept as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cep(String);

impl Cep {
    pub const MAX_CHARS: usize = 9;

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if is_valid_cep(s) {
            Ok(Self(s.to_string()))
        } else {
            Err(CEP_MSG)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Brazilian states (UF).
pub const UFS: [&str; 27] = [
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB", "PR",
    "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
];

pub fn is_valid_uf(s: &str) -> bool {
    let up = s.to_uppercase();
    UFS.contains(&up.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnpj_numeric_and_alphanumeric() {
        assert_eq!(
            Cnpj::parse_formatted("11.222.333/0001-81")
                .unwrap()
                .as_str(),
            "11222333000181"
        );
        assert_eq!(
            Cnpj::parse_formatted("12.ABC.345/01DE-35")
                .unwrap()
                .as_str(),
            "12ABC34501DE35"
        );
        assert_eq!(
            Cnpj::parse_formatted("12.abc.345/01de-35")
                .unwrap()
                .as_str(),
            "12ABC34501DE35"
        );
        assert_eq!(
            Cnpj::parse_formatted("11.222.333/0001-82"),
            Err(CNPJ_INVALID_MSG)
        );
        assert_eq!(
            Cnpj::parse_formatted("11.111.111/1111-11"),
            Err(CNPJ_INVALID_MSG)
        );
        assert_eq!(
            Cnpj::parse_formatted("00.000.000/0000-00"),
            Err(CNPJ_INVALID_MSG)
        );
        assert_eq!(
            Cnpj::parse_formatted("11222333000181"),
            Err(CNPJ_FORMAT_MSG)
        );
        assert_eq!(
            Cnpj::parse_formatted("12.ABC.345/01DE-3X"),
            Err(CNPJ_FORMAT_MSG)
        );
    }

    #[test]
    fn cnpj_loose() {
        assert!(Cnpj::parse_loose("11222333000181").is_ok());
        assert!(Cnpj::parse_loose("11.222.333/0001-81").is_ok());
        assert_eq!(Cnpj::parse_loose("1122233300018"), Err(CNPJ_LENGTH_MSG));
        assert_eq!(Cnpj::parse_loose("11222333000180"), Err(CNPJ_INVALID_MSG));
    }

    #[test]
    fn cpf_rules() {
        assert_eq!(
            Cpf::parse_formatted("529.982.247-25").unwrap().as_str(),
            "52998224725"
        );
        assert_eq!(Cpf::parse_formatted("529.982.247-24"), Err(CPF_INVALID_MSG));
        assert_eq!(Cpf::parse_formatted("111.111.111-11"), Err(CPF_INVALID_MSG));
        assert_eq!(Cpf::parse_formatted("52998224725"), Err(CPF_FORMAT_MSG));
    }

    #[test]
    fn phones_ceps_emails() {
        assert!(is_valid_phone("+5511999999999"));
        assert!(is_valid_phone("11999999999"));
        assert!(!is_valid_phone("12345"));
        assert!(!is_valid_phone("+55 11 99999-9999"));
        assert_eq!(clean_whatsapp("+55 (11) 99999-9999"), "+5511999999999");
        assert!(is_valid_cep("01001-000") && is_valid_cep("01001000"));
        assert!(!is_valid_cep("0100100"));
        assert!(is_valid_email("a.b@c.com.br"));
        assert!(!is_valid_email("a@b") && !is_valid_email("") && !is_valid_email("x y@z.com"));
        assert!(is_valid_uf("sp") && !is_valid_uf("XX"));
        assert_eq!(
            Telefone::parse("+5511999999999").unwrap().as_str(),
            "+5511999999999"
        );
        assert_eq!(Telefone::parse("123"), Err(PHONE_MSG));
        assert_eq!(Cep::parse("01001-000").unwrap().into_string(), "01001-000");
        assert_eq!(Cep::parse("0100100"), Err(CEP_MSG));
    }

    /// Full-width (U+FF10…) and Arabic-Indic (U+0660…) digits are not digits here.
    #[test]
    fn look_alike_digits_are_refused() {
        assert!(!is_valid_phone("+５５１１９９９９９９９９９"));
        assert!(!is_valid_phone("+٥٥١١٩٩٩٩٩٩٩٩٩"));
        assert!(!is_valid_phone("+551199999999٩"));
        assert!(!is_valid_cep("０１００１-０００"));
        assert!(!is_valid_cep("01001-00٠"));
        // A CPF whose check digits are look-alikes used to pass the format check and then
        // index past the ASCII digits it had kept.
        assert_eq!(Cpf::parse_formatted("529.982.247-٢٥"), Err(CPF_FORMAT_MSG));
        assert_eq!(Cpf::parse_formatted("５29.982.247-25"), Err(CPF_FORMAT_MSG));
        assert_eq!(
            Cnpj::parse_formatted("11.222.333/0001-８１"),
            Err(CNPJ_FORMAT_MSG)
        );
        assert_eq!(
            Cnpj::parse_formatted("11.222.333/０001-81"),
            Err(CNPJ_FORMAT_MSG)
        );
        assert_eq!(Cnpj::parse_loose("11222333000١٨١"), Err(CNPJ_LENGTH_MSG));
    }
}
