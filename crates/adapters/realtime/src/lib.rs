//! Real-time hub: fans [`kernel::Event`]s out to the WebSocket subscriptions of the addressed
//! users.
//!
//! * Each event is encoded once by the publisher; every recipient queue holds a clone of the
//!   same `Arc<str>` frame.
//! * Every subscription (one per open socket) has its own bounded queue. A publish only pushes
//!   onto queues and never waits: a socket whose queue is full is evicted at once (its
//!   [`Subscription::recv`] yields [`Delivery::Overflow`] and the socket must be closed with
//!   code 1013); nobody else is slowed.
//! * Subscriptions are indexed by user in [`SHARDS`] shards, each behind its own `RwLock`:
//!   `User`/`Users` audiences touch only the addressed users' entries; `Authenticated` walks
//!   the shards one after the other. Publishers share read locks; only register, unregister and
//!   eviction write, for a few instructions.
//! * The [`Broker`] seam carries events between instances ([`LocalBroker`] for one instance).

mod queue;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use kernel::{Audience, Event, EventPublisher};
use parking_lot::{Mutex, RwLock};

use crate::queue::{Push, Queue};

/// Number of index shards (a power of two).
pub const SHARDS: usize = 64;

/// Hub settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HubConfig {
    /// Frames a socket may have waiting before it is dropped (at least 1).
    pub queue_capacity: usize,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 1024,
        }
    }
}

/// What [`Subscription::recv`] yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The next JSON text frame for this socket (shared with the event's other recipients).
    Frame(Arc<str>),
    /// The queue was full when an event arrived: the hub has dropped this socket, which must
    /// now be closed with code 1013 (try again later).
    Overflow,
    /// The hub was closed (shutdown): close the socket normally.
    Closed,
}

/// The callback through which a broker delivers another instance's events to this instance.
pub type Deliver = Arc<dyn Fn(Audience, Event) + Send + Sync>;

/// Seam for several instances: a shared broker (Redis pub/sub, later) carries events between
/// instances. `publish` forwards this instance's events; `start` gives the broker the callback
/// through which events from other instances are delivered to this instance's sockets only.
pub trait Broker: Send + Sync {
    /// Forwards an event published on this instance to the other instances. Must not block.
    fn publish(&self, audience: &Audience, event: &Event);
    /// Called once by the hub: events received from other instances go to `deliver`, which
    /// reaches this instance's sockets only (never re-published).
    fn start(&self, deliver: Deliver);
}

/// The broker of a single instance: forwards nothing, receives nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalBroker;

impl Broker for LocalBroker {
    fn publish(&self, _audience: &Audience, _event: &Event) {}
    fn start(&self, _deliver: Deliver) {}
}

type Listener = Arc<dyn Fn(i64, usize) + Send + Sync>;

struct Slot {
    id: u64,
    queue: Arc<Queue>,
}

/// One shard of the by-user index, on its own cache lines.
#[repr(align(128))]
struct Shard {
    users: RwLock<HashMap<i64, Vec<Slot>>>,
    /// Serializes register/unregister of this shard together with their
    /// `on_connection_change` calls, so that listeners see a user's counts in order.
    changes: Mutex<()>,
}

/// The in-process fan-out hub. Shared as `Arc<Hub>`; also the [`EventPublisher`].
pub struct Hub {
    config: HubConfig,
    shards: Box<[Shard]>,
    next_id: AtomicU64,
    sockets: AtomicUsize,
    overflowed: AtomicU64,
    published: AtomicU64,
    delivered: AtomicU64,
    listeners: RwLock<Arc<[Listener]>>,
    broker: Arc<dyn Broker>,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("config", &self.config)
            .field("sockets", &self.socket_count())
            .field("overflowed", &self.overflow_count())
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// A hub with the in-process broker (single instance).
    pub fn new(config: HubConfig) -> Arc<Hub> {
        Self::with_broker(config, Arc::new(LocalBroker))
    }

    /// A hub whose events also travel through `broker`; events the broker receives from other
    /// instances are delivered to this hub's sockets.
    pub fn with_broker(config: HubConfig, broker: Arc<dyn Broker>) -> Arc<Hub> {
        let config = HubConfig {
            queue_capacity: config.queue_capacity.max(1),
        };
        let shards = (0..SHARDS)
            .map(|_| Shard {
                users: RwLock::new(HashMap::new()),
                changes: Mutex::new(()),
            })
            .collect();
        let hub = Arc::new(Hub {
            config,
            shards,
            next_id: AtomicU64::new(1),
            sockets: AtomicUsize::new(0),
            overflowed: AtomicU64::new(0),
            published: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            listeners: RwLock::new(Arc::from(Vec::new())),
            broker: Arc::clone(&broker),
        });
        let weak = Arc::downgrade(&hub);
        broker.start(Arc::new(move |audience, event| {
            if let Some(hub) = weak.upgrade() {
                hub.deliver_local(&audience, &event);
            }
        }));
        hub
    }

