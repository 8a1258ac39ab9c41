//! Redis adapters that let several server instances share their state: the real-time event
//! broker ([`RedisBroker`], an [`adapter_realtime::Broker`]), cache invalidations
//! ([`RedisInvalidations`], a [`kernel::CacheInvalidation`]), the login throttle
//! ([`RedisLoginAttempts`], an [`authz::LoginAttempts`]) and the count of open sockets per
//! agent ([`RedisSocketPresence`], an [`atendimento::presenca::ports::SocketPresence`]).
//!
//! [`RedisShared::connect`] opens the connections of one instance, gives it a random instance
//! id, and hands out the adapters.
//!
//! # Connections
//!
//! * Commands go through one shared [`redis::aio::ConnectionManager`] (multiplexed, reconnects
//!   by itself). Every command is bounded by [`RedisOptions::command_timeout`].
//! * Pub/sub runs on a connection of its own, owned by one subscriber task that subscribes to
//!   both channels below. When that connection is lost (or stops answering its periodic PING)
//!   the task logs a warning and reconnects with an exponential backoff from 100 ms up to
//!   5 s, and logs once it is back. Messages published while it is away are lost (caches bound
//!   the staleness of a lost invalidation with their own expiry; a socket misses the events).
//!
//! # Keys and channels (`P` is the configured prefix)
//!
//! | key / channel | what |
//! |---|---|
//! | `P:events` (channel) | real-time events: JSON `{"o": origin, "a": audience, "n": name, "f": frame}` |
//! | `P:invalidations` (channel) | cache invalidations: JSON `{"o": origin, "c": cache, "k": key or null}` |
//! | `P:throttle:<key>` | sorted set of the failures of one throttle key, scored by their time (s); expires after the window |
//! | `P:instances` | sorted set of live instance ids, scored by their last heartbeat (Redis server time, ms) |
//! | `P:sockets:<instance>` | hash agent → open sockets on that instance; expires after the presence TTL |
//!
//! # Ordering and delivery
//!
//! `publish` (events and invalidations alike) never blocks: it encodes the message and pushes
//! it onto one bounded queue. A single publisher task drains that queue in order and sends
//! what is waiting as one pipeline of `PUBLISH` commands (one `PUBLISH` per message, never
//! retried), so the messages of one instance reach the others in the order they were
//! published. Each instance ignores the messages it published itself (by the origin id in
//! the payload): the hub already delivered those to its own sockets, and
//! [`RedisInvalidations`]' `publish` already ran its own subscribers before returning.
//!
//! # When Redis is down
//!
//! Nothing blocks and nothing panics; every adapter degrades to this instance alone:
//! * events and invalidations still reach this instance's sockets and caches; the forwards
//!   are dropped (when the queue is full, when a pipeline fails, or when they waited longer
//!   than [`RedisOptions::forward_max_age`]) and counted in [`RedisMetrics::forwards_dropped`];
//! * the login throttle fails **open**: an attempt it cannot check is admitted (logins keep
//!   working) and a warning is logged; the throttle is back as soon as Redis is;
//! * [`RedisSocketPresence`]'s `open_sockets` answers with this instance's own count;
//! * warnings about the outage are rate limited (one per kind every 10 s).
//!
//! [`RedisShared::connect`] itself fails when Redis is unreachable at start-up;
//! [`RedisShared::connect_lazy`] starts without it and connects when it can.
//!
//! # Deployment notes
//!
//! * One standalone Redis (or a primary with replicas), not Redis Cluster: the presence
//!   script reads the hashes of the live instances it finds, keys it cannot declare up front.
//! * `redis://` and `rediss://` (TLS, rustls) URLs are understood.
//! * Heartbeats and presence ages use the Redis server's clock (`TIME`), so the instances'
//!   clocks need not agree; the throttle scores failures with the caller's `now`.
//!
//! # Wiring (one instance)
//!
//! ```text
//! let redis = RedisShared::connect(&url, "dxconnect").await?;
//! let hub = Hub::with_broker(hub_config, redis.broker());
//! let invalidations: Arc<dyn CacheInvalidation> = redis.invalidations();
//! let throttle: Arc<dyn LoginAttempts> = Arc::new(redis.login_attempts(max, window_secs));
//! let presence = redis.socket_presence();
//! hub.on_connection_change(presence.listener());
//! let sockets: Arc<dyn SocketPresence> = presence;
//! // at shutdown:
//! redis.shutdown().await;
//! ```

