//! What travels on the channels: events and invalidations as small JSON objects tagged with
//! the instance that published them.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use kernel::{Audience, Event, Invalidation};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

/// Distinct event names kept for received events (each is leaked once, to be `&'static`).
pub const MAX_EVENT_NAMES: usize = 256;
/// Longest event name kept as it is.
pub const MAX_EVENT_NAME_LEN: usize = 64;
/// The name given to received events beyond [`MAX_EVENT_NAMES`] names (or with a too long
/// name). Names are only used in logs and metrics.
pub const FALLBACK_EVENT_NAME: &str = "event";

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
enum WireAudience {
    #[serde(rename = "u")]
    User(i64),
    #[serde(rename = "us")]
    Users(Vec<i64>),
    #[serde(rename = "all")]
    Authenticated,
    #[serde(rename = "ex")]
    AuthenticatedExcept(i64),
}

impl From<&Audience> for WireAudience {
    fn from(a: &Audience) -> Self {
        match a {
            Audience::User(u) => WireAudience::User(*u),
            Audience::Users(us) => WireAudience::Users(us.clone()),
            Audience::Authenticated => WireAudience::Authenticated,
            Audience::AuthenticatedExcept(u) => WireAudience::AuthenticatedExcept(*u),
        }
    }
}

impl From<WireAudience> for Audience {
    fn from(a: WireAudience) -> Self {
        match a {
            WireAudience::User(u) => Audience::User(u),
            WireAudience::Users(us) => Audience::Users(us),
            WireAudience::Authenticated => Audience::Authenticated,
            WireAudience::AuthenticatedExcept(u) => Audience::AuthenticatedExcept(u),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct WireEvent<'a> {
    #[serde(rename = "o", borrow)]
    origin: Cow<'a, str>,
    #[serde(rename = "a")]
    audience: WireAudience,
    #[serde(rename = "n", borrow)]
    name: Cow<'a, str>,
    #[serde(rename = "f", borrow)]
    frame: Cow<'a, str>,
}

#[derive(Serialize, Deserialize)]
struct WireInvalidation<'a> {
    #[serde(rename = "o", borrow)]
    origin: Cow<'a, str>,
    #[serde(rename = "c", borrow)]
    cache: Cow<'a, str>,
    #[serde(rename = "k", borrow)]
    key: Option<Cow<'a, str>>,
}

/// A decoded message: from this instance, or from another one.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Received<T> {
    Own,
    Other(T),
}

pub(crate) fn encode_event(origin: &str, audience: &Audience, event: &Event) -> Vec<u8> {
    let wire = WireEvent {
        origin: Cow::Borrowed(origin),
        audience: audience.into(),
        name: Cow::Borrowed(event.name()),
        frame: Cow::Borrowed(event.frame()),
    };
    // Strings and integers only: serialization cannot fail.
    serde_json::to_vec(&wire).unwrap_or_default()
}

pub(crate) fn decode_event(
    own: &str,
    payload: &[u8],
) -> serde_json::Result<Received<(Audience, Event)>> {
    let wire: WireEvent<'_> = serde_json::from_slice(payload)?;
    if wire.origin == own {
        return Ok(Received::Own);
    }
    let event = Event::from_frame(intern(&wire.name), Arc::from(wire.frame.as_ref()));
    Ok(Received::Other((wire.audience.into(), event)))
}

pub(crate) fn encode_invalidation(origin: &str, inv: &Invalidation) -> Vec<u8> {
    let wire = WireInvalidation {
        origin: Cow::Borrowed(origin),
        cache: Cow::Borrowed(&inv.cache),
        key: inv.key.as_deref().map(Cow::Borrowed),
    };
    serde_json::to_vec(&wire).unwrap_or_default()
}

pub(crate) fn decode_invalidation(
    own: &str,
    payload: &[u8],
) -> serde_json::Result<Received<Invalidation>> {
    let wire: WireInvalidation<'_> = serde_json::from_slice(payload)?;
    if wire.origin == own {
        return Ok(Received::Own);
    }
    Ok(Received::Other(Invalidation {
        cache: wire.cache.into_owned(),
        key: wire.key.map(Cow::into_owned),
    }))
}

