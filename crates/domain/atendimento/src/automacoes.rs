//! Automatic messages (ours, contract §4.13 `config/automacoes`): the chat settings' greeting,
//! out-of-hours, closing and inactivity messages and a satisfaction survey, each behind a
//! switch. They go out through the WhatsApp outbox as "Sistema" messages: never an agent's
//! first response, never clearing the unread count.

use crate::horario::Horario;
use crate::model::Atendimento;
use crate::ports::{IntakeOutcome, IntakeRepository, OutboundChat};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use kernel::clock::TZ;
use kernel::{Clock, Result};
use std::sync::{Arc, RwLock};

pub const DEFAULT_PESQUISA: &str =
    "Como você avalia o nosso atendimento? Responda com uma nota de 1 (ruim) a 5 (ótimo).";
/// A survey reply counts within this many hours of the survey.
pub const PESQUISA_HORAS: i64 = 24;
/// How long the switches and the chat texts are reused before being read again.
pub const CACHE_SECONDS: i64 = 5;

/// The switches (all off by default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Automacoes {
    pub saudacao: bool,
    pub fora_expediente: bool,
    pub encerramento: bool,
    pub inatividade: bool,
    pub pesquisa_satisfacao: bool,
    pub pesquisa_satisfacao_mensagem: String,
}

impl Default for Automacoes {
    fn default() -> Self {
        Self {
            saudacao: false,
            fora_expediente: false,
            encerramento: false,
            inatividade: false,
            pesquisa_satisfacao: false,
            pesquisa_satisfacao_mensagem: DEFAULT_PESQUISA.to_string(),
        }
    }
}

/// `PATCH /config/automacoes/`: the given switches change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutomacoesPatch {
    pub saudacao: Option<bool>,
    pub fora_expediente: Option<bool>,
    pub encerramento: Option<bool>,
    pub inatividade: Option<bool>,
    pub pesquisa_satisfacao: Option<bool>,
    pub pesquisa_satisfacao_mensagem: Option<String>,
}

/// What the chat settings say, typed (`chat_settings`, §4.9).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChatTexts {
    pub mensagem_saudacao: String,
    pub mensagem_fora_expediente: String,
    pub mensagem_encerramento: String,
    pub mensagem_inatividade: String,
    pub timeout_inatividade_minutos: Option<i64>,
    pub horario: Horario,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AutomacoesRepository: Send + Sync {
    async fn get(&self) -> Result<Automacoes>;
    /// Writes the given switches (creating the row with the defaults first).
    async fn update(&self, p: &AutomacoesPatch, now: DateTime<Utc>) -> Result<Automacoes>;
}

/// The chat settings (the configurações area), typed.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ChatSettings: Send + Sync {
    async fn load(&self) -> Result<ChatTexts>;
}

/// Sends a "Sistema" message to a chat (the WhatsApp outbox). `false`: no session to send
/// it through.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SystemMessages: Send + Sync {
    async fn send(&self, chat_id: &str, text: &str) -> Result<bool>;
}

/// The automations' marks on atendimentos, each one conditional write.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AutomationMarks: Send + Sync {
    /// Marks the out-of-hours reply as sent, unless it was sent since `periodo_desde` (the
    /// start of the current closed period; `None`: ever). `true`: this caller sends it.
    async fn claim_fora_expediente(
        &self,
        atendimento: i64,
        now: DateTime<Utc>,
        periodo_desde: Option<DateTime<Utc>>,
    ) -> Result<bool>;
    /// Records that the survey was sent.
    async fn mark_pesquisa(&self, atendimento: i64, now: DateTime<Utc>) -> Result<()>;
    /// Records `nota` on the chat's latest finalizado atendimento whose survey went out since
    /// `desde` and has no rating yet. Returns its id.
    async fn record_pesquisa(
        &self,
        chat_id: &str,
        nota: i32,
        desde: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>>;
}

#[derive(Clone)]
pub struct AutomationDeps {
    pub config: Arc<dyn AutomacoesRepository>,
    pub settings: Arc<dyn ChatSettings>,
    pub system: Arc<dyn SystemMessages>,
    pub marks: Arc<dyn AutomationMarks>,
    pub intake: Arc<dyn IntakeRepository>,
    pub clock: Arc<dyn Clock>,
}

type Cached = (DateTime<Utc>, Automacoes, ChatTexts);

pub struct Automations {
    d: AutomationDeps,
    cache: RwLock<Option<Cached>>,
}

/// A survey reply: exactly one digit 1..5 (surrounding spaces ignored).
pub fn nota_of(text: &str) -> Option<i32> {
    match text.trim() {
        s @ ("1" | "2" | "3" | "4" | "5") => s.parse().ok(),
        _ => None,
    }
}

