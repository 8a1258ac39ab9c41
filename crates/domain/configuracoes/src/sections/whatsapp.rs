//! `whatsapp`: the connection settings (`session_data` and `proxy_url` stored encrypted), and
//! their PATCH.

use super::SectionData;
use crate::model::Section;
use crate::stored::{Reader, Writer, set};
use crate::values::{PlainSecret, Secret};
use serde_json::{Map, Value};

/// `whatsapp` as stored (see [`crate::CompanyData`] for missing and unknown keys).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WhatsappSettings {
    pub enabled: Option<bool>,
    pub device_name: Option<String>,
    pub stealth_mode: Option<bool>,
    pub human_delays: Option<bool>,
    pub reconnect_backoff_seconds: Option<u64>,
    /// Write-only: clients see `"***"` or `""`.
    pub session_data: Option<Secret>,
    /// Write-only: clients see `"***"` or `""`.
    pub proxy_url: Option<Secret>,
    pub extra: Map<String, Value>,
}

impl WhatsappSettings {
    pub fn from_stored(stored: &Map<String, Value>) -> Self {
        let mut r = Reader::new(stored);
        Self {
            enabled: r.boolean("enabled"),
            device_name: r.text("device_name"),
            stealth_mode: r.boolean("stealth_mode"),
            human_delays: r.boolean("human_delays"),
            reconnect_backoff_seconds: r.uint("reconnect_backoff_seconds"),
            session_data: r.text("session_data").map(Secret::stored),
            proxy_url: r.text("proxy_url").map(Secret::stored),
            extra: r.rest(),
        }
    }

    fn write_with(&self, secret: impl Fn(&Secret) -> String) -> Map<String, Value> {
        let mut w = Writer::new(&self.extra);
        w.put("enabled", self.enabled);
        w.put("device_name", self.device_name.clone());
        w.put("stealth_mode", self.stealth_mode);
        w.put("human_delays", self.human_delays);
        w.put("reconnect_backoff_seconds", self.reconnect_backoff_seconds);
        w.put("session_data", self.session_data.as_ref().map(&secret));
        w.put("proxy_url", self.proxy_url.as_ref().map(&secret));
        w.finish()
    }

    /// The section as clients see it: the secrets masked when present.
    pub fn to_json(&self) -> Map<String, Value> {
        self.write_with(|s| s.mask().to_string())
    }
}

impl SectionData for WhatsappSettings {
    const SECTION: Section = Section::Whatsapp;

    fn read(stored: &Map<String, Value>) -> Self {
        Self::from_stored(stored)
    }

    fn write(&self) -> Map<String, Value> {
        self.write_with(|s| s.stored_text().to_string())
    }
}

/// The WhatsApp keys a request sets (`None`: not sent).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WhatsappPatch {
    pub enabled: Option<bool>,
    pub device_name: Option<String>,
    pub stealth_mode: Option<bool>,
    pub human_delays: Option<bool>,
    pub reconnect_backoff_seconds: Option<u64>,
    /// `"***"` keeps the stored value, `""` clears it.
    pub session_data: Option<PlainSecret>,
    /// `"***"` keeps the stored value, `""` clears it.
    pub proxy_url: Option<PlainSecret>,
}

/// The WhatsApp secrets of a patch once encrypted (`None`: keep the stored one).
#[derive(Debug, Clone, Default)]
pub(crate) struct SealedWhatsapp {
    pub session_data: Option<Secret>,
    pub proxy_url: Option<Secret>,
}

impl WhatsappPatch {
    /// Shallow merge, with the sent secrets once encrypted.
    pub(crate) fn apply(&self, w: &mut WhatsappSettings, sealed: &SealedWhatsapp) {
        let x = &mut w.extra;
        set(&mut w.enabled, &self.enabled, "enabled", x);
        set(&mut w.device_name, &self.device_name, "device_name", x);
        set(&mut w.stealth_mode, &self.stealth_mode, "stealth_mode", x);
        set(&mut w.human_delays, &self.human_delays, "human_delays", x);
        set(
            &mut w.reconnect_backoff_seconds,
            &self.reconnect_backoff_seconds,
            "reconnect_backoff_seconds",
            x,
        );
        set(&mut w.session_data, &sealed.session_data, "session_data", x);
        set(&mut w.proxy_url, &sealed.proxy_url, "proxy_url", x);
    }
}

/// The WhatsApp settings for server-side use, secrets in clear. Missing keys read as the
/// defaults (§4.9).
#[derive(Clone, PartialEq, Eq)]
pub struct WhatsappRuntime {
    pub enabled: bool,
    pub device_name: String,
    pub stealth_mode: bool,
    pub human_delays: bool,
    pub reconnect_backoff_seconds: u64,
    pub session_data: String,
    pub proxy_url: String,
}

impl std::fmt::Debug for WhatsappRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsappRuntime")
            .field("enabled", &self.enabled)
            .field("device_name", &self.device_name)
            .field("stealth_mode", &self.stealth_mode)
            .field("human_delays", &self.human_delays)
            .field("reconnect_backoff_seconds", &self.reconnect_backoff_seconds)
            .finish_non_exhaustive()
    }
}
