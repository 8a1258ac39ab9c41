//! Which gateway the server talks to, and its settings. Secrets are wrapped in [`Secret`],
//! whose `Debug` never shows them (the server's configuration is debug-printed in logs).

use std::fmt;

/// A credential: its `Debug` and `Display` print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that sends or compares it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Evolution API v2 (`WHATSAPP_GATEWAY=evolution`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvolutionConfig {
    /// `EVOLUTION_URL`, without a trailing slash.
    pub url: String,
    /// `EVOLUTION_API_KEY`: the global key or the instance's token (header `apikey`).
    pub api_key: Secret,
    /// `EVOLUTION_INSTANCE`: the instance name (created on the first `start`).
    pub instance: String,
    /// `EVOLUTION_WEBHOOK_SECRET`: sent back by Evolution in `X-Webhook-Secret`.
    pub webhook_secret: Secret,
    /// `EVOLUTION_WEBHOOK_URL`: where Evolution reaches our receiver
    /// (`https://<host>/api/v1/whatsapp/webhook/evolution/`).
    pub webhook_url: String,
}

/// Meta WhatsApp Cloud API (`WHATSAPP_GATEWAY=meta`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaConfig {
    /// `META_GRAPH_URL`, default [`MetaConfig::DEFAULT_GRAPH_URL`], without a trailing slash.
    pub graph_url: String,
    /// `META_API_VERSION`, e.g. `v26.0`.
    pub api_version: String,
    /// `META_PHONE_NUMBER_ID`.
    pub phone_number_id: String,
    /// `META_ACCESS_TOKEN`: a system-user token (header `Authorization: Bearer`).
    pub access_token: Secret,
    /// `META_APP_SECRET`: the key of the webhooks' `X-Hub-Signature-256`.
    pub app_secret: Secret,
    /// `META_VERIFY_TOKEN`: what Meta's subscription handshake must present.
    pub verify_token: Secret,
}

impl MetaConfig {
    pub const DEFAULT_GRAPH_URL: &'static str = "https://graph.facebook.com";
    pub const DEFAULT_API_VERSION: &'static str = "v26.0";
}

/// `WHATSAPP_GATEWAY`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum GatewayChoice {
    /// The built-in simulator (contract §4.5), the default.
    #[default]
    Simulator,
    Evolution(EvolutionConfig),
    Meta(MetaConfig),
}

impl GatewayChoice {
    pub fn name(&self) -> &'static str {
        match self {
            GatewayChoice::Simulator => "simulator",
            GatewayChoice::Evolution(_) => "evolution",
            GatewayChoice::Meta(_) => "meta",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let c = EvolutionConfig {
            url: "http://evo".into(),
            api_key: Secret::new("chave-global-123"),
            instance: "loja".into(),
            webhook_secret: Secret::new("segredo-do-webhook"),
            webhook_url: "http://dx/api/v1/whatsapp/webhook/evolution/".into(),
        };
        let shown = format!("{:?}", GatewayChoice::Evolution(c.clone()));
        assert!(!shown.contains("chave-global-123") && !shown.contains("segredo-do-webhook"));
        assert!(shown.contains("loja"));
        assert_eq!(c.api_key.expose(), "chave-global-123");
        assert_eq!(format!("{}", c.webhook_secret), "***");
    }
}
