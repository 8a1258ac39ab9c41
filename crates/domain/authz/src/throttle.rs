//! Failed-login throttling: failures are counted per key (a client address, a username, a
//! username from one address) inside a sliding window of `window` seconds; a key with `limit`
//! failures in the window blocks further attempts until enough of them leave it.
//!
//! The map is bounded whatever clients send: keys longer than [`MAX_KEY_PART`] bytes are
//! replaced by a keyed hash ([`LoginThrottle::key`]), entries whose failures have all left the
//! window are swept at least every [`SWEEP_EVERY`] seconds, and above `capacity` entries the
//! least recently failed ones are evicted.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, MutexGuard};

/// Longest key part kept as it is; longer ones are hashed.
pub const MAX_KEY_PART: usize = 64;
/// Seconds between two sweeps of expired entries.
pub const SWEEP_EVERY: i64 = 30;
/// Default number of keys held.
pub const DEFAULT_CAPACITY: usize = 20_000;

pub struct LoginThrottle {
    max: usize,
    window: i64,
    capacity: usize,
    /// Per-process random keys, so nobody can aim hashed keys at each other.
    hasher: RandomState,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    failures: HashMap<String, VecDeque<i64>>,
    next_sweep: i64,
}

impl LoginThrottle {
    /// At most `max` failures are remembered per key, for `window_secs` seconds.
    pub fn new(max: usize, window_secs: i64) -> Self {
        Self::with_capacity(max, window_secs, DEFAULT_CAPACITY)
    }

    pub fn with_capacity(max: usize, window_secs: i64, capacity: usize) -> Self {
        Self {
            max: max.max(1),
            window: window_secs,
            capacity: capacity.max(1),
            hasher: RandomState::new(),
            state: Mutex::new(State::default()),
        }
    }

    /// The limit given to [`Self::new`].
    pub fn max(&self) -> usize {
        self.max
    }

    /// A key of bounded length: `prefix:part`, or `prefix#<hash of part>` when `part` is longer
    /// than [`MAX_KEY_PART`] bytes. `prefix` is chosen by the caller and must be short.
    pub fn key(&self, prefix: &str, part: &str) -> String {
        if part.len() <= MAX_KEY_PART {
            format!("{prefix}:{part}")
        } else {
            format!("{prefix}#{:016x}", self.hasher.hash_one(part))
        }
    }

