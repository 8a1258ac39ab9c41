//! The two channels: the ordered publisher, the subscriber with its reconnect loop, and the
//! broker and invalidation adapters on top of them.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use adapter_realtime::{Broker, Deliver};
use futures_util::StreamExt;
use kernel::invalidation::InvalidationHandler;
use kernel::{Audience, CacheInvalidation, Event, Invalidation, LocalInvalidations};
use parking_lot::RwLock;
use redis::aio::{ConnectionManager, PubSub};
use tokio::sync::mpsc;

use crate::wire::{self, Received};
use crate::{Core, Metrics, RateLimit, WARN_EVERY};

/// Most messages sent in one pipeline.
const BATCH: usize = 512;
/// First and longest wait between two attempts to re-open the pub/sub connection.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Event,
    Invalidation,
}

/// One message waiting for the publisher.
pub(crate) struct Outgoing {
    kind: Kind,
    payload: Vec<u8>,
    queued: Instant,
}

/// The channel names of one prefix.
#[derive(Debug, Clone)]
pub(crate) struct Channels {
    events: String,
    invalidations: String,
}

impl Channels {
    pub(crate) fn new(prefix: &str) -> Self {
        Self {
            events: format!("{prefix}:events"),
            invalidations: format!("{prefix}:invalidations"),
        }
    }

    fn of(&self, kind: Kind) -> &str {
        match kind {
            Kind::Event => &self.events,
            Kind::Invalidation => &self.invalidations,
        }
    }

    /// A new pub/sub connection, subscribed to both channels.
    pub(crate) async fn subscribe(&self, client: &redis::Client) -> redis::RedisResult<PubSub> {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub
            .subscribe(&[self.events.as_str(), self.invalidations.as_str()])
            .await?;
        Ok(pubsub)
    }
}

impl Core {
    /// Queues a message for the publisher; never waits. A full queue drops it.
    fn enqueue(&self, kind: Kind, payload: Vec<u8>) {
        let message = Outgoing {
            kind,
            payload,
            queued: Instant::now(),
        };
        if let Err(e) = self.outbox.try_send(message) {
            Metrics::add(&self.metrics.forwards_dropped, 1);
            if self.drop_log.ready() {
                let reason = match e {
                    mpsc::error::TrySendError::Full(_) => "queue full",
                    mpsc::error::TrySendError::Closed(_) => "publisher stopped",
                };
                tracing::warn!(
                    reason,
                    dropped_so_far = self.metrics.forwards_dropped.load(Ordering::Relaxed),
                    "redis: message not forwarded to the other instances"
                );
            }
        }
    }
}

/// Drains the queue in order, one pipeline of `PUBLISH`es per batch, until every sender is
/// gone. A batch that fails is dropped (never retried: each message is published at most
/// once).
pub(crate) async fn run_publisher(
    mut queue: mpsc::Receiver<Outgoing>,
    mut manager: ConnectionManager,
    channels: Channels,
    metrics: Arc<Metrics>,
    command_timeout: Duration,
    max_age: Duration,
) {
    let log = RateLimit::new(WARN_EVERY);
    let mut batch = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        let now = Instant::now();
        let mut pipe = redis::pipe();
        let (mut events, mut invalidations, mut stale) = (0u64, 0u64, 0u64);
        for message in batch.drain(..) {
            if now.duration_since(message.queued) > max_age {
                stale += 1;
                continue;
            }
            match message.kind {
                Kind::Event => events += 1,
                Kind::Invalidation => invalidations += 1,
            }
            pipe.cmd("PUBLISH")
                .arg(channels.of(message.kind))
                .arg(message.payload)
                .ignore();
        }
        if stale > 0 {
            Metrics::add(&metrics.forwards_dropped, stale);
            if log.ready() {
                tracing::warn!(
                    dropped = stale,
                    "redis: messages waited too long for Redis and were not forwarded"
                );
            }
        }
        let sent = events + invalidations;
        if sent == 0 {
            continue;
        }
        let outcome = tokio::time::timeout(command_timeout, pipe.query_async::<()>(&mut manager))
            .await
            .map_err(|_| "timed out".to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        match outcome {
            Ok(()) => {
                Metrics::add(&metrics.events_published, events);
                Metrics::add(&metrics.invalidations_published, invalidations);
            }
            Err(error) => {
                Metrics::add(&metrics.forwards_dropped, sent);
                if log.ready() {
                    tracing::warn!(
                        error,
                        dropped = sent,
                        "redis: publish failed, messages not forwarded to the other instances"
                    );
                }
            }
        }
    }
    tracing::debug!("redis publisher stopped");
}

/// What the subscriber hands received messages to.
pub(crate) struct Inbound {
    pub(crate) instance: Arc<str>,
    pub(crate) channels: Channels,
    pub(crate) deliver: Arc<RwLock<Option<Deliver>>>,
    pub(crate) local: Arc<LocalInvalidations>,
    pub(crate) metrics: Arc<Metrics>,
}

