//! The WhatsApp area's real-time events (§5.3 A and B), typed, in their exact envelopes.

use crate::message::MessageStatus;
use crate::session::SessionStatus;
use chrono::{DateTime, Utc};
use kernel::Event;
use serde::Serialize;

/// UTC ISO-8601 with microseconds and `+00:00` (§1.6: event `ts`/`timestamp`).
pub fn utc_iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
}

/// `image_b64` of the simulator's QR code: base64 of the bytes `stub-qr` (§5.3 A).
pub const STUB_QR_B64: &str = "c3R1Yi1xcg==";

/// Envelope A: `{"type": …, …, "ts": …}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SessionEvent {
    SessionStatus {
        status: SessionStatus,
        ts: String,
    },
    Qrcode {
        image_b64: String,
        ts: String,
    },
    MessageStatus {
        message_id: String,
        status: MessageStatus,
        ts: String,
    },
    /// Sent with `session_status: error` when a real gateway's connection ended for good:
    /// why, and whether the user must read a new QR code (ours, beyond the original).
    SessionError {
        error: String,
        needs_qrcode: bool,
        ts: String,
    },
}

impl SessionEvent {
    pub fn status(status: SessionStatus, at: DateTime<Utc>) -> Event {
        Event::encode(
            "session_status",
            &SessionEvent::SessionStatus {
                status,
                ts: utc_iso(at),
            },
        )
    }

    pub fn qrcode(image_b64: &str, at: DateTime<Utc>) -> Event {
        Event::encode(
            "qrcode",
            &SessionEvent::Qrcode {
                image_b64: image_b64.to_string(),
                ts: utc_iso(at),
            },
        )
    }

    pub fn error(error: &str, needs_qrcode: bool, at: DateTime<Utc>) -> Event {
        Event::encode(
            "session_error",
            &SessionEvent::SessionError {
                error: error.to_string(),
                needs_qrcode,
                ts: utc_iso(at),
            },
        )
    }

    pub fn message_status(message_id: &str, status: MessageStatus, at: DateTime<Utc>) -> Event {
        Event::encode(
            "message_status",
            &SessionEvent::MessageStatus {
                message_id: message_id.to_string(),
                status,
                ts: utc_iso(at),
            },
        )
    }
}

/// Envelope B: `{"event": …, "data": {…}, "version": "v1"}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct V1<T: Serialize> {
    pub event: &'static str,
    pub data: T,
    pub version: &'static str,
}

impl<T: Serialize> V1<T> {
    pub fn encode(event: &'static str, data: T) -> Event {
        Event::encode(
            event,
            &V1 {
                event,
                data,
                version: "v1",
            },
        )
    }
}

/// `message_received` data.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MessageReceived {
    pub from: String,
    pub message: String,
    pub message_id: String,
    pub timestamp: String,
    pub media_url: Option<String>,
    pub media_type: Option<String>,
    pub latency_ms: f64,
}

/// `message_sent` data.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MessageSent {
    pub message_id: String,
    pub status: MessageStatus,
    pub to: String,
    pub timestamp: String,
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parse(e: &Event) -> Value {
        serde_json::from_str(e.frame()).unwrap()
    }

    fn t() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_760_275_125, 481_809_000).unwrap()
    }

    #[test]
    fn envelope_a_frames_are_exact() {
        assert_eq!(
            parse(&SessionEvent::status(SessionStatus::Qrcode, t())),
            json!({"type":"session_status","status":"qrcode","ts":"2025-10-12T13:18:45.481809+00:00"})
        );
        assert_eq!(
            parse(&SessionEvent::qrcode(STUB_QR_B64, t())),
            json!({"type":"qrcode","image_b64":"c3R1Yi1xcg==","ts":"2025-10-12T13:18:45.481809+00:00"})
        );
        assert_eq!(
            parse(&SessionEvent::message_status(
                "m1",
                MessageStatus::Read,
                t()
            )),
            json!({"type":"message_status","message_id":"m1","status":"read","ts":"2025-10-12T13:18:45.481809+00:00"})
        );
        assert_eq!(
            parse(&SessionEvent::error("desconectado no celular", true, t())),
            json!({"type":"session_error","error":"desconectado no celular","needs_qrcode":true,"ts":"2025-10-12T13:18:45.481809+00:00"})
        );
    }

    #[test]
    fn envelope_b_frames_are_exact() {
        let e = V1::encode(
            "message_sent",
            MessageSent {
                message_id: "m".into(),
                status: MessageStatus::Queued,
                to: "5511".into(),
                timestamp: utc_iso(t()),
                error: None,
            },
        );
        assert_eq!(e.name(), "message_sent");
        assert_eq!(
            parse(&e),
            json!({"event":"message_sent","data":{"message_id":"m","status":"queued","to":"5511",
                   "timestamp":"2025-10-12T13:18:45.481809+00:00","error":null},"version":"v1"})
        );
    }
}