    fn lock(&self, now: i64) -> MutexGuard<'_, State> {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if now >= s.next_sweep {
            let oldest = now - self.window;
            s.failures
                .retain(|_, q| q.back().is_some_and(|t| *t > oldest));
            s.next_sweep = now + SWEEP_EVERY;
        }
        s
    }

    /// Failures of `key` still inside the window.
    pub fn failures(&self, key: &str, now: i64) -> usize {
        let oldest = now - self.window;
        let s = self.lock(now);
        s.failures
            .get(key)
            .map_or(0, |q| q.iter().filter(|t| **t > oldest).count())
    }

    /// Seconds to wait before another attempt is allowed for any of `limits` (key, limit), or
    /// `None`.
    pub fn blocked_for(&self, limits: &[(&str, usize)], now: i64) -> Option<u64> {
        let mut s = self.lock(now);
        let wait = self.wait(&mut s, limits, now);
        (wait > 0).then_some(wait as u64)
    }

    /// Seconds to wait for `limits` (0: not blocked), with the state locked.
    fn wait(&self, s: &mut State, limits: &[(&str, usize)], now: i64) -> i64 {
        let oldest = now - self.window;
        let mut wait = 0i64;
        for (key, limit) in limits {
            let limit = (*limit).clamp(1, self.max);
            if let Some(q) = s.failures.get_mut(*key) {
                while q.front().is_some_and(|t| *t <= oldest) {
                    q.pop_front();
                }
                // Attempts resume once `len - limit + 1` failures have left the window.
                if q.len() >= limit
                    && let Some(t) = q.get(q.len() - limit)
                {
                    wait = wait.max(t + self.window - now);
                }
            }
        }
        wait
    }

    /// Starts a login attempt, atomically: under one lock, checks the limits of `keys` (as
    /// [`LoginKeys`] describes) and, when none is reached, records the attempt as a failure
    /// of every key *before* the password is verified. So however many attempts run in
    /// parallel, at most the limit of them get past this point per window; the others get
    /// `Err(seconds to wait)`.
    ///
    /// The caller ends the attempt with [`Self::succeeded`] (the recorded failure is taken
    /// back and the pair's failures cleared), [`Self::failed`] (it stays), or
    /// [`Self::abandoned`] (taken back: the attempt could not be decided, e.g. the database
    /// failed). An attempt dropped without any of these counts as failed.
    pub fn begin_attempt(&self, keys: &LoginKeys<'_>, now: i64) -> Result<Attempt, u64> {
        let mut s = self.lock(now);
        let oldest = now - self.window;
        let user_failures = s
            .failures
            .get(keys.user)
            .map_or(0, |q| q.iter().filter(|t| **t > oldest).count());
        let pair_limit = if user_failures >= self.max {
            1
        } else {
            self.max
        };
        let wait = self.wait(&mut s, &[(keys.ip, self.max), (keys.pair, pair_limit)], now);
        if wait > 0 {
            return Err(wait as u64);
        }
        let all = [keys.ip, keys.pair, keys.user];
        let pushed_out = self.record_locked(&mut s, &all, now);
        Ok(Attempt {
            keys: all
                .iter()
                .map(|k| (*k).to_string())
                .zip(pushed_out)
                .collect(),
            pair: keys.pair.to_string(),
            at: now,
        })
    }

    /// The port's check-and-record ([`crate::throttle_port::LoginAttempts::attempt`]), under
    /// one lock: when no limit is reached, the attempt is recorded as a failure of every key
    /// at once; returns, per key, the failure that recording pushed out.
    pub(crate) fn admit(
        &self,
        limits: &[(&str, usize)],
        keys: &[&str],
        now: i64,
    ) -> Result<Vec<Option<i64>>, u64> {
        let mut s = self.lock(now);
        let wait = self.wait(&mut s, limits, now);
        if wait > 0 {
            return Err(wait as u64);
        }
        Ok(self.record_locked(&mut s, keys, now))
    }

    /// Takes back the failure an admitted attempt recorded at `at` (see [`Self::admit`]).
    pub(crate) fn take_back(&self, keys: &[(String, Option<i64>)], at: i64) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        take_back(
            &mut s,
            &Attempt {
                keys: keys.to_vec(),
                pair: String::new(),
                at,
            },
        );
    }

    /// The attempt succeeded: its recorded failure is taken back from every key and the
    /// pair's failures are cleared.
    pub fn succeeded(&self, attempt: Attempt) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        take_back(&mut s, &attempt);
        s.failures.remove(&attempt.pair);
    }

    /// The attempt failed: its recorded failure stays.
    pub fn failed(&self, attempt: Attempt) {
        drop(attempt);
    }

    /// The attempt was not decided (an error not about the credentials): its recorded failure
    /// is taken back.
    pub fn abandoned(&self, attempt: Attempt) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        take_back(&mut s, &attempt);
    }

    /// Records one failure against every key.
    pub fn record_failure(&self, keys: &[&str], now: i64) {
        let mut s = self.lock(now);
        let _ = self.record_locked(&mut s, keys, now);
    }

    /// Records one failure against every key; returns, per key, the oldest failure that was
    /// pushed out to keep at most `max` (so that taking the failure back can restore it).
    fn record_locked(&self, s: &mut State, keys: &[&str], now: i64) -> Vec<Option<i64>> {
        let mut pushed_out = Vec::with_capacity(keys.len());
        for k in keys {
            let q = match s.failures.get_mut(*k) {
                Some(q) => q,
                None => s.failures.entry((*k).to_string()).or_default(),
            };
            q.push_back(now);
            let mut out = None;
            while q.len() > self.max {
                out = q.pop_front();
            }
            pushed_out.push(out);
        }
        if s.failures.len() > self.capacity {
            self.evict(s, now);
        }
        pushed_out
    }

    /// Drops expired entries, then the least recently failed ones down to 3/4 of the capacity.
    fn evict(&self, s: &mut State, now: i64) {
        let oldest = now - self.window;
        s.failures
            .retain(|_, q| q.back().is_some_and(|t| *t > oldest));
        s.next_sweep = now + SWEEP_EVERY;
        let keep = self.capacity - self.capacity / 4;
        if s.failures.len() <= keep {
            return;
        }
        // Oldest last failure first; on a tie, the key with fewer failures goes first.
        let mut last: Vec<(i64, usize, String)> = s
            .failures
            .iter()
            .map(|(k, q)| (q.back().copied().unwrap_or(i64::MIN), q.len(), k.clone()))
            .collect();
        last.sort_unstable();
        let drop = last.len() - keep;
        for (_, _, k) in last.into_iter().take(drop) {
            s.failures.remove(&k);
        }
    }

    pub fn clear(&self, key: &str) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.failures.remove(key);
    }

    /// How many keys are held.
    pub fn len(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .failures
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Length in bytes of the longest key held.
    pub fn longest_key(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .failures
            .keys()
            .map(String::len)
            .max()
            .unwrap_or(0)
    }
}

