//! Value objects of the settings (§4.9). Each `parse` returns the contract's exact message on
//! failure; the values keep the text as it was sent (the settings store it as sent).

use kernel::messages as m;
use kernel::values::{CNPJ_INVALID_MSG, Cnpj, is_valid_uf};

pub const UF_INVALID_MSG: &str = "UF inválida";

/// The company's CNPJ in any formatting (`11.222.333/0001-81`, `11222333000181`, …) with
/// valid check digits, kept exactly as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CnpjText {
    text: String,
    cnpj: Cnpj,
}

impl CnpjText {
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        match Cnpj::parse_loose(text) {
            Ok(cnpj) => Ok(Self {
                text: text.to_string(),
                cnpj,
            }),
            Err(_) => Err(CNPJ_INVALID_MSG),
        }
    }

    /// The text as sent.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The CNPJ itself (14 bare characters).
    pub fn cnpj(&self) -> &Cnpj {
        &self.cnpj
    }

    pub fn into_string(self) -> String {
        self.text
    }
}

/// The company address's CEP: exactly eight ASCII digits (`^\d{8}$`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CepDigits(String);

impl CepDigits {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_string()))
        } else {
            Err(m::PATTERN)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A Brazilian state, checked case-insensitively and kept as sent (`"sp"` stays `"sp"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uf(String);

impl Uf {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        if is_valid_uf(s) {
            Ok(Self(s.to_string()))
        } else {
            Err(UF_INVALID_MSG)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The codes `regime_tributario` accepts.
pub const REGIMES: [&str; 3] = ["1", "2", "3"];

/// The company's `regime_tributario`: one of [`REGIMES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegimeTributario(&'static str);

impl RegimeTributario {
    /// The regime of a code; the message is DRF's invalid-choice one.
    pub fn parse(code: &str) -> Result<Self, String> {
        REGIMES
            .into_iter()
            .find(|r| *r == code)
            .map(Self)
            .ok_or_else(|| m::invalid_choice(code))
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

/// A secret as a request sends it (`smtp_senha`, `session_data`, `proxy_url`), kept exactly
/// as typed (no trimming). The use case decides what it means: the mask `"***"` keeps the
/// stored secret, `""` clears it, anything else is encrypted and stored. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainSecret(String);

impl PlainSecret {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PlainSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainSecret(..)")
    }
}

/// What secrets look like on the wire.
pub const MASK: &str = "***";

/// A secret as stored: `""` (not set) or the [`crate::SecretCipher`]'s text. Outside this crate
/// only whether it is set can be seen ([`Secret::mask`]); its text never leaves the service.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// No secret (stored as `""`).
    pub fn empty() -> Self {
        Self::default()
    }

    pub(crate) fn stored(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub(crate) fn stored_text(&self) -> &str {
        &self.0
    }

    pub fn is_set(&self) -> bool {
        !self.0.is_empty()
    }

    /// How clients see it: `"***"` when set, else `""`.
    pub fn mask(&self) -> &'static str {
        if self.is_set() { MASK } else { "" }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({:?})", self.mask())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cnpj_any_formatting_kept_as_sent() {
        for ok in ["11.222.333/0001-81", "11222333000181", "11 222 333 0001 81"] {
            let c = CnpjText::parse(ok).expect(ok);
            assert_eq!(c.as_str(), ok);
            assert_eq!(c.cnpj().as_str(), "11222333000181");
        }
        for bad in ["11.222.333/0001-82", "123", "11111111111111", ""] {
            assert_eq!(CnpjText::parse(bad), Err(CNPJ_INVALID_MSG), "{bad}");
        }
    }

    #[test]
    fn cep_uf_and_regime() {
        assert_eq!(CepDigits::parse("01001000").unwrap().as_str(), "01001000");
        for bad in ["01001-000", "0100100", "０１００１０００", ""] {
            assert_eq!(CepDigits::parse(bad), Err(m::PATTERN), "{bad}");
        }
        assert_eq!(Uf::parse("sp").unwrap().as_str(), "sp");
        assert_eq!(Uf::parse("XX"), Err(UF_INVALID_MSG));
        assert_eq!(RegimeTributario::parse("2").unwrap().as_str(), "2");
        assert_eq!(
            RegimeTributario::parse("4"),
            Err("\"4\" não é um escolha válido.".to_string())
        );
    }

    #[test]
    fn secrets_are_never_printed() {
        assert_eq!(
            format!("{:?}", PlainSecret::new("s3gredo")),
            "PlainSecret(..)"
        );
        let s = Secret::stored("enc:s3gredo");
        assert_eq!(format!("{s:?}"), "Secret(\"***\")");
        assert_eq!((s.mask(), Secret::empty().mask()), (MASK, ""));
    }
}
