//! Ports of one area implemented with another area's ports or use cases: the wiring between
//! domain crates that do not depend on each other.

use async_trait::async_trait;
use clientes::ports::ClienteRepository;
use configuracoes::{ConfigService, HorarioDia, HorarioFuncionamento};
use documentos::geracao::{ClienteResumo, EmpresaResumo};
use documentos::{ClientesDaGeracao, EmpresaDaGeracao, Template};
use kernel::Result;
use std::sync::Arc;

/// The clientes of a generation, read through the cliente repository with the caller's scope.
pub struct ClientesDocumentos(pub Arc<dyn ClienteRepository>);

#[async_trait]
impl ClientesDaGeracao for ClientesDocumentos {
    async fn cliente(&self, id: i64, owner: Option<i64>) -> Result<Option<ClienteResumo>> {
        Ok(self.0.get(id, owner).await?.map(|c| {
            let endereco_completo = c.endereco_completo();
            ClienteResumo {
                id: c.id,
                razao_social: c.data.razao_social,
                cnpj: c.data.cnpj,
                endereco_completo,
                email: c.data.email_principal,
                telefone: c.data.telefone_principal,
                status: c.data.status,
            }
        }))
    }
}

/// The issuing company and the templates of a generation, from the settings.
pub struct EmpresaDocumentos(pub Arc<ConfigService>);

#[async_trait]
impl EmpresaDaGeracao for EmpresaDocumentos {
    async fn empresa(&self) -> Result<Option<EmpresaResumo>> {
        Ok(self.0.company_summary().await?.map(|e| EmpresaResumo {
            razao_social: e.razao_social,
            cnpj: e.cnpj,
            endereco: e.endereco,
            cidade: None,
        }))
    }

    async fn templates(&self) -> Result<Vec<Template>> {
        Ok(documentos::template::templates_configurados(
            &self.0.document_templates().await?,
        ))
    }
}

/// The chat settings as the automations read them (the configurações area's typed `chat`
/// section, mapped here at the edge between the two areas).
pub struct ChatSettingsFromConfig(pub Arc<ConfigService>);

/// `horario_funcionamento` → [`atendimento::horario::Horario`]: a day is open when both of
/// its times read as times ([`HorarioDia::horas`]); any other value means closed.
pub fn horario_of(v: Option<&HorarioFuncionamento>) -> atendimento::horario::Horario {
    let mut h = atendimento::horario::Horario::default();
    if let Some(days) = v {
        for (i, name) in atendimento::horario::DIAS.iter().enumerate() {
            if let Some(horas) = days.dia(name).and_then(HorarioDia::horas) {
                h.dias[i] = Some(horas);
            }
        }
    }
    h
}

#[async_trait]
impl atendimento::automacoes::ChatSettings for ChatSettingsFromConfig {
    async fn load(&self) -> Result<atendimento::automacoes::ChatTexts> {
        let s = self.0.chat_settings().await?;
        let text = |t: &Option<String>| t.clone().unwrap_or_default();
        Ok(atendimento::automacoes::ChatTexts {
            mensagem_saudacao: text(&s.mensagem_saudacao),
            mensagem_fora_expediente: text(&s.mensagem_fora_expediente),
            mensagem_encerramento: text(&s.mensagem_encerramento),
            mensagem_inatividade: text(&s.mensagem_inatividade),
            timeout_inatividade_minutos: s.timeout_inatividade_minutos.filter(|m| *m >= 1),
            horario: horario_of(s.horario_funcionamento.as_ref()),
        })
    }
}

/// Automatic messages through the WhatsApp area's outbox.
pub struct SystemMessagesViaOutbox(pub Arc<whatsapp::messages::MessageService>);

#[async_trait]
impl atendimento::automacoes::SystemMessages for SystemMessagesViaOutbox {
    async fn send(&self, chat_id: &str, text: &str) -> Result<bool> {
        Ok(self.0.send_automatic(chat_id, text).await?.is_some())
    }
}

/// How a failed reconnect is retried: `reconnect_backoff_seconds` of the WhatsApp settings
/// (default 5), doubling up to a cap. An unreadable setting falls back to the default.
pub async fn reconnect_backoff(config: &ConfigService) -> whatsapp::ports::Backoff {
    let seconds = config
        .whatsapp()
        .await
        .ok()
        .and_then(|w| w.reconnect_backoff_seconds)
        .unwrap_or(5);
    whatsapp::ports::Backoff::from_seconds(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;
    use serde_json::json;

    #[test]
    fn business_hours_from_the_chat_settings() {
        let stored = json!({
            "segunda": {"inicio": "08:00", "fim": "18:00"},
            "terca": {"inicio": "08:00:30", "fim": "12:00"},
            "quarta": {"inicio": null, "fim": null},
            "quinta": {"inicio": "x", "fim": "18:00"},
            "sabado": "fechado"
        });
        let h = horario_of(Some(&HorarioFuncionamento::from_stored(
            stored.as_object().unwrap(),
        )));
        let t = |s: &str| NaiveTime::parse_from_str(s, "%H:%M:%S").unwrap();
        assert_eq!(h.dias[0], Some((t("08:00:00"), t("18:00:00"))));
        assert_eq!(h.dias[1], Some((t("08:00:30"), t("12:00:00"))));
        assert_eq!(h.dias[2..], [None, None, None, None, None]);
        assert_eq!(horario_of(None), Default::default());
    }
}
