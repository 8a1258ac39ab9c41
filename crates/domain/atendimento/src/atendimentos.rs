//! Atendimentos (§4.7): CRUD, `meus-atendimentos`, finalize, rating and transfer.

use crate::automacoes::{Automations, quietly};
use crate::commands::{AtendimentoChanges, AtendimentoFilter, Caller, Transferir};
use crate::events::{ChatClosed, ChatTransferred};
use crate::model::{Atendimento, Transferencia};
use crate::ports::{CHAT_OPEN, FinalizeOp, TransferOp};
use crate::service::Deps;
use kernel::{Audience, DomainError, Page, PageRequest, Result};

pub const ATENDIMENTO: &str = "Atendimento";
pub const CHAT_OPEN_MSG: &str = "Já existe um atendimento ativo para este chat.";
pub const NOT_TRANSFERABLE: &str = "Atendimento não pode ser transferido no estado atual";
pub const DESTINO_INVALIDO: &str = "Atendente destino não encontrado ou inativo";
pub const MESMO_ATENDENTE: &str = "Não é possível transferir para o mesmo atendente";
pub const DEPARTAMENTO_INVALIDO: &str = "Departamento destino não encontrado ou inativo";
pub const NAO_MEMBRO: &str = "Atendente destino não pertence ao departamento destino";
pub const AVALIACAO_INVALIDA: &str = "Avaliação deve ser de 1 a 5";

fn chat_open(e: DomainError) -> DomainError {
    match e {
        DomainError::Conflict(c) if c == CHAT_OPEN => DomainError::field("chat_id", CHAT_OPEN_MSG),
        other => other,
    }
}

pub struct AtendimentoService {
    d: Deps,
    automations: Option<std::sync::Arc<Automations>>,
}

impl AtendimentoService {
    pub fn new(d: Deps) -> Self {
        Self {
            d,
            automations: None,
        }
    }

    /// Sends the closing message and the survey on `finalizar`.
    pub fn with_automations(mut self, a: std::sync::Arc<Automations>) -> Self {
        self.automations = Some(a);
        self
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.d.clock.now()
    }

    pub async fn list(
        &self,
        caller: Caller,
        mut filter: AtendimentoFilter,
        page: PageRequest,
    ) -> Result<Page<Atendimento>> {
        filter.scope = caller.scope();
        self.d
            .atendimentos
            .list(&filter, page)
            .await?
            .ok_or(DomainError::InvalidPage)
    }

    /// Outside the caller's scope: 404, like a missing row.
    pub async fn get(&self, caller: Caller, id: i64) -> Result<Atendimento> {
        self.d
            .atendimentos
            .get(id, caller.scope())
            .await?
            .ok_or(DomainError::NotFound(ATENDIMENTO))
    }

    pub async fn create(&self, c: AtendimentoChanges) -> Result<Atendimento> {
        self.d
            .atendimentos
            .insert(&c, self.d.clock.now())
            .await
            .map_err(chat_open)
    }

    /// Plain partial update, no state-machine checks.
    pub async fn update(
        &self,
        caller: Caller,
        id: i64,
        c: AtendimentoChanges,
    ) -> Result<Atendimento> {
        self.get(caller, id).await?;
        self.d
            .atendimentos
            .update(id, &c, self.d.clock.now())
            .await
            .map_err(chat_open)?
            .ok_or(DomainError::NotFound(ATENDIMENTO))
    }

    pub async fn delete(&self, caller: Caller, id: i64) -> Result<()> {
        self.get(caller, id).await?;
        if self.d.atendimentos.delete(id).await? {
            Ok(())
        } else {
            Err(DomainError::NotFound(ATENDIMENTO))
        }
    }

    pub async fn meus(&self, caller: Caller) -> Result<Vec<Atendimento>> {
        self.d.atendimentos.meus(caller.id).await
    }

