//! WhatsApp sessions: the connection state machine (§4.5) and the derived fields of §3.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `WhatsAppSession.status` (contract §2), also the live state a gateway reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    #[default]
    Disconnected,
    Connecting,
    Qrcode,
    Authenticated,
    Ready,
    Error,
}

/// What a gateway says about a connection; the same values as the stored status.
pub type ConnectionState = SessionStatus;

pub const SESSION_STATUSES: [&str; 6] = [
    "disconnected",
    "connecting",
    "qrcode",
    "authenticated",
    "ready",
    "error",
];

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disconnected => "disconnected",
            Self::Connecting => "connecting",
            Self::Qrcode => "qrcode",
            Self::Authenticated => "authenticated",
            Self::Ready => "ready",
            Self::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "disconnected" => Self::Disconnected,
            "connecting" => Self::Connecting,
            "qrcode" => Self::Qrcode,
            "authenticated" => Self::Authenticated,
            "ready" => Self::Ready,
            "error" => Self::Error,
            _ => return None,
        })
    }

    /// A connection is on its way or up: `start` does nothing new in these states.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Self::Connecting | Self::Qrcode | Self::Authenticated | Self::Ready
        )
    }

    /// The state machine of §4.5: disconnected → connecting → qrcode → authenticated → ready;
    /// a resumed login (real gateways keep their credentials) may skip the QR code and go
    /// from connecting straight to authenticated or ready; stop (→ disconnected) from
    /// anywhere; `error` from a failed (re)connect, or from `ready` when a real gateway's
    /// connection ends for good (logged out on the phone, token revoked); a reconnect
    /// restarts from connecting.
    pub fn can_move_to(self, next: Self) -> bool {
        use SessionStatus::*;
        match (self, next) {
            (a, b) if a == b => false,
            (_, Disconnected) => true,
            (Disconnected | Error | Ready | Authenticated | Qrcode, Connecting) => true,
            (Connecting, Qrcode) => true,
            (Connecting | Qrcode, Authenticated) => true,
            (Connecting | Authenticated, Ready) => true,
            (Connecting | Qrcode | Authenticated | Ready, Error) => true,
            _ => false,
        }
    }
}

/// A stored session row (§3 WhatsAppSession).
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub id: i64,
    pub usuario: i64,
    /// The owner's username.
    pub usuario_nome: String,
    pub status: SessionStatus,
    pub device_name: String,
    pub phone_number: String,
    pub qr_code: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub connected_at: Option<DateTime<Utc>>,
    pub disconnected_at: Option<DateTime<Utc>>,
    pub last_error: String,
    pub error_count: i64,
    pub is_active: bool,
    pub total_messages_sent: i64,
    pub total_messages_received: i64,
    pub last_message_at: Option<DateTime<Utc>>,
    /// Opaque connection data kept for export/import (a gateway's credentials reference).
    pub session_data: serde_json::Value,
    pub auto_reconnect: bool,
    pub proxy_enabled: bool,
    pub proxy_url: String,
    pub reconnect_attempts: i64,
    pub last_reconnect_at: Option<DateTime<Utc>>,
}

#[cfg(any(test, feature = "mocks"))]
impl Session {
    /// A session row for tests: active, of user 1 (`admin`), created and updated at `at`
    /// (and connected then when `ready`), every counter at zero.
    pub fn fixture(id: i64, status: SessionStatus, at: DateTime<Utc>) -> Self {
        Session {
            id,
            usuario: 1,
            usuario_nome: "admin".into(),
            status,
            device_name: DEFAULT_DEVICE_NAME.into(),
            phone_number: String::new(),
            qr_code: String::new(),
            created_at: at,
            updated_at: at,
            connected_at: (status == SessionStatus::Ready).then_some(at),
            disconnected_at: None,
            last_error: String::new(),
            error_count: 0,
            is_active: true,
            total_messages_sent: 0,
            total_messages_received: 0,
            last_message_at: None,
            session_data: serde_json::json!({}),
            auto_reconnect: true,
            proxy_enabled: false,
            proxy_url: String::new(),
            reconnect_attempts: 0,
            last_reconnect_at: None,
        }
    }
}

impl Session {
    /// `status == ready && is_active`.
    pub fn is_connected(&self) -> bool {
        self.status == SessionStatus::Ready && self.is_active
    }

    /// Whole seconds since `connected_at` while `ready`, else `None`.
    pub fn uptime_seconds(&self, now: DateTime<Utc>) -> Option<i64> {
        match (self.status, self.connected_at) {
            (SessionStatus::Ready, Some(at)) => Some((now - at).num_seconds().max(0)),
            _ => None,
        }
    }
}

