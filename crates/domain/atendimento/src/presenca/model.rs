//! Presence, typing indicators and notification preferences as the domain sees them (contract
//! §3 **Presence** and **Preferencias**, §4.8), with the derived rules: availability, time in
//! the current status, inactivity and the do-not-disturb window.

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use serde::Serialize;

/// An agent's presence status (§2 Presence `status`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PresenceStatus {
    Online,
    #[default]
    Offline,
    Busy,
    Away,
}

impl PresenceStatus {
    pub const ALL: [PresenceStatus; 4] = [
        PresenceStatus::Online,
        PresenceStatus::Offline,
        PresenceStatus::Busy,
        PresenceStatus::Away,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PresenceStatus::Online => "online",
            PresenceStatus::Offline => "offline",
            PresenceStatus::Busy => "busy",
            PresenceStatus::Away => "away",
        }
    }

    /// The exact wire value (no trimming, no case folding), else `None`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Statuses the presence timeout turns `offline` (every one but `offline`).
    pub fn expires(self) -> bool {
        self != PresenceStatus::Offline
    }
}

impl std::fmt::Display for PresenceStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest `status_message` (§3 Presence).
pub const STATUS_MESSAGE_MAX: usize = 255;
/// Longest chat id of a typing indicator (the original's `CharField(max_length=100)`).
pub const CHAT_ID_MAX: usize = 100;
/// How long without a heartbeat makes an agent inactive by default (§4.8: 2 minutes).
pub const DEFAULT_INACTIVE_AFTER_SECS: i64 = 120;

/// A stored presence row. Whether the agent has an open socket is not stored here: it is
/// asked of the `SocketPresence` port when the presence is read (see [`PresenceView`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Presence {
    pub id: i64,
    pub agent: i64,
    pub agent_username: String,
    pub status: PresenceStatus,
    pub status_message: String,
    pub last_heartbeat: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Presence {
    /// Whole minutes since the status last changed (never negative).
    pub fn tempo_no_status_atual(&self, now: DateTime<Utc>) -> i64 {
        (now - self.status_changed_at).num_minutes().max(0)
    }

    /// No heartbeat for longer than `inactive_after`.
    pub fn esta_inativo(&self, now: DateTime<Utc>, inactive_after: Duration) -> bool {
        now - self.last_heartbeat > inactive_after
    }
}

/// A presence with its derived fields, as `GET /presence/me/` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceView {
    pub presence: Presence,
    /// The agent has at least one authenticated open socket now.
    pub websocket_connected: bool,
    /// `online` and connected.
    pub is_available: bool,
    pub tempo_no_status_atual: i64,
    pub esta_inativo: bool,
}

impl PresenceView {
    pub fn of(
        presence: Presence,
        websocket_connected: bool,
        now: DateTime<Utc>,
        inactive_after: Duration,
    ) -> Self {
        Self {
            is_available: presence.status == PresenceStatus::Online && websocket_connected,
            tempo_no_status_atual: presence.tempo_no_status_atual(now),
            esta_inativo: presence.esta_inativo(now, inactive_after),
            websocket_connected,
            presence,
        }
    }
}

/// What `set-status` changed: the status before and the row after (one transaction).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub old: PresenceStatus,
    pub presence: Presence,
}

/// A `status_message`: at most [`STATUS_MESSAGE_MAX`] characters, no U+0000 (the default is
/// the empty message).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusMessage(String);

/// Why a text value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    Empty,
    TooLong(usize),
    NullCharacter,
}

fn check_text(s: &str, max: usize) -> Result<(), TextError> {
    if s.contains('\0') {
        Err(TextError::NullCharacter)
    } else if s.chars().count() > max {
        Err(TextError::TooLong(max))
    } else {
        Ok(())
    }
}

