//! TTL cache of successful lookups (contract §4.10: "Cached 24 h per 8-digit key, only
//! successes").

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use kernel::Clock;
use kernel::cep::{CepAddress, CepError, CepLookup, normalize_cep};
use parking_lot::Mutex;

struct Entry {
    stored_at: DateTime<Utc>,
    address: CepAddress,
}

/// Decorator caching successful answers of `inner` per 8-digit key. Errors (not found,
/// unavailable) are never cached. Time comes from the [`Clock`] port; entries live `ttl`. When
/// `capacity` is reached, expired entries are dropped first, then the oldest tenth.
pub struct CachedLookup {
    inner: Arc<dyn CepLookup>,
    clock: Arc<dyn Clock>,
    ttl: TimeDelta,
    capacity: usize,
    entries: Mutex<HashMap<String, Entry>>,
}

impl CachedLookup {
    pub const DEFAULT_TTL: TimeDelta = TimeDelta::hours(24);
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// 24 h TTL, 10 000 entries.
    pub fn new(inner: Arc<dyn CepLookup>, clock: Arc<dyn Clock>) -> Self {
        Self::with_limits(inner, clock, Self::DEFAULT_TTL, Self::DEFAULT_CAPACITY)
    }

    pub fn with_limits(
        inner: Arc<dyn CepLookup>,
        clock: Arc<dyn Clock>,
        ttl: TimeDelta,
        capacity: usize,
    ) -> Self {
        Self {
            inner,
            clock,
            ttl,
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Number of stored entries (expired ones included until they are purged).
    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.lock().is_empty()
    }

    pub fn clear(&self) {
        self.entries.lock().clear();
    }

    fn is_fresh(&self, entry: &Entry, now: DateTime<Utc>) -> bool {
        now.signed_duration_since(entry.stored_at) < self.ttl
    }

    fn get(&self, key: &str, now: DateTime<Utc>) -> Option<CepAddress> {
        let mut entries = self.entries.lock();
        match entries.get(key) {
            Some(e) if self.is_fresh(e, now) => Some(e.address.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    fn put(&self, key: String, address: CepAddress, now: DateTime<Utc>) {
        let mut entries = self.entries.lock();
        if !entries.contains_key(&key) && entries.len() >= self.capacity {
            entries.retain(|_, e| now.signed_duration_since(e.stored_at) < self.ttl);
            if entries.len() >= self.capacity {
                let mut by_age: Vec<(DateTime<Utc>, String)> = entries
                    .iter()
                    .map(|(k, e)| (e.stored_at, k.clone()))
                    .collect();
                by_age.sort_unstable();
                let evict = (self.capacity / 10).max(1);
                for (_, k) in by_age.into_iter().take(evict) {
                    entries.remove(&k);
                }
            }
        }
        entries.insert(
            key,
            Entry {
                stored_at: now,
                address,
            },
        );
    }
}

#[async_trait]
impl CepLookup for CachedLookup {
    async fn lookup(&self, cep8: &str) -> Result<CepAddress, CepError> {
        let Some(key) = normalize_cep(cep8) else {
            // Not a cache key: let the provider decide, never store.
            return self.inner.lookup(cep8).await;
        };
        if let Some(hit) = self.get(&key, self.clock.now()) {
            return Ok(hit);
        }
        let address = self.inner.lookup(&key).await?;
        self.put(key, address.clone(), self.clock.now());
        Ok(address)
    }
}