/// The writable fields of a session row (`POST`/`PUT` give all, `PATCH` some).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionData {
    pub usuario: i64,
    pub status: SessionStatus,
    pub device_name: String,
    pub phone_number: String,
    pub qr_code: String,
    pub last_error: String,
    pub is_active: bool,
}

impl SessionData {
    pub fn of(s: &Session) -> Self {
        Self {
            usuario: s.usuario,
            status: s.status,
            device_name: s.device_name.clone(),
            phone_number: s.phone_number.clone(),
            qr_code: s.qr_code.clone(),
            last_error: s.last_error.clone(),
            is_active: s.is_active,
        }
    }
}

/// The device name of a session created by `start` or `import` (§4.5).
pub const DEFAULT_DEVICE_NAME: &str = "DX Connect Web";

/// What a transition writes on the row besides `status` (§4.5: `connected_at` when ready,
/// `disconnected_at` on stop; a failed reconnect counts an error).
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub status: SessionStatus,
    pub connected_at: Option<DateTime<Utc>>,
    pub disconnected_at: Option<DateTime<Utc>>,
    pub qr_code: Option<String>,
    pub error: Option<String>,
}

impl Transition {
    pub fn to(status: SessionStatus, at: DateTime<Utc>) -> Self {
        Self {
            status,
            connected_at: (status == SessionStatus::Ready).then_some(at),
            disconnected_at: (status == SessionStatus::Disconnected).then_some(at),
            qr_code: None,
            error: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SessionStatus::*;

    const ALL: [SessionStatus; 6] = [
        Disconnected,
        Connecting,
        Qrcode,
        Authenticated,
        Ready,
        Error,
    ];

    #[test]
    fn the_happy_path_is_allowed_step_by_step() {
        assert!(Disconnected.can_move_to(Connecting));
        assert!(Connecting.can_move_to(Qrcode));
        assert!(Qrcode.can_move_to(Authenticated));
        assert!(Authenticated.can_move_to(Ready));
    }

    #[test]
    fn steps_cannot_be_skipped_or_reversed() {
        assert!(!Disconnected.can_move_to(Ready));
        assert!(!Disconnected.can_move_to(Qrcode));
        assert!(!Disconnected.can_move_to(Authenticated));
        assert!(!Qrcode.can_move_to(Ready));
        assert!(!Ready.can_move_to(Qrcode));
        assert!(!Ready.can_move_to(Authenticated));
        assert!(!Authenticated.can_move_to(Qrcode));
    }

    #[test]
    fn stop_is_allowed_from_every_other_state_and_error_only_from_a_live_connection() {
        for s in ALL {
            assert_eq!(s.can_move_to(Disconnected), s != Disconnected, "{s:?}");
        }
        assert!(!Disconnected.can_move_to(Error));
        // A real gateway logged out on the phone.
        assert!(Ready.can_move_to(Error));
        assert!(Connecting.can_move_to(Error));
        assert!(Error.can_move_to(Connecting));
    }

    #[test]
    fn no_state_moves_to_itself() {
        for s in ALL {
            assert!(!s.can_move_to(s));
            assert_eq!(SessionStatus::parse(s.as_str()), Some(s));
        }
    }

    fn session(status: SessionStatus, connected_at: Option<DateTime<Utc>>) -> Session {
        let t = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        Session {
            usuario_nome: "a".into(),
            connected_at,
            ..Session::fixture(1, status, t)
        }
    }

    #[test]
    fn uptime_counts_only_while_ready() {
        let t = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        let later = t + chrono::Duration::seconds(90);
        assert_eq!(session(Ready, Some(t)).uptime_seconds(later), Some(90));
        assert_eq!(session(Connecting, Some(t)).uptime_seconds(later), None);
        assert_eq!(session(Ready, None).uptime_seconds(later), None);
        assert!(session(Ready, Some(t)).is_connected());
        let mut inactive = session(Ready, Some(t));
        inactive.is_active = false;
        assert!(!inactive.is_connected());
    }

    #[test]
    fn transitions_stamp_connected_and_disconnected() {
        let t = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        assert_eq!(Transition::to(Ready, t).connected_at, Some(t));
        assert_eq!(Transition::to(Disconnected, t).disconnected_at, Some(t));
        assert_eq!(Transition::to(Qrcode, t).connected_at, None);
    }
}
