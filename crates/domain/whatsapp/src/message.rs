//! WhatsApp messages (§3 WhatsAppMessage*): the status lattice and the latency rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident, $all:ident { $($v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $s)] $v),+ }
        pub const $all: &[&str] = &[$($s),+];
        impl $name {
            pub fn as_str(self) -> &'static str { match self { $(Self::$v => $s),+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some(Self::$v),)+ _ => None } }
        }
    };
}

wire_enum!(
    /// `direction`.
    Direction, DIRECTIONS { Inbound = "inbound", Outbound = "outbound" }
);
wire_enum!(
    /// `message_type`.
    MessageType, MESSAGE_TYPES {
        Text = "text", Image = "image", Audio = "audio", Video = "video", Document = "document",
        Location = "location", Contact = "contact", Sticker = "sticker",
    }
);
wire_enum!(
    /// `status` of a message.
    MessageStatus, MESSAGE_STATUSES {
        Queued = "queued", Sent = "sent", Delivered = "delivered", Read = "read",
        Failed = "failed", Error = "error",
    }
);

/// Latencies at or above this are not acceptable (§3).
pub const ACCEPTABLE_LATENCY_MS: i64 = 5000;

impl MessageStatus {
    /// Position in the lattice `queued < sent < delivered < read`; failures sit outside it.
    fn rank(self) -> Option<u8> {
        match self {
            Self::Queued => Some(0),
            Self::Sent => Some(1),
            Self::Delivered => Some(2),
            Self::Read => Some(3),
            Self::Failed | Self::Error => None,
        }
    }

    pub fn is_failure(self) -> bool {
        self.rank().is_none()
    }

    /// Whether a report of `next` may replace `self` (gateways report out of order and more
    /// than once): statuses only move forward; `failed`/`error` end a message that has not
    /// been delivered yet and are final, unless a later `delivered`/`read` arrives (proof that
    /// it did arrive after all).
    pub fn may_become(self, next: Self) -> bool {
        match (self.rank(), next.rank()) {
            (Some(a), Some(b)) => b > a,
            // A failure ends a queued or sent message, never a delivered or read one.
            (Some(a), None) => a <= 1,
            // Only delivery or reading overrides a failure.
            (None, Some(b)) => b >= 2,
            (None, None) => false,
        }
    }

    /// Every status that `next` may replace: what a conditional `UPDATE … WHERE status IN
    /// (…)` uses, so the database decides atomically.
    pub fn predecessors(next: Self) -> Vec<Self> {
        ALL_STATUSES
            .iter()
            .copied()
            .filter(|s| s.may_become(next))
            .collect()
    }
}

pub const ALL_STATUSES: [MessageStatus; 6] = [
    MessageStatus::Queued,
    MessageStatus::Sent,
    MessageStatus::Delivered,
    MessageStatus::Read,
    MessageStatus::Failed,
    MessageStatus::Error,
];

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: i64,
    pub session: i64,
    pub usuario: i64,
    pub usuario_nome: String,
    pub message_id: String,
    pub client_message_id: String,
    /// The gateway's own id of an outbound message (what its status callbacks name).
    pub provider_message_id: Option<String>,
    pub direction: Direction,
    pub message_type: MessageType,
    pub chat_id: String,
    pub contact_number: String,
    pub contact_name: String,
    /// The gateway's own id of the customer (an `…@lid` id, a BSUID) on an inbound message
    /// that carried one.
    pub peer_id: Option<String>,
    pub text_content: String,
    pub media_url: String,
    pub media_mime_type: String,
    pub media_size: Option<i64>,
    pub payload: serde_json::Value,
    pub raw_payload: serde_json::Value,
    pub protocol_version: String,
    pub status: MessageStatus,
    pub created_at: DateTime<Utc>,
    pub queued_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub read_at: Option<DateTime<Utc>>,
    pub error_message: String,
    pub is_from_me: bool,
    pub latency_to_sent_ms: Option<i64>,
    pub latency_to_delivered_ms: Option<i64>,
    pub latency_to_read_ms: Option<i64>,
}

/// Whole milliseconds from `from` to `to`.
pub fn latency_ms(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_milliseconds()
}

