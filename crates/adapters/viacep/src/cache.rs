//! TTL cache of successful lookups (contract §4.10: "Cached 24 h per 8-digit key, only
//! successes").

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use kernel::Clock;
use kernel::cep::{CepAddress, CepError, CepLookup, normalize_cep};
use moka::policy::EvictionPolicy;
use moka::sync::Cache;

#[derive(Clone)]
struct Entry {
    stored_at: DateTime<Utc>,
    address: CepAddress,
}

/// Decorator caching successful answers of `inner` per 8-digit key. Errors (not found,
/// unavailable) are never cached. Freshness comes from the [`Clock`] port: an entry is served
/// for `ttl` after it was stored. The store is a bounded moka cache of `capacity` entries,
/// least recently used first, which also drops entries `ttl` after insertion by its own
/// (monotonic) clock.
pub struct CachedLookup {
    inner: Arc<dyn CepLookup>,
    clock: Arc<dyn Clock>,
    ttl: TimeDelta,
    entries: Cache<String, Entry>,
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
        // LRU, like the hand-made map it replaces: a new answer is always stored.
        let mut builder = Cache::builder()
            .max_capacity(capacity.max(1) as u64)
            .eviction_policy(EvictionPolicy::lru());
        if let Ok(real) = ttl.to_std()
            && !real.is_zero()
        {
            builder = builder.time_to_live(real);
        }
        Self {
            inner,
            clock,
            ttl,
            entries: builder.build(),
        }
    }

    /// Number of stored entries (after moka's pending evictions have run).
    pub fn len(&self) -> usize {
        self.entries.run_pending_tasks();
        self.entries.entry_count() as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        self.entries.invalidate_all();
    }

    fn get(&self, key: &str, now: DateTime<Utc>) -> Option<CepAddress> {
        let entry = self.entries.get(key)?;
        if now.signed_duration_since(entry.stored_at) < self.ttl {
            Some(entry.address)
        } else {
            self.entries.invalidate(key);
            None
        }
    }

    fn put(&self, key: String, address: CepAddress, now: DateTime<Utc>) {
        self.entries.insert(
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