mod bus;
mod cep;
mod presence;
mod throttle;
mod wire;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use kernel::LocalInvalidations;
use parking_lot::{Mutex, RwLock};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

pub use bus::{RedisBroker, RedisInvalidations};
pub use cep::RedisCepCache;
pub use presence::{PresenceOptions, RedisSocketPresence};
/// The Redis client crate, re-exported so that callers can name its types.
pub use redis;
pub use throttle::RedisLoginAttempts;
pub use wire::{FALLBACK_EVENT_NAME, MAX_EVENT_NAMES};

/// Settings of one instance's Redis adapters.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    /// Prefix of every key and channel (e.g. `dxconnect`); instances sharing state must use
    /// the same one.
    pub prefix: String,
    /// Upper bound of one command (or one pipeline), reconnection included.
    pub command_timeout: Duration,
    /// Upper bound of one connection attempt.
    pub connect_timeout: Duration,
    /// Messages (events and invalidations) waiting to be published; beyond it they are dropped.
    pub publish_queue: usize,
    /// A message that waited longer than this for the publisher (Redis was away) is dropped
    /// rather than sent late.
    pub forward_max_age: Duration,
    /// How often the subscriber checks its connection with a PING.
    pub pubsub_ping_interval: Duration,
    /// Socket presence: TTL and heartbeat.
    pub presence: PresenceOptions,
}

impl RedisOptions {
    /// The defaults, under `prefix`.
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_string(),
            command_timeout: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(2),
            publish_queue: 4096,
            forward_max_age: Duration::from_secs(5),
            pubsub_ping_interval: Duration::from_secs(5),
            presence: PresenceOptions::default(),
        }
    }
}

/// Why the adapters could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL is not a Redis URL.
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(#[source] redis::RedisError),
    /// Redis refused or failed the first connection.
    #[error("Redis unreachable: {0}")]
    Unreachable(#[source] redis::RedisError),
    /// Redis did not answer within the connect timeout.
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
}

impl From<Error> for kernel::DomainError {
    fn from(e: Error) -> Self {
        kernel::DomainError::internal(e)
    }
}

/// Counters of one instance's Redis traffic, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedisMetrics {
    /// Events this instance published to Redis.
    pub events_published: u64,
    /// Events received from other instances.
    pub events_received: u64,
    /// Invalidations this instance published to Redis.
    pub invalidations_published: u64,
    /// Invalidations received from other instances.
    pub invalidations_received: u64,
    /// Messages of this instance that were not forwarded (queue full, Redis failing, too old).
    pub forwards_dropped: u64,
    /// Own messages received back and ignored.
    pub own_ignored: u64,
    /// Times the pub/sub connection was re-established after being lost.
    pub reconnects: u64,
    /// Whether the pub/sub connection is subscribed right now.
    pub subscribed: bool,
}

#[derive(Default)]
pub(crate) struct Metrics {
    pub(crate) events_published: AtomicU64,
    pub(crate) events_received: AtomicU64,
    pub(crate) invalidations_published: AtomicU64,
    pub(crate) invalidations_received: AtomicU64,
    pub(crate) forwards_dropped: AtomicU64,
    pub(crate) own_ignored: AtomicU64,
    pub(crate) reconnects: AtomicU64,
    pub(crate) subscribed: AtomicBool,
}

impl Metrics {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn snapshot(&self) -> RedisMetrics {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        RedisMetrics {
            events_published: get(&self.events_published),
            events_received: get(&self.events_received),
            invalidations_published: get(&self.invalidations_published),
            invalidations_received: get(&self.invalidations_received),
            forwards_dropped: get(&self.forwards_dropped),
            own_ignored: get(&self.own_ignored),
            reconnects: get(&self.reconnects),
            subscribed: self.subscribed.load(Ordering::Relaxed),
        }
    }
}

/// Lets one log line through at most every `every`.
pub(crate) struct RateLimit {
    every_ms: u64,
    /// Milliseconds since [`process_start`] (shifted by `every_ms`) of the last line let
    /// through.
    last: AtomicU64,
}

fn process_start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

impl RateLimit {
    pub(crate) fn new(every: Duration) -> Self {
        Self {
            every_ms: every.as_millis() as u64,
            last: AtomicU64::new(0),
        }
    }

