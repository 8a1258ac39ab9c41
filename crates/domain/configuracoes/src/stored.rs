//! Lossless reading and writing of a stored section (a JSON object). Each known key is read
//! into its typed field when its value has the expected type; everything else (keys written
//! by other versions, or a known key holding a value of another type) is kept aside verbatim
//! and written back as it was, so `to_stored(from_stored(m)) == m` for any object `m`.

use serde_json::{Map, Value};

/// Reads the typed fields out of a stored object; [`Reader::rest`] is what was not read.
pub(crate) struct Reader {
    rest: Map<String, Value>,
}

impl Reader {
    pub(crate) fn new(stored: &Map<String, Value>) -> Self {
        Self {
            rest: stored.clone(),
        }
    }

    /// Takes `key` out when `read` accepts its value; else leaves it in the rest.
    fn take<T>(&mut self, key: &str, read: impl FnOnce(&Value) -> Option<T>) -> Option<T> {
        let typed = read(self.rest.get(key)?)?;
        self.rest.remove(key);
        Some(typed)
    }

    pub(crate) fn text(&mut self, key: &str) -> Option<String> {
        self.take(key, |v| v.as_str().map(str::to_string))
    }

    /// A string or null (`Some(None)`).
    pub(crate) fn nullable_text(&mut self, key: &str) -> Option<Option<String>> {
        self.take(key, |v| match v {
            Value::Null => Some(None),
            Value::String(s) => Some(Some(s.clone())),
            _ => None,
        })
    }

    pub(crate) fn int(&mut self, key: &str) -> Option<i64> {
        self.take(key, Value::as_i64)
    }

    pub(crate) fn uint(&mut self, key: &str) -> Option<u64> {
        self.take(key, Value::as_u64)
    }

    pub(crate) fn boolean(&mut self, key: &str) -> Option<bool> {
        self.take(key, Value::as_bool)
    }

    /// A nested object, read by `read`.
    pub(crate) fn object<T>(
        &mut self,
        key: &str,
        read: impl FnOnce(&Map<String, Value>) -> T,
    ) -> Option<T> {
        self.take(key, |v| v.as_object().map(read))
    }

    /// What was not read, verbatim.
    pub(crate) fn rest(self) -> Map<String, Value> {
        self.rest
    }
}

/// Writes typed fields over what a [`Reader`] left aside (a typed value wins over a kept one
/// of the same key).
pub(crate) struct Writer {
    map: Map<String, Value>,
}

impl Writer {
    pub(crate) fn new(extra: &Map<String, Value>) -> Self {
        Self { map: extra.clone() }
    }

    /// Writes `value` under `key` when present (`Some`).
    pub(crate) fn put<T: Into<Value>>(&mut self, key: &str, value: Option<T>) {
        if let Some(v) = value {
            self.map.insert(key.to_string(), v.into());
        }
    }

    pub(crate) fn finish(self) -> Map<String, Value> {
        self.map
    }
}

/// Sets a typed field from a patch and drops any value of the same key kept aside.
pub(crate) fn set<T>(
    field: &mut Option<T>,
    value: &Option<T>,
    key: &str,
    extra: &mut Map<String, Value>,
) where
    T: Clone,
{
    if let Some(v) = value {
        *field = Some(v.clone());
        extra.remove(key);
    }
}
