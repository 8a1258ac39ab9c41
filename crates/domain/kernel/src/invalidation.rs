//! The cache-invalidation port: caches that hold what the database says (list pages,
//! authenticated principals) publish what a write made stale and drop what any instance's
//! writes made stale.
//!
//! Contract: [`CacheInvalidation::publish`] applies the invalidation to this instance's
//! subscribers before it returns (so this instance's next read sees the write), and delivers
//! it to the other instances as soon as it can (a shared bus such as Redis pub/sub); caches
//! bound the staleness of a lost message with their own expiry. The in-process
//! [`LocalInvalidations`] is the default with one instance.

use std::sync::{Arc, RwLock};

/// What became stale: one cache (`cache`), all of it (`key: None`) or one entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Invalidation {
    pub cache: String,
    pub key: Option<String>,
}

impl Invalidation {
    /// Everything in `cache`.
    pub fn all(cache: &str) -> Self {
        Self {
            cache: cache.to_string(),
            key: None,
        }
    }

    /// One entry of `cache`.
    pub fn key(cache: &str, key: impl Into<String>) -> Self {
        Self {
            cache: cache.to_string(),
            key: Some(key.into()),
        }
    }
}

/// Called with every invalidation of the cache it subscribed to.
pub type InvalidationHandler = Arc<dyn Fn(&Invalidation) + Send + Sync>;

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait CacheInvalidation: Send + Sync {
    /// Tells every instance, this one first (before returning), to drop what `inv` names.
    fn publish(&self, inv: &Invalidation);

    /// Calls `handler` for each invalidation of `cache`, whichever instance published it.
    fn subscribe(&self, cache: &str, handler: InvalidationHandler);
}

/// Invalidations within this process: `publish` calls the subscribers at once.
#[derive(Default)]
pub struct LocalInvalidations {
    subscribers: RwLock<Vec<(String, InvalidationHandler)>>,
}

impl CacheInvalidation for LocalInvalidations {
    fn publish(&self, inv: &Invalidation) {
        let subscribers = self.subscribers.read().unwrap_or_else(|e| e.into_inner());
        for (cache, handler) in subscribers.iter() {
            if *cache == inv.cache {
                handler(inv);
            }
        }
    }

    fn subscribe(&self, cache: &str, handler: InvalidationHandler) {
        self.subscribers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push((cache.to_string(), handler));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn local_invalidations_reach_the_subscribers_of_that_cache_at_once() {
        let bus = LocalInvalidations::default();
        let seen = Arc::new(Mutex::new(Vec::new()));
        for name in ["a", "b"] {
            let seen = seen.clone();
            bus.subscribe(
                name,
                Arc::new(move |inv: &Invalidation| {
                    seen.lock().expect("lock").push((name, inv.key.clone()))
                }),
            );
        }
        bus.publish(&Invalidation::all("a"));
        bus.publish(&Invalidation::key("b", "7"));
        bus.publish(&Invalidation::all("c"));
        assert_eq!(
            *seen.lock().expect("lock"),
            vec![("a", None), ("b", Some("7".to_string()))]
        );
    }
}