/// The keys of one login attempt (each built by [`LoginThrottle::key`]): the client address,
/// the (address, username) pair and the username. The address and the pair are limited to
/// the throttle's `max` failures; once the username has `max` failures from all addresses
/// together, the pair is limited to one.
pub struct LoginKeys<'a> {
    pub ip: &'a str,
    pub pair: &'a str,
    pub user: &'a str,
}

/// A login attempt started by [`LoginThrottle::begin_attempt`], recorded as a failure until
/// it is ended otherwise.
#[derive(Debug)]
#[must_use = "end the attempt with succeeded, failed or abandoned"]
pub struct Attempt {
    /// Each key, with the failure that recording this attempt pushed out of it.
    keys: Vec<(String, Option<i64>)>,
    pair: String,
    at: i64,
}

/// Removes the failure `attempt` recorded (the newest one of its time) from each of its keys,
/// and puts back the older failure it had pushed out.
fn take_back(s: &mut State, attempt: &Attempt) {
    for (k, out) in &attempt.keys {
        if let Some(q) = s.failures.get_mut(k) {
            if let Some(i) = q.iter().rposition(|t| *t == attempt.at) {
                q.remove(i);
                if let Some(t) = out {
                    q.push_front(*t);
                }
            }
            if q.is_empty() {
                s.failures.remove(k);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_failures_and_releases() {
        let t = LoginThrottle::new(3, 300);
        let keys = ["ip:1", "user:a"];
        let limits = [("ip:1", 3), ("user:a", 3)];
        for i in 0..3 {
            assert_eq!(t.blocked_for(&limits, 100 + i), None);
            t.record_failure(&keys, 100 + i);
        }
        assert_eq!(t.blocked_for(&limits, 110), Some(290));
        assert_eq!(t.blocked_for(&[("user:a", 3)], 110), Some(290));
        assert_eq!(t.blocked_for(&[("user:b", 3)], 110), None);
        assert_eq!(t.blocked_for(&limits, 401), None);
        t.clear("user:a");
        assert_eq!(t.blocked_for(&[("user:a", 3)], 110), None);
    }

    #[test]
    fn attempts_are_counted_when_they_begin() {
        let t = LoginThrottle::new(3, 300);
        let keys = LoginKeys {
            ip: "ip:1",
            pair: "pair:1:a",
            user: "user:a",
        };
        // Three attempts in flight at once fill the limit; a fourth is refused before any ends.
        let started: Vec<Attempt> = (0..3)
            .map(|_| t.begin_attempt(&keys, 100).unwrap())
            .collect();
        assert_eq!(t.begin_attempt(&keys, 100).unwrap_err(), 300);
        let mut started = started.into_iter();
        // A success takes its attempt back and clears the pair; an undecided one is taken back.
        t.succeeded(started.next().unwrap());
        assert_eq!(
            (t.failures("ip:1", 100), t.failures("pair:1:a", 100)),
            (2, 0)
        );
        t.abandoned(started.next().unwrap());
        t.failed(started.next().unwrap());
        assert_eq!((t.failures("ip:1", 100), t.failures("user:a", 100)), (1, 1));
        // Taking an attempt back restores the failure it had pushed out of a full key.
        for i in 0..2 {
            t.record_failure(&["user:a"], 101 + i);
        }
        assert_eq!(t.failures("user:a", 110), 3);
        let other = LoginKeys {
            ip: "ip:2",
            pair: "pair:2:a",
            user: "user:a",
        };
        let a = t.begin_attempt(&other, 110);
        // `user:a` has 3 failures (the max): an address that never failed may still try.
        let a = a.unwrap();
        t.succeeded(a);
        assert_eq!(t.failures("user:a", 110), 3);
        // ... but one that failed for it once is blocked for it.
        t.record_failure(&["pair:1:a"], 110);
        assert_eq!(t.begin_attempt(&keys, 110).unwrap_err(), 300);
    }

    #[test]
    fn a_lower_limit_blocks_until_enough_failures_expire() {
        let t = LoginThrottle::new(3, 300);
        t.record_failure(&["k"], 100);
        t.record_failure(&["k"], 150);
        assert_eq!(t.failures("k", 160), 2);
        // Limit 1: wait until both have left the window (the newer at 450).
        assert_eq!(t.blocked_for(&[("k", 1)], 160), Some(290));
        // Limit 2: the older one leaving (at 400) is enough.
        assert_eq!(t.blocked_for(&[("k", 2)], 160), Some(240));
        assert_eq!(t.blocked_for(&[("k", 3)], 160), None);
        assert_eq!(t.failures("k", 420), 1);
    }

    #[test]
    fn long_key_parts_are_hashed() {
        let t = LoginThrottle::new(3, 300);
        let long = "x".repeat(1_000_000);
        let k = t.key("user", &long);
        assert!(k.len() <= 32, "{}", k.len());
        assert_eq!(k, t.key("user", &long));
        assert_ne!(k, t.key("user", &format!("{long}y")));
        assert_eq!(t.key("user", "maria"), "user:maria");
        assert_eq!(
            t.key("user", &"a".repeat(64)),
            format!("user:{}", "a".repeat(64))
        );
        t.record_failure(&[&k], 1);
        assert!(t.longest_key() <= 32);
    }

    #[test]
    fn expired_entries_are_swept() {
        let t = LoginThrottle::new(3, 300);
        for i in 0..100 {
            t.record_failure(&[&format!("user:{i}")], 1_000);
        }
        assert_eq!(t.len(), 100);
        // Still inside the window: kept.
        t.record_failure(&["ip:1"], 1_100);
        assert_eq!(t.len(), 101);
        // Once their window has passed, the next call sweeps them, even a read.
        assert_eq!(t.blocked_for(&[("ip:2", 3)], 1_300), None);
        assert_eq!(t.len(), 1);
        assert_eq!(t.failures("ip:1", 1_400), 0);
        assert!(t.is_empty());
    }

    #[test]
    fn the_map_never_exceeds_its_capacity_and_keeps_the_newest() {
        let t = LoginThrottle::with_capacity(3, 300, 100);
        for i in 0..10_000 {
            t.record_failure(&[&format!("user:{i}"), "ip:attacker"], 1_000 + i / 100);
            assert!(t.len() <= 100);
        }
        // The key that keeps failing is among the most recent and has the most failures, so
        // it is never evicted; the oldest are.
        assert_eq!(t.failures("ip:attacker", 1_100), 3);
        assert_eq!(t.failures("user:0", 1_100), 0);
    }
}
