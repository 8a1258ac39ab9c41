use std::sync::Arc;
use std::time::Duration;

use kernel::{Audience, Event, EventPublisher};
use parking_lot::Mutex;

use crate::{Broker, Deliver, Delivery, Hub, HubConfig, Subscription};

fn event(n: u64) -> Event {
    Event::encode("test", &serde_json::json!({ "n": n }))
}

fn hub() -> Arc<Hub> {
    Hub::new(HubConfig::default())
}

/// The frames waiting in a subscription right now (the hub pushes synchronously).
fn drain(sub: &mut Subscription) -> Vec<Delivery> {
    std::iter::from_fn(|| sub.try_recv()).collect()
}

fn frame(n: u64) -> Delivery {
    Delivery::Frame(Arc::clone(event(n).frame()))
}

async fn next(sub: &mut Subscription) -> Delivery {
    tokio::time::timeout(Duration::from_secs(5), sub.recv())
        .await
        .expect("a delivery within 5 s")
}

#[tokio::test]
async fn each_audience_reaches_exactly_its_subscriptions() {
    let hub = hub();
    let mut a1 = hub.register(1);
    let mut a2 = hub.register(1);
    let mut b = hub.register(2);
    let mut c = hub.register(3);
    // A user in another shard and one sharing none of the addressed ids.
    let mut d = hub.register(1_000_003);

    let cases: Vec<(Audience, [bool; 5])> = vec![
        (Audience::User(1), [true, true, false, false, false]),
        (Audience::User(2), [false, false, true, false, false]),
        (Audience::User(99), [false; 5]),
        (
            Audience::Users(vec![2, 3]),
            [false, false, true, true, false],
        ),
        (
            Audience::Users(vec![1, 1_000_003, 1, 42]),
            [true, true, false, false, true],
        ),
        (Audience::Users(vec![]), [false; 5]),
        (Audience::Authenticated, [true; 5]),
        (
            Audience::AuthenticatedExcept(1),
            [false, false, true, true, true],
        ),
        (Audience::AuthenticatedExcept(99), [true; 5]),
    ];
    for (n, (audience, expected)) in cases.into_iter().enumerate() {
        let n = n as u64;
        let delivered = hub.deliver_local(&audience, &event(n));
        assert_eq!(
            delivered,
            expected.iter().filter(|e| **e).count(),
            "{audience:?}"
        );
        for (sub, expected) in [&mut a1, &mut a2, &mut b, &mut c, &mut d]
            .into_iter()
            .zip(expected)
        {
            let got = drain(sub);
            let want = if expected { vec![frame(n)] } else { vec![] };
            assert_eq!(
                got,
                want,
                "{audience:?} at socket of user {}",
                sub.user_id()
            );
        }
    }
}

#[tokio::test]
async fn every_socket_of_a_user_gets_the_same_shared_frame() {
    let hub = hub();
    let mut subs: Vec<_> = (0..5).map(|_| hub.register(7)).collect();
    let other = hub.register(8);
    let e = event(1);
    hub.publish(Audience::User(7), e.clone());
    for sub in &mut subs {
        match next(sub).await {
            Delivery::Frame(f) => assert!(Arc::ptr_eq(&f, e.frame()), "frame copied"),
            d => panic!("unexpected {d:?}"),
        }
    }
    assert_eq!(other.queued(), 0);
}

#[tokio::test]
async fn a_stalled_socket_overflows_and_is_dropped_while_another_gets_everything_in_order() {
    let capacity = 16;
    let hub = Hub::new(HubConfig {
        queue_capacity: capacity,
    });
    let mut stalled = hub.register(1);
    let mut fast = hub.register(1);
    let mut other = hub.register(2);
    assert_eq!(hub.sockets_of(1), 2);

    let total = 200u64;
    let mut received = Vec::new();
    for n in 0..total {
        let delivered = hub.deliver_local(&Audience::User(1), &event(n));
        // Until the stalled queue fills, both sockets get it; then only the fast one.
        assert_eq!(
            delivered,
            if (n as usize) < capacity { 2 } else { 1 },
            "n={n}"
        );
        match next(&mut fast).await {
            Delivery::Frame(f) => received.push(f),
            d => panic!("fast socket got {d:?}"),
        }
    }
    let want: Vec<Arc<str>> = (0..total).map(|n| Arc::clone(event(n).frame())).collect();
    assert_eq!(received, want);

    // The hub dropped the stalled socket and freed its waiting frames at once.
    assert_eq!(stalled.queued(), 0);
    assert_eq!(next(&mut stalled).await, Delivery::Overflow);
    assert_eq!(
        next(&mut stalled).await,
        Delivery::Overflow,
        "stays overflowed"
    );
    assert_eq!(hub.sockets_of(1), 1);
    assert_eq!(hub.socket_count(), 2);
    assert_eq!(hub.overflow_count(), 1);
    assert_eq!(drain(&mut other), vec![]);

    drop(stalled);
    assert_eq!(
        hub.sockets_of(1),
        1,
        "dropping an evicted socket removes nothing else"
    );
    assert_eq!(hub.socket_count(), 2);
}

