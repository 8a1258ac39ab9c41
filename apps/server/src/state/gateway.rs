//! The WhatsApp gateway `WHATSAPP_GATEWAY` chooses (the simulator by default), and what its
//! webhook receivers need to authenticate a delivery.

use adapter_whatsapp::{EvolutionGateway, GatewayChoice, MetaGateway, Secret, SimulatorGateway};
use std::sync::Arc;
use std::time::Duration;
use whatsapp::ports::{GatewayEvents, WhatsAppGateway};

/// The chosen adapter.
pub enum Gateway {
    Simulator(SimulatorGateway),
    Evolution(EvolutionGateway),
    Meta(MetaGateway),
}

impl Gateway {
    pub fn new(choice: &GatewayChoice, simulator_step: Duration) -> Self {
        match choice {
            GatewayChoice::Simulator => Gateway::Simulator(SimulatorGateway::new(simulator_step)),
            GatewayChoice::Evolution(c) => Gateway::Evolution(EvolutionGateway::new(
                c.clone(),
                adapter_whatsapp::http::client(),
            )),
            GatewayChoice::Meta(c) => Gateway::Meta(MetaGateway::new(
                c.clone(),
                adapter_whatsapp::http::client(),
            )),
        }
    }

    /// The port the domain uses.
    pub fn port(&self) -> Arc<dyn WhatsAppGateway> {
        match self {
            Gateway::Simulator(g) => Arc::new(g.clone()),
            Gateway::Evolution(g) => Arc::new(g.clone()),
            Gateway::Meta(g) => Arc::new(g.clone()),
        }
    }

    /// Where the gateway reports what it cannot answer at once.
    pub fn bind(&self, events: &Arc<dyn GatewayEvents>) {
        match self {
            Gateway::Simulator(g) => g.bind(events),
            Gateway::Evolution(g) => g.bind(events),
            Gateway::Meta(g) => g.bind(events),
        }
    }
}

/// The Evolution receiver's credentials: the secret header and the instance it serves.
#[derive(Clone)]
pub struct EvolutionWebhook {
    pub secret: Secret,
    pub instance: String,
}

/// The Meta receiver's credentials: the signing key, the handshake token, the number.
#[derive(Clone)]
pub struct MetaWebhook {
    pub app_secret: Secret,
    pub verify_token: Secret,
    pub phone_number_id: String,
}

/// What the webhook receivers check; a receiver of a gateway that is not configured
/// answers 404.
#[derive(Clone, Default)]
pub struct WebhookSettings {
    pub evolution: Option<EvolutionWebhook>,
    pub meta: Option<MetaWebhook>,
}

impl WebhookSettings {
    pub fn of(choice: &GatewayChoice) -> Self {
        match choice {
            GatewayChoice::Simulator => Self::default(),
            GatewayChoice::Evolution(c) => Self {
                evolution: Some(EvolutionWebhook {
                    secret: c.webhook_secret.clone(),
                    instance: c.instance.clone(),
                }),
                meta: None,
            },
            GatewayChoice::Meta(c) => Self {
                evolution: None,
                meta: Some(MetaWebhook {
                    app_secret: c.app_secret.clone(),
                    verify_token: c.verify_token.clone(),
                    phone_number_id: c.phone_number_id.clone(),
                }),
            },
        }
    }
}
