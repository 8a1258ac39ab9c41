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
    /// The implementation's own bookkeeping, per key of `keys` (the in-process throttle: the
    /// older failure that recording this one pushed out, put back if it is withdrawn); an
    /// implementation that needs none leaves it empty.
    pub restore: Vec<Option<i64>>,
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

    /// The attempt could not be decided (an error not about the credentials, such as a
    /// database failure): its failure is not counted.
    async fn abandoned(&self, attempt: Attempt);
}

/// The in-process throttle: the check and the recording of the attempt's failure are one
/// step under its lock, so a parallel burst gets at most the limit through; a success or an
/// undecided attempt withdraws the failure.
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
        let names: Vec<&str> = keys.iter().map(String::as_str).collect();
        let restore = self.admit(&limits, &names, now)?;
        Ok(Attempt {
            keys: keys.to_vec(),
            at: now,
            restore,
        })
    }

    async fn failed(&self, _attempt: Attempt) {
        // Recorded when it was admitted.
    }

    async fn succeeded(&self, attempt: Attempt, clear: &[String]) {
        LoginAttempts::abandoned(self, attempt).await;
        for key in clear {
            self.clear(key);
        }
    }

    async fn abandoned(&self, attempt: Attempt) {
        let keys: Vec<(String, Option<i64>)> = attempt
            .keys
            .into_iter()
            .zip(attempt.restore.into_iter().chain(std::iter::repeat(None)))
            .collect();
        self.take_back(&keys, attempt.at);
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

    /// Attempts are counted when admitted: three in flight fill a limit of three, and an
    /// abandoned one is withdrawn.
    #[test]
    fn attempts_count_when_admitted_and_abandoned_ones_are_withdrawn() {
        futures_executor::block_on(async {
            let t: Arc<dyn LoginAttempts> = Arc::new(LoginThrottle::new(3, 60));
            let ip = t.key("ip", "10.0.0.2");
            let keys = [ip.clone()];
            let mut in_flight = Vec::new();
            for _ in 0..3 {
                in_flight.push(
                    t.attempt(&[limit(&ip, 3)], &keys, 5)
                        .await
                        .expect("admitted"),
                );
            }
            assert_eq!(t.attempt(&[limit(&ip, 3)], &keys, 5).await, Err(60));
            t.abandoned(in_flight.remove(0)).await;
            assert_eq!(t.failures(&ip, 5).await, 2);
            assert!(t.attempt(&[limit(&ip, 3)], &keys, 5).await.is_ok());
        });
    }
}
