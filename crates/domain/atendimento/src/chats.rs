//! Chats (§4.6): the agents' list, detail and messages, and the accept / transfer / close
//! actions whose races the database decides.

use crate::atendimentos::{ATENDIMENTO, announce_transfer};
use crate::automacoes::{Automations, quietly};
use crate::commands::{AceitarChat, Caller, ChatFilter, MessageWindow, Transferir};
use crate::events::{ChatAccepted, ChatAssigned, ChatClosed};
use crate::model::{AgentRef, Atendimento, ChatMessage, Status, Transferencia};
use crate::ports::{ChatStatuses, FinalizeOp, TransferOp};
use crate::service::Deps;
use kernel::{Audience, DomainError, Result};

pub const AGENT: &str = "Agent";
pub const NO_VIEW: &str = "Você não tem permissão para visualizar este chat";
pub const NO_ASSIGN_OTHER: &str = "Você não pode atribuir para outro atendente";
pub const NO_TRANSFER: &str = "Você não pode transferir este chat";
pub const NO_CLOSE: &str = "Você não pode encerrar este chat";

/// `Este chat já está <status>`.
pub fn already(status: Status) -> DomainError {
    DomainError::BadRequest(format!("Este chat já está {}", status.as_str()))
}

pub struct ChatService {
    d: Deps,
    automations: Option<std::sync::Arc<Automations>>,
}

impl ChatService {
    pub fn new(d: Deps) -> Self {
        Self {
            d,
            automations: None,
        }
    }

    /// Sends the closing message and the survey on `encerrar`.
    pub fn with_automations(mut self, a: std::sync::Arc<Automations>) -> Self {
        self.automations = Some(a);
        self
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.d.clock.now()
    }

    /// Non-superusers see only their own chats and the waiting ones.
    pub async fn list(&self, caller: Caller, filter: ChatFilter) -> Result<Vec<Atendimento>> {
        self.d.chats.list(&Self::scoped(caller, filter)).await
    }

    /// The list's version ([`crate::ports::ChatRepository::list_version`]): pages of the
    /// list that were read after it was this number are current while it stays so.
    pub async fn list_version(&self) -> Result<Option<i64>> {
        self.d.chats.list_version().await
    }

    /// The filter a list request of `caller` runs with (its scope applied), for a cache key.
    pub fn scoped(caller: Caller, mut filter: ChatFilter) -> ChatFilter {
        filter.scope = caller.scope();
        filter
    }

    async fn latest(&self, chat_id: &str, among: ChatStatuses) -> Result<Atendimento> {
        self.d
            .atendimentos
            .latest_by_chat(chat_id, among)
            .await?
            .ok_or(DomainError::NotFound(ATENDIMENTO))
    }