#[tokio::test]
async fn a_waiting_reader_is_woken_by_a_publish_and_then_sees_the_overflow() {
    let hub = Hub::new(HubConfig { queue_capacity: 1 });
    let mut sub = hub.register(1);
    let (parked_tx, parked_rx) = tokio::sync::oneshot::channel();
    let reader = tokio::spawn(async move {
        parked_tx.send(()).unwrap();
        // On this single-threaded runtime the reader parks here before the test goes on.
        let first = sub.recv().await;
        let second = sub.recv().await;
        (first, second)
    });
    parked_rx.await.unwrap();
    hub.deliver_local(&Audience::User(1), &event(1));
    let (first, second) = {
        // Let the woken reader take frame 1, then overflow the queue (capacity 1).
        tokio::task::yield_now().await;
        hub.deliver_local(&Audience::User(1), &event(2));
        hub.deliver_local(&Audience::User(1), &event(3));
        tokio::time::timeout(Duration::from_secs(5), reader)
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(first, frame(1));
    assert_eq!(second, Delivery::Overflow);
    assert_eq!(hub.sockets_of(1), 0);
}

#[tokio::test]
async fn drop_unregisters_and_reports_each_change_in_order() {
    let hub = hub();
    let changes = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&changes);
    hub.on_connection_change(Arc::new(move |user, count| seen.lock().push((user, count))));

    let s1 = hub.register(5);
    let s2 = hub.register(5);
    let s3 = hub.register(6);
    assert_ne!(s1.id(), s2.id());
    assert_eq!(s1.user_id(), 5);
    assert_eq!(
        (hub.sockets_of(5), hub.sockets_of(6), hub.socket_count()),
        (2, 1, 3)
    );
    drop(s1);
    assert_eq!((hub.sockets_of(5), hub.socket_count()), (1, 2));
    drop(s2);
    drop(s3);
    assert_eq!(
        (hub.sockets_of(5), hub.sockets_of(6), hub.socket_count()),
        (0, 0, 0)
    );
    assert_eq!(
        *changes.lock(),
        vec![(5, 1), (5, 2), (6, 1), (5, 1), (5, 0), (6, 0)]
    );
    // Nothing is delivered to a dropped socket's user any more.
    assert_eq!(hub.deliver_local(&Audience::User(5), &event(1)), 0);
}

