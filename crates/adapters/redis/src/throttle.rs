//! The login throttle on Redis: each key is a sorted set of failures scored by their time,
//! checked and recorded in one Lua script, so that any number of instances and parallel
//! requests get at most the limit of attempts through per window.

use std::time::Duration;

use async_trait::async_trait;
use authz::throttle::MAX_KEY_PART;
use authz::{Attempt, LoginAttempts, ThrottleLimit};
use redis::Script;
use redis::aio::ConnectionManager;
use sha2::{Digest, Sha256};

use crate::{RateLimit, WARN_EVERY};

/// Check-and-record. KEYS: the limited keys, then the keys to record the attempt against.
/// ARGV: now, window, number of limits, member, then each limit.
/// Returns 0 when admitted (recorded), else the seconds to wait (nothing recorded).
const ATTEMPT: &str = r"
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local nlimits = tonumber(ARGV[3])
local member = ARGV[4]
local cutoff = now - window
local wait = 0
for i = 1, nlimits do
  local key = KEYS[i]
  local limit = tonumber(ARGV[4 + i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    -- Attempts resume once count - limit + 1 failures have left the window.
    local at = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    local w = tonumber(at[2]) + window - now
    if w < 1 then w = 1 end
    if w > wait then wait = w end
  end
end
if wait > 0 then
  return wait
end
for i = nlimits + 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', cutoff)
  redis.call('ZADD', KEYS[i], now, member)
  redis.call('EXPIRE', KEYS[i], window)
end
return 0
";

/// [`LoginAttempts`] shared by every instance through Redis.
///
/// * Key `P:throttle:<key>` is a sorted set of failures, scored by their time (seconds, the
///   caller's `now`); members are `<at>:<random>`, unique per attempt; it expires `window`
///   seconds after its newest failure.
/// * [`LoginAttempts::attempt`] is one script: it drops the failures that left the window,
///   checks every limit and, when none is reached, records the attempt's failure against
///   every key. [`LoginAttempts::succeeded`] and [`LoginAttempts::abandoned`] remove that
///   member again (the attempt's `restore` carries its random part).
/// * **Fails open**: when Redis cannot be reached within the command timeout, `attempt`
///   admits (and logs a rate-limited warning) so that logins keep working while Redis is
///   down; `failures` answers 0 then.
#[derive(Clone)]
pub struct RedisLoginAttempts {
    manager: ConnectionManager,
    namespace: String,
    max: usize,
    window: i64,
    command_timeout: Duration,
    script: Script,
    log: std::sync::Arc<RateLimit>,
}

impl std::fmt::Debug for RedisLoginAttempts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLoginAttempts")
            .field("namespace", &self.namespace)
            .field("max", &self.max)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl RedisLoginAttempts {
    /// At most `max` failures remembered per key for `window_secs` seconds, under `prefix`
    /// (the instances' shared prefix). Commands time out after 1 s unless
    /// [`Self::with_command_timeout`] says otherwise.
    pub fn new(manager: ConnectionManager, prefix: &str, max: usize, window_secs: i64) -> Self {
        Self {
            manager,
            namespace: format!("{prefix}:throttle:"),
            max: max.max(1),
            window: window_secs.max(1),
            command_timeout: Duration::from_secs(1),
            script: Script::new(ATTEMPT),
            log: std::sync::Arc::new(RateLimit::new(WARN_EVERY)),
        }
    }

    pub fn with_command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// The window, in seconds.
    pub fn window(&self) -> i64 {
        self.window
    }

    fn redis_key(&self, key: &str) -> String {
        format!("{}{key}", self.namespace)
    }

    fn warn(&self, what: &str, error: &str) {
        if self.log.ready() {
            tracing::warn!(
                error,
                "redis login throttle unavailable ({what}): failing open, logins are not throttled"
            );
        }
    }

    /// Runs a command within the timeout; `Err` carries a printable reason.
    async fn run<T: redis::FromRedisValue>(
        &self,
        call: impl AsyncFnOnce(&mut ConnectionManager) -> redis::RedisResult<T>,
    ) -> Result<T, String> {
        let mut manager = self.manager.clone();
        match tokio::time::timeout(self.command_timeout, call(&mut manager)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out".to_string()),
        }
    }

    /// Removes the failure the attempt recorded (when it recorded one), and deletes `clear`.
    async fn withdraw(&self, attempt: &Attempt, clear: &[String]) {
        let nonce = attempt.restore.first().copied().flatten();
        let mut pipe = redis::pipe();
        if let Some(nonce) = nonce {
            let member = member(attempt.at, nonce);
            for key in &attempt.keys {
                pipe.cmd("ZREM")
                    .arg(self.redis_key(key))
                    .arg(&member)
                    .ignore();
            }
        }
        for key in clear {
            pipe.cmd("DEL").arg(self.redis_key(key)).ignore();
        }
        if pipe.is_empty() {
            return;
        }
        if let Err(e) = self.run::<()>(async |c| pipe.query_async(c).await).await {
            self.warn("withdraw", &e);
        }
    }
}

/// The sorted-set member of an attempt's failure.
fn member(at: i64, nonce: i64) -> String {
    format!("{at}:{:016x}", nonce as u64)
}

#[async_trait]
impl LoginAttempts for RedisLoginAttempts {
    /// `prefix:part`, or `prefix#<96-bit SHA-256 of part, in hex>` when `part` is longer
    /// than [`MAX_KEY_PART`] bytes. The same on every instance.
    fn key(&self, prefix: &str, part: &str) -> String {
        if part.len() <= MAX_KEY_PART {
            format!("{prefix}:{part}")
        } else {
            let digest = Sha256::digest(part.as_bytes());
            format!("{prefix}#{}", hex::encode(&digest[..12]))
        }
    }

    fn max(&self) -> usize {
        self.max
    }

    async fn failures(&self, key: &str, now: i64) -> usize {
        let key = self.redis_key(key);
        let lower = format!("({}", now - self.window);
        let count = self
            .run::<usize>(async |c| {
                redis::cmd("ZCOUNT")
                    .arg(&key)
                    .arg(&lower)
                    .arg("+inf")
                    .query_async(c)
                    .await
            })
            .await;
        count.unwrap_or_else(|e| {
            self.warn("failures", &e);
            0
        })
    }

    async fn attempt(
        &self,
        limits: &[ThrottleLimit],
        keys: &[String],
        now: i64,
    ) -> Result<Attempt, u64> {
        let nonce = uuid::Uuid::new_v4().as_u64_pair().0 as i64;
        let mut invocation = self.script.prepare_invoke();
        for limit in limits {
            invocation.key(self.redis_key(&limit.key));
        }
        for key in keys {
            invocation.key(self.redis_key(key));
        }
        invocation
            .arg(now)
            .arg(self.window)
            .arg(limits.len())
            .arg(member(now, nonce));
        for limit in limits {
            invocation.arg(limit.limit.clamp(1, self.max));
        }
        let admitted = |restore| Attempt {
            keys: keys.to_vec(),
            at: now,
            restore,
        };
        match self
            .run::<i64>(async |c| invocation.invoke_async(c).await)
            .await
        {
            Ok(0) => Ok(admitted(vec![Some(nonce); keys.len()])),
            Ok(wait) => Err(wait.max(1) as u64),
            Err(e) => {
                self.warn("attempt", &e);
                // Nothing was recorded: nothing to withdraw later.
                Ok(admitted(Vec::new()))
            }
        }
    }

    async fn failed(&self, _attempt: Attempt) {
        // Recorded when it was admitted.
    }

    async fn succeeded(&self, attempt: Attempt, clear: &[String]) {
        self.withdraw(&attempt, clear).await;
    }

    async fn abandoned(&self, attempt: Attempt) {
        self.withdraw(&attempt, &[]).await;
    }
}