impl StatusMessage {
    /// Any text up to the limit; an empty message is allowed (it leaves the stored one).
    pub fn parse(s: &str) -> Result<Self, TextError> {
        check_text(s, STATUS_MESSAGE_MAX)?;
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The chat a typing indicator is about: non-empty, at most [`CHAT_ID_MAX`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatId(String);

impl ChatId {
    pub fn parse(s: &str) -> Result<Self, TextError> {
        if s.is_empty() {
            return Err(TextError::Empty);
        }
        check_text(s, CHAT_ID_MAX)?;
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An agent's notification preferences (§3 **Preferencias**).
#[derive(Debug, Clone, PartialEq)]
pub struct Preferencias {
    pub id: i64,
    pub usuario: i64,
    pub som_nova_mensagem: bool,
    pub som_novo_atendimento: bool,
    pub som_transferencia: bool,
    pub desktop_nova_mensagem: bool,
    pub desktop_novo_atendimento: bool,
    pub desktop_transferencia: bool,
    pub mostrar_badge_mensagens: bool,
    pub mostrar_badge_atendimentos: bool,
    pub modo_nao_perturbe: bool,
    pub nao_perturbe_inicio: Option<NaiveTime>,
    pub nao_perturbe_fim: Option<NaiveTime>,
    pub criado_em: DateTime<Utc>,
    pub atualizado_em: DateTime<Utc>,
}

impl Preferencias {
    /// Do-not-disturb is on now: the mode is on, both times are set and São Paulo's local
    /// time `now` is inside the window (see [`dentro_da_janela`]).
    pub fn esta_em_nao_perturbe(&self, now: DateTime<Utc>) -> bool {
        match (
            self.modo_nao_perturbe,
            self.nao_perturbe_inicio,
            self.nao_perturbe_fim,
        ) {
            (true, Some(inicio), Some(fim)) => {
                dentro_da_janela(now.with_timezone(&kernel::clock::TZ).time(), inicio, fim)
            }
            _ => false,
        }
    }
}

/// Whether `t` is inside `[inicio, fim]`, both bounds included; a window whose `fim` is
/// before its `inicio` wraps midnight (`22:00`–`06:00` holds `23:30` and `05:00`).
pub fn dentro_da_janela(t: NaiveTime, inicio: NaiveTime, fim: NaiveTime) -> bool {
    if inicio <= fim {
        inicio <= t && t <= fim
    } else {
        t >= inicio || t <= fim
    }
}

/// Preferences with the derived `esta_em_nao_perturbe`.
#[derive(Debug, Clone, PartialEq)]
pub struct PreferenciasView {
    pub preferencias: Preferencias,
    pub esta_em_nao_perturbe: bool,
}

/// A partial update of the preferences (`PATCH`): `None` leaves a field as stored; for the
/// times, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreferenciasPatch {
    pub som_nova_mensagem: Option<bool>,
    pub som_novo_atendimento: Option<bool>,
    pub som_transferencia: Option<bool>,
    pub desktop_nova_mensagem: Option<bool>,
    pub desktop_novo_atendimento: Option<bool>,
    pub desktop_transferencia: Option<bool>,
    pub mostrar_badge_mensagens: Option<bool>,
    pub mostrar_badge_atendimentos: Option<bool>,
    pub modo_nao_perturbe: Option<bool>,
    pub nao_perturbe_inicio: Option<Option<NaiveTime>>,
    pub nao_perturbe_fim: Option<Option<NaiveTime>>,
}

impl PreferenciasPatch {
    /// The boolean fields that are set, by name (the names of §3).
    pub fn booleans(&self) -> Vec<(&'static str, bool)> {
        [
            ("som_nova_mensagem", self.som_nova_mensagem),
            ("som_novo_atendimento", self.som_novo_atendimento),
            ("som_transferencia", self.som_transferencia),
            ("desktop_nova_mensagem", self.desktop_nova_mensagem),
            ("desktop_novo_atendimento", self.desktop_novo_atendimento),
            ("desktop_transferencia", self.desktop_transferencia),
            ("mostrar_badge_mensagens", self.mostrar_badge_mensagens),
            (
                "mostrar_badge_atendimentos",
                self.mostrar_badge_atendimentos,
            ),
            ("modo_nao_perturbe", self.modo_nao_perturbe),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }

    /// The time fields that are set, by name.
    pub fn times(&self) -> Vec<(&'static str, Option<NaiveTime>)> {
        [
            ("nao_perturbe_inicio", self.nao_perturbe_inicio),
            ("nao_perturbe_fim", self.nao_perturbe_fim),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect()
    }
}

/// A time as the contract renders it: `HH:MM:SS`, with `.ffffff` when it has a fraction.
pub fn format_time(t: NaiveTime) -> String {
    if t.nanosecond() == 0 {
        t.format("%H:%M:%S").to_string()
    } else {
        t.format("%H:%M:%S%.6f").to_string()
    }
}

/// Parses `hh:mm[:ss[.uuuuuu]]` (one or two digits for each of hours, minutes and seconds,
/// one to six for the fraction), the input formats of §1.6.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let (main, micros) = match s.split_once('.') {
        Some((main, frac)) => {
            if frac.is_empty() || frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (main, Some(format!("{frac:0<6}").parse::<u32>().ok()?))
        }
        None => (s, None),
    };
    let parts: Vec<&str> = main.split(':').collect();
    // A fraction only after the seconds.
    let expected = if micros.is_some() { 3..=3 } else { 2..=3 };
    if !expected.contains(&parts.len()) {
        return None;
    }
    let mut nums = [0u32; 3];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        nums[i] = p.parse().ok()?;
    }
    NaiveTime::from_hms_micro_opt(nums[0], nums[1], nums[2], micros.unwrap_or(0))
}
