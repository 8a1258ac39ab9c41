//! Message use cases: lists and statistics, and `send` into the outbox (§4.5).

use crate::commands::{Caller, Content, MessageFilter, SendMessage};
use crate::events::{MessageSent, SessionEvent, V1, utc_iso};
use crate::message::{Message, MessageStatus};
use crate::ports::{
    MessageAggregates, NewOutbound, OutboundMessage, OutboundMessageHandler, OutboxSignal,
    SessionRef,
};
use crate::session::SessionStatus;
use crate::sessions::{Deps, GatewayEventHandler};
use kernel::{Audience, DomainError, Page, PageRequest, Result};
use serde_json::json;
use std::sync::Arc;

pub const NOT_FOUND: &str = "WhatsAppMessage";
pub const NOT_READY: &str = "Sessão não está pronta para enviar mensagens";

pub struct MessageService {
    d: Deps,
    outbox: Arc<dyn OutboxSignal>,
    activity: Arc<dyn OutboundMessageHandler>,
}

impl MessageService {
    pub fn new(d: Deps, outbox: Arc<dyn OutboxSignal>) -> Self {
        Self {
            d,
            outbox,
            activity: Arc::new(crate::ports::NoIntake),
        }
    }

    /// Who counts an agent's sent message on its chat (the atendimento area).
    pub fn with_activity(mut self, activity: Arc<dyn OutboundMessageHandler>) -> Self {
        self.activity = activity;
        self
    }

    pub async fn list(
        &self,
        caller: Caller,
        mut filter: MessageFilter,
        page: PageRequest,
    ) -> Result<Page<Message>> {
        filter.usuario = caller.scope();
        self.d
            .messages
            .list(&filter, page)
            .await?
            .ok_or(DomainError::InvalidPage)
    }

    pub async fn get(&self, caller: Caller, id: i64) -> Result<Message> {
        self.d
            .messages
            .get(id, caller.scope())
            .await?
            .ok_or(DomainError::NotFound(NOT_FOUND))
    }

    /// Whether the stored file at `media_url` (`/media/…`) is some message's media. Any agent
    /// may open it: a chat's messages are served by whichever agent takes the chat, whatever
    /// session received them.
    pub async fn media_stored(&self, media_url: &str) -> Result<bool> {
        self.d.messages.has_media(media_url).await
    }

    pub async fn high_latency(&self, caller: Caller) -> Result<Vec<Message>> {
        self.d.messages.high_latency(caller.scope()).await
    }

    pub async fn latency_stats(&self, caller: Caller) -> Result<MessageAggregates> {
        self.d.messages.aggregates(None, caller.scope()).await
    }

    /// `POST /whatsapp/send/`: the caller's session must be `ready` (else `Locked`); the
    /// message is stored `queued` (with the session's counters) and answered at once; the
    /// outbox sends it. Events: `message_sent` (v1) and `message_status: queued`.
    pub async fn send(&self, caller: Caller, cmd: SendMessage) -> Result<Message> {
        let session = match self.d.sessions.current_of(caller.id).await? {
            Some(s) if s.is_active && s.status == SessionStatus::Ready => s,
            _ => return Err(DomainError::Locked(NOT_READY.to_string())),
        };
        let now = self.d.clock.now();
        let message_id = cmd
            .client_message_id
            .clone()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let payload = json!({
            "type": cmd.content.message_type().as_str(),
            "text": cmd.content.text(),
            "media_url": cmd.content.media_url(),
        });
        let (m, inserted) = self
            .d
            .messages
            .insert_outbound(&NewOutbound {
                session: session.id,
                usuario: caller.id,
                usuario_nome: session.usuario_nome.clone(),
                message_id: message_id.clone(),
                client_message_id: cmd.client_message_id.clone().unwrap_or_default(),
                to: cmd.to.clone(),
                content: cmd.content,
                payload,
                queued_at: now,
            })
            .await?;
        if inserted {
            let who = Audience::User(caller.id);
            self.d.events.publish(
                who.clone(),
                V1::encode(
                    "message_sent",
                    MessageSent {
                        message_id: m.message_id.clone(),
                        status: MessageStatus::Queued,
                        to: cmd.to,
                        timestamp: utc_iso(now),
                        error: None,
                    },
                ),
            );
            self.d.events.publish(
                who,
                SessionEvent::message_status(&m.message_id, MessageStatus::Queued, now),
            );
            self.outbox.notify();
            if let Err(e) = self.activity.handle(&m).await {
                // The message is stored and will be sent; only the chat's counters missed it.
                tracing::error!(error = %e, message_id = %m.message_id, "chat activity failed");
            }
        }
        Ok(m)
    }

