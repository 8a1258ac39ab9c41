//! Inbound intake: every inbound message (webhook, HTTP inject, WS inject, a gateway) is
//! stored once — deduplicated by `message_id` in the database — then announced
//! (`message_received`) and handed to the [`InboundMessageHandler`] (chat intake).
//!
//! A gateway's message may carry media: the row is stored first, then the file is
//! downloaded from the gateway into file storage and recorded on the row, before the
//! announcement (so agents see the stored file, never the provider's expiring URL). A failed
//! download keeps the message, without its file.

use crate::commands::{InboundMessage, InboundTarget, webhook_message_id};
use crate::events::{MessageReceived, V1, utc_iso};
use crate::message::Message;
use crate::ports::{InboundMessageHandler, MediaRef, NewInbound, SessionRef, StoredMedia};
use crate::session::Session;
use crate::sessions::Deps;
use kernel::{Audience, DomainError, Result};
use std::sync::Arc;

pub const NO_READY_SESSION: &str = "Nenhuma sessão ativa disponível";
pub const NO_SESSION: &str = "Sessão WhatsApp não encontrada. Inicie uma sessão primeiro.";
/// Storage directory of inbound media.
pub const MEDIA_DIR: &str = "whatsapp/media";

pub struct InboundIntake {
    d: Deps,
    handler: Arc<dyn InboundMessageHandler>,
}

/// A file extension for a MIME type (the name of a stored media file).
fn extension(mime: &str) -> &'static str {
    let essence = mime.split(';').next().unwrap_or("").trim();
    match essence {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "audio/ogg" => "ogg",
        "audio/mpeg" => "mp3",
        "audio/mp4" | "audio/aac" => "m4a",
        "audio/amr" => "amr",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        _ => "bin",
    }
}

impl InboundIntake {
    pub fn new(d: Deps, handler: Arc<dyn InboundMessageHandler>) -> Self {
        Self { d, handler }
    }

    async fn target(&self, target: InboundTarget) -> Result<Session> {
        match target {
            InboundTarget::AnyReadySession => self
                .d
                .sessions
                .latest_ready()
                .await?
                .ok_or_else(|| DomainError::Unavailable(NO_READY_SESSION.to_string())),
            InboundTarget::SessionOf(u) => self
                .d
                .sessions
                .current_of(u)
                .await?
                .ok_or_else(|| DomainError::NotFoundMsg(NO_SESSION.to_string())),
            InboundTarget::ConfiguredGateway => {
                if let Some(s) = self.d.sessions.latest_ready().await? {
                    return Ok(s);
                }
                self.d
                    .sessions
                    .latest_active()
                    .await?
                    .ok_or_else(|| DomainError::Unavailable(NO_SESSION.to_string()))
            }
        }
    }

    /// A message that names the customer only by a gateway id (`…@lid`, a BSUID) joins the
    /// number that id was last seen with, so the customer stays one chat.
    async fn resolve_peer(&self, msg: &mut InboundMessage) -> Result<()> {
        let Some(peer) = msg.peer_id.clone() else {
            return Ok(());
        };
        if msg.chat_id != peer {
            return Ok(());
        }
        if let Some(chat) = self.d.messages.chat_of_peer(&peer).await? {
            msg.from = chat.clone();
            msg.chat_id = chat;
        }
        Ok(())
    }

    /// Downloads `media` into file storage and records it on `stored`.
    async fn store_media(
        &self,
        session: &Session,
        stored: &Message,
        media: &MediaRef,
    ) -> Result<Message> {
        let r = SessionRef {
            usuario: session.usuario,
            session: Some(session.id),
        };
        let fetched = self.d.gateway.fetch_media(r, media).await?;
        let mime = if fetched.mime_type.is_empty() {
            media.mime_type.clone()
        } else {
            fetched.mime_type.clone()
        };
        let name = if media.file_name.trim().is_empty() {
            format!("{}.{}", stored.message_id, extension(&mime))
        } else {
            media.file_name.clone()
        };
        let path = self.d.files.save(MEDIA_DIR, &name, &fetched.bytes).await?;
        let record = StoredMedia {
            url: format!("/media/{path}"),
            mime_type: mime,
            size: i64::try_from(fetched.bytes.len()).unwrap_or(i64::MAX),
        };
        match self.d.messages.set_media(stored.id, &record).await {
            Ok(Some(m)) => Ok(m),
            Ok(None) => Err(DomainError::internal("stored message vanished")),
            Err(e) => {
                // The file would belong to no row: removed, so it is never served.
                let _ = self.d.files.delete(&path).await;
                Err(e)
            }
        }
    }

    /// Stores `msg` on the target's session. Returns the stored message and whether it is
    /// new: a `message_id` seen before answers the stored row, with no event and no intake.
    pub async fn receive(
        &self,
        target: InboundTarget,
        mut msg: InboundMessage,
    ) -> Result<(Message, bool)> {
        let started = self.d.clock.now();
        let session = self.target(target).await?;
        self.resolve_peer(&mut msg).await?;
        let message_id = msg
            .message_id
            .clone()
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| webhook_message_id(started));
        let (mut stored, inserted) = self
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
                peer_id: msg.peer_id.clone(),
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
        if let Some(media) = &msg.media {
            match self.store_media(&session, &stored, media).await {
                Ok(m) => stored = m,
                Err(e) => tracing::warn!(
                    error = %e, message_id = %stored.message_id,
                    "inbound media could not be stored; the message is kept without it"
                ),
            }
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
                    media_url: opt(&stored.media_url),
                    media_type: opt(&stored.media_mime_type),
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
