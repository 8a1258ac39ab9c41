//! The sender: takes queued messages from the outbox and hands them to the gateway.
//!
//! A message is stored `queued` before anything is sent, so a crash loses nothing: after a
//! restart its lease has run out and it is claimed again. Claims are decided by the database
//! (a conditional update), so two senders never hold the same message at once. A gateway
//! that accepted a message just before a crash, before `sent` was recorded, sees it again:
//! delivery is at-least-once, as the providers' own webhooks are.

use crate::commands::Content;
use crate::events::{MessageSent, SessionEvent, V1, utc_iso};
use crate::message::{MessageStatus, StatusUpdate};
use crate::ports::{Claimed, MessageKey, OutboundMessage, SendError, SessionRef};
use crate::sessions::{Deps, GatewayEventHandler};
use chrono::Duration;
use kernel::{Audience, Result};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// Most messages claimed (and sent concurrently) per round.
    pub batch: u64,
    /// How long a claimed message is kept from other senders.
    pub lease: Duration,
    /// Sends tried before a transiently failing message ends `failed`.
    pub max_attempts: u32,
    /// First retry delay; doubled for each attempt, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// When a message waits for its session to connect.
    pub not_connected_retry: Duration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            batch: 256,
            lease: Duration::seconds(60),
            max_attempts: 8,
            base_backoff: Duration::seconds(1),
            max_backoff: Duration::seconds(300),
            not_connected_retry: Duration::seconds(2),
        }
    }
}

impl OutboxConfig {
    /// Delay before the retry that follows `attempts` failed sends.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 1i64 << attempts.saturating_sub(1).min(20);
        (self.base_backoff * factor as i32).min(self.max_backoff)
    }
}

pub struct Outbox {
    d: Deps,
    handler: Arc<GatewayEventHandler>,
    config: OutboxConfig,
}

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

impl Round {
    pub fn claimed(&self) -> usize {
        self.sent + self.retried + self.failed
    }
}

enum Outcome {
    Sent,
    Retried,
    Failed,
}

/// Rebuilds what to send from a stored message.
fn outbound(c: &Claimed) -> OutboundMessage {
    let m = &c.message;
    let content = match m.message_type {
        crate::message::MessageType::Text => Content::Text(m.text_content.clone()),
        kind => Content::Media {
            kind,
            url: m.media_url.clone(),
            caption: m.text_content.clone(),
        },
    };
    OutboundMessage {
        message_id: m.message_id.clone(),
        to: m.contact_number.clone(),
        content,
    }
}

impl Outbox {
    pub fn new(d: Deps, handler: Arc<GatewayEventHandler>, config: OutboxConfig) -> Self {
        Self { d, handler, config }
    }

    /// Most messages one round claims: a round that claimed this many may have left more due.
    pub fn batch(&self) -> usize {
        usize::try_from(self.config.batch).unwrap_or(usize::MAX)
    }

    /// Claims the due messages and sends them concurrently; returns what happened.
    pub async fn run_once(&self) -> Result<Round> {
        let now = self.d.clock.now();
        let claimed = self
            .d
            .messages
            .claim_due(now, now + self.config.lease, self.config.batch)
            .await?;
        let outcomes =
            futures_util::future::join_all(claimed.iter().map(|c| self.deliver(c))).await;
        let mut round = Round::default();
        for o in outcomes {
            match o? {
                Outcome::Sent => round.sent += 1,
                Outcome::Retried => round.retried += 1,
                Outcome::Failed => round.failed += 1,
            }
        }
        Ok(round)
    }

    async fn deliver(&self, c: &Claimed) -> Result<Outcome> {
        let m = &c.message;
        let r = SessionRef {
            usuario: m.usuario,
            session: Some(m.session),
        };
        match self.d.gateway.send(r, &outbound(c)).await {
            Ok(provider_id) => {
                let at = self.d.clock.now();
                if self.d.messages.mark_sent(m.id, &provider_id, at).await? {
                    self.d.events.publish(
                        Audience::User(m.usuario),
                        SessionEvent::message_status(&m.message_id, MessageStatus::Sent, at),
                    );
                }
                self.handler.provider_id_recorded(&provider_id).await;
                Ok(Outcome::Sent)
            }
            Err(SendError::NotConnected) => {
                let due = self.d.clock.now() + self.config.not_connected_retry;
                self.d
                    .messages
                    .retry_later(m.id, due, &SendError::NotConnected.to_string(), false)
                    .await?;
                Ok(Outcome::Retried)
            }
            Err(SendError::Transient(e)) if c.attempts + 1 < self.config.max_attempts => {
                let due = self.d.clock.now() + self.config.backoff(c.attempts + 1);
                self.d.messages.retry_later(m.id, due, &e, true).await?;
                Ok(Outcome::Retried)
            }
            Err(SendError::Transient(e)) => {
                let msg = format!(
                    "Falha no envio após {} tentativas: {e}",
                    self.config.max_attempts
                );
                self.fail(c, msg).await
            }
            Err(SendError::Permanent(e)) => self.fail(c, e).await,
        }
    }

    /// Ends a message `failed` with its error; `message_status` and `message_sent` tell the
    /// sender.
    async fn fail(&self, c: &Claimed, error: String) -> Result<Outcome> {
        let m = &c.message;
        let at = self.d.clock.now();
        let update = StatusUpdate {
            status: MessageStatus::Failed,
            at,
            error_message: Some(error.clone()),
        };
        if self
            .d
            .messages
            .apply_status(&MessageKey::Id(m.id), &update)
            .await?
            .is_some()
        {
            let who = Audience::User(m.usuario);
            self.d.events.publish(
                who.clone(),
                SessionEvent::message_status(&m.message_id, MessageStatus::Failed, at),
            );
            self.d.events.publish(
                who,
                V1::encode(
                    "message_sent",
                    MessageSent {
                        message_id: m.message_id.clone(),
                        status: MessageStatus::Failed,
                        to: m.contact_number.clone(),
                        timestamp: utc_iso(at),
                        error: Some(error),
                    },
                ),
            );
        }
        Ok(Outcome::Failed)
    }
}