    pub fn config(&self) -> HubConfig {
        self.config
    }

    fn shard(&self, user_id: i64) -> &Shard {
        // Fibonacci hashing: consecutive ids spread over the shards.
        let h = (user_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        &self.shards[(h >> (64 - SHARDS.trailing_zeros())) as usize]
    }

    /// Registers one open socket of `user_id`. Dropping the subscription unregisters it.
    pub fn register(self: &Arc<Self>, user_id: i64) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let queue = Arc::new(Queue::new());
        let shard = self.shard(user_id);
        let _order = shard.changes.lock();
        let count = {
            let mut users = shard.users.write();
            let slots = users
                .entry(user_id)
                .or_insert_with(|| Vec::with_capacity(1));
            slots.push(Slot {
                id,
                queue: Arc::clone(&queue),
            });
            slots.len()
        };
        self.sockets.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(
            user_id,
            socket = id,
            sockets_of_user = count,
            "socket registered"
        );
        self.notify(user_id, count);
        Subscription {
            id,
            user_id,
            queue,
            hub: Arc::downgrade(self),
        }
    }

    fn unregister(&self, user_id: i64, id: u64) {
        let shard = self.shard(user_id);
        let _order = shard.changes.lock();
        let count = self.remove_slot(shard, user_id, id).1;
        tracing::debug!(
            user_id,
            socket = id,
            sockets_of_user = count,
            "socket unregistered"
        );
        self.notify(user_id, count);
    }

    /// Removes one slot; returns whether it was there and the user's remaining sockets.
    fn remove_slot(&self, shard: &Shard, user_id: i64, id: u64) -> (bool, usize) {
        let (removed, count) = {
            let mut users = shard.users.write();
            match users.get_mut(&user_id) {
                None => (false, 0),
                Some(slots) => {
                    let removed = match slots.iter().position(|s| s.id == id) {
                        Some(pos) => {
                            slots.swap_remove(pos);
                            true
                        }
                        None => false,
                    };
                    let count = slots.len();
                    if count == 0 {
                        users.remove(&user_id);
                    }
                    (removed, count)
                }
            }
        };
        if removed {
            self.sockets.fetch_sub(1, Ordering::Relaxed);
        }
        (removed, count)
    }

