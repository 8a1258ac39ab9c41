//! The settings sections, typed: each as stored (every key optional, unknown keys kept in
//! `extra`), and the PATCH of each (the keys a request sets, already valid on their own).
//! The row keeps the sections as JSON objects ([`crate::StoredConfig`]); `from_stored` and
//! the persisted form are lossless, so keys written by other versions survive a write.

mod appearance;
mod chat;
mod company;
mod email;
mod whatsapp;

pub use appearance::{Appearance, AppearancePatch};
pub use chat::{ChatPatch, ChatSettings, HorarioDia, HorarioFuncionamento};
pub use company::{CompanyData, CompanyPatch, Endereco, NewEndereco};
pub use email::{EmailPatch, EmailSettings, SmtpAccount};
pub(crate) use whatsapp::SealedWhatsapp;
pub use whatsapp::{WhatsappPatch, WhatsappRuntime, WhatsappSettings};

use crate::model::Section;
use kernel::FieldErrors;
use serde_json::{Map, Value};

/// A typed section and its persisted form.
pub(crate) trait SectionData: Sized {
    const SECTION: Section;
    fn read(stored: &Map<String, Value>) -> Self;
    /// The persisted form (secrets as the cipher's text).
    fn write(&self) -> Map<String, Value>;
    /// The rules on the whole section after a merge (§4.9), keyed by dotted path under the
    /// section's key; none for the sections the contract does not check.
    fn merged_errors(&self) -> FieldErrors {
        FieldErrors::new()
    }
}

/// The sections of `PUT /config/`, replaced together.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConfigPut {
    pub company_data: CompanyPatch,
    pub chat_settings: ChatPatch,
    pub email_settings: EmailPatch,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("an object")
    }

    fn round_trip<S: SectionData>(stored: &Map<String, Value>) -> Map<String, Value> {
        S::read(stored).write()
    }

    #[test]
    fn defaults_are_read_into_typed_fields_only() {
        assert!(CompanyData::read(&default_company_data()).extra.is_empty());
        let company = CompanyData::read(&default_company_data());
        assert!(company.endereco.expect("endereco").extra.is_empty());
        let chat = ChatSettings::read(&default_chat_settings());
        assert!(chat.extra.is_empty());
        let horario = chat.horario_funcionamento.expect("horario");
        assert!(horario.extra.is_empty() && horario.dias.len() == 7);
        assert!(horario.dias.values().all(|d| d.extra.is_empty()));
        assert!(
            EmailSettings::read(&default_email_settings())
                .extra
                .is_empty()
        );
        assert!(Appearance::read(&default_appearance()).extra.is_empty());
        assert!(WhatsappSettings::read(&default_whatsapp()).extra.is_empty());
    }

    #[test]
    fn reading_and_writing_back_loses_nothing() {
        assert_eq!(
            round_trip::<CompanyData>(&default_company_data()),
            default_company_data()
        );
        assert_eq!(
            round_trip::<ChatSettings>(&default_chat_settings()),
            default_chat_settings()
        );
        assert_eq!(
            round_trip::<EmailSettings>(&default_email_settings()),
            default_email_settings()
        );
        assert_eq!(
            round_trip::<Appearance>(&default_appearance()),
            default_appearance()
        );
        assert_eq!(
            round_trip::<WhatsappSettings>(&default_whatsapp()),
            default_whatsapp()
        );
        // Unknown keys, and known keys holding another type, are kept verbatim.
        let odd = obj(json!({
            "campo_legado": {"a": [1]}, "telefone": 1130000000, "cnpj": null,
            "endereco": {"cep": 1001000, "uf": "SP", "novo": true}
        }));
        let read = CompanyData::read(&odd);
        assert_eq!(
            (read.telefone.as_deref(), read.cnpj.as_deref()),
            (None, None)
        );
        assert_eq!(
            read.endereco.as_ref().and_then(|e| e.uf.as_deref()),
            Some("SP")
        );
        assert_eq!(read.write(), odd);
        let chat = obj(json!({
            "timeout_inatividade_minutos": 15.5, "limite_chats_simultaneos": "5",
            "horario_funcionamento": {"segunda": {"inicio": 8, "fim": null, "pausa": "12:00"},
                                      "sabado": "fechado"}
        }));
        assert_eq!(round_trip::<ChatSettings>(&chat), chat);
        let whatsapp = obj(json!({"reconnect_backoff_seconds": -1, "proxy_url": 3}));
        assert_eq!(round_trip::<WhatsappSettings>(&whatsapp), whatsapp);
    }

    #[test]
    fn secrets_are_masked_for_clients_and_kept_encrypted_when_stored() {
        let stored = obj(json!({"smtp_senha": "enc:x", "smtp_port": 25}));
        let email = EmailSettings::read(&stored);
        assert_eq!(email.write(), stored);
        assert_eq!(
            Value::Object(email.to_json()),
            json!({"smtp_senha": "***", "smtp_port": 25})
        );
        let stored = obj(json!({"session_data": "", "proxy_url": "enc:p"}));
        let whatsapp = WhatsappSettings::read(&stored);
        assert_eq!(whatsapp.write(), stored);
        assert_eq!(
            Value::Object(whatsapp.to_json()),
            json!({"session_data": "", "proxy_url": "***"})
        );
    }

    #[test]
    fn a_patched_key_replaces_a_kept_value_of_the_same_name() {
        let mut c = CompanyData::read(&obj(json!({"telefone": 1130000000})));
        CompanyPatch {
            telefone: Some("1130000000".into()),
            ..Default::default()
        }
        .apply(&mut c);
        assert!(c.extra.is_empty());
        assert_eq!(Value::Object(c.write()), json!({"telefone": "1130000000"}));
    }

    #[test]
    fn business_hours_read_as_times() {
        let h = HorarioFuncionamento::from_stored(&obj(json!({
            "segunda": {"inicio": " 08:00 ", "fim": "18:00:30"},
            "terca": {"inicio": "8h", "fim": "18:00"},
            "quarta": {"inicio": null, "fim": "18:00"},
            "quinta": {"fim": "18:00"}
        })));
        let t = |s: &str| chrono::NaiveTime::parse_from_str(s, "%H:%M:%S").expect("time");
        assert_eq!(
            h.dia("segunda").and_then(HorarioDia::horas),
            Some((t("08:00:00"), t("18:00:30")))
        );
        for dia in ["terca", "quarta", "quinta", "domingo"] {
            assert_eq!(h.dia(dia).and_then(HorarioDia::horas), None, "{dia}");
        }
    }
}
