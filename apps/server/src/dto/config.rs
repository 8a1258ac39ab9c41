//! Request bodies of the settings (§4.9), for the OpenAPI document. The bodies are parsed by
//! [`super::config_form`] (DRF-style errors, form bodies' integers as text); the limits stated
//! here are the domain's [`configuracoes::limits`], which a test below checks.
//!
//! Every key is optional in a PATCH: only the keys sent are checked, merged into the stored
//! section, and the merged section is checked again (errors keyed `company_data.cnpj`, …).

use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// `company_data` keys. After the merge every key except `inscricao_municipal`,
/// `cnae_principal` and `site` must be present, with a valid `cnpj`, `email` and address.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct CompanyDataIn {
    #[schema(min_length = 1, max_length = 100, nullable = false)]
    pub razao_social: Option<String>,
    #[schema(min_length = 1, max_length = 100, nullable = false)]
    pub nome_fantasia: Option<String>,
    /// Any formatting, valid check digits (`CNPJ inválido`); stored as sent.
    #[schema(min_length = 1, nullable = false)]
    pub cnpj: Option<String>,
    #[schema(min_length = 1, max_length = 20, nullable = false)]
    pub inscricao_estadual: Option<String>,
    #[schema(max_length = 20, nullable = false)]
    pub inscricao_municipal: Option<String>,
    #[schema(pattern = "^[123]$", nullable = false)]
    pub regime_tributario: Option<String>,
    #[schema(max_length = 10, nullable = false)]
    pub cnae_principal: Option<String>,
    #[schema(min_length = 1, max_length = 20, nullable = false)]
    pub telefone: Option<String>,
    #[schema(format = Email, nullable = false)]
    pub email: Option<String>,
    #[schema(max_length = 100, nullable = false)]
    pub site: Option<String>,
    /// Replaces the stored address whole.
    #[schema(nullable = false)]
    pub endereco: Option<EnderecoIn>,
}

/// `company_data.endereco`: the sub-keys sent are checked; after the merge all but
/// `complemento` are required.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct EnderecoIn {
    #[schema(pattern = "^[0-9]{8}$", nullable = false)]
    pub cep: Option<String>,
    #[schema(min_length = 1, max_length = 100, nullable = false)]
    pub logradouro: Option<String>,
    #[schema(min_length = 1, max_length = 10, nullable = false)]
    pub numero: Option<String>,
    #[schema(max_length = 50, nullable = false)]
    pub complemento: Option<String>,
    #[schema(min_length = 1, max_length = 50, nullable = false)]
    pub bairro: Option<String>,
    #[schema(min_length = 1, max_length = 50, nullable = false)]
    pub cidade: Option<String>,
    /// A Brazilian state, case-insensitive (`UF inválida`).
    #[schema(min_length = 2, max_length = 2, nullable = false)]
    pub uf: Option<String>,
}

/// `chat_settings` keys (all required after the merge).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ChatSettingsIn {
    #[schema(min_length = 1, nullable = false)]
    pub mensagem_saudacao: Option<String>,
    #[schema(min_length = 1, nullable = false)]
    pub mensagem_fora_expediente: Option<String>,
    #[schema(min_length = 1, nullable = false)]
    pub mensagem_encerramento: Option<String>,
    #[schema(min_length = 1, nullable = false)]
    pub mensagem_inatividade: Option<String>,
    #[schema(minimum = 1, nullable = false)]
    pub timeout_inatividade_minutos: Option<i64>,
    #[schema(minimum = 1, nullable = false)]
    pub limite_chats_simultaneos: Option<i64>,
    /// Day (`segunda`, `terca`, `quarta`, `quinta`, `sexta`, `sabado`, `domingo`) → hours;
    /// replaces the stored hours whole.
    #[schema(nullable = false)]
    pub horario_funcionamento: Option<BTreeMap<String, HorarioDiaIn>>,
}

/// One day's hours; null for a closed day. The times (`HH:MM`) are not format-checked.
/// Every key is nullable here, and nothing else is (null is refused: `Este campo não pode ser
/// nulo.`).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct HorarioDiaIn {
    pub inicio: Option<String>,
    pub fim: Option<String>,
}

/// `email_settings` keys (all but `smtp_senha` required after the merge).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct EmailSettingsIn {
    #[schema(nullable = false)]
    pub smtp_host: Option<String>,
    #[schema(minimum = 1, maximum = 65535, nullable = false)]
    pub smtp_port: Option<i64>,
    #[schema(nullable = false)]
    pub smtp_usuario: Option<String>,
    /// Write-only, stored encrypted: `"***"` keeps the stored password, `""` clears it.
    #[schema(nullable = false)]
    pub smtp_senha: Option<String>,
    #[schema(nullable = false)]
    pub smtp_ssl: Option<bool>,
    /// `""` (not configured) or an address.
    #[schema(format = Email, nullable = false)]
    pub email_from: Option<String>,
}

/// `appearance` keys: free text, blank allowed.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct AppearanceIn {
    #[schema(nullable = false)]
    pub login_logo_url: Option<String>,
    #[schema(nullable = false)]
    pub favicon_url: Option<String>,
    #[schema(nullable = false)]
    pub primary_color: Option<String>,
    #[schema(nullable = false)]
    pub secondary_color: Option<String>,
    #[schema(nullable = false)]
    pub custom_css: Option<String>,
}

