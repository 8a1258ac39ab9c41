//! Built-in table of well-known CEPs, for CI and offline development (`CEP_PROVIDER=offline`).

use async_trait::async_trait;
use kernel::cep::{CepAddress, CepError, CepLookup, normalize_cep};
use serde_json::{Map, Value};

/// Field order of every row below.
const FIELDS: [&str; 10] = [
    "cep",
    "logradouro",
    "complemento",
    "bairro",
    "localidade",
    "uf",
    "ibge",
    "gia",
    "ddd",
    "siafi",
];

/// One row per CEP in ViaCEP's format: São Paulo's row is the contract's (§4.10); the others
/// are addresses in state capitals (mostly downtown) as ViaCEP describes them.
const TABLE: &[[&str; 10]] = &[
    [
        "01001-000",
        "Praça da Sé",
        "lado ímpar",
        "Sé",
        "São Paulo",
        "SP",
        "3550308",
        "1004",
        "11",
        "7107",
    ],
    [
        "20040-020",
        "Avenida Rio Branco",
        "de 1 ao 185 - lado ímpar",
        "Centro",
        "Rio de Janeiro",
        "RJ",
        "3304557",
        "",
        "21",
        "6001",
    ],
    [
        "30130-010",
        "Praça Sete de Setembro",
        "",
        "Centro",
        "Belo Horizonte",
        "MG",
        "3106200",
        "",
        "31",
        "4123",
    ],
    [
        "70040-010",
        "Praça dos Três Poderes",
        "",
        "Zona Cívico-Administrativa",
        "Brasília",
        "DF",
        "5300108",
        "",
        "61",
        "9701",
    ],
    [
        "40015-970",
        "Praça da Inglaterra",
        "s/n",
        "Comércio",
        "Salvador",
        "BA",
        "2927408",
        "",
        "71",
        "3849",
    ],
    [
        "80020-000",
        "Rua XV de Novembro",
        "",
        "Centro",
        "Curitiba",
        "PR",
        "4106902",
        "",
        "41",
        "7535",
    ],
    [
        "50030-040",
        "Rua da Moeda",
        "",
        "Recife",
        "Recife",
        "PE",
        "2611606",
        "",
        "81",
        "2531",
    ],
    [
        "60020-060",
        "Rua Marechal Deodoro",
        "até 863/864",
        "Benfica",
        "Fortaleza",
        "CE",
        "2304400",
        "",
        "85",
        "1389",
    ],
    [
        "69020-060",
        "Rua Major Gabriel",
        "",
        "Centro",
        "Manaus",
        "AM",
        "1302603",
        "",
        "92",
        "0255",
    ],
    [
        "88020-231",
        "Rua 13 de Maio",
        "lado ímpar",
        "Centro",
        "Florianópolis",
        "SC",
        "4205407",
        "",
        "48",
        "8105",
    ],
    [
        "91410-080",
        "Rua Ângelo Crivellaro",
        "",
        "Jardim do Salso",
        "Porto Alegre",
        "RS",
        "4314902",
        "",
        "51",
        "8801",
    ],
];

/// Answers from [`TABLE`]; every other CEP is [`CepError::NotFound`]. Never unavailable, so the
/// endpoint cannot produce a 5xx in CI.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineLookup;

impl OfflineLookup {
    pub fn new() -> Self {
        Self
    }

    /// The 8-digit CEPs the table knows.
    pub fn known_ceps() -> impl Iterator<Item = String> {
        TABLE.iter().filter_map(|row| normalize_cep(row[0]))
    }
}

#[async_trait]
impl CepLookup for OfflineLookup {
    async fn lookup(&self, cep8: &str) -> Result<CepAddress, CepError> {
        let cep = normalize_cep(cep8).ok_or(CepError::NotFound)?;
        let row = TABLE
            .iter()
            .find(|row| normalize_cep(row[0]).as_deref() == Some(cep.as_str()))
            .ok_or(CepError::NotFound)?;
        let mut out = Map::new();
        for (key, value) in FIELDS.iter().zip(row.iter()) {
            out.insert((*key).to_string(), Value::String((*value).to_string()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn contract_row_is_exact() {
        let got = OfflineLookup::new()
            .lookup("01001000")
            .await
            .expect("known");
        let want = json!({"cep":"01001-000","logradouro":"Praça da Sé","complemento":"lado ímpar",
            "bairro":"Sé","localidade":"São Paulo","uf":"SP","ibge":"3550308","gia":"1004",
            "ddd":"11","siafi":"7107"});
        assert_eq!(Value::Object(got), want);
    }

    #[tokio::test]
    async fn unknown_and_invalid_are_not_found() {
        let l = OfflineLookup::new();
        assert_eq!(l.lookup("99999999").await, Err(CepError::NotFound));
        assert_eq!(l.lookup("123").await, Err(CepError::NotFound));
    }

    #[tokio::test]
    async fn every_row_is_well_formed() {
        assert!(OfflineLookup::known_ceps().count() >= 11);
        for cep in OfflineLookup::known_ceps() {
            let a = OfflineLookup::new().lookup(&cep).await.expect("row");
            assert_eq!(a["uf"].as_str().map(str::len), Some(2));
            assert_eq!(a["ibge"].as_str().map(str::len), Some(7));
        }
    }
}
