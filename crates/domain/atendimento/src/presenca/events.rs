//! Presence and typing events (§5.3 B), typed, in the v1 envelope
//! `{"event", "data", "version":"v1"}` with UTC `+00:00` timestamps.
//!
//! Recipients: `agent_presence_changed` goes to every authenticated socket;
//! `typing_start`/`typing_stop` to every authenticated socket except the typist's.

use super::model::{ChatId, PresenceStatus};
use chrono::{DateTime, Utc};
use kernel::{Audience, Event};
use serde::Serialize;
use whatsapp::events::{V1, utc_iso};

pub const AGENT_PRESENCE_CHANGED: &str = "agent_presence_changed";
pub const TYPING_START: &str = "typing_start";
pub const TYPING_STOP: &str = "typing_stop";

/// The `message` of the presence timeout's events (§4.8).
pub const DESCONECTADO_POR_INATIVIDADE: &str = "Desconectado por inatividade";

/// `agent_presence_changed` data.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PresenceChanged {
    pub agent_id: i64,
    pub status: PresenceStatus,
    pub message: String,
    pub timestamp: String,
}

impl PresenceChanged {
    /// The event and its audience (every authenticated socket).
    pub fn event(
        agent_id: i64,
        status: PresenceStatus,
        message: &str,
        at: DateTime<Utc>,
    ) -> (Audience, Event) {
        (
            Audience::Authenticated,
            V1::encode(
                AGENT_PRESENCE_CHANGED,
                PresenceChanged {
                    agent_id,
                    status,
                    message: message.to_string(),
                    timestamp: utc_iso(at),
                },
            ),
        )
    }
}

/// `typing_start` / `typing_stop` data.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Typing {
    pub chat_id: String,
    /// The typist's username.
    pub from: String,
    pub timestamp: String,
}

impl Typing {
    /// The event (`typing_start` when `typing`, else `typing_stop`) and its audience: every
    /// authenticated socket except the typist's own.
    pub fn event(
        typing: bool,
        agent_id: i64,
        username: &str,
        chat: &ChatId,
        at: DateTime<Utc>,
    ) -> (Audience, Event) {
        let name = if typing { TYPING_START } else { TYPING_STOP };
        (
            Audience::AuthenticatedExcept(agent_id),
            V1::encode(
                name,
                Typing {
                    chat_id: chat.as_str().to_string(),
                    from: username.to_string(),
                    timestamp: utc_iso(at),
                },
            ),
        )
    }
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
    fn presence_changed_goes_to_every_socket_in_the_v1_envelope() {
        let (a, e) = PresenceChanged::event(7, PresenceStatus::Busy, "Em reunião", t());
        assert_eq!(a, Audience::Authenticated);
        assert_eq!(e.name(), "agent_presence_changed");
        assert_eq!(
            parse(&e),
            json!({"event":"agent_presence_changed","data":{"agent_id":7,"status":"busy",
                   "message":"Em reunião","timestamp":"2025-10-12T13:18:45.481809+00:00"},
                   "version":"v1"})
        );
    }

    #[test]
    fn typing_skips_the_typist() {
        let chat = ChatId::parse("5511999999999").unwrap();
        let (a, e) = Typing::event(true, 3, "ana", &chat, t());
        assert_eq!(a, Audience::AuthenticatedExcept(3));
        assert_eq!(
            parse(&e),
            json!({"event":"typing_start","data":{"chat_id":"5511999999999","from":"ana",
                   "timestamp":"2025-10-12T13:18:45.481809+00:00"},"version":"v1"})
        );
        let (_, e) = Typing::event(false, 3, "ana", &chat, t());
        assert_eq!(e.name(), "typing_stop");
        assert_eq!(parse(&e)["event"], "typing_stop");
    }
}