    fn check_visible(caller: Caller, a: &Atendimento) -> Result<()> {
        if a.visible_to(caller.id, caller.is_superuser) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(Some(NO_VIEW.into())))
        }
    }

    pub async fn detail(&self, caller: Caller, chat_id: &str) -> Result<Atendimento> {
        let a = self.latest(chat_id, ChatStatuses::Open).await?;
        Self::check_visible(caller, &a)?;
        Ok(a)
    }

    /// The chat's window, newest first, with its size.
    pub async fn messages(
        &self,
        caller: Caller,
        chat_id: &str,
        w: MessageWindow,
    ) -> Result<(u64, Vec<ChatMessage>)> {
        let a = self.latest(chat_id, ChatStatuses::OpenOrFinalizado).await?;
        Self::check_visible(caller, &a)?;
        self.d.chats.messages(&a, w).await
    }

    async fn agent(&self, id: i64) -> Result<AgentRef> {
        self.d
            .agents
            .get(id)
            .await?
            .ok_or(DomainError::NotFound(AGENT))
    }

    /// `aceitar`: exactly one of concurrent accepts wins (a conditional update on
    /// `aguardando`); the others get `Este chat já está em_atendimento`.
    pub async fn aceitar(
        &self,
        caller: Caller,
        chat_id: &str,
        cmd: AceitarChat,
    ) -> Result<Atendimento> {
        let a = self.latest(chat_id, ChatStatuses::Any).await?;
        if a.status != Status::Aguardando {
            return Err(already(a.status));
        }
        let target = cmd.atendente_id.unwrap_or(caller.id);
        if !caller.is_superuser && target != caller.id {
            return Err(DomainError::Forbidden(Some(NO_ASSIGN_OTHER.into())));
        }
        self.agent(target).await?;
        let now = self.d.clock.now();
        let observacoes = cmd.observacoes.filter(|o| !o.trim().is_empty());
        match self.d.chats.aceitar(a.id, target, observacoes, now).await? {
            Some(done) => {
                self.d
                    .events
                    .publish(Audience::Authenticated, ChatAccepted::event(&done));
                self.d.events.publish(
                    Audience::User(target),
                    ChatAssigned::event(&done, &done.mensagem_inicial, now),
                );
                Ok(done)
            }
            None => {
                let now_status = self.latest(chat_id, ChatStatuses::Any).await?.status;
                Err(already(now_status))
            }
        }
    }

    /// `transferir` (chats): the caller must be a superuser or the atendente; a finished
    /// chat cannot move.
    pub async fn transferir(
        &self,
        caller: Caller,
        chat_id: &str,
        cmd: Transferir,
    ) -> Result<(Transferencia, AgentRef)> {
        let a = self.latest(chat_id, ChatStatuses::Any).await?;
        if !caller.is_superuser && a.atendente_id() != Some(caller.id) {
            return Err(DomainError::Forbidden(Some(NO_TRANSFER.into())));
        }
        if matches!(a.status, Status::Finalizado | Status::Cancelado) {
            return Err(already(a.status));
        }
        let destino = self.agent(cmd.atendente_destino_id).await?;
        if let Some(dep) = cmd.departamento_destino_id
            && self.d.departamentos.get(dep).await?.is_none()
        {
            return Err(DomainError::NotFound(crate::departamentos::DEPARTAMENTO));
        }
        let now = self.d.clock.now();
        let op = TransferOp {
            atendente_origem: a.atendente_id(),
            atendente_destino: destino.id,
            departamento_destino: cmd.departamento_destino_id,
            motivo: cmd.motivo,
            aceito_em: None,
        };
        let Some((after, t)) = self.d.chats.transferir(a.id, &op, now).await? else {
            let now_status = self.latest(chat_id, ChatStatuses::Any).await?.status;
            return Err(if now_status.is_open() {
                DomainError::Forbidden(Some(NO_TRANSFER.into()))
            } else {
                already(now_status)
            });
        };
        announce_transfer(&self.d, &a, &after, &op.motivo, now);
        Ok((t, destino))
    }

    /// `encerrar`: the caller must be a superuser or the atendente; a `finalizado` chat
    /// stays as it is. `chat_closed` to every authenticated socket.
    pub async fn encerrar(
        &self,
        caller: Caller,
        chat_id: &str,
        observacoes: Option<String>,
    ) -> Result<Atendimento> {
        let a = self.latest(chat_id, ChatStatuses::Any).await?;
        if !caller.is_superuser && a.atendente_id() != Some(caller.id) {
            return Err(DomainError::Forbidden(Some(NO_CLOSE.into())));
        }
        if a.status == Status::Finalizado {
            return Err(already(Status::Finalizado));
        }
        let op = FinalizeOp {
            observacoes: observacoes.filter(|o| !o.trim().is_empty()),
            unless_finalizado: true,
            idle_before: None,
            auto: false,
        };
        let done = self
            .d
            .chats
            .finalizar(a.id, &op, self.d.clock.now())
            .await?
            .ok_or_else(|| already(Status::Finalizado))?;
        self.d
            .events
            .publish(Audience::Authenticated, ChatClosed::event(&done));
        if let Some(a) = &self.automations {
            quietly(a.after_close(&done, false)).await;
        }
        Ok(done)
    }
}