/// Keeps one pub/sub connection subscribed (re-opening it with a backoff when it is lost)
/// and dispatches what it receives. Runs until aborted.
pub(crate) async fn run_subscriber(
    client: redis::Client,
    first: Option<PubSub>,
    inbound: Inbound,
    connect_timeout: Duration,
    ping_every: Duration,
) {
    let log = RateLimit::new(WARN_EVERY);
    let mut ready = first;
    let mut ever_connected = ready.is_some();
    let mut backoff = MIN_BACKOFF;
    loop {
        let pubsub = match ready.take() {
            Some(pubsub) => pubsub,
            None => {
                let attempt =
                    tokio::time::timeout(connect_timeout, inbound.channels.subscribe(&client))
                        .await
                        .map_err(|_| "timed out".to_string())
                        .and_then(|r| r.map_err(|e| e.to_string()));
                match attempt {
                    Ok(pubsub) => {
                        if ever_connected {
                            Metrics::add(&inbound.metrics.reconnects, 1);
                            tracing::info!("redis pub/sub connection is back");
                        } else {
                            tracing::info!("redis pub/sub connected");
                        }
                        ever_connected = true;
                        backoff = MIN_BACKOFF;
                        pubsub
                    }
                    Err(error) => {
                        if log.ready() {
                            tracing::warn!(
                                error,
                                retry_in_ms = backoff.as_millis() as u64,
                                "redis pub/sub unreachable; events and invalidations of other \
                                 instances are not received"
                            );
                        }
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        continue;
                    }
                }
            }
        };
        inbound.metrics.subscribed.store(true, Ordering::Relaxed);
        let reason = inbound.pump(pubsub, ping_every).await;
        inbound.metrics.subscribed.store(false, Ordering::Relaxed);
        tracing::warn!(reason, "redis pub/sub connection lost; reconnecting");
    }
}

impl Inbound {
    /// Dispatches the messages of one connection until it is lost; returns why.
    async fn pump(&self, pubsub: PubSub, ping_every: Duration) -> &'static str {
        let (mut sink, mut stream) = pubsub.split();
        let mut ping = tokio::time::interval(ping_every);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.tick().await;
        loop {
            tokio::select! {
                message = stream.next() => match message {
                    Some(message) => self.dispatch(&message),
                    None => return "connection closed",
                },
                _ = ping.tick() => {
                    let pong =
                        tokio::time::timeout(ping_every, sink.ping::<redis::Value>()).await;
                    if !matches!(pong, Ok(Ok(_))) {
                        return "no answer to PING";
                    }
                }
            }
        }
    }

    fn dispatch(&self, message: &redis::Msg) {
        let channel = message.get_channel_name();
        let payload = message.get_payload_bytes();
        if channel == self.channels.events {
            match wire::decode_event(&self.instance, payload) {
                Ok(Received::Own) => Metrics::add(&self.metrics.own_ignored, 1),
                Ok(Received::Other((audience, event))) => {
                    Metrics::add(&self.metrics.events_received, 1);
                    let deliver = self.deliver.read().clone();
                    if let Some(deliver) = deliver {
                        deliver(audience, event);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "redis: undecodable event ignored"),
            }
        } else if channel == self.channels.invalidations {
            match wire::decode_invalidation(&self.instance, payload) {
                Ok(Received::Own) => Metrics::add(&self.metrics.own_ignored, 1),
                Ok(Received::Other(inv)) => {
                    Metrics::add(&self.metrics.invalidations_received, 1);
                    self.local.publish(&inv);
                }
                Err(e) => tracing::warn!(error = %e, "redis: undecodable invalidation ignored"),
            }
        }
    }
}

/// The real-time broker over Redis pub/sub: this instance's events go to every other
/// instance sharing the prefix, theirs come to this instance's hub.
///
/// `publish` never blocks (the event is queued for the ordered publisher task, or dropped
/// and counted when the queue is full). Events received before [`Broker::start`] are
/// dropped; a second `start` replaces the callback.
pub struct RedisBroker {
    core: Arc<Core>,
}

impl RedisBroker {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }
}

impl std::fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroker")
            .field("instance", &self.core.instance)
            .finish_non_exhaustive()
    }
}

impl Broker for RedisBroker {
    fn publish(&self, audience: &Audience, event: &Event) {
        let payload = wire::encode_event(&self.core.instance, audience, event);
        self.core.enqueue(Kind::Event, payload);
    }

    fn start(&self, deliver: Deliver) {
        *self.core.deliver.write() = Some(deliver);
    }
}

/// Cache invalidations over Redis pub/sub: `publish` runs this instance's subscribers before
/// it returns, then forwards the invalidation to the other instances, whose subscribers run
/// when it arrives there.
pub struct RedisInvalidations {
    core: Arc<Core>,
}

impl RedisInvalidations {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }
}

impl std::fmt::Debug for RedisInvalidations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisInvalidations")
            .field("instance", &self.core.instance)
            .finish_non_exhaustive()
    }
}

impl CacheInvalidation for RedisInvalidations {
    fn publish(&self, inv: &Invalidation) {
        self.core.local.publish(inv);
        let payload = wire::encode_invalidation(&self.core.instance, inv);
        self.core.enqueue(Kind::Invalidation, payload);
    }

    fn subscribe(&self, cache: &str, handler: InvalidationHandler) {
        self.core.local.subscribe(cache, handler);
    }
}
