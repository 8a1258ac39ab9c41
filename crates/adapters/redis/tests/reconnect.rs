//! Connections killed by the server come back by themselves. A test binary of its own (cargo
//! runs test binaries one after the other), since it kills connections: only the ones this
//! test opened, found by comparing `CLIENT LIST` before and after.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use adapter_realtime::{Delivery, Hub, HubConfig};
use common::{eventually, instance, prefix, raw};
use kernel::{Audience, Event, EventPublisher};

async fn client_ids(con: &mut redis::aio::MultiplexedConnection) -> HashSet<u64> {
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(con)
        .await
        .expect("CLIENT LIST");
    list.lines()
        .filter_map(|line| {
            line.split(' ')
                .find_map(|field| field.strip_prefix("id="))
                .and_then(|id| id.parse().ok())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_connections_are_reopened_and_events_flow_again() {
    let p = prefix("reconnect");
    let mut con = raw().await;
    let b = instance(&p).await;
    let before = client_ids(&mut con).await;
    let a = instance(&p).await;
    let after = client_ids(&mut con).await;
    let mine: Vec<u64> = after.difference(&before).copied().collect();
    assert!(
        mine.len() >= 2,
        "instance A opened a command and a pub/sub connection: {mine:?}"
    );

    let (hub_a, hub_b) = (
        Hub::with_broker(HubConfig::default(), a.broker()),
        Hub::with_broker(HubConfig::default(), b.broker()),
    );
    let mut a1 = hub_a.register(1);
    let mut b1 = hub_b.register(1);
    let ping = |n: u64| Event::encode("test.reconnect", &serde_json::json!({ "n": n }));
    hub_b.publish(Audience::User(1), ping(0));
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(2), a1.recv())
            .await
            .expect("before the kill"),
        Delivery::Frame(Arc::clone(ping(0).frame()))
    );

    for id in &mine {
        let _: redis::Value = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("ID")
            .arg(id)
            .query_async(&mut con)
            .await
            .expect("CLIENT KILL");
    }

    assert!(
        eventually(Duration::from_secs(5), || async {
            let m = a.metrics();
            m.reconnects >= 1 && m.subscribed
        })
        .await,
        "the subscriber reconnected: {:?}",
        a.metrics()
    );

    // B → A: A's new pub/sub connection receives.
    hub_b.publish(Audience::User(1), ping(1));
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(2), a1.recv())
            .await
            .expect("after A's subscriber came back"),
        Delivery::Frame(Arc::clone(ping(1).frame()))
    );

    // A → B: A's command connection comes back too (a batch sent on the dead connection may
    // be dropped, so publish until one arrives).
    let mut n = 2;
    let arrived = eventually(Duration::from_secs(5), || {
        n += 1;
        hub_a.publish(Audience::User(1), ping(n));
        let got = std::iter::from_fn(|| b1.try_recv()).count();
        async move { got > 0 }
    })
    .await;
    assert!(arrived, "A publishes again: {:?}", a.metrics());
}