impl Automations {
    pub fn new(d: AutomationDeps) -> Self {
        Self {
            d,
            cache: RwLock::new(None),
        }
    }

    pub async fn get(&self) -> Result<Automacoes> {
        self.d.config.get().await
    }

    pub async fn update(&self, p: AutomacoesPatch) -> Result<Automacoes> {
        let a = self.d.config.update(&p, self.d.clock.now()).await?;
        *self.cache.write().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(a)
    }

    /// The switches and texts, read at most every [`CACHE_SECONDS`] (this process's PATCHes
    /// apply at once).
    async fn current(&self) -> Result<(Automacoes, ChatTexts)> {
        let now = self.d.clock.now();
        if let Some((at, a, t)) = self
            .cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && now - *at < Duration::seconds(CACHE_SECONDS)
        {
            return Ok((a.clone(), t.clone()));
        }
        let a = self.d.config.get().await?;
        let t = self.d.settings.load().await?;
        *self.cache.write().unwrap_or_else(|e| e.into_inner()) = Some((now, a.clone(), t.clone()));
        Ok((a, t))
    }

    /// The inactivity timeout of the chat settings (minutes), if set.
    pub async fn timeout_minutes(&self) -> Result<Option<i64>> {
        Ok(self.current().await?.1.timeout_inatividade_minutos)
    }

    /// Sends `text` to the chat as "Sistema" and counts it on the chat.
    async fn say(&self, chat_id: &str, text: &str) -> Result<()> {
        if text.trim().is_empty() || !self.d.system.send(chat_id, text).await? {
            return Ok(());
        }
        self.d
            .intake
            .register_outbound(&OutboundChat {
                chat_id: chat_id.to_string(),
                texto: text.to_string(),
                tipo: "text".into(),
                at: self.d.clock.now(),
                by_agent: false,
            })
            .await?;
        Ok(())
    }

    /// Before the intake: a reply "1".."5" within 24 h of a survey records the rating and
    /// opens no chat. `true`: the message was the reply.
    pub async fn survey_reply(&self, chat_id: &str, text: &str) -> Result<bool> {
        let Some(nota) = nota_of(text) else {
            return Ok(false);
        };
        let now = self.d.clock.now();
        let since = now - Duration::hours(PESQUISA_HORAS);
        Ok(self
            .d
            .marks
            .record_pesquisa(chat_id, nota, since, now)
            .await?
            .is_some())
    }

    /// After the intake: the greeting for a new chat, and the out-of-hours reply (once per
    /// chat per closed period).
    pub async fn after_inbound(&self, outcome: &IntakeOutcome) -> Result<()> {
        let (a, t) = self.current().await?;
        let atendimento = outcome.atendimento();
        if matches!(outcome, IntakeOutcome::Opened { .. }) && a.saudacao {
            self.say(&atendimento.chat_id, &t.mensagem_saudacao).await?;
        }
        if a.fora_expediente {
            let now = self.d.clock.now();
            let local = now.with_timezone(&TZ).naive_local();
            if !t.horario.aberto(local) {
                let desde = t
                    .horario
                    .ultimo_fechamento(local)
                    .and_then(|l| l.and_local_timezone(TZ).earliest())
                    .map(|l| l.with_timezone(&Utc));
                if self
                    .d
                    .marks
                    .claim_fora_expediente(atendimento.id, now, desde)
                    .await?
                {
                    self.say(&atendimento.chat_id, &t.mensagem_fora_expediente)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// After a close: the closing (or, for auto-close, inactivity) message, then the survey.
    pub async fn after_close(&self, closed: &Atendimento, auto: bool) -> Result<()> {
        let (a, t) = self.current().await?;
        if auto && a.inatividade {
            self.say(&closed.chat_id, &t.mensagem_inatividade).await?;
        }
        if !auto && a.encerramento {
            self.say(&closed.chat_id, &t.mensagem_encerramento).await?;
        }
        if a.pesquisa_satisfacao {
            self.d
                .marks
                .mark_pesquisa(closed.id, self.d.clock.now())
                .await?;
            self.say(&closed.chat_id, &a.pesquisa_satisfacao_mensagem)
                .await?;
        }
        Ok(())
    }
}

/// Runs an automation step, logging (never propagating) its failure: the chat's own change
/// has committed already.
pub(crate) async fn quietly(step: impl std::future::Future<Output = Result<()>>) {
    if let Err(e) = step.await {
        tracing::error!(error = %e, "automation failed");
    }
}
