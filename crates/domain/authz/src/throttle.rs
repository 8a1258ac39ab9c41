//! Failed-login throttling per client address and per username: `max` failures inside `window`
//! seconds block further attempts until the oldest failure leaves the window.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

pub struct LoginThrottle {
    max: usize,
    window: i64,
    failures: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl LoginThrottle {
    pub fn new(max: usize, window_secs: i64) -> Self {
        Self {
            max,
            window: window_secs,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds to wait before another attempt is allowed for any of `keys`, or `None`.
    pub fn blocked_for(&self, keys: &[String], now: i64) -> Option<u64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = 0i64;
        for k in keys {
            if let Some(q) = map.get_mut(k) {
                while q.front().is_some_and(|t| *t <= now - self.window) {
                    q.pop_front();
                }
                if q.len() >= self.max
                    && let Some(oldest) = q.front()
                {
                    wait = wait.max(oldest + self.window - now);
                }
            }
        }
        (wait > 0).then_some(wait as u64)
    }

    pub fn record_failure(&self, keys: &[String], now: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, q| q.back().is_some_and(|t| *t > now - window));
        }
        for k in keys {
            let q = map.entry(k.clone()).or_default();
            q.push_back(now);
            while q.len() > self.max {
                q.pop_front();
            }
        }
    }

    pub fn clear(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_and_releases() {
        let t = LoginThrottle::new(3, 300);
        let keys = vec!["ip:1".to_string(), "user:a".to_string()];
        for i in 0..3 {
            assert_eq!(t.blocked_for(&keys, 100 + i), None);
            t.record_failure(&keys, 100 + i);
        }
        assert_eq!(t.blocked_for(&keys, 110), Some(290));
        assert_eq!(t.blocked_for(&["user:a".to_string()], 110), Some(290));
        assert_eq!(t.blocked_for(&["user:b".to_string()], 110), None);
        assert_eq!(t.blocked_for(&keys, 401), None);
        t.clear("user:a");
        assert_eq!(t.blocked_for(&["user:a".to_string()], 110), None);
    }
}
