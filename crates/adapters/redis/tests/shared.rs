//! The adapters against a real Redis, with two instances in one process (two `RedisShared`
//! under the same prefix).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use adapter_realtime::{Delivery, Hub, HubConfig, Subscription};
use adapter_redis::{RedisOptions, RedisShared};
use atendimento::presenca::ports::SocketPresence;
use authz::{LoginAttempts, ThrottleLimit};
use common::{eventually, instance, options, prefix, raw};
use kernel::{Audience, CacheInvalidation, Event, EventPublisher, Invalidation};
use parking_lot::Mutex;

fn event(n: u64) -> Event {
    Event::encode("test.event", &serde_json::json!({ "n": n }))
}

fn frame(n: u64) -> Delivery {
    Delivery::Frame(Arc::clone(event(n).frame()))
}

async fn next(sub: &mut Subscription) -> Delivery {
    tokio::time::timeout(Duration::from_secs(2), sub.recv())
        .await
        .expect("a delivery within 2 s")
}

fn drain(sub: &mut Subscription) -> Vec<Delivery> {
    std::iter::from_fn(|| sub.try_recv()).collect()
}

fn hub(shared: &RedisShared) -> Arc<Hub> {
    Hub::with_broker(HubConfig::default(), shared.broker())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_the_addressed_sockets_of_the_other_instance_once() {
    let p = prefix("events");
    let (a, b) = (instance(&p).await, instance(&p).await);
    let (hub_a, hub_b) = (hub(&a), hub(&b));
    let mut a7 = hub_a.register(7);
    let mut b7 = hub_b.register(7);
    let mut b8 = hub_b.register(8);

    hub_a.publish(Audience::User(7), event(1));
    assert_eq!(next(&mut b7).await, frame(1));
    // Events of one instance arrive in order: once user 8 has the next one, user 8 did not
    // get the first.
    hub_a.publish(Audience::User(8), event(2));
    assert_eq!(next(&mut b8).await, frame(2));
    assert_eq!(drain(&mut b7), vec![]);

    // Every audience survives the trip.
    hub_a.publish(Audience::AuthenticatedExcept(7), event(3));
    hub_a.publish(Audience::Users(vec![7, 9]), event(4));
    hub_a.publish(Audience::Authenticated, event(5));
    assert_eq!(next(&mut b8).await, frame(3));
    assert_eq!(next(&mut b7).await, frame(4));
    assert_eq!(next(&mut b7).await, frame(5));
    assert_eq!(next(&mut b8).await, frame(5));

    // The publisher's own socket got each event once: locally, never again through Redis.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(drain(&mut a7), vec![frame(1), frame(4), frame(5)]);
    assert_eq!(drain(&mut b7), vec![]);
    assert_eq!(drain(&mut b8), vec![]);

    // The other way round too.
    hub_b.publish(Audience::User(7), event(6));
    assert_eq!(next(&mut a7).await, frame(6));
    assert_eq!(drain(&mut b7), vec![frame(6)]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(drain(&mut a7), vec![]);
    assert_eq!(drain(&mut b7), vec![]);

    let (ma, mb) = (a.metrics(), b.metrics());
    assert_eq!(ma.events_published, 5, "{ma:?}");
    assert_eq!(ma.events_received, 1, "{ma:?}");
    assert_eq!(ma.own_ignored, 5, "{ma:?}");
    assert_eq!(mb.events_published, 1, "{mb:?}");
    assert_eq!(mb.events_received, 5, "{mb:?}");
    assert_eq!(mb.own_ignored, 1, "{mb:?}");
    assert_eq!(ma.forwards_dropped + mb.forwards_dropped, 0);
    assert!(ma.subscribed && mb.subscribed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_instance_on_another_prefix_hears_nothing() {
    let p = prefix("isolation");
    let (a, b) = (instance(&p).await, instance(&p).await);
    let other = instance(&prefix("isolation-other")).await;
    let (hub_a, hub_b, hub_o) = (hub(&a), hub(&b), hub(&other));
    let mut b1 = hub_b.register(1);
    let mut o1 = hub_o.register(1);
    hub_a.publish(Audience::User(1), event(1));
    assert_eq!(next(&mut b1).await, frame(1));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(drain(&mut o1), vec![]);
    assert_eq!(other.metrics().events_received, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_keep_their_order_and_cross_instances_quickly() {
    let p = prefix("order");
    let (a, b) = (instance(&p).await, instance(&p).await);
    let (hub_a, hub_b) = (hub(&a), hub(&b));

    let mut sub = hub_b.register(7);
    for n in 0..200 {
        hub_a.publish(Audience::User(7), event(n));
    }
    for n in 0..200 {
        assert_eq!(next(&mut sub).await, frame(n), "event {n} out of order");
    }

    // Latency: each frame carries the time it was published at (since `start`).
    let start = Instant::now();
    let total = 1000usize;
    let receiver = tokio::spawn(async move {
        let mut latencies = Vec::with_capacity(total);
        for expected in 0..total {
            let Delivery::Frame(text) = next(&mut sub).await else {
                panic!("a frame");
            };
            let received = start.elapsed().as_micros() as u64;
            let value: serde_json::Value = serde_json::from_str(&text).expect("json frame");
            assert_eq!(value["n"].as_u64(), Some(expected as u64), "in order");
            let sent = value["t"].as_u64().expect("send time");
            latencies.push(received.saturating_sub(sent));
        }
        latencies
    });
    for n in 0..total {
        let t = start.elapsed().as_micros() as u64;
        hub_a.publish(
            Audience::User(7),
            Event::encode("test.latency", &serde_json::json!({ "n": n, "t": t })),
        );
        if n % 10 == 9 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let mut latencies = receiver.await.expect("receiver");
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let (p50, p99, max) = (at(0.50), at(0.99), latencies[latencies.len() - 1]);
    println!(
        "cross-instance latency over {total} events: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        p50 as f64 / 1000.0,
        p99 as f64 / 1000.0,
        max as f64 / 1000.0
    );
    assert!(p99 < 200_000, "p99 {p99} µs");
    assert_eq!(a.metrics().forwards_dropped, 0);
}

type Seen = Arc<Mutex<Vec<Invalidation>>>;

fn recorder(bus: &dyn CacheInvalidation, cache: &str) -> Seen {
    let seen: Seen = Arc::default();
    let sink = Arc::clone(&seen);
    bus.subscribe(
        cache,
        Arc::new(move |inv: &Invalidation| sink.lock().push(inv.clone())),
    );
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidations_run_here_before_returning_and_there_soon_after() {
    let p = prefix("invalidations");
    let (a, b) = (instance(&p).await, instance(&p).await);
    let (bus_a, bus_b) = (a.invalidations(), b.invalidations());
    let seen_a = recorder(&*bus_a, "agents");
    let seen_b = recorder(&*bus_b, "agents");
    let other_b = recorder(&*bus_b, "clients");

    let inv = Invalidation::key("agents", "42");
    bus_a.publish(&inv);
    assert_eq!(*seen_a.lock(), vec![inv.clone()], "local subscribers first");
    assert!(
        eventually(Duration::from_secs(1), || async {
            seen_b.lock().len() == 1
        })
        .await,
        "the other instance within 1 s"
    );
    assert_eq!(*seen_b.lock(), vec![inv.clone()]);

    bus_b.publish(&Invalidation::all("agents"));
    assert!(
        eventually(Duration::from_secs(1), || async {
            seen_a.lock().len() == 2
        })
        .await,
        "back the other way"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    // No echo: each side saw each invalidation exactly once; other caches saw none.
    let both = vec![inv, Invalidation::all("agents")];
    assert_eq!(*seen_a.lock(), both);
    assert_eq!(*seen_b.lock(), both);
    assert!(other_b.lock().is_empty());
    assert_eq!(a.metrics().invalidations_received, 1);
    assert_eq!(a.metrics().invalidations_published, 1);
    assert_eq!(b.metrics().invalidations_received, 1);
}

fn limit(key: &str, limit: usize) -> ThrottleLimit {
    ThrottleLimit {
        key: key.to_string(),
        limit,
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_throttle_is_shared_by_the_instances() {
    let p = prefix("throttle");
    let (a, b) = (instance(&p).await, instance(&p).await);
    let (ta, tb) = (a.login_attempts(3, 60), b.login_attempts(3, 60));
    assert_eq!(ta.max(), 3);
    let now = unix_now();
    let ip = ta.key("ip", "10.0.0.1");
    let pair = ta.key("pair:10.0.0.1", "admin");
    let keys = [ip.clone(), pair.clone()];

    for n in 0..3 {
        let t = if n % 2 == 0 { &ta } else { &tb };
        let attempt = t
            .attempt(&[limit(&ip, 3)], &keys, now)
            .await
            .unwrap_or_else(|wait| panic!("attempt {n} refused ({wait} s)"));
        t.failed(attempt).await;
    }
    assert_eq!(tb.failures(&ip, now).await, 3);
    assert_eq!(ta.failures(&pair, now).await, 3);
    // Refused on either instance until the first failure leaves the window.
    assert_eq!(tb.attempt(&[limit(&ip, 3)], &keys, now + 10).await, Err(50));
    assert_eq!(ta.attempt(&[limit(&ip, 3)], &keys, now).await, Err(60));
    assert_eq!(tb.failures(&ip, now).await, 3, "a refusal records nothing");

    // A success withdraws its own failure and clears the keys it is told to.
    let attempt = ta
        .attempt(&[limit(&ta.key("user", "nobody"), 3)], &keys, now + 1)
        .await
        .expect("admitted");
    assert_eq!(tb.failures(&ip, now + 1).await, 4);
    tb.succeeded(attempt, std::slice::from_ref(&pair)).await;
    assert_eq!(ta.failures(&pair, now + 1).await, 0);
    assert_eq!(ta.failures(&ip, now + 1).await, 3);

    // Once the window has passed, the failures no longer count.
    assert_eq!(ta.failures(&ip, now + 60).await, 0);
    assert!(tb.attempt(&[limit(&ip, 3)], &keys, now + 61).await.is_ok());

    // The keys expire with the window.
    let mut con = raw().await;
    let ttl: i64 = redis::cmd("TTL")
        .arg(format!("{p}:throttle:{ip}"))
        .query_async(&mut con)
        .await
        .expect("TTL");
    assert!((1..=60).contains(&ttl), "ttl {ttl}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_attempts_are_withdrawn_and_lower_limits_wait_longer() {
    let p = prefix("throttle-abandon");
    let (a, b) = (instance(&p).await, instance(&p).await);
    let (ta, tb) = (a.login_attempts(3, 300), b.login_attempts(3, 300));
    let ip = ta.key("ip", "10.0.0.2");
    let keys = [ip.clone()];
    let mut in_flight = Vec::new();
    for _ in 0..3 {
        in_flight.push(
            ta.attempt(&[limit(&ip, 3)], &keys, 1_000)
                .await
                .expect("admitted"),
        );
    }
    assert_eq!(tb.attempt(&[limit(&ip, 3)], &keys, 1_000).await, Err(300));
    tb.abandoned(in_flight.remove(0)).await;
    assert_eq!(ta.failures(&ip, 1_000).await, 2);
    let again = tb
        .attempt(&[limit(&ip, 3)], &keys, 1_050)
        .await
        .expect("admitted once one was withdrawn");
    tb.failed(again).await;
    // Failures at 1000, 1000 and 1050: a limit of 1 waits for the newest to leave (1350), a
    // limit of 2 for the second newest (1300); a limit of 4 is clamped to the max of 3.
    assert_eq!(ta.attempt(&[limit(&ip, 1)], &[], 1_060).await, Err(290));
    assert_eq!(ta.attempt(&[limit(&ip, 2)], &[], 1_060).await, Err(240));
    assert_eq!(ta.attempt(&[limit(&ip, 4)], &[], 1_060).await, Err(240));
    // Several limits: the longest wait wins.
    let fresh = ta.key("ip", "10.0.0.3");
    assert_eq!(
        ta.attempt(
            &[limit(&fresh, 3), limit(&ip, 1)],
            std::slice::from_ref(&fresh),
            1_060
        )
        .await,
        Err(290)
    );
    assert_eq!(ta.failures(&fresh, 1_060).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_attempts_never_exceed_the_limit() {
    let p = prefix("throttle-burst");
    let (a, b) = (instance(&p).await, instance(&p).await);
    let throttles = [
        Arc::new(a.login_attempts(5, 60)),
        Arc::new(b.login_attempts(5, 60)),
    ];
    let now = unix_now();
    let key = throttles[0].key("ip", "10.9.9.9");
    let admitted = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let throttle = Arc::clone(&throttles[n % 2]);
            let key = key.clone();
            let admitted = Arc::clone(&admitted);
            tokio::spawn(async move {
                let limits = [limit(&key, 5)];
                if throttle
                    .attempt(&limits, std::slice::from_ref(&key), now)
                    .await
                    .is_ok()
                {
                    admitted.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    assert_eq!(admitted.load(Ordering::SeqCst), 5);
    assert_eq!(throttles[1].failures(&key, now).await, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttle_keys_are_bounded_and_the_same_on_every_instance() {
    let p = prefix("throttle-keys");
    let (a, b) = (instance(&p).await, instance(&p).await);
    let (ta, tb) = (a.login_attempts(3, 60), b.login_attempts(3, 60));
    let long = "x".repeat(1_000_000);
    let k = ta.key("user", &long);
    assert!(k.len() <= 32, "{k}");
    assert_eq!(k, tb.key("user", &long));
    assert_ne!(k, ta.key("user", &format!("{long}y")));
    assert_eq!(ta.key("user", "maria"), "user:maria");
    let edge = "a".repeat(64);
    assert_eq!(ta.key("user", &edge), format!("user:{edge}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_counts_the_sockets_of_every_live_instance() {
    let p = prefix("presence");
    let (a, b) = (instance(&p).await, instance(&p).await);
    let (pa, pb) = (a.socket_presence(), b.socket_presence());
    assert_eq!(pb.open_sockets(5).await.expect("count"), 0);

    pa.set_local(5, 1);
    assert!(
        eventually(Duration::from_secs(1), || async {
            pb.open_sockets(5).await.expect("count") == 1
        })
        .await,
        "B sees A's socket"
    );
    pb.set_local(5, 2);
    assert_eq!(
        pb.open_sockets(5).await.expect("count"),
        3,
        "B's own count at once"
    );
    assert!(
        eventually(Duration::from_secs(1), || async {
            pa.open_sockets(5).await.expect("count") == 3
        })
        .await
    );
    assert_eq!(pb.open_sockets(6).await.expect("count"), 0);

    pa.set_local(5, 0);
    assert!(
        eventually(Duration::from_secs(1), || async {
            pb.open_sockets(5).await.expect("count") == 2
        })
        .await,
        "a closed socket stops counting"
    );

    // Through the hub's listener.
    let hub_a = hub(&a);
    hub_a.on_connection_change(pa.listener());
    let s1 = hub_a.register(5);
    let s2 = hub_a.register(5);
    assert!(
        eventually(Duration::from_secs(1), || async {
            pb.open_sockets(5).await.expect("count") == 4
        })
        .await
    );
    drop(s1);
    assert!(
        eventually(Duration::from_secs(1), || async {
            pb.open_sockets(5).await.expect("count") == 3
        })
        .await
    );

    // A stops (crash: no clean-up): its sockets count until its heartbeat is older than the
    // TTL, then no more.
    drop(s2);
    pa.set_local(5, 4);
    assert!(
        eventually(Duration::from_secs(1), || async {
            pb.open_sockets(5).await.expect("count") == 6
        })
        .await
    );
    drop(hub_a);
    drop(pa);
    drop(a);
    let stopped = Instant::now();
    assert_eq!(pb.open_sockets(5).await.expect("count"), 6);
    assert!(
        eventually(Duration::from_secs(3), || async {
            pb.open_sockets(5).await.expect("count") == 2
        })
        .await,
        "A's sockets forgotten after the TTL"
    );
    assert!(
        stopped.elapsed() >= Duration::from_millis(500),
        "forgotten by the TTL, not at once: {:?}",
        stopped.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_heals_a_lost_hash_and_shutdown_forgets_at_once() {
    let p = prefix("presence-heal");
    let (a, b) = (instance(&p).await, instance(&p).await);
    let (pa, pb) = (a.socket_presence(), b.socket_presence());
    pa.set_local(11, 2);
    assert!(
        eventually(Duration::from_secs(1), || async {
            pb.open_sockets(11).await.expect("count") == 2
        })
        .await
    );
    let mut con = raw().await;
    let deleted: i64 = redis::cmd("DEL")
        .arg(format!("{p}:sockets:{}", a.instance_id()))
        .query_async(&mut con)
        .await
        .expect("DEL");
    assert_eq!(deleted, 1);
    assert_eq!(pb.open_sockets(11).await.expect("count"), 0);
    assert!(
        eventually(Duration::from_secs(1), || async {
            pb.open_sockets(11).await.expect("count") == 2
        })
        .await,
        "the next heartbeat rewrites the hash"
    );

    a.shutdown().await;
    assert_eq!(pb.open_sockets(11).await.expect("count"), 0, "at once");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        pb.open_sockets(11).await.expect("count"),
        0,
        "no heartbeat after"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_nothing_blocks_and_this_instance_still_works() {
    let mut opts: RedisOptions = options(&prefix("down"));
    opts.publish_queue = 64;
    opts.command_timeout = Duration::from_millis(300);
    opts.connect_timeout = Duration::from_millis(300);
    let down = RedisShared::connect_lazy("redis://127.0.0.1:1", opts).expect("a valid URL");
    assert!(matches!(
        RedisShared::connect_with("redis://127.0.0.1:1", options("down")).await,
        Err(adapter_redis::Error::Unreachable(_) | adapter_redis::Error::Timeout(_))
    ));
    // TLS is compiled in: a rediss:// URL is accepted.
    let tls = RedisShared::connect_lazy("rediss://127.0.0.1:1", options(&prefix("tls")));
    assert!(tls.is_ok(), "{:?}", tls.err());
    let hub = hub(&down);
    let mut sub = hub.register(7);
    let total = 1000u64;
    let mut slowest = Duration::ZERO;
    for n in 0..total {
        let t = Instant::now();
        hub.publish(Audience::User(7), event(n));
        slowest = slowest.max(t.elapsed());
    }
    assert!(
        slowest < Duration::from_millis(50),
        "a publish took {slowest:?}"
    );
    let got = drain(&mut sub);
    assert_eq!(got.len(), total as usize);
    assert_eq!(got[0], frame(0));
    assert_eq!(got[total as usize - 1], frame(total - 1));
    assert!(
        eventually(Duration::from_secs(5), || async {
            down.metrics().forwards_dropped == total
        })
        .await,
        "every forward dropped and counted: {:?}",
        down.metrics()
    );
    let m = down.metrics();
    assert_eq!(m.events_published, 0);
    assert!(!m.subscribed);

    // Invalidations still reach this instance's caches, at once.
    let bus = down.invalidations();
    let seen = recorder(&*bus, "agents");
    bus.publish(&Invalidation::all("agents"));
    assert_eq!(seen.lock().len(), 1);

    // The throttle fails open, within the command timeout.
    let throttle = down.login_attempts(1, 60);
    let key = throttle.key("ip", "10.0.0.1");
    let t = Instant::now();
    for _ in 0..3 {
        let attempt = throttle
            .attempt(&[limit(&key, 1)], std::slice::from_ref(&key), unix_now())
            .await
            .expect("admitted while Redis is down");
        throttle.abandoned(attempt).await;
    }
    assert_eq!(throttle.failures(&key, unix_now()).await, 0);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());

    // Presence answers with the local count.
    let presence = down.socket_presence();
    presence.set_local(3, 2);
    assert_eq!(presence.open_sockets(3).await.expect("count"), 2);
    assert_eq!(presence.open_sockets(4).await.expect("count"), 0);
}

/// A provider that counts its calls.
struct CountingCep(std::sync::atomic::AtomicUsize);

#[async_trait::async_trait]
impl kernel::cep::CepLookup for CountingCep {
    async fn lookup(&self, cep8: &str) -> Result<kernel::cep::CepAddress, kernel::cep::CepError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if cep8 == "00000000" {
            return Err(kernel::cep::CepError::NotFound);
        }
        let mut m = serde_json::Map::new();
        m.insert("cep".into(), serde_json::json!(cep8));
        m.insert("localidade".into(), serde_json::json!("São Paulo"));
        Ok(m)
    }
}

#[tokio::test]
async fn a_cep_found_on_one_instance_is_answered_from_redis_on_the_other() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let prefix = common::prefix("cep");
    let (a, b) = (
        common::instance(&prefix).await,
        common::instance(&prefix).await,
    );
    let (pa, pb) = (
        Arc::new(CountingCep(AtomicUsize::new(0))),
        Arc::new(CountingCep(AtomicUsize::new(0))),
    );
    let ttl = Duration::from_secs(60);
    let (ca, cb) = (a.cep_cache(pa.clone(), ttl), b.cep_cache(pb.clone(), ttl));
    let first = ca.lookup("01310100").await.unwrap();
    assert_eq!(first["localidade"], "São Paulo");
    let again = cb.lookup("01310100").await.unwrap();
    assert_eq!(again, first);
    assert_eq!(
        (pa.0.load(Ordering::SeqCst), pb.0.load(Ordering::SeqCst)),
        (1, 0)
    );
    // "Not found" is not shared: each instance asks its providers.
    assert!(ca.lookup("00000000").await.is_err());
    assert!(cb.lookup("00000000").await.is_err());
    assert_eq!(pb.0.load(Ordering::SeqCst), 1);
    // Stored with the TTL.
    let mut raw = common::raw().await;
    let ttl_left: i64 = redis::cmd("TTL")
        .arg(format!("{prefix}:cep:01310100"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!((1..=60).contains(&ttl_left), "{ttl_left}");
}
