//! What a real gateway's webhook reports, as typed updates, and the use case that applies
//! them: inbound messages go through the same intake as the simulator's webhook (stored
//! once, by provider id), statuses through the same status path (the lattice decides), and
//! connection changes to every session that shares the gateway's connection.
//!
//! Gateways deliver at least once and out of order; the caller acknowledges only after
//! [`GatewayFeed::apply`] returned `Ok` (everything stored), so a refused or lost webhook
//! is delivered again and a repeated one changes nothing.

use crate::commands::{InboundMessage, InboundTarget};
use crate::intake::InboundIntake;
use crate::message::MessageStatus;
use crate::ports::GatewayEvents;
use crate::session::ConnectionState;
use chrono::{DateTime, Utc};
use kernel::Result;
use std::sync::Arc;

/// One thing a gateway's webhook said.
#[derive(Debug, Clone, PartialEq)]
pub enum GatewayUpdate {
    Inbound(Box<InboundMessage>),
    /// A delivery status of an outbound message, by the provider's id.
    Status {
        provider_id: String,
        status: MessageStatus,
        at: DateTime<Utc>,
        error: Option<String>,
    },
    /// The gateway's connection is now `state` (with the QR image, base64 PNG, when
    /// `qrcode`).
    Connection {
        state: ConnectionState,
        qr_b64: Option<String>,
    },
    /// The connection ended for good (logged out on the phone, QR codes exhausted).
    ConnectionLost {
        reason: String,
        needs_qrcode: bool,
    },
    /// Understood and deliberately dropped (a group, an echo of our own message, an event we
    /// do not use): acknowledged so the gateway does not deliver it again.
    Ignored(String),
}

/// What one webhook delivery did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedReport {
    pub stored: usize,
    pub duplicates: usize,
    pub statuses: usize,
    pub connection: usize,
    pub ignored: usize,
}

pub struct GatewayFeed {
    intake: Arc<InboundIntake>,
    events: Arc<dyn GatewayEvents>,
}

impl GatewayFeed {
    pub fn new(intake: Arc<InboundIntake>, events: Arc<dyn GatewayEvents>) -> Self {
        Self { intake, events }
    }

    /// Applies the updates in order. An inbound message that cannot be stored fails the
    /// whole delivery (the gateway delivers it again; what was stored is deduplicated).
    pub async fn apply(&self, updates: Vec<GatewayUpdate>) -> Result<FeedReport> {
        let mut report = FeedReport::default();
        for u in updates {
            match u {
                GatewayUpdate::Inbound(m) => {
                    let (_, new) = self
                        .intake
                        .receive(InboundTarget::ConfiguredGateway, *m)
                        .await?;
                    if new {
                        report.stored += 1;
                    } else {
                        report.duplicates += 1;
                    }
                }
                GatewayUpdate::Status {
                    provider_id,
                    status,
                    at,
                    error,
                } => {
                    self.events
                        .delivery_status(provider_id, status, at, error)
                        .await;
                    report.statuses += 1;
                }
                GatewayUpdate::Connection { state, qr_b64 } => {
                    self.events.gateway_state(state, qr_b64).await;
                    report.connection += 1;
                }
                GatewayUpdate::ConnectionLost {
                    reason,
                    needs_qrcode,
                } => {
                    self.events.gateway_lost(reason, needs_qrcode).await;
                    report.connection += 1;
                }
                GatewayUpdate::Ignored(why) => {
                    tracing::debug!(reason = %why, "gateway webhook item ignored");
                    report.ignored += 1;
                }
            }
        }
        Ok(report)
    }
}