    /// Drops a socket whose queue overflowed. Its listeners hear of it when the subscription
    /// itself is dropped (the handler closes the socket on `Overflow`).
    fn evict(&self, user_id: i64, id: u64) {
        let shard = self.shard(user_id);
        if self.remove_slot(shard, user_id, id).0 {
            self.overflowed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                user_id,
                socket = id,
                capacity = self.config.queue_capacity,
                "socket too slow, queue full: dropped"
            );
        }
    }

    fn notify(&self, user_id: i64, count: usize) {
        let listeners = Arc::clone(&self.listeners.read());
        for listener in listeners.iter() {
            listener(user_id, count);
        }
    }

    /// Open sockets of a user.
    pub fn sockets_of(&self, user_id: i64) -> usize {
        self.shard(user_id)
            .users
            .read()
            .get(&user_id)
            .map_or(0, Vec::len)
    }

    /// Open sockets of every user.
    pub fn socket_count(&self) -> usize {
        self.sockets.load(Ordering::Relaxed)
    }

    /// Sockets dropped so far because their queue was full.
    pub fn overflow_count(&self) -> u64 {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// Events published on this instance so far (each counted once, whatever its audience).
    pub fn published_count(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    /// Frames queued for sockets of this instance so far (one per recipient socket; events
    /// from other instances included).
    pub fn delivered_count(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Called with (user_id, open sockets of that user now) after each register/unregister;
    /// presence (`websocket_connected`) uses it next.
    ///
    /// Several listeners may be added. A listener runs inline in `register` and in the drop of
    /// a subscription, after the index was updated and outside its locks; calls for one user
    /// come in order. It must be quick, and must not itself register or drop subscriptions
    /// (it may publish).
    pub fn on_connection_change(&self, f: Arc<dyn Fn(i64, usize) + Send + Sync>) {
        let mut listeners = self.listeners.write();
        let mut all: Vec<Listener> = listeners.iter().cloned().collect();
        all.push(f);
        *listeners = Arc::from(all);
    }

    /// Delivers an event to this instance's sockets only (never to the broker). Returns the
    /// number of queues it was pushed onto.
    pub fn deliver_local(&self, audience: &Audience, event: &Event) -> usize {
        let mut fanout = Fanout {
            frame: event.frame(),
            capacity: self.config.queue_capacity,
            delivered: 0,
            evicted: Vec::new(),
        };
        match audience {
            Audience::User(user) => self.deliver_user(*user, &mut fanout),
            Audience::Users(users) => {
                for (i, user) in users.iter().enumerate() {
                    // Each user once, even if listed twice (lists are short).
                    if !users[..i].contains(user) {
                        self.deliver_user(*user, &mut fanout);
                    }
                }
            }
            Audience::Authenticated => self.deliver_all(None, &mut fanout),
            Audience::AuthenticatedExcept(except) => self.deliver_all(Some(*except), &mut fanout),
        }
        self.delivered
            .fetch_add(fanout.delivered as u64, Ordering::Relaxed);
        for (user, id) in fanout.evicted {
            self.evict(user, id);
        }
        tracing::trace!(
            event = event.name(),
            delivered = fanout.delivered,
            "event delivered"
        );
        fanout.delivered
    }

    fn deliver_user(&self, user: i64, fanout: &mut Fanout<'_>) {
        if let Some(slots) = self.shard(user).users.read().get(&user) {
            fanout.push_all(user, slots);
        }
    }

    fn deliver_all(&self, except: Option<i64>, fanout: &mut Fanout<'_>) {
        for shard in self.shards.iter() {
            let users = shard.users.read();
            for (&user, slots) in users.iter() {
                if Some(user) != except {
                    fanout.push_all(user, slots);
                }
            }
        }
    }

    /// Closes every socket (server shutdown): each subscription yields the frames already
    /// queued, then [`Delivery::Closed`]. The index is emptied; nothing is delivered after.
    pub fn close_all(&self) {
        for shard in self.shards.iter() {
            let _order = shard.changes.lock();
            let drained: Vec<(i64, Vec<Slot>)> = shard.users.write().drain().collect();
            for (_, slots) in &drained {
                self.sockets.fetch_sub(slots.len(), Ordering::Relaxed);
                for slot in slots {
                    slot.queue.close();
                }
            }
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        for shard in self.shards.iter_mut() {
            for slots in shard.users.get_mut().values() {
                for slot in slots {
                    slot.queue.close();
                }
            }
        }
    }
}

struct Fanout<'a> {
    frame: &'a Arc<str>,
    capacity: usize,
    delivered: usize,
    evicted: Vec<(i64, u64)>,
}

impl Fanout<'_> {
    fn push_all(&mut self, user: i64, slots: &[Slot]) {
        for slot in slots {
            match slot.queue.push(self.frame, self.capacity) {
                Push::Queued => self.delivered += 1,
                Push::Overflowed => self.evicted.push((user, slot.id)),
                Push::Gone => {}
            }
        }
    }
}

impl EventPublisher for Hub {
    /// Delivers locally, then hands the event to the broker for the other instances.
    fn publish(&self, audience: Audience, event: Event) {
        self.published.fetch_add(1, Ordering::Relaxed);
        self.deliver_local(&audience, &event);
        self.broker.publish(&audience, &event);
    }
}

/// One open socket's registration. Dropping it unregisters the socket (and fires
/// `on_connection_change`).
pub struct Subscription {
    id: u64,
    user_id: i64,
    queue: Arc<Queue>,
    hub: Weak<Hub>,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("queued", &self.queue.len())
            .finish()
    }
}

impl Subscription {
    /// Unique (per hub) id of this socket.
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    /// Next frame for this socket. `Overflow` once its bounded queue was full when an event
    /// arrived: the socket must be closed with code 1013 (the hub already dropped it).
    ///
    /// Cancel-safe: usable in `tokio::select!` (a frame is taken only when this resolves).
    pub async fn recv(&mut self) -> Delivery {
        std::future::poll_fn(|cx| self.queue.poll_recv(cx)).await
    }

    /// The next delivery if one is ready (to drain a burst into one write), else `None`.
    pub fn try_recv(&mut self) -> Option<Delivery> {
        self.queue.try_recv()
    }

    /// Poll form of [`Subscription::recv`].
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Delivery> {
        self.queue.poll_recv(cx)
    }

    /// Frames waiting in this socket's queue.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            hub.unregister(self.user_id, self.id);
        }
    }
}