/// `whatsapp` keys.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct WhatsappIn {
    #[schema(nullable = false)]
    pub enabled: Option<bool>,
    #[schema(nullable = false)]
    pub device_name: Option<String>,
    #[schema(nullable = false)]
    pub stealth_mode: Option<bool>,
    #[schema(nullable = false)]
    pub human_delays: Option<bool>,
    #[schema(minimum = 0, nullable = false)]
    pub reconnect_backoff_seconds: Option<i64>,
    /// Write-only, stored encrypted: `"***"` keeps the stored value, `""` clears it.
    #[schema(nullable = false)]
    pub session_data: Option<String>,
    /// Write-only, stored encrypted: `"***"` keeps the stored value, `""` clears it.
    #[schema(nullable = false)]
    pub proxy_url: Option<String>,
}

/// `PUT /config/`: the three sections, each replacing the stored one whole.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct ConfigPutIn {
    pub company_data: CompanyDataIn,
    pub chat_settings: ChatSettingsIn,
    pub email_settings: EmailSettingsIn,
}

#[cfg(test)]
mod tests {
    use super::*;
    use configuracoes::limits as lim;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{Object, Schema};
    use utoipa::{Number, PartialSchema};

    fn object(schema: RefOr<Schema>) -> Object {
        match schema {
            RefOr::T(Schema::Object(o)) => o,
            _ => panic!("not an object schema"),
        }
    }

    fn property(o: &Object, name: &str) -> Object {
        match o.properties.get(name) {
            Some(RefOr::T(Schema::Object(p))) => p.clone(),
            _ => panic!("{name} is not an object property"),
        }
    }

    fn number(n: Option<Number>) -> Option<i64> {
        match n? {
            Number::Int(i) => i64::try_from(i).ok(),
            Number::UInt(u) => i64::try_from(u).ok(),
            Number::Float(f) => Some(f as i64),
        }
    }

    /// The limits the OpenAPI schema states are the ones the parsing applies.
    #[test]
    fn schema_limits_are_the_parsing_limits() {
        let company = object(CompanyDataIn::schema());
        for (name, limit) in [
            ("razao_social", lim::RAZAO_SOCIAL),
            ("nome_fantasia", lim::NOME_FANTASIA),
            ("inscricao_estadual", lim::INSCRICAO_ESTADUAL),
            ("inscricao_municipal", lim::INSCRICAO_MUNICIPAL),
            ("cnae_principal", lim::CNAE_PRINCIPAL),
            ("telefone", lim::TELEFONE),
            ("site", lim::SITE),
        ] {
            assert_eq!(property(&company, name).max_length, Some(limit), "{name}");
        }
        let endereco = object(EnderecoIn::schema());
        for (name, limit) in [
            ("logradouro", lim::LOGRADOURO),
            ("numero", lim::NUMERO),
            ("complemento", lim::COMPLEMENTO),
            ("bairro", lim::BAIRRO),
            ("cidade", lim::CIDADE),
        ] {
            assert_eq!(property(&endereco, name).max_length, Some(limit), "{name}");
        }
        let chat = object(ChatSettingsIn::schema());
        for (name, min) in [
            ("timeout_inatividade_minutos", lim::TIMEOUT_INATIVIDADE_MIN),
            ("limite_chats_simultaneos", lim::LIMITE_CHATS_MIN),
        ] {
            assert_eq!(number(property(&chat, name).minimum), Some(min), "{name}");
        }
        let port = property(&object(EmailSettingsIn::schema()), "smtp_port");
        assert_eq!(
            (number(port.minimum), number(port.maximum)),
            (Some(lim::SMTP_PORT_MIN), Some(lim::SMTP_PORT_MAX))
        );
        let backoff = property(&object(WhatsappIn::schema()), "reconnect_backoff_seconds");
        assert_eq!(number(backoff.minimum), Some(lim::RECONNECT_BACKOFF_MIN));
        let regimes = property(&company, "regime_tributario").pattern;
        let pattern = format!("^[{}]$", configuracoes::REGIMES.concat());
        assert_eq!(regimes.as_deref(), Some(pattern.as_str()));
    }

    /// Null is refused everywhere but in a day's hours, and the schema says so.
    #[test]
    fn only_the_hours_are_nullable() {
        for (name, schema) in [
            ("CompanyDataIn", CompanyDataIn::schema()),
            ("EnderecoIn", EnderecoIn::schema()),
            ("ChatSettingsIn", ChatSettingsIn::schema()),
            ("EmailSettingsIn", EmailSettingsIn::schema()),
            ("AppearanceIn", AppearanceIn::schema()),
            ("WhatsappIn", WhatsappIn::schema()),
            ("HorarioDiaIn", HorarioDiaIn::schema()),
        ] {
            for (key, p) in object(schema).properties {
                let nullable = serde_json::to_value(&p).expect("json")["type"]
                    .as_array()
                    .is_some_and(|t| t.contains(&serde_json::json!("null")));
                let hours = name == "HorarioDiaIn";
                assert_eq!(nullable, hours, "{name}.{key}");
            }
        }
    }

    /// Every key the domain reads from a section is documented, and nothing else.
    #[test]
    fn schema_keys_are_the_section_keys() {
        use configuracoes::model::*;
        let keys = |o: Object| {
            let mut k: Vec<String> = o.properties.keys().cloned().collect();
            k.sort();
            k
        };
        let stored =
            |m: serde_json::Map<String, serde_json::Value>| m.keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            keys(object(CompanyDataIn::schema())),
            stored(default_company_data())
        );
        let endereco = default_company_data()["endereco"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert_eq!(keys(object(EnderecoIn::schema())), stored(endereco));
        assert_eq!(
            keys(object(ChatSettingsIn::schema())),
            stored(default_chat_settings())
        );
        assert_eq!(
            keys(object(EmailSettingsIn::schema())),
            stored(default_email_settings())
        );
        assert_eq!(
            keys(object(AppearanceIn::schema())),
            stored(default_appearance())
        );
        assert_eq!(
            keys(object(WhatsappIn::schema())),
            stored(default_whatsapp())
        );
    }
}
