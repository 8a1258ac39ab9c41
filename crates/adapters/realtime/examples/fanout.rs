//! Micro-benchmark of the hub's fan-out: `cargo run --release -p adapter-realtime --example fanout`.
//!
//! Prints one `key=value` line per figure:
//! * `user_fanout_<N>_*`: one event to the N sockets of one user (`Audience::User`);
//! * `broadcast_<N>_*`: one event to N sockets of N users (`Audience::Authenticated`);
//! * `live_*`: 15,000 sockets (5,000 users × 3) each drained by its own task while one thread
//!   publishes `Audience::User` events as fast as it can;
//! * `rss_bytes_per_socket`: resident memory added per registered (idle) socket.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use adapter_realtime::{Delivery, Hub, HubConfig, Subscription};
use kernel::{Audience, Event, EventPublisher};

const ROUNDS: usize = 200;
const SOCKETS: usize = 15_000;

fn event(n: usize) -> Event {
    Event::encode(
        "message_received",
        &serde_json::json!({
            "event": "message_received",
            "data": { "from": "5511999990000", "message": format!("bench {n}"),
                      "message_id": format!("fan-{n}"), "latency_ms": 0.0 },
            "version": "v1"
        }),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(prefix: &str, sockets: usize, mut times: Vec<Duration>) {
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!("{prefix}_sockets={sockets}");
    println!("{prefix}_publish_mean_us={:.1}", mean.as_secs_f64() * 1e6);
    println!(
        "{prefix}_publish_p50_us={:.1}",
        percentile(&times, 0.5).as_secs_f64() * 1e6
    );
    println!(
        "{prefix}_publish_p99_us={:.1}",
        percentile(&times, 0.99).as_secs_f64() * 1e6
    );
    println!(
        "{prefix}_publish_max_us={:.1}",
        times[times.len() - 1].as_secs_f64() * 1e6
    );
    println!(
        "{prefix}_ns_per_delivery={:.1}",
        mean.as_secs_f64() * 1e9 / sockets as f64
    );
}

/// Publishes `ROUNDS` events to `subs` (untimed drain between rounds, so no queue fills).
fn run(hub: &Hub, audience: Audience, subs: &mut [Subscription]) -> Vec<Duration> {
    let mut times = Vec::with_capacity(ROUNDS);
    for n in 0..ROUNDS {
        let e = event(n);
        let t = Instant::now();
        hub.publish(audience.clone(), e);
        times.push(t.elapsed());
        for sub in subs.iter_mut() {
            match sub.try_recv() {
                Some(Delivery::Frame(_)) => {}
                other => panic!("socket {} got {other:?}", sub.id()),
            }
        }
    }
    times
}

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn main() {
    let hub = Hub::new(HubConfig::default());
    println!(
        "cpus={}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    // Memory: idle registered sockets (after one event each, so every queue has its buffer).
    let before = rss_bytes();
    let idle: Vec<_> = (0..SOCKETS as i64)
        .map(|u| hub.register(1_000_000 + u))
        .collect();
    hub.publish(Audience::Authenticated, event(0));
    let mut idle = idle;
    for s in idle.iter_mut() {
        let _ = s.try_recv();
    }
    if let (Some(b), Some(a)) = (before, rss_bytes()) {
        println!(
            "rss_bytes_per_socket={}",
            a.saturating_sub(b) / SOCKETS as u64
        );
    }
    drop(idle);

    for n in [1_000usize, 15_000] {
        let mut subs: Vec<_> = (0..n).map(|_| hub.register(1)).collect();
        report(
            &format!("user_fanout_{n}"),
            n,
            run(&hub, Audience::User(1), &mut subs),
        );
        drop(subs);

        let mut subs: Vec<_> = (0..n as i64).map(|u| hub.register(u + 10)).collect();
        report(
            &format!("broadcast_{n}"),
            n,
            run(&hub, Audience::Authenticated, &mut subs),
        );
    }

    live();
}

/// 15,000 sockets each drained by a task; one publisher thread sends `Audience::User` events
/// round-robin over 5,000 users (3 sockets each) as fast as it can.
fn live() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let hub = Hub::new(HubConfig::default());
    let users = 5_000i64;
    let received = Arc::new(AtomicU64::new(0));
    let overflowed = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..users * 3)
        .map(|i| {
            let mut sub = hub.register(i % users);
            let (received, overflowed) = (received.clone(), overflowed.clone());
            runtime.spawn(async move {
                loop {
                    match sub.recv().await {
                        Delivery::Frame(_) => {
                            received.fetch_add(1, Ordering::Relaxed);
                        }
                        Delivery::Overflow => {
                            overflowed.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                        Delivery::Closed => return,
                    }
                }
            })
        })
        .collect();
    let events = 200_000usize;
    let frames: Vec<Event> = (0..1000).map(event).collect();
    let t = Instant::now();
    for n in 0..events {
        hub.publish(Audience::User(n as i64 % users), frames[n % 1000].clone());
    }
    let publish = t.elapsed();
    let expected = events as u64 * 3;
    while received.load(Ordering::Relaxed) < expected
        && t.elapsed() < Duration::from_secs(30)
        && overflowed.load(Ordering::Relaxed) == 0
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    let all = t.elapsed();
    println!("live_sockets={}", users * 3);
    println!("live_events={events}");
    println!(
        "live_publish_ns_per_event={:.0}",
        publish.as_secs_f64() * 1e9 / events as f64
    );
    println!(
        "live_publish_events_per_s={:.0}",
        events as f64 / publish.as_secs_f64()
    );
    println!("live_expected_frames={expected}");
    println!("live_received_frames={}", received.load(Ordering::Relaxed));
    println!(
        "live_overflowed_sockets={}",
        overflowed.load(Ordering::Relaxed)
    );
    println!(
        "live_frames_per_s={:.0}",
        received.load(Ordering::Relaxed) as f64 / all.as_secs_f64()
    );
    hub.close_all();
    drop(readers);
    runtime.shutdown_timeout(Duration::from_secs(1));
}
