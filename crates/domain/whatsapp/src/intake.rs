//! Inbound intake: every inbound message (webhook, HTTP inject, WS inject, a gateway) is
//! stored once — deduplicated by `message_id` in the database — then announced
//! (`message_received`) and handed to the [`InboundMessageHandler`] (chat intake).

use crate::commands::{InboundMessage, InboundTarget, webhook_message_id};
use crate::events::{MessageReceived, V1, utc_iso};
use crate::message::Message;
use crate::ports::{InboundMessageHandler, NewInbound};
use crate::sessions::Deps;
use kernel::{Audience, DomainError, Result};
use std::sync::Arc;

pub const NO_READY_SESSION: &str = "Nenhuma sessão ativa disponível";
pub const NO_SESSION: &str = "Sessão WhatsApp não encontrada. Inicie uma sessão primeiro.";

pub struct InboundIntake {
    d: Deps,
    handler: Arc<dyn InboundMessageHandler>,
}

impl InboundIntake {
    pub fn new(d: Deps, handler: Arc<dyn InboundMessageHandler>) -> Self {
        Self { d, handler }
    }

    /// Stores `msg` on the target's session. Returns the stored message and whether it is
    /// new: a `message_id` seen before answers the stored row, with no event and no intake.
    pub async fn receive(
        &self,
        target: InboundTarget,
        msg: InboundMessage,
    ) -> Result<(Message, bool)> {
        let started = self.d.clock.now();
        let session = match target {
            InboundTarget::AnyReadySession => self
                .d
                .sessions
                .latest_ready()
                .await?
                .ok_or_else(|| DomainError::Unavailable(NO_READY_SESSION.to_string()))?,
            InboundTarget::SessionOf(u) => self
                .d
                .sessions
                .current_of(u)
                .await?
                .ok_or_else(|| DomainError::NotFoundMsg(NO_SESSION.to_string()))?,
        };
        let message_id = msg
            .message_id
            .clone()
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| webhook_message_id(started));
        let (stored, inserted) = self
            .d
            .messages
            .insert_inbound(&NewInbound {
                session: session.id,
                usuario: session.usuario,
                usuario_nome: session.usuario_nome.clone(),
                message_id,
                message_type: msg.message_type,
                chat_id: msg.chat_id.clone(),
                contact_number: msg.from.clone(),
                contact_name: msg.contact_name.clone(),
                text_content: msg.text.clone(),
                media_url: msg.media_url.clone(),
                media_mime_type: msg.media_mime_type.clone(),
                media_size: msg.media_size,
                payload: msg.payload.clone(),
                raw_payload: msg.raw_payload.clone(),
                protocol_version: msg.protocol_version.clone(),
                received_at: started,
            })
            .await?;
        if !inserted {
            return Ok((stored, false));
        }
        let now = self.d.clock.now();
        let latency_ms = (now - started).num_microseconds().unwrap_or(0) as f64 / 1000.0;
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        self.d.events.publish(
            Audience::User(session.usuario),
            V1::encode(
                "message_received",
                MessageReceived {
                    from: msg.from,
                    message: msg.text,
                    message_id: stored.message_id.clone(),
                    timestamp: msg.timestamp.unwrap_or_else(|| utc_iso(started)),
                    media_url: opt(&msg.media_url),
                    media_type: opt(&msg.media_mime_type),
                    latency_ms,
                },
            ),
        );
        if let Err(e) = self.handler.handle(&stored).await {
            // The message is stored and announced; the chat intake's failure is logged (it
            // has its own transaction), not the sender's problem.
            tracing::error!(error = %e, message_id = %stored.message_id, "chat intake failed");
        }
        Ok((stored, true))
    }
}
