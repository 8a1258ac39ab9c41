//! Helpers shared by the integration tests: every test works under a prefix of its own, on the
//! Redis of `REDIS_URL` (default `redis://127.0.0.1:6379`).

#![allow(dead_code)]

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use adapter_redis::{PresenceOptions, RedisOptions, RedisShared};

pub fn url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string())
}

/// A prefix no other test (in this run, in a parallel run or in an earlier one) uses.
pub fn prefix(test: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "dxtest:{test}:{}:{}:{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        uuid::Uuid::new_v4().simple()
    )
}

/// Options for tests: short timeouts, a fast presence.
pub fn options(prefix: &str) -> RedisOptions {
    let mut options = RedisOptions::new(prefix);
    options.command_timeout = Duration::from_millis(500);
    options.connect_timeout = Duration::from_secs(2);
    options.pubsub_ping_interval = Duration::from_millis(200);
    options.presence = PresenceOptions {
        ttl: Duration::from_secs(1),
        heartbeat: Duration::from_millis(200),
    };
    options
}

/// One instance on the test Redis; fails the test clearly when there is none.
pub async fn instance(prefix: &str) -> RedisShared {
    let url = url();
    RedisShared::connect_with(&url, options(prefix))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "these tests need a Redis server at {url} (set REDIS_URL to use another one): {e}"
            )
        })
}

/// A plain connection for checks behind the adapters' back.
pub async fn raw() -> redis::aio::MultiplexedConnection {
    let url = url();
    redis::Client::open(url.as_str())
        .expect("a valid REDIS_URL")
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("these tests need a Redis server at {url}: {e}"))
}

/// Polls `check` until it holds, for at most `within`; returns whether it did.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