impl Message {
    /// To the latest present of read > delivered > sent.
    pub fn total_latency_ms(&self) -> Option<i64> {
        self.latency_to_read_ms
            .or(self.latency_to_delivered_ms)
            .or(self.latency_to_sent_ms)
    }

    /// Inbound: the total latency; outbound: the latency to sent; `< 5000` or unknown.
    pub fn is_latency_acceptable(&self) -> bool {
        let l = match self.direction {
            Direction::Inbound => self.total_latency_ms(),
            Direction::Outbound => self.latency_to_sent_ms,
        };
        l.is_none_or(|ms| ms < ACCEPTABLE_LATENCY_MS)
    }
}

/// A delivery-status report to apply to a stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusUpdate {
    pub status: MessageStatus,
    pub at: DateTime<Utc>,
    pub error_message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::MessageStatus::*;
    use super::*;

    #[test]
    fn the_lattice_only_moves_forward_for_every_pair() {
        let order = [Queued, Sent, Delivered, Read];
        for (i, a) in order.iter().enumerate() {
            for (j, b) in order.iter().enumerate() {
                assert_eq!(a.may_become(*b), j > i, "{a:?} -> {b:?}");
            }
        }
    }

    #[test]
    fn failures_end_undelivered_messages_and_are_final_unless_delivered_later() {
        for f in [Failed, Error] {
            assert!(Queued.may_become(f));
            assert!(Sent.may_become(f));
            assert!(!Delivered.may_become(f));
            assert!(!Read.may_become(f));
            assert!(!f.may_become(Queued));
            assert!(!f.may_become(Sent));
            assert!(f.may_become(Delivered));
            assert!(f.may_become(Read));
            assert!(!f.may_become(Failed));
            assert!(!f.may_become(Error));
        }
    }

    #[test]
    fn predecessors_are_what_may_become_the_status() {
        assert_eq!(MessageStatus::predecessors(Sent), vec![Queued]);
        assert_eq!(
            MessageStatus::predecessors(Read),
            vec![Queued, Sent, Delivered, Failed, Error]
        );
        assert_eq!(MessageStatus::predecessors(Failed), vec![Queued, Sent]);
        assert!(MessageStatus::predecessors(Queued).is_empty());
    }

    fn msg(
        direction: Direction,
        sent: Option<i64>,
        delivered: Option<i64>,
        read: Option<i64>,
    ) -> Message {
        let t = DateTime::<Utc>::from_timestamp(1_700_000_000, 0).unwrap();
        Message {
            id: 1,
            session: 1,
            usuario: 1,
            usuario_nome: String::new(),
            message_id: "m".into(),
            client_message_id: String::new(),
            provider_message_id: None,
            direction,
            message_type: MessageType::Text,
            chat_id: String::new(),
            contact_number: String::new(),
            contact_name: String::new(),
            peer_id: None,
            text_content: String::new(),
            media_url: String::new(),
            media_mime_type: String::new(),
            media_size: None,
            payload: serde_json::json!({}),
            raw_payload: serde_json::json!({}),
            protocol_version: "v1".into(),
            status: Queued,
            created_at: t,
            queued_at: t,
            sent_at: None,
            delivered_at: None,
            read_at: None,
            error_message: String::new(),
            is_from_me: direction == Direction::Outbound,
            latency_to_sent_ms: sent,
            latency_to_delivered_ms: delivered,
            latency_to_read_ms: read,
        }
    }

    #[test]
    fn total_latency_is_the_latest_present_and_acceptability_depends_on_direction() {
        assert_eq!(
            msg(Direction::Outbound, Some(10), Some(20), Some(30)).total_latency_ms(),
            Some(30)
        );
        assert_eq!(
            msg(Direction::Outbound, Some(10), Some(20), None).total_latency_ms(),
            Some(20)
        );
        assert_eq!(
            msg(Direction::Outbound, None, None, None).total_latency_ms(),
            None
        );
        // Outbound: judged on the latency to sent only.
        assert!(msg(Direction::Outbound, Some(4999), Some(9000), None).is_latency_acceptable());
        assert!(!msg(Direction::Outbound, Some(5000), None, None).is_latency_acceptable());
        // Inbound: judged on the total.
        assert!(!msg(Direction::Inbound, Some(1), Some(6000), None).is_latency_acceptable());
        assert!(msg(Direction::Inbound, None, None, None).is_latency_acceptable());
    }
}
