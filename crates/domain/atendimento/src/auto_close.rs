//! Auto-close of idle chats (§6.2): every tick, `em_atendimento` atendimentos whose last
//! activity is older than the timeout are finalized and their atendente hears
//! `chat_auto_closed`.

use crate::automacoes::{Automations, quietly};
use crate::events::ChatAutoClosed;
use crate::model::minutes_between;
use crate::ports::FinalizeOp;
use crate::service::Deps;
use kernel::{Audience, Result};

/// `timeout_inatividade_minutos` when no configuration says otherwise.
pub const DEFAULT_TIMEOUT_MINUTES: i64 = 30;

pub fn observacao(minutes: i64) -> String {
    format!("Encerrado automaticamente por inatividade ({minutes} minutos sem interação)")
}

pub struct AutoClose {
    d: Deps,
    automations: Option<std::sync::Arc<Automations>>,
}

impl AutoClose {
    pub fn new(d: Deps) -> Self {
        Self {
            d,
            automations: None,
        }
    }

    /// Sends the inactivity message and the survey for each closed chat.
    pub fn with_automations(mut self, a: std::sync::Arc<Automations>) -> Self {
        self.automations = Some(a);
        self
    }

    /// One tick with a timeout of `timeout_minutes`; returns how many chats it closed. Each
    /// close is conditional (still `em_atendimento` and still idle), so a message arriving
    /// meanwhile keeps the chat open.
    pub async fn tick(&self, timeout_minutes: i64) -> Result<usize> {
        self.tick_after(chrono::Duration::minutes(timeout_minutes.max(0)))
            .await
    }

    /// [`Self::tick`] with a timeout of any length (a test or an operator override may ask
    /// for seconds); the `observacoes` still count whole idle minutes.
    pub async fn tick_after(&self, timeout: chrono::Duration) -> Result<usize> {
        let now = self.d.clock.now();
        let before = now - timeout.max(chrono::Duration::zero());
        let mut closed = 0;
        for a in self.d.chats.idle(before).await? {
            let idle = minutes_between(a.atualizado_em, now);
            let op = FinalizeOp {
                observacoes: Some(observacao(idle)),
                unless_finalizado: true,
                idle_before: Some(before),
                auto: true,
            };
            let Some(done) = self.d.chats.finalizar(a.id, &op, now).await? else {
                continue;
            };
            closed += 1;
            if let Some(agent) = done.atendente_id() {
                self.d.events.publish(
                    Audience::User(agent),
                    ChatAutoClosed::event(&done, idle, now),
                );
            }
            if let Some(a) = &self.automations {
                quietly(a.after_close(&done, true)).await;
            }
        }
        Ok(closed)
    }
}