#[tokio::test]
async fn a_listener_may_publish() {
    let hub = hub();
    let weak = Arc::downgrade(&hub);
    hub.on_connection_change(Arc::new(move |user, count| {
        if let Some(hub) = weak.upgrade() {
            hub.publish(
                Audience::AuthenticatedExcept(user),
                Event::encode("presence", &serde_json::json!({ "user": user, "n": count })),
            );
        }
    }));
    let mut watcher = hub.register(1);
    let mut _agent = hub.register(2);
    assert_eq!(
        drain(&mut watcher),
        vec![Delivery::Frame(Arc::from(r#"{"n":1,"user":2}"#))]
    );
}

#[derive(Default)]
struct TestBroker {
    published: Mutex<Vec<(Audience, Event)>>,
    deliver: Mutex<Option<Deliver>>,
}

impl Broker for TestBroker {
    fn publish(&self, audience: &Audience, event: &Event) {
        self.published
            .lock()
            .push((audience.clone(), event.clone()));
    }
    fn start(&self, deliver: Deliver) {
        *self.deliver.lock() = Some(deliver);
    }
}

#[tokio::test]
async fn the_broker_forwards_local_events_and_delivers_remote_ones_locally_only() {
    let broker = Arc::new(TestBroker::default());
    let hub = Hub::with_broker(HubConfig::default(), broker.clone());
    let deliver = broker.deliver.lock().clone().expect("start was called");
    let mut s1 = hub.register(1);
    let mut s2 = hub.register(2);

    // A local publish: delivered here and handed to the broker once.
    let local = event(1);
    hub.publish(Audience::User(1), local.clone());
    assert_eq!(drain(&mut s1), vec![frame(1)]);
    assert_eq!(
        *broker.published.lock(),
        vec![(Audience::User(1), local.clone())]
    );

    // An event from another instance: reaches the local sockets, shared, not re-published.
    let remote = Event::from_frame("remote", Arc::from(r#"{"remote":true}"#));
    deliver(Audience::Authenticated, remote.clone());
    for sub in [&mut s1, &mut s2] {
        match drain(sub).as_slice() {
            [Delivery::Frame(f)] => assert!(Arc::ptr_eq(f, remote.frame())),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        broker.published.lock().len(),
        1,
        "remote event re-published"
    );

    // The callback does not keep the hub alive.
    drop((s1, s2));
    drop(hub);
    deliver(Audience::Authenticated, remote);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishers_lose_nothing_for_a_fast_reader() {
    let publishers = 8u64;
    let per_publisher = 500u64;
    let hub = Hub::new(HubConfig {
        queue_capacity: (publishers * per_publisher) as usize,
    });
    let readers: Vec<_> = (0..4)
        .map(|i| {
            let mut sub = hub.register(if i % 2 == 0 { 1 } else { 2 });
            tokio::spawn(async move {
                let mut last = vec![None::<u64>; publishers as usize];
                let mut count = 0;
                while count < publishers * per_publisher {
                    match sub.recv().await {
                        Delivery::Frame(f) => {
                            let v: serde_json::Value = serde_json::from_str(&f).unwrap();
                            let (p, n) = (v["p"].as_u64().unwrap(), v["n"].as_u64().unwrap());
                            // Each publisher's events arrive in its order.
                            assert!(last[p as usize].is_none_or(|l| l < n), "out of order");
                            last[p as usize] = Some(n);
                            count += 1;
                        }
                        d => panic!("reader got {d:?}"),
                    }
                }
                count
            })
        })
        .collect();
    let tasks: Vec<_> = (0..publishers)
        .map(|p| {
            let hub = Arc::clone(&hub);
            tokio::spawn(async move {
                for n in 0..per_publisher {
                    let e = Event::encode("t", &serde_json::json!({ "p": p, "n": n }));
                    hub.publish(Audience::Users(vec![1, 2]), e);
                    if n % 64 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    for r in readers {
        let got = tokio::time::timeout(Duration::from_secs(10), r)
            .await
            .expect("reader finished")
            .unwrap();
        assert_eq!(got, publishers * per_publisher);
    }
    assert_eq!(hub.overflow_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_register_drop_and_publish_keep_the_counts_right() {
    // Kept sockets are never read: room for every event so that none overflows.
    let hub = Hub::new(HubConfig {
        queue_capacity: 8 * 200,
    });
    let tasks: Vec<_> = (0..8i64)
        .map(|t| {
            let hub = Arc::clone(&hub);
            tokio::spawn(async move {
                let mut kept = Vec::new();
                for i in 0..200 {
                    let sub = hub.register(t * 1000 + i % 10);
                    hub.publish(Audience::Authenticated, event(i as u64));
                    if i % 3 == 0 {
                        kept.push(sub);
                    }
                }
                kept
            })
        })
        .collect();
    let mut kept = Vec::new();
    for t in tasks {
        kept.extend(t.await.unwrap());
    }
    // 8 tasks × 67 subscriptions kept (i % 3 == 0 for i in 0..200).
    assert_eq!(hub.socket_count(), 8 * 67);
    let by_user: usize = (0..8i64)
        .flat_map(|t| (0..10).map(move |u| t * 1000 + u))
        .map(|u| hub.sockets_of(u))
        .sum();
    assert_eq!(by_user, 8 * 67);
    assert_eq!(hub.overflow_count(), 0);
    drop(kept);
    assert_eq!(hub.socket_count(), 0);
}

#[tokio::test]
async fn close_all_ends_every_subscription_after_its_queued_frames() {
    let hub = hub();
    let mut a = hub.register(1);
    let mut b = hub.register(2);
    hub.deliver_local(&Audience::User(1), &event(1));
    hub.close_all();
    assert_eq!(hub.socket_count(), 0);
    assert_eq!(hub.deliver_local(&Audience::Authenticated, &event(2)), 0);
    assert_eq!(next(&mut a).await, frame(1));
    assert_eq!(next(&mut a).await, Delivery::Closed);
    assert_eq!(next(&mut b).await, Delivery::Closed);
}

#[tokio::test]
async fn dropping_the_hub_closes_waiting_subscriptions() {
    let hub = hub();
    let mut sub = hub.register(1);
    let reader = tokio::spawn(async move { sub.recv().await });
    tokio::task::yield_now().await;
    drop(hub);
    let got = tokio::time::timeout(Duration::from_secs(5), reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, Delivery::Closed);
}

#[test]
fn a_registered_socket_is_small() {
    // The hub's part of a socket: the queue (one allocation), its index slot and the
    // subscription handle. The queue's buffer is not preallocated.
    let queue = std::mem::size_of::<crate::queue::Queue>() + 2 * std::mem::size_of::<usize>();
    let slot = std::mem::size_of::<crate::Slot>();
    let sub = std::mem::size_of::<Subscription>();
    assert!(queue <= 96, "queue {queue} bytes");
    assert!(slot <= 16, "slot {slot} bytes");
    assert!(sub <= 32, "subscription {sub} bytes");
    let hub = hub();
    let s = hub.register(1);
    assert_eq!(s.queued(), 0);
}

#[tokio::test]
async fn the_hub_counts_published_events_and_delivered_frames() {
    let hub = hub();
    let _a = hub.register(1);
    let _b = hub.register(1);
    let _c = hub.register(2);
    hub.publish(Audience::User(1), event(1));
    hub.publish(Audience::Authenticated, event(2));
    hub.publish(Audience::User(99), event(3));
    assert_eq!(hub.published_count(), 3);
    assert_eq!(hub.delivered_count(), 2 + 3);
    // Frames from another instance are delivered, not published here.
    hub.deliver_local(&Audience::User(2), &event(4));
    assert_eq!((hub.published_count(), hub.delivered_count()), (3, 6));
}
