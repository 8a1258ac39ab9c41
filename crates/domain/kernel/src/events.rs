//! The real-time port every area publishes through.
//!
//! A domain use case builds a typed event (a `#[derive(Serialize)]` struct or enum in its own
//! crate that produces the contract's exact envelope, §5.3), encodes it once into an [`Event`]
//! and hands it to [`EventPublisher::publish`] together with its [`Audience`], **after** the
//! transaction that caused it has committed. The hub (`adapter-realtime`) shares the one
//! encoded frame among every recipient socket.
//!
//! `publish` is synchronous and never blocks: delivery is fire-and-forget (a socket that cannot
//! keep up is closed by the hub, it never slows the publisher). A shared broker for several
//! instances forwards the frame in the background.

use std::sync::Arc;

/// Who receives an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Every socket of one user.
    User(i64),
    /// Every socket of each of these users.
    Users(Vec<i64>),
    /// Every authenticated socket.
    Authenticated,
    /// Every authenticated socket except those of this user (e.g. typing indicators).
    AuthenticatedExcept(i64),
}

impl Audience {
    /// Whether a socket of `user` is addressed.
    pub fn includes(&self, user: i64) -> bool {
        match self {
            Audience::User(u) => *u == user,
            Audience::Users(us) => us.contains(&user),
            Audience::Authenticated => true,
            Audience::AuthenticatedExcept(u) => *u != user,
        }
    }
}

/// One event, serialized once: its name (for logs and metrics) and its JSON text frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    name: &'static str,
    frame: Arc<str>,
}

impl Event {
    /// Encodes a typed payload. Our payloads are plain structs of strings, numbers and
    /// options, whose serialization cannot fail; should one fail anyway, the frame is an empty
    /// object rather than a panic.
    pub fn encode<T: serde::Serialize + ?Sized>(name: &'static str, payload: &T) -> Self {
        let text = serde_json::to_string(payload).unwrap_or_else(|_| "{}".to_string());
        Self {
            name,
            frame: Arc::from(text),
        }
    }

    /// An already-encoded frame (e.g. one received from another instance through a broker).
    pub fn from_frame(name: &'static str, frame: Arc<str>) -> Self {
        Self { name, frame }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The JSON text, shared (cloning an `Event` does not copy it).
    pub fn frame(&self) -> &Arc<str> {
        &self.frame
    }
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait EventPublisher: Send + Sync {
    /// Delivers `event` to every socket `audience` names, on this instance and (through the
    /// broker) on the others. Never blocks, never fails: an unreachable socket is the hub's
    /// concern, not the use case's.
    fn publish(&self, audience: Audience, event: Event);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_address_the_right_users() {
        assert!(Audience::User(1).includes(1));
        assert!(!Audience::User(1).includes(2));
        assert!(Audience::Users(vec![1, 3]).includes(3));
        assert!(!Audience::Users(vec![1, 3]).includes(2));
        assert!(Audience::Authenticated.includes(7));
        assert!(!Audience::AuthenticatedExcept(7).includes(7));
        assert!(Audience::AuthenticatedExcept(7).includes(8));
    }

    #[test]
    fn an_event_is_encoded_once_and_shared_by_its_clones() {
        #[derive(serde::Serialize)]
        struct Pong {
            r#type: &'static str,
        }
        let e = Event::encode("pong", &Pong { r#type: "pong" });
        let copy = e.clone();
        assert_eq!(&**e.frame(), r#"{"type":"pong"}"#);
        assert!(Arc::ptr_eq(e.frame(), copy.frame()));
        assert_eq!(copy.name(), "pong");
    }
}
