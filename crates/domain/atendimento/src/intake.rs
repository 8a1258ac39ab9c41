//! Chat intake (§6.1): every stored inbound message becomes part of a chat — the open one of
//! its `chat_id`, or a new waiting one in the default department — and every message an agent
//! sends counts on its chat. Implements the WhatsApp area's handler ports.

use crate::automacoes::{Automations, quietly};
use crate::events::{NewChat, NewMessage};
use crate::ports::{InboundChat, IntakeOutcome, OutboundChat};
use crate::service::{CLIENTE_LISTS, Deps};
use async_trait::async_trait;
use kernel::{Audience, Invalidation, Result};
use std::sync::Arc;
use whatsapp::Message;
use whatsapp::ports::{InboundMessageHandler, OutboundMessageHandler};

pub struct ChatIntake {
    d: Deps,
    automations: Option<Arc<Automations>>,
}

impl ChatIntake {
    pub fn new(d: Deps) -> Self {
        Self {
            d,
            automations: None,
        }
    }

    /// Greets, answers out of hours and takes survey replies (see [`Automations`]).
    pub fn with_automations(mut self, a: Arc<Automations>) -> Self {
        self.automations = Some(a);
        self
    }

    /// Counts `m` on its chat and announces it: `new_message` to the atendente of an open
    /// chat; `new_chat` to the department's members (everyone when it has none) for a new one.
    /// `None`: the message was the reply to a satisfaction survey (recorded, no chat).
    pub async fn receive(&self, m: &Message) -> Result<Option<IntakeOutcome>> {
        if let Some(a) = &self.automations
            && a.survey_reply(&m.chat_id, &m.text_content).await?
        {
            return Ok(None);
        }
        let outcome = self
            .d
            .intake
            .register_inbound(&InboundChat {
                chat_id: m.chat_id.clone(),
                numero: m.contact_number.clone(),
                contact_name: m.contact_name.clone(),
                texto: m.text_content.clone(),
                tipo: m.message_type.as_str().to_string(),
                at: m.created_at,
                peer_id: m.peer_id.clone(),
            })
            .await?;
        match &outcome {
            IntakeOutcome::Appended(a) => {
                if let Some(agent) = a.atendente_id() {
                    self.d
                        .events
                        .publish(Audience::User(agent), NewMessage::event(a, m));
                }
            }
            IntakeOutcome::Opened {
                atendimento,
                mensagem_inicial,
                membros,
                cliente_criado,
            } => {
                if *cliente_criado {
                    self.d
                        .invalidations
                        .publish(&Invalidation::all(CLIENTE_LISTS));
                }
                let audience = if membros.is_empty() {
                    Audience::Authenticated
                } else {
                    Audience::Users(membros.clone())
                };
                self.d
                    .events
                    .publish(audience, NewChat::event(atendimento, mensagem_inicial));
            }
        }
        if let Some(a) = &self.automations {
            quietly(a.after_inbound(&outcome)).await;
        }
        Ok(Some(outcome))
    }

    /// An agent's message (`/whatsapp/send/`): agent activity on the chat's open atendimento.
    pub async fn agent_sent(&self, m: &Message) -> Result<()> {
        self.d
            .intake
            .register_outbound(&OutboundChat {
                chat_id: m.chat_id.clone(),
                texto: m.text_content.clone(),
                tipo: m.message_type.as_str().to_string(),
                at: m.created_at,
                by_agent: true,
            })
            .await?;
        Ok(())
    }
}

#[async_trait]
impl InboundMessageHandler for ChatIntake {
    async fn handle(&self, message: &Message) -> Result<()> {
        self.receive(message).await.map(|_| ())
    }
}

#[async_trait]
impl OutboundMessageHandler for ChatIntake {
    async fn handle(&self, message: &Message) -> Result<()> {
        self.agent_sent(message).await
    }
}
