//! Open sockets per agent across instances: each instance keeps its own counts in a hash that
//! expires unless its heartbeat refreshes it, and lists itself in a sorted set of live
//! instances scored by that heartbeat.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use atendimento::presenca::ports::SocketPresence;
use parking_lot::Mutex;
use redis::Script;
use redis::aio::ConnectionManager;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use crate::{RateLimit, WARN_EVERY};

/// Rewrites this instance's whole hash and refreshes its heartbeat, on Redis' clock.
/// KEYS: the instances set, this instance's hash. ARGV: instance id, TTL (ms), then
/// agent, count pairs.
const HEARTBEAT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('DEL', KEYS[2])
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
if #ARGV >= 4 then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('(%d', now - ttl))
if redis.call('PTTL', KEYS[1]) < 2 * ttl then
  redis.call('PEXPIRE', KEYS[1], 2 * ttl)
end
return 0
";

/// The sockets of one agent on every live instance but this one, on Redis' clock.
/// KEYS: the instances set. ARGV: TTL (ms), own id, hash key prefix, agent.
const COUNT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local live = redis.call('ZRANGEBYSCORE', KEYS[1], string.format('(%d', now - tonumber(ARGV[1])), '+inf')
local total = 0
for _, id in ipairs(live) do
  if id ~= ARGV[2] then
    local n = redis.call('HGET', ARGV[3] .. id, ARGV[4])
    if n then
      total = total + tonumber(n)
    end
  end
end
return total
";

/// Socket presence settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceOptions {
    /// An instance whose last heartbeat is older than this no longer counts (and its hash
    /// expires).
    pub ttl: Duration,
    /// How often each instance rewrites its counts and refreshes its heartbeat; well below
    /// `ttl` (a third of it by default).
    pub heartbeat: Duration,
}

impl Default for PresenceOptions {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(30),
            heartbeat: Duration::from_secs(10),
        }
    }
}

#[derive(Default)]
struct State {
    local: Mutex<HashMap<i64, usize>>,
    /// Agents whose count changed since the writer last looked.
    dirty: Mutex<HashSet<i64>>,
    wake: Notify,
}

/// Where an instance's counts live.
#[derive(Clone)]
struct Keys {
    instances: String,
    /// `P:sockets:`, followed by an instance id.
    hashes: String,
    own_hash: String,
    instance: String,
}

/// [`SocketPresence`] across instances.
///
/// * `P:sockets:<instance>` is a hash agent → open sockets on that instance, with a TTL;
///   `P:instances` is a sorted set of instance ids scored by their last heartbeat (Redis
///   server time, ms).
/// * [`Self::set_local`] (from the hub's `on_connection_change`) updates a local map and
///   wakes a background writer that `HSET`s/`HDEL`s the changed agents; every
///   [`PresenceOptions::heartbeat`] the writer rewrites the whole hash (so a flushed or
///   expired hash heals) and refreshes the heartbeat.
/// * [`SocketPresence::open_sockets`] is the local count plus, in one script, the counts of
///   every other instance whose heartbeat is younger than the TTL. An instance that died
///   stops counting once its heartbeat is older than the TTL; one shut down with
///   [`Self::shutdown`] at once. When Redis is unreachable the answer is the local count.
///
/// Dropping it stops the writer (its entries then expire after the TTL).
pub struct RedisSocketPresence {
    state: Arc<State>,
    manager: ConnectionManager,
    keys: Keys,
    ttl: Duration,
    command_timeout: Duration,
    count: Script,
    writer: AbortHandle,
    log: RateLimit,
}

impl std::fmt::Debug for RedisSocketPresence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSocketPresence")
            .field("instance", &self.keys.instance)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl RedisSocketPresence {
    /// Starts the presence of `instance` under `prefix` and its background writer (inside a
    /// Tokio runtime). The first heartbeat is written at once.
    pub fn start(
        manager: ConnectionManager,
        prefix: &str,
        instance: &str,
        options: PresenceOptions,
        command_timeout: Duration,
    ) -> Self {
        let hashes = format!("{prefix}:sockets:");
        let keys = Keys {
            instances: format!("{prefix}:instances"),
            own_hash: format!("{hashes}{instance}"),
            hashes,
            instance: instance.to_string(),
        };
        let ttl = options.ttl.max(Duration::from_millis(10));
        let state = Arc::new(State::default());
        let writer = Writer {
            state: Arc::clone(&state),
            manager: manager.clone(),
            keys: keys.clone(),
            ttl,
            command_timeout,
            heartbeat: Script::new(HEARTBEAT),
            log: RateLimit::new(WARN_EVERY),
        };
        let every = options.heartbeat.max(Duration::from_millis(10));
        let writer = tokio::spawn(writer.run(every)).abort_handle();
        Self {
            state,
            manager,
            keys,
            ttl,
            command_timeout,
            count: Script::new(COUNT),
            writer,
            log: RateLimit::new(WARN_EVERY),
        }
    }

    /// Records that `agent` has `count` sockets open on this instance. Never waits: the
    /// write to Redis happens in the background.
    pub fn set_local(&self, agent: i64, count: usize) {
        {
            let mut local = self.state.local.lock();
            if count == 0 {
                local.remove(&agent);
            } else {
                local.insert(agent, count);
            }
        }
        self.state.dirty.lock().insert(agent);
        self.state.wake.notify_one();
    }

    /// The sockets `agent` has open on this instance.
    pub fn local_count(&self, agent: i64) -> usize {
        self.state.local.lock().get(&agent).copied().unwrap_or(0)
    }

    /// [`Self::set_local`] as a listener for `Hub::on_connection_change`.
    pub fn listener(self: &Arc<Self>) -> Arc<dyn Fn(i64, usize) + Send + Sync> {
        let presence = Arc::clone(self);
        Arc::new(move |agent, count| presence.set_local(agent, count))
    }

    /// Stops the writer and removes this instance's entries, so that the other instances stop
    /// counting its sockets at once.
    pub async fn shutdown(&self) {
        self.writer.abort();
        let mut pipe = redis::pipe();
        pipe.cmd("DEL").arg(&self.keys.own_hash).ignore();
        pipe.cmd("ZREM")
            .arg(&self.keys.instances)
            .arg(&self.keys.instance)
            .ignore();
        let mut manager = self.manager.clone();
        let done =
            tokio::time::timeout(self.command_timeout, pipe.query_async::<()>(&mut manager)).await;
        if !matches!(done, Ok(Ok(()))) {
            tracing::warn!("redis presence: could not remove this instance's entries");
        }
    }
}