/// The `&'static` name for a received event name: each distinct name is leaked once, at most
/// [`MAX_EVENT_NAMES`] of them per process; beyond, [`FALLBACK_EVENT_NAME`].
pub(crate) fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    intern_in(
        NAMES.get_or_init(|| RwLock::new(HashSet::new())),
        name,
        MAX_EVENT_NAMES,
    )
}

fn intern_in(names: &RwLock<HashSet<&'static str>>, name: &str, cap: usize) -> &'static str {
    if let Some(known) = names.read().get(name) {
        return known;
    }
    if name.len() > MAX_EVENT_NAME_LEN {
        return FALLBACK_EVENT_NAME;
    }
    let mut names = names.write();
    if let Some(known) = names.get(name) {
        return known;
    }
    if names.len() >= cap {
        return FALLBACK_EVENT_NAME;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_for_every_audience() {
        let audiences = [
            Audience::User(7),
            Audience::Users(vec![1, 2, 3]),
            Audience::Users(vec![]),
            Audience::Authenticated,
            Audience::AuthenticatedExcept(-4),
        ];
        for audience in audiences {
            let event = Event::encode("chat.message", &serde_json::json!({"text": "a \"b\"\n"}));
            let bytes = encode_event("me", &audience, &event);
            assert_eq!(decode_event("me", &bytes).expect("decodes"), Received::Own);
            match decode_event("other", &bytes).expect("decodes") {
                Received::Other((a, e)) => {
                    assert_eq!(a, audience);
                    assert_eq!(e, event);
                }
                Received::Own => panic!("from another instance"),
            }
        }
    }

    #[test]
    fn the_wire_format_is_compact_json() {
        let event = Event::from_frame("x", Arc::from(r#"{"a":1}"#));
        let bytes = encode_event("i1", &Audience::User(7), &event);
        assert_eq!(
            std::str::from_utf8(&bytes).expect("utf-8"),
            r#"{"o":"i1","a":{"u":7},"n":"x","f":"{\"a\":1}"}"#
        );
        let bytes = encode_event("i1", &Audience::Authenticated, &event);
        assert!(
            std::str::from_utf8(&bytes)
                .expect("utf-8")
                .contains(r#""a":"all""#)
        );
        let inv = encode_invalidation("i1", &Invalidation::all("agents"));
        assert_eq!(
            std::str::from_utf8(&inv).expect("utf-8"),
            r#"{"o":"i1","c":"agents","k":null}"#
        );
    }

    #[test]
    fn invalidations_round_trip() {
        for inv in [Invalidation::all("a"), Invalidation::key("b", "k:1 \"x\"")] {
            let bytes = encode_invalidation("me", &inv);
            assert_eq!(
                decode_invalidation("me", &bytes).expect("decodes"),
                Received::Own
            );
            assert_eq!(
                decode_invalidation("you", &bytes).expect("decodes"),
                Received::Other(inv)
            );
        }
        assert!(decode_invalidation("me", b"not json").is_err());
        assert!(decode_event("me", br#"{"o":"x"}"#).is_err());
    }

    #[test]
    fn names_are_interned_once_and_capped() {
        let names = RwLock::new(HashSet::new());
        let a = intern_in(&names, "alpha", 2);
        let again = intern_in(&names, &String::from("alpha"), 2);
        assert!(std::ptr::eq(a, again));
        assert_eq!(intern_in(&names, "beta", 2), "beta");
        assert_eq!(intern_in(&names, "gamma", 2), FALLBACK_EVENT_NAME);
        assert_eq!(intern_in(&names, "alpha", 2), "alpha");
        assert_eq!(names.read().len(), 2);
        let long = "n".repeat(MAX_EVENT_NAME_LEN + 1);
        let fresh = RwLock::new(HashSet::new());
        assert_eq!(intern_in(&fresh, &long, 10), FALLBACK_EVENT_NAME);
        assert!(fresh.read().is_empty());
        assert_eq!(intern("chat.message"), "chat.message");
    }
}