    /// An automatic message ("Sistema": greetings, out-of-hours replies, closing messages,
    /// surveys) to a chat, through the session that last received one of its messages. It is
    /// stored `queued` with `payload.sistema = true` (so it never counts as an agent's) and
    /// sent by the outbox. `None`: no active session to answer through.
    pub async fn send_automatic(&self, chat_id: &str, text: &str) -> Result<Option<Message>> {
        let Some(sid) = self.d.messages.session_of_chat(chat_id).await? else {
            return Ok(None);
        };
        let Some(session) = self.d.sessions.get(sid, None).await? else {
            return Ok(None);
        };
        if !session.is_active {
            return Ok(None);
        }
        let now = self.d.clock.now();
        let content = Content::Text(text.to_string());
        let payload = json!({"type": "text", "text": text, "media_url": "", "sistema": true});
        let (m, inserted) = self
            .d
            .messages
            .insert_outbound(&NewOutbound {
                session: session.id,
                usuario: session.usuario,
                usuario_nome: session.usuario_nome.clone(),
                message_id: uuid::Uuid::new_v4().to_string(),
                client_message_id: String::new(),
                to: chat_id.to_string(),
                content,
                payload,
                queued_at: now,
            })
            .await?;
        if inserted {
            self.outbox.notify();
        }
        Ok(Some(m))
    }

    /// Legacy `POST /whatsapp/messages`: the connection must be `ready` (`Locked` otherwise).
    pub async fn legacy_ready(&self, caller: Caller) -> Result<()> {
        let state = self
            .d
            .gateway
            .state(SessionRef {
                usuario: caller.id,
                session: None,
            })
            .await;
        if state == SessionStatus::Ready {
            Ok(())
        } else {
            Err(DomainError::Locked("Sessão não está pronta".to_string()))
        }
    }

    /// Legacy send, after [`Self::legacy_ready`]: nothing is stored (observed); the statuses
    /// reach the caller as `message_status` events (queued now, the rest as the gateway
    /// reports them).
    pub async fn send_unsaved(
        &self,
        caller: Caller,
        handler: &GatewayEventHandler,
        message_id: String,
        to: String,
        text: String,
    ) {
        let who = Audience::User(caller.id);
        let now = self.d.clock.now();
        self.d.events.publish(
            who.clone(),
            SessionEvent::message_status(&message_id, MessageStatus::Queued, now),
        );
        let msg = OutboundMessage {
            message_id: message_id.clone(),
            to,
            content: Content::Text(text),
        };
        let r = SessionRef {
            usuario: caller.id,
            session: None,
        };
        // Registered before the send: a gateway may report statuses before `send` returns
        // (the simulator names the message by our id).
        handler.expect_unsaved(&message_id, caller.id, &message_id);
        match self.d.gateway.send(r, &msg).await {
            Ok(provider_id) => {
                if provider_id != message_id {
                    handler.expect_unsaved(&provider_id, caller.id, &message_id);
                }
                self.d.events.publish(
                    who,
                    SessionEvent::message_status(
                        &message_id,
                        MessageStatus::Sent,
                        self.d.clock.now(),
                    ),
                );
            }
            Err(_) => {
                self.d.events.publish(
                    who,
                    SessionEvent::message_status(
                        &message_id,
                        MessageStatus::Failed,
                        self.d.clock.now(),
                    ),
                );
            }
        }
    }
}