    /// `finalizar`: no status check (repeating moves `finalizado_em`). `chat_closed` to
    /// every authenticated socket.
    pub async fn finalizar(
        &self,
        caller: Caller,
        id: i64,
        observacoes: Option<String>,
    ) -> Result<Atendimento> {
        self.get(caller, id).await?;
        let op = FinalizeOp {
            observacoes: observacoes.filter(|o| !o.trim().is_empty()),
            unless_finalizado: false,
            idle_before: None,
            auto: false,
        };
        let a = self
            .d
            .chats
            .finalizar(id, &op, self.d.clock.now())
            .await?
            .ok_or(DomainError::NotFound(ATENDIMENTO))?;
        self.d
            .events
            .publish(Audience::Authenticated, ChatClosed::event(&a));
        if let Some(x) = &self.automations {
            quietly(x.after_close(&a, false)).await;
        }
        Ok(a)
    }

    /// `avaliar`: a grade 1..5 (the edge refuses anything but a JSON integer).
    pub async fn avaliar(
        &self,
        caller: Caller,
        id: i64,
        nota: i64,
        comentario: Option<String>,
    ) -> Result<Atendimento> {
        self.get(caller, id).await?;
        let nota = match i32::try_from(nota) {
            Ok(n) if (1..=5).contains(&n) => n,
            _ => return Err(DomainError::BadRequest(AVALIACAO_INVALIDA.into())),
        };
        self.d
            .chats
            .avaliar(
                id,
                nota,
                comentario.as_deref().unwrap_or(""),
                self.d.clock.now(),
            )
            .await?
            .ok_or(DomainError::NotFound(ATENDIMENTO))
    }

    /// `POST /atendimentos/{id}/transferir/`: the rules of §4.7 in their order; the
    /// atendimento and its Transferencia are written together.
    pub async fn transferir(
        &self,
        caller: Caller,
        id: i64,
        cmd: Transferir,
    ) -> Result<(Atendimento, Transferencia)> {
        let a = self.get(caller, id).await?;
        if !a.status.is_open() {
            return Err(DomainError::BadRequest(NOT_TRANSFERABLE.into()));
        }
        let destino = match self.d.agents.get(cmd.atendente_destino_id).await? {
            Some(ag) if ag.is_active => ag,
            _ => return Err(DomainError::NotFoundMsg(DESTINO_INVALIDO.into())),
        };
        if a.atendente_id() == Some(destino.id) {
            return Err(DomainError::BadRequest(MESMO_ATENDENTE.into()));
        }
        if let Some(dep) = cmd.departamento_destino_id {
            let dep = match self.d.departamentos.get(dep).await? {
                Some(d) if d.ativo => d,
                _ => return Err(DomainError::NotFoundMsg(DEPARTAMENTO_INVALIDO.into())),
            };
            if !dep.atendentes.contains(&destino.id) {
                return Err(DomainError::BadRequest(NAO_MEMBRO.into()));
            }
        }
        let now = self.d.clock.now();
        let op = TransferOp {
            atendente_origem: a.atendente_id(),
            atendente_destino: destino.id,
            departamento_destino: cmd.departamento_destino_id,
            motivo: cmd.motivo,
            aceito_em: Some(now),
        };
        let done = self
            .d
            .chats
            .transferir(id, &op, now)
            .await?
            .ok_or_else(|| DomainError::BadRequest(NOT_TRANSFERABLE.into()))?;
        announce_transfer(&self.d, &a, &done.0, &op.motivo, now);
        Ok(done)
    }
}

/// `chat_transferred` to the destination, naming the origin atendente (or "Sistema").
pub(crate) fn announce_transfer(
    d: &Deps,
    before: &Atendimento,
    after: &Atendimento,
    motivo: &str,
    now: chrono::DateTime<chrono::Utc>,
) {
    if let Some(dest) = after.atendente_id() {
        let de = before.atendente.as_ref().map(|x| x.username.as_str());
        d.events.publish(
            Audience::User(dest),
            ChatTransferred::event(after, de, motivo, now),
        );
    }
}