    /// Whether a line may be logged now.
    pub(crate) fn ready(&self) -> bool {
        // Shifted so that the very first call is let through.
        let now = process_start().elapsed().as_millis() as u64 + self.every_ms;
        let last = self.last.load(Ordering::Relaxed);
        now.saturating_sub(last) >= self.every_ms
            && self
                .last
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// How often a warning about the same outage is repeated.
pub(crate) const WARN_EVERY: Duration = Duration::from_secs(10);

/// What the broker, the invalidations and the publisher share.
pub(crate) struct Core {
    pub(crate) instance: Arc<str>,
    pub(crate) outbox: mpsc::Sender<bus::Outgoing>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) deliver: Arc<RwLock<Option<adapter_realtime::Deliver>>>,
    pub(crate) local: Arc<LocalInvalidations>,
    pub(crate) drop_log: RateLimit,
    tasks: Mutex<Vec<AbortHandle>>,
}

impl Drop for Core {
    fn drop(&mut self) {
        for task in self.tasks.get_mut().drain(..) {
            task.abort();
        }
    }
}

/// One instance's connection to the shared Redis, and the adapters built on it.
pub struct RedisShared {
    options: RedisOptions,
    manager: ConnectionManager,
    core: Arc<Core>,
    broker: Arc<RedisBroker>,
    invalidations: Arc<RedisInvalidations>,
    presence: OnceLock<Arc<RedisSocketPresence>>,
}

impl std::fmt::Debug for RedisShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisShared")
            .field("instance", &self.core.instance)
            .field("prefix", &self.options.prefix)
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

impl RedisShared {
    /// Connects to `url` with the default options under `prefix`. Fails when Redis cannot be
    /// reached now; once connected, every adapter survives Redis going away and coming back.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, Error> {
        Self::connect_with(url, RedisOptions::new(prefix)).await
    }

    /// [`Self::connect`] with explicit options. On return the command connection is up and
    /// the pub/sub connection is subscribed.
    pub async fn connect_with(url: &str, options: RedisOptions) -> Result<Self, Error> {
        let client = redis::Client::open(url).map_err(Error::InvalidUrl)?;
        let manager = tokio::time::timeout(
            options.connect_timeout,
            ConnectionManager::new_with_config(client.clone(), manager_config(&options)),
        )
        .await
        .map_err(|_| Error::Timeout(options.connect_timeout))?
        .map_err(Error::Unreachable)?;
        let channels = bus::Channels::new(&options.prefix);
        let pubsub = tokio::time::timeout(options.connect_timeout, channels.subscribe(&client))
            .await
            .map_err(|_| Error::Timeout(options.connect_timeout))?
            .map_err(Error::Unreachable)?;
        Ok(Self::assemble(client, manager, Some(pubsub), options))
    }

    /// Sets the adapters up without waiting for Redis (it may be down at start-up): commands
    /// fail (and the adapters degrade as the crate documentation says) until it is reachable.
    /// Fails only on an invalid URL. Must be called inside a Tokio runtime.
    pub fn connect_lazy(url: &str, options: RedisOptions) -> Result<Self, Error> {
        let client = redis::Client::open(url).map_err(Error::InvalidUrl)?;
        let manager =
            ConnectionManager::new_lazy_with_config(client.clone(), manager_config(&options))
                .map_err(Error::InvalidUrl)?;
        Ok(Self::assemble(client, manager, None, options))
    }

