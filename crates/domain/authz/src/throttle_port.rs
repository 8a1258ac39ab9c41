//! The login-throttle port: failed logins counted per key inside a sliding window, with a
//! check-and-record step, so that a shared store (Redis, for several instances) can replace
//! the in-process [`crate::throttle::LoginThrottle`] without touching the login rules.
//!
//! Contract, for any implementation:
//! - keys are short strings built by [`LoginAttempts::key`]; every failure expires from its
//!   key `window` seconds after it was recorded (a store can hold keys with that expiry);
//! - [`LoginAttempts::attempt`] checks every limit and, only when none is reached, admits the
//!   attempt in the same step. An implementation that records the attempt's failure there
//!   already (atomic under any number of parallel requests) withdraws it in
//!   [`LoginAttempts::succeeded`]; one that records in [`LoginAttempts::failed`] must still
//!   make the check and the admission one step;
//! - the caller ends every admitted attempt with exactly one of `failed` / `succeeded`.

use async_trait::async_trait;

/// A limit checked by an attempt: `key` blocks once it holds `limit` failures in the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleLimit {
    pub key: String,
    pub limit: usize,
}

/// An admitted login attempt: the keys its failure counts against, and when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub keys: Vec<String>,
    pub at: i64,
}

#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LoginAttempts: Send + Sync {
    /// A bounded key for `part` (a client address, a username) under a short `prefix`.
    fn key(&self, prefix: &str, part: &str) -> String;

    /// The largest limit (failures remembered per key).
    fn max(&self) -> usize;

    /// Failures of `key` still inside the window at `now`.
    async fn failures(&self, key: &str, now: i64) -> usize;

    /// Check-and-record: `Err(seconds to wait)` when any of `limits` is reached (nothing is
    /// recorded), else the admitted attempt, whose failure counts against `keys`.
    async fn attempt(
        &self,
        limits: &[ThrottleLimit],
        keys: &[String],
        now: i64,
    ) -> Result<Attempt, u64>;

    /// The attempt failed: its failure stays counted against its keys.
    async fn failed(&self, attempt: Attempt);

    /// The attempt succeeded: its failure is not counted, and each key of `clear` is reset.
    async fn succeeded(&self, attempt: Attempt, clear: &[String]);
}

/// The in-process throttle. Until the throttle records inside its check (one lock), the
/// failure of an admitted attempt is recorded in `failed`.
#[async_trait]
impl LoginAttempts for crate::throttle::LoginThrottle {
    fn key(&self, prefix: &str, part: &str) -> String {
        crate::throttle::LoginThrottle::key(self, prefix, part)
    }

    fn max(&self) -> usize {
        crate::throttle::LoginThrottle::max(self)
    }

    async fn failures(&self, key: &str, now: i64) -> usize {
        crate::throttle::LoginThrottle::failures(self, key, now)
    }

    async fn attempt(
        &self,
        limits: &[ThrottleLimit],
        keys: &[String],
        now: i64,
    ) -> Result<Attempt, u64> {
        let limits: Vec<(&str, usize)> = limits.iter().map(|l| (l.key.as_str(), l.limit)).collect();
        match self.blocked_for(&limits, now) {
            Some(wait) => Err(wait),
            None => Ok(Attempt {
                keys: keys.to_vec(),
                at: now,
            }),
        }
    }

    async fn failed(&self, attempt: Attempt) {
        let keys: Vec<&str> = attempt.keys.iter().map(String::as_str).collect();
        self.record_failure(&keys, attempt.at);
    }

    async fn succeeded(&self, _attempt: Attempt, clear: &[String]) {
        for key in clear {
            self.clear(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::throttle::LoginThrottle;
    use std::sync::Arc;

    fn limit(key: &str, limit: usize) -> ThrottleLimit {
        ThrottleLimit {
            key: key.into(),
            limit,
        }
    }

    #[test]
    fn the_in_process_throttle_through_the_port() {
        futures_executor::block_on(async {
            let t: Arc<dyn LoginAttempts> = Arc::new(LoginThrottle::new(3, 60));
            let ip = t.key("ip", "10.0.0.1");
            let pair = t.key("pair:10.0.0.1", "admin");
            let keys = [ip.clone(), pair.clone()];
            for now in 0..3 {
                let a = t
                    .attempt(&[limit(&ip, 3)], &keys, now)
                    .await
                    .expect("admitted");
                t.failed(a).await;
            }
            assert_eq!(t.failures(&ip, 3).await, 3);
            // Blocked until the first failure (at 0) leaves the 60 s window.
            assert_eq!(t.attempt(&[limit(&ip, 3)], &keys, 10).await, Err(50));
            // A success resets the keys it is told to clear, and counts no failure.
            let a = t
                .attempt(&[limit("user:nobody", 3)], &keys, 20)
                .await
                .expect("admitted");
            t.succeeded(a, std::slice::from_ref(&pair)).await;
            assert_eq!(t.failures(&pair, 20).await, 0);
            assert_eq!(t.failures(&ip, 20).await, 3);
            assert!(t.attempt(&[limit(&ip, 3)], &keys, 61).await.is_ok());
        });
    }
}
