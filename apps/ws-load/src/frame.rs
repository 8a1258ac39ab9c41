//! The few fields the generator reads from server frames.

use std::borrow::Cow;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Incoming<'a> {
    #[serde(borrow, default)]
    pub event: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "type")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub data: Option<Data<'a>>,
    #[serde(borrow, default)]
    pub message_id: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
pub struct Data<'a> {
    #[serde(borrow, default)]
    pub message_id: Option<Cow<'a, str>>,
}

impl<'a> Incoming<'a> {
    pub fn parse(text: &'a str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// The `message_id` of a v1 `message_received` event.
    pub fn received_id(&self) -> Option<&str> {
        if self.event.as_deref() == Some("message_received") {
            self.data.as_ref()?.message_id.as_deref()
        } else {
            None
        }
    }
}

/// The sequence number of an id `<prefix><n>` of this run.
pub fn seq(id: &str, prefix: &str) -> Option<usize> {
    id.strip_prefix(prefix)?.parse().ok()
}