    fn assemble(
        client: redis::Client,
        manager: ConnectionManager,
        pubsub: Option<redis::aio::PubSub>,
        options: RedisOptions,
    ) -> Self {
        let instance: Arc<str> = Arc::from(uuid::Uuid::new_v4().simple().to_string());
        let metrics = Arc::new(Metrics::default());
        let deliver = Arc::new(RwLock::new(None));
        let local = Arc::new(LocalInvalidations::default());
        let channels = bus::Channels::new(&options.prefix);
        let (outbox, queue) = mpsc::channel(options.publish_queue.max(1));

        let publisher = tokio::spawn(bus::run_publisher(
            queue,
            manager.clone(),
            channels.clone(),
            Arc::clone(&metrics),
            options.command_timeout,
            options.forward_max_age,
        ));
        let inbound = bus::Inbound {
            instance: Arc::clone(&instance),
            channels,
            deliver: Arc::clone(&deliver),
            local: Arc::clone(&local),
            metrics: Arc::clone(&metrics),
        };
        let subscriber = tokio::spawn(bus::run_subscriber(
            client,
            pubsub,
            inbound,
            options.connect_timeout,
            options.pubsub_ping_interval,
        ));
        tracing::info!(
            instance = &*instance,
            prefix = options.prefix,
            "redis adapters started"
        );

        let core = Arc::new(Core {
            instance,
            outbox,
            metrics,
            deliver,
            local,
            drop_log: RateLimit::new(WARN_EVERY),
            // The publisher ends by itself once every sender is gone; the subscriber is
            // stopped with the core.
            tasks: Mutex::new(vec![subscriber.abort_handle()]),
        });
        drop(publisher);
        Self {
            broker: Arc::new(RedisBroker::new(Arc::clone(&core))),
            invalidations: Arc::new(RedisInvalidations::new(Arc::clone(&core))),
            presence: OnceLock::new(),
            manager,
            core,
            options,
        }
    }

    /// This instance's random id (the origin of its messages, its presence entry).
    pub fn instance_id(&self) -> &str {
        &self.core.instance
    }

    pub fn options(&self) -> &RedisOptions {
        &self.options
    }

    /// The shared command connection (cheap to clone).
    pub fn connection(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// The event broker, for `adapter_realtime::Hub::with_broker`.
    pub fn broker(&self) -> Arc<RedisBroker> {
        Arc::clone(&self.broker)
    }

    /// The cache-invalidation bus (one per instance: every cache subscribes to it).
    pub fn invalidations(&self) -> Arc<RedisInvalidations> {
        Arc::clone(&self.invalidations)
    }

    /// A login throttle remembering at most `max` failures per key for `window_secs` seconds,
    /// shared by every instance with the same prefix.
    pub fn login_attempts(&self, max: usize, window_secs: i64) -> RedisLoginAttempts {
        RedisLoginAttempts::new(self.manager.clone(), &self.options.prefix, max, window_secs)
            .with_command_timeout(self.options.command_timeout)
    }

    /// This instance's socket presence; its heartbeat task starts on the first call (which
    /// must be inside a Tokio runtime). Later calls return the same one.
    pub fn socket_presence(&self) -> Arc<RedisSocketPresence> {
        Arc::clone(self.presence.get_or_init(|| {
            Arc::new(RedisSocketPresence::start(
                self.manager.clone(),
                &self.options.prefix,
                &self.core.instance,
                self.options.presence,
                self.options.command_timeout,
            ))
        }))
    }

    /// The traffic counters so far.
    /// `inner` (the CEP providers) behind a cache of the addresses found, shared with every
    /// instance of this prefix for `ttl`.
    pub fn cep_cache(
        &self,
        inner: Arc<dyn kernel::cep::CepLookup>,
        ttl: Duration,
    ) -> Arc<dyn kernel::cep::CepLookup> {
        Arc::new(RedisCepCache::new(
            inner,
            self.manager.clone(),
            &self.options.prefix,
            ttl,
            self.options.command_timeout,
        ))
    }

    pub fn metrics(&self) -> RedisMetrics {
        self.core.metrics.snapshot()
    }

    /// Graceful shutdown: removes this instance's presence entries at once (the other
    /// instances stop counting its sockets without waiting for the TTL) and stops its
    /// background tasks. Events published afterwards are no longer forwarded.
    pub async fn shutdown(&self) {
        if let Some(presence) = self.presence.get() {
            presence.shutdown().await;
        }
        for task in self.core.tasks.lock().drain(..) {
            task.abort();
        }
        self.core.metrics.subscribed.store(false, Ordering::Relaxed);
    }
}

fn manager_config(options: &RedisOptions) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_min_delay(Duration::from_millis(100))
        .set_max_delay(Duration::from_secs(5))
        .set_exponent_base(2.0)
        .set_connection_timeout(Some(options.connect_timeout))
        .set_response_timeout(Some(options.command_timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_limit_lets_the_first_line_through_then_waits() {
        let limit = RateLimit::new(Duration::from_secs(3600));
        assert!(limit.ready());
        assert!(!limit.ready());
        assert!(!limit.ready());
        let always = RateLimit::new(Duration::ZERO);
        assert!(always.ready());
        assert!(always.ready());
    }
}