impl Drop for RedisSocketPresence {
    fn drop(&mut self) {
        self.writer.abort();
    }
}

#[async_trait]
impl SocketPresence for RedisSocketPresence {
    async fn open_sockets(&self, agent: i64) -> kernel::Result<usize> {
        let local = self.local_count(agent);
        let mut manager = self.manager.clone();
        let mut invocation = self.count.key(&self.keys.instances);
        invocation
            .arg(self.ttl.as_millis() as u64)
            .arg(&self.keys.instance)
            .arg(&self.keys.hashes)
            .arg(agent);
        let others = tokio::time::timeout(
            self.command_timeout,
            invocation.invoke_async::<i64>(&mut manager),
        )
        .await;
        match others {
            Ok(Ok(n)) => Ok(local + n.max(0) as usize),
            other => {
                if self.log.ready() {
                    let error = match other {
                        Ok(Err(e)) => e.to_string(),
                        _ => "timed out".to_string(),
                    };
                    tracing::warn!(
                        error,
                        "redis presence unavailable: counting this instance's sockets only"
                    );
                }
                Ok(local)
            }
        }
    }
}

/// The background task that mirrors the local counts into Redis.
struct Writer {
    state: Arc<State>,
    manager: ConnectionManager,
    keys: Keys,
    ttl: Duration,
    command_timeout: Duration,
    heartbeat: Script,
    log: RateLimit,
}

impl Writer {
    async fn run(mut self, every: Duration) {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => self.beat().await,
                _ = self.state.wake.notified() => self.flush().await,
            }
        }
    }

    /// Rewrites the whole hash and refreshes the heartbeat.
    async fn beat(&mut self) {
        // Everything is written now, changes included.
        self.state.dirty.lock().clear();
        let counts: Vec<(i64, usize)> = self
            .state
            .local
            .lock()
            .iter()
            .map(|(a, c)| (*a, *c))
            .collect();
        let mut invocation = self.heartbeat.key(&self.keys.instances);
        invocation
            .key(&self.keys.own_hash)
            .arg(&self.keys.instance)
            .arg(self.ttl.as_millis() as u64);
        for (agent, count) in counts {
            invocation.arg(agent).arg(count);
        }
        let done = tokio::time::timeout(
            self.command_timeout,
            invocation.invoke_async::<i64>(&mut self.manager),
        )
        .await;
        self.check(done.map(|r| r.map(drop)), "heartbeat");
    }

    /// Writes the agents that changed since the last write.
    async fn flush(&mut self) {
        let dirty: Vec<i64> = self.state.dirty.lock().drain().collect();
        if dirty.is_empty() {
            return;
        }
        let mut pipe = redis::pipe();
        {
            let local = self.state.local.lock();
            for agent in dirty {
                match local.get(&agent) {
                    Some(count) => pipe
                        .cmd("HSET")
                        .arg(&self.keys.own_hash)
                        .arg(agent)
                        .arg(*count)
                        .ignore(),
                    None => pipe
                        .cmd("HDEL")
                        .arg(&self.keys.own_hash)
                        .arg(agent)
                        .ignore(),
                };
            }
        }
        pipe.cmd("PEXPIRE")
            .arg(&self.keys.own_hash)
            .arg(self.ttl.as_millis() as u64)
            .ignore();
        let done = tokio::time::timeout(
            self.command_timeout,
            pipe.query_async::<()>(&mut self.manager),
        )
        .await;
        // A failed write is healed by the next heartbeat.
        self.check(done, "update");
    }

    fn check(&self, done: Result<redis::RedisResult<()>, tokio::time::error::Elapsed>, what: &str) {
        let error = match done {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e.to_string(),
            Err(_) => "timed out".to_string(),
        };
        if self.log.ready() {
            tracing::warn!(
                error,
                what,
                "redis presence: could not write this instance's socket counts"
            );
        }
    }
}
